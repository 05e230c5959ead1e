"""The save tables: what the workflow's save step cost per codec or per chunking.

The save benchmarks are recognised by their function and parameter names (the
contract with ``benchmarks/*.py``): ``time_save``, ``peakmem_save``,
``track_stored_bytes`` and ``track_ratio``; the benchmarks of one suite over the
same parameters (e.g. ``codec`` and ``zarr_format``, or ``layout`` and
``zarr_format``) make one table, whichever classes they sit in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from advisor.report.asvresults import Record, class_of, measured

if TYPE_CHECKING:
    from advisor.report.codec_table import CodecTable

SAVE_METRICS = {
    "time_save": "time",
    "peakmem_save": "peak",
    "track_stored_bytes": "stored",
    "track_ratio": "ratio",
}
"""The save benchmarks' functions; a class with ``time_save``, ``peakmem_save`` or
``track_stored_bytes`` is a save suite (``track_ratio`` alone is the codec suite's)."""

_Setting = tuple[tuple[str, str], ...]

PREFERRED_FORMAT = "3"
"""The zarr format whose save row stands for a choice when both were measured."""


@dataclass(frozen=True, slots=True)
class SaveRow:
    """One setting of a save benchmark (codec or layout, zarr format) and what it cost.

    Examples
    --------
    >>> SaveRow({"codec": "zstd", "zarr_format": "3"}, time=1.5).label
    'codec=zstd, zarr_format=3'
    """

    setting: Mapping[str, str]
    time: float | None = None
    peak: float | None = None
    stored: float | None = None
    ratio: float | None = None

    @property
    def label(self) -> str:
        """The setting as ``name=value`` pairs."""
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
        rows = [(value, r) for r in self.rows if measured(value := getattr(r, metric))]
        return min(rows, key=lambda pair: pair[0])[1] if rows else None

    def smallest(self) -> SaveRow | None:
        """The smallest store: the fewest stored bytes, or without them the highest ratio."""
        if (row := self.best("stored")) is not None:
            return row
        rows = [(ratio, r) for r in self.rows if measured(ratio := r.ratio)]
        return max(rows, key=lambda pair: pair[0])[1] if rows else None

    @property
    def metrics(self) -> tuple[str, ...]:
        """The figures measured for at least one setting, in the order time, peak, stored, ratio."""
        return tuple(
            m
            for m in ("time", "peak", "stored", "ratio")
            if any(measured(getattr(r, m)) for r in self.rows)
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
    rows: dict[tuple[str, tuple[str, ...]], dict[_Setting, dict[str, float | None]]] = {}
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


def _row_for(table: SaveTable, key: str, value: str) -> SaveRow | None:
    rows = [r for r in table.rows if r.setting.get(key) == value]
    preferred = [r for r in rows if r.setting.get("zarr_format") == PREFERRED_FORMAT]
    return next(iter(preferred or rows), None)


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
