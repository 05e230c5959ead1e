"""The cost model: what each candidate chunk shape costs each access pattern.

Under the access model of :mod:`advisor.plan.patterns` (per dim, an interval of
``length`` elements whose start is uniform over ``0, stride, 2*stride, ...``,
independently per dim) the chunks one access touches form a Cartesian product
of per-dim index ranges. Hence, exactly, edge chunks included::

    E[chunks touched] = prod_d E_d[number of chunk intervals hit along d]
    E[bytes read]     = itemsize * prod_d E_d[total length of chunk intervals hit along d]

Each per-dim expectation is a sum of floors, computed in closed form
(:func:`floor_sum`) for each distinct chunk length along the dim and then
broadcast to the candidates: 100,000 candidates score in tens of milliseconds
(a few hundred with calendar groups, whose evidence is vectorised too).

Seconds per access, under a :class:`~advisor.plan.profile.StorageProfile`::

    requests * request overhead + requests * latency / min(requests, parallel requests)
    + bytes read / compression ratio / bandwidth
    + max(waves * bytes read per chunk, chunk bytes) / decode speed
    + tasks * task overhead + combined intermediate bytes / (combine speed * threads)
    + one computation's overhead (reductions)
    + waves * bytes read per chunk * slowdown(time steps, block bytes) / reduce speed
    + the grouping's overhead (resample, climatology: labels, flox's plan)

The last two lines are the grouped reductions' (resample, climatology): flox moves time
last in each block, a transposing copy whose cost per byte grows with the block's size and
time steps (:meth:`~advisor.plan.profile.StorageProfile.group_slowdown`).

where ``waves = ceil(chunks touched / threads)``: chunks decode ``threads`` at a time.

The seconds are linear in the profile's rates (:data:`TERMS`, :func:`rates`);
:attr:`Scores.terms` holds what multiplies each, which is what
:mod:`advisor.run.calibrate` fits to measurements.

Interactive reads (point series, region series, maps, ML patches) go through
zarr-python: no Dask tasks, up to ``concurrency`` requests in flight.
Reductions (resample, climatology, full scan) read every chunk through Dask:
one task per chunk plus the combine tasks of a tree reduction, with ``threads``
requests in flight. With zarr 3 shards, a read costs each touched shard its
index and each touched inner chunk a ranged request (a shard wholly wanted is
one request, :func:`whole_shards`); reductions read whole shards, one task each. For ``resample``/``climatology``, the calendar groups
(days, months, seasons) are laid on the time axis; :func:`group_evidence`
mirrors flox's ``find_group_cohorts`` along time and :func:`choose_flox_method`
names the method flox would pick; groups split across time chunks cost combine
tasks and intermediate data.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from advisor.plan.patterns import GROUPED, REDUCTIONS, DimAccess, Pattern, parse_pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.workflow import FloxMethod
from advisor.store.profiles import load_profile

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

__all__ = [
    "FLOX_METHODS",
    "TERMS",
    "FloxMethod",
    "GroupEvidence",
    "Scores",
    "choose_flox_method",
    "dim_expectations",
    "floor_sum",
    "group_evidence",
    "rates",
    "score",
    "shard_index_bytes",
    "whole_shards",
]

SPLIT_EVERY = 4
"""Dask's default fan-in of tree reductions (``split_every``)."""

INTERMEDIATE_BYTES = 16
"""Bytes per grid point and group of a reduction's intermediate (a float64 sum and a count)."""

FLOX_METHODS: tuple[FloxMethod, ...] = ("blockwise", "cohorts", "map-reduce")
"""The codes of :attr:`Scores.flox_method`: index into this tuple (-1: the pattern does not group)."""

MAX_SPARSITY_FOR_COHORTS = 0.4
"""flox's threshold: above this share of (chunk, group) pairs present, 'map-reduce' wins."""


TERMS: tuple[str, ...] = (
    "request_overhead",
    "latency",
    "bandwidth",
    "decode_speed",
    "task_overhead",
    "combine_speed",
    "compute_overhead",
    "reduce_speed",
    "group_overhead",
)
"""The profile constants the seconds are linear in (speeds through their inverse)."""


def rates(profile: StorageProfile) -> np.ndarray:
    """Seconds per unit of each of :data:`TERMS`: overheads as they are, speeds inverted.

    Examples
    --------
    >>> rates(StorageProfile(bandwidth=2e9)).tolist()[:3]
    [0.00025, 0.0001, 5e-10]
    """
    return np.array(
        [
            profile.request_overhead,
            profile.latency,
            1 / profile.bandwidth,
            1 / profile.decode_speed,
            profile.task_overhead,
            1 / profile.combine_speed,
            profile.compute_overhead,
            1 / profile.reduce_speed,
            profile.group_overhead,
        ]
    )


@dataclass(frozen=True, slots=True)
class Scores:
    """Per candidate (rows) and pattern (columns), the expected figures of one access.

    ``groups_split`` is the share of calendar groups (one day, one month of one
    year, ...) cut by a time-chunk boundary and ``flox_method`` the code of
    flox's method in :data:`FLOX_METHODS`; they are NaN and -1 for patterns
    that do not group.
    """

    chunks_touched: np.ndarray
    bytes_read: np.ndarray
    bytes_wanted: np.ndarray
    amplification: np.ndarray
    requests: np.ndarray
    tasks: np.ndarray
    seconds: np.ndarray
    groups_split: np.ndarray
    flox_method: np.ndarray
    shards_touched: np.ndarray
    """Shards touched per access (the chunks touched when the layout has no shards)."""
    terms: np.ndarray
    """``(candidates, patterns, len(TERMS))``: what multiplies each rate of :func:`rates`;
    ``seconds == terms @ rates(profile)``, which :mod:`advisor.run.calibrate` fits."""

    def method(self, row: int, column: int) -> FloxMethod | None:
        """flox's method for candidate ``row`` and pattern ``column``, or None."""
        code = int(self.flox_method[row, column])
        return FLOX_METHODS[code] if code >= 0 else None


def floor_sum(n: np.ndarray, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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


class GroupEvidence(NamedTuple):
    """How calendar groups fall on time chunks of one length (flox's view along time)."""

    chunk: int
    n_chunks: int
    n_groups: int
    split_fraction: float
    """Share of contiguous group runs (a day, one month of one year) cut by a chunk boundary."""
    all_in_one_chunk: bool
    """Every group lies in a single chunk."""
    n_cohorts: int
    one_group_per_chunk: bool
    no_overlapping_cohorts: bool
    sparsity: float
    cohort_tasks: int
    """Per spatial block, tasks of flox's cohorts: a subset per (cohort, chunk) plus its tree."""
    cohort_combine: int
    """Per spatial block, (chunk, group) intermediates combined by cohorts spanning chunks."""


def _tree_tasks(k: np.ndarray | int) -> np.ndarray:
    """Tasks of a Dask tree reduction over ``k`` blocks, ``SPLIT_EVERY`` at a time (at least 1).

    Examples
    --------
    >>> _tree_tasks(np.array([1, 4, 5, 17])).tolist()
    [1, 1, 3, 8]
    """
    level = np.array(k, dtype=np.int64)
    total = np.zeros(level.shape, dtype=np.int64)
    while (level > 1).any():
        grow = level > 1
        level = np.where(grow, -(-level // SPLIT_EVERY), level)
        total += np.where(grow, level, 0)
    return np.maximum(total, 1)


_BATCH = 2_000_000
"""Elements per temporary array when :func:`group_evidence` handles many chunk lengths."""


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """A 64-bit mix of each integer (SplitMix64's finaliser): near-random, deterministic."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def group_evidence(labels: np.ndarray, chunks: Sequence[int] | np.ndarray) -> list[GroupEvidence]:
    """Where the groups ``labels`` (one per time step, 0..k-1) fall on time chunks of each length.

    The statistics flox's ``find_group_cohorts`` computes from its chunk-by-group
    bitmask, by index arithmetic on runs of equal labels, for many chunk
    lengths at once. Groups with equal sets of chunks form a cohort: when each
    group is one run (resampling) its set is the range of chunks of that run;
    when groups recur (months of every year) a set is identified by a 64-bit
    sum of hashed chunk indices (prefix sums over ranges).

    Examples
    --------
    >>> days = np.repeat(np.arange(4), 24)
    >>> [e.split_fraction for e in group_evidence(days, [48, 36])]
    [0.0, 0.25]
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.size
    change = np.flatnonzero(np.diff(labels)) + 1
    run_start = np.concatenate(([0], change))
    run_end = np.concatenate((change, [n]))
    run_label = labels[run_start]
    n_groups = int(labels.max()) + 1
    # the previous run of the same group (-1: none), and runs ordered by group
    by_group = np.argsort(run_label, kind="stable")
    previous = np.full(run_label.size, -1)
    same = run_label[by_group][1:] == run_label[by_group][:-1]
    previous[by_group[1:][same]] = by_group[:-1][same]
    group_starts = np.flatnonzero(np.concatenate(([True], ~same)))
    prefix = np.concatenate(([0], np.cumsum(_splitmix64(np.arange(n)), dtype=np.uint64)))
    out: list[GroupEvidence] = []
    chunks = np.asarray(chunks, dtype=np.int64).reshape(-1)
    step = max(1, _BATCH // max(run_label.size, 1))
    repeated = bool(same.any())
    for lo in range(0, chunks.size, step):
        c = chunks[lo : lo + step, None]
        first, last = run_start // c, (run_end - 1) // c
        n_chunks = -(-n // c[:, 0])
        if repeated:
            # a run that starts in the chunk where its group's previous run ended shares it
            shared = (previous >= 0) & (last[:, np.maximum(previous, 0)] == first)
            with np.errstate(over="ignore"):
                hashed = prefix[last + 1] - prefix[first]
                hashed -= (prefix[first + 1] - prefix[first]) * shared
                keys = np.add.reduceat(hashed[:, by_group], group_starts, axis=1)
            per_group = np.add.reduceat(
                (last - first + 1 - shared)[:, by_group], group_starts, axis=1
            )
            order = np.argsort(keys, axis=1, kind="stable")
            sorted_keys = np.take_along_axis(keys, order, axis=1)
            new_cohort = np.ones(sorted_keys.shape, dtype=bool)
            new_cohort[:, 1:] = sorted_keys[:, 1:] != sorted_keys[:, :-1]
            cohort_width = np.take_along_axis(per_group, order, axis=1)
            run_keys = keys[:, run_label]
        else:
            # one run per group, in time order: its chunks are first..last, and groups
            # with the same chunks are neighbours
            per_group = cohort_width = last - first + 1
            new_cohort = np.ones(first.shape, dtype=bool)
            new_cohort[:, 1:] = (first[:, 1:] != first[:, :-1]) | (last[:, 1:] != last[:, :-1])
            run_keys = first * (n + 1) + last
        nnz = per_group.sum(axis=1)
        rows = np.nonzero(new_cohort)[0]
        widths, which = np.unique(cohort_width[new_cohort], return_inverse=True)
        tasks = (widths + _tree_tasks(widths))[which]
        cohort_tasks = np.bincount(rows, weights=tasks, minlength=len(c)).astype(np.int64)
        # a boundary inside a chunk joins two runs: their groups must share a cohort
        inside = last[:, :-1] == first[:, 1:]
        overlapping = (inside & (run_keys[:, :-1] != run_keys[:, 1:])).any(axis=1)
        columns = zip(
            c[:, 0].tolist(),
            n_chunks.tolist(),
            (last > first).mean(axis=1).tolist(),
            (per_group == 1).all(axis=1).tolist(),
            new_cohort.sum(axis=1).tolist(),
            (run_start[1:] % c == 0).all(axis=1).tolist(),
            (~overlapping).tolist(),
            (nnz / (n_chunks * n_groups)).tolist(),
            cohort_tasks.tolist(),
            np.where(per_group > 1, per_group, 0).sum(axis=1).tolist(),
            strict=True,
        )
        out.extend(GroupEvidence(row[0], row[1], n_groups, *row[2:]) for row in columns)
    return out


def choose_flox_method(evidence: GroupEvidence) -> FloxMethod:
    """The method flox picks for this layout (its ``find_group_cohorts`` rules, in order).

    Examples
    --------
    >>> days = np.repeat(np.arange(10), 24)
    >>> [choose_flox_method(e) for e in group_evidence(days, [240, 48, 36])]
    ['blockwise', 'blockwise', 'cohorts']
    >>> months = np.tile(np.repeat(np.arange(12), 2), 5)
    >>> choose_flox_method(group_evidence(months, [24])[0])
    'map-reduce'
    """
    method: FloxMethod
    if evidence.n_chunks == 1 or evidence.all_in_one_chunk:
        method = "blockwise"
    elif evidence.n_cohorts == 1:
        method = "map-reduce"
    elif evidence.chunk == 1 or evidence.one_group_per_chunk or evidence.no_overlapping_cohorts:
        method = "cohorts"
    elif evidence.sparsity > MAX_SPARSITY_FOR_COHORTS:
        method = "map-reduce"
    else:
        method = "cohorts"
    logger.debug(
        "choosing %r for time chunks of %d (%d chunks, %d groups, %.0f%% split, %d cohorts, "
        "sparsity %.2f)",
        method,
        evidence.chunk,
        evidence.n_chunks,
        evidence.n_groups,
        100 * evidence.split_fraction,
        evidence.n_cohorts,
        evidence.sparsity,
    )
    return method


def score(
    schema: Schema,
    candidates: np.ndarray,
    patterns: Sequence[Pattern | str],
    profile: StorageProfile | str | None = None,
    shards: np.ndarray | None = None,
) -> Scores:
    """Score every candidate chunk shape (rows of ``candidates``) for every pattern.

    With ``shards`` (one zarr 3 shard shape per candidate, whole multiples of
    its chunk or whole dims) the candidates are the inner chunks: an
    interactive read costs, per shard touched, one request for the shard
    index (:func:`shard_index_bytes`) and one ranged request per inner chunk
    (one request for the whole shard when every inner chunk of it is wanted),
    the requests of one shard in turn as zarr-python issues them; a
    reduction reads whole shards, one Dask task each (the store opened with
    ``chunks=`` the shards), and decodes every inner chunk.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> cands = np.array([[8760, 10, 10], [24, 121, 161]])
    >>> scores = score(s, cands, ["point-series", "map"])
    >>> scores.chunks_touched.tolist()
    [[1.0, 221.0], [365.0, 1.0]]
    >>> scores.seconds.argmin(axis=0).tolist()
    [0, 1]
    >>> sharded = score(s, np.array([[24, 121, 161]]), ["map"], shards=np.array([[240, 121, 161]]))
    >>> sharded.requests.tolist(), sharded.shards_touched.tolist()
    ([[2.0]], [[1.0]])
    """
    profile = load_profile(profile)
    patterns = [parse_pattern(p) for p in patterns]
    candidates = np.asarray(candidates, dtype=np.int64)
    if candidates.ndim != 2 or candidates.shape[1] != schema.ndim:
        raise ValueError(f"candidates must be (n, {schema.ndim}), got {candidates.shape}")
    shape = np.array(schema.shape, dtype=np.int64)
    candidates = np.clip(candidates, 1, shape)
    if shards is not None:
        shards = np.clip(np.asarray(shards, dtype=np.int64), candidates, shape)
        if shards.shape != candidates.shape:
            raise ValueError(f"shards must be {candidates.shape} like the candidates")
    n, p = len(candidates), len(patterns)
    out = {
        name: np.zeros((n, p))
        for name in (
            "chunks_touched",
            "bytes_read",
            "bytes_wanted",
            "requests",
            "tasks",
            "seconds",
            "shards_touched",
        )
    }
    groups_split = np.full((n, p), np.nan)
    flox_method = np.full((n, p), -1, dtype=np.int8)
    terms = np.zeros((n, p, len(TERMS)))
    chunk_bytes = np.prod(candidates, axis=1, dtype=np.float64) * schema.itemsize
    if shards is not None:
        per_shard = np.prod(shards // candidates, axis=1, dtype=np.float64)
        index_bytes = shard_index_bytes(per_shard)
        shard_bytes = np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize
    for j, pattern in enumerate(patterns):
        accesses = pattern.accesses(schema)
        touched, elements = _expectations(schema, candidates, accesses)
        bytes_read = elements * schema.itemsize
        out["chunks_touched"][:, j] = touched
        out["bytes_read"][:, j] = bytes_read
        out["bytes_wanted"][:, j] = schema.itemsize * math.prod(a.length for a in accesses)
        reduction = pattern.kind in REDUCTIONS
        in_flight = profile.threads if reduction else profile.concurrency
        # Dask reads a block (a chunk, or a whole shard) per task; zarr-python a chunk per request
        block_bytes, blocks, requests, chains, stored = chunk_bytes, touched, touched, touched, 0.0
        if shards is not None:
            shards_hit, _ = _expectations(schema, shards, accesses)
            out["shards_touched"][:, j] = shards_hit
            if reduction:
                whole, inside = shards_hit, touched
            else:
                whole, inside = whole_shards(schema, candidates, shards, accesses)
            # a whole shard is one request; part of one, its index then each chunk in turn
            requests = shards_hit + touched - inside
            chains = shards_hit
            stored = (shards_hit - whole) * index_bytes
            if reduction:
                block_bytes, blocks = shard_bytes, shards_hit
        else:
            out["shards_touched"][:, j] = touched
        out["requests"][:, j] = requests
        term = terms[:, j]
        term[:, 0] = np.maximum(requests, touched)
        term[:, 1] = requests / np.minimum(chains, in_flight)
        term[:, 2] = bytes_read / profile.compression_ratio + stored
        # blocks decode in waves of `threads` at once, and no faster than one whole block
        waves = np.ceil(blocks / profile.threads - 1e-9)
        term[:, 3] = np.maximum(waves * bytes_read / blocks, np.minimum(block_bytes, bytes_read))
        if reduction:
            dask_chunks = candidates if shards is None else shards
            if (
                pattern.kind in GROUPED
            ):  # flox's kernels run in the same waves, slower on big blocks
                t = schema.axis_of("time")
                steps = dask_chunks[:, t] if t is not None else np.ones(len(dask_chunks))
                term[:, 7] = term[:, 3] * profile.group_slowdown(steps, block_bytes)
            extra, combined, split, method = _reduction_extra(schema, dask_chunks, pattern)
            out["tasks"][:, j] = term[:, 4] = blocks + extra
            term[:, 5] = combined / profile.threads
            term[:, 6] = 1.0
            term[:, 8] = 1.0 if pattern.kind in GROUPED else 0.0
            groups_split[:, j] = split
            flox_method[:, j] = method
    out["seconds"] = terms @ rates(profile)
    return Scores(
        amplification=out["bytes_read"] / out["bytes_wanted"],
        groups_split=groups_split,
        flox_method=flox_method,
        terms=terms,
        **out,
    )


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


def _expectations(
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


def _reduction_extra(
    schema: Schema, candidates: np.ndarray, pattern: Pattern
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Combine tasks, combined intermediate bytes, split share and flox method per candidate."""
    n = len(candidates)
    t = schema.axis_of("time")
    assert t is not None  # Pattern.accesses checked it
    time_chunks, inverse = np.unique(candidates[:, t], return_inverse=True)
    n_time = -(-schema.shape[t] // time_chunks)
    others = [d for d in range(schema.ndim) if d != t]
    shape = np.array(schema.shape)
    blocks = np.prod(-(-shape[others] // candidates[:, others]), axis=1, dtype=float)
    points = np.prod(candidates[:, others], axis=1, dtype=float)
    if pattern.kind not in GROUPED:
        # full scan: a tree reduction over the time chunks of each spatial block
        extra = blocks * _tree_tasks(n_time)[inverse]
        return extra, np.zeros(n), np.full(n, np.nan), np.full(n, -1, dtype=np.int8)
    labels = pattern.groups(schema)
    tasks_per_block = np.zeros(len(time_chunks))
    combined_per_point = np.zeros(len(time_chunks))
    split = np.zeros(len(time_chunks))
    methods = np.empty(len(time_chunks), dtype=np.int8)
    tree = _tree_tasks(n_time).tolist()
    for i, evidence in enumerate(group_evidence(labels, time_chunks)):
        method = choose_flox_method(evidence)
        methods[i], split[i] = FLOX_METHODS.index(method), evidence.split_fraction
        if method == "cohorts":
            tasks_per_block[i] = evidence.cohort_tasks
            combined_per_point[i] = evidence.cohort_combine
        elif method == "map-reduce":
            # every block's intermediate holds all groups (flox reindexes), reduced in a tree
            tasks_per_block[i] = tree[i]
            combined_per_point[i] = evidence.n_chunks * evidence.n_groups
    extra = blocks * tasks_per_block[inverse]
    combined = blocks * points * combined_per_point[inverse] * INTERMEDIATE_BYTES
    return extra, combined, split[inverse], methods[inverse]
