"""Bit information: how many mantissa bits of a float array carry real information.

Klöwer et al. (2021, Nature Computational Science 1, 713-724), as in BitInformation.jl's
``bitinformation`` and xbitinfo's ``get_bitinformation`` / ``get_keepbits``: the information
of each bit is the mutual information between that bit of a value and the same bit of its
neighbour along a dim (the max over dims is kept); information no larger than what a fair
coin would show with ``confidence`` (the binomial test, 0.99) is set to zero, as is anything
below 1.5 times the largest of the last four bits (the trailing-noise floor); keepbits is the
smallest number of mantissa bits whose cumulative information (sign and exponent bits
first) reaches ``level`` of the total. Pure numpy.
"""

from __future__ import annotations

import logging
import math
from statistics import NormalDist

import numpy as np

from advisor.plan.errors import AdvisorError

logger = logging.getLogger(__name__)

NON_MANTISSA_BITS = {2: 6, 4: 9, 8: 12}
"""Sign and exponent bits of float16, float32 and float64 (by itemsize)."""

CONFIDENCE = 0.99
"""The binomial test's confidence: information a random bit could show is insignificant."""

LEVEL = 0.99
"""The share of the total information the kept bits must hold (xbitinfo's ``inflevel``)."""


def free_entropy(n: int, confidence: float = CONFIDENCE) -> float:
    """The largest mutual information a random bit shows over ``n`` pairs at ``confidence``.

    Examples
    --------
    >>> round(free_entropy(10_000), 6)
    0.000479
    """
    p = 0.5 + NormalDist().inv_cdf(1 - (1 - confidence) / 2) / (2 * math.sqrt(n))
    p = min(p, 1.0)
    entropy = -sum(q * math.log2(q) for q in (p, 1 - p) if q > 0)
    return 1 - entropy


def _mutual_information(a: np.ndarray, b: np.ndarray, nbits: int) -> np.ndarray:
    """Mutual information of bit ``i`` of ``a`` with bit ``i`` of ``b``, MSB first."""
    out = np.zeros(nbits)
    n = a.size
    for i in range(nbits):
        shift = nbits - 1 - i
        x = ((a >> shift) & 1).astype(np.uint8)
        y = ((b >> shift) & 1).astype(np.uint8)
        joint = np.bincount(2 * x + y, minlength=4).reshape(2, 2) / n
        px, py = joint.sum(axis=1), joint.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = joint * np.log2(joint / np.outer(px, py))
        out[i] = np.nansum(terms)
    return out


def bit_information(data: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Information per bit (MSB first: sign, exponent, mantissa) of a float array.

    The max over dims of the mutual information between neighbours; pairs with a NaN are
    left out; insignificant information is zero.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> info = bit_information(rng.random((64, 64)).astype(np.float32))
    >>> info.shape, bool(info[-1] == 0)
    ((32,), True)
    """
    data = np.asarray(data)
    if data.dtype.kind != "f" or data.itemsize not in NON_MANTISSA_BITS:
        raise AdvisorError(f"bit information needs float16/32/64 data, got {data.dtype}")
    nbits = data.itemsize * 8
    uint = np.dtype(f"u{data.itemsize}")
    best = np.zeros(nbits)
    for axis in range(data.ndim):
        if data.shape[axis] < 2:
            continue
        lo = np.take(data, np.arange(data.shape[axis] - 1), axis=axis).ravel()
        hi = np.take(data, np.arange(1, data.shape[axis]), axis=axis).ravel()
        keep = np.isfinite(lo) & np.isfinite(hi)
        if keep.sum() < 2:
            continue
        info = _mutual_information(lo[keep].view(uint), hi[keep].view(uint), nbits)
        info[info <= free_entropy(int(keep.sum()), confidence)] = 0.0
        best = np.maximum(best, info)
    floor = 1.5 * best[-4:].max()
    if (best > floor).any():  # else even the last bits are informative (repeated values): keep all
        best[best <= floor] = 0.0
    return best


def keepbits(data: np.ndarray, level: float = LEVEL, confidence: float = CONFIDENCE) -> int:
    """The mantissa bits to keep so that ``level`` of the real information is preserved.

    Examples
    --------
    >>> y, x = np.meshgrid(np.linspace(0, 6, 100), np.linspace(0, 6, 120), indexing="ij")
    >>> smooth = (280 + 10 * np.sin(y) * np.cos(x)).astype(np.float32)
    >>> rounded = np.frexp(smooth)  # the same field, 7 mantissa bits kept
    >>> rounded = np.ldexp(np.round(rounded[0] * 2**8) / 2**8, rounded[1]).astype(np.float32)
    >>> keepbits(smooth) > 7, keepbits(rounded) <= 7
    (True, True)
    """
    if not 0 < level <= 1:
        raise AdvisorError(f"information level {level} must be in (0, 1], e.g. 0.99")
    data = np.asarray(data)
    info = bit_information(data, confidence)
    mantissa = data.itemsize * 8 - NON_MANTISSA_BITS[data.itemsize]
    total = info.sum()
    if total <= 0:
        logger.debug("keepbits: no significant information, keeping 0 mantissa bits")
        return 0
    cdf = np.cumsum(info) / total
    reached = int(np.argmax(cdf >= level - 1e-12)) + 1
    kept = int(np.clip(reached - NON_MANTISSA_BITS[data.itemsize], 0, mantissa))
    logger.debug(
        "keepbits: %d of %d mantissa bits hold %.3g of the information", kept, mantissa, level
    )
    return kept
