"""Candidate chunk shapes: per-dim lengths and their thinned product.

Per dim, the candidate lengths are 1, the full size, powers of two, divisors
of the size, the lengths that cut the dim into k near-equal chunks, and, along
time, calendar lengths (divisors and multiples of a day, weeks, months, years,
derived from the time step); plus multiples of each pattern's own extent (the
ML patch and stride, the region box, the map steps) and the lengths of the
comparison layouts (:mod:`advisor.plan.references`). Their Cartesian
product is thinned to at most :data:`MAX_CANDIDATES` shapes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.patterns import REDUCTIONS, Pattern

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 100_000
"""Upper bound on the candidates scored (the product is thinned below it)."""

IN_BAND_SHARE = 16
"""Products of lengths are first thinned to this many times the room left for in-band shapes
(a band of sizes holds a small share of any product)."""

SPLITS = 64
"""Along every dim, the lengths ``ceil(n / k)`` for ``k = 1 .. SPLITS`` are candidates."""

ESSENTIAL_SPLITS = 8
"""... and for ``k = 1 .. ESSENTIAL_SPLITS`` they are never thinned (scans want a few chunks,
a whole number of waves of threads)."""

DAY = 86400.0
MONTH_DAYS = 365.2425 / 12
"""The calendar-average month, in days (30.44): 730.5 hourly steps."""


def divisors(n: int) -> list[int]:
    """The divisors of ``n``, ascending.

    Examples
    --------
    >>> divisors(24), divisors(121)
    ([1, 2, 3, 4, 6, 8, 12, 24], [1, 11, 121])
    """
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small) | {n // d for d in small})


def calendar_lengths(n: int, time_step: float) -> tuple[set[int], set[int]]:
    """Time-chunk lengths aligned with the calendar, ``(all, essential)``, for steps of ``time_step`` s.

    All: divisors of a day, 1..31 days, 1..52 weeks, 1..12 months of 31 days and
    of the average month, 1..50 years. Essential (never thinned): those that are
    whole days (the divisors of a day too) when a day is a whole number of steps,
    else a day, a week, a month and a year rounded to steps.

    Examples
    --------
    >>> lengths, essential = calendar_lengths(8760, 3600)
    >>> 730 in lengths, 730 in essential, {6, 48, 168, 672, 744, 1488, 8760} <= essential
    (True, False, True)
    """
    steps_per_day = DAY / time_step
    whole_days = (
        list(range(1, 32))
        + [7 * k for k in range(1, 53)]
        + [31 * k for k in range(1, 13)]
        + [round(365.2425 * k) for k in range(1, 51)]
    )
    found = {round(d * steps_per_day) for d in whole_days}
    found.update(round(MONTH_DAYS * k * steps_per_day) for k in range(1, 13))
    if steps_per_day >= 1 and steps_per_day.is_integer():
        day_parts = set(divisors(int(steps_per_day)))
        essential = day_parts | {d * int(steps_per_day) for d in whole_days}
        found |= day_parts
    else:
        essential = {round(d * steps_per_day) for d in (1, 7, 31, MONTH_DAYS, 365)}
    return {x for x in found if 1 <= x <= n}, {x for x in essential if 1 <= x <= n}


def generic_lengths(n: int) -> set[int]:
    """1, ``n``, powers of two, divisors of ``n`` and ``ceil(n / k)`` for k up to :data:`SPLITS`.

    Examples
    --------
    >>> sorted(generic_lengths(12))
    [1, 2, 3, 4, 6, 8, 12]
    """
    out = {1, n}
    out.update(2**k for k in range(n.bit_length()) if 2**k <= n)
    out.update(divisors(n))
    out.update(-(-n // k) for k in range(1, min(SPLITS, n) + 1))
    return out


def pattern_lengths(schema: Schema, patterns: Sequence[Pattern]) -> list[set[int]]:
    """Per dim, multiples (1..32) of the extents and strides of the patterns' accesses."""
    out: list[set[int]] = [set() for _ in schema.dims]
    for pattern in patterns:
        if pattern.kind in REDUCTIONS:
            continue
        for d, access in enumerate(pattern.accesses(schema)):
            n = schema.shape[d]
            for unit in {access.length, access.stride}:
                if 1 < unit < n:
                    out[d].update(k * unit for k in range(1, 33) if k * unit <= n)
    return out


def band_lengths(schema: Schema, band: tuple[float, float]) -> list[set[int]]:
    """Per dim, the lengths that put a chunk whole along every other dim at the band's edges.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> band_lengths(Schema(("time", "x"), (8760, 1000), 4), (10e6, 100e6))
    [{2500}, {286}]
    """
    out: list[set[int]] = []
    for n in schema.shape:
        rest = schema.nbytes / n
        edges = {math.ceil(band[0] / rest), math.floor(band[1] / rest)}
        out.append({x for x in edges if 1 <= x < n})
    return out


def candidate_lengths(
    schema: Schema,
    patterns: Sequence[Pattern],
    extra: Sequence[Sequence[int]] = (),
    band: tuple[float, float] | None = None,
    cap: int = MAX_CANDIDATES,
) -> tuple[list[np.ndarray], list[set[int]]]:
    """Per dim, the sorted candidate lengths and the essential ones (never thinned).

    When the array has at most ``cap`` elements, every length is a candidate
    (the search is exhaustive).
    """
    if math.prod(schema.shape) <= cap:
        every = [np.arange(1, n + 1, dtype=np.int64) for n in schema.shape]
        return every, [set(x.tolist()) for x in every]
    from_patterns = pattern_lengths(schema, patterns)
    edges = band_lengths(schema, band) if band else [set() for _ in schema.dims]
    lengths, essential = [], []
    for d, (n, role) in enumerate(zip(schema.shape, schema.roles, strict=True)):
        values = generic_lengths(n) | from_patterns[d]
        keep = {1, n} | edges[d] | {min(n, int(shape[d])) for shape in extra}
        keep |= {-(-n // k) for k in range(1, ESSENTIAL_SPLITS + 1)}  # a few waves of a scan
        if from_patterns[d]:
            keep |= {x for x in from_patterns[d] if x <= 4 * min(from_patterns[d])}
        if role == "time":
            calendar, important = calendar_lengths(n, schema.time_step or 3600.0)
            values |= calendar
            keep |= important
        lengths.append(np.array(sorted(values | keep), dtype=np.int64))
        essential.append(keep)
    return lengths, essential


def thin(lengths: list[np.ndarray], essential: list[set[int]], cap: int) -> list[np.ndarray]:
    """Drop every other non-essential length of the longest list until the product fits ``cap``.

    Examples
    --------
    >>> out = thin([np.arange(1, 101), np.arange(1, 101)], [{1, 100}, {1, 100}], 1000)
    >>> [len(x) for x in out], math.prod(len(x) for x in out) <= 1000
    ([27, 27], True)
    """
    lengths = [np.asarray(x) for x in lengths]
    while math.prod(len(x) for x in lengths) > cap:
        optional = [
            np.array([v not in e for v in x]) for x, e in zip(lengths, essential, strict=True)
        ]
        sizes = [int(m.sum()) for m in optional]
        d = int(np.argmax(sizes))
        if sizes[d] <= 1:
            # only essential lengths left: thin those of the longest list
            d = int(np.argmax([len(x) for x in lengths]))
            optional[d] = np.ones(len(lengths[d]), dtype=bool)
            optional[d][[0, -1]] = False
        drop = np.flatnonzero(optional[d])[1::2]
        lengths[d] = np.delete(lengths[d], drop)
    return lengths


def candidate_grid(
    schema: Schema,
    patterns: Sequence[Pattern],
    extra: Sequence[Sequence[int]] = (),
    band: tuple[float, float] | None = None,
    cap: int = MAX_CANDIDATES,
) -> np.ndarray:
    """The candidate chunk shapes, one per row, distinct, about ``cap`` at most.

    A coarse product of the per-dim lengths spans every size (a quarter of
    ``cap`` when a ``band`` of sizes in bytes is given); the shapes within the
    band come from a finer product (every length when it fits), so the pick
    is precise where it matters; ``extra`` shapes are always included.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> grid = candidate_grid(s, [Pattern("map")], extra=[(1722, 121, 161)], band=(10e6, 100e6))
    >>> grid.shape[1], len(grid) <= MAX_CANDIDATES + 1, [1722, 121, 161] in grid.tolist()
    (3, True, True)
    >>> [129, 121, 161] in grid.tolist()  # the floor's edge for a full-field chunk
    True
    """
    lengths, essential = candidate_lengths(schema, patterns, extra, band, cap)
    coarse = _product(thin(lengths, essential, cap // 4 if band else cap))
    parts = [
        coarse,
        np.minimum(np.array(extra, dtype=np.int64).reshape(-1, schema.ndim), schema.shape),
    ]
    if band:
        room = cap - len(coarse)
        fine = thin(lengths, essential, IN_BAND_SHARE * room)
        while (rows := _in_band(fine, schema.itemsize, band, room)) is None:
            fine = thin(fine, essential, math.prod(len(x) for x in fine) // 2)
        parts.append(rows)
    grid = distinct_rows(np.concatenate(parts))
    logger.debug(
        "candidates: %s lengths per dim, %d shapes (%d in the coarse product)",
        [len(x) for x in lengths],
        len(grid),
        len(coarse),
    )
    return grid


def _product(lengths: Sequence[np.ndarray]) -> np.ndarray:
    return np.stack(np.meshgrid(*lengths, indexing="ij"), axis=-1).reshape(-1, len(lengths))


def _in_band(
    lengths: Sequence[np.ndarray], itemsize: int, band: tuple[float, float], limit: int
) -> np.ndarray | None:
    """The rows of the product of ``lengths`` whose size is within ``band``; None if over ``limit``."""
    last = int(np.argmax([len(x) for x in lengths]))
    others = [x for d, x in enumerate(lengths) if d != last]
    rest = _product(others) if others else np.ones((1, 0), dtype=np.int64)
    rest_bytes = np.prod(rest, axis=1, dtype=np.float64) * itemsize
    values = np.asarray(lengths[last])
    low = np.searchsorted(values, band[0] / rest_bytes, side="left")
    high = np.searchsorted(values, band[1] / rest_bytes, side="right")
    counts = high - low
    if counts.sum() > limit:
        return None
    picks = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.insert(
        np.repeat(rest, counts, axis=0), last, values[np.repeat(low, counts) + picks], axis=1
    )
    return rows


def distinct_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` without repeats, in their first order (cheaper than ``np.unique(axis=0)``)."""
    keys = np.zeros(len(rows), dtype=np.int64)
    for d in range(rows.shape[1]):
        values, index = np.unique(rows[:, d], return_inverse=True)
        keys = keys * len(values) + index.reshape(-1)
    _, first = np.unique(keys, return_index=True)
    return rows[np.sort(first)]
