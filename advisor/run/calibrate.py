"""Measure the cost model's constants on this machine and store (``advisor calibrate``).

What is measured goes through the workloads' own path (:mod:`advisor.run.workloads`),
so what is calibrated is what is predicted: a month of the sample
(:func:`advisor.run.sample.era5_like`) is written to the store under test in a few
chunkings (:data:`LAYOUTS`, with the encoding :func:`advisor.run.workloads.save`
gives); accesses drawn by :func:`advisor.run.workloads.draw_accesses` are read back
with zarr-python, and scans and resamples run on Dask
(:func:`advisor.run.workloads.replay`); each codec of :data:`CODECS` encodes and
decodes real sample blocks with numcodecs, in one thread as zarr-python does.

The model's seconds are linear in its rates (:attr:`advisor.plan.cost.scores.Scores.terms`),
so the constants are fitted by non-negative least squares on relative errors
(:func:`fit_rates`): the per-request overhead, latency and bandwidth from the
reads (the decode speed is the codec's), then Dask's per-task and
per-computation overheads, the reduction speed and the grouping overhead from
the scans and resamples. Fitting is pure; :func:`calibrate` does the I/O.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import logging
import math
import shutil
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.plan.cost.scores import TERMS, rates, score
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import REDUCTIONS, parse_pattern
from advisor.plan.profile import PRESETS, CodecSpeed, StorageProfile
from advisor.store.encoding import numcodecs_compressor

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

HOURS = 744
"""Hours of the sample written to the store under test (January: 58 MB of CAPE)."""

VARIABLE = "cape"
"""The sample variable the reads and scans use."""

LAYOUTS: dict[str, tuple[int, int, int]] = {
    "whole": (744, 121, 161),
    "days": (24, 121, 161),
    "steps": (4, 121, 161),
    "series": (744, 16, 16),
    "points": (744, 4, 4),
}
"""Chunkings of the month: 58 MB, 1.9 MB, 312 kB, 762 kB and 48 kB chunks."""

ACCESSES: tuple[tuple[str, str], ...] = (
    ("whole", "map"),
    ("days", "map"),
    ("steps", "map"),
    ("series", "point-series"),
    ("points", "point-series"),
    ("days", "point-series"),
    ("steps", "point-series"),
    ("series", "map"),
    ("points", "map"),
    ("points", "ml-batch"),
    ("whole", "full-scan"),
    ("whole", "resample"),
    ("days", "full-scan"),
    ("series", "full-scan"),
    ("steps", "full-scan"),
    ("days", "resample"),
)
"""(layout, pattern) pairs timed: single chunks of five sizes, reads of 16 to 1271 chunks, and
Dask reductions of 1 to 186 chunks."""

CODECS: tuple[str, ...] = (
    str(DEFAULT_CODEC),
    "blosc:lz4:5:shuffle",
    "blosc:zstd:5:bitshuffle",
    "zstd:3",
    "gzip:5",
)
"""Codecs whose decode and encode speeds and ratios are measured on the sample's blocks."""

BLOCK_HOURS = 24
"""Time steps of the sample blocks the codecs are timed on (one day of the full grid)."""

GROUP_TIMES: tuple[int, ...] = (24, 744, 2232, 8760)
"""Time steps of the blocks flox's grouped reduction is timed on (a day to a year of hours)."""

GROUP_BYTES: tuple[float, ...] = (2.5e6, 10e6, 40e6, 100e6)
"""Sizes of those blocks: from inside the caches to the top of the chunk band."""

FLOORS: dict[str, float] = {
    "request_overhead": 1e-6,
    "latency": 1e-7,
    "bandwidth": 1e-13,
    "decode_speed": 1e-13,
    "task_overhead": 1e-6,
    "combine_speed": 1e-13,
    "compute_overhead": 1e-4,
    "reduce_speed": 1e-13,
    "group_overhead": 1e-4,
}
"""Smallest rate kept per term (a rate fitted to zero would make the profile invalid)."""

CONSOLIDATED_WARNING = "Consolidated metadata is currently not part"
"""zarr's warning on consolidated metadata in format 3 (which xarray reads fastest)."""

TimingKind = Literal["read", "scan"]


@dataclass(frozen=True, slots=True)
class Timing:
    """One timed access: where, how many chunks and tasks, measured and predicted seconds."""

    layout: str
    chunks: tuple[int, ...]
    pattern: str
    kind: TimingKind
    chunks_touched: float
    tasks: float
    decoded_bytes: float
    seconds: float
    """Median over the repeats."""
    predicted: float = math.nan
    """By the calibrated profile."""
    terms: tuple[float, ...] = ()
    """The model's terms for this access (see :data:`advisor.plan.cost.scores.TERMS`)."""

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("terms")
        return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """What ``advisor calibrate`` measured and the profile fitted to it."""

    profile: StorageProfile
    timings: tuple[Timing, ...]
    trivial_task_overhead: float
    """Seconds per task of a graph of trivial tasks (the scheduler's floor, for reference)."""
    store: str
    elapsed: float

    def errors(self) -> np.ndarray:
        """``predicted / measured`` per timing."""
        return np.array([t.predicted / t.seconds for t in self.timings])

    def constants(self) -> list[tuple[str, str]]:
        """The fitted constants as ``(name, value with unit)`` rows."""
        from advisor.plan.units import human_readable_size as size

        p = self.profile
        return [
            ("request overhead", f"{p.request_overhead * 1e3:.3g} ms per chunk"),
            ("latency", f"{p.latency * 1e3:.3g} ms per request"),
            ("read bandwidth", f"{size(p.bandwidth)}/s of stored bytes"),
            ("decode speed", f"{size(p.decode_speed)}/s per thread ({DEFAULT_CODEC.label})"),
            ("compression ratio", f"{p.compression_ratio:.3g} ({DEFAULT_CODEC.label})"),
            ("threads", f"{p.threads} (Dask threads and decode threads)"),
            ("requests in flight", f"{p.concurrency} (zarr's async.concurrency)"),
            ("Dask task overhead", f"{p.task_overhead * 1e3:.3g} ms per task"),
            ("trivial Dask task", f"{self.trivial_task_overhead * 1e3:.3g} ms per task"),
            ("Dask computation", f"{p.compute_overhead * 1e3:.3g} ms per scan or resample"),
            ("grouping", f"{p.group_overhead * 1e3:.3g} ms more per resample"),
            ("reduction speed", f"{size(p.reduce_speed)}/s per thread (flox, in cache)"),
            ("grouped reduction slowdown", _grid_text(p)),
        ]

    def to_dict(self) -> dict[str, Any]:
        errors = self.errors()
        return {
            "profile": dataclasses.asdict(self.profile),
            "timings": [t.to_dict() for t in self.timings],
            "trivial_task_overhead": self.trivial_task_overhead,
            "median_error": float(np.median(np.abs(np.log(errors)))),
            "store": self.store,
            "elapsed": self.elapsed,
        }


def fit_rates(
    terms: np.ndarray, seconds: np.ndarray, fixed: np.ndarray, free: Sequence[int]
) -> np.ndarray:
    """Rates (see :func:`advisor.plan.cost.scores.rates`) that best explain ``seconds``, the ``free`` ones fitted.

    Minimises the squared *relative* error ``(terms @ rates - seconds) / seconds``
    over non-negative values of the rates at ``free`` (the others keep their
    value in ``fixed``), by trying every subset of them as the ones that are
    positive (an exact non-negative least squares for a few unknowns).

    Examples
    --------
    >>> terms = np.array([[1, 1, 0], [10, 1, 0], [100, 1, 1e6]], dtype=float)
    >>> true = np.array([2e-4, 1e-4, 1e-9])
    >>> fit_rates(terms, terms @ true, np.zeros(3), [0, 1, 2]).round(12).tolist()
    [0.0002, 0.0001, 1e-09]
    """
    terms = np.asarray(terms, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    free = list(free)
    rest = [i for i in range(terms.shape[1]) if i not in free]
    weight = 1 / seconds
    target = (seconds - terms[:, rest] @ np.asarray(fixed, dtype=float)[rest]) * weight
    design = terms[:, free] * weight[:, None]
    best, best_loss = np.zeros(len(free)), float(np.sum(target**2))
    for size in range(1, len(free) + 1):
        for subset in itertools.combinations(range(len(free)), size):
            columns = design[:, list(subset)]
            if not np.any(columns):
                continue
            solution, *_ = np.linalg.lstsq(columns, target, rcond=None)
            if (solution < 0).any():
                continue
            loss = float(np.sum((columns @ solution - target) ** 2))
            if loss < best_loss * (1 - 1e-12):
                best, best_loss = np.zeros(len(free)), loss
                best[list(subset)] = solution
    out = np.asarray(fixed, dtype=float).copy()
    out[free] = best
    return out


def profile_from_rates(base: StorageProfile, values: np.ndarray, **extra: Any) -> StorageProfile:
    """``base`` with the constants of :data:`~advisor.plan.cost.scores.TERMS` set from ``values`` (floored).

    Examples
    --------
    >>> values = np.array([1e-4, 0, 1e-9, 1e-9, 2e-3, 1e-9, 0.1, 1e-9, 0.2])
    >>> p = profile_from_rates(StorageProfile(), values)
    >>> p.request_overhead, p.latency, round(p.bandwidth), p.task_overhead
    (0.0001, 1e-07, 1000000000, 0.002)
    """
    changes: dict[str, Any] = {}
    for name, value in zip(TERMS, values, strict=True):
        value = max(float(value), FLOORS[name])
        changes[name] = 1 / value if name.endswith("speed") or name == "bandwidth" else value
    return base.with_overrides(**changes, **extra)


def calibrate(
    store: str | None = None,
    client: Client | None = None,
    *,
    repeats: int = 5,
    codecs: Sequence[str] = CODECS,
    hours: int = HOURS,
) -> Calibration:
    """Measure and fit a :class:`StorageProfile` on ``store`` (a folder or fsspec URL; default
    a temporary folder on the local disk), computing on ``client`` (the current Dask client
    when None). ``hours`` of the sample are written (the layouts' time chunks are clipped to
    it). Everything written is removed at the end.
    """
    from distributed import default_client

    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    if not 24 <= hours <= 8760:
        raise AdvisorError(f"--hours {hours}: give 24 to 8760 hours of sample")
    specs = [CodecSpec.parse(c) for c in codecs]
    client = client or default_client()
    started = time.perf_counter()
    threads = max(1, sum(client.nthreads().values()))
    with _workdir(store) as (root, label), warnings.catch_warnings():
        warnings.filterwarnings("ignore", CONSOLIDATED_WARNING)
        blocks = _blocks()
        speeds = [_codec_speed(spec, blocks) for spec in specs if spec.family != "none"]
        logger.debug("codecs timed after %.1f s", time.perf_counter() - started)
        reduce_speed, grid = group_reduction_grid()
        logger.debug("grouped reductions timed after %.1f s", time.perf_counter() - started)
        base = PRESETS["local"].with_overrides(
            threads=threads,
            concurrency=_zarr_concurrency(),
            codec_speeds=tuple(speeds),
            reduce_speed=reduce_speed,
            group_grid=grid,  # type: ignore[arg-type]
        )
        base = base.for_codec(DEFAULT_CODEC)
        paths = _write_layouts(_sample(hours), root, hours)
        logger.debug("layouts written after %.1f s", time.perf_counter() - started)
        timings = []
        for layout, pattern in ACCESSES:
            timings.append(_time_access(paths[layout], layout, pattern, base, repeats, hours))
            logger.debug(
                "%s on %s timed after %.1f s", pattern, layout, time.perf_counter() - started
            )
        trivial = trivial_task_overhead(client)
    profile = fit_profile(base, timings, trivial)
    profile = profile.with_overrides(
        name="calibrated", calibrated=_describe(label, client, threads)
    )
    fitted = rates(profile)
    timings = [
        dataclasses.replace(t, predicted=float(np.asarray(t.terms) @ fitted)) for t in timings
    ]
    return Calibration(
        profile=profile,
        timings=tuple(timings),
        trivial_task_overhead=trivial,
        store=label,
        elapsed=time.perf_counter() - started,
    )


def fit_profile(
    base: StorageProfile, timings: Sequence[Timing], trivial_task: float
) -> StorageProfile:
    """Fit the read constants to the reads, then the Dask task overhead to the scans.

    The request overhead, latency and bandwidth come from the reads (with the
    decode speed measured per codec kept); Dask's per-task and per-computation
    overheads and the grouping's overhead from what the scans and resamples
    took beyond their reads and their grouped reduction (whose speed per block
    shape, :func:`group_reduction_grid`, is measured directly and kept). A fit of zero falls back on the floors of
    :data:`FLOORS`, and the task overhead on ``trivial_task``.
    """
    fixed = rates(base)
    reads = [t for t in timings if t.kind == "read"]
    scans = [t for t in timings if t.kind == "scan"]
    index = {name: i for i, name in enumerate(TERMS)}
    fitted = fixed
    if reads:
        free = [index["request_overhead"], index["latency"], index["bandwidth"]]
        fitted = fit_rates(
            np.array([t.terms for t in reads]), np.array([t.seconds for t in reads]), fitted, free
        )
    if scans:
        fitted = fit_rates(
            np.array([t.terms for t in scans]),
            np.array([t.seconds for t in scans]),
            fitted,
            [index["task_overhead"], index["compute_overhead"], index["group_overhead"]],
        )
    if fitted[index["task_overhead"]] <= 0:
        fitted[index["task_overhead"]] = trivial_task
    logger.debug("fitted rates %s", dict(zip(TERMS, fitted.tolist(), strict=True)))
    return profile_from_rates(base, fitted)


def group_reduction_grid(
    times: Sequence[int] = GROUP_TIMES, sizes: Sequence[float] = GROUP_BYTES, repeats: int = 2
) -> tuple[float, tuple[tuple[float, float, float], ...]]:
    """Time flox's grouped reduction (a daily ``nanmean``, as ``resample("1D").mean()`` runs it
    per block) on float32 blocks of ``times`` steps and ``sizes`` bytes, in one thread.

    Returns the fastest speed (bytes per second: the profile's ``reduce_speed``) and the
    ``(time steps, bytes, slowdown)`` grid against it (the profile's ``group_grid``). The block
    is handed over with time last, as xarray hands it to flox.
    """
    from flox.core import groupby_reduce

    rng = np.random.default_rng(0)
    groupby_reduce(np.ones((1, 48), dtype=np.float32), np.arange(48) // 24, func="nanmean")
    per_byte = {}
    for steps in times:
        labels = np.arange(steps) // 24
        for size in sizes:
            space = max(1, int(size / 4 / steps))
            block = rng.random((steps, space), dtype=np.float32)
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                groupby_reduce(block.T, labels, func="nanmean", axis=-1)
                best = min(best, time.perf_counter() - start)
            per_byte[steps, size] = best / block.nbytes
    fastest = min(per_byte.values())
    grid = tuple((float(t), float(b), v / fastest) for (t, b), v in per_byte.items())
    return 1 / fastest, grid


def _grid_text(profile: StorageProfile) -> str:
    """The slowdowns of the grouped reduction's grid, e.g. ``1-3.7x (most: 8760 steps, 100 MB)``."""
    from advisor.plan.units import human_readable_size as size

    if not profile.group_grid:
        return "none"
    low = min(g[2] for g in profile.group_grid)
    t, b, high = max(profile.group_grid, key=lambda g: g[2])
    return f"{low:.2g}-{high:.2g}x (most: blocks of {t:g} steps, {size(b)})"


def trivial_task_overhead(client: Client, n: int = 200) -> float:
    """Seconds per task of a tree sum over ``n`` one-element chunks on ``client``."""
    import dask.array as da

    da.ones(8, chunks=1).sum().compute()  # warm the scheduler and workers
    total = da.ones(n, chunks=1).sum()
    tasks = len(total.__dask_graph__())
    start = time.perf_counter()
    total.compute()
    return (time.perf_counter() - start) / tasks


def check_store(store: str | None) -> None:
    """Raise :class:`AdvisorError` if ``store`` cannot hold the calibration stores (a local
    folder must be one, or be creatable; a URL needs its fsspec filesystem installed)."""
    if store is None:
        return
    if "://" in store:
        import fsspec

        try:
            fsspec.core.url_to_fs(store)
        except (ImportError, ValueError) as exc:
            raise AdvisorError(f"cannot use the store {store!r}: {exc}") from None
        return
    folder = Path(store).expanduser()
    if folder.exists() and not folder.is_dir():
        raise AdvisorError(f"--store {store} is a file: give a folder (or a URL) to write into")
    existing = next((f for f in (folder, *folder.absolute().parents) if f.exists()), None)
    if existing is None or not existing.is_dir():
        raise AdvisorError(f"--store {store}: {existing} is not a folder; choose another --store")


@contextmanager
def _workdir(store: str | None) -> Iterator[tuple[str | Path, str]]:
    """A fresh folder for the calibration stores inside ``store``, removed afterwards."""
    name = f"advisor-calibrate-{uuid.uuid4().hex[:8]}"
    if store is None:
        root = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            yield root, f"a temporary folder on the local disk ({root.parent})"
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    check_store(store)
    if "://" in store:
        import fsspec

        fs, base = fsspec.core.url_to_fs(store)
        url = f"{store.rstrip('/')}/{name}"
        try:
            yield url, store
        finally:
            with _ignored_errors():
                fs.rm(f"{base.rstrip('/')}/{name}", recursive=True)
        return
    folder = Path(store).expanduser()
    try:
        (folder / name).mkdir(parents=True)
    except OSError as exc:
        raise AdvisorError(
            f"cannot write into --store {store} ({exc.strerror}): choose a writable folder"
        ) from None
    try:
        yield folder / name, str(folder.resolve())
    finally:
        shutil.rmtree(folder / name, ignore_errors=True)


@contextmanager
def _ignored_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # cleanup of a remote store must not hide the result
        logger.warning("could not remove the calibration stores: %s", exc)


def _sample(hours: int) -> xr.Dataset:
    """``hours`` hours of the sample's :data:`VARIABLE`, in memory."""
    from advisor.run.sample import era5_like

    return era5_like(2019, hours=hours)[[VARIABLE]].compute(scheduler="synchronous")


def _blocks() -> list[np.ndarray]:
    """A day of each sample variable, from the middle of the month."""
    from advisor.synth.fields import generate_block
    from advisor.synth.grid import VARIABLES, hours_since_epoch

    start = hours_since_epoch(2019) + HOURS // 2
    return [generate_block(v, start, BLOCK_HOURS) for v in VARIABLES]


def _codec_speed(spec: CodecSpec, blocks: Sequence[np.ndarray], repeats: int = 3) -> CodecSpeed:
    """Encode and decode ``blocks`` in one worker thread, as zarr-python does (Blosc then uses
    no threads of its own); the best of ``repeats`` per block."""
    from concurrent.futures import ThreadPoolExecutor

    codec = numcodecs_compressor(spec)

    def timed(block: np.ndarray) -> tuple[float, float, int]:
        encode = decode = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            encoded = codec.encode(block)
            encode = min(encode, time.perf_counter() - start)
            start = time.perf_counter()
            codec.decode(encoded)
            decode = min(decode, time.perf_counter() - start)
        return encode, decode, len(encoded)

    with ThreadPoolExecutor(1) as pool:
        results = list(pool.map(timed, blocks))
    decoded = float(sum(b.nbytes for b in blocks))
    return CodecSpeed(
        codec=str(spec),
        decode_speed=decoded / sum(r[1] for r in results),
        encode_speed=decoded / sum(r[0] for r in results),
        compression_ratio=decoded / sum(r[2] for r in results),
    )


def _zarr_concurrency() -> int:
    import zarr

    return max(1, int(zarr.config.get("async.concurrency") or 10))


def _write_layouts(ds: xr.Dataset, root: str | Path, hours: int) -> dict[str, str | Path]:
    """The month written once per chunking of :data:`LAYOUTS` (zarr 3, the default codec, the
    encoding :func:`advisor.run.workloads.save` gives; from memory, so no Dask task writes)."""
    from advisor.store.encoding import encoding_for

    paths: dict[str, str | Path] = {}
    for name, chunks in LAYOUTS.items():
        path = root / f"{name}.zarr" if isinstance(root, Path) else f"{root}/{name}.zarr"
        chunks = _clip(chunks, hours)
        encoding = encoding_for([VARIABLE], chunks, DEFAULT_CODEC, 3, ds[VARIABLE].dtype.itemsize)
        ds.to_zarr(path, mode="w-", encoding=encoding, zarr_format=3, consolidated=True)
        paths[name] = path
    return paths


def _clip(chunks: tuple[int, ...], hours: int) -> tuple[int, ...]:
    return (min(chunks[0], hours), *chunks[1:])


def _schema(chunks: tuple[int, ...], hours: int) -> Schema:
    from advisor.plan.schema import Schema

    return Schema(
        ("time", "latitude", "longitude"),
        (hours, 121, 161),
        4,
        "float32",
        time_step=3600.0,
        time_start="2019-01-01T00:00:00",
        chunks=chunks,
        variables=(VARIABLE,),
    )


def _time_access(
    path: str | Path, layout: str, text: str, profile: StorageProfile, repeats: int, hours: int
) -> Timing:
    """Median seconds of ``repeats`` accesses of pattern ``text`` (after one untimed)."""
    from advisor.run import workloads

    pattern = parse_pattern(text)
    chunks = _clip(LAYOUTS[layout], hours)
    schema = _schema(chunks, hours)
    reduction = pattern.kind in REDUCTIONS
    if reduction:
        ds = workloads.open_for_compute(path)
        repeats = max(1, repeats // 3)  # a Dask computation varies less than a read
    else:
        ds = workloads.open_for_reads(path)
    if not reduction or layout == "whole":  # reductions warm up once, on the one-chunk layout
        workloads.replay(ds, pattern, schema, 1, seed=0, variable=VARIABLE)
    seconds = workloads.replay(ds, pattern, schema, repeats, seed=1, variable=VARIABLE)
    scores = score(schema, np.array([chunks]), [pattern], profile)
    timing = Timing(
        layout=layout,
        chunks=chunks,
        pattern=str(pattern),
        kind="scan" if reduction else "read",
        chunks_touched=float(scores.chunks_touched[0, 0]),
        tasks=float(scores.tasks[0, 0]),
        decoded_bytes=float(scores.bytes_read[0, 0]),
        seconds=statistics.median(seconds),
        terms=tuple(float(x) for x in scores.terms[0, 0]),
    )
    logger.debug("timed %s on %s: %.4g s", text, layout, timing.seconds)
    return timing


def _describe(label: str, client: Client, threads: int) -> str:
    import zarr

    workers = len(client.nthreads())
    when = datetime.datetime.now().isoformat(timespec="minutes")
    return (
        f"{when} on {label}: {workers} Dask worker(s), {threads} thread(s) in all, "
        f"zarr {zarr.__version__}"
    )
