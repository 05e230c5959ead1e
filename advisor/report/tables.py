"""The report's tables, derived from tidy asv records: codecs, the save workload, access patterns.

Benchmarks are recognised by their function names and parameter names (the
contract with ``benchmarks/*.py``), not by their module, so a suite may move:

- codecs: ``track_ratio``, ``track_encode_speed``, ``track_decode_speed`` (MB/s)
  over params ``codec`` and ``variable``;
- save: ``time_save``, ``peakmem_save``, ``track_stored_bytes`` and
  ``track_ratio``; the benchmarks of one suite over the same parameters (e.g.
  ``codec`` and ``zarr_format``, or ``layout`` and ``zarr_format``) make one table,
  whichever classes they sit in;
- access: ``time_read`` over params ``pattern`` and ``layout``.

The choices made here are pure and logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from advisor.plan.profile import PRESETS
from advisor.report.asvresults import Record

logger = logging.getLogger(__name__)

Goal = Literal["smallest", "fastest", "balanced"]
GOALS: tuple[Goal, ...] = get_args(Goal)

FASTEST_MIN_RATIO = 1.1
"""The "fastest" pick must save at least this ratio (no compression is the baseline, not a pick)."""

BALANCE_BANDWIDTH = PRESETS["object-store"].bandwidth / 1e6
"""MB/s of stored data at which "balanced" weighs size against speed: the object-store
profile's bandwidth (300 MB/s), where a smaller store saves real time."""

ADVISOR_LAYOUTS: tuple[str, ...] = ("advisor", "advisor-mix")
"""Access layouts that are the advisor's picks: per pattern, and the compromise for the mix."""

CODEC_PARAMS = frozenset({"codec", "variable"})
ACCESS_PARAMS = frozenset({"pattern", "layout"})

CODEC_METRICS = {
    "track_ratio": "ratio",
    "track_encode_speed": "encode",
    "track_decode_speed": "decode",
}


def is_codec_record(rec: Record) -> bool:
    """A codec benchmark's ratio or speed on one variable."""
    return rec.benchmark.method in CODEC_METRICS and CODEC_PARAMS <= {k for k, _ in rec.params}


def is_access_record(rec: Record) -> bool:
    """An access benchmark's read time of one pattern on one layout."""
    return rec.benchmark.method == "time_read" and ACCESS_PARAMS <= {k for k, _ in rec.params}


def class_of(name: str) -> str:
    """The benchmark class (or module, for a function) of a full benchmark name.

    Examples
    --------
    >>> class_of("save.SaveCodecs.time_save")
    'save.SaveCodecs'
    """
    return name.rsplit(".", 1)[0]


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


# ----------------------------------------------------------------------------- codecs


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
    def complete(self) -> bool:
        return _ok(self.ratio) and _ok(self.encode) and _ok(self.decode)

    @property
    def speed(self) -> float:
        """The harmonic mean of encode and decode MB/s (MB/s of a write plus a read)."""
        return 2 / (1 / self.encode + 1 / self.decode) if self.complete else math.nan

    def seconds_per_mb(self, bandwidth: float = BALANCE_BANDWIDTH) -> float:
        """Seconds to encode, store, fetch and decode one MB at ``bandwidth`` MB/s of storage."""
        if not self.complete:
            return math.inf
        return 1 / self.encode + 1 / self.decode + 2 / (self.ratio * bandwidth)


@dataclass(frozen=True, slots=True)
class CodecTable:
    """Every measured codec per variable, the Pareto fronts and the picks per goal."""

    points: tuple[CodecPoint, ...]
    picks: Mapping[str, Mapping[Goal, str | None]]

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(p.variable for p in self.points))

    def of(self, variable: str) -> list[CodecPoint]:
        return [p for p in self.points if p.variable == variable]

    def point(self, variable: str, codec: str | None) -> CodecPoint | None:
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
    complete = [p for p in points if p.complete]
    picks: dict[Goal, str | None] = dict.fromkeys(GOALS)
    if not complete:
        return picks
    picks["smallest"] = max(complete, key=lambda p: (p.ratio, p.speed)).codec
    compressing = [p for p in complete if p.ratio >= FASTEST_MIN_RATIO]
    if compressing:
        picks["fastest"] = max(compressing, key=lambda p: (p.speed, p.ratio)).codec
    picks["balanced"] = min(complete, key=lambda p: (p.seconds_per_mb(), -p.ratio)).codec
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
        complete = [p for p in mine if p.complete]
        front = dict(
            zip(
                (p.codec for p in complete),
                pareto_front([(p.ratio, p.encode, p.decode) for p in complete]),
                strict=True,
            )
        )
        points += [
            CodecPoint(p.variable, p.codec, p.ratio, p.encode, p.decode, front.get(p.codec, False))
            for p in mine
        ]
        picks[variable] = pick_codecs(mine)
    return CodecTable(tuple(points), picks)


# ----------------------------------------------------------------------------- access


@dataclass(frozen=True, slots=True)
class AccessTable:
    """Seconds per read for each layout (rows) and pattern (columns); None: failed or skipped."""

    layouts: tuple[str, ...]
    patterns: tuple[str, ...]
    seconds: Mapping[tuple[str, str], float | None]
    status: Mapping[tuple[str, str], str]

    def best(self, pattern: str) -> str | None:
        """The fastest measured layout for ``pattern``."""
        column = [
            (s, layout) for layout in self.layouts if _ok(s := self.seconds.get((layout, pattern)))
        ]
        return min(column)[1] if column else None

    def slowdown(self, layout: str, pattern: str) -> float | None:
        """Seconds of ``layout`` over the best layout's, for ``pattern`` (1.0 = the best)."""
        best = self.best(pattern)
        value = self.seconds.get((layout, pattern))
        if best is None or not _ok(value):
            return None
        return value / self.seconds[best, pattern]

    def is_pick(self, layout: str) -> bool:
        return layout in ADVISOR_LAYOUTS


def access_table(records: Iterable[Record]) -> AccessTable | None:
    """The layout x pattern read times of the access benchmarks, or None without them."""
    seconds: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    for rec in records:
        if not is_access_record(rec):
            continue
        names = dict(rec.params)
        key = (str(names["layout"]), str(names["pattern"]))
        seconds[key] = rec.value if rec.status == "ok" else None
        status[key] = rec.status
    if not seconds:
        return None
    layouts = tuple(dict.fromkeys(k[0] for k in seconds))
    patterns = tuple(dict.fromkeys(k[1] for k in seconds))
    return AccessTable(layouts, patterns, seconds, status)


# ----------------------------------------------------------------------------- save

SAVE_METRICS = {
    "time_save": "time",
    "peakmem_save": "peak",
    "track_stored_bytes": "stored",
    "track_ratio": "ratio",
}
"""The save benchmarks' functions; a class with ``time_save``, ``peakmem_save`` or
``track_stored_bytes`` is a save suite (``track_ratio`` alone is the codec suite's)."""


@dataclass(frozen=True, slots=True)
class SaveRow:
    """One setting of a save benchmark (codec or layout, zarr format) and what it cost."""

    setting: Mapping[str, str]
    time: float | None = None
    peak: float | None = None
    stored: float | None = None
    ratio: float | None = None

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.setting.items())


@dataclass(frozen=True, slots=True)
class SaveTable:
    """The save benchmarks of one suite over one set of parameters (per codec, or per chunking).

    Several classes may measure the same settings (e.g. one times the save, another
    tracks the stored bytes): their figures meet in one row per setting.
    """

    suite: str
    param_names: tuple[str, ...]
    rows: tuple[SaveRow, ...]
    classes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """E.g. ``save: codec x zarr_format``."""
        return f"{self.suite}: {' x '.join(self.param_names)}"

    def best(self, metric: Literal["time", "peak", "stored"]) -> SaveRow | None:
        """The row with the least ``metric``."""
        rows = [r for r in self.rows if _ok(getattr(r, metric))]
        return min(rows, key=lambda r: getattr(r, metric)) if rows else None

    def smallest(self) -> SaveRow | None:
        """The smallest store: the fewest stored bytes, or without them the highest ratio."""
        if (row := self.best("stored")) is not None:
            return row
        rows = [r for r in self.rows if _ok(r.ratio)]
        return max(rows, key=lambda r: r.ratio) if rows else None

    @property
    def metrics(self) -> tuple[str, ...]:
        """The figures measured for at least one setting, in the order time, peak, stored, ratio."""
        return tuple(
            m
            for m in ("time", "peak", "stored", "ratio")
            if any(_ok(getattr(r, m)) for r in self.rows)
        )


def save_tables(records: Iterable[Record]) -> list[SaveTable]:
    """One :class:`SaveTable` per (suite, parameter names) with a save benchmark, first seen first.

    ``track_ratio`` counts only beside a save benchmark of the same suite and
    parameters (the codec suite has its own, per variable).
    """
    records = list(records)

    def group(rec: Record) -> tuple[str, tuple[str, ...]]:
        return rec.benchmark.suite, tuple(k for k, _ in rec.params)

    saving = {
        group(r)
        for r in records
        if r.benchmark.method in SAVE_METRICS and r.benchmark.method != "track_ratio"
    }
    rows: dict[tuple[str, tuple[str, ...]], dict[tuple, dict[str, float | None]]] = {}
    classes: dict[tuple[str, tuple[str, ...]], dict[str, None]] = {}
    for rec in records:
        key = group(rec)
        metric = SAVE_METRICS.get(rec.benchmark.method)
        if key not in saving or metric is None:
            continue
        classes.setdefault(key, {})[class_of(rec.benchmark.name)] = None
        setting = tuple((k, str(v)) for k, v in rec.params)
        rows.setdefault(key, {}).setdefault(setting, {})[metric] = (
            rec.value if rec.status == "ok" else None
        )
    return [
        SaveTable(
            suite,
            names,
            tuple(SaveRow(dict(setting), **metrics) for setting, metrics in settings.items()),
            tuple(classes[suite, names]),
        )
        for (suite, names), settings in rows.items()
    ]


PREFERRED_FORMAT = "3"
"""The zarr format whose save row stands for a choice when both were measured."""


def _row_for(table: SaveTable, key: str, value: str) -> SaveRow | None:
    rows = [r for r in table.rows if r.setting.get(key) == value]
    preferred = [r for r in rows if r.setting.get("zarr_format") == PREFERRED_FORMAT]
    return (preferred or rows or [None])[0]


def save_choices(
    saves: Sequence[SaveTable], codecs: CodecTable | None
) -> list[tuple[str, SaveRow]]:
    """What each choice costs at the save step: ``(choice, row)`` pairs.

    The codec picked "balanced" for each variable (in zarr format 3 when
    measured), the fastest save and the smallest store of the per-codec suite,
    then each chunking of the per-layout suite.
    """
    out: list[tuple[str, SaveRow]] = []
    for table in saves:
        if "codec" in table.param_names:
            if codecs is not None:
                chosen: dict[str, list[str]] = {}
                for variable, picks in codecs.picks.items():
                    if picks.get("balanced"):
                        chosen.setdefault(str(picks["balanced"]), []).append(variable)
                for codec, variables in chosen.items():
                    if (row := _row_for(table, "codec", codec)) is not None:
                        out.append((f"balanced codec for {', '.join(variables)}", row))
            if (row := table.best("time")) is not None:
                out.append(("fastest save", row))
            if (row := table.smallest()) is not None:
                out.append(("smallest store", row))
        elif "layout" in table.param_names:
            for layout in dict.fromkeys(r.setting["layout"] for r in table.rows):
                if (row := _row_for(table, "layout", layout)) is not None:
                    out.append((f"chunking {layout}", row))
    return out


# ----------------------------------------------------------------------------- generic


@dataclass(frozen=True, slots=True)
class GenericTable:
    """Any benchmark's records as rows: parameter values, then the value with its unit."""

    benchmark: str
    unit: str
    param_names: tuple[str, ...]
    rows: tuple[tuple[tuple[Any, ...], float | None, str], ...]


def generic_tables(records: Iterable[Record], skip: Iterable[str] = ()) -> list[GenericTable]:
    """One table per benchmark not in ``skip`` (full names), in the order first seen."""
    skipped = set(skip)
    grouped: dict[str, list[Record]] = {}
    for rec in records:
        if rec.benchmark.name not in skipped:
            grouped.setdefault(rec.benchmark.name, []).append(rec)
    tables = []
    for name, recs in grouped.items():
        names = tuple(k for k, _ in recs[0].params)
        rows = tuple((tuple(v for _, v in r.params), r.value, r.status) for r in recs)
        tables.append(GenericTable(name, recs[0].benchmark.unit, names, rows))
    return tables
