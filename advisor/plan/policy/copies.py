"""Two copies: when one layout serves some pattern badly, two chunkings, one per family of
patterns (as the public ERA5 Zarr copies keep a time-series chunking and a map chunking)."""

from __future__ import annotations

import logging

import numpy as np

from advisor.plan.policy.results import CopyAdvice, TwoCopyAdvice
from advisor.plan.policy.search import Search, argmin

logger = logging.getLogger(__name__)

TWO_COPY_FACTOR = 10.0
"""Two copies are proposed when the pick costs some pattern this many times its own optimum."""

MAX_TWO_COPY_PATTERNS = 10
"""Patterns up to which every split into two families is tried."""


def two_copies(found: Search, stored: float) -> TwoCopyAdvice | None:
    """Split the patterns in two families, one copy each, when the pick costs some pattern
    :data:`TWO_COPY_FACTOR` times its optimum: the split with the least weighted slowdown.

    ``stored`` is the estimated compressed size of one copy.

    Examples
    --------
    >>> from advisor.plan.patterns import Pattern
    >>> from advisor.plan.policy.band import size_band
    >>> from advisor.plan.policy.search import search
    >>> from advisor.plan.profile import StorageProfile
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> patterns = (Pattern("point-series", weight=50), Pattern("map"))
    >>> band = size_band(s, 10_000_000, 100_000_000, None, 4, 4.0)
    >>> found = search(s, patterns, StorageProfile(), band, [], False, 10_000)
    >>> [copy.patterns for copy in two_copies(found, 1e9).copies]
    [('map',), ('point-series',)]
    """
    patterns, pick, layout = found.patterns, found.pick, found.layout
    slowdown, feasible, n_chunks = found.scores.seconds / found.best, found.feasible, found.n_chunks
    worst = float(slowdown[pick].max())
    p = len(patterns)
    if worst < TWO_COPY_FACTOR or not 2 <= p <= MAX_TWO_COPY_PATTERNS:
        return None
    weights = np.array([pattern.weight for pattern in patterns])
    masked = np.where(feasible[:, None], slowdown, np.inf)
    best_split: tuple[float, float, list[int], list[int], int, int] | None = None
    for bits in range(1, 2 ** (p - 1)):
        second = [j for j in range(p - 1) if bits >> j & 1]
        first = [j for j in range(p) if j not in second]
        rows = [
            argmin(masked[:, family] @ weights[family], n_chunks, feasible)
            for family in (first, second)
        ]
        each = np.empty(p)
        for family, row in zip((first, second), rows, strict=True):
            each[family] = slowdown[row, family]
        value = (float(each @ weights / weights.sum()), float(each.max()))
        if best_split is None or value < best_split[:2]:
            best_split = (*value, first, second, rows[0], rows[1])
    assert best_split is not None
    _, worst_after, first, second, row_a, row_b = best_split
    if worst_after > worst / 2:
        logger.debug("no two-copy split helps: worst slowdown %.3g -> %.3g", worst, worst_after)
        return None
    slowdowns = np.empty(p)
    copies = []
    for n, (family, row) in enumerate(((first, row_a), (second, row_b)), start=1):
        names = tuple(str(patterns[j]) for j in family)
        slowdowns[family] = slowdown[row, family]
        copies.append(CopyAdvice(names, layout(f"copy {n}: {', '.join(names)}", row), stored))
    logger.debug("choosing two copies: worst slowdown %.3g -> %.3g", worst, worst_after)
    return TwoCopyAdvice(
        copies=(copies[0], copies[1]),
        worst_one_copy=worst,
        worst_two_copies=worst_after,
        slowdowns=tuple(float(x) for x in slowdowns),
    )
