"""The one rechunk model: which method rewrites an array in new chunks, and what that costs.

:func:`choose_rechunk_method` is the decision both ``recommend`` (the cost of
rechunking the current store, :func:`rechunk_cost`) and ``apply`` (the plan of a
copy) use, in Dask's vocabulary, the method ``apply`` then runs: ``none`` when
the chunks already match; ``tasks`` (Dask's task rechunk: one pass, each source
chunk read once and each target chunk written once) when the rechunk is local
and a thread can hold what one target chunk is assembled from; else ``p2p``
(distributed's peer-to-peer rechunk, which streams everything through the
workers' disks once with bounded memory). Pure arithmetic on the shapes, like
rechunker's ``algorithm.py``.

Examples
--------
>>> from advisor.plan.profile import StorageProfile
>>> cost = rechunk_cost((8760, 121, 161), 4, (744, 121, 161), (8760, 16, 16), StorageProfile())
>>> cost.method, cost.read_ops, cost.write_ops
('p2p', 12, 88)
>>> rechunk_cost((96, 10), 4, (24, 10), (48, 10), StorageProfile()).method
'tasks'
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from advisor.plan.grid import Grid, crossed_blocks, gathered_block, n_blocks, regular_grid
from advisor.plan.profile import StorageProfile
from advisor.plan.units import format_seconds, human_readable_size

logger = logging.getLogger(__name__)

RechunkMethod = Literal["none", "tasks", "p2p"]
"""How a copy is rechunked: not at all, Dask's task rechunk, or distributed's peer-to-peer one."""

RECHUNK_THRESHOLD = 4
"""Dask's ``array.rechunk.threshold``: a task rechunk is local while its pieces number fewer than
this many times the input and output chunks together."""

THREAD_MEMORY = 1e9
"""Memory a thread may hold when no worker memory is given (bytes)."""

BUFFERS = 2
"""Copies of a block a thread holds: the decoded input and the assembled output."""


def choose_rechunk_method(
    old: Grid,
    new: Grid,
    itemsize: int,
    thread_memory: float | None = None,
    threshold: float = RECHUNK_THRESHOLD,
) -> RechunkMethod:
    """``none`` when the grids agree; ``tasks`` when the rechunk is local and fits; else ``p2p``.

    A rechunk is local when the pieces it cuts the array into
    (:func:`~advisor.plan.grid.crossed_blocks`) number fewer than ``threshold``
    times the old and new blocks together: each new chunk is then assembled
    from a few old ones and the task graph stays small (the criterion dask
    applies itself when a distributed client is active). It fits when a thread
    can hold the old blocks one new block overlaps
    (:func:`~advisor.plan.grid.gathered_block`) plus that new block, within
    ``thread_memory`` (default :data:`THREAD_MEMORY`). Otherwise (an all-to-all
    reshuffle, e.g. month-long time chunks to long series of small boxes)
    distributed's peer-to-peer rechunk streams the pieces through each worker's
    disk with bounded memory.

    Examples
    --------
    >>> daily = ((31,) * 11 + (24,), (121,), (161,))
    >>> choose_rechunk_method(daily, daily, 4)
    'none'
    >>> choose_rechunk_method(daily, regular_grid((365, 121, 161), (32, 60, 80)), 4)
    'tasks'
    >>> hourly = regular_grid((8760, 121, 161), (744, 121, 161))
    >>> choose_rechunk_method(hourly, regular_grid((8760, 121, 161), (8760, 10, 10)), 4)
    'p2p'
    >>> choose_rechunk_method(hourly, regular_grid((8760, 121, 161), (1488, 121, 161)), 4, 1e8)
    'p2p'
    """
    if tuple(map(tuple, old)) == tuple(map(tuple, new)):
        logger.debug("choosing rechunk 'none': the chunks already match")
        return "none"
    pieces = crossed_blocks(old, new)
    limit = threshold * (n_blocks(old) + n_blocks(new))
    held = held_bytes(old, new, itemsize)
    budget = THREAD_MEMORY if thread_memory is None else thread_memory
    method: RechunkMethod = "tasks" if pieces < limit and held <= budget else "p2p"
    logger.debug(
        "choosing rechunk %r: %d pieces vs %g x (%d old + %d new blocks), %s held per thread of %s",
        method,
        pieces,
        threshold,
        n_blocks(old),
        n_blocks(new),
        human_readable_size(held),
        human_readable_size(budget),
    )
    return method


def held_bytes(old: Grid, new: Grid, itemsize: int) -> int:
    """Decoded bytes a thread holds in a task rechunk: the old blocks one new block takes, and it.

    >>> held_bytes(((24, 24, 24, 24), (10,)), ((48, 48), (10,)), 4)
    3840
    """
    return (math.prod(gathered_block(old, new)) + math.prod(max(g) for g in new)) * itemsize


@dataclass(frozen=True, slots=True)
class RechunkCost:
    """The reads, writes, memory and time of rewriting an array in new chunks (all variables)."""

    source_chunks: tuple[int, ...]
    target_chunks: tuple[int, ...]
    """The chunks written: the shards of a sharded target."""
    variables: int
    decoded_bytes: float
    stored_bytes: float
    """Estimated bytes stored, read once and written once (the profile's compression ratio)."""
    read_ops: int
    write_ops: int
    method: RechunkMethod
    block: tuple[int, ...]
    """The aligned block, the smallest of whole source and target chunks: per dim, the least common
    multiple of the two chunk lengths."""
    memory: float
    """Decoded bytes held per thread at once."""
    scratch_bytes: float
    """Bytes passed through the workers' disks (p2p only)."""
    seconds: float
    """Estimated wall time with the profile's threads."""
    saved_per_access: float | None = None
    """Seconds the new layout saves per access (weighted mean over the patterns)."""

    @property
    def break_even(self) -> float | None:
        """Accesses after which the copy has paid for itself (None when nothing is saved)."""
        if not self.saved_per_access or self.saved_per_access <= 0:
            return None
        return self.seconds / self.saved_per_access

    def sentence(self) -> str:
        """One line for reports."""
        size = human_readable_size
        if self.method == "none":
            return "the current chunks are the proposed ones: nothing to rewrite"
        how = (
            "one pass with Dask's task rechunk"
            if self.method == "tasks"
            else f"Dask p2p, {size(self.scratch_bytes)} through the workers' disks"
        )
        text = (
            f"{self.read_ops:,} chunk reads and {self.write_ops:,} writes "
            f"({size(self.stored_bytes)} stored each way), {how}, "
            f"{size(self.memory)} per thread, about {format_seconds(self.seconds)}"
        )
        if self.break_even is not None:
            text += (
                f"; it saves {format_seconds(self.saved_per_access or 0)} per access, "
                f"so it pays off after {math.ceil(self.break_even):,} accesses"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["break_even"] = self.break_even
        return out


def rechunk_cost(
    shape: Sequence[int],
    itemsize: int,
    source: Sequence[int],
    target: Sequence[int],
    profile: StorageProfile,
    *,
    variables: int = 1,
    thread_memory: float | None = None,
    saved_per_access: float | None = None,
) -> RechunkCost:
    """The cost of rewriting an array of ``shape`` from ``source`` to ``target`` chunks.

    Parameters
    ----------
    target
        The chunks written (a sharded layout writes whole shards: pass those).
    thread_memory
        Bytes one thread may hold (worker memory over its threads); default
        :data:`THREAD_MEMORY`. The method is :func:`choose_rechunk_method`'s.
    saved_per_access
        Seconds saved per access by the new layout, for :attr:`RechunkCost.break_even`.
    """
    shape = tuple(int(n) for n in shape)
    src = tuple(min(int(c), n) for c, n in zip(source, shape, strict=True))
    dst = tuple(min(int(c), n) for c, n in zip(target, shape, strict=True))
    decoded = math.prod(shape) * itemsize * variables
    stored = decoded / profile.compression_ratio
    n_src = _count(shape, src) * variables
    n_dst = _count(shape, dst) * variables
    block = tuple(min(math.lcm(a, b), n) for a, b, n in zip(src, dst, shape, strict=True))
    old, new = regular_grid(shape, src), regular_grid(shape, dst)
    method = choose_rechunk_method(old, new, itemsize, thread_memory)
    memory, scratch = 0.0, 0.0
    if method == "tasks":
        memory = float(held_bytes(old, new, itemsize))
    elif method == "p2p":
        scratch = float(decoded)
        memory = float((math.prod(src) + math.prod(dst)) * itemsize)
    threads = profile.threads
    seconds = 0.0
    if method != "none":
        seconds = (
            (n_src + n_dst) * (profile.request_overhead + profile.task_overhead)
            + (n_src + n_dst) * profile.latency / min(n_src + n_dst, profile.concurrency)
            + 2 * stored / profile.bandwidth
            + decoded / (profile.decode_speed * threads)
            + decoded / (profile.encode_speed * threads)
            + 2 * scratch / profile.bandwidth
        )
    return RechunkCost(
        source_chunks=src,
        target_chunks=dst,
        variables=variables,
        decoded_bytes=float(decoded),
        stored_bytes=float(stored),
        read_ops=n_src if method != "none" else 0,
        write_ops=n_dst if method != "none" else 0,
        method=method,
        block=block,
        memory=memory,
        scratch_bytes=scratch,
        seconds=seconds,
        saved_per_access=saved_per_access,
    )


def _count(shape: Sequence[int], chunks: Sequence[int]) -> int:
    return math.prod(-(-n // c) for n, c in zip(shape, chunks, strict=True))
