"""What moving an array from one chunking to another costs: pure arithmetic, no I/O.

Like rechunker's ``algorithm.py``, a copy to the new chunks is planned from the
shapes alone. Along each dim the smallest block made of whole source chunks and
whole target chunks is ``lcm(source, target)`` (clipped to the dim): when such
an *aligned block* fits in the memory a thread may use, one pass reads each
source chunk once and writes each target chunk once, holding one block per
thread. Otherwise Dask's peer-to-peer rechunk (``method="p2p"``) still reads
and writes each chunk once, but passes everything through the workers' disks
once, holding only a source and a target chunk per thread.

Examples
--------
>>> from advisor.plan.profile import StorageProfile
>>> cost = rechunk_cost((8760, 121, 161), 4, (744, 121, 161), (8760, 16, 16), StorageProfile())
>>> cost.method, cost.read_ops, cost.write_ops
('p2p', 12, 88)
>>> rechunk_cost((96, 10), 4, (24, 10), (48, 10), StorageProfile()).method
'aligned'
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from advisor.plan.profile import StorageProfile

logger = logging.getLogger(__name__)

RechunkPlan = Literal["none", "aligned", "p2p"]

THREAD_MEMORY = 1e9
"""Memory a thread may hold when no worker memory is given (bytes)."""

BUFFERS = 2
"""Copies of a block a thread holds: the decoded input and the assembled output."""


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
    method: RechunkPlan
    block: tuple[int, ...]
    """The aligned block: per dim, the least common multiple of the two chunk lengths."""
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
        from advisor.plan.units import human_readable_size as size

        if self.method == "none":
            return "the current chunks are the proposed ones: nothing to rewrite"
        how = (
            f"one pass in aligned blocks of {size(self.memory / BUFFERS)}"
            if self.method == "aligned"
            else f"Dask p2p, {size(self.scratch_bytes)} through the workers' disks"
        )
        text = (
            f"{self.read_ops:,} chunk reads and {self.write_ops:,} writes "
            f"({size(self.stored_bytes)} stored each way), {how}, "
            f"{size(self.memory)} per thread, about {_duration(self.seconds)}"
        )
        if self.break_even is not None:
            text += (
                f"; it saves {_duration(self.saved_per_access or 0)} per access, "
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
        :data:`THREAD_MEMORY`.
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
    block_bytes = math.prod(block) * itemsize
    budget = thread_memory if thread_memory is not None else THREAD_MEMORY
    method: RechunkPlan
    if src == dst:
        method, memory, scratch = "none", 0.0, 0.0
    elif BUFFERS * block_bytes <= budget:
        method, memory, scratch = "aligned", float(BUFFERS * block_bytes), 0.0
    else:
        method, scratch = "p2p", float(decoded)
        memory = float((math.prod(src) + math.prod(dst)) * itemsize)
    logger.debug("choosing %r to rechunk %s -> %s (aligned block %s)", method, src, dst, block)
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


def _duration(seconds: float) -> str:
    """``0.0123`` -> ``12.3 ms``; ``95`` -> ``1.6 min``; ``7200`` -> ``2 h``."""
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.2g} min"
    return f"{seconds / 3600:.3g} h"
