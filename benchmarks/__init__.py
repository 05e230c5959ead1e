"""Shared helpers of the asv suites: the scale, the cached data, the layouts, the Dask client, skips.

Scale
    ``ADVISOR_BENCH_SCALE`` is ``tiny`` (four days, for the tests), ``small``
    (the default: January and February) or ``full`` (one calendar year hourly,
    as in the workflow); :data:`HOURS` gives the hours of each.

Data
    The hourly sample (:func:`advisor.run.sample.write_year`), its copies in other
    chunkings (:func:`advisor.run.workloads.save`), the daily dataset and the codec
    blocks are made once and kept under ``ADVISOR_BENCH_DATA`` (default
    ``~/.cache/chunk-advisor/bench``) in ``<scale>-model<N>/``, ``N`` being the
    sample model's version. Each appears by an atomic rename while a lock file
    is held, so concurrent asv processes never see half a store. The
    ``setup_cache`` of each suite makes what the suite needs; ``setup`` only
    opens it (asv calls ``setup`` before every timed call).

Client
    Everything that computes runs under :func:`advisor.run.cluster.dask_client`,
    started once per benchmark process (:func:`client`): the cluster at
    ``ADVISOR_SCHEDULER`` when that is set, else a LocalCluster sized to the
    machine whose workers are threads of the benchmark process, so that
    ``peakmem_`` sees the computation's memory and starting costs milliseconds.
    ``ADVISOR_BENCH_DASK=threads`` computes on Dask's threaded scheduler
    instead (the tests use it).

Skips
    :func:`skip` raises ``NotImplementedError``, which asv records as a skip.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, get_args

# asv's forkserver imports the suites once and forks a process per benchmark:
# importing the heavy libraries here makes each of those processes start in milliseconds.
import dask
import distributed  # noqa: F401
import flox  # noqa: F401
import numcodecs  # noqa: F401
import numpy as np
import xarray  # noqa: F401
import zarr  # noqa: F401

from advisor.plan import workflow
from advisor.plan.codecs import BLOSC_NAMES, DEFAULT_CODEC, SHUFFLES, CodecSpec
from advisor.run import workloads
from advisor.run.sample import SAMPLE_CHUNKS, write_year
from advisor.store.metadata import store_size
from advisor.synth.grid import MODEL_VERSION

if TYPE_CHECKING:
    from distributed import Client

    from advisor.plan.codecs import ZarrFormat
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

warnings.filterwarnings("ignore", "Consolidated metadata is currently not part", UserWarning)

Scale = Literal["tiny", "small", "full"]
SCALES: tuple[Scale, ...] = get_args(Scale)

SCALE_ENV = "ADVISOR_BENCH_SCALE"
"""Environment variable choosing the scale; ``small`` when unset."""

DATA_ENV = "ADVISOR_BENCH_DATA"
"""Environment variable naming the folder of the cached data."""

HOURS: dict[Scale, int] = {"tiny": 96, "small": 1416, "full": 8760}
"""Hours of sample data per scale: four days, January and February 2019, the year 2019."""

YEAR, SEED = 2019, 0
DIMS = ("time", "latitude", "longitude")

SETUP_TIMEOUT: dict[Scale, float] = {"tiny": 300.0, "small": 1200.0, "full": 7200.0}
"""Seconds a suite's ``setup_cache`` may take to make the data it needs for the first time."""

Layout = Literal["source", "workflow", "dask-auto", "zarr-guess", "advisor", "advisor-mix"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
"""The chunkings compared: the sample's own (744, 121, 161), the workflow's (32, 60, 80),
dask's ``chunks="auto"``, zarr's guess, the advisor's pick for the pattern at hand, and the
advisor's compromise for :data:`MIX`."""

MIX: tuple[str, ...] = ("point-series", "region-series", "map", "ml-batch", "full-scan")
"""The read patterns of the Access suite; ``advisor-mix`` serves them all, equally weighted."""

CLEVELS = (1, 3, 5, 9)
"""Compression levels swept for every compressor that has levels."""

TINY_CLEVELS = (3,)
"""The one level the tiny scale sweeps (the default codec's)."""


def scale() -> Scale:
    """The scale in force: ``ADVISOR_BENCH_SCALE``, default ``small``."""
    value = os.environ.get(SCALE_ENV, "").strip().lower() or "small"
    if value not in SCALES:
        raise ValueError(f"{SCALE_ENV}={value!r}: use one of {', '.join(SCALES)}")
    return value  # type: ignore[return-value]


def hours() -> int:
    """Hours of sample data at this scale."""
    return HOURS[scale()]


def setup_timeout() -> float:
    """:data:`SETUP_TIMEOUT` at this scale."""
    return SETUP_TIMEOUT[scale()]


def skip(reason: str) -> NoReturn:
    """Skip this benchmark: asv records a ``NotImplementedError`` raised in ``setup`` as skipped."""
    raise NotImplementedError(reason)


def codec_grid(levels: Sequence[int] | None = None) -> list[str]:
    """Every codec of the sweep, as :class:`~advisor.plan.codecs.CodecSpec` strings.

    No compression; each Blosc compressor at each level with no, byte and bit
    shuffle; Zstd and Gzip at each level. The levels are :data:`CLEVELS`, or
    :data:`TINY_CLEVELS` at the tiny scale (a smoke run: every compressor and
    shuffle, one level; ``tests/test_codecs.py`` checks every level of the full
    sweep).

    Examples
    --------
    >>> grid = codec_grid(CLEVELS)
    >>> len(grid), grid[0], grid[1], grid[-1]
    (69, 'none', 'blosc:lz4:1:noshuffle', 'gzip:9')
    >>> len(codec_grid(TINY_CLEVELS))
    18
    """
    if levels is None:
        levels = TINY_CLEVELS if scale() == "tiny" else CLEVELS
    grid = [CodecSpec.parse("none")]
    grid += [
        CodecSpec("blosc", cname, level, shuffle)
        for cname in BLOSC_NAMES
        for level in levels
        for shuffle in SHUFFLES
    ]
    grid += [
        CodecSpec(family, None, level, None) for family in ("zstd", "gzip") for level in levels
    ]
    return [str(spec) for spec in grid]


# ----------------------------------------------------------------------------- the data cache


def data_dir() -> Path:
    """The cache folder of this scale and sample model (made on demand)."""
    root = os.environ.get(DATA_ENV) or Path.home() / ".cache" / "chunk-advisor" / "bench"
    path = Path(root) / f"{scale()}-model{MODEL_VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


_HELD: list[Path] = []


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """Hold the cache's lock file: one maker at a time across processes (re-entrant in one)."""
    path = data_dir() / ".lock"
    if path in _HELD:
        yield
        return
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD.append(path)
        try:
            yield
        finally:
            _HELD.remove(path)
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached(path: Path, make: Callable[[Path], None]) -> Path:
    """``path``; if it is missing, ``make`` writes a temporary sibling that is renamed to it."""
    if path.exists():
        return path
    with _lock():
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                make(tmp)
                tmp.rename(path)
                logger.info("made %s", path)
            finally:
                remove(tmp)
    return path


def sample_store() -> Path:
    """The hourly sample of this scale: 2019 from January 1, :func:`hours` hours, seed 0."""

    def make(tmp: Path) -> None:
        client()
        tmp.mkdir()
        write_year(tmp, YEAR, hours=hours(), seed=SEED).rename(tmp / "hourly.zarr")

    return cached(data_dir() / "sample", make) / "hourly.zarr"


def store_name(chunks: Mapping[str, int], codec: CodecSpec, zarr_format: ZarrFormat) -> str:
    """The cache's name for a copy with ``chunks``, ``codec`` and ``zarr_format``.

    Examples
    --------
    >>> store_name({"time": 32, "latitude": 60, "longitude": 80}, DEFAULT_CODEC, 3)
    'time32-latitude60-longitude80_blosc-zstd-3-shuffle_v3.zarr'
    """
    dims = "-".join(f"{d}{int(n)}" for d, n in chunks.items())
    return f"{dims}_{str(codec).replace(':', '-')}_v{zarr_format}.zarr"


def layout_store(
    chunks: Mapping[str, int], codec: CodecSpec = DEFAULT_CODEC, zarr_format: ZarrFormat = 3
) -> Path:
    """The hourly sample rewritten in ``chunks`` with ``codec`` (by the workflow's save step)."""
    source = sample_store()

    def make(tmp: Path) -> None:
        client()
        workloads.save(workloads.open_for_compute(source), tmp, chunks, codec, zarr_format)

    return cached(data_dir() / "layouts" / store_name(chunks, codec, zarr_format), make)


def daily_store() -> Path:
    """The workflow's daily statistics of the sample, uncompressed, in the workflow's chunks."""
    source = sample_store()

    def make(tmp: Path) -> None:
        client()
        hourly = workloads.open_for_compute(source)
        daily = workloads.resample(hourly, stats=workflow.WORKFLOW_STATS)
        workloads.save(daily, tmp, workflow.WORKFLOW_CHUNKS, CodecSpec.parse("none"), 3)

    return cached(data_dir() / "daily.zarr", make)


def block(variable: str, shape: Sequence[int]) -> np.ndarray:
    """A chunk-sized block of ``variable`` as stored in the sample (kept as ``.npy``).

    It starts a day into the data and sits in the middle of the grid, over land and sea.
    """

    def make(tmp: Path) -> None:
        ds = workloads.open_for_reads(sample_store())
        starts = (
            min(24, ds.sizes["time"] - shape[0]),
            (ds.sizes["latitude"] - shape[1]) // 2,
            (ds.sizes["longitude"] - shape[2]) // 2,
        )
        box = {d: slice(a, a + n) for d, a, n in zip(DIMS, starts, shape, strict=True)}
        data = workloads.read(ds, box, [variable])[variable]
        with tmp.open("wb") as handle:
            np.save(handle, np.ascontiguousarray(data))

    name = f"{variable}-{'x'.join(str(int(n)) for n in shape)}.npy"
    return np.load(cached(data_dir() / "blocks" / name, make))


def scratch(label: str) -> Path:
    """A fresh path for a benchmark's output, beside the cached data (the same disk)."""
    folder = data_dir() / "scratch"
    folder.mkdir(exist_ok=True)
    return folder / f"{label}-{os.getpid()}-{uuid.uuid4().hex[:8]}.zarr"


def remove(path: Path | None) -> None:
    """Delete ``path`` (a store, a folder or a file) if it is there."""
    if path is None:
        return
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def stored_bytes(path: Path) -> int:
    """Bytes of all files of a store: chunks and metadata."""
    return store_size(path)[0]


# ----------------------------------------------------------------------------- layouts


@functools.cache
def schema_of(path: Path) -> Schema:
    """The advisor's view of a store (:func:`advisor.store.metadata.load_schema`, metadata only)."""
    from advisor.store.metadata import load_schema

    return load_schema(str(path))


@functools.cache
def advisor_chunks(schema: Schema, patterns: tuple[str, ...]) -> dict[str, int]:
    """The advisor's chunks for ``patterns`` (:func:`advisor.plan.policy.recommend.recommend`)."""
    from advisor.plan.policy.recommend import recommend

    return {str(d): int(n) for d, n in recommend(schema, patterns).chunks.items()}


def layout_chunks(layout: Layout, schema: Schema, pattern: str | None = None) -> dict[str, int]:
    """The chunks ``layout`` gives an array described by ``schema``, clipped to its shape.

    ``advisor`` is the advisor's pick for ``pattern``; ``advisor-mix`` its
    compromise for :data:`MIX`; ``dask-auto`` what ``.chunk("auto")`` gives
    (:func:`advisor.plan.references.dask_auto_chunks`); ``zarr-guess`` what zarr
    picks when given no chunks (:func:`advisor.plan.references.zarr_guess_chunks`).
    """
    from advisor.plan.references import dask_auto_chunks, zarr_guess_chunks

    shape, itemsize = schema.shape, schema.itemsize
    if layout == "source":
        chunks = dict(zip(DIMS, SAMPLE_CHUNKS, strict=True))
    elif layout == "workflow":
        chunks = dict(workflow.WORKFLOW_CHUNKS)
    elif layout == "dask-auto":
        chunks = dict(zip(schema.dims, dask_auto_chunks(shape, itemsize), strict=True))
    elif layout == "zarr-guess":
        chunks = dict(zip(schema.dims, zarr_guess_chunks(shape, itemsize), strict=True))
    elif layout == "advisor":
        if pattern is None:
            raise ValueError("the advisor's layout is per pattern: give one")
        chunks = advisor_chunks(schema, (pattern,))
    elif layout == "advisor-mix":
        chunks = advisor_chunks(schema, MIX)
    else:
        raise ValueError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    sizes = schema.sizes
    return {d: min(int(chunks.get(d, sizes[d])), sizes[d]) for d in schema.dims}


# ----------------------------------------------------------------------------- the client

DaskMode = Literal["cluster", "threads"]
DASK_ENV = "ADVISOR_BENCH_DASK"
"""``cluster`` (default): compute under :func:`advisor.run.cluster.dask_client`; ``threads``: on
Dask's threaded scheduler, with no cluster (the tests' fast path: there the cluster is not the point)."""

_CLIENTS: list[Client] = []
_STACK = contextlib.ExitStack()


def dask_mode() -> DaskMode:
    """The value of ``ADVISOR_BENCH_DASK``."""
    value = os.environ.get(DASK_ENV, "").strip().lower() or "cluster"
    if value not in get_args(DaskMode):
        raise ValueError(f"{DASK_ENV}={value!r}: use cluster or threads")
    return value  # type: ignore[return-value]


def client() -> Client | None:
    """This process's Dask client (:func:`advisor.run.cluster.dask_client`), started on first use.

    ``ADVISOR_SCHEDULER`` points it at an existing cluster; without it, a
    LocalCluster sized to the machine with threads for workers. None with
    ``ADVISOR_BENCH_DASK=threads``.
    """
    if dask_mode() == "threads":
        logger.debug("choosing dask's threaded scheduler")
        return None
    if not _CLIENTS:
        from advisor.run.cluster import dask_client

        logger.debug("choosing the cluster of advisor.run.cluster.dask_client")
        _CLIENTS.append(_STACK.enter_context(dask_client(processes=False, quiet=True)))
    return _CLIENTS[0]


def close_client() -> None:
    """Close this process's client and its LocalCluster, if they were started."""
    _CLIENTS.clear()
    _STACK.close()


atexit.register(close_client)


def _warm_up() -> None:
    """Save and resample a tiny in-memory dataset once, in this process.

    asv forks every benchmark from a process that imported this package; what
    this fills in that process (type checks, tokenizers, codec registries) each
    forked process would otherwise fill again, about 0.2 s of every short
    benchmark. Fork-safe: Dask's synchronous scheduler starts no threads, zarr
    restarts its I/O thread in a forked process, and nothing is compressed with
    Blosc (whose thread pool would not survive a fork).
    """
    import xarray as xr
    from zarr.storage import MemoryStore

    time = np.arange(48).astype("datetime64[h]").astype("datetime64[ns]")
    ds = xr.Dataset({"v": (DIMS, np.zeros((48, 2, 2), "f4"))}, coords={"time": time})
    with dask.config.set(scheduler="sync"):
        daily = workloads.resample(ds.chunk(time=24)).compute()
        workloads.save(
            daily, MemoryStore(), dict(zip(DIMS, (1, 2, 2), strict=True)), DEFAULT_CODEC, 3
        )


_warm_up()


# ----------------------------------------------------------------------------- seeded draws


@functools.cache
def rng(*key: object) -> np.random.Generator:
    """This process's generator for ``key`` (e.g. the benchmark's name and parameters).

    Seeded by ``key``: every run draws the same sequence, and the successive
    ``setup`` calls of one benchmark draw successive values of it.

    Examples
    --------
    >>> rng("demo", 1) is rng("demo", 1), int(rng("other").integers(10**6)) >= 0
    (True, True)
    """
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
