"""Tables: each table pattern read from each reference layout, and CSV -> Parquet conversion.

The sample table (:func:`advisor.run.table_sample.write_table_year`: :data:`STATIONS` stations
at this scale, the scale's hours of 2019) is written once in each of the 13 reference layouts
(:func:`advisor.plan.tables.references.reference_layouts`, by
:func:`advisor.run.table_write.write_layout`) and kept in the data cache. Then:

- :class:`TableReads` times each pattern (:data:`PATTERNS`) on each layout, read with pyarrow's
  dataset filters and with Dask DataFrame (:mod:`advisor.run.table_workloads`, the reads the
  tests check);
- :class:`TablePruning` tracks what pyarrow opens for each: files, and row groups left after
  min/max statistics pruning;
- :class:`CsvToParquet` times converting the sample as CSV to Parquet (bounded memory, two passes
  when the layout partitions or sorts) and its peak memory.

Dask's reads run under the benchmarks' client (:func:`benchmarks.cluster.client`).
"""

from __future__ import annotations

import re
from pathlib import Path

from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.patterns import TablePattern
from advisor.plan.tables.references import reference_layouts
from advisor.plan.tables.schema import TableSchema
from advisor.run.table_sample import write_table_year
from advisor.run.table_workloads import TableQuery, query_for, read_dask, read_pyarrow
from advisor.run.table_write import write_layout
from advisor.store.publish import remove

from .cache import cached, data_dir, scratch
from .cluster import client
from .scale import SEED, YEAR, hours, scale
from .suite import Interactive, Pipeline

STATIONS = {"tiny": 20, "small": 200, "full": 1000}
"""Stations of the sample table at each scale (full: the issue's 1,000 stations for a year)."""

SCHEMA = TableSchema("stations", 0, (), time_column="time", key_column="station")
"""What the reference layouts need to know: the time and the key column."""

LAYOUTS = {layout.label: layout for layout in reference_layouts(SCHEMA)}
"""The 13 reference layouts, by label."""

MEMORY = 512 * 2**20
"""The working memory the conversions are given."""


def patterns() -> dict[str, TablePattern]:
    """The patterns read, by name (a week's rows; one day's at the tiny scale of four days).

    Examples
    --------
    >>> sorted(patterns())
    ['groupby', 'key', 'scan', 'time-range']
    """
    days = 1.0 if scale() == "tiny" else 7.0
    return {
        "time-range": TablePattern("time-range", days=days),
        "key": TablePattern("key"),
        "scan": TablePattern("scan", columns=("cape", "blh")),
        "groupby": TablePattern("groupby", columns=("cape",)),
    }


PATTERNS = list(patterns())
READERS = ["pyarrow", "dask"]
START = "2019-01-02"
"""The first day of the time-range reads (inside the tiny scale's four days)."""

KEY = "S0007"
"""The station the key reads read."""


def slug(label: str) -> str:
    """A layout's label as a folder name.

    Examples
    --------
    >>> slug("day partitions (the seed)")
    'day-partitions-the-seed'
    """
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def sample_table(fmt: str = "parquet") -> Path:
    """The sample table at this scale, as Parquet or CSV, made once."""

    def make(tmp: Path) -> None:
        tmp.mkdir()
        stations = STATIONS[scale()]
        write_table_year(tmp, YEAR, stations=stations, hours=hours(), seed=SEED, fmt=fmt)  # type: ignore[arg-type]

    return cached(data_dir() / "tables" / f"sample-{fmt}", make) / f"stations_{YEAR}.{fmt}"


def layout_table(label: str, layout: TableLayout | None = None) -> Path:
    """The sample table written in ``layout`` (default: the reference layout ``label``), made
    once and kept under ``label``."""
    source = sample_table()

    def make(tmp: Path) -> None:
        chosen = LAYOUTS[label] if layout is None else layout
        write_layout(source, tmp, chosen, time_column="time", key_column="station")

    return cached(data_dir() / "tables" / "layouts" / slug(label), make)


def _query(pattern: str, label: str) -> TableQuery:
    return query_for(patterns()[pattern], LAYOUTS[label], start=START, key=KEY)


class TableReads(Interactive):
    """Seconds to read each pattern from each layout, with pyarrow and with Dask."""

    params = (PATTERNS, list(LAYOUTS), READERS)
    param_names = ("pattern", "layout", "reader")

    def setup_cache(self) -> dict[str, str]:
        return {label: str(layout_table(label)) for label in LAYOUTS}

    def setup(self, paths: dict[str, str], pattern: str, layout: str, reader: str) -> None:
        if reader == "dask":
            client()
        self.path = paths[layout]
        self.query = _query(pattern, layout)

    def time_read(self, paths: dict[str, str], pattern: str, layout: str, reader: str) -> None:
        read = read_pyarrow if reader == "pyarrow" else read_dask
        assert read(self.path, self.query).rows > 0


class TablePruning(Interactive):
    """What pyarrow opens for each pattern and layout: files, and row groups after pruning."""

    params = (PATTERNS, list(LAYOUTS))
    param_names = ("pattern", "layout")

    def setup_cache(self) -> dict[str, str]:
        return {label: str(layout_table(label)) for label in LAYOUTS}

    def setup(self, paths: dict[str, str], pattern: str, layout: str) -> None:
        self.read = read_pyarrow(paths[layout], _query(pattern, layout), count=True)

    def track_files(self, paths: dict[str, str], pattern: str, layout: str) -> int:
        return int(self.read.files or 0)

    track_files.unit = "files"  # type: ignore[attr-defined]

    def track_row_groups(self, paths: dict[str, str], pattern: str, layout: str) -> int:
        return int(self.read.row_groups or 0)

    track_row_groups.unit = "row groups"  # type: ignore[attr-defined]


CONVERSIONS = ["pyarrow defaults (one file)", "month partitions, sorted by key",
               "day partitions (the seed)"]  # fmt: skip


class CsvToParquet(Pipeline):
    """Seconds and peak memory of converting the sample CSV to Parquet in a layout."""

    params = CONVERSIONS
    param_names = ("layout",)

    def setup_cache(self) -> str:
        return str(sample_table("csv"))

    def setup(self, csv: str, layout: str) -> None:
        self.out = scratch(f"table-{slug(layout)}")

    def teardown(self, csv: str, layout: str) -> None:
        remove(self.out)

    def _convert(self, csv: str, layout: str) -> None:
        write_layout(csv, self.out, LAYOUTS[layout], time_column="time", key_column="station",
                     memory=MEMORY)  # fmt: skip

    def time_convert(self, csv: str, layout: str) -> None:
        self._convert(csv, layout)

    def peakmem_convert(self, csv: str, layout: str) -> None:
        self._convert(csv, layout)
