"""Dask chunk grids: cutting a shape into blocks, counting them, and what a rechunk cuts them into.

Pure arithmetic on the per-dim chunk lengths of a grid (``Array.chunks``); no array is touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Grid = tuple[tuple[int, ...], ...]
"""A Dask chunk grid: per dim, the lengths of its chunks (``Array.chunks``)."""


def regular_grid(shape: Sequence[int], chunks: Sequence[int]) -> Grid:
    """The Dask grid of ``shape`` cut into ``chunks`` (the last chunk of a dim may be shorter).

    Examples
    --------
    >>> regular_grid((365, 121), (32, 121))
    ((32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 13), (121,))
    """
    grid = []
    for n, c in zip(shape, chunks, strict=True):
        c = max(1, min(int(c), int(n)))
        grid.append((c,) * (n // c) + ((n % c,) if n % c else ()))
    return tuple(grid)


def n_blocks(grid: Grid) -> int:
    """Blocks in a grid.

    >>> n_blocks(((31, 31, 3), (60, 61)))
    6
    """
    return math.prod(len(g) for g in grid)


def block_bytes(grid: Grid, itemsize: int) -> int:
    """Bytes of the grid's largest block.

    >>> block_bytes(((744, 744, 24), (121,), (161,)), 4)
    57975456
    """
    return math.prod(max(g) for g in grid) * itemsize


def crossed_blocks(old: Grid, new: Grid) -> int:
    """Pieces a rechunk from ``old`` to ``new`` cuts the array into (the blocks of both grids' union).

    Along each dim the pieces are the intervals between the boundaries of
    either grid; the pieces of the array are their product.

    Examples
    --------
    >>> crossed_blocks(((31, 31, 3),), ((32, 32, 1),))
    5
    >>> crossed_blocks(((2, 2),), ((2, 2),))
    2
    """
    total = 1
    for a, b in zip(old, new, strict=True):
        edges = set(_edges(a)) | set(_edges(b))
        total *= len(edges) - 1
    return total


def gathered_block(old: Grid, new: Grid) -> tuple[int, ...]:
    """Per dim, the most of ``old`` that one block of ``new`` overlaps (whole old chunks).

    A task rechunk assembles each new block from the old blocks it overlaps,
    so a thread holds this much input at once.

    Examples
    --------
    >>> gathered_block(((24, 24, 24, 24),), ((48, 48),))
    (48,)
    >>> gathered_block(((32, 32, 32),), ((48, 48),))
    (64,)
    >>> gathered_block(((31, 28, 31), (121,)), ((90,), (60, 61)))
    (90, 121)
    """
    out = []
    for a, b in zip(old, new, strict=True):
        edges = _edges(a)
        most, start = 0, 0
        for length in b:
            stop = start + length
            first = max(i for i, e in enumerate(edges) if e <= start)
            last = min(i for i, e in enumerate(edges) if e >= stop)
            most = max(most, edges[last] - edges[first])
            start = stop
        out.append(most)
    return tuple(out)


def _edges(chunks: Sequence[int]) -> list[int]:
    edges = [0]
    for c in chunks:
        edges.append(edges[-1] + c)
    return edges


def grow_block(
    chunks: Sequence[int],
    shape: Sequence[int],
    itemsize: int,
    limit: float,
    axes: Sequence[int],
) -> tuple[int, ...]:
    """``chunks`` grown along ``axes`` in turn by whole multiples, to at most ``limit`` bytes.

    A dim grows to a multiple of its chunk or to its whole length, so the
    grown block is made of whole chunks; shards and multi-chunk reads need that.

    Examples
    --------
    >>> grow_block((32, 60, 80), (8760, 121, 161), 4, 100e6, axes=[0])
    (5184, 60, 80)
    >>> grow_block((32, 60, 80), (365, 121, 161), 4, 100e6, axes=[0, 1, 2])
    (365, 121, 161)
    >>> grow_block((32, 60, 80), (365, 121, 161), 4, 1e7, axes=[0, 1, 2])
    (365, 60, 80)
    """
    block = [min(int(c), int(n)) for c, n in zip(chunks, shape, strict=True)]
    for axis in axes:
        factor = max(1, int(limit // (math.prod(block) * itemsize)))
        c, n = block[axis], shape[axis]
        block[axis] = n if c * factor >= n else c * factor
    return tuple(block)
