"""The plan of ``advisor apply``: every decision and estimate, made before anything runs.

``advisor apply`` does the workflow's expensive preprocessing once: open the
sources (concatenated along time), resample them with one statistic per
variable, rechunk for the way the copy will be read, compress, write with
consolidated metadata, verify, and move the verified store into place.

This module is the pure half (like rechunker's ``algorithm.py``): it parses the
options and turns the sources' :class:`DatasetLayout` (dims, sizes, Dask chunk grid;
no data) into a frozen :class:`ApplyPlan` with :func:`plan_apply`. Nothing is
read or written here; :mod:`advisor.run.apply` opens the sources, builds the
layouts and runs a plan. No heavy library is imported here (pandas only to check
a ``--resample`` frequency).

Examples
--------
>>> from advisor.plan.schema import Schema
>>> daily = Schema(("time", "latitude", "longitude"), (365, 121, 161), 4, time_step=86400.0,
...                variables=("cape", "cin"))
>>> plan = plan_apply(
...     sources=("era5_2019",), source_paths=(Path("/data/era5_2019.zarr"),),
...     out=Path("/data/daily.zarr"), token="t0",
...     source=DatasetLayout(daily, regular_grid((365, 121, 161), (365, 121, 161))),
...     output=DatasetLayout(daily, regular_grid((365, 121, 161), (365, 121, 161))),
...     cluster=ClusterSpec(2, 2, 2 * 10**9), chunks={"time": 32, "latitude": 60, "longitude": 80})
>>> plan.chunks, plan.chunks_from, plan.rechunk
((32, 60, 80), 'user', 'tasks')
>>> plan.temp.name
'daily.zarr.advisor-tmp-t0'
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.profile import BUILT_IN, StorageProfile
from advisor.plan.workflow import STATISTICS, Statistic
from advisor.run.cluster import ClusterSpec

if TYPE_CHECKING:
    from advisor.plan.patterns import Pattern
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

RechunkMethod = Literal["p2p", "tasks", "none"]
ChunkOrigin = Literal["user", "advisor"]
Grid = tuple[tuple[int, ...], ...]
"""A Dask chunk grid: per dim, the lengths of its chunks (``Array.chunks``)."""

TEMP_MARK = ".advisor-tmp-"
"""Infix of the temporary sibling a run writes (``PATH.advisor-tmp-<token>``)."""

OLD_MARK = ".advisor-old-"
"""Infix of the sibling an ``--overwrite`` run moves the old store to until the new one is in place."""

RECHUNK_THRESHOLD = 4
"""Dask's ``array.rechunk.threshold``: a task rechunk is local while its pieces number fewer than
this many times the input and output chunks together."""

SHARD_BYTES: float = MAX_SIZE
"""Upper size of a shard grown from the chunks along time (the top of the advisor's chunk band)."""

VERIFY_BYTES = 64e6
"""Upper size of the blocks the verification reads the written store in (whole stored chunks)."""

WORKER_BASELINE = 180e6
"""Resident memory of an idle Dask worker once it has imported numpy, pandas, xarray, zarr, the
codecs and flox (measured: 140-180 MB on Linux with Python 3.11)."""

BLOCK_COPIES = 3
"""Copies of its largest block a busy thread holds at once: the decoded input, its result (a
reduction's output, a rechunk's assembled chunk) and a temporary (the compressed bytes, a
reduction's intermediate). Calibrated on the full sample year: 2 threads resampling 58 MB chunks
peaked at 531-540 MB per worker."""

P2P_BUFFERS = 2**30 + 100 * 2**20
"""distributed's default in-memory buffers of a P2P rechunk per worker: ``p2p.comm.buffer``
(1 GiB) plus ``p2p.storage.buffer`` (100 MiB); the rest goes to the worker's local disk."""


@dataclass(frozen=True, slots=True)
class DatasetLayout:
    """A lazy dataset's shape without its data: the schema and the Dask chunk grid of its variables."""

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
    source_paths: tuple[Path, ...]
    out: Path
    temp: Path
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

    @property
    def chunk_map(self) -> dict[str, int]:
        """``dim -> chunk length``."""
        return dict(zip(self.dims, self.chunks, strict=True))

    @property
    def shard_map(self) -> dict[str, int] | None:
        """``dim -> shard length``, or None without shards."""
        return None if self.shards is None else dict(zip(self.dims, self.shards, strict=True))

    def rows(self) -> list[tuple[str, str]]:
        """The plan as ``(label, value)`` lines for a table."""
        from advisor.plan.units import human_readable_size as size

        def dims_text(values: Sequence[int]) -> str:
            return ", ".join(f"{d}={n}" for d, n in zip(self.dims, values, strict=True))

        resample = "no"
        if self.resample:
            resample = f"{self.resample}: " + ", ".join(f"{v}={s}" for v, s in self.stats)
        rows = [
            ("sources", ", ".join(self.sources)),
            ("output", str(self.out)),
            ("written first to", str(self.temp)),
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


def _pairs(text: str, option: str, example: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split(","):
        key, sep, value = (p.strip() for p in part.partition("="))
        if not sep or not key or not value:
            raise AdvisorError(f"malformed {option} {text!r}: write it like {example}")
        if key in (k for k, _ in pairs):
            raise AdvisorError(f"{option} {text!r} names {key} twice: name it once")
        pairs.append((key, value))
    return pairs


def parse_chunks(text: str) -> dict[str, int]:
    """Parse ``--chunks dim=n,...`` into ``dim -> n``.

    Examples
    --------
    >>> parse_chunks("time=32,latitude=60,longitude=80")
    {'time': 32, 'latitude': 60, 'longitude': 80}
    >>> parse_chunks("time=0")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: chunk length of time in --chunks is 0: lengths must be whole numbers >= 1
    """
    out = {}
    for dim, value in _pairs(text, "--chunks", "time=32,latitude=60,longitude=80"):
        try:
            n = int(value)
        except ValueError:
            raise AdvisorError(
                f"chunk length {value!r} of {dim} in --chunks is not a whole number: "
                "write e.g. time=32,latitude=60,longitude=80"
            ) from None
        if n < 1:
            raise AdvisorError(
                f"chunk length of {dim} in --chunks is {value}: lengths must be whole numbers >= 1"
            )
        out[dim] = n
    return out


def parse_stats(text: str) -> dict[str, Statistic]:
    """Parse ``--stat var=statistic,...``; statistics are ``mean|max|min|sum|std``.

    Examples
    --------
    >>> parse_stats("cape=max,cin=mean")
    {'cape': 'max', 'cin': 'mean'}
    >>> parse_stats("cape=median")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown statistic 'median' for cape in --stat: use one of mean, max, min, sum, std
    """
    out: dict[str, Statistic] = {}
    for var, stat in _pairs(text, "--stat", "cape=max,cin=mean,k_index=mean,blh=max"):
        if stat not in STATISTICS:
            raise AdvisorError(
                f"unknown statistic {stat!r} for {var} in --stat: use one of {', '.join(STATISTICS)}"
            )
        out[var] = stat  # type: ignore[assignment]
    return out


def parse_freq(text: str) -> str:
    """Check a ``--resample`` frequency with pandas (``1D``, ``6h``, ``1W``, ``1MS``, ...).

    Examples
    --------
    >>> parse_freq(" 1D ")
    '1D'
    >>> parse_freq("1X")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown --resample frequency '1X': use a pandas offset such as 1D, 6h, 1W or 1MS
    """
    from pandas.tseries.frequencies import to_offset

    freq = text.strip()
    try:
        to_offset(freq)
    except ValueError:
        raise AdvisorError(
            f"unknown --resample frequency {text!r}: use a pandas offset such as 1D, 6h, 1W or 1MS"
        ) from None
    return freq


def regular_grid(shape: Sequence[int], chunks: Sequence[int]) -> Grid:
    """The Dask grid of ``shape`` cut into ``chunks`` (the last chunk of a dim may be shorter).

    Examples
    --------
    >>> regular_grid((365, 121), (32, 121))
    ((32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 13), (121,))
    """
    grid = []
    for n, c in zip(shape, chunks, strict=True):
        c = max(1, min(int(c), int(n)))
        grid.append((c,) * (n // c) + ((n % c,) if n % c else ()))
    return tuple(grid)


def n_blocks(grid: Grid) -> int:
    """Blocks in a grid.

    >>> n_blocks(((31, 31, 3), (60, 61)))
    6
    """
    return math.prod(len(g) for g in grid)


def block_bytes(grid: Grid, itemsize: int) -> int:
    """Bytes of the grid's largest block.

    >>> block_bytes(((744, 744, 24), (121,), (161,)), 4)
    57975456
    """
    return math.prod(max(g) for g in grid) * itemsize


def crossed_blocks(old: Grid, new: Grid) -> int:
    """Pieces a rechunk from ``old`` to ``new`` cuts the array into (the blocks of both grids' union).

    Along each dim the pieces are the intervals between the boundaries of
    either grid; the pieces of the array are their product.

    Examples
    --------
    >>> crossed_blocks(((31, 31, 3),), ((32, 32, 1),))
    5
    >>> crossed_blocks(((2, 2),), ((2, 2),))
    2
    """
    total = 1
    for a, b in zip(old, new, strict=True):
        edges = set(_edges(a)) | set(_edges(b))
        total *= len(edges) - 1
    return total


def _edges(chunks: Sequence[int]) -> list[int]:
    edges = [0]
    for c in chunks:
        edges.append(edges[-1] + c)
    return edges


def choose_rechunk_method(
    old: Grid, new: Grid, threshold: float = RECHUNK_THRESHOLD
) -> RechunkMethod:
    """``none`` when the grids agree; ``tasks`` when the rechunk is local; else ``p2p``.

    A rechunk is local when the pieces it cuts the array into
    (:func:`crossed_blocks`) number fewer than ``threshold`` times the old and
    new blocks together: each output chunk is then assembled from a few inputs,
    the task graph stays small and nothing waits on the whole array. Otherwise
    (an all-to-all reshuffle, e.g. month-long time chunks to long time series
    of small boxes) the tasks method would hold many pieces in memory, while
    distributed's peer-to-peer rechunk streams them through each worker's disk
    with bounded memory. This is the criterion dask applies itself when a
    distributed client is active; making it here lets the plan name the method
    and size the memory it needs.

    Examples
    --------
    >>> daily = ((31,) * 11 + (24,), (121,), (161,))
    >>> choose_rechunk_method(daily, daily)
    'none'
    >>> choose_rechunk_method(daily, regular_grid((365, 121, 161), (32, 60, 80)))
    'tasks'
    >>> hourly = regular_grid((8760, 121, 161), (744, 121, 161))
    >>> choose_rechunk_method(hourly, regular_grid((8760, 121, 161), (8760, 10, 10)))
    'p2p'
    """
    if tuple(map(tuple, old)) == tuple(map(tuple, new)):
        logger.debug("choosing rechunk 'none': the chunks already match")
        return "none"
    pieces = crossed_blocks(old, new)
    limit = threshold * (n_blocks(old) + n_blocks(new))
    method: RechunkMethod = "tasks" if pieces < limit else "p2p"
    logger.debug(
        "choosing rechunk %r: %d pieces vs %g x (%d old + %d new blocks)",
        method,
        pieces,
        threshold,
        n_blocks(old),
        n_blocks(new),
    )
    return method


def estimate_peak_memory(
    source: DatasetLayout,
    output: DatasetLayout,
    write_grid: Grid,
    method: RechunkMethod,
    threads: int,
    verify_grid: Grid | None = None,
) -> int:
    """Estimated peak resident memory of one worker.

    The idle worker (:data:`WORKER_BASELINE`), plus per thread
    :data:`BLOCK_COPIES` copies of the largest block it handles (a source chunk
    being read and reduced, a resampled block, a write block being assembled
    and encoded, or a block read back to verify), plus P2P's buffers when the rechunk is peer-to-peer (capped
    at the data a worker receives).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> hourly = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4)
    >>> src = DatasetLayout(hourly, regular_grid(hourly.shape, (744, 121, 161)))
    >>> round(estimate_peak_memory(src, src, src.grid, "none", 2) / 1e6)
    528
    """
    itemsize = output.schema.itemsize
    largest = max(
        source.block_bytes,
        output.block_bytes,
        block_bytes(write_grid, itemsize),
        block_bytes(verify_grid or write_grid, itemsize),
    )
    peak = WORKER_BASELINE + threads * BLOCK_COPIES * largest
    if method == "p2p":
        peak += min(P2P_BUFFERS, output.nbytes)
    return int(peak)


def estimate_tasks(
    source: DatasetLayout,
    output: DatasetLayout,
    write_grid: Grid,
    method: RechunkMethod,
    verify_grid: Grid,
) -> int:
    """Estimated tasks of the write and the verification, from the chunk grids.

    Per variable: a read per source chunk, a reduction per source chunk when
    resampling, the rechunk (``tasks``: a piece per crossing plus a merge per
    output chunk; ``p2p``: a transfer per input and an unpack per output
    chunk), a write per output chunk, and a checksum per block on both sides
    of the verification.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> daily = Schema(("time", "latitude", "longitude"), (365, 121, 161), 4, variables=("cape",))
    >>> layout = DatasetLayout(daily, regular_grid(daily.shape, (31, 121, 161)))
    >>> estimate_tasks(layout, layout, layout.grid, "none", regular_grid(daily.shape, (365, 121, 161)))
    38
    """
    n_src, n_mid, n_out = n_blocks(source.grid), n_blocks(output.grid), n_blocks(write_grid)
    resampled = source.schema.shape != output.schema.shape
    rechunk = {
        "none": 0,
        "tasks": crossed_blocks(output.grid, write_grid) + n_out,
        "p2p": n_mid + n_out,
    }[method]
    n_verify = n_blocks(verify_grid)
    per_variable = n_src * (2 if resampled else 1) + rechunk + n_out + n_mid + 2 * n_verify
    return per_variable * max(1, len(output.schema.variables))


def grow_block(
    chunks: Sequence[int],
    shape: Sequence[int],
    itemsize: int,
    limit: float,
    axes: Sequence[int],
) -> tuple[int, ...]:
    """``chunks`` grown along ``axes`` in turn by whole multiples, to at most ``limit`` bytes.

    A dim grows to a multiple of its chunk or to its whole length, so the
    grown block is made of whole chunks; shards and multi-chunk reads need that.

    Examples
    --------
    >>> grow_block((32, 60, 80), (8760, 121, 161), 4, 100e6, axes=[0])
    (5184, 60, 80)
    >>> grow_block((32, 60, 80), (365, 121, 161), 4, 100e6, axes=[0, 1, 2])
    (365, 121, 161)
    >>> grow_block((32, 60, 80), (365, 121, 161), 4, 1e7, axes=[0, 1, 2])
    (365, 60, 80)
    """
    block = [min(int(c), int(n)) for c, n in zip(chunks, shape, strict=True)]
    for axis in axes:
        factor = max(1, int(limit // (math.prod(block) * itemsize)))
        c, n = block[axis], shape[axis]
        block[axis] = n if c * factor >= n else c * factor
    return tuple(block)


def plan_apply(*, out: Path, **options: Any) -> ApplyPlan:
    """Decide and estimate everything ``advisor apply`` will do for one output (pure: no I/O).

    The options are those of :func:`plan_copies`, with one ``out``.
    """
    return plan_copies(outs=(out,), **options)[0]


@dataclass(frozen=True, slots=True)
class _Layout:
    """What a store is written in, and why: the chunks, the shards and where they came from."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    origin: ChunkOrigin
    patterns: tuple[str, ...] = ()
    copy: str | None = None


def plan_copies(
    *,
    sources: Sequence[str],
    source_paths: Sequence[Path],
    outs: Sequence[Path],
    source: DatasetLayout,
    output: DatasetLayout,
    cluster: ClusterSpec,
    token: str,
    resample: str | None = None,
    stats: Mapping[str, Statistic] | None = None,
    chunks: Mapping[str, int] | None = None,
    patterns: Sequence[str | Pattern] = (),
    codec: CodecSpec = DEFAULT_CODEC,
    zarr_format: ZarrFormat | None = None,
    shards: bool = False,
    overwrite: bool = False,
    profile: StorageProfile | None = None,
    profile_origin: str = BUILT_IN,
    band: tuple[float | str, float | str] = (MIN_SIZE, MAX_SIZE),
) -> tuple[ApplyPlan, ...]:
    """Decide and estimate everything ``advisor apply`` will do, one plan per output (pure: no I/O).

    Parameters
    ----------
    sources, source_paths
        The sources as given and the stores they resolve to.
    outs
        The output stores: one, or two for the advisor's two copies (the first
        serves the family of the first pattern). Each is written to a sibling
        ``out.advisor-tmp-<token>`` first.
    source, output
        The layouts of the concatenated sources and of the dataset to write
        (after the resample; the same as ``source`` without one).
    cluster
        The shape of the cluster that will run the plan (threads and memory per worker).
    resample, stats
        The ``--resample`` frequency and per-variable statistics (default mean).
    chunks
        The user's chunks (dims not named keep their whole length); without
        them the advisor recommends chunks for ``patterns`` (default: the
        workflow's mix of point series, maps and ML batches) on the *output*
        dataset, the one that will be read.
    codec, zarr_format
        The compressor and the Zarr format (default 2, or 3 with ``shards``).
    shards
        Write zarr 3 shards. With the advisor's chunks, the shards and inner
        chunks are co-designed (``recommend(shards=True)``); with the user's
        ``chunks``, those are the inner chunks and the shards are them grown
        along time to :data:`SHARD_BYTES` (:func:`grow_block`).
    profile, profile_origin
        The storage profile the advisor plans with (default: the built-in
        local defaults) and where it came from (shown in the plan).
    band
        The advisor's size band for the chunks (the shards with ``shards``).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> hourly = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4,
    ...                 time_step=3600.0, variables=("cape",))
    >>> layout = DatasetLayout(hourly, regular_grid(hourly.shape, (744, 121, 161)))
    >>> series, maps = plan_copies(
    ...     sources=("era5_2019",), source_paths=(Path("/d/era5_2019.zarr"),),
    ...     outs=(Path("/d/series.zarr"), Path("/d/maps.zarr")), token="t0",
    ...     source=layout, output=layout, cluster=ClusterSpec(1, 2, 8 * 10**9),
    ...     patterns=["point-series@50", "map"])
    >>> series.copy, maps.copy
    ('copy 1 of 2: point-series', 'copy 2 of 2: map')
    >>> series.chunks[0], maps.chunks[1:]
    (8760, (121, 161))
    """
    schema = output.schema
    dims, variables = schema.dims, schema.variables
    notes: list[str] = []
    stats = dict(stats or {})
    if stats and not resample:
        raise AdvisorError("--stat needs --resample: add e.g. --resample 1D, or drop --stat")
    unknown = sorted(set(stats) - set(variables))
    if unknown:
        raise AdvisorError(
            f"--stat names {', '.join(unknown)}, not a variable of the sources: "
            f"use {', '.join(variables)}"
        )
    if resample and schema.dim_of("time") != "time":
        raise AdvisorError(
            f"--resample works along a dimension named time and the dims are {', '.join(dims)}: "
            "rename the time dimension to time, or drop --resample"
        )
    if zarr_format is None:
        zarr_format = 3 if shards else 2
    if shards and zarr_format != 3:
        raise AdvisorError("--shards needs zarr format 3: pass --zarr-format 3 or drop --shards")
    if not 1 <= len(outs) <= 2:
        raise AdvisorError(f"{len(outs)} --out given: give one, or two for two copies")
    if len(outs) == 2 and Path(outs[0]).resolve() == Path(outs[1]).resolve():
        raise AdvisorError(f"--out {outs[0]} is given twice: give two different stores")
    if source.schema.skipped:
        notes.append(f"left out (not on the main dims): {', '.join(source.schema.skipped)}")

    if chunks:
        layouts = [_user_layout(schema, chunks, shards, patterns, len(outs), notes)]
    else:
        layouts = _advised_layouts(
            schema, patterns, shards, cluster, profile, band, len(outs), notes
        )
    prof = (profile or StorageProfile.preset("local")).for_codec(codec)
    ratio = 1.0 if codec.family == "none" else prof.compression_ratio
    return tuple(
        _plan_one(
            layout,
            out=Path(out),
            sources=sources,
            source_paths=source_paths,
            source=source,
            output=output,
            cluster=cluster,
            token=token,
            resample=resample,
            stats=stats,
            codec=codec,
            zarr_format=zarr_format,
            overwrite=overwrite,
            ratio=ratio,
            notes=notes,
            profile_origin=profile_origin,
        )
        for layout, out in zip(layouts, outs, strict=True)
    )


def _user_layout(
    schema: Schema,
    chunks: Mapping[str, int],
    shards: bool,
    patterns: Sequence[str | Pattern],
    n_outs: int,
    notes: list[str],
) -> _Layout:
    """The user's ``--chunks`` (dims not named kept whole), and shards grown from them along time."""
    dims, shape = schema.dims, schema.shape
    extra = sorted(set(chunks) - set(dims))
    if extra:
        raise AdvisorError(
            f"--chunks names {', '.join(extra)}, not a dimension of the output: "
            f"use {', '.join(dims)}"
        )
    if n_outs != 1:
        raise AdvisorError(
            "--chunks sets one layout and two --out were given: give one --out, "
            "or drop --chunks for the advisor's two copies"
        )
    chosen = tuple(min(int(chunks.get(d, n)), n) for d, n in zip(dims, shape, strict=True))
    whole = [d for d in dims if d not in chunks]
    if whole:
        notes.append(f"{', '.join(whole)} not in --chunks: kept whole")
    if patterns:
        notes.append("--chunks given: the chunks are yours, --pattern is not used")
    logger.debug("choosing the user's chunks %s", dict(zip(dims, chosen, strict=True)))
    shard_shape = None
    if shards:
        time_axis = schema.axis_of("time")
        if time_axis is None:
            raise AdvisorError(
                f"--shards grows your --chunks along time and none of {', '.join(dims)} is time: "
                "drop --chunks to let the advisor design the shards, or drop --shards"
            )
        shard_shape = grow_block(chosen, shape, schema.itemsize, SHARD_BYTES, [time_axis])
        logger.debug("choosing shards %s: the user's chunks grown along time", shard_shape)
    return _Layout(chosen, shard_shape, "user")


def _advised_layouts(
    schema: Schema,
    patterns: Sequence[str | Pattern],
    shards: bool,
    cluster: ClusterSpec,
    profile: StorageProfile | None,
    band: tuple[float | str, float | str],
    n_outs: int,
    notes: list[str],
) -> list[_Layout]:
    """The advisor's layout for the patterns, or its two copies when two outputs are given."""
    from advisor.plan.policy.copies import TWO_COPY_FACTOR
    from advisor.plan.policy.recommend import DEFAULT_PATTERNS, recommend

    given = list(patterns) or list(DEFAULT_PATTERNS)
    if not patterns:
        notes.append(f"no --pattern given: planned for {', '.join(DEFAULT_PATTERNS)}")
    advice = recommend(
        schema,
        given,
        profile=profile,
        min_size=band[0],
        max_size=band[1],
        worker_memory=cluster.memory_limit,
        threads_per_worker=cluster.threads_per_worker,
        shards=shards,
    )
    names = tuple(str(p) for p in advice.patterns)
    dims = schema.dims
    if n_outs == 1:
        if advice.two_copies is not None:
            two = advice.two_copies
            notes.append(
                f"one layout costs a pattern {two.worst_one_copy:.0f}x its best; two copies "
                f"({' | '.join(', '.join(c.patterns) for c in two.copies)}) would cut that to "
                f"{two.worst_two_copies:.1f}x: give two --out to write both"
            )
        picked = [(advice.pick, names, None)]
    else:
        two = advice.two_copies
        if two is None:
            worst = max(c.slowdown for c in advice.pick.costs)
            raise AdvisorError(
                f"two --out given, but one layout serves {', '.join(names)} within "
                f"{worst:.1f}x of each one's best (two copies are proposed from "
                f"{TWO_COPY_FACTOR:g}x): "
                "give one --out"
            )
        copies = sorted(two.copies, key=lambda c: names[0] not in c.patterns)
        picked = [
            (c.layout, c.patterns, f"copy {n} of 2: {', '.join(c.patterns)}")
            for n, c in enumerate(copies, start=1)
        ]
    layouts = []
    for layout, family, label in picked:
        logger.debug(
            "choosing the advisor's chunks %s, shards %s for %s",
            layout.chunk_dict,
            layout.shard_dict,
            ", ".join(family),
        )
        layouts.append(
            _Layout(
                tuple(int(layout.chunk_dict[d]) for d in dims),
                None if layout.shards is None else tuple(int(n) for n in layout.shards),
                "advisor",
                tuple(family),
                label,
            )
        )
    return layouts


def _plan_one(
    layout: _Layout,
    *,
    out: Path,
    sources: Sequence[str],
    source_paths: Sequence[Path],
    source: DatasetLayout,
    output: DatasetLayout,
    cluster: ClusterSpec,
    token: str,
    resample: str | None,
    stats: Mapping[str, Statistic],
    codec: CodecSpec,
    zarr_format: ZarrFormat,
    overwrite: bool,
    ratio: float,
    notes: Sequence[str],
    profile_origin: str,
) -> ApplyPlan:
    """The plan that writes ``output`` in ``layout`` to ``out``: grids, rechunk and estimates."""
    from advisor.plan.units import human_readable_size

    schema = output.schema
    dims, shape, variables = schema.dims, schema.shape, schema.variables
    notes = list(notes)
    write_chunks = layout.shards or layout.chunks
    write_grid = regular_grid(shape, write_chunks)
    method = choose_rechunk_method(output.grid, write_grid)
    time_axis = schema.axis_of("time")
    order = ([time_axis] if time_axis is not None else []) + [
        a for a in range(len(dims)) if a != time_axis
    ]
    verify_chunks = grow_block(write_chunks, shape, schema.itemsize, VERIFY_BYTES, order)
    verify_grid = regular_grid(shape, verify_chunks)
    nbytes = output.nbytes
    peak = estimate_peak_memory(
        source, output, write_grid, method, cluster.threads_per_worker, verify_grid
    )
    if peak > cluster.memory_limit:
        notes.append(
            f"estimated peak {human_readable_size(peak)} per worker is above the "
            f"{human_readable_size(cluster.memory_limit)} limit: workers will spill to disk"
        )
    resolved = out.resolve()
    return ApplyPlan(
        sources=tuple(sources),
        source_paths=tuple(source_paths),
        out=resolved,
        temp=resolved.with_name(f"{resolved.name}{TEMP_MARK}{token}"),
        variables=tuple(variables),
        dims=tuple(dims),
        shape=tuple(shape),
        itemsize=schema.itemsize,
        resample=resample,
        stats=tuple((v, stats.get(v, "mean")) for v in variables) if resample else (),
        patterns=layout.patterns,
        chunks=layout.chunks,
        chunks_from=layout.origin,
        shards=layout.shards,
        codec=codec,
        zarr_format=zarr_format,
        input_grid=output.grid,
        write_grid=write_grid,
        verify_chunks=verify_chunks,
        rechunk=method,
        source_nbytes=source.nbytes,
        nbytes=nbytes,
        assumed_ratio=ratio,
        stored_estimate=int(nbytes / ratio),
        scratch_bytes=nbytes if method == "p2p" else 0,
        peak_memory=peak,
        cluster=cluster,
        tasks=estimate_tasks(source, output, write_grid, method, verify_grid),
        overwrite=overwrite,
        notes=tuple(notes),
        profile_origin=profile_origin,
        copy=layout.copy,
    )
