"""The shape of a Dask cluster as planning sees it: workers, threads and memory each (no Dask)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """The shape of a LocalCluster: worker processes, threads and memory each."""

    n_workers: int
    threads_per_worker: int
    memory_limit: int

    @property
    def total_threads(self) -> int:
        return self.n_workers * self.threads_per_worker
