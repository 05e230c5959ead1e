"""Was a variable packed before? GRIB-style 16-bit packing found on a sample, for ``--lossy source``.

GRIB simple packing stores each field as ``value = offset + k * step`` with ``k`` an integer
below ``2**16`` (ERA5's: a binary step ``2**E`` per field, that is per time step). Values
decoded from such a file sit on that lattice, so a copy that keeps only the lattice loses
nothing relative to the source. :func:`detect` finds the lattice of each time step of the
sampled chunks (the step from the gaps between distinct values, checked on every value) and
says whether one lattice holds for all of them (``variable``) or each time step has its own
(``time-step``). :func:`lattice_keepbits` gives the float mantissa bits that hold every value
of such a lattice, so BitRound at that many bits leaves every packed value as it is.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

logger = logging.getLogger(__name__)

PACKING_LEVELS = 2**16
"""Lattice points a packed field may use: GRIB's 16-bit packing."""

TOLERANCE = 1e-6
"""How far (in gaps) a value may sit from its lattice point and still count as on it (or
four float32 roundings of the largest value, whichever is more)."""

DIVISORS = 16
"""The gaps seen may all be multiples of the step: step = smallest gap / j, j up to this."""

Per = Literal["variable", "time-step"]


@dataclass(frozen=True, slots=True)
class Packing:
    """What :func:`detect` found: the lattice, and how far it reaches."""

    per: Per
    step_min: float
    step_max: float
    offset: float
    """The lattice's origin closest to zero: 0 when the offset is a multiple of the step."""
    levels: int
    """The most lattice points one time step (``time-step``) or the whole sample uses."""
    binary: bool
    """Every step a power of two, as GRIB's binary scale gives."""
    fields: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def text(self) -> str:
        """One line for people.

        Examples
        --------
        >>> Packing("time-step", 2**-6, 2**-4, 0.0, 40000, True, 24).text
        'packed per time step: step 2^-6 to 2^-4 (binary), offset 0, up to 40000 of 65536 levels'
        """
        span = _step_text(self.step_min, self.binary)
        if self.step_max != self.step_min:
            span += " to " + _step_text(self.step_max, self.binary)
        where = "per time step" if self.per == "time-step" else "one lattice for the variable"
        kind = " (binary)" if self.binary else ""
        return (
            f"packed {where}: step {span}{kind}, offset {self.offset:.6g}, "
            f"up to {self.levels} of {PACKING_LEVELS} levels"
        )


def _step_text(step: float, binary: bool) -> str:
    return f"2^{round(math.log2(step))}" if binary else f"{step:.6g}"


def field_step(values: np.ndarray) -> tuple[float, float, int] | None:
    """``(step, offset, levels)`` of one field's finite values on a lattice, or None.

    Examples
    --------
    >>> field_step(np.array([0.0, 0.25, 1.0, 0.5]))
    (0.25, 0.0, 5)
    >>> field_step(np.random.default_rng(0).random(1000)) is None
    True
    """
    u = np.unique(np.asarray(values, dtype=np.float64)[np.isfinite(values)])
    if u.size < 3:
        return None  # constant or nearly: no lattice to tell
    gap = float(np.diff(u).min())
    # float32 values of a decimal step sit within a float32 rounding of their lattice point
    tolerance = max(TOLERANCE * gap, 4 * float(np.finfo(np.float32).eps) * float(np.abs(u).max()))
    for j in range(1, DIVISORS + 1):
        step = gap / j
        k = (u - u[0]) / step
        if np.abs(k - np.rint(k)).max() <= tolerance / step:
            levels = int(np.rint(k[-1])) + 1
            if levels > PACKING_LEVELS:
                return None
            offset = float(u[0] - math.floor(u[0] / step) * step)
            return step, (0.0 if offset < TOLERANCE * step else offset), levels
    return None


def detect(fields: Sequence[np.ndarray], lossless_bits: int) -> Packing | None:
    """The lattice of sampled ``fields`` (one array per time step), or None: not packed.

    Every field with at least three distinct values must be on a lattice of fewer than
    ``2**16`` levels, and the lattice must drop at least one of the ``lossless_bits``
    mantissa bits of the dtype (else the data merely are floats of a small range).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> packed = [np.round(rng.normal(300, 5, 500) * 64) / 64 for _ in range(4)]
    >>> detect(packed, 23).text
    'packed one lattice for the variable: step 2^-6 (binary), offset 0, up to 2... of 65536 levels'
    >>> detect([rng.random(500).astype(np.float32) for _ in range(4)], 23) is None
    True
    """
    found = [f for f in (field_step(x) for x in fields) if f is not None]
    informative = sum(np.unique(x[np.isfinite(x)]).size >= 3 for x in fields)
    if not found or len(found) < informative:
        logger.debug("packing: none (%d of %d fields on a lattice)", len(found), informative)
        return None
    steps = np.array([f[0] for f in found])
    binary = bool(np.all(np.abs(np.log2(steps) - np.rint(np.log2(steps))) < 1e-9))
    offsets = {round(f[1] / f[0], 6) for f in found}
    step_min, step_max = float(steps.min()), float(steps.max())
    one = step_max == step_min and len(offsets) == 1
    if one:
        allv = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in fields])
        whole = field_step(allv)
        one = whole is not None
        levels = whole[2] if whole is not None else max(f[2] for f in found)
    else:
        levels = max(f[2] for f in found)
    packing = Packing(
        "variable" if one else "time-step",
        step_min,
        step_max,
        found[0][1],
        levels,
        binary,
        len(fields),
    )
    if lattice_keepbits(fields) >= lossless_bits:
        logger.debug("packing: a lattice, but it keeps every mantissa bit: not packed")
        return None
    logger.debug("packing: %s", packing.text)
    return packing


def lattice_keepbits(fields: Sequence[np.ndarray]) -> int:
    """Mantissa bits that hold every value of each field's lattice, seen or not.

    A field's values are ``m * step`` (offset a multiple of the step, as binary packing
    gives) with ``|m|`` at most its largest seen value over the step plus the levels it did
    not use; ``m`` needs ``floor(log2 |m|)`` bits after the leading one.

    Examples
    --------
    >>> f = [np.array([0.0, 0.5, 1.0, 100.0])]
    >>> lattice_keepbits(f)  # m up to 100 / 0.5 + the 65335 levels unused: 16 bits, 15 kept
    15
    """
    bits = 0
    for x in fields:
        v = np.asarray(x, dtype=np.float64)[np.isfinite(x)]
        found = field_step(v)
        if found is None or not v.size:
            continue
        step, _, levels = found
        top = float(np.abs(v).max()) / step + (PACKING_LEVELS - levels)
        bits = max(bits, math.floor(math.log2(max(top, 1.0))))
    return bits
