"""A table's layout on disk: partitions, files, row groups, sort order, dtypes, codec. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

TimeGranularity = Literal["none", "year", "quarter", "month", "week", "day", "hour"]
"""How the time column partitions the files (Hive ``year=/month=/day=`` folders); ``none``: not."""


@dataclass(frozen=True, slots=True)
class TableLayout:
    """One way to write a table as Parquet: what :func:`advisor.run.tables` writes and prices read.

    - ``time_partition``: folders by the time column (``year=2019/month=7/``), or ``none``.
    - ``key_buckets``: the key column hashed into this many folders (0: not partitioned by key).
    - ``sort_by``: the columns the rows are sorted by inside each file, first key first.
    - ``row_group_rows``: rows per Parquet row group; ``max_rows_per_file``: rows per file
      (None: one file per partition).
    - ``dtypes``: column -> the dtype to store (only those that change).
    - ``dictionary``: the columns written with dictionary encoding.
    - ``compression`` / ``compression_level``: Parquet's codec (``zstd``, ``snappy``, ``gzip``,
      ``lz4``, ``brotli``, ``none``).
    - ``label``: what people call it: ``advisor``, ``day partitions (the seed)``, ``one file``,
      ``pyarrow defaults``, ...
    """

    label: str
    time_partition: TimeGranularity = "none"
    key_buckets: int = 0
    sort_by: tuple[str, ...] = ()
    row_group_rows: int = 1024 * 1024
    max_rows_per_file: int | None = None
    dtypes: Mapping[str, str] = field(default_factory=dict)
    dictionary: tuple[str, ...] = ()
    compression: str = "snappy"
    compression_level: int | None = None
