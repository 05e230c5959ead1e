"""flox's view of a grouped reduction: where calendar groups fall on time chunks, the method
flox picks (:func:`choose_flox_method`, its ``find_group_cohorts`` rules) and what it costs
in tasks and intermediate bytes (:func:`reduction_extra`).

For ``resample``/``climatology``, the calendar groups (days, months, seasons) are laid on
the time axis; :func:`group_evidence` mirrors flox's ``find_group_cohorts`` along time;
groups split across time chunks cost combine tasks and intermediate data. A full scan is a
Dask tree reduction over the time chunks of each spatial block.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from advisor.plan.patterns import GROUPED, Pattern
from advisor.plan.workflow import FloxMethod

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

SPLIT_EVERY = 4
"""Dask's default fan-in of tree reductions (``split_every``)."""

INTERMEDIATE_BYTES = 16
"""Bytes per grid point and group of a reduction's intermediate (a float64 sum and a count)."""

FLOX_METHODS: tuple[FloxMethod, ...] = ("blockwise", "cohorts", "map-reduce")
"""The codes of :attr:`~advisor.plan.cost.scores.Scores.flox_method`: index into this tuple (-1: the pattern does not group)."""

MAX_SPARSITY_FOR_COHORTS = 0.4
"""flox's threshold: above this share of (chunk, group) pairs present, 'map-reduce' wins."""


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


def reduction_extra(
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
