"""A checksum of an array's values that does not depend on its chunks, computed with Dask.

The checksum (:func:`checksum`) is a sum over all elements of the element's
bits times an odd weight hashed from its global index, modulo 2**64, so it does
not depend on the chunking: each side is computed in its own chunks, in
parallel, without rechunking either. A single changed element always changes
it; so does swapping two values of 32-bit data.

``advisor apply`` sums the computed data and the stored data this way, each in its own chunks.
"""

from __future__ import annotations

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


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bit patterns as uint64, every NaN as one canonical NaN."""
    values = np.ascontiguousarray(values)
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), values.dtype.type(np.nan), values)
    if values.dtype.kind not in "biuf" or values.dtype.itemsize > 8:
        raise AdvisorError(f"cannot checksum values of dtype {values.dtype}: apply handles numbers")
    return values.view(f"u{values.dtype.itemsize}").astype(np.uint64)


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
