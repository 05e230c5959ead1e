"""A layout's Hive partition columns, made from the time and key columns, and the filters on them.

The one definition the writer (:mod:`advisor.run.table_write`) and the reads
(:mod:`advisor.run.table_workloads`) share. Time partitions are folders of calendar fields of the
time column: ``year=2019/month=7/day=14`` (``quarter``: ``year``/``quarter``; ``week``: the ISO
year and week, ``year=2020/week=1`` for 2019-12-30; ``hour`` below ``day``). Key buckets are a
folder ``<key>_bucket=B`` with ``B = crc32(key) % buckets``, the same in every process.

Examples
--------
>>> from advisor.plan.tables.layout import TableLayout
>>> partition_fields(TableLayout("d", time_partition="day", key_buckets=4), "station")
('year', 'month', 'day', 'station_bucket')
>>> key_bucket("S0001", 16)
14
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from advisor.plan.tables.layout import TableLayout, TimeGranularity

if TYPE_CHECKING:
    import pyarrow as pa

TIME_FIELDS: dict[TimeGranularity, tuple[str, ...]] = {
    "none": (),
    "year": ("year",),
    "quarter": ("year", "quarter"),
    "month": ("year", "month"),
    "week": ("year", "week"),
    "day": ("year", "month", "day"),
    "hour": ("year", "month", "day", "hour"),
}
"""The Hive folders of each time granularity, outermost first."""

Filters = list[list[tuple[str, str, Any]]]
"""A filter in disjunctive normal form, as ``pyarrow.parquet`` and Dask take it."""


def bucket_field(key_column: str) -> str:
    """The folder name of the key buckets: ``station_bucket``."""
    return f"{key_column}_bucket"


def partition_fields(layout: TableLayout, key_column: str | None) -> tuple[str, ...]:
    """The layout's partition columns, outermost first."""
    fields = TIME_FIELDS[layout.time_partition]
    if layout.key_buckets and key_column:
        fields = (*fields, bucket_field(key_column))
    return fields


def key_bucket(key: str, buckets: int) -> int:
    """The bucket of one key: ``crc32(utf-8) % buckets`` (stable across processes and runs)."""
    return zlib.crc32(str(key).encode()) % buckets


def _time_part(times: pa.Array, name: str, granularity: TimeGranularity) -> pa.Array:
    import pyarrow.compute as pc

    if name == "year":
        return pc.iso_year(times) if granularity == "week" else pc.year(times)
    return {"quarter": pc.quarter, "month": pc.month, "week": pc.iso_week, "day": pc.day,
            "hour": pc.hour}[name](times)  # fmt: skip


def partition_columns(
    batch: pa.RecordBatch, layout: TableLayout, time_column: str | None, key_column: str | None
) -> dict[str, pa.Array]:
    """The partition columns of ``batch`` under ``layout`` (int16 each), by name.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> t = np.array(["2019-12-30T05"], dtype="datetime64[ns]")
    >>> b = pa.record_batch({"time": t, "station": ["S0001"]})
    >>> cols = partition_columns(b, TableLayout("w", time_partition="week", key_buckets=16),
    ...     "time", "station")
    >>> {k: v.to_pylist() for k, v in cols.items()}
    {'year': [2020], 'week': [1], 'station_bucket': [14]}
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, pa.Array] = {}
    names = TIME_FIELDS[layout.time_partition]
    if names:
        assert time_column is not None
        times = batch.column(time_column)
        for name in names:
            out[name] = _time_part(times, name, layout.time_partition).cast(pa.int16())
    if layout.key_buckets and key_column:
        keys = batch.column(key_column)
        encoded = pc.dictionary_encode(keys.cast(pa.string()))
        codes = [key_bucket(k, layout.key_buckets) for k in encoded.dictionary.to_pylist()]
        out[bucket_field(key_column)] = pa.array(codes, pa.int16()).take(encoded.indices)
    return out


def time_filters(
    layout: TableLayout, time_column: str, start: Any, stop: Any, key_column: str | None = None
) -> Filters:
    """The rows of ``time_column`` in ``[start, stop)``, with the partitions they fall in named,
    so a reader opens only those folders (a filter on the time column alone prunes only by each
    file's statistics, after opening it).

    Examples
    --------
    >>> import numpy as np
    >>> f = time_filters(TableLayout("m", time_partition="month"), "time",
    ...     np.datetime64("2019-01-31"), np.datetime64("2019-02-02"))
    >>> [[(c, op) for c, op, _ in conj] for conj in f][0]
    [('year', '=='), ('month', '=='), ('time', '>='), ('time', '<')]
    >>> [[v for c, _, v in conj if c == "month"] for conj in f]
    [[1], [2]]
    """
    import pandas as pd
    import pyarrow as pa

    lo, hi = pd.Timestamp(start), pd.Timestamp(stop)
    span: list[tuple[str, str, Any]] = [(time_column, ">=", lo), (time_column, "<", hi)]
    names = TIME_FIELDS[layout.time_partition]
    if not names:
        return [span]
    step = "h" if layout.time_partition == "hour" else "D"
    steps = pd.date_range(lo.floor(step), hi, freq=step, inclusive="left")
    times = pa.array(steps.to_numpy().astype("datetime64[ns]"))
    parts = [_time_part(times, n, layout.time_partition).to_pylist() for n in names]
    keys = sorted(set(zip(*parts, strict=True)))
    return [[*((n, "==", v) for n, v in zip(names, key, strict=True)), *span] for key in keys]


def key_filters(layout: TableLayout, key_column: str, key: str) -> Filters:
    """One key's rows, with its bucket named when the layout buckets the key.

    Examples
    --------
    >>> key_filters(TableLayout("b", key_buckets=16), "station", "S0001")
    [[('station_bucket', '==', 14), ('station', '==', 'S0001')]]
    """
    conj: list[tuple[str, str, Any]] = [(key_column, "==", key)]
    if layout.key_buckets:
        conj.insert(0, (bucket_field(key_column), "==", key_bucket(key, layout.key_buckets)))
    return [conj]
