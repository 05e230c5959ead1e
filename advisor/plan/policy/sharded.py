"""Sharded candidates: zarr 3 shards in the size band, with inner chunks sized for the reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from advisor.plan.candidates import candidate_grid, distinct_rows
from advisor.plan.cost.scores import score
from advisor.plan.patterns import REDUCTIONS, Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

INNER_CANDIDATES = 300
"""Inner-chunk shapes (the best for the interactive reads) combined with shards in the band."""


def sharded_candidates(
    schema: Schema,
    patterns: Sequence[Pattern],
    profile: StorageProfile,
    references: Sequence[Sequence[int]],
    band: tuple[float, float],
    cap: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(inner chunks, shards) pairs: shards from the in-band grid, inner chunks from the
    :data:`INNER_CANDIDATES` best shapes of any size for the interactive patterns, each
    paired with the shards that are whole multiples of it; plus every shard unsplit."""
    shards = candidate_grid(schema, patterns, references, band=band, cap=cap)
    pairs = [(shards, shards)]
    reads = [p for p in patterns if p.kind not in REDUCTIONS]
    if reads:
        wide = candidate_grid(schema, reads, (), band=None, cap=cap // 4)
        wide = wide[np.prod(wide, axis=1, dtype=np.float64) * schema.itemsize <= band[1]]
        seconds = score(schema, wide, reads, profile).seconds
        weights = np.array([p.weight for p in reads])
        objective = (seconds / seconds.min(axis=0)) @ weights
        inner = wide[np.argsort(objective, kind="stable")[:INNER_CANDIDATES]]
        in_band = shards[
            (np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize >= band[0])
            & (np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize <= band[1])
        ]
        # per dim, which shard lengths each distinct inner length divides
        divides = []
        for d in range(schema.ndim):
            lengths, index = np.unique(inner[:, d], return_inverse=True)
            divides.append((in_band[:, d, None] % lengths[None, :] == 0)[:, index.reshape(-1)])
        for i, chunk in enumerate(inner):
            fits = in_band[np.logical_and.reduce([m[:, i] for m in divides])]
            if len(fits):
                pairs.append((np.broadcast_to(chunk, fits.shape), fits))
    rows = distinct_rows(np.concatenate([np.concatenate(pair, axis=1) for pair in pairs]))
    logger.debug("sharded candidates: %d pairs", len(rows))
    return rows[:, : schema.ndim], rows[:, schema.ndim :]
