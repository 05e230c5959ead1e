"""What a lossy codec did to the values: the verification figures shown beside a lossy pick.

Pure numpy: the original and the decoded sample in, the figures out; :attr:`LossyCheck.ok`
says whether the pick may be proposed (NaNs where they were, zeros and signs kept, no new
infinities, the error within the bound).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class LossyCheck:
    """The figures of one lossy encoding of a sample."""

    keepbits: int
    max_abs_error: float
    spread: float
    error_to_spread: float
    max_rel_error: float
    bound: float
    nan_same: bool
    zeros_kept: bool
    signs_kept: bool
    no_new_inf: bool

    @property
    def ok(self) -> bool:
        """Every check passed and the relative error is within the bound."""
        return (
            self.nan_same
            and self.zeros_kept
            and self.signs_kept
            and self.no_new_inf
            and self.max_rel_error <= self.bound
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def check(original: np.ndarray, decoded: np.ndarray, keepbits: int) -> LossyCheck:
    """Compare ``decoded`` with ``original``; the bound is BitRound's: a relative error of at
    most ``2**-(keepbits + 1)`` (round to nearest on ``keepbits`` mantissa bits).

    Examples
    --------
    >>> x = np.array([1.0, -2.5, 0.0, np.nan], dtype=np.float32)
    >>> c = check(x, np.array([1.0, -2.5, 0.0, np.nan], dtype=np.float32), 3)
    >>> c.ok, c.max_abs_error
    (True, 0.0)
    >>> check(x, np.array([1.0, 2.5, 0.0, 1.0], dtype=np.float32), 3).ok
    False
    """
    a = np.asarray(original, dtype=np.float64)
    b = np.asarray(decoded, dtype=np.float64)
    finite = np.isfinite(a)
    both = finite & np.isfinite(b)
    diff = np.abs(a[both] - b[both])
    max_abs = float(diff.max()) if diff.size else 0.0
    spread = float(a[finite].max() - a[finite].min()) if finite.any() else 0.0
    nonzero = both & (a != 0)
    rel = np.abs(a[nonzero] - b[nonzero]) / np.abs(a[nonzero])
    return LossyCheck(
        keepbits=keepbits,
        max_abs_error=max_abs,
        spread=spread,
        error_to_spread=max_abs / spread if spread else 0.0,
        max_rel_error=float(rel.max()) if rel.size else 0.0,
        bound=2.0 ** -(keepbits + 1),
        nan_same=bool(np.array_equal(np.isnan(a), np.isnan(b))),
        zeros_kept=bool(np.array_equal(a == 0, b == 0)),
        signs_kept=bool(np.array_equal(np.signbit(a[both]), np.signbit(b[both]))),
        no_new_inf=bool(not (np.isinf(b) & ~np.isinf(a)).any()),
    )


def ratio_interval(
    raw: np.ndarray, stored: np.ndarray, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """The ratio ``sum(raw) / sum(stored)`` over sampled chunks and its bootstrap interval.

    Examples
    --------
    >>> ratio_interval(np.array([100.0, 100.0]), np.array([50.0, 25.0]))[0]
    2.6666666666666665
    >>> ratio_interval(np.array([100.0]), np.array([50.0]))
    (2.0, 2.0, 2.0)
    """
    raw, stored = np.asarray(raw, dtype=np.float64), np.asarray(stored, dtype=np.float64)
    ratio = float(raw.sum() / stored.sum())
    if raw.size < 2:
        return ratio, ratio, ratio
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, raw.size, size=(1000, raw.size))
    boots = raw[picks].sum(axis=1) / stored[picks].sum(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boots, [tail, 100 - tail])
    return ratio, float(low), float(high)
