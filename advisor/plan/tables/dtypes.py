"""Verified downcasts of a table's columns: smaller dtypes only when the values survive them. Pure.

- Integers: exactly, to the smallest type holding the column's ``[min, max]`` (unsigned when the
  minimum is at least 0): from the values, or from the full column's statistics.
- Floats: to ``float16`` or ``float32`` only when every value round-trips within the column's
  tolerance, no finite value overflows to infinity and no nonzero value underflows to zero. The
  tolerance is absolute, per column; by default :data:`RELATIVE_TOLERANCE` of the column's
  spread (``max - min``), so ~300 K temperatures with a 60 K spread allow 6e-5 K: ``float32``
  (error 1.5e-5 K) passes, ``float16`` (0.125 K, the seed's min/max-only check) is refused.
- Strings: dictionary encoding when distinct values are few (:data:`DICTIONARY_FRACTION`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from advisor.plan.tables.parse import value_bytes
from advisor.plan.tables.schema import TableSchema

logger = logging.getLogger(__name__)

RELATIVE_TOLERANCE = 1e-6
"""Default float tolerance as a fraction of the column's spread (its absolute value when the
spread is zero): about 16 times finer than float32's rounding at the spread's scale, so data
stored as float32 upstream passes and float16 (3 significant digits) fails for most fields."""

DICTIONARY_FRACTION = 0.1
"""A string column is dictionary-encoded when its distinct values are at most this fraction
of its rows (station ids: 1,000 of 8.76 million)."""

Verdict = Literal["downcast", "keep", "dictionary"]

_INTS = ("int8", "int16", "int32", "int64")
_UINTS = ("uint8", "uint16", "uint32", "uint64")


@dataclass(frozen=True, slots=True)
class DtypeCheck:
    """One column's dtype advice: its dtype, the one proposed, why, and what it saves.

    ``max_error`` is the largest round-trip error of the proposed dtype on the values checked
    (0 for integers); ``refused`` the smaller dtypes tried and the reason each failed;
    ``bytes_saved`` the memory saved over the table's rows.
    """

    column: str
    dtype: str
    target: str
    verdict: Verdict
    reason: str
    max_error: float = 0.0
    tolerance: float | None = None
    refused: tuple[str, ...] = ()
    bytes_saved: float = 0.0


def integer_target(lo: int, hi: int) -> str:
    """The smallest integer dtype holding ``lo..hi`` (unsigned when ``lo >= 0``).

    >>> integer_target(-128, 127), integer_target(-129, 0), integer_target(0, 255)
    ('int8', 'int16', 'uint8')
    >>> integer_target(0, 2**64 - 1), integer_target(-(2**63), 0)
    ('uint64', 'int64')
    """
    for name in _UINTS if lo >= 0 else _INTS:
        info = np.iinfo(name)
        if info.min <= lo and hi <= info.max:
            return name
    return "int64" if lo < 0 else "uint64"


def default_tolerance(values: np.ndarray) -> float:
    """:data:`RELATIVE_TOLERANCE` of the finite values' spread (of their magnitude if none).

    >>> round(default_tolerance(np.array([270.0, 330.0])), 12)
    6e-05
    """
    finite = values[np.isfinite(values)].astype(np.float64)
    if finite.size == 0:
        return 0.0
    spread = float(finite.max() - finite.min())
    return RELATIVE_TOLERANCE * (spread if spread > 0 else float(np.abs(finite).max()))


def check_float(column: str, values: np.ndarray, tolerance: float | None = None) -> DtypeCheck:
    """The smallest float dtype (``float16``, then ``float32``) the values survive.

    Examples
    --------
    >>> t2m = np.linspace(270.0, 330.0, 481)  # steps of 0.125 K
    >>> c = check_float("t2m", t2m)
    >>> c.target, c.refused
    ('float32', ('float16: max error 0.125 > tolerance 6e-05',))
    >>> check_float("tiny", np.array([1e-46, 1.0])).refused[-1]
    'float32: 1 nonzero value(s) underflow to zero'
    """
    values = np.asarray(values)
    dtype = values.dtype.name
    tol = default_tolerance(values) if tolerance is None else float(tolerance)
    wide = values.astype(np.float64)
    refused: list[str] = []
    for name in ("float16", "float32"):
        if np.dtype(name).itemsize >= values.dtype.itemsize:
            break
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            back = wide.astype(name).astype(np.float64)
        overflow = int((np.isfinite(wide) & ~np.isfinite(back)).sum())
        underflow = int(((wide != 0) & (back == 0)).sum())
        finite = np.isfinite(wide) & np.isfinite(back)
        error = float(np.abs(back[finite] - wide[finite]).max()) if finite.any() else 0.0
        if overflow:
            refused.append(f"{name}: {overflow} value(s) overflow to infinity")
        elif underflow:
            refused.append(f"{name}: {underflow} nonzero value(s) underflow to zero")
        elif error > tol:
            refused.append(f"{name}: max error {error:.3g} > tolerance {tol:.3g}")
        else:
            saved = values.dtype.itemsize - np.dtype(name).itemsize
            reason = f"round trip within {tol:.3g} (max error {error:.3g})"
            logger.debug("choosing %r for %s: %s", name, column, reason)
            return DtypeCheck(
                column, dtype, name, "downcast", reason, error, tol, tuple(refused), saved
            )
    reason = "; ".join(refused) if refused else "already the smallest float checked"
    return DtypeCheck(column, dtype, dtype, "keep", reason, 0.0, tol, tuple(refused))


def check_integer(column: str, dtype: str, lo: int, hi: int, where: str) -> DtypeCheck:
    """Exactly: the smallest type holding ``lo..hi`` (``where`` says whence the range).

    >>> check_integer("n", "int64", 0, 300, "statistics").target
    'uint16'
    """
    target = integer_target(int(lo), int(hi))
    if np.dtype(target).itemsize >= np.dtype(dtype).itemsize:
        return DtypeCheck(column, dtype, dtype, "keep", f"range {lo}..{hi} needs {dtype}")
    saved = np.dtype(dtype).itemsize - np.dtype(target).itemsize
    reason = f"exact: range {lo}..{hi} ({where}) fits {target}"
    logger.debug("choosing %r for %s: %s", target, column, reason)
    return DtypeCheck(column, dtype, target, "downcast", reason, bytes_saved=saved)


def check_columns(
    schema: TableSchema,
    values: Mapping[str, np.ndarray] | None = None,
    tolerances: Mapping[str, float] | None = None,
) -> tuple[DtypeCheck, ...]:
    """Every column's advice: integers from their statistics or values, floats from their
    values (a float without values is kept), strings dictionary-encoded when few distinct.

    Examples
    --------
    >>> from advisor.plan.tables.parse import schema_from_description
    >>> s = schema_from_description(1000, "station:string:10,p:float64,n:int64")
    >>> checks = check_columns(s, {"p": np.linspace(95e3, 105e3, 1000), "n": np.arange(1000)})
    >>> [(c.column, c.target, c.verdict) for c in checks]
    [('station', 'string', 'dictionary'), ('p', 'float32', 'downcast'), ('n', 'uint16', 'downcast')]
    >>> checks[1].bytes_saved
    4000.0
    """
    values = values or {}
    tolerances = tolerances or {}
    out = []
    for col in schema.columns:
        sample = values.get(col.name)
        if col.dtype == "string":
            card = col.cardinality
            few = card is not None and card <= DICTIONARY_FRACTION * schema.rows
            if few:
                saved = (value_bytes("string") - 4.0) * schema.rows
                reason = f"{card:,} distinct of {schema.rows:,} rows"
                out.append(DtypeCheck(col.name, "string", "string", "dictionary", reason, 0.0,
                                      None, (), saved))  # fmt: skip
            else:
                out.append(DtypeCheck(col.name, "string", "string", "keep", "many distinct"))
            continue
        kind = np.dtype(col.dtype).kind if not col.is_timestamp else "M"
        if kind in "iu":
            if col.minimum is not None and col.maximum is not None:
                lo, hi, where = int(col.minimum), int(col.maximum), "statistics"
            elif sample is not None and len(sample):
                lo, hi, where = int(np.min(sample)), int(np.max(sample)), "values sampled"
            else:
                out.append(DtypeCheck(col.name, col.dtype, col.dtype, "keep", "range unknown"))
                continue
            check = check_integer(col.name, col.dtype, lo, hi, where)
        elif kind == "f" and sample is not None and len(sample):
            check = check_float(col.name, np.asarray(sample, dtype=col.dtype),
                                tolerances.get(col.name))  # fmt: skip
        else:
            why = "values unknown" if kind == "f" else "kept"
            out.append(DtypeCheck(col.name, col.dtype, col.dtype, "keep", why))
            continue
        out.append(_scaled(check, schema.rows))
    return tuple(out)


def _scaled(check: DtypeCheck, rows: int) -> DtypeCheck:
    """``check`` with its bytes saved per value made bytes saved over ``rows``."""
    from dataclasses import replace

    return replace(check, bytes_saved=float(check.bytes_saved) * rows)
