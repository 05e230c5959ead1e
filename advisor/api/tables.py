"""``advisor.api.tables.recommend_table``: resolve a table (Parquet, CSV or a bare description)
and a profile, then ask the pure table policy (:mod:`advisor.plan.tables.policy`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import StorageProfile
from advisor.plan.tables.parse import schema_from_description
from advisor.plan.tables.patterns import TablePattern
from advisor.plan.tables.policy import recommend_table as _recommend
from advisor.plan.tables.results import TableRecommendation
from advisor.plan.tables.schema import TableSchema
from advisor.store.profiles import resolve_profile


def recommend_table(
    source: TableSchema | str | Path | None = None,
    patterns: Sequence[str | TablePattern] = (),
    profile: StorageProfile | str | None = None,
    *,
    rows: int | str | None = None,
    columns: str | Sequence[str] | None = None,
    tolerances: Mapping[str, float] | None = None,
    compression: str = "zstd",
    compression_level: int | None = 3,
    measure_codecs: bool = True,
) -> TableRecommendation:
    """Recommend a Parquet layout for a table read by ``patterns``.

    No ``patterns``: a week's time range, a key's rows and a scan (those the table can serve).
    ``source`` is a :class:`TableSchema`, a Parquet file or dataset folder, or a CSV
    (``.csv``, ``.csv.gz``: a bounded sample is read); or give ``rows`` and ``columns``
    (``name:dtype[:cardinality],...``) instead. ``profile`` is a
    :class:`~advisor.plan.profile.StorageProfile`, a preset name or a JSON file (default: the
    built-in local defaults). ``tolerances`` are per-column absolute tolerances of the float
    downcasts. A Parquet or CSV source has its codec measured on the sample
    (``measure_codecs``): zstd 1/3/9, snappy, lz4 and gzip, written and read in memory.

    Examples
    --------
    >>> rec = recommend_table(rows=8_760_000, columns="time:timestamp,station:string:1000,"
    ...     "cape:float64", patterns=["key", "time-range:days=7"])
    >>> rec.layout.sort_by[0], rec.pick.n_partitions <= 10_000
    ('station', True)
    """
    described = rows is not None or columns is not None
    if described and source is not None:
        raise AdvisorError("give either a TABLE (Parquet or CSV) or --rows and --columns, not both")
    if described and (rows is None or columns is None):
        raise AdvisorError(
            "a bare table needs both --rows and --columns, e.g. --rows 8760000 "
            "--columns time:timestamp,station:string:1000,cape:float64"
        )
    prof, _ = resolve_profile(profile)
    values: dict = {}
    note = ""
    codecs: list = []
    ratios: dict[str, float] = {}
    if described:
        assert rows is not None and columns is not None
        schema = schema_from_description(rows, columns)
    elif isinstance(source, TableSchema):
        schema = source
    elif source is None:
        raise AdvisorError(
            "give a TABLE (a .parquet file or folder, or a .csv) or --rows/--columns"
        )
    else:
        from advisor.store.table_schema import read_table_source

        table = read_table_source(source)
        schema, values, ratios = table.schema, table.values, table.ratios
        if measure_codecs and table.sample is not None and table.sample.num_rows:
            codecs = _measure(table, schema, values, tolerances)
        if not table.exact_rows:
            note = (
                f"{table.kind}: rows estimated, cardinalities and value ranges from a sample "
                f"of {table.sample_rows:,} rows"
            )
    rec = _recommend(
        schema,
        list(patterns),
        prof,
        values=values,
        tolerances=tolerances,
        ratios=ratios,
        compression=compression,
        compression_level=compression_level,
        codecs=codecs,
    )
    return dataclasses.replace(rec, notes=(*rec.notes, note)) if note else rec


def _measure(
    table: object, schema: TableSchema, values: dict, tolerances: Mapping[str, float] | None
) -> list:
    """The Parquet codecs on the sample as the layout would store it (downcasts, dictionaries)."""
    from advisor.plan.tables.dtypes import check_columns
    from advisor.run.table_codec import measure_parquet_codecs, prepare_sample

    checks = check_columns(schema, values, tolerances)
    dtypes = {c.column: c.target for c in checks if c.verdict == "downcast"}
    dictionary = [c.column for c in checks if c.verdict == "dictionary"]
    sample = prepare_sample(table.sample, dtypes, dictionary)  # type: ignore[attr-defined]
    return measure_parquet_codecs(sample, dictionary)
