"""The comparison layouts ("references"): the current chunks, dask's ``chunks="auto"``, zarr's
guess and the workflow's hand pick, with pure ports of dask's and zarr's automatic chunking.

Each reference has one identifier (:data:`ReferenceName`, the asv parameter value and the
report's key, e.g. ``"dask-auto"``) and one label (:data:`REFERENCE_LABELS`, what
``advisor recommend`` prints, e.g. ``"dask auto"``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from advisor.plan.workflow import WORKFLOW_CHUNKS

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

ReferenceName = Literal["current", "dask-auto", "zarr-guess", "workflow"]
"""A comparison layout's identifier (asv parameter values, report keys)."""

REFERENCES: tuple[ReferenceName, ...] = get_args(ReferenceName)

REFERENCE_LABELS: dict[ReferenceName, str] = {
    "current": "current",
    "dask-auto": "dask auto",
    "zarr-guess": "zarr guess",
    "workflow": "workflow",
}
"""Identifier -> the label ``advisor recommend`` shows for the layout."""

DASK_CHUNK_SIZE = 128 * 2**20
"""dask's default ``array.chunk-size`` (128 MiB), the target of ``chunks="auto"``."""

DASK_TOLERANCE = 1.25
"""dask's default ``array.chunk-size-tolerance``."""


def reference_chunks(schema: Schema) -> dict[ReferenceName, tuple[int, ...]]:
    """The comparison layouts of ``schema``, by identifier: ``current`` (when the schema has
    chunks), ``dask-auto``, ``zarr-guess`` and ``workflow`` (when the dims have the workflow's
    roles and its chunks fit).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> refs = reference_chunks(Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4))
    >>> {REFERENCE_LABELS[name]: chunks for name, chunks in refs.items()}
    {'dask auto': (1722, 121, 161), 'zarr guess': (1095, 16, 21), 'workflow': (32, 60, 80)}
    """
    out: dict[ReferenceName, tuple[int, ...]] = {}
    if schema.chunks is not None:
        out["current"] = schema.chunks
    out["dask-auto"] = dask_auto_chunks(schema.shape, schema.itemsize, schema.chunks)
    out["zarr-guess"] = zarr_guess_chunks(schema.shape, schema.itemsize)
    if all(role in schema.roles for role in WORKFLOW_CHUNKS):
        workflow = tuple(WORKFLOW_CHUNKS.get(role, 1) for role in schema.roles)
        if all(c <= n for c, n in zip(workflow, schema.shape, strict=True)):
            out["workflow"] = workflow
    return out


def zarr_guess_chunks(shape: Sequence[int], itemsize: int) -> tuple[int, ...]:
    """The chunks zarr picks when none are given (a port of zarr's ``_guess_chunks``).

    Halve the dims in turn until the chunk is within 50% of a target that grows
    with the array (256 kiB * 2**log10(MiB)), between 128 kiB and 64 MiB.

    Examples
    --------
    >>> zarr_guess_chunks((8760, 121, 161), 4)
    (1095, 16, 21)
    """
    increment, low, high = 256 * 1024, 128 * 1024, 64 * 1024 * 1024
    chunks = [max(float(n), 1.0) for n in shape]
    target = increment * 2 ** math.log10(math.prod(chunks) * itemsize / (1024.0 * 1024))
    target = min(max(target, low), high)
    index = 0
    while True:
        nbytes = math.prod(chunks) * itemsize
        if (nbytes < target or abs(nbytes - target) / target < 0.5) and nbytes < high:
            break
        if math.prod(chunks) == 1:
            break
        chunks[index % len(chunks)] = math.ceil(chunks[index % len(chunks)] / 2.0)
        index += 1
    return tuple(int(c) for c in chunks)


def _round_to(c: float, s: float) -> float:
    """dask's ``round_to``: a length near ``c`` aligned with ``s`` (a multiple or a factor)."""
    return max(1, int(c)) if c <= s else c // s * s


def _blocks(n: int, c: int) -> tuple[int, ...]:
    c = min(c, n)
    return (c,) * (n // c) + ((n % c,) if n % c else ())


def dask_auto_chunks(
    shape: Sequence[int],
    itemsize: int,
    previous_chunks: Sequence[int] | None = None,
    limit: int = DASK_CHUNK_SIZE,
) -> tuple[int, ...]:
    """The chunk shape dask's ``chunks="auto"`` gives (a port of ``dask.array.core.auto_chunks``).

    Without ``previous_chunks`` (``ds.chunk("auto")`` on in-memory data)
    dask aims at near-cubic chunks of ``limit`` bytes; with them (the on-disk
    chunks, as in ``xr.open_zarr(path, chunks="auto")``) it grows or shrinks
    those, keeping their aspect ratio and whole multiples of them.

    Examples
    --------
    >>> dask_auto_chunks((8760, 121, 161), 4)
    (1722, 121, 161)
    >>> dask_auto_chunks((8760, 121, 161), 4, previous_chunks=(744, 121, 161))
    (1488, 121, 161)
    """
    shape = tuple(int(n) for n in shape)
    limit = max(1, limit)
    if previous_chunks is None:
        return _auto_square(shape, itemsize, limit)
    previous = [_blocks(n, int(c)) for n, c in zip(shape, previous_chunks, strict=True)]
    chunks: dict[int, object] = {}
    autos = set(range(len(shape)))
    largest_block = 1
    median_chunks: dict[int, object] = {a: float(np.median(previous[a])) for a in autos}
    result: dict[int, object] = {}

    def multiplier_of(medians: dict[int, object]) -> float:
        sizes = (max(r) if isinstance(r, tuple) else r for r in medians.values() if r)
        return limit / itemsize / largest_block / math.prod(sizes)  # type: ignore[arg-type]

    multiplier = multiplier_of(median_chunks)
    if multiplier < 1:
        result = median_chunks  # dask updates the medians in place in this case
    ideal_shape = []
    for i, s in enumerate(shape):
        mode, count = Counter(previous[i]).most_common(1)[0]
        ideal_shape.append(mode if mode > 1 and count >= len(previous[i]) / 2 else s)
    reduce_case = multiplier < 1
    remaining = True
    while remaining:
        last_autos = set(autos)
        remaining = False
        for a in sorted(autos):
            this_multiplier = multiplier ** (1 / len(last_autos))
            proposed = median_chunks[a] * this_multiplier
            max_chunk_size = proposed * DASK_TOLERANCE ** (1 / len(last_autos))
            if proposed > shape[a]:
                chunks[a] = shape[a]
                autos.remove(a)
                del median_chunks[a]
                remaining = True
                largest_block *= shape[a]
                result[a] = (shape[a],)
            elif reduce_case or max(previous[a]) > max_chunk_size:
                result[a] = _round_to(proposed, ideal_shape[a])
                if proposed < 1:
                    remaining = True
                    autos.discard(a)
            else:
                merged, current = [], 0
                for c in previous[a]:
                    if c + current <= proposed:
                        current += c
                    else:
                        if current > 0:
                            merged.append(current)
                        current = c
                if current > 0:
                    merged.append(current)
                result[a] = tuple(merged)
        if remaining or reduce_case:
            last = multiplier
            multiplier = multiplier_of(median_chunks)
            if multiplier != last:
                remaining = True
    chunks.update({k: v or 0 for k, v in result.items()})
    return tuple(
        int(max(v)) if isinstance(v, tuple) else min(int(v), n)  # type: ignore[call-overload]
        for v, n in ((chunks[i], shape[i]) for i in range(len(shape)))
    )


def _auto_square(shape: tuple[int, ...], itemsize: int, limit: int) -> tuple[int, ...]:
    """dask's auto chunks without previous chunks: near-cubic, dims smaller than the side kept whole."""
    chunks: dict[int, int] = {}
    autos = set(range(len(shape)))
    largest_block = 1
    while autos:
        size = (limit / itemsize / largest_block) ** (1 / len(autos))
        small = [i for i in autos if shape[i] < size]
        if not small:
            chunks.update({i: int(_round_to(size, shape[i])) for i in autos})
            break
        for i in small:
            chunks[i] = shape[i]
            largest_block *= shape[i]
            autos.remove(i)
    return tuple(min(chunks[i], shape[i]) for i in range(len(shape)))
