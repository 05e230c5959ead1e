"""The layouts the table advice is measured against: the seed's, pyarrow's defaults, the obvious ones.

Pure. The benchmarks write each of these (and the advisor's pick) and read them with every
table pattern, so the pick is compared with at least 12 measured layouts.
"""

from __future__ import annotations

from typing import Any

from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.schema import TableSchema

PYARROW_ROW_GROUP = 1024 * 1024
"""pyarrow's default rows per row group (``pyarrow.parquet.write_table``, pyarrow >= 15)."""


def reference_layouts(schema: TableSchema) -> list[TableLayout]:
    """Thirteen layouts people use or would try, by name; the key and time columns from ``schema``.

    Examples
    --------
    >>> from advisor.plan.tables.schema import TableColumn, TableSchema
    >>> s = TableSchema("t", 100, (TableColumn("time", "timestamp[ns]"),
    ...     TableColumn("station", "string", 10)), time_column="time", key_column="station")
    >>> layouts = reference_layouts(s)
    >>> len(layouts), layouts[0].label
    (13, 'day partitions (the seed)')
    >>> len({layout.label for layout in layouts})
    13
    """
    t = (schema.time_column,) if schema.time_column else ()
    k = (schema.key_column,) if schema.key_column else ()
    key_time = k + t
    time_key = t + k
    return [
        # the seed's DataPartitioner: year=/month=/day= folders, pandas' defaults (snappy)
        TableLayout("day partitions (the seed)", time_partition="day"),
        TableLayout("pyarrow defaults (one file)"),
        _zstd("one file, sorted by key, time", sort_by=key_time),
        _zstd("one file, sorted by time, key", sort_by=time_key),
        _zstd("one file, sorted by key, 100k-row groups", sort_by=key_time, row_group_rows=100_000),
        _zstd("month partitions", time_partition="month"),
        _zstd("month partitions, sorted by key", time_partition="month", sort_by=key_time),
        _zstd("year partitions, sorted by key", time_partition="year", sort_by=key_time),
        _zstd("day partitions, sorted by key", time_partition="day", sort_by=key_time),
        _zstd("16 key buckets, sorted by time", key_buckets=16, sort_by=time_key),
        _zstd("one file, sorted by key, 10k-row groups", sort_by=key_time, row_group_rows=10_000),
        _zstd("week partitions, sorted by key", time_partition="week", sort_by=key_time),
        _zstd(
            "one file, sorted by key, dictionary key",
            sort_by=key_time,
            dictionary=k,
            row_group_rows=100_000,
        ),
    ]


def _zstd(label: str, **fields: Any) -> TableLayout:
    """A layout written with Parquet's zstd at level 3."""
    return TableLayout(label, compression="zstd", compression_level=3, **fields)
