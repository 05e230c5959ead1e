"""A table source as a stream of Arrow record batches: a CSV read in blocks, or Parquet.

A CSV (``.csv``, or compressed ``.csv.gz`` / ``.csv.bz2``) is read by pyarrow's streaming
reader (:func:`pyarrow.csv.open_csv`) one block of ``block_size`` bytes at a time: the whole file
is never in memory. A Parquet file, or a folder of Parquet files (Hive ``key=value/`` folders
read as columns), is read as a :mod:`pyarrow.dataset` one batch at a time. No compute here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    import pyarrow as pa

TableKind = Literal["csv", "parquet"]

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
"""What a CSV source's name ends with (pyarrow decompresses by the suffix)."""

PARQUET_SUFFIXES = (".parquet", ".pq")
"""What a Parquet file's name ends with."""

_ARRAY_MARKS = (".zgroup", ".zarray", "zarr.json", ".zmetadata")


def table_kind(source: str | Path) -> TableKind | None:
    """``csv`` or ``parquet`` when ``source`` names a table by its suffix, or is a folder of
    Parquet files (not a Zarr store); else None.

    Examples
    --------
    >>> table_kind("data/stations_2019.csv.gz"), table_kind("a.parquet"), table_kind("x.zarr")
    ('csv', 'parquet', None)
    """
    name = str(source).lower().rstrip("/")
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    path = Path(source).expanduser()
    if path.is_dir() and not any((path / mark).exists() for mark in _ARRAY_MARKS):
        if next(path.rglob("*.parquet"), None) is not None:
            return "parquet"
    return None


@dataclass(frozen=True, slots=True)
class TableStream:
    """A source's schema and a one-pass iterator of its batches."""

    path: Path
    kind: TableKind
    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]


def open_table(source: str | Path, *, block_size: int = 16 * 2**20) -> TableStream:
    """Open ``source`` to stream it; a missing or unreadable source is an :class:`AdvisorError`.

    Examples
    --------
    >>> import tempfile, pyarrow as pa, pyarrow.csv as pcsv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pcsv.write_csv(pa.table({"a": [1, 2, 3]}), f"{tmp}/t.csv")
    ...     stream = open_table(f"{tmp}/t.csv", block_size=2**20)
    ...     str(stream.schema.field("a").type), sum(b.num_rows for b in stream.batches)
    ('int64', 3)
    """
    import pyarrow as pa

    path = Path(source).expanduser()
    kind = table_kind(path)
    if kind is None:
        raise AdvisorError(
            f"{source} is not a table: give a .csv, .csv.gz or .parquet file, or a folder of "
            ".parquet files"
        )
    if not path.exists():
        raise AdvisorError(f"no table at {source}: check the path")
    try:
        if kind == "csv":
            return _csv(path, block_size)
        return _parquet(path, block_size)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise AdvisorError(f"cannot read the table {source} ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _csv(path: Path, block_size: int) -> TableStream:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=block_size))

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            with reader:
                yield from reader
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise AdvisorError(
                f"cannot read the CSV {path} ({_first_line(exc)}): a column's type changed "
                "after the first block, or a line is malformed"
            ) from None

    return TableStream(path, "csv", reader.schema, batches())


def _parquet(path: Path, block_size: int) -> TableStream:
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet", partitioning="hive")
    rows = max(1024, block_size // max(1, 8 * len(dataset.schema)))
    scanner = dataset.scanner(batch_size=rows, batch_readahead=2, fragment_readahead=1)
    return TableStream(path, "parquet", dataset.schema, iter(scanner.to_batches()))
