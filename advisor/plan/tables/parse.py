"""Parsing what users type for tables: patterns, and the bare ``--rows`` / ``--columns`` description.

Pure. Patterns read ``kind[:key=value,...][@weight]`` (or ``weight=W`` among the parameters)
through the one key=value parser (:func:`advisor.plan.parse.pairs`); a ``columns=`` list may
hold commas (``scan:columns=cape,blh``). :func:`resolve_pattern` fills a pattern's defaults
from a :class:`TableSchema` and refuses columns the table lacks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import get_args

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import pairs, parse_freq
from advisor.plan.tables.patterns import TablePattern, TablePatternKind
from advisor.plan.tables.schema import TableColumn, TableSchema

KINDS: tuple[TablePatternKind, ...] = get_args(TablePatternKind)

PARAMETERS: dict[str, tuple[str, ...]] = {
    "time-range": ("days", "columns"),
    "key": ("column", "columns"),
    "scan": ("columns",),
    "groupby": ("by", "columns"),
    "append": ("every",),
}
"""The parameters each table pattern takes (``weight`` too, for all)."""

EXAMPLES = "time-range:days=7, key:column=station, scan:columns=cape,blh, groupby:by=station@2"

DEFAULT_TABLE_PATTERNS = ("time-range:days=7", "key", "scan")
"""The patterns priced when the user names none (those the table has columns for)."""

STRING_BYTES = 16
"""Bytes per string value in memory when nothing better is known: a 4-byte Arrow offset and
about 12 characters (station ids, names)."""

DEFAULT_TIME_STEP = 3600.0
"""Seconds between a key's consecutive rows when a bare description does not say (hourly)."""

KEY_NAMES = ("station", "station_id", "id", "key", "site", "point")
"""Column names taken as the key column when no cardinality marks one."""

TIMESTAMPS = ("timestamp[ns]", "timestamp[us]", "timestamp[ms]", "timestamp[s]")


def parse_table_pattern(text: str | TablePattern) -> TablePattern:
    """A :class:`TablePattern` from ``kind[:key=value,...][@weight]``.

    Examples
    --------
    >>> parse_table_pattern("scan:columns=cape,blh,weight=2")
    TablePattern(kind='scan', weight=2.0, days=None, column=None, columns=('cape', 'blh'), by=None, every=None)
    >>> parse_table_pattern("time-range:days=7@3").days, parse_table_pattern("append").every
    (7.0, '1D')
    >>> parse_table_pattern("key:colum=station")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown parameter 'colum' in table pattern 'key:colum=station': key takes column, columns, weight (e.g. time-range:days=7, key:column=station, scan:columns=cape,blh, groupby:by=station@2)
    """
    if isinstance(text, TablePattern):
        return text
    body, at, weight_text = text.strip().partition("@")
    kind, colon, rest = body.partition(":")
    kind = kind.strip()
    if kind not in KINDS:
        raise AdvisorError(
            f"unknown table pattern {kind!r} in {text!r}: use one of {', '.join(KINDS)} "
            f"(e.g. {EXAMPLES})"
        )
    values: dict[str, str] = {}
    if colon:
        for key, value in pairs(_join_lists(rest), "table pattern", f"{kind}:key=value"):
            if key != "weight" and key not in PARAMETERS[kind]:
                takes = ", ".join((*PARAMETERS[kind], "weight"))
                raise AdvisorError(
                    f"unknown parameter {key!r} in table pattern {text!r}: {kind} takes "
                    f"{takes} (e.g. {EXAMPLES})"
                )
            values[key] = value
    if at:
        if "weight" in values:
            raise AdvisorError(f"table pattern {text!r} gives its weight twice: keep one")
        values["weight"] = weight_text
    weight = _positive(values.get("weight", "1"), "weight", text)
    days = _positive(values["days"], "days", text) if "days" in values else None
    every = None
    if kind == "append":
        every = parse_freq(values.get("every", "1D"), "append:every").pandas
    columns = tuple(c.strip() for c in values.get("columns", "").split("+") if c.strip())
    return TablePattern(
        kind,
        weight=weight,
        days=days if kind == "time-range" else None,
        column=values.get("column"),
        columns=columns,
        by=values.get("by"),
        every=every,
    )


def _join_lists(text: str) -> str:
    """``columns=a,b,c`` as ``columns=a+b+c`` so the key=value parser reads one value."""
    parts: list[str] = []
    for part in text.split(","):
        if "=" not in part and parts:
            parts[-1] += "+" + part.strip()
        else:
            parts.append(part.strip())
    return ",".join(parts)


def _positive(value: str, what: str, text: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (number > 0 and math.isfinite(number)):
        raise AdvisorError(
            f"{what} {value!r} in table pattern {text!r} must be a positive number "
            f"(e.g. {EXAMPLES})"
        )
    return number


def pattern_name(pattern: TablePattern) -> str:
    """The pattern as a user would type it back (its weight aside).

    Examples
    --------
    >>> pattern_name(parse_table_pattern("scan:columns=cape,blh@2"))
    'scan:columns=cape,blh'
    """
    params = [("days", f"{pattern.days:g}" if pattern.days is not None else None)]
    params += [("column", pattern.column), ("by", pattern.by)]
    params += [("columns", ",".join(pattern.columns) or None), ("every", pattern.every)]
    text = ",".join(f"{k}={v}" for k, v in params if v is not None)
    return f"{pattern.kind}:{text}" if text else pattern.kind


def default_patterns(schema: TableSchema) -> list[TablePattern]:
    """:data:`DEFAULT_TABLE_PATTERNS` that ``schema`` can serve (a time range needs a time
    column, a key query a key).

    >>> [p.kind for p in default_patterns(schema_from_description(10, "cape:float64"))]
    ['scan']
    """
    out = [parse_table_pattern(p) for p in DEFAULT_TABLE_PATTERNS]
    drop = {"time-range"} if schema.time_column is None else set()
    drop |= {"key"} if schema.key_column is None else set()
    return [resolve_pattern(p, schema) for p in out if p.kind not in drop]


def resolve_pattern(pattern: TablePattern, schema: TableSchema) -> TablePattern:
    """``pattern`` with its defaults from ``schema`` (the key, 7 days, all columns), checked.

    Examples
    --------
    >>> s = schema_from_description(100, "time:timestamp,station:string:10,cape:float64")
    >>> resolve_pattern(parse_table_pattern("key"), s).column
    'station'
    >>> resolve_pattern(parse_table_pattern("scan:columns=blh"), s)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: table pattern scan names column 'blh', which the table lacks: use time, station, cape
    """
    names = [c.name for c in schema.columns]
    fields: dict[str, object] = {}
    if pattern.kind == "time-range":
        _need(schema.time_column, "a timestamp column", pattern)
        fields["days"] = pattern.days if pattern.days is not None else 7.0
    if pattern.kind == "key":
        fields["column"] = pattern.column or _need(schema.key_column, "a key column", pattern)
    if pattern.kind == "groupby":
        fields["by"] = pattern.by or _need(schema.key_column, "a key column", pattern)
    if pattern.kind == "append":
        _need(schema.time_column, "a timestamp column", pattern)
    resolved = dataclasses.replace(pattern, **fields)  # type: ignore[arg-type]
    for name in (resolved.column, resolved.by, *resolved.columns):
        if name is not None and name not in names:
            raise AdvisorError(
                f"table pattern {pattern.kind} names column {name!r}, which the table lacks: "
                f"use {', '.join(names)}"
            )
    return resolved


def _need(column: str | None, what: str, pattern: TablePattern) -> str:
    if column is None:
        raise AdvisorError(
            f"table pattern {pattern.kind} needs {what}, and the table has none: name it "
            "(e.g. key:column=station) or describe it in --columns"
        )
    return column


def parse_column_type(text: str, where: str) -> str:
    """A column dtype as the schema spells it: numpy's names, ``string``, ``timestamp[unit]``.

    Examples
    --------
    >>> parse_column_type("f4", "c"), parse_column_type("timestamp", "t"), parse_column_type("str", "s")
    ('float32', 'timestamp[ns]', 'string')
    """
    import numpy as np

    name = text.strip().lower()
    if name in ("string", "str", "utf8", "large_string", "object", "category"):
        return "string"
    if name in ("timestamp", "datetime", "datetime64", "date"):
        return "timestamp[ns]"
    if name.startswith("datetime64[") and f"timestamp[{name[11:-1]}]" in TIMESTAMPS:
        return f"timestamp[{name[11:-1]}]"
    if name in TIMESTAMPS:
        return name
    try:
        dtype = np.dtype(name)
    except (TypeError, ValueError, SyntaxError):
        dtype = None
    if dtype is None or dtype.kind not in "biuf":
        raise AdvisorError(
            f"unknown dtype {text!r} of column {where} in --columns: use float64, float32, "
            "int64, int32, int16, int8, uint8, bool, string or timestamp"
        )
    return dtype.name


def value_bytes(dtype: str) -> float:
    """Bytes of one value in memory (strings: :data:`STRING_BYTES`).

    >>> value_bytes("float32"), value_bytes("timestamp[ns]"), value_bytes("string")
    (4.0, 8.0, 16.0)
    """
    import numpy as np

    if dtype == "string":
        return float(STRING_BYTES)
    if dtype.startswith("timestamp"):
        return 8.0
    return float(np.dtype(dtype).itemsize)


def schema_from_description(
    rows: int | str, columns: str | Sequence[str], name: str = "table"
) -> TableSchema:
    """A :class:`TableSchema` from ``--rows N --columns name:dtype[:cardinality],...``.

    The time column is the (first) timestamp one; the key is the first string or integer
    column with a cardinality given, else one named like :data:`KEY_NAMES`. The time span covers
    one key's rows at :data:`DEFAULT_TIME_STEP` (or the time column's cardinality of steps).

    Examples
    --------
    >>> s = schema_from_description(8_760_000, "time:timestamp,station:string:1000,cape:float64")
    >>> s.time_column, s.key_column, s.bytes_per_row, s.time_span_s / 86400
    ('time', 'station', 32.0, 365.0)
    >>> schema_from_description(10, "time:timestamp,cape:float65")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown dtype 'float65' of column cape in --columns: use float64, float32, int64, int32, int16, int8, uint8, bool, string or timestamp
    """
    example = "--rows 8760000 --columns time:timestamp,station:string:1000,cape:float64"
    try:
        n = int(str(rows).replace("_", "").replace(",", ""))
    except ValueError:
        n = 0
    if n < 1:
        raise AdvisorError(f"--rows {rows!r} is not a positive whole number: write e.g. {example}")
    parts = columns.split(",") if isinstance(columns, str) else list(columns)
    cols: list[TableColumn] = []
    for part in parts:
        fields = [f.strip() for f in part.split(":")]
        if len(fields) not in (2, 3) or not fields[0]:
            raise AdvisorError(
                f"malformed column {part.strip()!r} in --columns: write name:dtype[:cardinality], "
                f"e.g. {example}"
            )
        if fields[0] in (c.name for c in cols):
            raise AdvisorError(f"--columns names {fields[0]} twice: name it once")
        dtype = parse_column_type(fields[1], fields[0])
        card = None
        if len(fields) == 3:
            try:
                card = int(fields[2])
            except ValueError:
                card = 0
            if not 1 <= card <= n:
                raise AdvisorError(
                    f"cardinality {fields[2]!r} of column {fields[0]} in --columns must be a "
                    f"whole number from 1 to --rows ({n}), e.g. station:string:1000"
                )
        cols.append(TableColumn(fields[0], dtype, card))
    time = next((c for c in cols if c.is_timestamp), None)
    keyish = [c for c in cols if c.dtype == "string" or c.dtype.startswith(("int", "uint"))]
    key = next((c for c in keyish if c.cardinality is not None), None)
    key = key or next((c for c in cols if c.name.lower() in KEY_NAMES), None)
    steps = _time_steps(n, time, key)
    return TableSchema(
        name,
        n,
        tuple(cols),
        time_column=time.name if time else None,
        key_column=key.name if key else None,
        bytes_per_row=sum(value_bytes(c.dtype) for c in cols),
        time_span_s=steps * DEFAULT_TIME_STEP if time else None,
    )


def _time_steps(rows: int, time: TableColumn | None, key: TableColumn | None) -> int:
    """Distinct times: the time column's cardinality, else one key's rows, else every row."""
    if time is not None and time.cardinality:
        return time.cardinality
    if key is not None and key.cardinality:
        return max(1, rows // key.cardinality)
    return rows
