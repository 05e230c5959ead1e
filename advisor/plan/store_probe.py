"""What an object store's requests cost: the pure half of the store probe of ``advisor calibrate``.

:mod:`advisor.run.probe_store` times GETs through the store zarr reads (zarr's ``FsspecStore``);
this module turns the timings into the profile's ``latency``, ``bandwidth`` and ``concurrency``:

- the first-byte *latency* is the lower quartile of the waits of small ranged GETs, one after
  another (each GET's wall seconds less the CPU seconds the process spent on it: requests in
  flight overlap their waits, not their CPU, which the profile's ``request_overhead`` prices).
  A busy client (other processes on its cores) only ever adds to a wait, so the lower quartile
  tracks the store where the median tracks the machine's load; on a quiet client the two agree
  within a few percent (:attr:`StoreProbe.median_latency` keeps the median);
- the *per-stream bandwidth* is one large ranged GET's bytes over its seconds beyond the latency;
- the *concurrency that still helps* is read off small GETs timed at 1, 2, 4, ... in flight
  (:func:`choose_concurrency`: the last level whose throughput still gains over the one before);
- the profile's *bandwidth* is what the cost model means by it (stored bytes per second of all
  requests together, :mod:`advisor.plan.cost.scores`): the large object read as that many
  concurrent ranged GETs, its bytes over the seconds beyond one latency, and never less than
  one stream's (a client whose concurrent GETs share one CPU may gain nothing from them, but
  a read of one chunk still gets the stream's rate).
"""

from __future__ import annotations

import dataclasses
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LEVELS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
"""Requests in flight at which small GETs are timed."""

MIN_GAIN = 0.2
"""A doubling of the requests in flight still helps when it gains more than this much throughput."""


def level_requests(level: int, least: int = 16) -> int:
    """Small GETs timed at ``level`` in flight: ``least``, or two rounds of the level.

    Examples
    --------
    >>> [level_requests(c) for c in LEVELS]
    [16, 16, 16, 16, 32, 64]
    """
    return max(least, 2 * level)


@dataclass(frozen=True, slots=True)
class StoreProbe:
    """An object store's request figures, measured by :func:`advisor.run.probe_store.probe_store`.

    Examples
    --------
    >>> p = StoreProbe(0.02, 2e8, 6e8, 2, 16e6, {1: 45.0, 2: 88.0, 4: 95.0})
    >>> p.to_dict()["throughput"], p.to_dict()["concurrency"]
    ({'1': 45.0, '2': 88.0, '4': 95.0}, 2)
    """

    latency: float
    """Seconds a small ranged GET waits beyond the CPU the process spends on it (the lower
    quartile, one after another): the first-byte latency."""
    stream_bandwidth: float
    """Bytes per second of one large ranged GET, beyond its latency."""
    bandwidth: float
    """Bytes per second of the large object read as :attr:`concurrency` ranged GETs at once
    (at least :attr:`stream_bandwidth`)."""
    concurrency: int
    """The most requests in flight that still help (:func:`choose_concurrency`)."""
    large_bytes: float
    """Size of the large object the bandwidths were measured on."""
    throughput: dict[int, float] = field(default_factory=dict)
    """Requests in flight -> small GETs per second at that level (:func:`level_requests` each)."""
    whole_get: float = 0.0
    """Seconds an unranged GET of the small object waits through the store, the median (what
    zarr does per chunk; a client that asks the size first makes it two round trips)."""
    median_latency: float = 0.0
    """The median of the same waits (above :attr:`latency` by the client's scheduling noise)."""
    request_cpu: float = 0.0
    """CPU seconds the process spent per small GET (the median): signing, parsing."""
    seconds: float = 0.0
    """Wall seconds the probe took."""

    @property
    def round_trips(self) -> float:
        """Round trips an unranged GET costs, :attr:`whole_get` over :attr:`median_latency`
        (both medians; :attr:`latency` when no median was kept).

        Examples
        --------
        >>> StoreProbe(0.02, 1e8, 1e8, 4, 1e6, whole_get=0.041).round_trips
        2.0
        """
        one = self.median_latency or self.latency
        return round(self.whole_get / one, 1) if one > 0 else 0.0

    def profile_values(self, max_concurrency: int) -> dict[str, float | int]:
        """The profile's request constants: ``latency``, ``bandwidth`` (all requests together)
        and ``concurrency`` (the one that still helps, at most ``max_concurrency``: zarr's
        ``async.concurrency`` per array operation).

        Examples
        --------
        >>> StoreProbe(0.02, 2e8, 6e8, 16, 16e6).profile_values(10)
        {'latency': 0.02, 'bandwidth': 600000000.0, 'concurrency': 10}
        """
        return {
            "latency": self.latency,
            "bandwidth": self.bandwidth,
            "concurrency": min(self.concurrency, max_concurrency),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (the levels keyed by strings)."""
        out = dataclasses.asdict(self)
        out["throughput"] = {str(k): v for k, v in self.throughput.items()}
        out["round_trips"] = self.round_trips
        return out


def choose_concurrency(throughput: dict[int, float], min_gain: float = MIN_GAIN) -> int:
    """The most requests in flight that still help: walking up the levels of ``throughput``
    (requests in flight -> requests per second), the last one that beats the level before by
    more than ``min_gain``.

    Examples
    --------
    >>> choose_concurrency({1: 50, 2: 97, 4: 188, 8: 200, 16: 355})
    4
    >>> choose_concurrency({1: 50, 2: 53, 4: 160})  # stops at the first step that does not help
    1
    >>> choose_concurrency({1: 50, 2: 100, 4: 200, 8: 400})
    8
    """
    levels = sorted(throughput)
    if not levels:
        raise ValueError("no levels timed")
    chosen = levels[0]
    for before, level in itertools.pairwise(levels):
        if throughput[level] <= throughput[before] * (1 + min_gain):
            break
        chosen = level
    return chosen


def first_byte_latency(seconds: Sequence[float]) -> float:
    """The lower quartile of small GETs' waits (one GET: its wait).

    Examples
    --------
    >>> first_byte_latency([0.021, 0.020, 0.090, 0.022, 0.035, 0.020, 0.060, 0.021])
    0.02075
    >>> first_byte_latency([0.02])
    0.02
    """
    if len(seconds) < 2:
        return float(seconds[0])
    return float(statistics.quantiles(seconds, n=4, method="inclusive")[0])


def transfer_bandwidth(nbytes: float, seconds: float, latency: float) -> float:
    """Bytes per second of a GET of ``nbytes`` that took ``seconds``, beyond ``latency`` (at
    least a tenth of the seconds count as transfer, so noise cannot make it infinite).

    Examples
    --------
    >>> transfer_bandwidth(16e6, 0.1, 0.02)
    200000000.0
    >>> transfer_bandwidth(1e6, 0.019, 0.02) == 1e6 / 0.0019
    True
    """
    return nbytes / max(seconds - latency, seconds / 10)


def store_probe(
    latencies: Sequence[float],
    whole_gets: Sequence[float],
    stream_seconds: float,
    throughput: dict[int, float],
    parallel_seconds: float,
    large_bytes: float,
    elapsed: float = 0.0,
    cpu: Sequence[float] = (),
) -> StoreProbe:
    """The :class:`StoreProbe` of the raw timings: the waits of small ranged GETs
    (``latencies``) and of unranged ones (``whole_gets``), one large ranged GET
    (``stream_seconds``), small GETs per second per level (``throughput``), the large object
    read as :func:`choose_concurrency`'s number of ranged GETs at once (``parallel_seconds``)
    and the CPU seconds of each small GET (``cpu``).

    Examples
    --------
    >>> p = store_probe([0.02] * 5, [0.04] * 3, 0.1, {1: 50, 2: 100, 4: 105}, 0.06, 16e6)
    >>> p.latency, p.concurrency, round(p.stream_bandwidth), round(p.bandwidth), p.round_trips
    (0.02, 2, 200000000, 400000000, 2.0)
    >>> round(store_probe([0.02], [], 0.1, {1: 50}, 0.3, 16e6).bandwidth)  # no worse than one stream
    200000000
    """
    latency = first_byte_latency(latencies)
    stream = transfer_bandwidth(large_bytes, stream_seconds, latency)
    return StoreProbe(
        latency=latency,
        stream_bandwidth=stream,
        bandwidth=max(stream, transfer_bandwidth(large_bytes, parallel_seconds, latency)),
        concurrency=choose_concurrency(throughput),
        large_bytes=large_bytes,
        throughput=dict(throughput),
        whole_get=float(statistics.median(whole_gets)) if whole_gets else 0.0,
        median_latency=float(statistics.median(latencies)),
        request_cpu=float(statistics.median(cpu)) if cpu else 0.0,
        seconds=elapsed,
    )
