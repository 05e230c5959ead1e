"""A :class:`TableSchema` from a real Parquet file, Parquet dataset folder or CSV, and a sample.

Parquet: rows and columns from the metadata, each column's ``[min, max]`` from every file's
row-group statistics (numbers and timestamps), compressed/uncompressed sizes as measured ratios,
and a bounded sample of row groups spread over the dataset (cardinalities, sort order, the
values the dtype checks need). CSV: the first :data:`CSV_SAMPLE_BYTES` (decompressed for
``.csv.gz``) streamed through ``pyarrow.csv.open_csv``; rows estimated from the file's size;
never the whole file.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from advisor.plan.errors import AdvisorError
from advisor.plan.tables.parse import KEY_NAMES
from advisor.plan.tables.schema import TableColumn, TableSchema

SAMPLE_ROWS = 200_000
"""Rows sampled from a Parquet source (cardinalities, sort order, values for the dtypes)."""

SAMPLE_ROW_GROUPS = 8
"""Row groups the Parquet sample is spread over (first, last and evenly between)."""

MAX_FOOTERS = 512
"""Files whose footers are read for statistics; beyond, the range is from these files only."""

CSV_SAMPLE_BYTES = 16_000_000
"""Bytes of a CSV (decompressed) read for its sample."""

KEY_FRACTION = 0.1
"""A string or integer column with at most this share of distinct values can be the key."""

TableKind = Literal["parquet", "csv"]


@dataclass(frozen=True, slots=True)
class TableSource:
    """A table read from disk: its schema, sampled values per numeric column, measured ratios."""

    path: Path
    kind: TableKind
    schema: TableSchema
    values: dict[str, np.ndarray] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    sample_rows: int = 0
    exact_rows: bool = True
    sample: Any = None
    """The sampled rows as a ``pyarrow.Table`` (the codec measurement writes them)."""


def read_table_source(source: str | Path) -> TableSource:
    """The :class:`TableSource` of a Parquet file or folder, or a CSV (``.csv``, ``.csv.gz``)."""
    if "://" in str(source):
        raise AdvisorError(
            f"table {str(source)!r} is a URL: tables are read from local files for now; "
            "copy it to a local path"
        )
    path = Path(source).expanduser()
    if not path.exists():
        raise AdvisorError(f"table {str(source)!r} does not exist: give a .parquet, .csv or folder")
    lower = path.name.lower()
    try:
        if lower.endswith((".csv", ".csv.gz")):
            return _from_csv(path)
        return _from_parquet(path)
    except AdvisorError:
        raise
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
        what = "CSV" if lower.endswith((".csv", ".csv.gz")) else "Parquet"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AdvisorError(f"cannot read {str(source)!r} as {what}: {first}") from None


def _from_parquet(path: Path) -> TableSource:
    dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
    fragments = list(dataset.get_fragments())
    if not fragments:
        raise AdvisorError(f"{str(path)!r} holds no .parquet files: give a file or dataset folder")
    hive = _hive_names(path, fragments[0].path)
    names = [n for n in dataset.schema.names if n not in hive]
    rows = 0
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    stored: dict[str, float] = {}
    row_groups: list[tuple[Any, int]] = []
    complete = len(fragments) <= MAX_FOOTERS
    for frag in fragments[:MAX_FOOTERS]:
        meta = frag.metadata
        rows += meta.num_rows
        index = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
        for i in range(meta.num_row_groups):
            row_groups.append((frag, i))
            group = meta.row_group(i)
            for name in names:
                if name not in index:
                    continue
                chunk = group.column(index[name])
                stored[name] = stored.get(name, 0.0) + chunk.total_compressed_size
                stats = chunk.statistics
                if stats is None or not stats.has_min_max:
                    continue
                lo, hi = _number(stats.min_raw), _number(stats.max_raw)
                if lo is not None and hi is not None:
                    low[name] = min(low.get(name, lo), lo)
                    high[name] = max(high.get(name, hi), hi)
    if not complete:
        rows = dataset.count_rows()
    picks = sorted({round(x) for x in np.linspace(0, len(row_groups) - 1, SAMPLE_ROW_GROUPS)})
    per = max(1, SAMPLE_ROWS // max(1, len(picks)))
    chunks = []
    for k in picks:
        frag, i = row_groups[k]
        table = frag.subset(row_group_ids=[i]).to_table(columns=names)
        chunks.append(table.slice(0, per))
    arrow_schema = pa.schema([dataset.schema.field(n) for n in names])
    sample = [c.cast(arrow_schema) for c in chunks]
    schema, values, step = _describe(path.stem or path.name, rows, arrow_schema, sample, rows)
    cols = []
    for col in schema.columns:
        kind = col.dtype
        exact = complete and col.name in low and (kind.startswith(("int", "uint")))
        cols.append(
            TableColumn(
                col.name,
                kind,
                col.cardinality,
                low[col.name] if exact else None,
                high[col.name] if exact else None,
            )
        )
    span = schema.time_span_s
    if schema.time_column and complete and schema.time_column in low:
        unit = arrow_schema.field(schema.time_column).type.unit
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
        span = (high[schema.time_column] - low[schema.time_column]) * scale + step
    ratios = {  # a ratio under 1 (pyarrow gave up a dictionary page) counts as 1
        n: max(1.0, rows * _memory_bytes(arrow_schema.field(n).type) / stored[n])
        for n in names
        if stored.get(n) and not _is_string(arrow_schema.field(n).type)
    }
    final = TableSchema(
        schema.name,
        rows,
        tuple(cols),
        time_column=schema.time_column,
        key_column=schema.key_column,
        bytes_per_row=schema.bytes_per_row,
        time_span_s=span,
        sorted_by=schema.sorted_by,
    )
    n = sum(len(c) for c in sample)
    joined = pa.concat_tables(sample) if sample else None
    return TableSource(path, "parquet", final, values, ratios, n, complete, joined)


def _hive_names(root: Path, first: str) -> set[str]:
    """The Hive folder keys (``year=2019/``) above the first file of a dataset folder."""
    if not root.is_dir():
        return set()
    parts = Path(first).relative_to(root).parts[:-1]
    return {part.partition("=")[0] for part in parts if "=" in part}


DEFAULT_STEP = 3600.0
"""Seconds of a time step when the sample holds a single time."""


def _time_step(seconds: np.ndarray) -> float:
    """The smallest gap between the sampled times (a span covers one step past the last)."""
    times = np.unique(seconds)
    return float(np.diff(times).min()) if len(times) > 1 else DEFAULT_STEP


def _from_csv(path: Path) -> TableSource:
    size = path.stat().st_size
    with path.open("rb") as raw:
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw) as unzipped:
                head = unzipped.read(CSV_SAMPLE_BYTES)
                whole = not unzipped.read(1)
            consumed = raw.tell()
        else:
            head = raw.read(CSV_SAMPLE_BYTES)
            whole = len(head) == size
            consumed = len(head)
    if not whole:
        head = head[: head.rfind(b"\n") + 1]
    if not head.strip():
        raise AdvisorError(f"CSV {str(path)!r} is empty: give a CSV with a header and rows")
    reader = pacsv.open_csv(
        pa.BufferReader(head), read_options=pacsv.ReadOptions(block_size=1 << 20)
    )
    batches = list(reader)
    if not batches:
        raise AdvisorError(f"CSV {str(path)!r} has a header and no rows: give rows")
    table = pa.Table.from_batches(batches, schema=reader.schema)
    n = table.num_rows
    rows = n if whole else max(n, round(n * size / max(1, consumed)))  # rows per byte read
    quarter = max(1, math.ceil(n / 4))
    sample = [table.slice(i, quarter) for i in range(0, n, quarter)]
    schema, values, _ = _describe(path.name.split(".")[0], rows, table.schema, sample, rows)
    return TableSource(path, "csv", schema, values, {}, n, whole, table)


def _describe(
    name: str, rows: int, arrow_schema: Any, sample: list[Any], total: int
) -> tuple[TableSchema, dict[str, np.ndarray], float]:
    """Columns, cardinalities, time and key columns, sort order and time step from sampled
    chunks."""
    n = sum(len(c) for c in sample) or 1
    cols: list[TableColumn] = []
    values: dict[str, np.ndarray] = {}
    monotonic: dict[str, bool] = {}
    for fld in arrow_schema:
        dtype = _dtype(fld.type)
        parts = [c.column(fld.name) for c in sample]
        whole = pa.chunked_array(parts, type=fld.type)
        card = None
        if dtype == "string" or dtype.startswith(("int", "uint", "timestamp", "bool")):
            distinct = len(pc.unique(whole.combine_chunks().drop_null()))
            monotonic[fld.name] = all(_sorted(p) for p in parts)
            scaled = float(distinct)
            if monotonic[fld.name] and n < total:  # sorted runs: changes per row, scaled
                changes = sum(max(0, len(pc.unique(p.drop_null())) - 1) for p in parts)
                pairs = sum(max(0, len(p) - 1) for p in parts)
                scaled = max(distinct, changes / max(1, pairs) * (total - 1) + 1)
            elif distinct > 0.9 * n:  # nearly unique: as many as rows
                scaled = distinct * total / n
            card = max(1, min(total, round(scaled)))
        if dtype.startswith(("float", "int", "uint")):
            values[fld.name] = whole.combine_chunks().drop_null().to_numpy(zero_copy_only=False)
        cols.append(TableColumn(fld.name, dtype, card))
    time = next((c for c in cols if c.is_timestamp), None)
    keyish = [
        c
        for c in cols
        if (c.dtype == "string" or c.dtype.startswith(("int", "uint")))
        and c.cardinality is not None
        and 1 < c.cardinality <= KEY_FRACTION * rows
    ]
    key = next((c for c in keyish if c.name.lower() in KEY_NAMES), None)
    key = key or min(keyish, key=lambda c: c.cardinality or 0, default=None)
    sorted_by: tuple[str, ...] = ()
    if key is not None and monotonic.get(key.name):
        sorted_by = (key.name, time.name) if time else (key.name,)
    elif time is not None and monotonic.get(time.name):
        sorted_by = (time.name, key.name) if key else (time.name,)
    span, step = None, DEFAULT_STEP
    if time is not None:
        t = pa.chunked_array([c.column(time.name) for c in sample]).combine_chunks()
        t = t.drop_null().cast(pa.timestamp("s"), safe=False).cast(pa.int64()).to_numpy()
        span = float(t.max() - t.min()) if len(t) else 0.0
        if monotonic.get(time.name) and n < total:
            span *= total / n  # a sorted sample covers its share of the span
        step = _time_step(t)
        span += step
    nbytes = sum(c.nbytes for c in sample)
    schema = TableSchema(
        name,
        rows,
        tuple(cols),
        time_column=time.name if time else None,
        key_column=key.name if key else None,
        bytes_per_row=nbytes / n,
        time_span_s=span,
        sorted_by=sorted_by,
    )
    return schema, values, step


def _sorted(array: Any) -> bool:
    arr = array.combine_chunks() if hasattr(array, "combine_chunks") else array
    if len(arr) < 2:
        return True
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    left, right = arr.slice(0, len(arr) - 1), arr.slice(1)
    return bool(pc.all(pc.less_equal(left, right)).as_py() is not False)


def _dtype(arrow_type: Any) -> str:
    """The schema's dtype name for an Arrow type (anything else reads as ``string``)."""
    if pa.types.is_timestamp(arrow_type):
        return f"timestamp[{arrow_type.unit}]"
    if pa.types.is_date(arrow_type):
        return "timestamp[s]"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return str(arrow_type.to_pandas_dtype().__name__)
    if pa.types.is_dictionary(arrow_type):
        return _dtype(arrow_type.value_type)
    return "string"


def _is_string(arrow_type: Any) -> bool:
    return _dtype(arrow_type) == "string"


def _memory_bytes(arrow_type: Any) -> float:
    from advisor.plan.tables.parse import value_bytes

    return value_bytes(_dtype(arrow_type))


def _number(value: object) -> float | None:
    """A statistic's raw value as a number (timestamps: their integer), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
