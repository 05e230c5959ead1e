"""Parquet codecs measured on a table's sample: written and read back in memory with pyarrow.

Each candidate of :data:`advisor.plan.tables.codecs.PARQUET_CODECS` writes the sample (cast to
the verified dtypes, dictionary columns dictionary-encoded) to an in-memory buffer on one
thread and reads it back; the ratio is the Arrow bytes over the stored bytes, each column's
from the footer's compressed sizes. The best of :data:`REPEATS` timings is kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from advisor.plan.tables.codecs import PARQUET_CODECS, ParquetCodecMeasure
from advisor.plan.tables.parse import value_bytes

REPEATS = 2
"""Timings per codec (the fastest is kept: the others met a busy machine)."""


def prepare_sample(
    table: pa.Table, dtypes: Mapping[str, str], dictionary: Sequence[str]
) -> pa.Table:
    """``table`` as the layout would store it: verified downcasts, dictionary columns."""
    fields = []
    for fld in table.schema:
        kind = fld.type
        if fld.name in dtypes:
            kind = pa.from_numpy_dtype(dtypes[fld.name])
        elif fld.name in dictionary and not pa.types.is_dictionary(kind):
            kind = pa.dictionary(pa.int32(), kind)
        fields.append(pa.field(fld.name, kind))
    return table.cast(pa.schema(fields))


def measure_parquet_codecs(
    table: pa.Table,
    dictionary: Sequence[str] = (),
    codecs: Sequence[tuple[str, int | None]] = PARQUET_CODECS,
    memory_bytes: Mapping[str, float] | None = None,
) -> list[ParquetCodecMeasure]:
    """Every codec on ``table``: ratio, encode and decode speed on one thread, column ratios.

    ``dictionary`` names the columns written with dictionary encoding (the others plain, as
    the advisor's snippet writes them).

    ``memory_bytes`` is each column's bytes per value as the cost model counts them (default:
    its dtype's; 4 for a dictionary column), so the column ratios price stored bytes exactly.
    """
    rows = max(1, table.num_rows)
    nbytes = max(1, table.nbytes)
    per_value = dict(memory_bytes or {})
    for fld in table.schema:
        if fld.name not in per_value:
            dictionary_type = pa.types.is_dictionary(fld.type) or fld.name in dictionary
            per_value[fld.name] = 4.0 if dictionary_type else _value_bytes(fld.type)
    out = []
    for compression, level in codecs:
        encode = decode = float("inf")
        buffer = None
        for _ in range(REPEATS):
            sink = pa.BufferOutputStream()
            start = time.perf_counter()
            pq.write_table(
                table,
                sink,
                compression=compression,
                compression_level=level,
                use_dictionary=list(dictionary) or False,
            )
            encode = min(encode, time.perf_counter() - start)
            buffer = sink.getvalue()
            start = time.perf_counter()
            pq.read_table(pa.BufferReader(buffer), use_threads=False)
            decode = min(decode, time.perf_counter() - start)
        assert buffer is not None
        meta = pq.ParquetFile(pa.BufferReader(buffer)).metadata
        stored: dict[str, float] = {}
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            for j in range(group.num_columns):
                name = group.column(j).path_in_schema
                stored[name] = stored.get(name, 0.0) + group.column(j).total_compressed_size
        total = max(1.0, sum(stored.values()))
        ratios = {n: max(1e-3, per_value[n] * rows / s) for n, s in stored.items() if s > 0}
        out.append(
            ParquetCodecMeasure(
                compression,
                level,
                nbytes / total,
                nbytes / max(encode, 1e-9),
                nbytes / max(decode, 1e-9),
                ratios,
            )
        )
    return out


def _value_bytes(arrow_type: pa.DataType) -> float:
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date64(arrow_type):
        return 8.0
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return float(arrow_type.bit_width // 8)
    if pa.types.is_boolean(arrow_type):
        return 1.0
    return value_bytes("string")
