"""How the installed zarr-python turns one read into store requests, and what requests cost.

A :class:`ZarrReads` is the request model of one zarr-python: its version, whether it
coalesces the byte ranges of one shard (:data:`ShardReads`), the coalescing limits, and
``async.concurrency`` (the requests in flight per array operation). It is built, purely,
from a version string and zarr's configuration (:func:`zarr_reads`);
:func:`advisor.store.zarr_reads.installed_zarr_reads` reads both from the installed zarr.

What zarr-python does, read in its source (``zarr/codecs/sharding.py``,
``zarr/core/_coalesce.py``, ``zarr/abc/store.py``):

- a partly-read shard costs a GET of its index, then the inner chunks' ranges. zarr < 3.3
  awaits one GET per inner chunk, one after another; zarr >= 3.3 (``Store.get_ranges``)
  sorts the ranges by offset and merges neighbours whose gap is at most
  ``array.sharding_coalesce_max_gap_bytes`` (1 MiB) while the merged span stays within
  ``array.sharding_coalesce_max_bytes`` (16 MiB), then fetches the merged ranges with up to
  10 in flight (``get_ranges``' ``max_concurrency``, not configurable through zarr.config);
- a shard all of whose inner chunks are wanted is one GET, in every version;
- shards (or unsharded chunks) are read with up to ``async.concurrency`` (10) at once.

The prices are the published S3 Standard list prices per 1,000 requests
(:data:`GET_PRICE_PER_1000`, :data:`PUT_PRICE_PER_1000`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import StorageProfile

logger = logging.getLogger(__name__)

ShardReads = Literal["one-per-chunk", "coalesced"]
"""How zarr-python reads the inner chunks of a partly-read shard: one GET per inner chunk in
turn (zarr < 3.3), or nearby ranges merged into few GETs (zarr >= 3.3)."""

COALESCING_SINCE = (3, 3)
"""The first zarr-python that coalesces the byte ranges of a shard (3.3.0)."""

MAX_GAP_KEY = "array.sharding_coalesce_max_gap_bytes"
MAX_BYTES_KEY = "array.sharding_coalesce_max_bytes"
CONCURRENCY_KEY = "async.concurrency"
CONFIG_KEYS: tuple[str, ...] = (MAX_GAP_KEY, MAX_BYTES_KEY, CONCURRENCY_KEY)
"""The zarr.config keys the request model reads."""

DEFAULT_MAX_GAP = 1 << 20
"""zarr's default ``array.sharding_coalesce_max_gap_bytes``: 1 MiB."""

DEFAULT_MAX_BYTES = 16 << 20
"""zarr's default ``array.sharding_coalesce_max_bytes``: 16 MiB."""

DEFAULT_CONCURRENCY = 10
"""zarr's default ``async.concurrency``."""

RANGE_CONCURRENCY = 10
"""Merged ranges of one shard in flight at once (``Store.get_ranges``' ``max_concurrency``,
which the sharding codec leaves at its default)."""

GET_PRICE_PER_1000 = 0.0004
"""US dollars per 1,000 GET requests (S3 Standard list price)."""

PUT_PRICE_PER_1000 = 0.005
"""US dollars per 1,000 PUT requests (S3 Standard list price)."""

OBJECT_STORE_LATENCY = 1e-3
"""A profile whose first-byte latency is at least this (1 ms) is an object store."""


@dataclass(frozen=True, slots=True)
class ZarrReads:
    """The requests one zarr-python makes to read from a store.

    The default is zarr-python 3.1 with its default configuration: the newest zarr on
    Python 3.11 (zarr >= 3.2 needs Python 3.12), which reads a shard's inner chunks one
    GET at a time. Pure callers and doctests get it; the api layer passes the installed
    zarr's (:func:`advisor.store.zarr_reads.installed_zarr_reads`).

    Examples
    --------
    >>> ZarrReads().shard_reads, ZarrReads().concurrency
    ('one-per-chunk', 10)
    >>> zarr_reads("3.4.2", {}).shard_reads
    'coalesced'
    """

    version: str = "3.1"
    """zarr-python's version (``zarr.__version__``)."""
    shard_reads: ShardReads = "one-per-chunk"
    max_gap_bytes: int = DEFAULT_MAX_GAP
    """Ranges at most this many bytes apart merge (coalesced reads only; negative: none)."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """The largest merged range (coalesced reads only)."""
    concurrency: int = DEFAULT_CONCURRENCY
    """``async.concurrency``: chunks or shards read at once by one array operation."""
    range_concurrency: int = RANGE_CONCURRENCY
    """Merged ranges of one shard in flight at once (coalesced reads only)."""
    whole_object_requests: int = 1
    """Requests the store client makes, one after another, to read one whole object (a chunk,
    a whole shard): 2 for s3fs with ``max_concurrency > 1`` (its default, 10), which sends a
    HEAD for the size before the GET; 1 for a ranged read and for other clients."""

    def __post_init__(self) -> None:
        for name in ("max_bytes", "concurrency", "range_concurrency", "whole_object_requests"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise AdvisorError(f"zarr reads: {name} = {value!r} must be a whole number >= 1")
        if isinstance(self.max_gap_bytes, bool) or not isinstance(self.max_gap_bytes, int):
            raise AdvisorError(f"zarr reads: max_gap_bytes = {self.max_gap_bytes!r} is no integer")

    @property
    def coalesced(self) -> bool:
        return self.shard_reads == "coalesced"

    def describe(self) -> str:
        """One phrase for reports: the version and how it reads a shard.

        Examples
        --------
        >>> print(ZarrReads().describe())
        zarr 3.1: one GET per inner chunk of a shard, in turn; 10 in flight
        >>> print(zarr_reads("3.4.2", {}).describe())
        zarr 3.4.2: ranges of a shard coalesced (gaps <= 1 MiB, <= 16 MiB each); 10 in flight
        """
        if self.coalesced:
            how = (
                f"ranges of a shard coalesced (gaps <= {_mib(self.max_gap_bytes)}, "
                f"<= {_mib(self.max_bytes)} each)"
            )
        else:
            how = "one GET per inner chunk of a shard, in turn"
        head = "; a HEAD before each whole-object GET" if self.whole_object_requests > 1 else ""
        return f"zarr {self.version}: {how}; {self.concurrency} in flight{head}"

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "shard_reads": self.shard_reads,
            "max_gap_bytes": self.max_gap_bytes,
            "max_bytes": self.max_bytes,
            "concurrency": self.concurrency,
            "range_concurrency": self.range_concurrency,
            "whole_object_requests": self.whole_object_requests,
        }


DEFAULT_READS = ZarrReads()
"""The request model pure callers get: zarr-python 3.1 with its default configuration."""


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n % (1 << 10) == 0 and n > 0 else f"{n} B"


def version_tuple(version: str) -> tuple[int, int]:
    """(major, minor) of a version string like ``"3.4.2"`` or ``"3.3.0.dev5+g1a2b"``.

    Examples
    --------
    >>> version_tuple("3.4.2"), version_tuple("3.3.0rc1"), version_tuple("2.18")
    ((3, 4), (3, 3), (2, 18))
    """
    match = re.match(r"\s*v?(\d+)(?:\.(\d+))?", version)
    if match is None:
        raise AdvisorError(f"zarr version {version!r}: expected a version like 3.1.6")
    return int(match.group(1)), int(match.group(2) or 0)


def shard_reads_of(version: str) -> ShardReads:
    """How zarr-python ``version`` reads a partly-read shard.

    Examples
    --------
    >>> shard_reads_of("3.1.6"), shard_reads_of("3.3.0"), shard_reads_of("4.0")
    ('one-per-chunk', 'coalesced', 'coalesced')
    """
    reads: ShardReads = (
        "coalesced" if version_tuple(version) >= COALESCING_SINCE else "one-per-chunk"
    )
    return reads


def _lookup(config: Mapping[str, object], key: str, default: int) -> int:
    """``config[key]`` for a dotted key, in a flat or a nested mapping, else ``default``."""
    if key in config:
        value = config[key]
    else:
        node: object = config
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        value = node
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise AdvisorError(f"zarr config {key} = {value!r}: expected a whole number")
    return int(value)


def zarr_reads(version: str, config: Mapping[str, object]) -> ZarrReads:
    """The request model of zarr-python ``version`` under ``config``.

    ``config`` maps the keys of :data:`CONFIG_KEYS` (dotted, or nested as in
    ``zarr.config``) to their values; missing keys take zarr's defaults. The
    coalescing keys count only where the version coalesces.

    Examples
    --------
    >>> zarr_reads("3.1.6", {"async.concurrency": 64}).concurrency
    64
    >>> z = zarr_reads("3.4.2", {"array": {"sharding_coalesce_max_bytes": 1 << 22}})
    >>> z.shard_reads, z.max_bytes, z.max_gap_bytes
    ('coalesced', 4194304, 1048576)
    """
    reads = ZarrReads(
        version=version.strip(),
        shard_reads=shard_reads_of(version),
        max_gap_bytes=_lookup(config, MAX_GAP_KEY, DEFAULT_MAX_GAP),
        max_bytes=_lookup(config, MAX_BYTES_KEY, DEFAULT_MAX_BYTES),
        concurrency=_lookup(config, CONCURRENCY_KEY, DEFAULT_CONCURRENCY),
    )
    logger.debug("choosing shard reads %r for %s", reads.shard_reads, reads.describe())
    return reads


def is_object_store(profile: StorageProfile) -> bool:
    """Whether ``profile`` describes an object store, whose requests are billed.

    The rule: a first-byte latency of at least :data:`OBJECT_STORE_LATENCY` (1 ms: no
    local disk or page cache waits that long, every object store over HTTP does), or a
    name that says so (``object-store``, ``s3``, ``gcs``, ``azure``).

    Examples
    --------
    >>> from advisor.plan.profile import PRESETS
    >>> is_object_store(PRESETS["object-store"]), is_object_store(PRESETS["local"])
    (True, False)
    >>> is_object_store(StorageProfile(name="s3-eu-west-1"))
    True
    """
    name = profile.name.lower()
    named = "object" in name or re.search(r"(^|[^a-z])(s3|gcs|gs|azure|az)([^a-z]|$)", name)
    return profile.latency >= OBJECT_STORE_LATENCY or bool(named)


def price_option(value: float | None, default: float, option: str) -> float:
    """A price per 1,000 requests: ``value`` checked (finite, not negative), else ``default``.

    Examples
    --------
    >>> price_option(None, GET_PRICE_PER_1000, "--price-per-1000-gets")
    0.0004
    >>> price_option(-1, GET_PRICE_PER_1000, "--price-per-1000-gets")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --price-per-1000-gets -1: give a price of 0 or more dollars
    """
    if value is None:
        return default
    if isinstance(value, bool) or not (0 <= value < float("inf")):
        raise AdvisorError(f"{option} {value:g}: give a price of 0 or more dollars")
    return float(value)
