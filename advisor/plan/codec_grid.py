"""The codec candidates ``advisor codecs`` measures, and the dtype a variable could shrink to.

Lossless: Blosc (every compressor x shuffle x a few levels, typesize set from the dtype),
Zstd, Gzip and PCodec (2-, 4- and 8-byte values only: it refuses one-byte types); every one
is storable in zarr format 2 (numcodecs) and 3 (``zarr.codecs``; PCodec as the serializer).
Shuffles that cannot act on one-byte values (byte shuffle) are left out for them. Lossy
candidates put numcodecs' BitRound in front of a compressor, for float data only.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np

from advisor.plan.codecs import BLOSC_NAMES, PCODEC_ITEMSIZES, SHUFFLES, CodecSpec, ZarrFormat

logger = logging.getLogger(__name__)

BLOSC_LEVELS = (1, 5, 9)
"""Blosc levels tried per compressor and shuffle: fast, middle, strongest."""

ZSTD_LEVELS = (1, 3, 9)
GZIP_LEVELS = (1, 5, 9)
PCODEC_LEVELS = (4, 8)
"""PCodec levels tried: pcodec's fast end and its default."""

Kind = Literal["float", "integer", "flag"]


def lossless_grid(itemsize: int, zarr_format: ZarrFormat = 3) -> tuple[CodecSpec, ...]:
    """Every lossless candidate for values of ``itemsize`` bytes in ``zarr_format``.

    Examples
    --------
    >>> len(lossless_grid(4)), len(lossless_grid(1))
    (53, 36)
    >>> str(lossless_grid(8)[-1])
    'pcodec:8'
    >>> str(lossless_grid(4)[0])
    'blosc:lz4:1:noshuffle'
    """
    del zarr_format  # every family here is storable in both formats (tests/test_pcodec.py)
    shuffles = tuple(s for s in SHUFFLES if not (itemsize == 1 and s == "shuffle"))
    blosc = tuple(
        CodecSpec("blosc", cname, level, shuffle)
        for cname in BLOSC_NAMES
        for shuffle in shuffles
        for level in BLOSC_LEVELS
    )
    others = tuple(CodecSpec("zstd", None, level, None) for level in ZSTD_LEVELS) + tuple(
        CodecSpec("gzip", None, level, None) for level in GZIP_LEVELS
    )
    pcodec = tuple(
        CodecSpec("pcodec", None, level, None)
        for level in PCODEC_LEVELS
        if itemsize in PCODEC_ITEMSIZES
    )
    return blosc + others + pcodec


def with_keepbits(specs: tuple[CodecSpec, ...], keepbits: int) -> tuple[CodecSpec, ...]:
    """``specs`` each behind a BitRound filter keeping ``keepbits`` mantissa bits.

    Examples
    --------
    >>> [str(s) for s in with_keepbits((CodecSpec(),), 7)]
    ['bitround:7+blosc:zstd:3:shuffle']
    """
    return tuple(CodecSpec(s.family, s.cname, s.clevel, s.shuffle, keepbits) for s in specs)


def kind_of(dtype: np.dtype, values: np.ndarray, flag_values: int = 16) -> Kind:
    """Is the variable a float, an integer count, or flag-like (few distinct values)?

    Flags and integers are never rounded. A variable is flag-like when the sample
    holds at most ``flag_values`` distinct finite values.

    Examples
    --------
    >>> kind_of(np.dtype("f4"), np.array([0.0, 1.0, 0.0], dtype="f4"))
    'flag'
    >>> kind_of(np.dtype("u1"), np.arange(200, dtype="u1"))
    'integer'
    """
    finite = values if dtype.kind in "iub" else values[np.isfinite(values)]
    if np.unique(finite).size <= flag_values:
        kind: Kind = "flag"
    else:
        kind = "integer" if dtype.kind in "iub" else "float"
    logger.debug("variable kind: %s", kind)
    return kind


def smaller_dtype(
    dtype: np.dtype, values: np.ndarray, max_abs_error: float | None = None
) -> str | None:
    """A smaller dtype that holds ``values``: exact for integers, within ``max_abs_error``
    (default: exact) for float64 -> float32; None when none fits.

    Examples
    --------
    >>> smaller_dtype(np.dtype("i8"), np.array([0, 200, 3]))
    'uint8'
    >>> smaller_dtype(np.dtype("f8"), np.array([0.5, 1.25]))
    'float32'
    >>> smaller_dtype(np.dtype("f8"), np.array([0.1])) is None
    True
    """
    if dtype.kind in "iu":
        finite = values
        lo, hi = (int(finite.min()), int(finite.max())) if finite.size else (0, 0)
        for name in ("uint8", "int8", "uint16", "int16", "uint32", "int32"):
            small = np.iinfo(name)
            if np.dtype(name).itemsize < dtype.itemsize and small.min <= lo and hi <= small.max:
                return name
        return None
    if dtype == np.float64:
        finite = values[np.isfinite(values)]
        small = finite.astype(np.float32)
        if np.isinf(small).any():
            return None
        error = float(np.abs(small.astype(np.float64) - finite).max()) if finite.size else 0.0
        if error <= (0.0 if max_abs_error is None else max_abs_error):
            return "float32"
    return None
