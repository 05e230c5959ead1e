"""Read a few boxes of a stored array, each stored chunk decoded once.

``advisor codecs`` samples boxes (chunks of the recommended shape) from a source whose own
chunks are often larger: the sample year's are a month of whole maps (58 MB), so a box of
1095 hours touches two or three of them, and neighbouring boxes touch the same ones again.
Reading box by box decodes each stored chunk once per box; :func:`read_boxes` decodes it
once in all, copying its overlap into every box that needs it.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

Box = tuple[slice, ...]
ReadMode = Literal["by-stored-chunk", "by-box"]

MAX_GROUPED = 256
"""More stored chunks than this in all (small stored chunks): read box by box instead."""


def stored_chunks(da: xr.DataArray) -> tuple[int, ...]:
    """``da``'s stored chunk shape (the whole array when it is not chunked on disk).

    Examples
    --------
    >>> import xarray as xr
    >>> stored_chunks(xr.DataArray(np.zeros((4, 6)), dims=("t", "x")))
    (4, 6)
    """
    chunks = da.encoding.get("chunks") or da.encoding.get("preferred_chunks")
    if isinstance(chunks, dict):
        chunks = tuple(chunks.get(d, n) for d, n in zip(da.dims, da.shape, strict=True))
    if not chunks or len(chunks) != da.ndim:
        return tuple(da.shape)
    return tuple(int(c) for c in chunks)


def read_mode(boxes: Sequence[Box], chunks: Sequence[int]) -> ReadMode:
    """``by-stored-chunk`` when boxes share stored chunks and those are few, else ``by-box``.

    Examples
    --------
    >>> boxes = [(slice(0, 10), slice(0, 4)), (slice(10, 20), slice(4, 8))]
    >>> read_mode(boxes, (15, 8)), read_mode(boxes, (1, 1))
    ('by-stored-chunk', 'by-box')
    """
    touched = [_touched(b, chunks) for b in boxes]
    distinct = set().union(*touched) if touched else set()
    shared = len(distinct) < sum(len(t) for t in touched)
    mode: ReadMode = "by-stored-chunk" if shared and len(distinct) <= MAX_GROUPED else "by-box"
    logger.debug("sample reads %s: %d stored chunks for %d boxes", mode, len(distinct), len(boxes))
    return mode


def read_boxes(da: xr.DataArray, boxes: Sequence[Box]) -> list[np.ndarray]:
    """The values of ``da`` in each box (slices with start and stop), C-contiguous.

    Examples
    --------
    >>> import xarray as xr
    >>> da = xr.DataArray(np.arange(40.0).reshape(10, 4), dims=("t", "x"))
    >>> da.encoding["chunks"] = (6, 4)
    >>> [b.tolist() for b in read_boxes(da, [(slice(4, 8), slice(1, 3))])]
    [[[17.0, 18.0], [21.0, 22.0], [25.0, 26.0], [29.0, 30.0]]]
    """
    chunks = stored_chunks(da)
    if read_mode(boxes, chunks) == "by-box":
        return [np.ascontiguousarray(da[box].values) for box in boxes]
    out = [np.empty(tuple(s.stop - s.start for s in box), dtype=da.dtype) for box in boxes]
    users: dict[tuple[int, ...], list[int]] = {}
    for k, box in enumerate(boxes):
        for key in _touched(box, chunks):
            users.setdefault(key, []).append(k)
    for key in sorted(users):
        cell = tuple(
            slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(key, chunks, da.shape, strict=True)
        )
        # the part of this stored chunk some box needs: one read, one decode of the chunk
        need = tuple(
            slice(
                max(c.start, min(boxes[k][d].start for k in users[key])),
                min(c.stop, max(boxes[k][d].stop for k in users[key])),
            )
            for d, c in enumerate(cell)
        )
        values = da[need].values
        for k in users[key]:
            part = tuple(
                slice(max(b.start, n.start), min(b.stop, n.stop))
                for b, n in zip(boxes[k], need, strict=True)
            )
            if any(p.start >= p.stop for p in part):
                continue
            src = tuple(
                slice(p.start - n.start, p.stop - n.start) for p, n in zip(part, need, strict=True)
            )
            dst = tuple(
                slice(p.start - b.start, p.stop - b.start)
                for p, b in zip(part, boxes[k], strict=True)
            )
            out[k][dst] = values[src]
    return out


def _touched(box: Box, chunks: Sequence[int]) -> set[tuple[int, ...]]:
    ranges = [
        range(s.start // c, max(s.start // c + 1, math.ceil(s.stop / c)))
        for s, c in zip(box, chunks, strict=True)
    ]
    return set(itertools.product(*ranges))
