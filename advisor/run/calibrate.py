"""Measure the cost model's constants on this machine and store (``advisor calibrate``).

What is measured goes through the workloads' own path (:mod:`advisor.run.workloads`),
so what is calibrated is what is predicted: a month of the sample
(:func:`advisor.run.sample.era5_like`) is written to the store under test in a few
chunkings (:data:`LAYOUTS`, with the encoding :func:`advisor.run.workloads.save`
gives); accesses drawn by :func:`advisor.run.workloads.draw_accesses` are read back
with zarr-python, and scans and resamples run on Dask
(:func:`advisor.run.workloads.replay`); each codec of :data:`CODECS` encodes and
decodes real sample blocks with numcodecs, in one thread as zarr-python does.

The constants are fitted to the timings by :func:`advisor.plan.fit.fit_profile`
(pure); this module does the I/O and the timing.

On an object store (a URL but ``file://``) the requests are measured first, on their own
(:func:`advisor.run.probe_store.probe_store`: first-byte latency, per-stream and total
bandwidth, the concurrency that still helps); those constants are kept and the reads fit the
per-chunk overhead only. Fewer accesses are timed there (:data:`OBJECT_ACCESSES`: no layout
of a thousand chunks), so a calibration against a store 20 ms away takes well under a minute.
Every profile records the store's backend, its endpoint host and the zarr version.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import math
import statistics
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.plan.cost.scores import score
from advisor.plan.engine import Engine, engine_speed_of
from advisor.plan.errors import AdvisorError
from advisor.plan.fit import READ_CONSTANTS, Calibration, Timing, fit_profile, with_predictions
from advisor.plan.location import parse_url
from advisor.plan.patterns import REDUCTIONS, parse_pattern
from advisor.plan.profile import PRESETS, CodecSpeed, StorageProfile
from advisor.run.engines import describe, engine_of, threads_of
from advisor.run.machine_speeds import group_reduction_grid, trivial_task_overhead
from advisor.run.probe_store import backend_of, probe_store, zarr_version
from advisor.run.scratch import calibration_folder, consolidated_quietly
from advisor.store.encoding import numcodecs_compressor
from advisor.store.locations import Where, zarr_store
from advisor.store.zarr_reads import installed_zarr_reads

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

HOURS = 2232
"""Hours of the sample written to the store under test (January to March: 174 MB of CAPE, so
that the scans see month-long blocks of 58 MB three at a time, as a year's scan does)."""

VARIABLE = "cape"
"""The sample variable the reads and scans use."""

LAYOUTS: dict[str, tuple[int, int, int]] = {
    "months": (744, 121, 161),
    "weeks": (168, 121, 161),
    "days": (24, 121, 161),
    "steps": (4, 121, 161),
    "series": (744, 16, 16),
    "points": (744, 4, 4),
}
"""Chunkings of the sample: 58 MB, 13 MB, 1.9 MB, 312 kB, 762 kB and 48 kB chunks."""

ACCESSES: tuple[tuple[str, str], ...] = (
    ("months", "map"),
    ("days", "map"),
    ("steps", "map"),
    ("series", "point-series"),
    ("points", "point-series"),
    ("days", "point-series"),
    ("steps", "point-series"),
    ("series", "map"),
    ("points", "map"),
    ("points", "ml-batch"),
    ("months", "full-scan"),
    ("months", "resample"),
    ("weeks", "full-scan"),
    ("weeks", "resample"),
    ("days", "full-scan"),
    ("series", "full-scan"),
    ("steps", "full-scan"),
    ("days", "resample"),
)
"""(layout, pattern) pairs timed: single chunks of five sizes, reads of 16 to 1271 chunks, and
Dask reductions of 3 to 558 blocks of 58 MB to 312 kB (what the engine costs: per task, per
large block)."""

OBJECT_ACCESSES: tuple[tuple[str, str], ...] = (
    ("months", "map"),
    ("steps", "map"),
    ("series", "point-series"),
    ("steps", "point-series"),
    ("series", "map"),
    ("months", "full-scan"),
    ("months", "resample"),
    ("steps", "full-scan"),
    ("steps", "resample"),
)
"""The pairs timed on an object store (whose requests the store probe measures): three layouts,
single chunks, reads of 6 to 186 chunks (not the 1271 of ``points``: half a minute at 20 ms a
request) and Dask reductions of 3 to 558 blocks."""

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


def check_calibration(repeats: int, hours: int) -> None:
    """Raise :class:`AdvisorError` on a number of repeats or hours :func:`calibrate` cannot use.

    Examples
    --------
    >>> check_calibration(0, 744)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --repeats 0: give at least 1
    """
    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    if not 24 <= hours <= 8760:
        raise AdvisorError(f"--hours {hours}: give 24 to 8760 hours of sample")


def calibrate(
    store: str | Where | None = None,
    client: Client | None = None,
    *,
    repeats: int = 5,
    codecs: Sequence[str] = CODECS,
    hours: int = HOURS,
    engine: Engine | None = None,
) -> Calibration:
    """Measure and fit a :class:`StorageProfile` on ``store`` (a folder or fsspec URL; default
    a temporary folder on the local disk), computing on ``client`` (None: dask's threaded
    scheduler in this process, ``engine`` ``threads``). ``hours`` of the sample are written
    (the layouts' time chunks are clipped to it). Everything written is removed at the end.

    The scans' constants (per task, per computation, per grouping, per large block) are those
    of ``engine``, the one the scans ran on (default: the client's,
    :func:`advisor.run.engines.engine_of`): the profile records it, with them, in
    :attr:`StorageProfile.engine_speeds` (:mod:`advisor.plan.engine`).

    On an object store the request constants come from the store probe
    (:func:`advisor.run.probe_store.probe_store`, kept in :attr:`Calibration.probe`): ``latency``
    (first-byte: the lower quartile of small GETs' waits), ``bandwidth`` (all requests together, at the concurrency that still
    helps) and ``concurrency`` (that concurrency, at most zarr's ``async.concurrency``); the
    reads then fit ``request_overhead`` alone. The profile records ``backend``, ``endpoint``
    and ``zarr_version``.
    """
    check_calibration(repeats, hours)
    specs = [CodecSpec.parse(c) for c in codecs]
    started = time.perf_counter()
    threads = threads_of(client)
    if engine is None:
        engine = engine_of(client) if client is not None else "threads"
    remote = backend_of(store) != "local"  # reached by requests: probe them
    accesses = OBJECT_ACCESSES if remote else ACCESSES
    probe, endpoint = None, ""
    with calibration_folder(store) as (root, label), consolidated_quietly():
        blocks = _blocks()
        speeds = [_codec_speed(spec, blocks) for spec in specs if spec.family != "none"]
        logger.debug("codecs timed after %.1f s", time.perf_counter() - started)
        reduce_speed, grid = group_reduction_grid()
        logger.debug("grouped reductions timed after %.1f s", time.perf_counter() - started)
        if remote:  # after the timings above, by when new workers have settled
            probe, endpoint = probe_store(root)
            logger.debug("store probed after %.1f s", time.perf_counter() - started)
        base = dataclasses.replace(
            PRESETS["local"],
            threads=threads,
            concurrency=_zarr_concurrency(),
            codec_speeds=tuple(speeds),
            reduce_speed=reduce_speed,
            group_grid=grid,
        ).for_codec(DEFAULT_CODEC)
        if probe is not None:
            base = base.with_overrides(**probe.profile_values(base.concurrency))
        names = {layout for layout, _ in accesses}
        paths = _write_layouts(_sample(hours), root, hours, names, len(names) if remote else 1)
        logger.debug("layouts written after %.1f s", time.perf_counter() - started)
        timings = []
        for layout, pattern in accesses:
            timings.append(
                _time_access(paths[layout], layout, pattern, base, repeats, hours, not remote)
            )
            logger.debug(
                "%s on %s timed after %.1f s", pattern, layout, time.perf_counter() - started
            )
        trivial = trivial_task_overhead(client)
    free = ("request_overhead",) if remote else READ_CONSTANTS
    fitted = fit_profile(base, timings, trivial, free=free)
    described = describe(engine, client)
    profile = fitted.with_overrides(
        name="calibrated",
        calibrated=_describe(label, described),
        engine=engine,
        backend=backend_of(store),
        endpoint=endpoint,
        zarr_version=zarr_version(),
    )
    profile = dataclasses.replace(
        profile, engine_speeds=(engine_speed_of(profile, engine, described),)
    )
    return Calibration(
        profile=profile,
        timings=with_predictions(timings, profile),
        trivial_task_overhead=trivial,
        store=label,
        elapsed=time.perf_counter() - started,
        probe=probe,
    )


def _sample(hours: int) -> xr.Dataset:
    """``hours`` hours of the sample's :data:`VARIABLE`, in memory."""
    from advisor.run.sample import era5_like

    return era5_like(2019, hours=hours)[[VARIABLE]].compute(scheduler="synchronous")


def _blocks() -> list[np.ndarray]:
    """A day of each sample variable, from the middle of the month."""
    from advisor.run.sample import VARIABLES, generate_block, hours_since_epoch

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


def _write_layouts(
    ds: xr.Dataset, root: Where, hours: int, names: set[str], at_once: int = 1
) -> dict[str, Where]:
    """The month written once per chunking of :data:`LAYOUTS` in ``names`` (zarr 3, the default
    codec, the encoding :func:`advisor.run.workloads.save` gives; from memory, so no Dask task
    writes), ``at_once`` stores at a time (an object store's metadata requests go one by one)."""
    from concurrent.futures import ThreadPoolExecutor

    from advisor.store.encoding import encoding_for

    def write(name: str) -> Where:
        path = root / f"{name}.zarr"
        clipped = _clip(LAYOUTS[name], hours)
        encoding = encoding_for([VARIABLE], clipped, DEFAULT_CODEC, 3, ds[VARIABLE].dtype.itemsize)
        ds.to_zarr(
            zarr_store(path, read_only=False),
            mode="w-",
            encoding=encoding,
            zarr_format=3,
            consolidated=True,
        )
        return path

    chosen = [name for name in LAYOUTS if name in names]
    with ThreadPoolExecutor(max(1, at_once)) as pool:
        return dict(zip(chosen, pool.map(write, chosen), strict=True))


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
    path: Where,
    layout: str,
    text: str,
    profile: StorageProfile,
    repeats: int,
    hours: int,
    warm_reads: bool = True,
) -> Timing:
    """Median seconds of ``repeats`` accesses of pattern ``text`` after one untimed (reductions
    warm up on the one-chunk layout only, and reads too without ``warm_reads``: on an object
    store a warm-up of a hundred chunks costs seconds and warms nothing the first did not)."""
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
    if layout == "months" or (warm_reads and not reduction):  # reductions warm up once
        workloads.replay(ds, pattern, schema, 1, seed=0, variable=VARIABLE)
    seconds = workloads.replay(ds, pattern, schema, repeats, seed=1, variable=VARIABLE)
    scheme = parse_url(str(path))
    reads = installed_zarr_reads(scheme.scheme if scheme else None)
    scores = score(schema, np.array([chunks]), [pattern], profile, reads=reads)
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


def _describe(label: str, engine: str) -> str:
    when = datetime.datetime.now().isoformat(timespec="minutes")
    return f"{when} on {label}: {engine}, zarr {zarr_version()}"
