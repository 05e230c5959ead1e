"""The benchmarks' data, made once and kept on disk.

The hourly sample (:func:`advisor.run.sample.write_year`), its copies in other
chunkings (:func:`advisor.run.workloads.save`), the daily dataset and the codec
blocks are kept under ``ADVISOR_BENCH_DATA`` (default
``~/.cache/chunk-advisor/bench``) in ``<scale>-model<N>/``, ``N`` being the
sample model's version. Each is published by :func:`advisor.store.publish.publishing`
(written at a temporary sibling, then renamed) while a lock file is held, so
concurrent asv processes never see half a store and never make one twice. The
``setup_cache`` of each suite makes what the suite needs; ``setup`` only opens
it (asv calls ``setup`` before every timed call).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan import workflow
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.run import workloads
from advisor.run.sample import MODEL_VERSION, write_year
from advisor.store.publish import publishing

from .cluster import client
from .scale import DIMS, SEED, YEAR, hours, scale

if TYPE_CHECKING:
    from advisor.plan.codecs import ZarrFormat

logger = logging.getLogger(__name__)

DATA_ENV = "ADVISOR_BENCH_DATA"
"""Environment variable naming the folder of the cached data."""


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
    """``path``; if it is missing, ``make`` writes a temporary sibling that is published at it."""
    if path.exists():
        return path
    with _lock():
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with publishing(path, overwrite=False) as partial:
                make(partial)
            logger.info("made %s", path)
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
