"""Scores: the seconds each candidate chunk shape costs each access pattern, and their terms.

Seconds per access, under a :class:`~advisor.plan.profile.StorageProfile`::

    requests * request overhead + requests * latency / min(requests, parallel requests)
    + bytes read / compression ratio / bandwidth
    + max(waves * bytes read per chunk, chunk bytes) / decode speed
    + tasks * task overhead + combined intermediate bytes / (combine speed * threads)
    + one computation's overhead (reductions)
    + waves * bytes read per chunk * slowdown(time steps, block bytes) / reduce speed
    + the grouping's overhead (resample, climatology: labels, flox's plan)
    + waves * bytes read per chunk * large share(block bytes) / block speed

The last line is the engine's price of large blocks in a reduction (fresh memory pages per
block: dask's threads pay it, worker processes hardly; :mod:`advisor.plan.engine`).

The two lines before are the grouped reductions' (resample, climatology): flox moves time
last in each block, a transposing copy whose cost per byte grows with the block's size and
time steps (:meth:`~advisor.plan.profile.StorageProfile.group_slowdown`).

where ``waves = ceil(chunks touched / threads)``: chunks decode ``threads`` at a time.

The seconds are linear in the profile's rates (:data:`TERMS`, :func:`rates`);
:attr:`Scores.terms` holds what multiplies each, which is what
:mod:`advisor.run.calibrate` fits to measurements.

Requests follow the installed zarr-python (a :class:`~advisor.plan.requests.ZarrReads`).
Interactive reads (point series, region series, maps, ML patches) go through
zarr-python: no Dask tasks, one GET per chunk touched, up to
``min(profile.concurrency, zarr's async.concurrency)`` in flight.
Reductions (resample, climatology, full scan) read every chunk through Dask:
one task per chunk plus the combine tasks of a tree reduction, with ``threads``
requests in flight. With zarr 3 shards, a shard wholly wanted is one GET
(:func:`~advisor.plan.cost.geometry.whole_shards`); a shard read in part costs a GET of
its index, then zarr < 3.3 makes one GET per touched inner chunk, one after another,
and zarr >= 3.3 the few merged ranges of
:func:`~advisor.plan.cost.geometry.coalesced_ranges`, up to 10 at once. Reductions read
whole shards, one task each.

An ``append`` (the one write) is priced per append by :mod:`advisor.plan.cost.appends`; its
columns say what it writes: ``chunks_touched`` the chunks encoded, ``shards_touched`` the
objects written (chunks, or shards), ``bytes_read`` the raw bytes of the filled steps it
rewrites (re-read and new), ``bytes_wanted`` the new steps' raw bytes, so ``amplification``
is its write amplification, ``requests`` its GETs and PUTs, ``tasks`` its Dask tasks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.cost.appends import append_figures
from advisor.plan.cost.flox import FLOX_METHODS, reduction_extra
from advisor.plan.cost.geometry import (
    coalesced_ranges,
    expectations,
    shard_index_bytes,
    whole_shards,
)
from advisor.plan.cost.rates import TERMS, rates
from advisor.plan.engine import large_share
from advisor.plan.patterns import GROUPED, REDUCTIONS, WRITES, Pattern, parse_pattern
from advisor.plan.profile import PRESETS, StorageProfile
from advisor.plan.requests import ZarrReads
from advisor.plan.workflow import FloxMethod

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

__all__ = ["TERMS", "Scores", "rates", "score"]


@dataclass(frozen=True, slots=True)
class Scores:
    """Per candidate (rows) and pattern (columns), the expected figures of one access.

    ``groups_split`` is the share of calendar groups (one day, one month of one
    year, ...) cut by a time-chunk boundary and ``flox_method`` the code of
    flox's method in :data:`FLOX_METHODS`; they are NaN and -1 for patterns
    that do not group.
    """

    chunks_touched: np.ndarray
    bytes_read: np.ndarray
    bytes_wanted: np.ndarray
    amplification: np.ndarray
    requests: np.ndarray
    tasks: np.ndarray
    seconds: np.ndarray
    groups_split: np.ndarray
    flox_method: np.ndarray
    shards_touched: np.ndarray
    """Shards touched per access (the chunks touched when the layout has no shards)."""
    terms: np.ndarray
    """``(candidates, patterns, len(TERMS))``: what multiplies each rate of :func:`rates`;
    ``seconds == terms @ rates(profile)``, which :mod:`advisor.run.calibrate` fits."""

    def method(self, row: int, column: int) -> FloxMethod | None:
        """flox's method for candidate ``row`` and pattern ``column``, or None."""
        code = int(self.flox_method[row, column])
        return FLOX_METHODS[code] if code >= 0 else None


def score(
    schema: Schema,
    candidates: np.ndarray,
    patterns: Sequence[Pattern | str],
    profile: StorageProfile | None = None,
    shards: np.ndarray | None = None,
    reads: ZarrReads | None = None,
) -> Scores:
    """Score every candidate chunk shape (rows of ``candidates``) for every pattern.

    With ``shards`` (one zarr 3 shard shape per candidate, whole multiples of
    its chunk or whole dims) the candidates are the inner chunks: an
    interactive read costs, per shard touched, one request for the shard
    index (:func:`shard_index_bytes`) and then its touched inner chunks (one
    request for the whole shard when every inner chunk of it is wanted): as
    ``reads`` says (default :class:`~advisor.plan.requests.ZarrReads`, zarr 3.1),
    one ranged request per inner chunk in turn, or the merged ranges of
    :func:`~advisor.plan.cost.geometry.coalesced_ranges`. A reduction reads whole
    shards, one Dask task each (the store opened with ``chunks=`` the shards), and
    decodes every inner chunk.

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> cands = np.array([[8760, 10, 10], [24, 121, 161]])
    >>> scores = score(s, cands, ["point-series", "map"])
    >>> scores.chunks_touched.tolist()
    [[1.0, 221.0], [365.0, 1.0]]
    >>> scores.seconds.argmin(axis=0).tolist()
    [0, 1]
    >>> sharded = score(s, np.array([[24, 121, 161]]), ["map"], shards=np.array([[240, 121, 161]]))
    >>> sharded.requests.tolist(), sharded.shards_touched.tolist()
    ([[2.0]], [[1.0]])
    >>> from advisor.plan.requests import zarr_reads
    >>> cube = Schema(("time", "y", "x"), (64, 64, 64), 4)
    >>> one, new = (score(cube, np.array([[8, 8, 8]]), ["map"], shards=np.array([[64, 64, 64]]),
    ...     reads=zarr_reads(v, {})).requests.tolist() for v in ("3.1.6", "3.4.2"))
    >>> one, new  # a map through 8 x 8 x 8 inner chunks: the index and 64 GETs, or 2
    ([[65.0]], [[2.0]])
    """
    profile = PRESETS["local"] if profile is None else profile
    reads = ZarrReads() if reads is None else reads
    parsed = [parse_pattern(p) for p in patterns]
    candidates = np.asarray(candidates, dtype=np.int64)
    if candidates.ndim != 2 or candidates.shape[1] != schema.ndim:
        raise ValueError(f"candidates must be (n, {schema.ndim}), got {candidates.shape}")
    shape = np.array(schema.shape, dtype=np.int64)
    candidates = np.clip(candidates, 1, shape)
    if shards is not None:
        shards = np.clip(np.asarray(shards, dtype=np.int64), candidates, shape)
        if shards.shape != candidates.shape:
            raise ValueError(f"shards must be {candidates.shape} like the candidates")
    n, p = len(candidates), len(parsed)
    out = {
        name: np.zeros((n, p))
        for name in (
            "chunks_touched",
            "bytes_read",
            "bytes_wanted",
            "requests",
            "tasks",
            "seconds",
            "shards_touched",
        )
    }
    groups_split = np.full((n, p), np.nan)
    flox_method = np.full((n, p), -1, dtype=np.int8)
    terms = np.zeros((n, p, len(TERMS)))
    chunk_bytes = np.prod(candidates, axis=1, dtype=np.float64) * schema.itemsize
    if shards is not None:
        per_shard = np.prod(shards // candidates, axis=1, dtype=np.float64)
        index_bytes = shard_index_bytes(per_shard)
        shard_bytes = np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize
    for j, pattern in enumerate(parsed):
        if pattern.kind in WRITES:
            new = pattern.append_steps(schema)
            written = append_figures(schema, candidates, new, profile, shards, reads)
            out["chunks_touched"][:, j] = written.chunks
            out["shards_touched"][:, j] = written.objects
            out["bytes_read"][:, j] = written.bytes_written * profile.compression_ratio
            out["bytes_wanted"][:, j] = written.new_bytes
            out["requests"][:, j] = written.requests
            out["tasks"][:, j] = written.objects
            terms[:, j] = written.terms
            continue
        accesses = pattern.accesses(schema)
        touched, elements = expectations(schema, candidates, accesses)
        bytes_read = elements * schema.itemsize
        out["chunks_touched"][:, j] = touched
        out["bytes_read"][:, j] = bytes_read
        out["bytes_wanted"][:, j] = schema.itemsize * math.prod(a.length for a in accesses)
        reduction = pattern.kind in REDUCTIONS
        in_flight = profile.threads if reduction else min(profile.concurrency, reads.concurrency)
        # Dask reads a block (a chunk, or a whole shard) per task; zarr-python a chunk per request
        block_bytes, blocks, requests = chunk_bytes, touched, touched
        rounds = requests / np.minimum(touched, in_flight)
        fetched = bytes_read / profile.compression_ratio
        if shards is not None:
            shards_hit, _ = expectations(schema, shards, accesses)
            out["shards_touched"][:, j] = shards_hit
            if reduction:
                whole, inside = shards_hit, touched
            else:
                whole, inside = whole_shards(schema, candidates, shards, accesses)
            partial = shards_hit - whole
            fetched = fetched + partial * index_bytes
            waves = shards_hit / np.minimum(shards_hit, in_flight)
            if reads.coalesced and not reduction:
                # a whole shard is one request; part of one, its index then the merged ranges
                per = np.where(partial > 0, (touched - inside) / np.maximum(partial, 1e-300), 1)
                stored_chunk = chunk_bytes / profile.compression_ratio
                pieces, span = coalesced_ranges(
                    per, per_shard, stored_chunk, reads.max_gap_bytes, reads.max_bytes
                )
                requests = whole + partial * (1 + pieces)
                fetched = fetched + partial * (span - per * stored_chunk)
                depth = (whole + partial * (1 + np.ceil(pieces / reads.range_concurrency))) / (
                    shards_hit
                )
                rounds = np.maximum(waves * depth, requests / profile.concurrency)
            else:
                # a whole shard is one request; part of one, its index then each chunk in turn
                requests = shards_hit + touched - inside
                rounds = requests / np.minimum(shards_hit, in_flight)
            if reduction:
                block_bytes, blocks = shard_bytes, shards_hit
        else:
            out["shards_touched"][:, j] = touched
            whole, shards_hit = touched, touched
        if reads.whole_object_requests > 1:  # the client's HEAD before each whole-object GET
            extra = (reads.whole_object_requests - 1) * whole
            requests = requests + extra
            rounds = rounds + extra / np.minimum(np.maximum(shards_hit, 1), in_flight)
        out["requests"][:, j] = requests
        term = terms[:, j]
        term[:, 0] = np.maximum(requests, touched)
        term[:, 1] = rounds
        term[:, 2] = fetched
        # blocks decode in waves of `threads` at once, and no faster than one whole block
        waves = np.ceil(blocks / profile.threads - 1e-9)
        term[:, 3] = np.maximum(waves * bytes_read / blocks, np.minimum(block_bytes, bytes_read))
        if reduction:
            dask_chunks = candidates if shards is None else shards
            if (
                pattern.kind in GROUPED
            ):  # flox's kernels run in the same waves, slower on big blocks
                t = schema.axis_of("time")
                steps = dask_chunks[:, t] if t is not None else np.ones(len(dask_chunks))
                term[:, 7] = term[:, 3] * profile.group_slowdown(steps, block_bytes)
            extra, combined, split, method = reduction_extra(schema, dask_chunks, pattern)
            out["tasks"][:, j] = term[:, 4] = blocks + extra
            term[:, 5] = combined / profile.threads
            term[:, 6] = 1.0
            term[:, 8] = 1.0 if pattern.kind in GROUPED else 0.0
            term[:, 9] = term[:, 3] * large_share(block_bytes)
            groups_split[:, j] = split
            flox_method[:, j] = method
    out["seconds"] = terms @ rates(profile)
    return Scores(
        amplification=out["bytes_read"] / out["bytes_wanted"],
        groups_split=groups_split,
        flox_method=flox_method,
        terms=terms,
        **out,
    )
