"""The codec trade-off table: ratio and encode/decode speed per variable, Pareto fronts, picks.

The codec benchmarks are recognised by their function names and parameter names
(the contract with ``benchmarks/*.py``), not by their module, so a suite may
move: ``track_ratio``, ``track_encode_speed``, ``track_decode_speed`` (MB/s)
over params ``codec`` and ``variable``. The picks are pure and logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from advisor.plan.profile import PRESETS
from advisor.report.asvresults import Record, measured

logger = logging.getLogger(__name__)

Goal = Literal["smallest", "fastest", "balanced"]
"""What a codec pick optimises."""

GOALS: tuple[Goal, ...] = get_args(Goal)

FASTEST_MIN_RATIO = 1.1
"""The "fastest" pick must save at least this ratio (no compression is the baseline, not a pick)."""

BALANCE_BANDWIDTH = PRESETS["object-store"].bandwidth / 1e6
"""MB/s of stored data at which "balanced" weighs size against speed: the object-store
profile's bandwidth (300 MB/s), where a smaller store saves real time."""

CODEC_PARAMS = frozenset({"codec", "variable"})
"""The parameters of a codec benchmark."""

CODEC_METRICS = {
    "track_ratio": "ratio",
    "track_encode_speed": "encode",
    "track_decode_speed": "decode",
}
"""The codec benchmarks' functions and the figure each one tracks."""


def is_codec_record(rec: Record) -> bool:
    """A codec benchmark's ratio or speed on one variable."""
    return rec.benchmark.method in CODEC_METRICS and CODEC_PARAMS <= {k for k, _ in rec.params}


@dataclass(frozen=True, slots=True)
class CodecPoint:
    """One codec on one variable: compression ratio and encode/decode speed (MB/s)."""

    variable: str
    codec: str
    ratio: float | None
    encode: float | None
    decode: float | None
    pareto: bool = False

    @property
    def figures(self) -> tuple[float, float, float] | None:
        """``(ratio, encode, decode)`` when all three were measured, else None.

        Examples
        --------
        >>> CodecPoint("v", "lz4", 1.6, 900, 2000).figures, CodecPoint("v", "x", 2, None, 1).figures
        ((1.6, 900, 2000), None)
        """
        ratio, encode, decode = self.ratio, self.encode, self.decode
        if measured(ratio) and measured(encode) and measured(decode):
            return ratio, encode, decode
        return None

    @property
    def complete(self) -> bool:
        """Whether the ratio and both speeds were measured."""
        return self.figures is not None

    @property
    def speed(self) -> float:
        """The harmonic mean of encode and decode MB/s (MB/s of a write plus a read).

        Examples
        --------
        >>> CodecPoint("v", "lz4", 1.6, 1000, 4000).speed
        1600.0
        """
        if (figures := self.figures) is None:
            return math.nan
        _, encode, decode = figures
        return 2 / (1 / encode + 1 / decode)

    def seconds_per_mb(self, bandwidth: float = BALANCE_BANDWIDTH) -> float:
        """Seconds to encode, store, fetch and decode one MB at ``bandwidth`` MB/s of storage."""
        if (figures := self.figures) is None:
            return math.inf
        ratio, encode, decode = figures
        return 1 / encode + 1 / decode + 2 / (ratio * bandwidth)


@dataclass(frozen=True, slots=True)
class CodecTable:
    """Every measured codec per variable, the Pareto fronts and the picks per goal."""

    points: tuple[CodecPoint, ...]
    picks: Mapping[str, Mapping[Goal, str | None]]

    @property
    def variables(self) -> list[str]:
        """The variables measured, in the order first seen."""
        return list(dict.fromkeys(p.variable for p in self.points))

    def of(self, variable: str) -> list[CodecPoint]:
        """The codecs measured on ``variable``."""
        return [p for p in self.points if p.variable == variable]

    def point(self, variable: str, codec: str | None) -> CodecPoint | None:
        """``codec`` on ``variable``, if measured."""
        return next((p for p in self.of(variable) if p.codec == codec), None)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether ``a`` is at least as good as ``b`` everywhere and better somewhere (higher is better).

    Examples
    --------
    >>> dominates((2, 5), (1, 5)), dominates((2, 5), (3, 1)), dominates((1, 1), (1, 1))
    (True, False, False)
    """
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True)
    )


def pareto_front(points: Sequence[Sequence[float]]) -> list[bool]:
    """For each point, whether no other point dominates it (higher is better on every axis).

    Examples
    --------
    >>> pareto_front([(1, 9), (2, 5), (1.5, 4), (3, 1)])
    [True, True, False, True]
    """
    return [not any(dominates(q, p) for q in points if q is not p) for p in points]


def pick_codecs(points: Sequence[CodecPoint]) -> dict[Goal, str | None]:
    """The codec for each :data:`Goal` among one variable's complete points.

    ``smallest``: the highest ratio (ties: faster); ``fastest``: the highest
    :attr:`CodecPoint.speed` among codecs with ratio >= :data:`FASTEST_MIN_RATIO`;
    ``balanced``: the least :meth:`CodecPoint.seconds_per_mb`.

    Examples
    --------
    >>> pts = [CodecPoint("v", "none", 1.0, 5000, 5000), CodecPoint("v", "lz4", 1.6, 900, 2000),
    ...        CodecPoint("v", "zstd9", 2.4, 40, 600), CodecPoint("v", "zstd3", 2.2, 500, 1500)]
    >>> pick_codecs(pts)
    {'smallest': 'zstd9', 'fastest': 'lz4', 'balanced': 'zstd3'}
    """
    ratio = {p.codec: figures[0] for p in points if (figures := p.figures) is not None}
    complete = [p for p in points if p.codec in ratio]
    picks: dict[Goal, str | None] = dict.fromkeys(GOALS)
    if not complete:
        return picks
    picks["smallest"] = max(complete, key=lambda p: (ratio[p.codec], p.speed)).codec
    compressing = [p for p in complete if ratio[p.codec] >= FASTEST_MIN_RATIO]
    if compressing:
        picks["fastest"] = max(compressing, key=lambda p: (p.speed, ratio[p.codec])).codec
    picks["balanced"] = min(complete, key=lambda p: (p.seconds_per_mb(), -ratio[p.codec])).codec
    for goal, codec in picks.items():
        logger.debug("choosing %s for %s of %s", codec, goal, complete[0].variable)
    return picks


def codec_table(records: Iterable[Record]) -> CodecTable | None:
    """Ratio and speeds per (variable, codec) from the codec benchmarks, or None without them."""
    values: dict[tuple[str, str], dict[str, float | None]] = {}
    for rec in records:
        if not is_codec_record(rec):
            continue
        metric = CODEC_METRICS[rec.benchmark.method]
        names = dict(rec.params)
        key = (str(names["variable"]), str(names["codec"]))
        values.setdefault(key, {})[metric] = rec.value if rec.status == "ok" else None
    if not values:
        return None
    raw = [
        CodecPoint(var, codec, m.get("ratio"), m.get("encode"), m.get("decode"))
        for (var, codec), m in values.items()
    ]
    points: list[CodecPoint] = []
    picks: dict[str, Mapping[Goal, str | None]] = {}
    for variable in dict.fromkeys(p.variable for p in raw):
        mine = [p for p in raw if p.variable == variable]
        figures = {p.codec: f for p in mine if (f := p.figures) is not None}
        front = dict(zip(figures, pareto_front(list(figures.values())), strict=True))
        points += [
            CodecPoint(p.variable, p.codec, p.ratio, p.encode, p.decode, front.get(p.codec, False))
            for p in mine
        ]
        picks[variable] = pick_codecs(mine)
    return CodecTable(tuple(points), picks)
