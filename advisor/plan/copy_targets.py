"""The chunks and shards each output copy of ``advisor apply`` is written in: the user's
``--chunks`` (with shards grown from them), or the advisor's recommendation for the patterns (one
layout, or its two copies). Pure: no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from advisor.plan.cluster import ClusterSpec
from advisor.plan.copy_plan import CopyTarget
from advisor.plan.errors import AdvisorError
from advisor.plan.grid import grow_block
from advisor.plan.policy.band import MAX_SIZE
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import DEFAULT_READS, ZarrReads

if TYPE_CHECKING:
    from advisor.plan.patterns import Pattern
    from advisor.plan.policy.results import Layout
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

SHARD_BYTES: float = MAX_SIZE
"""Upper size of a shard grown from the chunks along time (the top of the advisor's chunk band)."""


def user_target(
    schema: Schema,
    chunks: Mapping[str, int],
    shards: bool,
    patterns: Sequence[str | Pattern],
    n_outs: int,
    notes: list[str],
) -> CopyTarget:
    """The user's ``--chunks`` (dims not named kept whole), and shards grown from them along time."""
    dims, shape = schema.dims, schema.shape
    extra = sorted(set(chunks) - set(dims))
    if extra:
        raise AdvisorError(
            f"--chunks names {', '.join(extra)}, not a dimension of the output: "
            f"use {', '.join(dims)}"
        )
    if n_outs != 1:
        raise AdvisorError(
            "--chunks sets one layout and two --out were given: give one --out, "
            "or drop --chunks for the advisor's two copies"
        )
    chosen = tuple(min(int(chunks.get(d, n)), n) for d, n in zip(dims, shape, strict=True))
    whole = [d for d in dims if d not in chunks]
    if whole:
        notes.append(f"{', '.join(whole)} not in --chunks: kept whole")
    if patterns:
        notes.append("--chunks given: the chunks are yours, --pattern is not used")
    logger.debug("choosing the user's chunks %s", dict(zip(dims, chosen, strict=True)))
    shard_shape = None
    if shards:
        time_axis = schema.axis_of("time")
        if time_axis is None:
            raise AdvisorError(
                f"--shards grows your --chunks along time and none of {', '.join(dims)} is time: "
                "drop --chunks to let the advisor design the shards, or drop --shards"
            )
        shard_shape = grow_block(chosen, shape, schema.itemsize, SHARD_BYTES, [time_axis])
        logger.debug("choosing shards %s: the user's chunks grown along time", shard_shape)
    return CopyTarget(chosen, shard_shape, "user")


def advised_targets(
    schema: Schema,
    patterns: Sequence[str | Pattern],
    shards: bool,
    cluster: ClusterSpec,
    profile: StorageProfile | None,
    band: tuple[float | str, float | str],
    n_outs: int,
    notes: list[str],
    reads: ZarrReads = DEFAULT_READS,
) -> list[CopyTarget]:
    """The advisor's chunks (and shards) for the patterns, or its two copies for two outputs,
    priced for the requests ``reads`` makes (as ``recommend`` prices them)."""
    from advisor.plan.policy.copies import TWO_COPY_FACTOR
    from advisor.plan.policy.recommend import DEFAULT_PATTERNS, recommend

    given = list(patterns) or list(DEFAULT_PATTERNS)
    if not patterns:
        notes.append(f"no --pattern given: planned for {', '.join(DEFAULT_PATTERNS)}")
    advice = recommend(
        schema,
        given,
        profile=profile,
        min_size=band[0],
        max_size=band[1],
        worker_memory=cluster.memory_limit,
        threads_per_worker=cluster.threads_per_worker,
        shards=shards,
        reads=reads,
    )
    names = tuple(str(p) for p in advice.patterns)
    dims = schema.dims
    two = advice.two_copies
    picked: list[tuple[Layout, tuple[str, ...], str | None]]
    if n_outs == 1:
        if two is not None:
            notes.append(
                f"one layout costs a pattern {two.worst_one_copy:.0f}x its best; two copies "
                f"({' | '.join(', '.join(c.patterns) for c in two.copies)}) would cut that to "
                f"{two.worst_two_copies:.1f}x: give two --out to write both"
            )
        picked = [(advice.pick, names, None)]
    else:
        if two is None:
            worst = max(c.slowdown for c in advice.pick.costs)
            raise AdvisorError(
                f"two --out given, but one layout serves {', '.join(names)} within "
                f"{worst:.1f}x of each one's best (two copies are proposed from "
                f"{TWO_COPY_FACTOR:g}x): "
                "give one --out"
            )
        copies = sorted(two.copies, key=lambda c: names[0] not in c.patterns)
        picked = [
            (c.layout, c.patterns, f"copy {n} of 2: {', '.join(c.patterns)}")
            for n, c in enumerate(copies, start=1)
        ]
    targets = []
    for layout, family, label in picked:
        logger.debug(
            "choosing the advisor's chunks %s, shards %s for %s",
            layout.chunk_dict,
            layout.shard_dict,
            ", ".join(family),
        )
        targets.append(
            CopyTarget(
                tuple(int(layout.chunk_dict[d]) for d in dims),
                None if layout.shards is None else tuple(int(n) for n in layout.shards),
                "advisor",
                tuple(family),
                label,
            )
        )
    return targets
