"""The first pass of a table write: rows appended, unsorted, to one file per Hive partition.

Each batch is split by its partition columns (:func:`advisor.run.table_partitions.partition_columns`)
and every piece written at once as a small row group (lz4): memory is one batch and the open
writers' buffers, whatever the table's size. :mod:`advisor.run.table_write` then finishes each
partition alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.tables.layout import TableLayout
from advisor.run.table_partitions import partition_columns

if TYPE_CHECKING:
    import pyarrow as pa

STAGE_OPEN_FILES = 64
"""Partition files the first pass keeps open at once."""


class Stager:
    """Append batches, unsorted, to one Parquet file per partition folder (Hive names).

    Each piece is written as it comes (a small row group): memory is one batch and the open
    writers' buffers. At most :data:`STAGE_OPEN_FILES` files are open; a partition whose
    writer was closed gets a new file when more of its rows come.
    """

    def __init__(self, root: Path, schema: pa.Schema, fields: tuple[str, ...]) -> None:
        from collections import OrderedDict

        self.root, self.schema, self.fields = root, schema, fields
        self.open: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self.made: dict[tuple[int, ...], int] = {}

    def _writer(self, key: tuple[int, ...]) -> Any:
        import pyarrow.parquet as pq

        if key in self.open:
            self.open.move_to_end(key)
            return self.open[key]
        if len(self.open) >= STAGE_OPEN_FILES:
            self.open.popitem(last=False)[1].close()
        folder = self.root.joinpath(*(f"{f}={v}" for f, v in zip(self.fields, key, strict=True)))
        folder.mkdir(parents=True, exist_ok=True)
        n = self.made.get(key, 0)
        self.made[key] = n + 1
        writer = pq.ParquetWriter(folder / f"stage-{n}.parquet", self.schema, compression="lz4")
        self.open[key] = writer
        return writer

    def add(self, batch: pa.RecordBatch, parts: dict[str, pa.Array]) -> None:
        import numpy as np

        if not self.fields:
            self._writer(()).write_batch(batch)
            return
        cols = [parts[f].to_numpy().astype(np.int64) for f in self.fields]
        if all(c[0] == c.min() == c.max() for c in cols):  # the usual case: one partition
            self._writer(tuple(int(c[0]) for c in cols)).write_batch(batch)
            return
        if len(cols) <= 4:  # int16 values: 16 bits each in one int64 code
            code = np.zeros(len(cols[0]), np.int64)
            for c in cols:
                code = (code << 16) | (c & 0xFFFF)
        else:
            code = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)[1].ravel()
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        ordered = batch.take(order)
        bounds = np.cumsum([0, *np.bincount(inverse, minlength=len(first))])
        for at, a, b in zip(first, bounds[:-1], bounds[1:], strict=True):
            self._writer(tuple(int(c[at]) for c in cols)).write_batch(ordered.slice(a, b - a))

    def close(self) -> None:
        while self.open:
            self.open.popitem()[1].close()


def stage_rows(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    stage: Path,
    fields: tuple[str, ...],
    layout: TableLayout,
    time_column: str | None,
    key_column: str | None,
) -> None:
    """Write ``batches`` under ``stage`` by their partition columns (:class:`Stager`)."""
    stager = Stager(stage, schema, fields)
    try:
        for batch in batches:
            stager.add(batch, partition_columns(batch, layout, time_column, key_column))
    finally:
        stager.close()
