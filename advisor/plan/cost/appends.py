"""Appends: what one append of new time steps costs each candidate layout, in closed form.

An append brings ``new`` steps of every variable, a full field each, to the end of time. The
stored *block* is the time extent of what zarr writes whole (the chunk, or with zarr 3 shards
the shard); the codec's *unit* the time extent it encodes (the chunk, or the inner chunk).
With ``r = length % block`` already stored in the trailing block, one append, exactly as
zarr 3.1 writes (:mod:`advisor.plan.arrivals`), per variable:

- time blocks written ``W = ceil((r + new) / block)`` (:func:`~advisor.plan.arrivals.blocks_written`),
  objects written (chunks or shards) ``W`` times the spatial blocks;
- GETs: the trailing partial block when ``r > 0`` (unsharded), every shard written (sharded),
  times the spatial blocks; bytes read back: the ``r`` stored steps;
- bytes written (stored): the filled ``r + new`` steps over the compression ratio (the
  fill-value padding of a partial block compresses to almost nothing);
- raw bytes encoded: every unit the new steps touch, whole and padded; decoded: the trailing
  partial unit, whole;
- PUTs: every object written, plus one metadata document per variable and the group's.

Averaged over the steady cycle of appends (the residue ``r`` visits ``phase % g + k * g``,
``g = gcd(new, block)``, ``phase = length % block``): every figure is a sum of floors over an
arithmetic progression, evaluated by :func:`~advisor.plan.cost.geometry.floor_sum`.

Seconds, through the profile's rates (:data:`~advisor.plan.cost.scores.TERMS`, unchanged):
requests times the request overhead; GETs, then PUTs, then the metadata documents one after
another, ``min(concurrency, zarr's)`` in flight, times the latency; stored bytes moved over the
bandwidth; decoding plus encoding in waves of ``threads`` objects, the encoding carried by the
decode rate as ``raw encoded * decode_speed / encode_speed`` (the profile's speeds for its
codec), so a calibration that rescales the decode speed rescales the encode with it; one Dask
task per object written and one computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.cost.geometry import floor_sum
from advisor.plan.cost.rates import TERMS, rates
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import ZarrReads

if TYPE_CHECKING:
    from advisor.plan.schema import Schema


@dataclass(frozen=True, slots=True)
class AppendFigures:
    """Per candidate, the cycle-mean figures of one append (every variable together)."""

    time_blocks: np.ndarray
    """Time blocks (chunks or shards along time) written."""
    objects: np.ndarray
    """Stored objects rewritten or written: chunks, or shards when sharded."""
    chunks: np.ndarray
    """Chunks encoded (the inner chunks when sharded)."""
    gets: np.ndarray
    puts: np.ndarray
    """PUTs of the objects and the metadata documents."""
    bytes_read: np.ndarray
    """Stored bytes fetched back (the trailing partial blocks)."""
    bytes_written: np.ndarray
    """Stored (compressed) bytes written."""
    new_bytes: np.ndarray
    """Raw bytes of the new steps."""
    stored_new: np.ndarray
    """Stored bytes of the new steps."""
    raw_encoded: np.ndarray
    """Raw bytes encoded: the units touched, whole and padded."""
    raw_decoded: np.ndarray
    """Raw bytes decoded: the trailing partial units, whole."""
    seconds: np.ndarray
    terms: np.ndarray
    """``(candidates, len(TERMS))``: ``seconds == terms @ rates(profile)``."""

    @property
    def requests(self) -> np.ndarray:
        return self.gets + self.puts

    @property
    def amplification(self) -> np.ndarray:
        """Stored bytes written over the new steps' stored bytes: ``(mean r + new) / new``."""
        return self.bytes_written / self.stored_new


def cycle_sums(
    new: int, block: np.ndarray, unit: np.ndarray, phase: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per row, cycle means of: blocks written, steps re-read, appends with a partial trailing
    block, units encoded, units decoded.

    Examples
    --------
    >>> [x.tolist() for x in cycle_sums(1, np.array([744]), np.array([744]), np.array([0]))]
    [[1.0], [371.5], [0.9986559139784946], [1.0], [0.9986559139784946]]
    """
    b = np.asarray(block, dtype=np.int64)
    u = np.asarray(unit, dtype=np.int64)
    g = np.gcd(new, b)
    p = np.asarray(phase, dtype=np.int64) % g
    m = b // g
    written = floor_sum(m, b, g, p + new + b - 1)
    reread = m * p + g * m * (m - 1) // 2
    partial = m - (p == 0)
    units = floor_sum(m, u, g, p + new + u - 1) - floor_sum(m, u, g, p)
    decoded = floor_sum(m, u, g, p + u - 1) - floor_sum(m, u, g, p)
    return tuple(np.asarray(x, dtype=float) / m for x in (written, reread, partial, units, decoded))


def append_figures(
    schema: Schema,
    candidates: np.ndarray,
    new: int,
    profile: StorageProfile,
    shards: np.ndarray | None = None,
    reads: ZarrReads | None = None,
    phase: np.ndarray | int | None = None,
) -> AppendFigures:
    """The cycle-mean cost of appending ``new`` steps to each candidate layout.

    ``phase`` is the store's steps into its trailing block (default: the schema's time length
    modulo each candidate's block).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> f = append_figures(s, np.array([[744, 121, 161], [24, 121, 161]]), 1, StorageProfile())
    >>> f.amplification.round(1).tolist(), f.objects.tolist(), f.gets.round(3).tolist()
    ([372.5, 12.5], [1.0, 1.0], [0.999, 0.958])
    """
    reads = ZarrReads() if reads is None else reads
    t = schema.axis_of("time")
    assert t is not None, "an append needs a time dim (Pattern.accesses checks it)"
    shape = np.array(schema.shape, dtype=np.int64)
    chunks = np.clip(np.asarray(candidates, dtype=np.int64), 1, shape)
    stored = (
        chunks if shards is None else np.clip(np.asarray(shards, dtype=np.int64), chunks, shape)
    )
    block, unit = stored[:, t], chunks[:, t]
    here = phase if phase is not None else schema.shape[t] % block
    written, reread, partial, units, decoded = cycle_sums(new, block, unit, np.asarray(here))
    space = [d for d in range(schema.ndim) if d != t]
    variables = max(1, len(schema.variables))
    per_object = np.prod(-(-shape[space] // stored[:, space]), axis=1, dtype=np.float64)
    per_chunk = np.prod(-(-shape[space] // chunks[:, space]), axis=1, dtype=np.float64)
    field = float(np.prod(shape[space], dtype=np.float64)) * schema.itemsize * variables
    padded = per_chunk * np.prod(chunks[:, space], axis=1, dtype=np.float64)
    padded = padded * schema.itemsize * variables
    objects = written * per_object * variables
    gets = (written if shards is not None else partial) * per_object * variables
    metadata = variables + 1.0
    ratio = profile.compression_ratio
    raw_encoded = units * unit * padded
    raw_decoded = decoded * unit * padded
    in_flight = min(profile.concurrency, reads.concurrency)
    terms = np.zeros((len(chunks), len(TERMS)))
    terms[:, 0] = gets + objects + metadata
    terms[:, 1] = (
        np.divide(gets, np.minimum(gets, in_flight), out=np.zeros_like(gets), where=gets > 0)
        + objects / np.minimum(objects, in_flight)
        + metadata
    )
    terms[:, 2] = (2 * reread + new) * field / ratio
    work = raw_decoded + raw_encoded * profile.decode_speed / profile.encode_speed
    terms[:, 3] = np.ceil(objects / profile.threads - 1e-9) * work / objects
    terms[:, 4] = objects
    terms[:, 6] = 1.0
    return AppendFigures(
        time_blocks=written,
        objects=objects,
        chunks=units * per_chunk * variables,
        gets=gets,
        puts=objects + metadata,
        bytes_read=reread * field / ratio,
        bytes_written=(reread + new) * field / ratio,
        new_bytes=np.full(len(chunks), new * field),
        stored_new=np.full(len(chunks), new * field / ratio),
        raw_encoded=raw_encoded,
        raw_decoded=raw_decoded,
        seconds=terms @ rates(profile),
        terms=terms,
    )
