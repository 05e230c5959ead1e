"""What an append may add, checked: structure drift and the new steps' times, then the plan.

Pure: a store's and a source's :class:`Layout` (dims, sizes, variables with their dtype,
chunks, shards and codec; the time values as integer nanoseconds) come from the store layer;
:func:`plan_append` refuses, with one line, anything that would make the appended store differ
from one written at once, and otherwise returns the :class:`AppendPlan` (per variable: the
time block, the aligned Dask chunks, the blocks written, from :mod:`advisor.plan.arrivals`).

Examples
--------
>>> h = 3600 * 10**9
>>> store = Layout("time", (("time", 10), ("y", 2)), (VarLayout("v", ("time", "y"), "float32",
...     (4, 2), None, "zstd"),), tuple(range(0, 10 * h, h)))
>>> source = Layout("time", (("time", 3), ("y", 2)), (VarLayout("v", ("time", "y"), "float32",
...     None, None, None),), (10 * h, 11 * h, 12 * h))
>>> plan = plan_append(store, source)
>>> plan.new, plan.first_time, plan.blocks
(3, '1970-01-01T10:00:00', (('v', 4, (2, 1), 2),))
>>> plan_append(store, Layout("time", source.sizes, source.variables, (9 * h, 10 * h, 11 * h)))
Traceback (most recent call last):
...
advisor.plan.errors.AdvisorError: SOURCE starts at 1970-01-01T09:00:00, at or before the store's \
last step 1970-01-01T09:00:00: 1 step(s) overlap; append only the steps after it
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.plan.arrivals import aligned_chunks, blocks_written
from advisor.plan.errors import AdvisorError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VarLayout:
    """A data variable as stored: ``chunks``, ``shards`` and ``codec`` are None for a source
    that is not a Zarr store (files whose layout the append does not keep)."""

    name: str
    dims: tuple[str, ...]
    dtype: str
    chunks: tuple[int, ...] | None
    shards: tuple[int, ...] | None
    codec: str | None


@dataclass(frozen=True, slots=True)
class Layout:
    """A store's or source's structure and its time values (integer nanoseconds)."""

    time_dim: str
    sizes: tuple[tuple[str, int], ...]
    variables: tuple[VarLayout, ...]
    times: tuple[int, ...]

    def var(self, name: str) -> VarLayout:
        return next(v for v in self.variables if v.name == name)


@dataclass(frozen=True, slots=True)
class AppendPlan:
    """What an append writes: ``blocks`` holds, per variable, (name, time block, aligned Dask
    chunks along time, blocks written)."""

    time_dim: str
    length: int
    new: int
    first_time: str
    last_time: str
    step_seconds: float | None
    gap_steps: int
    blocks: tuple[tuple[str, int, tuple[int, ...], int], ...]

    def chunks_of(self, name: str) -> tuple[int, ...]:
        return next(c for v, _, c, _ in self.blocks if v == name)

    @property
    def blocks_rewritten(self) -> int:
        """Time blocks written over all variables (the trailing partial one included)."""
        return sum(n for *_, n in self.blocks)

    def rows(self) -> list[tuple[str, str]]:
        """The plan as ``(label, value)`` lines for a table."""
        blocks = ", ".join(f"{v}: {n} of {b} steps each" for v, b, _, n in self.blocks)
        return [
            ("steps stored", f"{self.length:,}"),
            ("steps to append", f"{self.new:,} ({self.first_time} .. {self.last_time})"),
            *([("gap", f"{self.gap_steps} step(s) missing before")] if self.gap_steps else []),
            ("time blocks written", blocks),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_dim": self.time_dim,
            "length": self.length,
            "new": self.new,
            "first_time": self.first_time,
            "last_time": self.last_time,
            "step_seconds": self.step_seconds,
            "gap_steps": self.gap_steps,
            "blocks": {
                v: {"block": b, "chunks": list(c), "written": n} for v, b, c, n in self.blocks
            },
            "blocks_written": self.blocks_rewritten,
        }


def iso(ns: int) -> str:
    """Integer nanoseconds since 1970 as an ISO time (seconds).

    Examples
    --------
    >>> iso(3600 * 10**9)
    '1970-01-01T01:00:00'
    """
    return str(np.datetime64(int(ns), "ns").astype("datetime64[s]"))


def check_structure(store: Layout, source: Layout, *, relayout: bool = False) -> None:
    """Refuse a source whose structure drifted from the store's (one line each).

    Dims, the sizes of the other dims, the variables and their dtypes must match;
    so must chunks, shards and codec when the source is itself a Zarr store, unless
    ``relayout`` (then the source is written in the store's layout).
    """
    if source.time_dim != store.time_dim:
        raise AdvisorError(
            f"SOURCE's time dim is {source.time_dim!r}, the store's {store.time_dim!r}: "
            "rename it to match"
        )
    ours, theirs = dict(store.sizes), dict(source.sizes)
    if set(ours) != set(theirs):
        raise AdvisorError(
            f"SOURCE has dims {sorted(theirs)}, the store {sorted(ours)}: the structure drifted"
        )
    for dim, size in ours.items():
        if dim != store.time_dim and theirs[dim] != size:
            raise AdvisorError(
                f"SOURCE has {dim}={theirs[dim]}, the store {dim}={size}: "
                f"only {store.time_dim} may grow"
            )
    names, got = {v.name for v in store.variables}, {v.name for v in source.variables}
    if names != got:
        extra, missing = sorted(got - names), sorted(names - got)
        raise AdvisorError(
            f"SOURCE's variables differ from the store's (missing {missing}, extra {extra}): "
            "append the same variables"
        )
    for want in store.variables:
        have = source.var(want.name)
        if have.dims != want.dims:
            raise AdvisorError(f"SOURCE's {want.name} has dims {have.dims}, the store {want.dims}")
        if have.dtype != want.dtype:
            raise AdvisorError(
                f"SOURCE's {want.name} is {have.dtype}, the store's {want.dtype}: cast it first"
            )
        if relayout or have.chunks is None:
            continue
        for what, a, b in (
            ("chunks", have.chunks, want.chunks),
            ("shards", have.shards, want.shards),
            ("codec", have.codec, want.codec),
        ):
            if a != b:
                raise AdvisorError(
                    f"SOURCE's {want.name} has {what} {a}, the store's {b}: the layout "
                    "drifted; pass --relayout to write it in the store's layout"
                )


def check_times(store: Sequence[int], source: Sequence[int], *, allow_gap: bool = False) -> int:
    """Refuse new steps that go backwards, overlap the store's end, leave a gap (unless
    ``allow_gap``) or come at another step; returns the steps missing in the gap.

    Examples
    --------
    >>> check_times([0, 2, 4], [6, 8]), check_times([0, 2, 4], [10, 12], allow_gap=True)
    (0, 2)
    >>> check_times([0, 2, 4], [7, 10])
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: SOURCE's step is 3 ns, the store's 2 ns: append steps \
of the store's step
    """
    if not source:
        raise AdvisorError("SOURCE has no time steps: nothing to append")
    if not store:
        raise AdvisorError("the store holds no time steps: write it with apply first")
    diffs = np.diff(np.asarray(source, dtype=np.int64))
    if (diffs <= 0).any():
        i = int(np.argmax(diffs <= 0))
        raise AdvisorError(
            f"SOURCE's times go backwards or repeat ({iso(source[i])} then {iso(source[i + 1])}): "
            "give its steps in time order, each once"
        )
    last = store[-1]
    if source[0] <= last:
        overlap = int(np.searchsorted(np.asarray(source), last, side="right"))
        raise AdvisorError(
            f"SOURCE starts at {iso(source[0])}, at or before the store's last step {iso(last)}: "
            f"{overlap} step(s) overlap; append only the steps after it"
        )
    step = store[-1] - store[-2] if len(store) > 1 else (int(diffs[0]) if len(diffs) else None)
    if len(diffs) and (diffs != diffs[0]).any():
        raise AdvisorError("SOURCE's steps are not regular: append steps of one interval")
    if step is not None and len(diffs) and int(diffs[0]) != step:
        raise AdvisorError(
            f"SOURCE's step is {_span(int(diffs[0]))}, the store's {_span(step)}: "
            "append steps of the store's step"
        )
    if step is None or source[0] - last == step:
        return 0
    if (source[0] - last) % step:
        raise AdvisorError(
            f"SOURCE starts at {iso(source[0])}, off the store's step of {_span(step)} after "
            f"{iso(last)}: append steps on the store's time grid"
        )
    missing = (source[0] - last) // step - 1
    if not allow_gap:
        raise AdvisorError(
            f"SOURCE starts at {iso(source[0])}: {missing} step(s) after the store's last "
            f"({iso(last)}) are missing; append them first, or pass --allow-gap"
        )
    return int(missing)


def _span(ns: int) -> str:
    seconds = ns / 1e9
    if ns % 10**9:
        return f"{ns} ns"
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


def time_block(var: VarLayout, time_dim: str) -> int:
    """The steps a variable's stored time block holds: its shards' extent, else its chunks'."""
    layout = var.shards or var.chunks
    if layout is None:
        raise AdvisorError(f"the store's {var.name} has no chunks: is it a Zarr store?")
    return layout[var.dims.index(time_dim)]


def plan_append(
    store: Layout, source: Layout, *, allow_gap: bool = False, relayout: bool = False
) -> AppendPlan:
    """Check ``source`` against ``store`` (:func:`check_structure`, :func:`check_times`) and
    plan the append: per variable with time, the aligned Dask chunks and the blocks written."""
    check_structure(store, source, relayout=relayout)
    gap = check_times(store.times, source.times, allow_gap=allow_gap)
    length, new = dict(store.sizes)[store.time_dim], len(source.times)
    blocks = []
    for var in store.variables:
        if store.time_dim not in var.dims:
            continue
        block = time_block(var, store.time_dim)
        chunks = aligned_chunks(length, new, block)
        blocks.append((var.name, block, chunks, blocks_written(length, new, block)))
        logger.debug("appending %s: block %d, Dask chunks %s", var.name, block, chunks)
    step = (store.times[-1] - store.times[-2]) / 1e9 if len(store.times) > 1 else None
    return AppendPlan(
        store.time_dim,
        length,
        new,
        iso(source.times[0]),
        iso(source.times[-1]),
        step,
        gap,
        tuple(blocks),
    )
