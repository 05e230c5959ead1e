"""What the advisor knows about a table: its rows, its columns, their dtypes and cardinalities.

Pure: :mod:`advisor.store.tables` builds a :class:`TableSchema` from a real Parquet file or
dataset or a CSV; ``--rows`` and ``--columns name:dtype[:cardinality],...`` build one from a
bare description.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column: its name, its dtype as numpy or Arrow name it, what is known of its values.

    ``dtype`` is one of numpy's names (``float64``, ``int32``, ``uint8``, ``bool``), ``string``,
    or ``timestamp[ns]`` / ``timestamp[us]`` / ``timestamp[ms]`` / ``timestamp[s]``.
    ``cardinality`` is the number of distinct values, when known. ``minimum`` / ``maximum``
    are the value range, when known (numbers only; timestamps as seconds since the epoch).
    """

    name: str
    dtype: str
    cardinality: int | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def is_timestamp(self) -> bool:
        return self.dtype.startswith("timestamp")


@dataclass(frozen=True, slots=True)
class TableSchema:
    """A table: its name, row count and columns, and which column is the time and which the key.

    ``bytes_per_row`` is the uncompressed size of one row in memory (strings at their mean
    length); ``time_span_s`` the seconds between the first and last time; ``sorted_by`` the
    columns the rows are known to be sorted by, first key first.
    """

    name: str
    rows: int
    columns: tuple[TableColumn, ...]
    time_column: str | None = None
    key_column: str | None = None
    bytes_per_row: float | None = None
    time_span_s: float | None = None
    sorted_by: tuple[str, ...] = field(default=())

    def column(self, name: str) -> TableColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)
