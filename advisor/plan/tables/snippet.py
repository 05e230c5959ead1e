"""Paste-ready code writing a :class:`TableLayout`: ``pyarrow.dataset.write_dataset`` and Dask's
``to_parquet``. Pure: text only."""

from __future__ import annotations

from advisor.plan.tables.layout import TableLayout, TimeGranularity
from advisor.plan.tables.schema import TableSchema

FOLDERS: dict[TimeGranularity, tuple[tuple[str, str], ...]] = {
    "none": (),
    "year": (("year", "year"),),
    "quarter": (("year", "year"), ("quarter", "quarter")),
    "month": (("year", "year"), ("month", "month")),
    "week": (("year", "iso_year"), ("week", "iso_week")),
    "day": (("year", "year"), ("month", "month"), ("day", "day")),
    "hour": (("year", "year"), ("month", "month"), ("day", "day"), ("hour", "hour")),
}
"""Hive folder names per granularity and the ``pyarrow.compute`` function making each."""

_DASK = {"iso_year": "isocalendar().year", "iso_week": "isocalendar().week"}


def partition_columns(layout: TableLayout) -> list[str]:
    """The Hive folder columns of ``layout`` (``bucket`` for key buckets).

    >>> partition_columns(TableLayout("x", time_partition="month", key_buckets=4))
    ['year', 'month', 'bucket']
    """
    names = [name for name, _ in FOLDERS[layout.time_partition]]
    return names + (["bucket"] if layout.key_buckets else [])


def pyarrow_snippet(layout: TableLayout, schema: TableSchema, partitions: int) -> str:
    """``pyarrow.dataset.write_dataset`` code for ``layout``.

    >>> from advisor.plan.tables.parse import schema_from_description
    >>> s = schema_from_description(100, "time:timestamp,station:string:10,cape:float64")
    >>> text = pyarrow_snippet(TableLayout("x", time_partition="month"), s, 12)
    >>> 'partitioning=["year", "month"]' in text and "ds.write_dataset(" in text
    True
    """
    lines = [
        "import pyarrow as pa",
        "import pyarrow.compute as pc",
        "import pyarrow.dataset as ds",
        "",
        'table = ds.dataset("SOURCE").to_table()  # or pyarrow.csv.read_csv("SOURCE.csv")',
    ]
    if layout.dtypes:
        casts = ", ".join(f'"{c}": pa.{_pa_type(t)}()' for c, t in layout.dtypes.items())
        lines.append(f"casts = {{{casts}}}  # verified downcasts")
        lines.append(
            "table = table.cast(pa.schema([pa.field(f.name, casts.get(f.name, f.type)) "
            "for f in table.schema]))"
        )
    time = schema.time_column
    for name, func in FOLDERS[layout.time_partition]:
        lines.append(f'table = table.append_column("{name}", pc.{func}(table["{time}"]))')
    key = schema.key_column
    if layout.key_buckets:
        lines += [
            f'keys = pc.unique(table["{key}"]).sort()  # a reader filters bucket == '
            f"keys.index(k) % {layout.key_buckets}",
            f'bucket = pc.modulo(pc.index_in(table["{key}"], value_set=keys), '
            f"{layout.key_buckets})",
            'table = table.append_column("bucket", bucket)',
        ]
    if layout.sort_by:
        order = ", ".join(f'("{c}", "ascending")' for c in layout.sort_by)
        lines.append(f"table = table.sort_by([{order}])")
    options = [f'compression="{layout.compression}"']
    if layout.compression_level is not None:
        options.append(f"compression_level={layout.compression_level}")
    if layout.dictionary:
        options.append("use_dictionary=[" + ", ".join(f'"{c}"' for c in layout.dictionary) + "]")
    args = [
        "table",
        '"OUT"',
        'format="parquet"',
        f"file_options=ds.ParquetFileFormat().make_write_options({', '.join(options)})",
        f"min_rows_per_group={layout.row_group_rows}",
        f"max_rows_per_group={layout.row_group_rows}",
        "preserve_order=True",
    ]
    if cols := partition_columns(layout):
        args.insert(3, "partitioning=[" + ", ".join(f'"{c}"' for c in cols) + "]")
        args.insert(4, 'partitioning_flavor="hive"')
    if layout.max_rows_per_file:
        args.append(f"max_rows_per_file={layout.max_rows_per_file}")
    if partitions > 1024:  # pyarrow's defaults for both
        args += [f"max_partitions={partitions}", f"max_open_files={partitions}"]
    lines.append("ds.write_dataset(")
    lines += [f"    {a}," for a in args]
    lines.append(")")
    return "\n".join(lines)


def dask_snippet(layout: TableLayout, schema: TableSchema) -> str:
    """``dask.dataframe.to_parquet`` code for ``layout`` (one shuffle so each folder is one file).

    >>> from advisor.plan.tables.parse import schema_from_description
    >>> s = schema_from_description(100, "time:timestamp,station:string:10,cape:float64")
    >>> text = dask_snippet(TableLayout("x", time_partition="day", sort_by=("station",)), s)
    >>> 'partition_on=["year", "month", "day"]' in text
    True
    """
    lines = [
        "import dask.dataframe as dd",
        "",
        'df = dd.read_parquet("SOURCE")  # or dd.read_csv("SOURCE.csv", blocksize="64MB")',
    ]
    time, key = schema.time_column, schema.key_column
    for name, func in FOLDERS[layout.time_partition]:
        lines.append(f'df["{name}"] = df["{time}"].dt.{_DASK.get(func, func)}')
    if layout.key_buckets:
        lines += [
            f'keys = sorted(df["{key}"].unique().compute())  # the same buckets as with pyarrow',
            f'df["bucket"] = df["{key}"].map({{k: i % {layout.key_buckets} for i, k in '
            f'enumerate(keys)}}, meta=("{key}", "int64"))',
        ]
    if layout.dtypes:  # after the columns above (dask-expr's projections through astype fail)
        casts = ", ".join(f'"{c}": "{t}"' for c, t in layout.dtypes.items())
        lines.append(f"df = df.astype({{{casts}}})  # verified downcasts")
    cols = partition_columns(layout)
    if cols:
        lines.append(f"df = df.shuffle(on={cols!r})  # one Dask partition per folder")
    if layout.sort_by:
        lines.append(f"df = df.map_partitions(lambda d: d.sort_values({list(layout.sort_by)!r}))")
    args = ['"OUT"', f'compression="{layout.compression}"']
    if cols:
        args.append("partition_on=[" + ", ".join(f'"{c}"' for c in cols) + "]")
    args += [f"row_group_size={layout.row_group_rows}", "write_index=False"]
    if layout.dictionary:
        args.append("use_dictionary=[" + ", ".join(f'"{c}"' for c in layout.dictionary) + "]")
    lines.append("df.to_parquet(" + ", ".join(args) + ")")
    return "\n".join(lines).replace("'", '"')


def _pa_type(dtype: str) -> str:
    """pyarrow's factory name for a numpy dtype name (``float32`` -> ``float32``)."""
    return {"float16": "float16", "bool": "bool_"}.get(dtype, dtype)
