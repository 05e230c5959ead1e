"""Arrivals: what appending new time steps to a chunked array moves, exactly.

An array of ``length`` steps along time, stored in blocks of ``block`` steps (the time chunk;
with zarr 3 shards, the shard's time extent, since a shard is rewritten whole), receives
``new`` steps. zarr writes whole blocks: the trailing partial block (``length % block`` steps
already stored) is read back, merged with the first new steps, re-encoded and written again,
and every further block the new steps reach is written.

Examples
--------
>>> aligned_chunks(length=700, new=100, block=744)
(44, 56)
>>> blocks_written(length=750, new=1, block=744), steps_reread(length=750, new=1, block=744)
(1, 6)
>>> cycle_means(new=1, block=744)  # hourly arrivals into 744-hour chunks, averaged over a cycle
(1.0, 371.5)
>>> cadence_steps("1D", None, 3600.0), gets_made(length=750, new=1, block=744, sharded=False)
(24, 1)

What zarr 3.1 does (read in its codec pipeline and sharding codec): a block the new steps
cover from its start to its end, or to the array's new end, is written without a read; the
trailing partial block (``length % block > 0``) is fetched (a GET), decoded whole, merged and
encoded whole, padded with the fill value to the block's length. A zarr 3 shard is fetched
before every write of it (a new shard's GET answers 404) and only its inner chunks the new
steps touch are decoded and encoded. The fill-value padding compresses to almost nothing, so
a block's stored bytes are its *filled* steps' (over the compression ratio).
"""

from __future__ import annotations

import math

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import parse_freq

DEFAULT_EVERY = "1h"
"""The cadence of an ``append`` pattern given neither ``every=`` nor ``steps=``."""

FIXED_SECONDS = {"s": 1, "min": 60, "h": 3600, "D": 86400, "W": 7 * 86400}
"""Seconds per unit of the cadences of fixed length (months and years vary)."""


def aligned_chunks(length: int, new: int, block: int) -> tuple[int, ...]:
    """Dask chunks along time for ``new`` steps appended after ``length``: the first completes
    the trailing partial block (``block - length % block`` steps), the rest are whole blocks
    (the last may be short), so no two Dask chunks write the same stored block.

    Examples
    --------
    >>> aligned_chunks(0, 10, 4), aligned_chunks(3, 10, 4), aligned_chunks(5, 2, 4)
    ((4, 4, 2), (1, 4, 4, 1), (2,))
    """
    if new < 1:
        return ()
    first = min(new, (block - length % block) % block or block)
    rest = new - first
    return (first, *([block] * (rest // block)), *([rest % block] if rest % block else []))


def blocks_written(length: int, new: int, block: int) -> int:
    """Time blocks (chunks or shards along time) that appending ``new`` steps writes."""
    if new < 1:
        return 0
    return math.ceil((length + new) / block) - length // block


def steps_reread(length: int, new: int, block: int) -> int:
    """Steps already stored that the append reads back and writes again (the trailing partial
    block's)."""
    return length % block if new >= 1 else 0


def cycle_means(new: int, block: int, phase: int = 0) -> tuple[float, float]:
    """Blocks written and steps re-read per append, averaged over the steady cycle of appends
    of ``new`` steps each, starting ``phase`` steps into a block.

    The residue ``length % block`` visits ``phase % g``, ``phase % g + g``, ... with
    ``g = gcd(new, block)``, each once per cycle of ``block // g`` appends.

    Examples
    --------
    >>> cycle_means(24, 24), cycle_means(24, 744), cycle_means(1, 8760)
    ((1.0, 0.0), (1.0, 360.0), (1.0, 4379.5))
    """
    g = math.gcd(new, block)
    residues = range(phase % g, block, g)
    count = len(residues)
    written = sum(math.ceil((r + new) / block) for r in residues) / count
    return written, sum(residues) / count


def cadence_seconds(every: str) -> float:
    """Seconds between appends for a cadence such as ``1h``, ``6h``, ``1D`` or ``1W``.

    Examples
    --------
    >>> cadence_seconds("6h"), cadence_seconds("1W")
    (21600.0, 604800.0)
    >>> cadence_seconds("1MS")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: append every='1MS': months, quarters and years vary in \
length: give a fixed cadence (every=1h, 6h, 1D, 1W) or steps=N
    """
    frequency = parse_freq(every, "append every=")
    if frequency.unit not in FIXED_SECONDS or (frequency.unit == "W" and frequency.week_end != 6):
        raise AdvisorError(
            f"append every={every!r}: months, quarters and years vary in length: give a fixed "
            "cadence (every=1h, 6h, 1D, 1W) or steps=N"
        )
    return float(frequency.multiple * FIXED_SECONDS[frequency.unit])


def cadence_steps(every: str | None, steps: int | None, time_step: float | None) -> int:
    """Time steps per append: ``steps``, or the cadence ``every`` (default :data:`DEFAULT_EVERY`)
    over ``time_step`` seconds (default hourly), which must be a whole number of steps.

    Examples
    --------
    >>> cadence_steps(None, None, None), cadence_steps(None, 6, 3600.0), cadence_steps("1D", None, 21600)
    (1, 6, 4)
    >>> cadence_steps("90min", None, 3600.0)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: append every='90min' is 1.5 time steps of 3600 s: give a \
cadence that is a whole number of steps (e.g. every=1h or steps=2)
    """
    if every is not None and steps is not None:
        raise AdvisorError("append takes every= or steps=, not both: e.g. append:every=1h")
    if steps is not None:
        return int(steps)
    step = time_step or 3600.0
    ratio = cadence_seconds(every or DEFAULT_EVERY) / step
    whole = round(ratio)
    if whole < 1 or abs(ratio - whole) > 1e-9 * max(1.0, ratio):
        raise AdvisorError(
            f"append every={every or DEFAULT_EVERY!r} is {ratio:.4g} time steps of {step:g} s: "
            f"give a cadence that is a whole number of steps (e.g. every="
            f"{_steps_text(step)} or steps={max(1, math.ceil(ratio))})"
        )
    return whole


def _steps_text(step: float) -> str:
    """One time step as a cadence, e.g. ``1h`` or ``3600s``."""
    for unit in ("W", "D", "h", "min"):
        if step % FIXED_SECONDS[unit] == 0:
            return f"{int(step // FIXED_SECONDS[unit])}{unit}"
    return f"{step:g}s"


def appends_per_day(steps: int, time_step: float | None) -> float:
    """Appends a day when each brings ``steps`` steps of ``time_step`` seconds (default hourly).

    Examples
    --------
    >>> appends_per_day(1, 3600.0), appends_per_day(24, 3600.0), appends_per_day(1, 86400)
    (24.0, 1.0, 1.0)
    """
    return 86400.0 / (steps * (time_step or 3600.0))


def gets_made(length: int, new: int, block: int, sharded: bool) -> int:
    """Time blocks zarr fetches before writing ``new`` steps after ``length``: the trailing
    partial block only (unsharded), or every shard it writes (sharded; new ones answer 404)."""
    if new < 1:
        return 0
    return blocks_written(length, new, block) if sharded else int(length % block > 0)


def units_encoded(length: int, new: int, block: int, unit: int) -> tuple[int, int]:
    """Along time, the codec's units (inner chunks of ``unit`` steps in blocks of ``block``;
    ``unit == block`` unsharded) that appending encodes, and that it decodes first (the trailing
    partial unit's, which holds data).

    Examples
    --------
    >>> units_encoded(750, 30, 744, 744), units_encoded(750, 30, 744, 24)
    ((1, 1), (2, 1))
    >>> units_encoded(744, 1, 744, 24), units_encoded(768, 1, 744 * 2, 24)
    ((1, 0), (1, 0))
    """
    if new < 1:
        return 0, 0
    residue = length % block
    return blocks_written(residue, new, unit), int(residue % unit > 0)
