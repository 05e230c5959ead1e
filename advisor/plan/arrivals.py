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
"""

from __future__ import annotations

import math


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
