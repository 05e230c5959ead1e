"""The size band: the chunk (shard) sizes allowed, and the sentence naming the constraint that binds.

The band runs from ``min_size`` (below it, per-chunk overheads dominate) to ``max_size``
(above it, a single read or task holds too much), and worker memory caps it:
``chunk * threads * safety <= worker_memory``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import parse_size
from advisor.plan.schema import Schema
from advisor.plan.units import human_readable_size

if TYPE_CHECKING:
    import numpy as np

MIN_SIZE = 10_000_000
"""Default floor of the chunk size (10 MB): below it, per-chunk overheads dominate."""

MAX_SIZE = 100_000_000
"""Default cap of the chunk size (100 MB): above it, a single read or task holds too much."""

SAFETY = 4.0
"""Chunks a Dask thread may hold at once (input, output, a temporary, the next read)."""

Binding = Literal["none", "floor", "cap", "worker-memory", "dataset-size", "band-impossible"]


def size_option(value: float | str, option: str) -> int:
    """Bytes from a size given as a number or a string such as ``"10MB"`` (for ``option``).

    Examples
    --------
    >>> size_option("10MB", "--min-size"), size_option(2e6, "--max-size")
    (10000000, 2000000)
    >>> size_option(0, "--max-size")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --max-size 0: sizes must be positive
    """
    if isinstance(value, str):
        return parse_size(value)
    if not value > 0:
        raise AdvisorError(f"{option} {value}: sizes must be positive")
    return int(value)


def requested_band(min_size: float | str, max_size: float | str) -> tuple[int, int]:
    """``(min_size, max_size)`` in bytes; the floor must not be above the cap."""
    low, high = size_option(min_size, "--min-size"), size_option(max_size, "--max-size")
    if low > high:
        raise AdvisorError(
            f"min size {human_readable_size(low)} is above max size {human_readable_size(high)}: "
            "lower --min-size or raise --max-size"
        )
    return low, high


@dataclass(frozen=True, slots=True)
class Band:
    """The sizes allowed, and what decided them."""

    low: int
    """The floor asked for."""
    high: int
    """The cap asked for."""
    floor: float
    """The floor that holds (1 when worker memory is below the asked floor)."""
    cap: float
    """The cap that holds: ``high`` or the worker-memory bound, the smaller."""
    memory: int | None
    """Memory per Dask worker, in bytes (None: not given)."""
    memory_cap: float
    """The largest chunk worker memory allows (infinite without ``memory``)."""
    binding: Binding | None
    """The binding constraint when the band alone decides it (worker memory, the dataset size)."""
    notes: tuple[str, ...]


def size_band(
    schema: Schema, low: int, high: int, memory: int | None, threads: int, safety: float
) -> Band:
    """The band for ``schema``: the worker-memory bound is hard (when it is below the floor,
    the floor goes); an array smaller than the floor is one chunk.

    Examples
    --------
    >>> s = Schema(("time", "x"), (8760, 1000), 4)
    >>> band = size_band(s, 10_000_000, 100_000_000, 2 * 10**9, 4, 4.0)
    >>> band.floor, band.cap, band.binding
    (10000000, 100000000, None)
    >>> size_band(s, 10_000_000, 100_000_000, 10**8, 4, 4.0).binding
    'worker-memory'
    """
    memory_cap = memory / (threads * safety) if memory is not None else math.inf
    cap = min(high, memory_cap)
    rule = f"{threads} threads x safety {safety:g}"
    if cap < low:
        note = (
            f"worker memory allows chunks of at most {human_readable_size(cap)} ({rule}), "
            f"below the {human_readable_size(low)} floor: the floor is dropped"
        )
        return Band(low, high, 1, cap, memory, memory_cap, "worker-memory", (note,))
    if schema.nbytes < low:
        note = (
            f"the array ({human_readable_size(schema.nbytes)}) is smaller than the "
            f"{human_readable_size(low)} floor: one chunk holds it all"
        )
        return Band(low, high, low, cap, memory, memory_cap, "dataset-size", (note,))
    return Band(low, high, low, cap, memory, memory_cap, None, ())


def binding_of(free_size: float, low: int, high: int, memory_cap: float) -> Binding:
    if free_size < low:
        return "floor"
    if free_size > min(high, memory_cap):
        return "worker-memory" if memory_cap < high else "cap"
    return "none"


def binding_sentence(
    binding: Binding,
    schema: Schema,
    pick: np.ndarray,
    free: np.ndarray,
    low: float,
    cap: float,
    memory: int | None,
    threads: int,
    safety: float,
) -> str:
    """Name the constraint that binds and what it does to the chunk shape."""
    free_text = (
        f"{shape_text(schema.dims, free)}, {human_readable_size(math.prod(free) * schema.itemsize)}"
    )
    if binding == "none":
        return f"none: the unconstrained optimum ({free_text}) lies inside the band"
    if binding == "dataset-size":
        return f"the dataset is smaller than the {human_readable_size(low)} floor: one chunk"
    if binding == "band-impossible":
        return (
            f"the size band ({human_readable_size(low)} to {human_readable_size(cap)}): "
            "no candidate fits, the nearest size is used"
        )
    if binding == "floor":
        head, op, bound = f"the {human_readable_size(low)} floor", ">=", low
    elif binding == "cap":
        head, op, bound = f"the {human_readable_size(cap)} cap", "<=", cap
    else:
        head, op, bound = (
            f"worker memory {human_readable_size(memory or 0)} / ({threads} threads x safety "
            f"{safety:g}) caps chunks at {human_readable_size(cap)}, which",
            "<=",
            cap,
        )
    whole = [d for d in range(schema.ndim) if pick[d] == schema.shape[d]]
    forced = [d for d in range(schema.ndim) if d not in whole]
    if not forced:
        return f"{head} forces one chunk for the whole array (unconstrained best: {free_text})"
    rest = math.prod(schema.shape[d] for d in whole) * schema.itemsize
    limit = math.ceil(bound / rest) if op == ">=" else max(1, math.floor(bound / rest))
    names = " x ".join(schema.dims[d] for d in forced)
    effect = f"forces {names} {op} {limit:,}" + ("" if len(forced) == 1 else " elements")
    return f"{head} {effect}{_context(schema, whole)} (unconstrained best: {free_text})"


def _context(schema: Schema, whole: list[int]) -> str:
    """How the pick's whole dims read: a full-field chunk, a full-series chunk, ..."""
    spatial = {d for d, r in enumerate(schema.roles) if r in ("latitude", "longitude")}
    time = schema.axis_of("time")
    if not whole:
        return ""
    if spatial and spatial <= set(whole) and time not in whole:
        return " for a full-field chunk"
    if time in whole and not spatial <= set(whole):
        return " for a full-series chunk"
    return " with " + ", ".join(schema.dims[d] for d in whole) + " whole"


def shape_text(dims: Sequence[str], chunks: Sequence[int] | np.ndarray) -> str:
    return ", ".join(f"{d}={int(c)}" for d, c in zip(dims, chunks, strict=True))
