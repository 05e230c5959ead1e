"""A written table checked against its source: row count and per-column checksums.

Sorting and partitioning change the row order, so each column's checksum is order-independent:
the sum, modulo 2**64, of a 64-bit hash of every value (:func:`pandas.util.hash_array`; nulls
and NaNs hash too; timestamps in ns whatever their unit). Dictionary columns are decoded first, so a column written with dictionary
encoding sums like its plain source. The source's digest is taken from the batches as they
are written (after the layout's dtype casts), the written one from the table read back.

Examples
--------
>>> import pyarrow as pa
>>> a = TableDigest.of_batches([pa.record_batch({"x": [1, 2, 3], "s": ["a", "b", None]})])
>>> b = TableDigest.of_batches([pa.record_batch({"x": [3, 1, 2], "s": [None, "a", "b"]})])
>>> a == b, a.rows
(True, 3)
>>> a.differences(TableDigest.of_batches([pa.record_batch({"x": [1, 2, 4], "s": ["a", "b", None]})]))
['x']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    import pyarrow as pa

_MASK = 2**64 - 1


def column_sum(values: pa.Array | pa.ChunkedArray) -> int:
    """The order-independent checksum of one column: hashes of its values summed mod 2**64."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        return sum(column_sum(chunk) for chunk in values.chunks) & _MASK
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        # hash each distinct string once (few Python objects), then every row by its index
        encoded = values.dictionary_encode()
        codes = pd.util.hash_array(encoded.dictionary.to_numpy(zero_copy_only=False))
        indices = encoded.indices.fill_null(len(codes)).to_numpy()
        hashed = np.append(codes, np.uint64(_MASK))[indices]
        return int(np.add.reduce(hashed, dtype=np.uint64)) if len(hashed) else 0
    if pa.types.is_timestamp(values.type) and values.type.unit != "ns":
        values = values.cast(pa.timestamp("ns", values.type.tz))  # Parquet stores s as ms
    array = values.to_numpy(zero_copy_only=False)
    if array.dtype == np.float16:
        array = array.view(np.uint16)
    hashed = pd.util.hash_array(array)
    return int(np.add.reduce(hashed, dtype=np.uint64)) if len(hashed) else 0


@dataclass(slots=True)
class TableDigest:
    """Rows and one checksum per column, added to batch by batch."""

    rows: int = 0
    sums: dict[str, int] = field(default_factory=dict)

    def add(self, batch: pa.RecordBatch, columns: Sequence[str] | None = None) -> None:
        """Count ``batch`` in (only ``columns`` when given)."""
        self.rows += batch.num_rows
        for name in columns if columns is not None else batch.schema.names:
            self.sums[name] = (self.sums.get(name, 0) + column_sum(batch.column(name))) & _MASK

    def through(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """``batches`` unchanged, each counted in on its way."""
        for batch in batches:
            self.add(batch)
            yield batch

    @classmethod
    def of_batches(
        cls, batches: Iterable[pa.RecordBatch], columns: Sequence[str] | None = None
    ) -> TableDigest:
        digest = cls()
        for batch in batches:
            digest.add(batch, columns)
        return digest

    def differences(self, other: TableDigest) -> list[str]:
        """The columns whose checksums differ (``rows`` first when the counts differ)."""
        out = ["rows"] if self.rows != other.rows else []
        names = list(self.sums) + [n for n in other.sums if n not in self.sums]
        return out + [n for n in names if self.sums.get(n) != other.sums.get(n)]


def written_digest(folder: Path, columns: Sequence[str]) -> TableDigest:
    """The digest of the Parquet files under ``folder`` (Hive folders), of ``columns`` only, read
    one file and one batch at a time on this thread (no read-ahead: memory is about one row
    group being decoded)."""
    import pyarrow.parquet as pq

    digest = TableDigest()
    for path in sorted(folder.rglob("*.parquet")):
        with pq.ParquetFile(path, pre_buffer=False) as file:
            for batch in file.iter_batches(
                batch_size=65536, columns=list(columns), use_threads=False
            ):
                digest.add(batch, columns)
    return digest


def verify_written(source: TableDigest, folder: Path, target: object) -> TableDigest:
    """Raise :class:`AdvisorError` unless the dataset at ``folder`` holds ``source``'s rows."""
    written = written_digest(folder, list(source.sums))
    bad = source.differences(written)
    if bad:
        raise AdvisorError(
            f"the table written for {target} does not match its source ({', '.join(bad)} "
            f"differ: {written.rows} rows written of {source.rows}): nothing was published"
        )
    return written
