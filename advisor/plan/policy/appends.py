"""Appends in the advice: what the pick costs each append, and the strategy it implies.

An ``append`` pattern is weighed like any other in the search (its slowdown, times its
weight, in the objective). Here, for the pick, its price per append, per day and per year of
arrivals (:mod:`advisor.plan.cost.appends`), and the strategy (:func:`choose_strategy`):

- ``cadence-aligned``: the time block is a small multiple of the cadence; each append writes
  little more than its new steps (write amplification at most :data:`ALIGNED_AMPLIFICATION`).
- ``rewrite-trailing``: long blocks; every append rewrites the trailing block in place.
- ``write-hot-then-compact``: arrivals go to a trailing store in blocks of one cadence (no
  re-read), compacted once per block of the pick into the read-optimised layout (reading the
  block back, writing it once); advised when that costs at most ``1 /`` :data:`COMPACT_GAIN`
  of rewriting in place.
- ``two-copies``: the two-copies advice holds a copy for the append's family (it takes the
  arrivals) and a read-optimised copy, refreshed the same way once per block of its own.

A year of arrivals is :data:`DAYS_PER_YEAR` days.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from advisor.plan.arrivals import appends_per_day
from advisor.plan.cost.appends import AppendFigures, append_figures
from advisor.plan.cost.scores import score
from advisor.plan.patterns import WRITES, Pattern
from advisor.plan.policy.results import Layout, TwoCopyAdvice
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import ZarrReads
from advisor.plan.schema import Schema
from advisor.plan.units import format_seconds, human_readable_size

logger = logging.getLogger(__name__)

AppendStrategy = Literal[
    "cadence-aligned", "rewrite-trailing", "write-hot-then-compact", "two-copies"
]

ALIGNED_AMPLIFICATION = 5.0
"""Cycle-mean write amplification up to which the pick's time block counts as aligned with
the cadence: a block of ``k`` cadences is written ``(k + 1) / 2`` times its new bytes on
average, so up to 9 cadences a block."""

COMPACT_GAIN = 2.0
"""A write-hot store with compaction is advised when rewriting in place costs the arrivals at
least this many times its seconds a year."""

DAYS_PER_YEAR = 365


def choose_strategy(
    amplification: float, in_place: float, compacted: float, two_copies: bool
) -> AppendStrategy:
    """The strategy the pick implies, from its write amplification, the seconds a year of
    rewriting in place and of a write-hot store compacted, and whether two copies are advised.

    Examples
    --------
    >>> choose_strategy(1.5, 10.0, 20.0, False), choose_strategy(372.5, 100.0, 80.0, False)
    ('cadence-aligned', 'rewrite-trailing')
    >>> choose_strategy(4380.5, 900.0, 30.0, False), choose_strategy(1.0, 1.0, 1.0, True)
    ('write-hot-then-compact', 'two-copies')
    """
    strategy: AppendStrategy
    if two_copies:
        strategy = "two-copies"
    elif amplification <= ALIGNED_AMPLIFICATION:
        strategy = "cadence-aligned"
    elif compacted * COMPACT_GAIN <= in_place:
        strategy = "write-hot-then-compact"
    else:
        strategy = "rewrite-trailing"
    logger.debug(
        "choosing append strategy %r (amplification %.4g, %.4g s a year in place, %.4g s "
        "compacted)",
        strategy,
        amplification,
        in_place,
        compacted,
    )
    return strategy


@dataclass(frozen=True, slots=True)
class AppendCost:
    """One append into one layout (cycle means, every variable): what it moves and costs."""

    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    block: int
    """Time steps of the stored block (the chunk's, or the shard's)."""
    time_blocks: float
    objects: float
    """Chunks (or shards) rewritten or written."""
    gets: float
    puts: float
    bytes_read: float
    bytes_written: float
    new_bytes: float
    raw_encoded: float
    amplification: float
    seconds: float

    @property
    def requests(self) -> float:
        return self.gets + self.puts

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "requests": self.requests}


@dataclass(frozen=True, slots=True)
class AppendAdvice:
    """An append pattern under the pick: its price, per day and year, and the strategy."""

    pattern: str
    steps: int
    appends_per_day: float
    strategy: AppendStrategy
    pick: AppendCost
    in_place_per_year: float
    """Seconds a year of appending in place into the pick."""
    strategy_per_year: float
    """Seconds a year of the strategy (the arrivals, plus the compactions it runs)."""
    hot: AppendCost | None = None
    """Each append into the write-hot layout (a trailing store, or the append's copy)."""
    compaction: AppendCost | None = None
    """One compaction: a block of the read-optimised layout written whole (its ``seconds``
    include reading the block back from the write-hot layout)."""
    compactions_per_year: float = 0.0

    def per(self, days: float) -> dict[str, float]:
        """The pick's figures for ``days`` of arrivals in place: appends, objects, requests,
        bytes written and seconds."""
        n = self.appends_per_day * days
        p = self.pick
        return {
            "appends": n,
            "objects": n * p.objects,
            "requests": n * p.requests,
            "bytes_written": n * p.bytes_written,
            "seconds": n * p.seconds,
        }

    def sentence(self) -> str:
        """One line for the table output.

        Examples
        --------
        >>> from advisor.plan.policy.recommend import recommend
        >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
        >>> rec = recommend(s, ["map", "append:every=1D"])
        >>> print(rec.appends[0].sentence())  # doctest: +ELLIPSIS
        append:every=1D (24 steps): cadence-aligned: each append into the pick writes ... a year: ...
        """
        p, size = self.pick, human_readable_size
        head = (
            f"{self.pattern} ({self.steps} step{'s' if self.steps > 1 else ''}): {self.strategy}: "
            f"each append into the pick writes {p.objects:.3g} "
            f"{'shard' if p.shards else 'chunk'}{'' if p.objects == 1 else 's'} of {p.block} "
            f"steps, {size(p.bytes_written)} "
            f"stored (x{p.amplification:.3g} its new bytes), reads back {size(p.bytes_read)}, "
            f"{p.requests:.3g} requests, {format_seconds(p.seconds)}"
        )
        year = self.per(DAYS_PER_YEAR)
        in_place = (
            f"{year['appends']:,.0f} a year: {size(year['bytes_written'])} written, "
            f"{format_seconds(self.in_place_per_year)}"
        )
        if self.strategy in ("cadence-aligned", "rewrite-trailing") or self.hot is None:
            return f"{head}; {in_place}"
        assert self.compaction is not None
        where = "a trailing store" if self.strategy == "write-hot-then-compact" else "its copy"
        return (
            f"{head}; {in_place}. Instead: arrivals into {where} in "
            f"{'x'.join(map(str, self.hot.chunks))} chunks (x{self.hot.amplification:.3g}, "
            f"{format_seconds(self.hot.seconds)} each), compacted every {self.compaction.block} "
            f"steps ({format_seconds(self.compaction.seconds)} each, so the read-optimised "
            f"layout lags by up to {self.compaction.block} steps): "
            f"{format_seconds(self.strategy_per_year)} a year"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "steps": self.steps,
            "appends_per_day": self.appends_per_day,
            "strategy": self.strategy,
            "per_append": self.pick.to_dict(),
            "per_day": self.per(1),
            "per_year": self.per(DAYS_PER_YEAR),
            "in_place_seconds_per_year": self.in_place_per_year,
            "strategy_seconds_per_year": self.strategy_per_year,
            "hot": self.hot.to_dict() if self.hot else None,
            "compaction": self.compaction.to_dict() if self.compaction else None,
            "compactions_per_year": self.compactions_per_year,
            "sentence": self.sentence(),
        }


def _cost(
    schema: Schema,
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    figures: AppendFigures,
    extra_seconds: float = 0.0,
) -> AppendCost:
    t = schema.axis_of("time")
    assert t is not None
    return AppendCost(
        chunks=chunks,
        shards=shards,
        block=(shards or chunks)[t],
        time_blocks=float(figures.time_blocks[0]),
        objects=float(figures.objects[0]),
        gets=float(figures.gets[0]),
        puts=float(figures.puts[0]),
        bytes_read=float(figures.bytes_read[0]),
        bytes_written=float(figures.bytes_written[0]),
        new_bytes=float(figures.new_bytes[0]),
        raw_encoded=float(figures.raw_encoded[0]),
        amplification=float(figures.amplification[0]),
        seconds=float(figures.seconds[0]) + extra_seconds,
    )


def _price(
    schema: Schema,
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    steps: int,
    profile: StorageProfile,
    reads: ZarrReads,
    phase: int | None = None,
    extra_seconds: float = 0.0,
) -> AppendCost:
    figures = append_figures(
        schema,
        np.array([chunks]),
        steps,
        profile,
        None if shards is None else np.array([shards]),
        reads,
        None if phase is None else np.array([phase]),
    )
    return _cost(schema, chunks, shards, figures, extra_seconds)


def append_advice(
    schema: Schema,
    patterns: tuple[Pattern, ...],
    pick: Layout,
    two: TwoCopyAdvice | None,
    profile: StorageProfile,
    reads: ZarrReads,
) -> tuple[AppendAdvice, ...]:
    """For each append pattern, its price under ``pick`` and the strategy it implies."""
    t = schema.axis_of("time")
    out = []
    for pattern in patterns:
        if pattern.kind not in WRITES or t is None:
            continue
        steps = pattern.append_steps(schema)
        daily = appends_per_day(steps, schema.time_step)
        yearly = daily * DAYS_PER_YEAR
        here = _price(schema, pick.chunks, pick.shards, steps, profile, reads)
        in_place = yearly * here.seconds
        hot_layout, cold_layout = _hot_and_cold(schema, pattern, pick, two, steps)
        hot = _price(schema, hot_layout.chunks, hot_layout.shards, steps, profile, reads, 0)
        block = cold_layout.stored_shape[t]
        # a compaction: the block read back from the write-hot layout, then written whole
        read_back = score(
            schema,
            np.array([hot_layout.chunks]),
            [Pattern("map", (("steps", block),))],
            profile,
            shards=None if hot_layout.shards is None else np.array([hot_layout.shards]),
            reads=reads,
        ).seconds[0, 0] * max(1, len(schema.variables))
        compaction = _price(
            schema,
            cold_layout.chunks,
            cold_layout.shards,
            block,
            profile,
            reads,
            0,
            float(read_back),
        )
        compactions = yearly * steps / block
        compacted = yearly * hot.seconds + compactions * compaction.seconds
        strategy = choose_strategy(here.amplification, in_place, compacted, two is not None)
        kept = strategy in ("write-hot-then-compact", "two-copies")
        out.append(
            AppendAdvice(
                pattern=str(pattern),
                steps=steps,
                appends_per_day=daily,
                strategy=strategy,
                pick=here,
                in_place_per_year=in_place,
                strategy_per_year=compacted if kept else in_place,
                hot=hot,
                compaction=compaction,
                compactions_per_year=compactions,
            )
        )
    return tuple(out)


def _hot_and_cold(
    schema: Schema,
    pattern: Pattern,
    pick: Layout,
    two: TwoCopyAdvice | None,
    steps: int,
) -> tuple[Layout, Layout]:
    """The layout that takes the arrivals and the one compacted into: the append's copy and
    the other with two copies, else a trailing store of one cadence per block (the pick's
    spatial blocks) and the pick."""
    if two is not None:
        first, second = two.copies
        hot = first if str(pattern) in first.patterns else second
        cold = second if hot is first else first
        return hot.layout, cold.layout
    t = schema.axis_of("time")
    assert t is not None
    shape = list(pick.stored_shape)
    shape[t] = min(steps, schema.shape[t])
    trailing = dataclasses.replace(pick, label="write-hot", chunks=tuple(shape), shards=None)
    return trailing, pick
