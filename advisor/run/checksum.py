"""Checksums of an array's values, computed with Dask: one per stored block, or one for the whole.

Two kinds, for two jobs:

- :func:`digests`: the CRC-32 of the bytes of every block of a fixed grid (the
  grid a copy is written in), 3 GB/s on one thread. ``advisor apply`` takes them
  in the very tasks that write the blocks (:func:`advisor.run.write.write_with_digests`),
  then reads the store back in larger blocks and digests each written block
  inside them: the computation runs once, and a difference names its block.
- :func:`checksum`: a sum over all elements of the element's bits times an odd
  weight hashed from its global index, modulo 2**64, so it does not depend on
  the chunking: each side is computed in its own chunks, without rechunking
  either. A single changed element always changes it; so does swapping two
  values of 32-bit data. ``advisor append`` compares its sources and the stored
  steps this way, in their own chunks. It runs at about 55 M elements/s a thread.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    import dask.array as da

SLAB_ELEMENTS = 2**20
"""Elements a checksum task hashes at once (bounds its temporaries to a few 8 MB arrays)."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK = 2**64 - 1


def block_checksum(block: np.ndarray, block_info: dict) -> np.ndarray:
    """The checksum of one block at its place in the array (see :func:`checksum`), as a 1-element block.

    Examples
    --------
    >>> a = np.arange(12, dtype="float32").reshape(3, 4)
    >>> info = {0: {"shape": (3, 4), "array-location": [(0, 3), (0, 4)]}}
    >>> whole = int(block_checksum(a, info)[0, 0])
    >>> top = {0: {"shape": (3, 4), "array-location": [(0, 1), (0, 4)]}}
    >>> rest = {0: {"shape": (3, 4), "array-location": [(1, 3), (0, 4)]}}
    >>> parts = int(block_checksum(a[:1], top)[0, 0]) + int(block_checksum(a[1:], rest)[0, 0])
    >>> whole == parts % 2**64
    True
    """
    info = block_info[0]
    shape, location = info["shape"], info["array-location"]
    strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))]
    offset = sum(lo * s for (lo, _), s in zip(location, strides, strict=True))
    per_row = int(np.prod(block.shape[1:], dtype=np.int64))
    step = max(1, SLAB_ELEMENTS // max(1, per_row))
    total = 0
    for start in range(0, block.shape[0], step):
        part = block[start : start + step]
        index: np.ndarray = np.array(offset + start * strides[0], dtype=np.uint64)
        for axis, (n, stride) in enumerate(zip(part.shape, strides, strict=True)):
            along = np.arange(n, dtype=np.uint64) * np.uint64(stride)
            index = index + along.reshape([n if a == axis else 1 for a in range(part.ndim)])
        weighted = _bits(part) * _weights(np.broadcast_to(index, part.shape))
        total = (total + int(weighted.sum(dtype=np.uint64))) & _MASK
    return np.full((1,) * block.ndim, total, dtype=np.uint64)


def _numbers(values: np.ndarray) -> np.ndarray:
    """``values`` C-contiguous, refused unless they are numbers of at most 8 bytes."""
    if values.dtype.kind not in "biuf" or values.dtype.itemsize > 8:
        raise AdvisorError(f"cannot checksum values of dtype {values.dtype}: apply handles numbers")
    return np.ascontiguousarray(values)


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bit patterns as uint64, every NaN as one canonical NaN."""
    values = _numbers(values)
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), values.dtype.type(np.nan), values)
    return values.view(f"u{values.dtype.itemsize}").astype(np.uint64)


def block_digests(block: np.ndarray, step: Sequence[int]) -> np.ndarray:
    """The CRC-32 of the bytes (C order) of each ``step``-shaped piece of ``block``, on the pieces' grid.

    Examples
    --------
    >>> a = np.arange(24, dtype="float32").reshape(4, 6)
    >>> whole = block_digests(a, (2, 3))
    >>> whole.shape, whole.dtype.name
    ((2, 2), 'uint32')
    >>> bool((block_digests(a[2:, 3:], (2, 3))[0, 0] == whole[1, 1]))
    True
    """
    block = _numbers(block)
    grid = tuple(-(-n // s) for n, s in zip(block.shape, step, strict=True))
    out = np.empty(grid, dtype=np.uint32)
    for index in np.ndindex(*grid):
        piece = block[tuple(slice(i * s, (i + 1) * s) for i, s in zip(index, step, strict=True))]
        out[index] = zlib.crc32(np.ascontiguousarray(piece).data)
    return out


def digest_chunks(
    chunks: Sequence[Sequence[int]], step: Sequence[int]
) -> tuple[tuple[int, ...], ...]:
    """The Dask chunks of :func:`digests`' output: pieces per block along each dim.

    Every block but the last along a dim must hold whole pieces.

    >>> digest_chunks(((4, 4, 2), (6,)), (2, 3))
    ((2, 2, 1), (2,))
    """
    for cs, s in zip(chunks, step, strict=True):
        if any(c % s for c in cs[:-1]):
            raise ValueError(f"blocks {cs} do not hold whole pieces of {s}")
    return tuple(tuple(-(-c // s) for c in cs) for cs, s in zip(chunks, step, strict=True))


def digests(array: da.Array, step: Sequence[int]) -> da.Array:
    """A lazy uint32 array: the CRC-32 of each ``step``-shaped block of ``array`` (:func:`block_digests`).

    ``array``'s Dask blocks are whole multiples of ``step`` (a larger block is
    digested piece by piece), so the result does not depend on them.

    Examples
    --------
    >>> import dask.array as da
    >>> x = np.random.default_rng(0).random((30, 7)).astype("float32")
    >>> a = digests(da.from_array(x, chunks=(10, 7)), (5, 7)).compute()
    >>> b = digests(da.from_array(x, chunks=(5, 7)), (5, 7)).compute()
    >>> a.shape, bool((a == b).all())
    ((6, 1), True)
    """
    import dask.array as da

    return da.map_blocks(
        block_digests,
        array,
        step=tuple(step),
        dtype=np.uint32,
        chunks=digest_chunks(array.chunks, step),
        meta=np.array((), dtype=np.uint32),
    )


def summary(values: np.ndarray) -> str:
    """One 8-hex-digit figure for a variable's block digests (CRC-32 of their bytes).

    >>> summary(np.array([[1, 2]], dtype=np.uint32))
    '0381177c'
    """
    return f"{zlib.crc32(np.ascontiguousarray(values, dtype=np.uint32).data):08x}"


def _weights(index: np.ndarray) -> np.ndarray:
    """An odd 64-bit weight per global index (splitmix64's finalizer)."""
    z = index + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return (z ^ (z >> np.uint64(31))) | np.uint64(1)


def checksum(array: da.Array) -> da.Array:
    """A lazy 0-d uint64: sum of bits x weight(global index) over all elements, mod 2**64.

    The same values at the same places give the same checksum whatever the
    chunks, so the computed data and the stored data are each summed in their
    own chunks.

    Examples
    --------
    >>> import dask.array as da
    >>> x = np.random.default_rng(0).random((30, 7)).astype("float32")
    >>> a = checksum(da.from_array(x, chunks=(7, 3))).compute()
    >>> b = checksum(da.from_array(x, chunks=(30, 7))).compute()
    >>> y = x.copy(); y[3, 4] = np.nextafter(y[3, 4], 2)
    >>> bool(a == b), bool(a == checksum(da.from_array(y, chunks=5)).compute())
    (True, False)
    """
    import dask.array as da

    sums = da.map_blocks(
        block_checksum,
        array,
        dtype=np.uint64,
        chunks=tuple((1,) * len(c) for c in array.chunks),
        meta=np.array((), dtype=np.uint64),
    )
    return sums.sum(dtype=np.uint64)
