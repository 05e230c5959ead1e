"""Geometry of the cost model: the chunks (or shards) one access touches, in closed form.

Under the access model of :mod:`advisor.plan.patterns` (per dim, an interval of
``length`` elements whose start is uniform over ``0, stride, 2*stride, ...``,
independently per dim) the chunks one access touches form a Cartesian product
of per-dim index ranges. Hence, exactly, edge chunks included::

    E[chunks touched] = prod_d E_d[number of chunk intervals hit along d]
    E[bytes read]     = itemsize * prod_d E_d[total length of chunk intervals hit along d]

Each per-dim expectation is a sum of floors, computed in closed form
(:func:`floor_sum`) for each distinct chunk length along the dim and then
broadcast to the candidates. With zarr 3 shards, :func:`whole_shards` counts the
shards an access wants whole (read in one request), :func:`shard_index_bytes`
prices a shard's index and :func:`coalesced_ranges` the merged ranges zarr >= 3.3 reads
from a shard it reads in part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from advisor.plan.patterns import DimAccess
    from advisor.plan.schema import Schema


def floor_sum(
    n: np.ndarray | int, m: np.ndarray | int, a: np.ndarray | int, b: np.ndarray | int
) -> np.ndarray:
    """``sum(floor((a*i + b) / m) for i in range(n))`` elementwise, in O(log) steps.

    All arguments are non-negative integer arrays (broadcast together), ``m >= 1``.
    This is the classic Euclid-like reduction (as in AtCoder's library).

    Examples
    --------
    >>> int(floor_sum(np.array(10), np.array(3), np.array(2), np.array(1)))
    30
    >>> sum((2 * i + 1) // 3 for i in range(10))
    30
    """
    n, m, a, b = (np.array(x, dtype=np.int64) for x in np.broadcast_arrays(n, m, a, b))
    total = np.zeros(n.shape, dtype=np.int64)
    active = n > 0
    while active.any():
        q = a // m
        total += np.where(active, n * (n - 1) // 2 * q, 0)
        a = a % m
        q = b // m
        total += np.where(active, n * q, 0)
        b = b % m
        y_max = a * n + b
        active &= y_max >= m
        # the next round: floor_sum(y_max // m, a, m, y_max % m) where still active
        n, b, m, a = (
            np.where(active, y_max // m, 0),
            np.where(active, y_max % m, 0),
            np.where(active, a, 1),
            np.where(active, m, 0),
        )
    return total


def dim_expectations(
    size: int, chunk: np.ndarray, length: int, stride: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Along one dim: E[chunks hit] and E[total length of the chunks hit] per chunk length.

    The access is ``[s, s + length)`` with ``s = j * stride``, ``j`` uniform in
    ``0 .. count-1``; the dim of ``size`` is cut into chunks of ``chunk``
    (the last one shorter).

    Examples
    --------
    >>> hits, span = dim_expectations(10, np.array([1, 4, 10]), 1, 1, 10)
    >>> hits.tolist(), span.tolist()
    ([1.0, 1.0, 1.0], [1.0, 3.6, 10.0])
    >>> [x.tolist() for x in dim_expectations(10, np.array([4]), 10, 1, 1)]
    [[3.0], [10.0]]
    """
    c = np.asarray(chunk, dtype=np.int64)
    first = floor_sum(count, c, stride, 0)
    last = floor_sum(count, c, stride, length - 1)
    hits = last - first + count
    n_chunks = -(-size // c)
    overshoot = n_chunks * c - size
    # accesses whose last chunk is the short edge chunk read `overshoot` fewer elements
    reach_edge = np.maximum(0, (n_chunks - 1) * c - length + 1)
    at_edge = np.clip(count - (-(-reach_edge // stride)), 0, count)
    span = c * hits - overshoot * at_edge
    return np.asarray(hits / count, dtype=float), np.asarray(span / count, dtype=float)


def expectations(
    schema: Schema, shapes: np.ndarray, accesses: Sequence[DimAccess]
) -> tuple[np.ndarray, np.ndarray]:
    """E[blocks touched] and E[elements in them] of one access, per row of ``shapes``."""
    touched, elements = np.ones(len(shapes)), np.ones(len(shapes))
    for d in range(schema.ndim):
        values, inverse = np.unique(shapes[:, d], return_inverse=True)
        hits, span = dim_expectations(schema.shape[d], values, *accesses[d])
        touched *= hits[inverse.reshape(-1)]
        elements *= span[inverse.reshape(-1)]
    return touched, elements


def shard_index_bytes(chunks_per_shard: np.ndarray | float) -> np.ndarray:
    """Bytes of a zarr 3 shard index: 16 per inner chunk (offset and length) plus a CRC32C.

    Examples
    --------
    >>> shard_index_bytes(np.array([1, 100])).tolist()
    [20.0, 1604.0]
    """
    return 16.0 * np.asarray(chunks_per_shard, dtype=float) + 4.0


_PAIRS_BATCH = 4_000_000
"""Elements per temporary array when :func:`whole_shards` enumerates the starts of an access."""


def whole_shards(
    schema: Schema, chunks: np.ndarray, shards: np.ndarray, accesses: Sequence[DimAccess]
) -> tuple[np.ndarray, np.ndarray]:
    """E[shards all of whose inner chunks one access touches] and E[inner chunks in them].

    zarr-python reads such a shard in one request and any other touched shard
    as its index plus each touched chunk. The chunks touched form a box, so a
    shard is whole when it is whole along every dim, independently: per dim
    the starts are enumerated for each distinct (chunk, shard) length pair.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> from advisor.plan.patterns import DimAccess
    >>> s = Schema(("x",), (16,), 4)
    >>> whole, inside = whole_shards(s, np.array([[2]]), np.array([[4]]), [DimAccess(5, 1, 12)])
    >>> float(whole[0]), float(inside[0])  # every [s, s+5) covers one aligned 4-long shard
    (1.0, 2.0)
    """
    whole, inside = np.ones(len(chunks)), np.ones(len(chunks))
    for d, access in enumerate(accesses):
        n = schema.shape[d]
        keys, inverse = np.unique(chunks[:, d] * (n + 1) + shards[:, d], return_inverse=True)
        pairs = np.stack([keys // (n + 1), keys % (n + 1)], axis=1)
        starts = np.arange(access.count, dtype=np.int64) * access.stride
        per_pair_whole = np.empty(len(pairs))
        per_pair_inside = np.empty(len(pairs))
        step = max(1, _PAIRS_BATCH // max(1, len(starts)))
        for lo in range(0, len(pairs), step):
            c = pairs[lo : lo + step, 0:1]
            m = pairs[lo : lo + step, 1:2] // c
            n_c = -(-n // c)
            first, last = starts // c, (starts + access.length - 1) // c
            interior = np.maximum(0, (last + 1) // m - (-(-first // m)))
            tail = n_c % m  # chunks of a short last shard (0: none)
            edge = (tail > 0) & (last == n_c - 1) & (first <= n_c // m * m)
            per_pair_whole[lo : lo + step] = (interior + edge).mean(axis=1)
            per_pair_inside[lo : lo + step] = (interior * m + edge * tail).mean(axis=1)
        whole *= per_pair_whole[inverse.reshape(-1)]
        inside *= per_pair_inside[inverse.reshape(-1)]
    return whole, inside


def coalesced_ranges(
    touched: np.ndarray,
    per_shard: np.ndarray,
    stored_chunk: np.ndarray,
    max_gap: int,
    max_bytes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Ranges zarr >= 3.3 fetches from one partly-read shard, and the stored bytes in them.

    ``touched`` inner chunks of the shard's ``per_shard`` are wanted, each
    ``stored_chunk`` bytes as stored. zarr stores the inner chunks of a shard in
    Morton (Z-) order, the first dim's bit lowest (``subchunk_write_order="morton"``,
    the default of every zarr 3), and merges the wanted ranges, sorted by offset,
    while the gap to the next is at most ``max_gap`` and the merged span at most
    ``max_bytes`` (``zarr.core._coalesce.coalesce_ranges``).

    The closed form assumes the wanted chunks spread evenly through the shard in
    that order: between two of them lie ``(per_shard - touched) / touched`` unwanted
    chunks. When that gap is within ``max_gap`` all merge into one span (from the
    first wanted chunk to the last, the gaps included) cut into
    ``ceil(span / max_bytes)`` ranges; otherwise none merge, one range per chunk.
    A contiguous selection merges under any gap; Morton order keeps the wanted
    chunks of a box close together, so the rule is exact when the whole shard is
    within ``max_gap`` (small inner chunks) and when nothing merges.

    Examples
    --------
    >>> ranges, fetched = coalesced_ranges(
    ...     np.array([64.0, 64.0]), np.array([512.0, 512.0]), np.array([2048.0, 2e6]),
    ...     1 << 20, 16 << 20)
    >>> ranges.tolist()  # a map through 8 x 8 x 8 small chunks: one range; big chunks: 64
    [1.0, 64.0]
    >>> (fetched / np.array([2048.0, 2e6])).tolist()  # chunks' worth of bytes fetched
    [505.0, 64.0]
    """
    k = np.maximum(np.asarray(touched, dtype=float), 1.0)
    n = np.maximum(np.asarray(per_shard, dtype=float), k)
    c = np.asarray(stored_chunk, dtype=float)
    gap = (n - k) * c / k
    merged = (gap <= max_gap) & (c <= max_bytes)
    span = c * k + (k - 1) * gap
    pieces = np.where(merged, np.clip(np.ceil(span / max_bytes - 1e-9), 1.0, k), k)
    return pieces, np.where(merged, span, c * k)
