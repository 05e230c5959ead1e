"""The table advice: the Parquet layout that serves the user's patterns fastest, within the band
of file sizes the readers recommend. Pure.

Candidates are every time granularity x key buckets x sort order x rows per row group (with the
verified dtypes, dictionaries and codec in all of them); each is priced per pattern by
:func:`advisor.plan.tables.cost.table_cost` and the pick minimises the weighted seconds among
those with at most :data:`MAX_PARTITIONS` partitions and files in the band (:data:`FILE_FLOOR`
to :data:`FILE_CAP`); a table below the floor is one file.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np

from advisor.plan.profile import StorageProfile
from advisor.plan.tables.codecs import ParquetCodecMeasure, pick_codec
from advisor.plan.tables.cost import (
    Grid,
    n_partitions,
    partition_steps,
    shapes,
    stored_bytes,
    table_cost,
)
from advisor.plan.tables.dtypes import DtypeCheck, check_columns
from advisor.plan.tables.layout import TableLayout, TimeGranularity
from advisor.plan.tables.parse import default_patterns, parse_table_pattern, resolve_pattern
from advisor.plan.tables.patterns import TablePattern
from advisor.plan.tables.references import reference_layouts
from advisor.plan.tables.results import Binding, LayoutCosts, SortChoice, TableRecommendation
from advisor.plan.tables.schema import TableSchema
from advisor.plan.tables.snippet import dask_snippet, pyarrow_snippet
from advisor.plan.units import human_readable_size as size

logger = logging.getLogger(__name__)

FILE_FLOOR = 20_000_000
"""Smallest stored file the pick aims for: Arrow's and Dask's ~20-100 MB floor."""

FILE_CAP = 1_000_000_000
"""Largest stored file: a partition above it is split into files of :data:`FILE_TARGET`."""

FILE_TARGET = 500_000_000
"""Stored bytes per file when a partition is split (``max_rows_per_file``)."""

MAX_PARTITIONS = 10_000
"""Never more Hive partitions than this (listing and footers dominate beyond)."""

ROW_GROUPS = (10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)
"""Rows per row group tried: DuckDB's 100K-1M band, and below it (from :data:`SMALL_GROUPS`
down) only for patterns that filter (a key, a time range), where smaller groups prune more."""

SMALL_GROUPS = 100_000
"""Row groups below this many rows are candidates only when a pattern filters."""

BUCKETS = (0, 4, 16, 64)
"""Key buckets tried (0: not partitioned by key)."""

GRANULARITIES: tuple[TimeGranularity, ...] = (
    "none",
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
)


def recommend_table(
    schema: TableSchema,
    patterns: Sequence[str | TablePattern] = (),
    profile: StorageProfile | None = None,
    *,
    values: Mapping[str, np.ndarray] | None = None,
    tolerances: Mapping[str, float] | None = None,
    ratios: Mapping[str, float] | None = None,
    compression: str = "zstd",
    compression_level: int | None = 3,
    codecs: Sequence[ParquetCodecMeasure] = (),
) -> TableRecommendation:
    """Recommend a Parquet layout for ``schema`` read by ``patterns``.

    No ``patterns``: :func:`~advisor.plan.tables.parse.default_patterns`. ``values`` are sampled column values (the float downcasts need them); ``tolerances`` the
    per-column absolute tolerance of a float downcast; ``ratios`` measured memory/stored
    ratios per column.

    Examples
    --------
    >>> from advisor.plan.tables.parse import schema_from_description
    >>> s = schema_from_description(8_760_000,
    ...     "time:timestamp,station:string:1000,cape:float64,cin:float64,blh:float64")
    >>> rec = recommend_table(s, ["key", "time-range:days=7", "scan:columns=cape"])
    >>> rec.pick.n_partitions <= 10_000 and 20e6 <= rec.pick.file_bytes <= 1e9
    True
    >>> [a.layout.label for a in rec.alternatives][:2]
    ['day partitions (the seed)', 'pyarrow defaults (one file)']
    """
    profile = profile or StorageProfile()
    pats = [resolve_pattern(parse_table_pattern(p), schema) for p in patterns]
    pats = pats or default_patterns(schema)
    checks = check_columns(schema, values, tolerances)
    dtypes = {c.column: c.target for c in checks if c.verdict == "downcast"}
    dictionary = tuple(c.column for c in checks if c.verdict == "dictionary")
    ratio_map = dict(ratios or {})
    if codecs:
        best = pick_codec(codecs, profile)
        compression, compression_level = best.compression, best.level
    measured = {(m.compression, m.level): m for m in codecs}
    grid = Grid.of(schema)
    base = TableLayout(
        "advisor",
        dtypes=dtypes,
        dictionary=dictionary,
        compression=compression,
        compression_level=compression_level,
    )
    row_bytes = sum(stored_bytes(c.name, schema, base, ratio_map) for c in schema.columns)
    table_bytes = row_bytes * schema.rows
    if codecs:
        ratio_map = {**ratio_map, **best.column_ratios}
        row_bytes = sum(stored_bytes(c.name, schema, base, ratio_map) for c in schema.columns)
        table_bytes = row_bytes * schema.rows

    def price(layout: TableLayout) -> LayoutCosts:
        m = measured.get((layout.compression, layout.compression_level))
        own = dataclasses.replace(profile, decode_speed=m.decode_speed) if m else profile
        mine = {**ratio_map, **m.column_ratios} if m else ratio_map
        per_row = sum(stored_bytes(c.name, schema, layout, mine) for c in schema.columns)
        return _price(layout, pats, schema, own, mine, per_row)

    refs = reference_layouts(schema)
    alternatives = [price(r) for r in refs]  # as people write them: no downcasts
    # the references are candidates too: the pick is never slower than one inside the band
    filters = any(p.kind in ("key", "time-range") for p in pats)
    sizes = ROW_GROUPS if filters else tuple(r for r in ROW_GROUPS if r >= SMALL_GROUPS)
    priced = [price(layout) for layout in _candidates(base, schema, grid, row_bytes, sizes)]
    priced += [price(_as_advisor(r, base)) for r in refs]
    priced = _with_slowdowns(priced, priced)
    allowed = [c for c in priced if c.n_partitions <= MAX_PARTITIONS]
    in_band = [c for c in allowed if FILE_FLOOR <= c.file_bytes <= FILE_CAP]
    fastest = min(allowed, key=lambda c: c.seconds)
    if table_bytes < FILE_FLOOR:
        pool = [c for c in allowed if c.n_files == 1] or allowed
    else:
        pool = in_band or sorted(allowed, key=lambda c: _distance(c.file_bytes))[:1]
    pick = min(pool, key=lambda c: c.seconds)
    binding, sentence = _binding(pick, fastest, table_bytes, priced)
    logger.debug("choosing %r (%s), binding %r", pick.layout.label, pick.describe(), binding)
    alternatives = _with_slowdowns(alternatives, priced)
    (pick,) = _with_slowdowns([pick], priced)
    parts = pick.n_partitions
    return TableRecommendation(
        schema=schema,
        pick=pick,
        alternatives=tuple(alternatives),
        dtypes=checks,
        binding=binding,
        binding_constraint=sentence,
        sort_choice=_sort_choice(pick.layout, schema),
        profile_name=profile.name,
        pyarrow_snippet=pyarrow_snippet(pick.layout, schema, parts),
        dask_snippet=dask_snippet(pick.layout, schema),
        candidates=len(priced),
        notes=_notes(checks, schema),
        codecs=tuple(codecs),
    )


def _as_advisor(layout: TableLayout, base: TableLayout) -> TableLayout:
    """A reference layout as a candidate: the advisor's name, dtypes, dictionaries and codec."""
    return dataclasses.replace(
        layout,
        label=base.label,
        dtypes=base.dtypes,
        dictionary=base.dictionary,
        compression=base.compression,
        compression_level=base.compression_level,
    )


def _candidates(
    base: TableLayout,
    schema: TableSchema,
    grid: Grid,
    row_bytes: float,
    row_groups: Sequence[int] = ROW_GROUPS,
) -> list[TableLayout]:
    """Granularities x buckets x sort orders x row groups, files split above the cap."""
    t, k = schema.time_column, schema.key_column
    grains = GRANULARITIES if t else ("none",)
    buckets = [b for b in BUCKETS if b == 0 or (k and b < grid.keys)]
    sorts: list[tuple[str, ...]] = [] if schema.sorted_by else [()]  # () would keep that order
    if k:
        sorts.append((k, t) if t else (k,))
    if t:
        sorts.append((t, k) if k else (t,))
    out, seen = [], set()
    for grain in grains:
        probe = dataclasses.replace(base, time_partition=grain)
        if grain != "none" and partition_steps(probe, grid) >= grid.steps:
            continue  # one partition: the same as none
        for b in buckets:
            layout = dataclasses.replace(probe, key_buckets=b)
            parts = n_partitions(layout, grid)
            if parts > 4 * MAX_PARTITIONS:
                continue
            part_rows = schema.rows / parts
            split = part_rows * row_bytes > FILE_CAP
            file_rows = max(1, round(FILE_TARGET / row_bytes)) if split else None
            rows_cap = file_rows or math.ceil(part_rows)
            for sort in sorts:
                for rg in row_groups:
                    rg = min(rg, rows_cap)
                    key = (grain, b, sort, rg)
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(
                        dataclasses.replace(
                            layout, sort_by=sort, row_group_rows=rg, max_rows_per_file=file_rows
                        )
                    )
    return out


def _price(
    layout: TableLayout,
    patterns: list[TablePattern],
    schema: TableSchema,
    profile: StorageProfile,
    ratios: dict[str, float],
    row_bytes: float,
) -> LayoutCosts:
    costs = tuple(table_cost(layout, p, schema, profile, ratios) for p in patterns)
    grid = Grid.of(schema)
    parts = n_partitions(layout, grid)
    files = sum(len(s.offsets) * s.buckets * s.files for s in shapes(layout, schema, grid))
    seconds = sum(c.weight * c.seconds for c in costs) / sum(c.weight for c in costs)
    return LayoutCosts(layout, costs, seconds, schema.rows * row_bytes / files, files, parts)


def _with_slowdowns(items: list[LayoutCosts], pool: list[LayoutCosts]) -> list[LayoutCosts]:
    """Each pattern's seconds over the fastest candidate's for it."""
    if not pool:
        return items
    best = [min(c.costs[i].seconds for c in pool) for i in range(len(pool[0].costs))]
    return [
        dataclasses.replace(
            c,
            slowdowns=tuple(
                x.seconds / b if b > 0 else 1.0 for x, b in zip(c.costs, best, strict=True)
            ),
        )
        for c in items
    ]


def _distance(file_bytes: float) -> float:
    """How far (in log) a file size lies outside the band."""
    return max(math.log(FILE_FLOOR / file_bytes), math.log(file_bytes / FILE_CAP), 0.0)


def _binding(
    pick: LayoutCosts, fastest: LayoutCosts, table_bytes: float, priced: list[LayoutCosts]
) -> tuple[Binding, str]:
    """Name what kept the pick off the fastest candidate (or that nothing did)."""
    crowded = [c for c in priced if c.n_partitions > MAX_PARTITIONS]
    if table_bytes < FILE_FLOOR:
        return "table-size", (
            f"the table ({size(table_bytes)} stored) is below the {size(FILE_FLOOR)} floor of "
            f"a file: one file ({pick.describe()})"
        )
    if crowded and min(c.seconds for c in crowded) < fastest.seconds:
        best = min(crowded, key=lambda c: c.seconds)
        return "partition-ceiling", (
            f"the {MAX_PARTITIONS:,}-partition ceiling: {best.describe()} would be "
            f"{pick.seconds / best.seconds:.3g}x faster with {best.n_partitions:,} partitions"
        )
    if fastest is pick or fastest.seconds >= pick.seconds:
        return "none", (
            f"none: the fastest candidate ({pick.describe()}) has files inside the "
            f"{size(FILE_FLOOR)} to {size(FILE_CAP)} band"
        )
    which: Binding = "file-floor" if fastest.file_bytes < FILE_FLOOR else "file-cap"
    bound = (
        f"the {size(FILE_FLOOR)} floor" if which == "file-floor" else f"the {size(FILE_CAP)} cap"
    )
    return which, (
        f"{bound} of a file: {fastest.describe()} would be {pick.seconds / fastest.seconds:.3g}x "
        f"faster for these patterns (weighted) with {size(fastest.file_bytes)} files"
    )


def _sort_choice(layout: TableLayout, schema: TableSchema) -> SortChoice:
    if layout.sort_by[:1] == (schema.key_column,) and schema.key_column:
        return "key, time"
    if layout.sort_by[:1] == (schema.time_column,) and schema.time_column:
        return "time, key"
    return "source order"


def _notes(checks: tuple[DtypeCheck, ...], schema: TableSchema) -> tuple[str, ...]:
    notes = [
        f"{c.column}: kept {c.dtype} ({c.reason})"
        for c in checks
        if c.refused and c.verdict == "keep"
    ]
    if schema.time_column is None:
        notes.append("no timestamp column: no time partitions or time ranges")
    return tuple(notes)
