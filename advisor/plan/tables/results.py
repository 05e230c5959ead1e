"""What the table advice returns: a layout's costs, the recommendation, its JSON form. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from advisor.plan.tables.codecs import ParquetCodecMeasure
from advisor.plan.tables.cost import TableCost
from advisor.plan.tables.dtypes import DtypeCheck
from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.schema import TableSchema
from advisor.plan.units import human_readable_size

SortChoice = Literal["key, time", "time, key", "source order"]
"""What the files are sorted by: the key first (key queries prune), the time first (time
ranges prune), or as the rows came (the writer does not sort)."""

Binding = Literal["none", "file-floor", "file-cap", "partition-ceiling", "table-size"]
"""The constraint that moved the pick off the fastest layout, if any."""


@dataclass(frozen=True, slots=True)
class LayoutCosts:
    """One layout priced: each pattern's cost, the weighted seconds, its files and partitions.

    ``file_bytes`` is the mean stored size of a file; ``slowdowns`` each pattern's seconds
    over the fastest candidate's for that pattern.
    """

    layout: TableLayout
    costs: tuple[TableCost, ...]
    seconds: float
    file_bytes: float
    n_files: int
    n_partitions: int
    slowdowns: tuple[float, ...] = ()

    def describe(self) -> str:
        """The layout in a few words.

        >>> LayoutCosts(TableLayout("x", time_partition="month", sort_by=("station", "time"),
        ...     row_group_rows=100_000), (), 0.0, 3e7, 12, 12).describe()
        'month partitions, sorted by station, time, 100,000-row groups, 12 files of 30.0 MB'
        """
        layout = self.layout
        parts = []
        if layout.time_partition != "none":
            parts.append(f"{layout.time_partition} partitions")
        if layout.key_buckets:
            parts.append(f"{layout.key_buckets} key buckets")
        if not parts:
            parts.append("no partitions")
        parts.append(f"sorted by {', '.join(layout.sort_by)}" if layout.sort_by else "unsorted")
        parts.append(f"{layout.row_group_rows:,}-row groups")
        size = human_readable_size(self.file_bytes)
        parts.append(f"{self.n_files:,} file{'s' if self.n_files != 1 else ''} of {size}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TableRecommendation:
    """The table advice: the pick and its costs, the alternatives, dtypes, why, how to write it.

    ``pick`` is the chosen layout priced; ``alternatives`` the reference layouts (the seed's
    day partitions, one file, pyarrow's defaults, ...) priced alike; ``binding_constraint``
    names what kept the pick from the fastest candidate; ``pyarrow_snippet`` and
    ``dask_snippet`` write the pick.
    """

    schema: TableSchema
    pick: LayoutCosts
    alternatives: tuple[LayoutCosts, ...]
    dtypes: tuple[DtypeCheck, ...]
    binding: Binding
    binding_constraint: str
    sort_choice: SortChoice
    profile_name: str
    pyarrow_snippet: str
    dask_snippet: str
    candidates: int
    notes: tuple[str, ...] = ()
    codecs: tuple[ParquetCodecMeasure, ...] = ()
    """The Parquet codecs measured on a sample (empty: none measured, zstd 3 assumed)."""

    @property
    def layout(self) -> TableLayout:
        return self.pick.layout

    @property
    def target_file_bytes(self) -> float:
        return self.pick.file_bytes

    @property
    def bytes_saved(self) -> float:
        """Memory the verified downcasts and dictionaries save over the table."""
        return sum(c.bytes_saved for c in self.dtypes)

    def to_dict(self) -> dict[str, Any]:
        """The recommendation as JSON-ready values (``advisor recommend TABLE --json``)."""
        layout = self.layout
        return {
            "table": self.schema.name,
            "rows": self.schema.rows,
            "time_column": self.schema.time_column,
            "key_column": self.schema.key_column,
            "layout": {
                "time_partition": layout.time_partition,
                "key_buckets": layout.key_buckets,
                "sort_by": list(layout.sort_by),
                "row_group_rows": layout.row_group_rows,
                "max_rows_per_file": layout.max_rows_per_file,
                "dtypes": dict(layout.dtypes),
                "dictionary": list(layout.dictionary),
                "compression": layout.compression,
                "compression_level": layout.compression_level,
            },
            "sort_choice": self.sort_choice,
            "partitions": self.pick.n_partitions,
            "files": self.pick.n_files,
            "file_bytes": self.pick.file_bytes,
            "binding": self.binding,
            "binding_constraint": self.binding_constraint,
            "profile": self.profile_name,
            "candidates": self.candidates,
            "patterns": [
                _cost(c, s) for c, s in zip(self.pick.costs, self.pick.slowdowns, strict=True)
            ],
            "alternatives": [_layout(a) for a in self.alternatives],
            "dtypes": [asdict(c) for c in self.dtypes],
            "bytes_saved": self.bytes_saved,
            "snippets": {"pyarrow": self.pyarrow_snippet, "dask": self.dask_snippet},
            "codecs": [{**asdict(m), "label": m.label} for m in self.codecs],
            "notes": list(self.notes),
        }


def _cost(cost: TableCost, slowdown: float) -> dict[str, Any]:
    return {**asdict(cost), "slowdown": slowdown}


def _layout(costs: LayoutCosts) -> dict[str, Any]:
    return {
        "label": costs.layout.label,
        "description": costs.describe(),
        "seconds": costs.seconds,
        "files": costs.n_files,
        "partitions": costs.n_partitions,
        "file_bytes": costs.file_bytes,
        "patterns": [_cost(c, s) for c, s in zip(costs.costs, costs.slowdowns, strict=True)],
    }
