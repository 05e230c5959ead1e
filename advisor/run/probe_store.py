"""Time an object store's requests through the store zarr reads (the I/O half of the store probe).

``advisor calibrate --store URL`` on an object store (any URL but ``file://``) calls
:func:`probe_store` on its calibration folder: it writes a small object (1 KiB) and a large
one (16 MiB) through zarr's :class:`zarr.storage.FsspecStore` and, on zarr's own event loop
(``zarr.core.sync.sync``, where zarr's reads run), times

- 20 ranged GETs of the small object one after another and 5 unranged ones (what zarr asks
  for a whole chunk): the first-byte latency is the seconds a GET waits (the lower quartile,
  :mod:`advisor.plan.store_probe` says why), its wall seconds less the CPU seconds this
  process spends meanwhile (``time.process_time``: signing the request, parsing the answer),
  which the profile prices apart as ``request_overhead``: requests in flight overlap their
  waits but not their CPU;
- the large object in one ranged GET, the best of two (per-stream bandwidth);
- small GETs at 1, 2, 4, 8, 16 and 32 in flight (``asyncio.gather`` under a semaphore; 16 of
  them per level, or two rounds of the level), up to the first level that no longer helps;
- the large object as as many ranged GETs at once as still help, the best of two (the total
  bandwidth).

:func:`advisor.plan.store_probe.store_probe` turns the timings into figures. Against a
server 20 ms away the probe takes about 4 s. The objects stay in the calibration folder,
which :func:`advisor.run.scratch.calibration_folder` removes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url, parse_url
from advisor.plan.store_probe import (
    LEVELS,
    StoreProbe,
    choose_concurrency,
    level_requests,
    store_probe,
)
from advisor.store.locations import Where, location, zarr_store

if TYPE_CHECKING:
    from zarr.storage import FsspecStore

logger = logging.getLogger(__name__)

SMALL_BYTES = 1024
"""Size of the small object: its GETs cost their latency and nothing else."""

LARGE_BYTES = 16 * 2**20
"""Size of the large object: its transfer outlasts a first byte's latency many times over."""

LATENCY_GETS = 20
"""Small ranged GETs timed one after another."""


def backend_of(store: str | Where | None) -> str:
    """The calibrated store's backend: its URL scheme, ``"local"`` for a path or ``file://``.

    Examples
    --------
    >>> backend_of("s3://bucket/calib"), backend_of("/tmp/x"), backend_of(None)
    ('s3', 'local', 'local')
    >>> backend_of("file:///tmp/x"), backend_of("GS://b"), backend_of("memory://x")
    ('local', 'gs', 'memory')
    """
    url = store if isinstance(store, Url) else parse_url(str(store)) if store else None
    return url.scheme if url else "local"


def zarr_version() -> str:
    """The installed zarr-python's version (the profile's ``zarr_version``)."""
    import zarr

    return str(zarr.__version__)


def endpoint_host(fs: Any, url: str) -> str:
    """The host (and port) ``fs`` sends its requests to: the S3 client's endpoint (s3fs,
    e.g. ``AWS_ENDPOINT_URL``), gcsfs' location, adlfs' account URL, an HTTP URL's own host;
    ``""`` when there is none (``memory://``).

    Examples
    --------
    >>> endpoint_host(object(), "https://example.org/data.zarr")
    'example.org'
    >>> endpoint_host(object(), "memory://calib")
    ''
    """
    from urllib.parse import urlsplit

    client = getattr(fs, "_s3", None)  # s3fs: the aiobotocore client, once connected
    endpoint = getattr(getattr(client, "meta", None), "endpoint_url", None)
    endpoint = endpoint or getattr(fs, "_location", None) or getattr(fs, "account_url", None)
    if not endpoint and backend_of(url) in ("http", "https"):
        endpoint = url
    if not isinstance(endpoint, str) or not endpoint:
        return ""
    return urlsplit(endpoint if "://" in endpoint else f"//{endpoint}").netloc


def probe_store(
    root: str | Where,
    *,
    large_bytes: int = LARGE_BYTES,
    latency_gets: int = LATENCY_GETS,
    least: int = 16,
    levels: tuple[int, ...] = LEVELS,
) -> tuple[StoreProbe, str]:
    """Time GETs on the object store at URL ``root`` (a folder it may write into) through
    zarr's ``FsspecStore``; return the figures and the endpoint host (:func:`endpoint_host`).

    Examples
    --------
    >>> probe, host = probe_store("memory://advisor-probe-doctest", large_bytes=2**20, least=4)
    >>> probe.latency < 0.01, probe.concurrency in LEVELS, probe.bandwidth > 0, host
    (True, True, True, '')
    """
    from zarr.core.sync import sync
    from zarr.storage import FsspecStore

    started = time.perf_counter()
    where = location(root, "--store", write=True) if isinstance(root, str) else root
    store = zarr_store(where, read_only=False)
    if not isinstance(store, FsspecStore):
        raise AdvisorError(f"--store {root}: the store probe measures object stores, not folders")
    raw = sync(_measure(store, large_bytes, latency_gets, least, levels))
    probe = store_probe(
        raw["latencies"],
        raw["whole"],
        raw["stream"],
        raw["levels"],
        raw["parallel"],
        float(large_bytes),
        cpu=raw["cpu"],
        elapsed=time.perf_counter() - started,
    )
    host = endpoint_host(store.fs, str(root))
    logger.debug(
        "store probe of %s (%s): latency %.4g s, %.3g B/s per stream, %.3g B/s with %d in "
        "flight, %.1f round trips per GET, %.1f s",
        root,
        host,
        probe.latency,
        probe.stream_bandwidth,
        probe.bandwidth,
        probe.concurrency,
        probe.round_trips,
        probe.seconds,
    )
    return probe, host


async def _measure(
    store: FsspecStore, large_bytes: int, latency_gets: int, least: int, levels: tuple[int, ...]
) -> dict[str, Any]:
    """The raw timings of :func:`probe_store`, on the loop the store's filesystem runs on."""
    import numpy as np
    from zarr.abc.store import RangeByteRequest
    from zarr.core.buffer import cpu, default_buffer_prototype

    prototype = default_buffer_prototype()
    rng = np.random.default_rng(0)
    small, large = "advisor-probe/small", "advisor-probe/large"
    await store.set(small, cpu.Buffer.from_bytes(rng.bytes(SMALL_BYTES)))
    await store.set(large, cpu.Buffer.from_bytes(rng.bytes(large_bytes)))

    async def get(key: str, start: int | None = None, end: int | None = None) -> None:
        byte_range = None if start is None or end is None else RangeByteRequest(start, end)
        if await store.get(key, prototype=prototype, byte_range=byte_range) is None:
            raise RuntimeError(f"the store lost {key!r}")  # pragma: no cover

    def small_get() -> Awaitable[None]:
        return get(small, 0, SMALL_BYTES)

    await _batch(small_get, max(levels), max(levels))  # open the client's connections
    ranged = [await _waited(small_get) for _ in range(latency_gets)]
    whole = [await _waited(lambda: get(small)) for _ in range(5)]
    stream = min([(await _waited(lambda: get(large, 0, large_bytes)))[0] for _ in range(2)])
    throughput: dict[int, float] = {}
    for level in levels:  # up to the first level that no longer helps
        n = level_requests(level, least)
        throughput[level] = n / await _batch(small_get, n, level)
        if choose_concurrency(throughput) < level:
            break
    concurrency = choose_concurrency(throughput)
    edges = np.linspace(0, large_bytes, concurrency + 1).astype(int).tolist()
    parts = list(itertools.pairwise(edges))
    parallel = math.inf
    for _ in range(2):
        started = time.perf_counter()
        await asyncio.gather(*(get(large, a, b) for a, b in parts))
        parallel = min(parallel, time.perf_counter() - started)
    return {
        "latencies": [wall - cpu for wall, cpu in ranged],
        "cpu": [cpu for _, cpu in ranged],
        "whole": [wall - cpu for wall, cpu in whole],
        "stream": stream,
        "levels": throughput,
        "parallel": parallel,
    }


async def _waited(request: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Wall seconds of ``request`` and the CPU seconds this process spent meanwhile (in any
    thread: the client's signing and parsing, and a server on loopback's own work)."""
    started, cpu = time.perf_counter(), time.process_time()
    await request()
    return time.perf_counter() - started, time.process_time() - cpu


async def _batch(request: Callable[[], Awaitable[None]], n: int, in_flight: int) -> float:
    """Seconds of ``n`` requests with at most ``in_flight`` of them at once."""
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await request()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - started
