"""Run an :class:`~advisor.plan.apply.ApplyPlan`: the I/O half of ``advisor apply``.

:func:`prepare` resolves the sources, checks the output path, opens the data
lazily and hands the layouts to the pure :func:`~advisor.plan.apply.plan_apply`.
:func:`execute` then runs the plan on a Dask cluster:

1. write the resampled, rechunked, compressed dataset to the temporary sibling
   ``PATH.advisor-tmp-<token>`` (dask's rechunk with the plan's method), and in
   the same pass take a checksum of every variable as computed;
2. verify: re-open the temporary store, check its chunks, codec and
   consolidated metadata, compare its coordinates and attributes and the
   checksum of every variable's stored values with the computed ones;
3. move it into place (:func:`advisor.store.publish.move_into_place`).

A run killed at any moment therefore leaves the old ``PATH`` intact, or no
``PATH`` at all, never a partial store; the sources are only read.

The checksum (:func:`checksum`) is a sum over all elements of the element's
bits times an odd weight hashed from its global index, modulo 2**64, so it does
not depend on the chunking: each side is computed in its own chunks, in
parallel, without rechunking either. A single changed element always changes
it; so does swapping two values of 32-bit data.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.plan.apply import OLD_MARK, TEMP_MARK, ApplyPlan, DatasetLayout, plan_copies
from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.units import human_readable_size
from advisor.run.cluster import ClusterSpec
from advisor.run.sources import resolve_sources
from advisor.store.encoding import compressors
from advisor.store.metadata import store_size
from advisor.store.publish import move_into_place
from advisor.store.sources import check_output, open_sources

if TYPE_CHECKING:
    import dask.array as da
    import xarray as xr
    from distributed import Client, Future

    from advisor.plan.workflow import Statistic

logger = logging.getLogger(__name__)

SAMPLE_INTERVAL = 0.5
"""Seconds between samples of the workers' resident memory."""

SLAB_ELEMENTS = 2**20
"""Elements a checksum task hashes at once (bounds its temporaries to a few 8 MB arrays)."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK = 2**64 - 1


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What a run wrote and what it cost.

    ``peak_memory`` is per worker (name, bytes): the worker's resident-memory
    high-water mark when the run raised it, else the highest sample taken
    every :data:`SAMPLE_INTERVAL` s. ``workers_lost`` counts workers that left
    the cluster during the run (killed or restarted by their nanny).
    """

    out: Path
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
        }


# ---------------------------------------------------------------- sources and paths


def leftovers(out: Path) -> list[Path]:
    """Siblings of ``out`` left by interrupted runs (temporary stores, an old store moved aside)."""
    out = out.expanduser().resolve()
    if not out.parent.is_dir():
        return []
    marks = (f"{out.name}{TEMP_MARK}", f"{out.name}{OLD_MARK}")
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(marks))


def build_output(
    joined: xr.Dataset,
    variables: Sequence[str],
    resample: str | None,
    stats: Mapping[str, Statistic] | None,
) -> xr.Dataset:
    """The lazy dataset apply writes: the joined sources' ``variables``, resampled when asked."""
    from advisor.run import workloads

    ds = joined[list(variables)]
    if resample:
        ds = workloads.resample(ds, resample, stats)
    return ds


def layout_of(ds: xr.Dataset, name: str) -> DatasetLayout:
    """The schema and Dask grid of a lazy dataset (its main variables)."""
    from advisor.store.metadata import schema_from_dataset

    schema = schema_from_dataset(ds, name=name)
    first = ds[schema.variables[0]]
    grid = first.chunks or tuple((n,) for n in first.shape)
    return DatasetLayout(schema, tuple(tuple(int(c) for c in g) for g in grid))


def cluster_shape(client: Client) -> ClusterSpec:
    """Workers, threads per worker (the most) and memory limit per worker (the least) of a cluster."""
    workers = list(client.scheduler_info(n_workers=-1)["workers"].values())
    if not workers:
        raise AdvisorError(
            f"the Dask cluster at {client.scheduler.address} has no workers: start some with "
            f"`dask worker {client.scheduler.address}`"
        )
    import psutil

    limits = [w.get("memory_limit") or psutil.virtual_memory().total for w in workers]
    return ClusterSpec(len(workers), max(w["nthreads"] for w in workers), min(limits))


def prepare(
    names: Sequence[str],
    outs: Sequence[Path],
    *,
    cluster: ClusterSpec,
    catalog: str | Path | None = None,
    resample: str | None = None,
    stats: Mapping[str, Statistic] | None = None,
    chunks: Mapping[str, int] | None = None,
    patterns: Sequence[str] = (),
    codec: CodecSpec | None = None,
    zarr_format: ZarrFormat | None = None,
    shards: bool = False,
    overwrite: bool = False,
    profile: str | None = None,
    band: tuple[float | str, float | str] = (MIN_SIZE, MAX_SIZE),
    generate: bool = True,
) -> tuple[ApplyPlan, ...]:
    """Resolve and check the sources, the outputs and the profile, read the layouts, and plan
    one store per output (nothing is written).

    ``profile`` is the ``--profile`` option: the storage profile is found as
    ``recommend`` finds it (:func:`advisor.plan.profile.find_profile`: the option,
    ``ADVISOR_PROFILE``, the saved calibration, else the built-in defaults).
    Missing sample entries are generated unless ``generate`` is false.
    """
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.store.profiles import find_profile, resolve_profile

    storage, origin = resolve_profile(find_profile(profile))
    sources = resolve_sources(names, catalog, generate=generate)
    targets = [check_output(out, sources, overwrite) for out in outs]
    for a, b in itertools.permutations(targets, 2):
        if a != b and a.is_relative_to(b):
            raise AdvisorError(f"--out {a} lies inside the other --out {b}: choose separate stores")
    paths = [s.path for s in sources]
    joined = open_sources(paths)
    source = layout_of(joined, ", ".join(names))
    output = layout_of(
        build_output(joined, source.schema.variables, resample, stats), str(targets[0])
    )
    return plan_copies(
        sources=names,
        source_paths=paths,
        outs=targets,
        source=source,
        output=output,
        cluster=cluster,
        token=uuid.uuid4().hex[:8],
        resample=resample,
        stats=stats,
        chunks=chunks,
        patterns=patterns,
        codec=codec or DEFAULT_CODEC,
        zarr_format=zarr_format,
        shards=shards,
        overwrite=overwrite,
        profile=storage,
        profile_origin=origin,
        band=band,
    )


def check_free_space(plans: Sequence[ApplyPlan], *, local_workers: bool) -> None:
    """Refuse to start when an output's file system (or a local cluster's scratch) lacks the
    estimated space; outputs on one file system add up."""
    needed: dict[int, tuple[Path, int]] = {}
    for plan in plans:
        folder = plan.out.parent
        while not folder.exists():
            folder = folder.parent
        device = folder.stat().st_dev
        first, total = needed.get(device, (folder, 0))
        needed[device] = (first, total + plan.stored_estimate)
    for folder, total in needed.values():
        free = shutil.disk_usage(folder).free
        if free < total:
            raise AdvisorError(
                f"not enough free space at {folder}: the output needs about "
                f"{human_readable_size(total)} (estimated), "
                f"{human_readable_size(free)} is free; free some space or choose another --out"
            )
    scratch_bytes = sum(plan.scratch_bytes for plan in plans)
    if scratch_bytes and local_workers:
        import dask

        scratch = Path(dask.config.get("temporary-directory", None) or tempfile.gettempdir())
        free = shutil.disk_usage(scratch).free
        if free < scratch_bytes:
            raise AdvisorError(
                f"not enough free space at {scratch} for the P2P rechunk's scratch files: it needs "
                f"about {human_readable_size(scratch_bytes)}, {human_readable_size(free)} is "
                "free; set DASK_TEMPORARY_DIRECTORY to a roomier folder"
            )


# ---------------------------------------------------------------- checksums


def block_checksum(block: np.ndarray, block_info: dict) -> np.ndarray:
    """The checksum of one block at its place in the array (see :func:`checksum`), as a 1-element block.

    Examples
    --------
    >>> a = np.arange(12, dtype="float32").reshape(3, 4)
    >>> info = {0: {"shape": (3, 4), "array-location": [(0, 3), (0, 4)]}}
    >>> whole = int(block_checksum(a, info)[0, 0])
    >>> top = {0: {"shape": (3, 4), "array-location": [(0, 1), (0, 4)]}}
    >>> rest = {0: {"shape": (3, 4), "array-location": [(1, 3), (0, 4)]}}
    >>> parts = int(block_checksum(a[:1], top)[0, 0]) + int(block_checksum(a[1:], rest)[0, 0])
    >>> whole == parts % 2**64
    True
    """
    info = block_info[0]
    shape, location = info["shape"], info["array-location"]
    strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))]
    offset = sum(lo * s for (lo, _), s in zip(location, strides, strict=True))
    per_row = int(np.prod(block.shape[1:], dtype=np.int64))
    step = max(1, SLAB_ELEMENTS // max(1, per_row))
    total = 0
    for start in range(0, block.shape[0], step):
        part = block[start : start + step]
        index = np.uint64(offset + start * strides[0])
        for axis, (n, stride) in enumerate(zip(part.shape, strides, strict=True)):
            along = np.arange(n, dtype=np.uint64) * np.uint64(stride)
            index = index + along.reshape([n if a == axis else 1 for a in range(part.ndim)])
        weighted = _bits(part) * _weights(np.broadcast_to(index, part.shape))
        total = (total + int(weighted.sum(dtype=np.uint64))) & _MASK
    return np.full((1,) * block.ndim, total, dtype=np.uint64)


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bit patterns as uint64, every NaN as one canonical NaN."""
    values = np.ascontiguousarray(values)
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), values.dtype.type(np.nan), values)
    if values.dtype.kind not in "biuf" or values.dtype.itemsize > 8:
        raise AdvisorError(f"cannot checksum values of dtype {values.dtype}: apply handles numbers")
    return values.view(f"u{values.dtype.itemsize}").astype(np.uint64)


def _weights(index: np.ndarray) -> np.ndarray:
    """An odd 64-bit weight per global index (splitmix64's finalizer)."""
    z = index + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return (z ^ (z >> np.uint64(31))) | np.uint64(1)


def checksum(array: da.Array) -> da.Array:
    """A lazy 0-d uint64: sum of bits x weight(global index) over all elements, mod 2**64.

    The same values at the same places give the same checksum whatever the
    chunks, so the computed data and the stored data are each summed in their
    own chunks.

    Examples
    --------
    >>> import dask.array as da
    >>> x = np.random.default_rng(0).random((30, 7)).astype("float32")
    >>> a = checksum(da.from_array(x, chunks=(7, 3))).compute()
    >>> b = checksum(da.from_array(x, chunks=(30, 7))).compute()
    >>> y = x.copy(); y[3, 4] = np.nextafter(y[3, 4], 2)
    >>> bool(a == b), bool(a == checksum(da.from_array(y, chunks=5)).compute())
    (True, False)
    """
    import dask.array as da

    sums = da.map_blocks(
        block_checksum,
        array,
        dtype=np.uint64,
        chunks=tuple((1,) * len(c) for c in array.chunks),
        meta=np.array((), dtype=np.uint64),
    )
    return sums.sum(dtype=np.uint64)


# ---------------------------------------------------------------- the cluster


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _high_water() -> int:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class MemoryWatch:
    """Per worker, the peak resident memory over a block of work, and the workers that left or joined.

    A worker's peak is its high-water mark (``ru_maxrss``) when the work
    raised it, else the highest of the samples taken every ``interval`` s.
    """

    def __init__(self, client: Client, interval: float = SAMPLE_INTERVAL) -> None:
        self.client = client
        self.interval = interval
        self._stop = threading.Event()
        self._samples: dict[str, int] = {}
        self._thread = threading.Thread(target=self._sample, name="advisor-memory", daemon=True)

    def _run(self, func: Any) -> dict[str, int]:
        try:
            replies = self.client.run(func, on_error="return")
        except Exception:  # the cluster is going away: no sample
            return {}
        return {addr: v for addr, v in replies.items() if isinstance(v, int)}

    def _workers(self) -> dict[str, str]:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {addr: str(w.get("name", addr)) for addr, w in workers.items()}

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for addr, rss in self._run(_rss).items():
                self._samples[addr] = max(rss, self._samples.get(addr, 0))

    def __enter__(self) -> MemoryWatch:
        self.before = self._workers()
        self.hwm_before = self._run(_high_water)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for addr, rss in self._run(_rss).items():
            self._samples[addr] = max(rss, self._samples.get(addr, 0))
        self.hwm_after = self._run(_high_water)
        self.after = self._workers()

    def peaks(self) -> tuple[tuple[str, int], ...]:
        """``(worker name, peak bytes)`` for every worker seen, by name."""
        names = {**self.before, **self.after}
        out = []
        for addr, name in names.items():
            before, after = self.hwm_before.get(addr), self.hwm_after.get(addr)
            if after is not None and (before is None or after > before):
                peak = after
            else:
                peak = self._samples.get(addr, 0)
            out.append((name, peak))
        return tuple(sorted(out))

    @property
    def lost(self) -> int:
        return len(set(self.before) - set(self.after))

    @property
    def joined(self) -> int:
        return len(set(self.after) - set(self.before))


def _check_workers_import(client: Client) -> None:
    """The checksum and memory probes run on the workers: they must import ``advisor``."""

    def probe() -> bool:
        import importlib.util

        return importlib.util.find_spec("advisor.run.apply") is not None

    replies = client.run(probe, on_error="return")
    missing = [addr for addr, ok in replies.items() if ok is not True]
    if missing:
        raise AdvisorError(
            f"the Dask workers at {', '.join(missing)} cannot import advisor: install chunk-advisor "
            "in the workers' environment"
        )


def _wait(futures: list[Future], label: str, show: bool) -> int:
    """Wait for ``futures`` with a progress bar on stderr; returns the number of tasks they needed.

    The bar is fed by distributed's progress stream (every task of the graph)
    from a thread of its own; the wait itself is :func:`distributed.wait`, so a
    graph the scheduler rejects ends the wait instead of stalling the bar.
    """
    from distributed import wait
    from distributed.diagnostics.progressbar import TextProgressBar
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    counts = {"all": 0}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
    ) as progress:
        task = progress.add_task(label, total=None)

        class Bar(TextProgressBar):
            def _draw_bar(self, remaining: int, all: int, **kwargs: object) -> None:
                counts["all"] = all
                progress.update(task, total=all, completed=all - remaining)

            def _draw_stop(self, **kwargs: object) -> None:
                pass

        feed = threading.Thread(
            target=Bar,
            args=(futures,),
            kwargs={"complete": True},
            name="advisor-progress",
            daemon=True,
        )
        feed.start()
        wait(futures)
        feed.join(timeout=2)  # the last update
    return counts["all"]


# ---------------------------------------------------------------- the run


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

    from advisor.run.workloads import save

    started = time.perf_counter()
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
        if plan.temp.exists():
            raise AdvisorError(
                f"{plan.temp} exists already: another apply may be running; plan again"
            )
    futures: list[Future] = []
    try:
        with MemoryWatch(client) as watch:
            writes = []
            for plan in plans:
                plan.out.parent.mkdir(parents=True, exist_ok=True)
                method = "tasks" if plan.rechunk == "none" else plan.rechunk
                with dask.config.set({"array.rechunk.method": method}):
                    logger.debug("writing %s with rechunk method %r", plan.temp, method)
                    writes.append(
                        save(
                            ds,
                            plan.temp,
                            plan.chunk_map,
                            plan.codec,
                            plan.zarr_format,
                            plan.shard_map,
                            compute=False,
                        )
                    )
            sums = [checksum(ds[v].data) for v in first.variables]
            futures = client.compute([*writes, *sums])
            label = "writing" if len(plans) == 1 else f"writing {len(plans)} copies"
            tasks = _wait(futures, label, progress)
            expected = [int(s) for s in client.gather(futures[len(writes) :])]
            written = time.perf_counter()
            futures = []
            for plan in plans:
                tasks += verify(plan, ds, expected, client, progress=progress)
        verified = time.perf_counter()
    except BaseException:
        if futures:
            with contextlib.suppress(Exception):
                client.cancel(futures)
        for plan in plans:
            shutil.rmtree(plan.temp, ignore_errors=True)
        raise
    results = []
    for plan in plans:
        stored_bytes, disk_bytes = store_size(plan.temp)
        move_into_place(
            plan.temp,
            plan.out,
            overwrite=plan.overwrite,
            aside=plan.out.with_name(
                f"{plan.out.name}{OLD_MARK}{plan.temp.name.rsplit('-', 1)[-1]}"
            ),
        )
        results.append(
            ApplyResult(
                out=plan.out,
                seconds=time.perf_counter() - started,
                write_seconds=written - started,
                verify_seconds=verified - written,
                nbytes=plan.nbytes,
                stored_bytes=stored_bytes,
                disk_bytes=disk_bytes,
                peak_memory=watch.peaks(),
                memory_limit=plan.cluster.memory_limit,
                workers_lost=watch.lost,
                workers_joined=watch.joined,
                tasks=tasks,
                checksums=tuple(
                    (v, f"{s:016x}") for v, s in zip(plan.variables, expected, strict=True)
                ),
                copies=len(plans),
            )
        )
    return tuple(results)


def verify(
    plan: ApplyPlan,
    computed: xr.Dataset,
    expected: Sequence[int],
    client: Client,
    *,
    progress: bool = False,
) -> int:
    """Check the store at ``plan.temp`` against the computed dataset and its checksums.

    The metadata (:func:`_check_store`) first, then the checksum of every
    variable's stored values, read in blocks of whole stored chunks
    (``plan.verify_chunks``). Raises :class:`AdvisorError` on any difference;
    returns the number of tasks it ran.
    """
    from advisor.run.workloads import open_for_compute

    stored = open_for_compute(plan.temp, dict(zip(plan.dims, plan.verify_chunks, strict=True)))
    try:
        _check_store(plan, computed, stored)
        futures = client.compute([checksum(stored[v].data) for v in plan.variables])
        tasks = _wait(futures, "verifying", progress)
        got = [int(s) for s in client.gather(futures)]
    finally:
        stored.close()
    for var, want, have in zip(plan.variables, expected, got, strict=True):
        if want != have:
            raise AdvisorError(
                f"verification failed: the stored {var} differs from the computed one "
                f"(checksum {have:016x} vs {want:016x}); {plan.out} was not touched"
            )
    return tasks


def _check_store(plan: ApplyPlan, computed: xr.Dataset, stored: xr.Dataset) -> None:
    """The stored metadata: variables, coordinates, attributes, chunks, shards, codec, consolidation."""
    import zarr

    def fail(what: str) -> AdvisorError:
        return AdvisorError(f"verification failed: {what}; {plan.out} was not touched")

    if sorted(map(str, stored.data_vars)) != sorted(plan.variables):
        raise fail(
            f"the store holds {sorted(map(str, stored.data_vars))}, not {list(plan.variables)}"
        )
    for name in computed.coords:
        if name not in stored.coords or not np.array_equal(
            computed[name].values, stored[name].values
        ):
            raise fail(f"coordinate {name} differs")
    group = zarr.open_consolidated(str(plan.temp), mode="r", zarr_format=plan.zarr_format)
    itemsize = plan.itemsize
    want_codec = tuple(compressors(plan.codec, plan.zarr_format, itemsize) or ())
    for var in plan.variables:
        if dict(stored[var].attrs) != dict(computed[var].attrs):
            raise fail(f"the attributes of {var} differ")
        array = group[var]
        if tuple(array.chunks) != plan.chunks:
            raise fail(f"{var} is stored in chunks {array.chunks}, not {plan.chunks}")
        if plan.shards is not None and tuple(array.shards or ()) != plan.shards:
            raise fail(f"{var} is stored in shards {array.shards}, not {plan.shards}")
        if tuple(array.compressors) != want_codec:
            raise fail(f"{var} is compressed with {array.compressors}, not {plan.codec}")
