"""Which sources are tables (Parquet, CSV) rather than Zarr stores: by name, no heavy imports."""

from __future__ import annotations

from pathlib import Path

TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz")
"""File names the table commands take."""


def is_table_source(source: object) -> bool:
    """Whether ``source`` names a table: a ``.parquet`` / ``.csv`` / ``.csv.gz`` path, or a folder
    holding ``.parquet`` files that is not a Zarr store.

    >>> is_table_source("stations_2019.parquet"), is_table_source("s.CSV.GZ"), is_table_source("a.zarr")
    (True, True, False)
    """
    if not isinstance(source, str | Path):
        return False
    if str(source).lower().endswith(TABLE_SUFFIXES):
        return True
    path = Path(source)
    zarr = any((path / name).exists() for name in ("zarr.json", ".zgroup", ".zarray"))
    if "://" in str(source) or not path.is_dir() or zarr:
        return False
    return next(path.rglob("*.parquet"), None) is not None
