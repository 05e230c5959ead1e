"""Writing a table in a :class:`~advisor.plan.tables.layout.TableLayout`, in bounded memory.

The source streams in batches (:func:`advisor.store.table_sources.open_table`: a CSV in blocks,
Parquet one batch at a time). A layout with neither partitions nor a sort order is written in
one pass. Otherwise in two, as sorting needs a whole partition in memory:

1. *stage*: every batch, cast to the layout's dtypes, is split by its partition columns and
   appended, unsorted, to a temporary Hive dataset (one Parquet writer per partition, each
   piece written at once: memory is about one batch);
2. *finish*: each partition alone is read (sorted, if the layout sorts) and written in files of
   ``max_rows_per_file`` rows and row groups of ``row_group_rows`` rows. With a Dask client, one
   task per partition on the cluster (its workers must see the same disk).

The memory this bounds: the CSV reader's blocks (``memory / 256`` each, about twenty held), one
row group being buffered, and, when sorting, the largest partition (about three times its Arrow size: the
table, the sort's indices and the sorted copy). A layout whose largest partition needs more
than ``memory`` is refused after the first pass, before anything is published.

Examples
--------
>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> from advisor.plan.tables.layout import TableLayout
>>> with tempfile.TemporaryDirectory() as tmp:
...     pq.write_table(pa.table({"k": ["b", "a", "b"], "v": [1, 2, 3]}), f"{tmp}/t.parquet")
...     done = write_layout(f"{tmp}/t.parquet", Path(tmp) / "out",
...         TableLayout("sorted", sort_by=("k",)), key_column="k")
...     pq.read_table(Path(tmp) / "out").column("k").to_pylist(), done.files
(['a', 'b', 'b'], 1)
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.plan.tables.layout import TableLayout
from advisor.run.table_partitions import partition_fields
from advisor.run.table_stage import stage_rows
from advisor.run.table_verify import TableDigest, verify_written
from advisor.store.publish import TEMP_MARK, publishing, remove, write_failed
from advisor.store.table_sources import open_table

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client

logger = logging.getLogger(__name__)

DEFAULT_MEMORY = 2 * 2**30
"""The working memory a conversion may use unless told otherwise (2 GiB)."""

SORT_FACTOR = 3
"""Sorting a partition holds about this many times its Arrow size."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write made: rows, files, partitions, bytes on disk, the verified digest."""

    out: Path
    layout: TableLayout
    rows: int
    files: int
    partitions: int
    bytes: int
    digest: TableDigest


def csv_block_size(memory: int) -> int:
    """The CSV reader's block: ``memory / 256``, kept within 256 KiB-16 MiB (pyarrow's streaming
    reader holds about twenty blocks at once, read ahead and being parsed, and some 30 MB more:
    measured, pyarrow 26).

    Examples
    --------
    >>> csv_block_size(2**30) // 2**20, csv_block_size(96 * 2**20), csv_block_size(2**20)
    (4, 393216, 262144)
    """
    return max(2**18, min(16 * 2**20, memory // 256))


def _cast(batch: pa.RecordBatch, layout: TableLayout) -> pa.RecordBatch:
    import pyarrow as pa

    for name, dtype in layout.dtypes.items():
        i = batch.schema.get_field_index(name)
        if i < 0:
            raise AdvisorError(f"the layout casts {name!r}, which the table does not have")
        try:
            target = pa.type_for_alias(dtype)
            column = batch.column(i).cast(target, safe=not pa.types.is_floating(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise AdvisorError(f"cannot store {name!r} as {dtype}: {exc}") from None
        batch = batch.set_column(i, pa.field(name, target), column)
    return batch


def _cast_schema(schema: pa.Schema, layout: TableLayout) -> pa.Schema:
    """``schema`` with the layout's dtypes."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(f.name, pa.type_for_alias(layout.dtypes[f.name])) if f.name in layout.dtypes
         else f for f in schema]
    )  # fmt: skip


def _writer_options(layout: TableLayout) -> dict[str, Any]:
    import pyarrow.parquet as pq

    compression = "none" if layout.compression in ("none", "") else layout.compression
    return {
        "compression": compression,
        "compression_level": layout.compression_level,
        "use_dictionary": list(layout.dictionary) if layout.dictionary else True,
        "sorting_columns": [pq.SortingColumn(i) for i in range(len(layout.sort_by))] or None,
    }


def _dictionary(table: pa.Table, layout: TableLayout) -> pa.Table:
    """The layout's dictionary columns as Arrow dictionaries (read back as categoricals), but
    those the rows are sorted by: a filter prunes row groups by their min/max, and pyarrow's
    dataset filter skips none of a dictionary column's (a key read of a key-sorted file read
    876 of 876 row groups as a dictionary, 1 as a string). Parquet dictionary-encodes those
    columns all the same (``use_dictionary``)."""
    import pyarrow as pa

    for name in layout.dictionary:
        if name in layout.sort_by:
            continue
        i = table.schema.get_field_index(name)
        if i >= 0 and not pa.types.is_dictionary(table.schema.field(i).type):
            table = table.set_column(i, name, table.column(i).dictionary_encode())
    return table


def write_files(
    batches: Iterable[pa.RecordBatch | pa.Table], folder: Path, layout: TableLayout
) -> int:
    """Write ``batches`` to ``folder/part-N.parquet``: row groups of ``row_group_rows`` rows,
    files of ``max_rows_per_file`` rows. Returns the number of files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    group = max(1, layout.row_group_rows)
    per_file = layout.max_rows_per_file or 0
    if per_file:
        per_file = max(group, per_file - per_file % group)  # whole row groups per file
    folder.mkdir(parents=True, exist_ok=True)
    options = _writer_options(layout)
    writer: pq.ParquetWriter | None = None
    files, in_file, pending, buffered = 0, 0, [], 0

    def flush(table: pa.Table) -> None:
        nonlocal writer, files, in_file
        table = _dictionary(table, layout)
        if writer is None or (per_file and in_file >= per_file):
            if writer is not None:
                writer.close()
            writer = pq.ParquetWriter(folder / f"part-{files}.parquet", table.schema, **options)
            files, in_file = files + 1, 0
        writer.write_table(table, row_group_size=group)
        in_file += table.num_rows

    try:
        for piece in batches:
            pending.append(piece if isinstance(piece, pa.Table) else pa.Table.from_batches([piece]))
            buffered += piece.num_rows
            while buffered >= group:
                table = pa.concat_tables(pending)
                flush(table.slice(0, group))
                rest = table.slice(group)
                pending, buffered = ([rest] if rest.num_rows else []), rest.num_rows
        if buffered or writer is None:
            tables = pending or [pa.Table.from_batches([], schema=_schema_of(batches))]
            flush(pa.concat_tables(tables))
    finally:
        if writer is not None:
            writer.close()
    return files


def _schema_of(batches: object) -> pa.Schema:
    schema = getattr(batches, "schema", None)
    if schema is None:
        raise AdvisorError("the table is empty and its schema is unknown: nothing to write")
    return schema


class _Batches:
    """A one-pass iterator of batches that knows their schema (for an empty table)."""

    def __init__(self, batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> None:
        self._batches, self.schema = batches, schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._batches


def finish_partition(
    stage: Path, out: Path, layout: TableLayout, memory: int, name: str = ""
) -> int:
    """Write the staged partition ``stage`` to ``out``, sorted if the layout sorts; files made."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    dataset = ds.dataset(stage, format="parquet")
    if not layout.sort_by:
        scanner = dataset.scanner(batch_readahead=1, fragment_readahead=1, use_threads=False)
        return write_files(_Batches(iter(scanner.to_batches()), dataset.schema), out, layout)
    table = dataset.to_table(use_threads=False).combine_chunks()  # no per-thread read-ahead
    need = SORT_FACTOR * table.nbytes
    if need > memory:
        raise AdvisorError(
            f"sorting the partition {name or out.name} ({table.num_rows} rows) needs about "
            f"{need / 2**20:.0f} MiB, over the memory allowed ({memory / 2**20:.0f} MiB): "
            "choose a finer time partition or key buckets, or allow more --memory"
        )
    table = table.sort_by([(column, "ascending") for column in layout.sort_by])
    files = write_files([table], out, layout)
    del table
    pa.default_memory_pool().release_unused()  # the next partition starts from a clean pool
    return files


def _leaves(stage: Path) -> list[Path]:
    """The partition folders of the staged dataset (those that hold files), in order."""
    return sorted({p.parent for p in stage.rglob("*.parquet")})


def _check_columns(schema: pa.Schema, layout: TableLayout, time_column: str | None) -> None:
    import pyarrow as pa

    for column in layout.sort_by:
        if column not in schema.names:
            raise AdvisorError(f"the layout sorts by {column!r}, which the table does not have")
    if layout.time_partition != "none":
        if time_column is None or time_column not in schema.names:
            raise AdvisorError(
                f"the layout partitions by {layout.time_partition}, but the table has no time "
                "column: choose a layout without time partitions"
            )
        if not pa.types.is_timestamp(schema.field(time_column).type):
            raise AdvisorError(f"the time column {time_column!r} holds no timestamps")


def write_layout(
    source: str | Path,
    out: Path,
    layout: TableLayout,
    *,
    time_column: str | None = None,
    key_column: str | None = None,
    memory: int = DEFAULT_MEMORY,
    overwrite: bool = False,
    client: Client | None = None,
) -> WriteResult:
    """Write ``source`` to the folder ``out`` in ``layout``, verify it, publish it atomically.

    ``out`` is refused if it exists (unless ``overwrite``); any failure leaves neither ``out``
    nor a temporary copy. With ``client`` the partitions are finished on its cluster.
    """
    if out.exists() and not overwrite:
        raise AdvisorError(f"{out} already exists: pass --overwrite to replace it")
    stream = open_table(source, block_size=csv_block_size(memory))
    _check_columns(stream.schema, layout, time_column)
    fields = partition_fields(layout, key_column)
    digest = TableDigest()
    batches = digest.through(_cast(b, layout) for b in stream.batches)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with publishing(out, overwrite=overwrite) as partial:
            if not fields and not layout.sort_by:
                schema = _cast_schema(stream.schema, layout)
                files = write_files(_Batches(batches, schema), partial, layout)
                partitions = 1
            else:
                files, partitions = _two_passes(
                    batches, stream.schema, partial, out, layout, fields, time_column,
                    key_column, memory, client,
                )  # fmt: skip
            verify_written(digest, partial, out)
            size = sum(p.stat().st_size for p in partial.rglob("*.parquet"))
    except OSError as exc:
        raise write_failed(exc, out) from None
    logger.debug("wrote %s: %d rows, %d files, %d partitions", out, digest.rows, files, partitions)
    return WriteResult(out, layout, digest.rows, files, partitions, size, digest)


def _two_passes(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    partial: Path,
    out: Path,
    layout: TableLayout,
    fields: tuple[str, ...],
    time_column: str | None,
    key_column: str | None,
    memory: int,
    client: Client | None,
) -> tuple[int, int]:
    """Stage, then finish each partition; (files, partitions)."""
    import pyarrow as pa

    cast_schema = _cast_schema(schema, layout)
    folder = Path(tempfile.mkdtemp(prefix=f"{out.name}{TEMP_MARK}stage-", dir=out.parent))
    try:
        stage_rows(batches, cast_schema, folder / "data", fields, layout, time_column, key_column)
        pa.default_memory_pool().release_unused()
        leaves = _leaves(folder / "data")
        targets = [partial / leaf.relative_to(folder / "data") for leaf in leaves]
        if client is None:
            pairs = zip(leaves, targets, strict=True)
            files = [finish_partition(a, b, layout, memory, b.name) for a, b in pairs]
        else:
            futures = client.map(
                finish_partition, leaves, targets, layout=layout, memory=memory, pure=False
            )
            files = client.gather(futures)
        if not leaves:
            files = [write_files(_Batches(iter(()), cast_schema), partial, layout)]
        return sum(files), max(1, len(leaves))
    finally:
        remove(folder)
