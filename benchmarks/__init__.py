"""The asv suites of chunk-advisor (docs/benchmarks.md), and the helpers they share.

Suites, one module each: :mod:`.access`, :mod:`.advice`, :mod:`.climatology`,
:mod:`.compressors`, :mod:`.resample`, :mod:`.save`. Helpers, with no
benchmarks in them:

- :mod:`.scale`: ``ADVISOR_BENCH_SCALE`` (tiny, small, full), the sample's
  hours at each, the codec sweep;
- :mod:`.cache`: the data made once and kept under ``ADVISOR_BENCH_DATA``
  (the sample, its copies in other chunkings, the daily dataset, codec blocks);
- :mod:`.layouts`: the chunkings compared, by name;
- :mod:`.cluster`: the Dask client of a benchmark process (``ADVISOR_BENCH_DASK``);
- :mod:`.suite`: asv's timing attributes by kind of benchmark, skips, seeded draws.
- :mod:`.s3server`: moto's S3 server on loopback with injected latency (the
  S3 backend of :mod:`.access`, and the tests).

Importing the package warms up the libraries once: asv's forkserver imports
the suites once and forks a process per benchmark, which then starts in
milliseconds.
"""

from __future__ import annotations

import warnings

import dask
import distributed  # noqa: F401
import flox  # noqa: F401
import numcodecs  # noqa: F401
import numpy as np
import xarray  # noqa: F401
import zarr  # noqa: F401

from advisor.plan.codecs import DEFAULT_CODEC
from advisor.run import workloads

from .scale import DIMS

warnings.filterwarnings("ignore", "Consolidated metadata is currently not part", UserWarning)


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
