"""What ``advisor apply`` will write, as values: the sources' chunked schema, each copy's target
chunks, and the frozen :class:`ApplyPlan` (pure: no I/O).

Examples
--------
>>> from advisor.plan.grid import regular_grid
>>> from advisor.plan.schema import Schema
>>> hourly = Schema(("time", "x"), (48, 10), 4)
>>> ChunkedSchema(hourly, regular_grid(hourly.shape, (24, 10))).block_bytes
960
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from advisor.plan.cluster import ClusterSpec
from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.grid import Grid, block_bytes
from advisor.plan.location import Url
from advisor.plan.profile import BUILT_IN
from advisor.plan.rechunk import RechunkMethod
from advisor.plan.units import human_readable_size
from advisor.plan.workflow import Statistic

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

ChunkOrigin = Literal["user", "advisor"]
"""Who chose a copy's chunks: the user's ``--chunks`` or the advisor's recommendation."""


@dataclass(frozen=True, slots=True)
class ChunkedSchema:
    """A lazy dataset without its data: its schema and the Dask chunk grid of its variables."""

    schema: Schema
    grid: Grid

    def __post_init__(self) -> None:
        if tuple(sum(c) for c in self.grid) != self.schema.shape:
            raise ValueError(f"grid {self.grid} does not cover shape {self.schema.shape}")

    @property
    def nbytes(self) -> int:
        """Decoded bytes of all variables."""
        return self.schema.nbytes * max(1, len(self.schema.variables))

    @property
    def block_bytes(self) -> int:
        """Decoded bytes of the largest block of one variable."""
        return block_bytes(self.grid, self.schema.itemsize)


@dataclass(frozen=True, slots=True)
class ApplyPlan:
    """What ``advisor apply`` will do, decided and estimated before anything runs.

    Sizes are bytes; ``chunks``, ``shards`` and the grids follow ``dims``.
    ``input_grid`` is the Dask grid after the resample (before the rechunk) and
    ``write_grid`` the grid the store is written with (the shards when given,
    else the chunks); ``verify_chunks`` are the blocks (whole stored chunks)
    the store is read back in. Estimates are marked as such in :meth:`rows`.
    """

    sources: tuple[str, ...]
    source_paths: tuple[Path | Url, ...]
    out: Path | Url
    temp: Path | Url
    """Where the copy is written before it is published: a temporary sibling of a local
    ``out``; ``out`` itself on an object store (its top-level metadata written last)."""
    variables: tuple[str, ...]
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    itemsize: int
    resample: str | None
    stats: tuple[tuple[str, Statistic], ...]
    patterns: tuple[str, ...]
    chunks: tuple[int, ...]
    chunks_from: ChunkOrigin
    shards: tuple[int, ...] | None
    codec: CodecSpec
    zarr_format: ZarrFormat
    input_grid: Grid
    write_grid: Grid
    verify_chunks: tuple[int, ...]
    rechunk: RechunkMethod
    source_nbytes: int
    nbytes: int
    assumed_ratio: float
    stored_estimate: int
    scratch_bytes: int
    peak_memory: int
    cluster: ClusterSpec
    tasks: int
    overwrite: bool = False
    notes: tuple[str, ...] = ()
    profile_origin: str = BUILT_IN
    """Where the storage profile the advisor planned with came from."""
    copy: str | None = None
    """``copy N of 2: patterns`` when this store is one of the advisor's two copies."""
    icechunk: bool = False
    """Whether ``out`` is an Icechunk repository the copy is committed to (``temp`` is ``out``)."""

    @property
    def chunk_map(self) -> dict[str, int]:
        """``dim -> chunk length``."""
        return dict(zip(self.dims, self.chunks, strict=True))

    @property
    def shard_map(self) -> dict[str, int] | None:
        """``dim -> shard length``, or None without shards."""
        return None if self.shards is None else dict(zip(self.dims, self.shards, strict=True))

    def _written(self) -> tuple[str, str]:
        if self.icechunk:
            return ("written", "as one Icechunk commit, once verified")
        if self.temp != self.out:
            return ("written first to", str(self.temp))
        return ("written", "in place, top-level metadata last")

    def rows(self) -> list[tuple[str, str]]:
        """The plan as ``(label, value)`` lines for a table."""
        size = human_readable_size

        def dims_text(values: Sequence[int]) -> str:
            return ", ".join(f"{d}={n}" for d, n in zip(self.dims, values, strict=True))

        resample = "no"
        if self.resample:
            resample = f"{self.resample}: " + ", ".join(f"{v}={s}" for v, s in self.stats)
        rows = [
            ("sources", ", ".join(self.sources)),
            ("output", str(self.out)),
            self._written(),
            ("variables", ", ".join(self.variables)),
            ("resample", resample),
            ("output shape", dims_text(self.shape)),
            ("chunks", f"{dims_text(self.chunks)} (from the {self.chunks_from})"),
        ]
        if self.chunks_from == "advisor":
            rows.append(("for patterns", ", ".join(self.patterns)))
            rows.append(("profile", self.profile_origin))
        if self.copy is not None:
            rows.insert(1, ("copy", self.copy))
        if self.shards is not None:
            rows.append(("shards", dims_text(self.shards)))
        rows += [
            ("codec", f"{self.codec} ({self.codec.label}), zarr format {self.zarr_format}"),
            ("rechunk", self.rechunk),
            ("source size", size(self.source_nbytes)),
            ("output size", f"{size(self.nbytes)} decoded"),
            (
                "stored size (est.)",
                f"{size(self.stored_estimate)} at an assumed ratio of {self.assumed_ratio:g}",
            ),
            (
                "cluster",
                f"{self.cluster.n_workers} worker(s) x {self.cluster.threads_per_worker} "
                f"thread(s), {size(self.cluster.memory_limit)} each",
            ),
            ("peak memory per worker (est.)", size(self.peak_memory)),
            ("tasks (est.)", f"{self.tasks:,}"),
        ]
        if self.scratch_bytes:
            rows.append(("worker disk scratch (est.)", size(self.scratch_bytes)))
        rows += [("note", note) for note in self.notes]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready values."""
        return {
            "sources": list(self.sources),
            "source_paths": [str(p) for p in self.source_paths],
            "out": str(self.out),
            "temp": str(self.temp),
            "icechunk": self.icechunk,
            "variables": list(self.variables),
            "dims": list(self.dims),
            "shape": list(self.shape),
            "resample": self.resample,
            "stats": dict(self.stats),
            "patterns": list(self.patterns),
            "chunks": self.chunk_map,
            "chunks_from": self.chunks_from,
            "shards": self.shard_map,
            "verify_chunks": dict(zip(self.dims, self.verify_chunks, strict=True)),
            "codec": str(self.codec),
            "zarr_format": self.zarr_format,
            "rechunk": self.rechunk,
            "source_nbytes": self.source_nbytes,
            "nbytes": self.nbytes,
            "assumed_ratio": self.assumed_ratio,
            "stored_estimate": self.stored_estimate,
            "scratch_bytes": self.scratch_bytes,
            "peak_memory_estimate": self.peak_memory,
            "cluster": {
                "n_workers": self.cluster.n_workers,
                "threads_per_worker": self.cluster.threads_per_worker,
                "memory_limit": self.cluster.memory_limit,
            },
            "tasks_estimate": self.tasks,
            "overwrite": self.overwrite,
            "notes": list(self.notes),
            "profile": self.profile_origin,
            "copy": self.copy,
        }


@dataclass(frozen=True, slots=True)
class CopyTarget:
    """The chunks and shards one output copy is written in, where they came from and what for."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    origin: ChunkOrigin
    patterns: tuple[str, ...] = ()
    copy: str | None = None
