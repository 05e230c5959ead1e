"""Running :class:`~advisor.plan.copy_plan.ApplyPlan` s on a Dask cluster: write, verify, publish.

:func:`execute` writes the resampled, rechunked, compressed dataset to each
plan's temporary sibling (``PATH.advisor-tmp-<token>``, dask's rechunk with the
plan's method), each task writing one block and returning its digest
(:func:`advisor.run.write.write_with_digests`: the data are computed once); then verifies each store (:func:`advisor.run.verify.verify`) and only
when all are verified moves them into place
(:func:`advisor.store.publish.move_into_place`). A run killed at any moment
therefore leaves the old ``PATH`` intact, or no ``PATH`` at all, never a partial
store; the sources are only read.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.copy_plan import ApplyPlan
from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.plan.units import human_readable_size
from advisor.run.apply import build_output, open_sources
from advisor.run.checksum import summary
from advisor.run.verify import verify
from advisor.run.watch import (
    MemoryWatch,
    lost_scheduler_error,
    scheduler_lost,
    settle,
    wait_with_progress,
)
from advisor.run.write import consolidate, write_with_digests
from advisor.store.metadata import store_size
from advisor.store.objects import (
    HeldRoot,
    clear_target,
    discard,
    finish,
    open_writer,
    write_lost,
)
from advisor.store.publish import move_into_place, new_token, remove, write_failed

if TYPE_CHECKING:
    import dask.array as da
    from distributed import Client, Future

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What a run wrote and what it cost.

    ``peak_memory`` is per worker (name, bytes): the worker's resident-memory
    high-water mark when the run raised it, else the highest sample taken
    every :data:`SAMPLE_INTERVAL` s. ``workers_lost`` counts workers that left
    the cluster during the run (killed or restarted by their nanny).
    """

    out: Path | Url
    seconds: float
    write_seconds: float
    verify_seconds: float
    nbytes: int
    stored_bytes: int
    disk_bytes: int
    peak_memory: tuple[tuple[str, int], ...]
    memory_limit: int
    workers_lost: int
    workers_joined: int
    tasks: int
    checksums: tuple[tuple[str, str], ...]
    copies: int = 1
    """Stores written in the same pass (the advisor's two copies share the time, tasks and memory)."""
    snapshot: str | None = None
    """The Icechunk snapshot committed (``apply --icechunk``), else None."""

    @classmethod
    def of(
        cls,
        plan: ApplyPlan,
        times: tuple[float, float, float],
        watch: MemoryWatch,
        tasks: int,
        checksums: Sequence[str],
        sizes: tuple[int, int],
        *,
        copies: int,
        snapshot: str | None = None,
    ) -> ApplyResult:
        """The result of ``plan``'s run: ``times`` are when it started, had written and had
        verified (``time.perf_counter``); ``sizes`` the stored and on-disk bytes."""
        started, written, verified = times
        return cls(
            out=plan.out,
            seconds=time.perf_counter() - started,
            write_seconds=written - started,
            verify_seconds=verified - written,
            nbytes=plan.nbytes,
            stored_bytes=sizes[0],
            disk_bytes=sizes[1],
            peak_memory=watch.peaks(),
            memory_limit=plan.cluster.memory_limit,
            workers_lost=watch.lost,
            workers_joined=watch.joined,
            tasks=tasks,
            checksums=tuple(zip(plan.variables, checksums, strict=True)),
            copies=copies,
            snapshot=snapshot,
        )

    @property
    def ratio(self) -> float:
        """Decoded bytes over stored bytes."""
        return self.nbytes / self.stored_bytes if self.stored_bytes else float("nan")

    @property
    def max_peak_memory(self) -> int:
        return max((b for _, b in self.peak_memory), default=0)

    def rows(self) -> list[tuple[str, str]]:
        """The summary as ``(label, value)`` lines for a table."""
        peaks = ", ".join(f"{name}: {human_readable_size(b)}" for name, b in self.peak_memory)
        shared = "" if self.copies == 1 else f" ({self.copies} copies, one pass)"
        return [
            ("output", str(self.out)),
            (
                "stored size",
                f"{human_readable_size(self.stored_bytes)} "
                f"({human_readable_size(self.disk_bytes)} on disk)",
            ),
            ("decoded size", human_readable_size(self.nbytes)),
            ("ratio", f"{self.ratio:.2f}"),
            (
                f"time{shared}",
                f"{self.seconds:.1f} s (write {self.write_seconds:.1f} s, "
                f"verify {self.verify_seconds:.1f} s)",
            ),
            (
                f"peak memory per worker{shared}",
                f"{peaks} (limit {human_readable_size(self.memory_limit)})",
            ),
            ("workers lost / joined", f"{self.workers_lost} / {self.workers_joined}"),
            (f"tasks{shared}", f"{self.tasks:,}"),
            ("verified", f"{len(self.checksums)} variables, checksums equal"),
            *([("Icechunk snapshot", self.snapshot)] if self.snapshot else []),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "seconds": self.seconds,
            "write_seconds": self.write_seconds,
            "verify_seconds": self.verify_seconds,
            "nbytes": self.nbytes,
            "stored_bytes": self.stored_bytes,
            "disk_bytes": self.disk_bytes,
            "ratio": self.ratio,
            "peak_memory": dict(self.peak_memory),
            "max_peak_memory": self.max_peak_memory,
            "memory_limit": self.memory_limit,
            "workers_lost": self.workers_lost,
            "workers_joined": self.workers_joined,
            "tasks": self.tasks,
            "checksums": dict(self.checksums),
            "copies": self.copies,
            "snapshot": self.snapshot,
        }


def _check_workers_import(client: Client) -> None:
    """The checksum and memory probes run on the workers: they must import ``advisor``."""

    def probe() -> bool:
        import importlib.util

        return importlib.util.find_spec("advisor.run.checksum") is not None

    replies = client.run(probe, on_error="return")
    missing = [addr for addr, ok in replies.items() if ok is not True]
    if missing:
        raise AdvisorError(
            f"the Dask workers at {', '.join(missing)} cannot import advisor: install chunk-advisor "
            "in the workers' environment"
        )


def execute(
    plans: Sequence[ApplyPlan], client: Client, *, progress: bool = True
) -> tuple[ApplyResult, ...]:
    """Write, verify and move the plans' outputs into place on ``client``'s cluster.

    The plans share their sources and resample (one plan, or the advisor's two
    copies): every store is written in one pass over the sources, each is
    verified, and they are moved into place only when all are verified. On any
    failure (or Ctrl-C) the temporary stores are removed and every ``PATH`` is
    left as it was.
    """
    import dask

    started = time.perf_counter()
    scheduler = client.scheduler.address if client.scheduler else None  # for a lost one's line
    _check_workers_import(client)
    first = plans[0]
    ds = build_output(
        open_sources(first.source_paths), first.variables, first.resample, dict(first.stats)
    )
    if tuple(ds.sizes[d] for d in first.dims) != first.shape:
        raise AdvisorError(
            f"the sources changed since the plan was made (shape {dict(ds.sizes)}): plan again"
        )
    for plan in plans:
        if isinstance(plan.temp, Path) and plan.temp.exists():
            raise AdvisorError(
                f"{plan.temp} exists already: another apply may be running; plan again"
            )
    token = new_token()
    stores: dict[int, HeldRoot] = {}  # the copies on object stores, their metadata held back
    futures: list[Future] = []
    try:
        with MemoryWatch(client) as watch:
            writes: list[da.Array] = []
            for i, plan in enumerate(plans):
                if isinstance(plan.out, Url):
                    clear_target(plan.out, overwrite=plan.overwrite, token=token)
                    stores[i] = open_writer(plan.out)
                else:
                    plan.out.parent.mkdir(parents=True, exist_ok=True)
                method = "tasks" if plan.rechunk == "none" else plan.rechunk
                with dask.config.set({"array.rechunk.method": method}):
                    logger.debug("writing %s with rechunk method %r", plan.temp, method)
                    written = write_with_digests(
                        ds,
                        stores.get(i, plan.temp),
                        plan.chunk_map,
                        plan.codec,
                        plan.zarr_format,
                        plan.shard_map,
                    )
                writes.extend(written[v] for v in first.variables)
            futures = client.compute(writes)
            label = "writing" if len(plans) == 1 else f"writing {len(plans)} copies"
            tasks = wait_with_progress(futures, label, progress)
            got = client.gather(futures)
            n = len(first.variables)
            expected = [got[i * n : (i + 1) * n] for i in range(len(plans))]
            write_done = time.perf_counter()
            futures = []
            for i, plan in enumerate(plans):
                consolidate(stores.get(i, plan.temp), plan.zarr_format)
                tasks += verify(
                    plan, ds, expected[i], client, progress=progress, store=stores.get(i)
                )
        verified = time.perf_counter()
    except BaseException as exc:
        if futures:
            settle(client, futures)  # no chunk write may land after the temp copy went
        for i, plan in enumerate(plans):
            if i in stores:
                with contextlib.suppress(Exception):
                    discard(plan.out)  # type: ignore[arg-type]
            else:
                remove(plan.temp)  # type: ignore[arg-type]
        lost = [write_lost(exc, plans[i].out) for i in stores]  # type: ignore[arg-type]
        if lost and lost[0] is not None:  # the object store stopped answering
            raise lost[0] from None
        if isinstance(exc, OSError):  # a full disk, a lost mount: one line, nothing published
            raise write_failed(exc, plans[0].out) from None
        if isinstance(exc, Exception) and scheduler_lost(client):
            raise lost_scheduler_error(scheduler, plans[0].out) from None
        raise
    results = []
    for i, plan in enumerate(plans):
        if i in stores:
            finish(plan.out, stores[i])  # type: ignore[arg-type]
            stored_bytes, disk_bytes = store_size(plan.out)
        else:
            stored_bytes, disk_bytes = store_size(plan.temp)
            move_into_place(plan.temp, plan.out, overwrite=plan.overwrite)  # type: ignore[arg-type]
        results.append(
            ApplyResult.of(
                plan,
                (started, write_done, verified),
                watch,
                tasks,
                [summary(d) for d in expected[i]],
                (stored_bytes, disk_bytes),
                copies=len(plans),
            )
        )
    return tuple(results)
