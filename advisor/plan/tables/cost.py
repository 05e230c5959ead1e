"""What a table pattern costs under a Parquet layout: files opened, row groups read, bytes, seconds.

Pure. The table is seen as a full grid of ``keys`` x ``steps`` rows (a station's hourly series,
say). A layout cuts it into Hive partitions (time blocks of whole steps, and hash buckets of
keys), each partition into files of ``max_rows_per_file`` rows and each file into row groups of
``row_group_rows``. Inside a file the rows follow the layout's sort order (or the source's):

- sorted by time first: a row group holds consecutive time steps (all keys of each);
- sorted by key first: a row group holds consecutive keys (each key's steps in order);
- unsorted: every row group holds every key and time of its partition.

A reader with a filter skips a partition by its folder and a row group when the ``[min, max]``
of the filtered column in its statistics misses the predicate (pyarrow's dataset scan, DuckDB,
Dask). The counts are exact expectations: a time range starts at a uniformly drawn step, a key
query asks for a uniformly drawn key (the oracle in ``tests/test_tables_plan.py`` checks them
against pyarrow's own row-group statistics). Calendar partitions are fixed blocks of steps
(:data:`GRANULARITY_SECONDS`: a month is 30.44 days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from advisor.plan.profile import StorageProfile
from advisor.plan.tables.layout import TableLayout, TimeGranularity
from advisor.plan.tables.parse import pattern_name, resolve_pattern, value_bytes
from advisor.plan.tables.patterns import TablePattern
from advisor.plan.tables.schema import TableSchema

GRANULARITY_SECONDS: dict[TimeGranularity, float] = {
    "hour": 3600.0,
    "day": 86400.0,
    "week": 7 * 86400.0,
    "month": 30.436875 * 86400.0,
    "quarter": 91.310625 * 86400.0,
    "year": 365.2425 * 86400.0,
}
"""Seconds of one time partition (Gregorian means for months, quarters and years)."""

FILE_OVERHEAD = 1e-3
"""CPU seconds per file opened beyond the storage latency (its folder listed, its fragment made):
``ds.dataset(folder).to_table()`` of 10-400 small files took 0.4-0.6 ms per file (pyarrow 26)."""

FOOTER_ENTRY_OVERHEAD = 2.5e-6
"""CPU seconds per column-chunk entry of an opened file's footer, parsed whole whatever the read
prunes (``python -m benchmarks.table_figures``: a station from a key-sorted file took 24 ms
with 876 row groups, 7 ms with 88)."""

COLUMN_CHUNK_OVERHEAD = 1e-4
"""CPU seconds per column chunk read (one column of one row group): the page headers, the
decoder's set-up, the batch handed on (the profile has no Parquet constant for it). Measured:
2M rows x 4 float64 columns (zstd) scanned in 5,000-row groups took 0.21 s more than in
1M-row groups, about 0.13 ms per extra column chunk (pyarrow 26, 2 busy cores)."""

DEFAULT_RATIOS = {"float": 1.15, "int": 2.5, "timestamp": 6.0, "string": 10.0, "bool": 8.0}
"""Memory bytes over stored bytes per column kind under zstd or snappy, when not measured:
floats barely compress, timestamps and low-cardinality strings (dictionary + RLE) do."""


@dataclass(frozen=True, slots=True)
class TableCost:
    """One pattern under one layout: what a reader opens, reads and how long it takes.

    ``files_opened`` and ``row_groups_read`` are expectations per access (a random start or
    key); ``bytes_read`` the stored bytes of the columns read; ``files_written`` is for
    ``append`` (per append), else 0.
    """

    name: str
    weight: float
    files_opened: float
    row_groups_read: float
    rows_read: float
    bytes_read: float
    seconds: float
    files_written: float = 0.0
    bytes_rewritten: float = 0.0


@dataclass(frozen=True, slots=True)
class _Shape:
    """Partitions of one shape: their first steps, buckets, files, and their row groups."""

    offsets: np.ndarray  # first global time step of each partition of this shape
    steps: int  # time steps per partition
    keys: int  # keys per bucket
    buckets: int  # buckets of this size
    files: int  # files per partition
    tl: np.ndarray  # per row group: first and last (local) time step, key rank, rows
    th: np.ndarray
    kl: np.ndarray
    kh: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True, slots=True)
class Grid:
    """The table as the model sees it: ``keys`` x ``steps`` rows, ``step`` seconds apart."""

    keys: int
    steps: int
    step: float

    @classmethod
    def of(cls, schema: TableSchema) -> Grid:
        """The grid of ``schema``: the key's cardinality, the rows per key as steps.

        >>> from advisor.plan.tables.parse import schema_from_description
        >>> Grid.of(schema_from_description(8760_000, "time:timestamp,station:string:1000"))
        Grid(keys=1000, steps=8760, step=3600.0)
        """
        key = schema.column(schema.key_column) if schema.key_column else None
        keys = max(1, min(schema.rows, (key.cardinality if key and key.cardinality else 1)))
        steps = max(1, round(schema.rows / keys))
        span = schema.time_span_s
        step = span / steps if span else 1.0
        return cls(keys, steps, step)


def order_of(layout: TableLayout, schema: TableSchema) -> str:
    """``time``, ``key`` or ``none``: what the rows inside a file are sorted by first.

    The layout's sort, else the source's order (a writer that does not sort keeps it).
    """
    sort = layout.sort_by or schema.sorted_by
    if sort and sort[0] == schema.time_column:
        return "time"
    if sort and sort[0] == schema.key_column:
        return "key"
    return "none"


def partition_steps(layout: TableLayout, grid: Grid) -> int:
    """Time steps per time partition (all of them without one)."""
    if layout.time_partition == "none":
        return grid.steps
    return max(1, min(grid.steps, round(GRANULARITY_SECONDS[layout.time_partition] / grid.step)))


def n_partitions(layout: TableLayout, grid: Grid) -> int:
    """Hive partitions (folders holding files): time blocks x non-empty key buckets."""
    buckets = max(1, min(layout.key_buckets, grid.keys)) if layout.key_buckets else 1
    return math.ceil(grid.steps / partition_steps(layout, grid)) * buckets


def _row_groups(b: int, k: int, file_rows: int, rg_rows: int, order: str) -> tuple[np.ndarray, ...]:
    """Per row group of a partition of ``b`` steps x ``k`` keys: (tl, th, kl, kh, rows)."""
    n = b * k
    f = max(1, min(file_rows, n))
    r = max(1, min(rg_rows, f))
    first = np.arange(0, f, r)
    last = np.minimum(first + r, f) - 1
    full, rest = divmod(n, f)
    shift = np.arange(full) * f  # every full file repeats the first one's row groups
    starts = [(first[None, :] + shift[:, None]).ravel()]
    ends = [(last[None, :] + shift[:, None]).ravel()]
    if rest:
        tail = np.arange(0, rest, r)
        starts.append(tail + full * f)
        ends.append(np.minimum(tail + r, rest) - 1 + full * f)
    p0, p1 = np.concatenate(starts), np.concatenate(ends)
    if order == "time":
        tl, th = p0 // k, p1 // k
        same = tl == th
        kl, kh = np.where(same, p0 % k, 0), np.where(same, p1 % k, k - 1)
    elif order == "key":
        kl, kh = p0 // b, p1 // b
        same = kl == kh
        tl, th = np.where(same, p0 % b, 0), np.where(same, p1 % b, b - 1)
    else:
        tl, th = np.zeros_like(p0), np.full_like(p0, b - 1)
        kl, kh = np.zeros_like(p0), np.full_like(p0, k - 1)
    return tl, th, kl, kh, p1 - p0 + 1


def shapes(layout: TableLayout, schema: TableSchema, grid: Grid | None = None) -> list[_Shape]:
    """The layout's partitions grouped by shape (at most two time sizes x two bucket sizes)."""
    grid = grid or Grid.of(schema)
    order = order_of(layout, schema)
    b = partition_steps(layout, grid)
    n_full, last = divmod(grid.steps, b)
    times = [(b, np.arange(n_full) * b)] if n_full else []
    if last:
        times.append((last, np.array([n_full * b])))
    n_buckets = max(1, min(layout.key_buckets, grid.keys)) if layout.key_buckets else 1
    small, extra = divmod(grid.keys, n_buckets)
    sizes = [(small + 1, extra), (small, n_buckets - extra)]
    out = []
    for steps, offsets in times:
        for keys, count in sizes:
            if count == 0 or keys == 0:
                continue
            n = steps * keys
            file_rows = layout.max_rows_per_file or n
            tl, th, kl, kh, rows = _row_groups(steps, keys, file_rows, layout.row_group_rows, order)
            files = math.ceil(n / min(file_rows, n))
            out.append(_Shape(offsets, steps, keys, count, files, tl, th, kl, kh, rows))
    return out


def _p_overlap(lo: np.ndarray, hi: np.ndarray, r: int, steps: int) -> np.ndarray:
    """P(a range of ``r`` steps starting uniformly in ``0..steps-r`` meets ``[lo, hi]``)."""
    first = np.maximum(lo - r + 1, 0)
    last = np.minimum(hi, steps - r)
    return np.clip(last - first + 1, 0, None) / (steps - r + 1)


def columns_read(pattern: TablePattern, schema: TableSchema) -> tuple[str, ...]:
    """The columns a pattern reads: the filter's and the wanted ones (all when none named).

    >>> from advisor.plan.tables.parse import schema_from_description, parse_table_pattern
    >>> s = schema_from_description(100, "time:timestamp,station:string:10,cape:float64")
    >>> columns_read(parse_table_pattern("key:columns=cape"), s)
    ('station', 'cape')
    """
    p = resolve_pattern(pattern, schema)
    wanted = p.columns or tuple(c.name for c in schema.columns)
    lead = {
        "time-range": (schema.time_column,),
        "key": (p.column,),
        "groupby": (p.by,),
    }.get(p.kind, ())
    names = [c for c in (*lead, *wanted) if c is not None]
    return tuple(dict.fromkeys(names))


def stored_bytes(column: str, schema: TableSchema, layout: TableLayout, ratios: dict) -> float:
    """Stored bytes of one value of ``column`` under ``layout`` (its dtype, codec, ratio)."""
    return memory_bytes(column, schema, layout) / ratio_of(column, schema, layout, ratios)


def memory_bytes(column: str, schema: TableSchema, layout: TableLayout) -> float:
    """Bytes of one value in memory after the layout's dtype (a dictionary string: 4)."""
    if column in layout.dictionary:
        return 4.0
    return value_bytes(layout.dtypes.get(column, schema.column(column).dtype))


def ratio_of(column: str, schema: TableSchema, layout: TableLayout, ratios: dict) -> float:
    """Memory over stored bytes: the measured ratio, else :data:`DEFAULT_RATIOS`."""
    if column in ratios:
        return float(ratios[column])
    dtype = schema.column(column).dtype
    kind = (
        "timestamp"
        if dtype.startswith("timestamp")
        else "string"
        if dtype == "string"
        else "bool"
        if dtype == "bool"
        else "float"
        if dtype.startswith("float")
        else "int"
    )
    if layout.compression == "none" and kind not in ("string", "bool"):
        return 1.0
    return DEFAULT_RATIOS[kind] / (4.0 if column in layout.dictionary else 1.0)


def table_cost(
    layout: TableLayout,
    pattern: TablePattern,
    schema: TableSchema,
    profile: StorageProfile,
    ratios: dict[str, float] | None = None,
) -> TableCost:
    """What one access of ``pattern`` costs under ``layout`` (expected over starts and keys).

    Examples
    --------
    >>> from advisor.plan.tables.parse import schema_from_description, parse_table_pattern
    >>> s = schema_from_description(8760_000, "time:timestamp,station:string:1000,cape:float64")
    >>> day = TableLayout("day", time_partition="day")
    >>> c = table_cost(day, parse_table_pattern("key"), s, StorageProfile())
    >>> c.files_opened, c.row_groups_read
    (365.0, 365.0)
    >>> keyed = TableLayout("sorted", sort_by=("station", "time"), row_group_rows=100_000)
    >>> round(table_cost(keyed, parse_table_pattern("key"), s, StorageProfile()).row_groups_read, 3)
    1.087
    """
    ratios = ratios or {}
    p = resolve_pattern(pattern, schema)
    grid = Grid.of(schema)
    parts = shapes(layout, schema, grid)
    cols = columns_read(p, schema)
    row_stored = sum(stored_bytes(c, schema, layout, ratios) for c in cols)
    row_memory = sum(memory_bytes(c, schema, layout) for c in cols)
    total_files = sum(len(s.offsets) * s.buckets * s.files for s in parts)
    if p.kind == "append":
        return _append_cost(layout, p, schema, profile, grid, parts, ratios)
    if p.kind == "time-range":
        r = min(grid.steps, max(1, math.ceil((p.days or 7.0) * 86400.0 / grid.step)))
        files = rgs = rows = 0.0
        for s in parts:
            lo = s.offsets[:, None] + s.tl[None, :]
            hi = s.offsets[:, None] + s.th[None, :]
            hit = _p_overlap(lo, hi, r, grid.steps) * s.buckets
            rgs += float(hit.sum())
            rows += float((hit * s.rows[None, :]).sum())
            if layout.time_partition == "none":
                files += len(s.offsets) * s.buckets * s.files
            else:
                opened = _p_overlap(s.offsets, s.offsets + s.steps - 1, r, grid.steps)
                files += float(opened.sum()) * s.buckets * s.files
    elif p.kind == "key" and p.column == schema.key_column:
        files = rgs = rows = 0.0
        for s in parts:
            share = (s.kh - s.kl + 1) / grid.keys
            n = len(s.offsets) * s.buckets
            rgs += float(share.sum()) * n
            rows += float((share * s.rows).sum()) * n
            open_share = s.keys / grid.keys if layout.key_buckets else 1.0
            files += n * s.files * open_share
    else:  # scan, groupby, a key query on another column: everything
        files = float(total_files)
        rgs = float(sum(len(s.offsets) * s.buckets * len(s.rows) for s in parts))
        rows = float(grid.keys * grid.steps)
    rows *= schema.rows / (grid.keys * grid.steps)  # the grid rounds rows per key
    all_rgs = sum(len(s.offsets) * s.buckets * len(s.rows) for s in parts)
    footer = files * all_rgs / max(1.0, total_files) * max(1, len(schema.columns))
    seconds = _seconds(files, rgs, rows * row_stored, rows * row_memory, len(cols), profile, footer)
    return TableCost(pattern_name(p), p.weight, files, rgs, rows, rows * row_stored, seconds)


def _seconds(
    files: float, rgs: float, stored: float, decoded: float, n_cols: int,
    profile: StorageProfile, footer: float = 0.0,
) -> float:  # fmt: skip
    """Open the files (parse their footers: ``footer`` column-chunk entries), fetch and decode
    the column chunks: latency overlaps, CPU in threads."""
    chunks = rgs * n_cols
    requests = files + chunks
    wait = requests * profile.latency / max(1.0, min(profile.concurrency, requests))
    cpu = files * FILE_OVERHEAD + footer * FOOTER_ENTRY_OVERHEAD + chunks * COLUMN_CHUNK_OVERHEAD
    cpu += decoded / profile.decode_speed
    parallel = max(1.0, min(profile.threads, chunks))
    return wait + stored / profile.bandwidth + cpu / parallel


def _append_cost(
    layout: TableLayout,
    p: TablePattern,
    schema: TableSchema,
    profile: StorageProfile,
    grid: Grid,
    parts: list[_Shape],
    ratios: dict[str, float],
) -> TableCost:
    """One append of ``every``: new files per partition and bucket touched; a layout sorted by
    key over a partition longer than one append rewrites the partition (half full, on average)."""
    from advisor.plan.parse import parse_freq

    freq = parse_freq(p.every or "1D")
    every = freq.multiple * _FREQ_SECONDS[freq.unit]
    new_steps = max(1.0, every / grid.step)
    new_rows = grid.keys * new_steps
    names = [c.name for c in schema.columns]
    row_stored = sum(stored_bytes(c, schema, layout, ratios) for c in names)
    row_memory = sum(memory_bytes(c, schema, layout) for c in names)
    b = partition_steps(layout, grid)
    buckets = max(1, min(layout.key_buckets, grid.keys)) if layout.key_buckets else 1
    files = buckets * max(1.0, new_steps / b)
    rewrite_rows = 0.0
    if order_of(layout, schema) == "key" and b > new_steps:
        rewrite_rows = grid.keys * b / 2  # the partition so far, read back and rewritten sorted
    written = (new_rows + rewrite_rows) * row_stored
    encode = (new_rows + rewrite_rows) * row_memory / profile.encode_speed
    decode = rewrite_rows * row_memory / profile.decode_speed
    wait = files * (profile.latency + FILE_OVERHEAD)
    seconds = wait + (written + rewrite_rows * row_stored) / profile.bandwidth + encode + decode
    return TableCost(
        pattern_name(p),
        p.weight,
        0.0,
        0.0,
        new_rows,
        written,
        seconds,
        files_written=files,
        bytes_rewritten=rewrite_rows * row_stored,
    )


_FREQ_SECONDS = {
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "D": 86400.0,
    "W": 7 * 86400.0,
    "MS": GRANULARITY_SECONDS["month"],
    "ME": GRANULARITY_SECONDS["month"],
    "QS": GRANULARITY_SECONDS["quarter"],
    "QE": GRANULARITY_SECONDS["quarter"],
    "YS": GRANULARITY_SECONDS["year"],
    "YE": GRANULARITY_SECONDS["year"],
}
