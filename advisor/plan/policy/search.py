"""The search: score the candidates, keep those in the band, and choose rows.

Every pattern's seconds are divided by that pattern's own best within the band (its
*slowdown*, scale-free); the objective is the weighted mean slowdown, and ties go to the
layout with fewer chunks.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from advisor.plan.candidates import candidate_grid
from advisor.plan.cost.scores import Scores, score
from advisor.plan.patterns import Pattern
from advisor.plan.policy.band import Band
from advisor.plan.policy.results import Layout, PatternCost
from advisor.plan.policy.sharded import sharded_candidates
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import DEFAULT_READS, ZarrReads
from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Search:
    """The candidates scored for one recommendation, and the rows chosen among them."""

    schema: Schema
    patterns: tuple[Pattern, ...]
    candidates: np.ndarray
    """The chunk shapes (the inner chunks when sharded), one per row."""
    shards: np.ndarray | None
    """The shard shape of each row, or None without shards."""
    scores: Scores
    feasible: np.ndarray
    """Rows within the band (the nearest sizes when none is)."""
    impossible: bool
    """No candidate fits the band: :attr:`feasible` holds the nearest sizes."""
    best: np.ndarray
    """Per pattern, its best seconds among the feasible rows."""
    objective: np.ndarray
    """Per row, the weighted mean slowdown."""
    n_chunks: np.ndarray
    pick: int
    free: int
    """The row that would win without the band."""
    reads: ZarrReads = DEFAULT_READS
    """How the zarr-python that reads the copy makes its requests."""

    @property
    def stored(self) -> np.ndarray:
        """What a write or a Dask task handles: the shards, else the chunks."""
        return self.candidates if self.shards is None else self.shards

    @property
    def weights(self) -> np.ndarray:
        return np.array([p.weight for p in self.patterns])

    def layout(self, label: str, row: int) -> Layout:
        """Row ``row`` as a :class:`Layout` named ``label``."""
        return make_layout(
            label,
            self.schema,
            self.patterns,
            self.candidates[row],
            self.scores,
            row,
            self.best,
            self.objective,
            self.feasible,
            None if self.shards is None else self.shards[row],
        )

    def row_of(self, shape: Sequence[int]) -> int:
        """The row whose chunks (and stored shape) are ``shape``."""
        match = (self.candidates == shape).all(axis=1) & (self.stored == shape).all(axis=1)
        return int(np.flatnonzero(match)[0])

    def best_for(self, column: int) -> int:
        """The feasible row fastest for pattern ``column``."""
        return argmin(self.scores.seconds[:, column], self.n_chunks, self.feasible)

    def ranked(self, top: int) -> list[int]:
        """The ``top`` rows after the pick by objective (ties: fewer chunks) within the band."""
        if top <= 0:
            return []
        rows = np.flatnonzero(self.feasible)
        rows = rows[np.lexsort((self.n_chunks[rows], self.objective[rows]))]
        return [int(r) for r in rows if r != self.pick][:top]


def search(
    schema: Schema,
    patterns: tuple[Pattern, ...],
    profile: StorageProfile,
    band: Band,
    references: Sequence[Sequence[int]],
    shards: bool,
    max_candidates: int,
    reads: ZarrReads | None = None,
) -> Search:
    """Score the candidates (shards with inner chunks when ``shards``) and choose the pick.

    ``reads`` is the request model of the zarr-python that reads the copy (default:
    :class:`~advisor.plan.requests.ZarrReads`, zarr 3.1).

    Examples
    --------
    >>> from advisor.plan.policy.band import size_band
    >>> s = Schema(("time", "x"), (8760, 1000), 4)
    >>> band = size_band(s, 10_000_000, 100_000_000, None, 4, 4.0)
    >>> found = search(s, (Pattern("map"),), StorageProfile(), band, [], False, 10_000)
    >>> found.candidates[found.pick].tolist(), found.impossible
    ([2500, 1000], False)
    """
    floor, cap = band.floor, band.cap
    reads = ZarrReads() if reads is None else reads
    if shards:
        candidates, shard_shapes = sharded_candidates(
            schema, patterns, profile, references, (floor, cap), max_candidates, reads
        )
        stored = shard_shapes
    else:
        candidates = candidate_grid(
            schema, patterns, references, band=(band.low, band.high), cap=max_candidates
        )
        shard_shapes, stored = None, candidates
    scores = score(schema, candidates, patterns, profile, shards=shard_shapes, reads=reads)
    sizes = np.prod(stored, axis=1, dtype=np.float64) * schema.itemsize
    n_chunks = np.prod(-(-np.array(schema.shape) // candidates), axis=1, dtype=np.float64)
    weights = np.array([p.weight for p in patterns])
    if band.binding == "dataset-size":
        feasible = np.all(stored == np.array(schema.shape), axis=1)
        if shards:
            feasible &= np.all(candidates == stored, axis=1)
    else:
        feasible = (sizes >= floor) & (sizes <= cap)
    impossible = not feasible.any()
    if impossible:
        distance = np.maximum(np.log(floor / sizes), np.log(sizes / cap))
        feasible = distance <= distance.min() * (1 + 1e-12)
    logger.debug("choosing among %d of %d candidates in the band", feasible.sum(), len(sizes))
    best = best_seconds(scores.seconds, feasible)
    objective = (scores.seconds / best) @ weights / weights.sum()
    pick = argmin(objective, n_chunks, feasible)
    every = np.ones(len(sizes), dtype=bool)
    free_objective = (
        (scores.seconds / best_seconds(scores.seconds, every)) @ weights / weights.sum()
    )
    free = argmin(free_objective, n_chunks, every)
    logger.debug("choosing %s (unconstrained: %s)", candidates[pick], candidates[free])
    return Search(
        schema,
        patterns,
        candidates,
        shard_shapes,
        scores,
        feasible,
        impossible,
        best,
        objective,
        n_chunks,
        pick,
        free,
        reads,
    )


def best_seconds(seconds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask[:, None], seconds, np.inf).min(axis=0)


def argmin(values: np.ndarray, n_chunks: np.ndarray, mask: np.ndarray) -> int:
    """The row with the least value within ``mask``; ties go to fewer chunks."""
    rows = np.flatnonzero(mask)
    least = values[rows].min()
    ties = rows[values[rows] <= least + abs(least) * 1e-9]
    return int(ties[np.argmin(n_chunks[ties])])


def make_layout(
    label: str,
    schema: Schema,
    patterns: Sequence[Pattern],
    chunks: np.ndarray,
    scores: Scores,
    row: int,
    best: np.ndarray,
    objective: np.ndarray,
    feasible: np.ndarray,
    shards: np.ndarray | None = None,
) -> Layout:
    unsplit = shards is None or np.array_equal(shards, chunks)
    costs = []
    for j, pattern in enumerate(patterns):
        split = float(scores.groups_split[row, j])
        costs.append(
            PatternCost(
                name=str(pattern),
                weight=pattern.weight,
                chunks_touched=float(scores.chunks_touched[row, j]),
                bytes_read=float(scores.bytes_read[row, j]),
                bytes_wanted=float(scores.bytes_wanted[row, j]),
                amplification=float(scores.amplification[row, j]),
                requests=float(scores.requests[row, j]),
                tasks=float(scores.tasks[row, j]),
                seconds=float(scores.seconds[row, j]),
                slowdown=float(scores.seconds[row, j] / best[j]),
                groups_split=None if math.isnan(split) else split,
                flox_method=scores.method(row, j),
                shards_touched=None if unsplit else float(scores.shards_touched[row, j]),
            )
        )
    shape = np.array(schema.shape)
    return Layout(
        label=label,
        dims=schema.dims,
        chunks=tuple(int(c) for c in chunks),
        chunk_bytes=int(np.prod(chunks, dtype=np.int64)) * schema.itemsize,
        n_chunks=int(np.prod(-(-shape // chunks), dtype=np.int64)),
        in_band=bool(feasible[row]),
        objective=float(objective[row]),
        costs=tuple(costs),
        # a shard of one inner chunk is the chunk itself: said as no shards
        shards=None if unsplit or shards is None else tuple(int(c) for c in shards),
    )
