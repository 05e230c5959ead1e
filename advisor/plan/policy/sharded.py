"""Sharded candidates: zarr 3 shards in the size band, with inner chunks sized for the reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from advisor.plan.candidates import candidate_grid, distinct_rows
from advisor.plan.cost.scores import score
from advisor.plan.patterns import REDUCTIONS, WRITES, Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import ZarrReads, is_object_store
from advisor.plan.schema import Schema

if TYPE_CHECKING:
    from advisor.plan.policy.search import Search

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
    zarr: ZarrReads | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(inner chunks, shards) pairs: shards from the in-band grid, inner chunks from the
    :data:`INNER_CANDIDATES` best shapes of any size for the interactive patterns, each
    paired with the shards that are whole multiples of it; plus every shard unsplit."""
    shards = candidate_grid(schema, patterns, references, band=band, cap=cap)
    pairs = [(shards, shards)]
    reads = [p for p in patterns if p.kind not in REDUCTIONS | WRITES]
    if reads:
        wide = candidate_grid(schema, reads, (), band=None, cap=cap // 4)
        wide = wide[np.prod(wide, axis=1, dtype=np.float64) * schema.itemsize <= band[1]]
        seconds = score(schema, wide, reads, profile, reads=zarr).seconds
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


ShardAdvice = Literal["sharded", "unsplit"]
"""What ``--shards`` comes to: shards of several inner chunks, or whole chunks (a shard of
one inner chunk is the chunk itself, and is written unsharded)."""


def shard_advice(found: Search) -> ShardAdvice:
    """Whether the pick of a sharded search splits its shards into inner chunks."""
    pick = found.pick
    split = found.shards is not None and not np.array_equal(
        found.shards[pick], found.candidates[pick]
    )
    advice: ShardAdvice = "sharded" if split else "unsplit"
    logger.debug("choosing shard advice %r (%s)", advice, found.reads.describe())
    return advice


def shard_note(found: Search, profile: StorageProfile) -> str:
    """The note of a sharded recommendation: how to open the copy, or why it has no shards.

    Examples
    --------
    >>> from advisor.plan.patterns import Pattern
    >>> from advisor.plan.policy.band import size_band
    >>> from advisor.plan.policy.search import search
    >>> from advisor.plan.profile import PRESETS
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4)
    >>> remote = PRESETS["object-store"]
    >>> band = size_band(s, 10_000_000, 100_000_000, None, 4, 4.0)
    >>> found = search(s, (Pattern("map"),), remote, band, [], True, 10_000)
    >>> print(shard_note(found, remote))  # doctest: +ELLIPSIS
    no shards: whole chunks serve these patterns best on an object store with zarr 3.1, ...
    """
    reads = found.reads
    if shard_advice(found) == "sharded":
        return (
            "sharded: open the copy with chunks= the shards for scans and resamples "
            "(xarray's default Dask chunks are the inner chunks)"
        )
    text = "no shards: whole chunks serve these patterns best"
    if not reads.coalesced and is_object_store(profile):
        text += (
            f" on an object store with zarr {reads.version}, which reads the inner chunks of a "
            "shard one GET after another; zarr >= 3.3 (Python >= 3.12) coalesces them"
        )
    return text
