"""The table reads, defined once: each table pattern read from a written layout, with pyarrow
dataset filters and with Dask DataFrame.

A :class:`~advisor.plan.tables.patterns.TablePattern` is made concrete for one table by
:func:`query_for`: which rows (a filter in disjunctive normal form, naming the Hive partitions
the rows fall in, so readers open only those folders) and which columns. :func:`read_pyarrow`
reads it with :func:`pyarrow.dataset.dataset` and ``to_table(filter=...)``;
:func:`read_dask` with :func:`dask.dataframe.read_parquet` and ``filters=``. Both return what
they read; with ``count`` the pyarrow read also says how many files and row groups a reader
opens after pruning (pyarrow's own partition and min/max statistics pruning:
``get_fragments(filter)`` and ``split_by_row_group(filter)``). Used by the tests and the
benchmarks (benchmarks/tables.py).

Examples
--------
>>> import tempfile, numpy as np, pyarrow as pa, pyarrow.parquet as pq
>>> from advisor.plan.tables.layout import TableLayout
>>> from advisor.plan.tables.patterns import TablePattern
>>> t = pa.table({"time": np.arange(4).astype("datetime64[D]").astype("datetime64[ns]"),
...     "station": ["a", "b", "a", "b"], "cape": [1.0, 2.0, 3.0, 4.0]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     pq.write_table(t, f"{tmp}/part-0.parquet")
...     q = query_for(TablePattern("key"), TableLayout("one"), key="a")
...     read_pyarrow(tmp, q).rows, read_dask(tmp, q).rows
...     q = query_for(TablePattern("groupby", columns=("cape",)), TableLayout("one"))
...     read_pyarrow(tmp, q).data.sort_by("station").column("cape_mean").to_pylist()
(2, 2)
[2.0, 3.0]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from advisor.plan.errors import AdvisorError
from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.patterns import TablePattern
from advisor.run.table_partitions import Filters, key_filters, partition_fields, time_filters

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

Reader = Literal["pyarrow", "dask"]

DEFAULT_DAYS = 7.0
"""The days a ``time-range`` read spans when its pattern names none."""


@dataclass(frozen=True, slots=True)
class TableQuery:
    """One pattern made concrete: rows (``filters``), ``columns`` (empty: all), a ``by`` column
    (a mean of ``columns`` by it), and the layout's partition columns (left out of results)."""

    kind: str
    filters: Filters | None
    columns: tuple[str, ...]
    by: str | None
    partition_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableRead:
    """What a read read: its rows, and the files and row groups opened when counted."""

    rows: int
    data: Any
    files: int | None = None
    row_groups: int | None = None


def query_for(
    pattern: TablePattern,
    layout: TableLayout,
    *,
    time_column: str = "time",
    key_column: str = "station",
    start: Any = "2019-07-01",
    key: str = "S0001",
) -> TableQuery:
    """The read of ``pattern`` on a table written in ``layout``.

    ``time-range`` reads ``days`` days from ``start``; ``key`` one key's rows (``key``);
    ``scan`` every row of the pattern's columns; ``groupby`` the mean of its columns (default:
    every floating-point column) by ``by`` (default the key column).

    Examples
    --------
    >>> q = query_for(TablePattern("time-range", days=1), TableLayout("d", time_partition="day"))
    >>> q.filters[0][:3]
    [('year', '==', 2019), ('month', '==', 7), ('day', '==', 1)]
    """
    parts = partition_fields(layout, key_column)
    if pattern.kind == "time-range":
        import pandas as pd

        lo = pd.Timestamp(start)
        hi = lo + pd.Timedelta(days=pattern.days or DEFAULT_DAYS)
        filters = time_filters(layout, time_column, lo, hi)
        return TableQuery("time-range", filters, pattern.columns, None, parts)
    if pattern.kind == "key":
        column = pattern.column or key_column
        filters = (
            key_filters(layout, column, key) if column == key_column else [[(column, "==", key)]]
        )
        return TableQuery("key", filters, pattern.columns, None, parts)
    if pattern.kind == "scan":
        return TableQuery("scan", None, pattern.columns, None, parts)
    if pattern.kind == "groupby":
        return TableQuery("groupby", None, pattern.columns, pattern.by or key_column, parts)
    raise AdvisorError(f"a {pattern.kind} pattern is not a read: time-range, key, scan or groupby")


def _dataset(path: str | Path) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(path, format="parquet", partitioning="hive")


def _columns(query: TableQuery, schema: pa.Schema) -> list[str]:
    """The columns to read: the query's, else the data columns (no partition columns)."""
    import pyarrow as pa

    if query.columns:
        return list(query.columns)
    names = [n for n in schema.names if n not in query.partition_columns]
    if query.by is None:
        return names
    return [n for n in names if pa.types.is_floating(schema.field(n).type)]


def read_pyarrow(path: str | Path, query: TableQuery, *, count: bool = False) -> TableRead:
    """Read ``query`` from the Parquet dataset at ``path`` with pyarrow's dataset filters."""
    import pyarrow.parquet as pq

    dataset = _dataset(path)
    expr = pq.filters_to_expression(query.filters) if query.filters else None
    columns = _columns(query, dataset.schema)
    files = groups = None
    if count:
        fragments = list(dataset.get_fragments(filter=expr))
        files = len(fragments)
        groups = sum(len(f.split_by_row_group(expr, schema=dataset.schema) if expr is not None else f.row_groups)
                     for f in fragments)  # fmt: skip
    read = columns if query.by is None else [*columns, query.by]
    table = dataset.to_table(filter=expr, columns=read)
    if query.by is not None:
        rows = table.num_rows
        table = table.unify_dictionaries()  # one dictionary per row group, else
        table = table.group_by(query.by).aggregate([(c, "mean") for c in columns])
        return TableRead(rows, table, files, groups)
    return TableRead(table.num_rows, table, files, groups)


def read_dask(path: str | Path, query: TableQuery) -> TableRead:
    """Read ``query`` with :func:`dask.dataframe.read_parquet` (``filters=``), then compute it."""
    import dask.dataframe as dd

    columns = list(query.columns) or None
    if query.by is not None and columns is not None:
        columns = [*columns, query.by]
    frame = dd.read_parquet(str(path), filters=query.filters, columns=columns)
    drop = [c for c in query.partition_columns if c in frame.columns]
    if drop:
        frame = frame.drop(columns=drop)
    if query.by is None:
        data = frame.compute()
        return TableRead(len(data), data)
    if columns is None:
        columns = [c for c in frame.columns if c != query.by and frame[c].dtype.kind == "f"]
        frame = frame[[*columns, query.by]]
    rows = frame.shape[0]
    means = frame.groupby(query.by, observed=True).mean()
    import dask

    counted, data = dask.compute(rows, means)
    return TableRead(int(counted), data)
