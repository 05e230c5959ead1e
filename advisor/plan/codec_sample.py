"""Where ``advisor codecs`` samples a variable: boxes of the recommended chunk shape.

Pure arithmetic on the shape: the boxes are aligned on the chunk grid, their time starts
spread evenly over the whole time axis (every season, every hour of the day met), their
place in space drawn at random; each is cut to its first time steps, a contiguous slab of
the chunk's bytes, so the reading and the measuring stay within budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLE_BYTES = 2_000_000
"""The most of each sampled chunk measured: its first time steps, a contiguous slab of the
chunk's bytes (what Blosc's blocks and a stream compressor see), at most this many bytes."""


def sample_boxes(
    shape: Sequence[int],
    chunks: Sequence[int],
    count: int,
    itemsize: int,
    seed: int = 0,
    max_bytes: int | None = SAMPLE_BYTES,
) -> list[tuple[slice, ...]]:
    """``count`` chunks of ``chunks`` shape (aligned on the chunk grid): starts along the first
    dim (time) spread evenly over it, the other dims' chunk drawn at random; each cut to its
    first time steps holding at most ``max_bytes`` (None: whole chunks).

    Examples
    --------
    >>> sample_boxes((100, 10), (50, 10), 2, 4, max_bytes=400)
    [(slice(0, 10, None), slice(0, 10, None)), (slice(50, 60, None), slice(0, 10, None))]
    """
    rng = np.random.default_rng(seed)
    grid = [max(1, -(-size // c)) for size, c in zip(shape, chunks, strict=True)]
    lead = np.unique(np.linspace(0, grid[0] - 1, count).round().astype(int))
    per_step = int(np.prod(chunks[1:], dtype=np.int64)) * itemsize
    steps = chunks[0] if max_bytes is None else max(1, min(chunks[0], max_bytes // per_step))
    out = []
    for k, i0 in enumerate(np.resize(lead, count)):
        index = (int(i0), *(int(rng.integers(0, g)) for g in grid[1:]))
        if k >= len(lead):
            index = tuple(int(rng.integers(0, g)) for g in grid)
        box = [
            slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, chunks, shape, strict=True)
        ]
        box[0] = slice(box[0].start, min(box[0].stop, box[0].start + steps))
        out.append(tuple(box))
    return out
