"""The sampled chunks of one variable and every round trip made on them, measured once.

``advisor codecs`` screens the whole grid on a small screen (two sampled chunks' first
bytes) and refines the promising codecs on every sampled chunk. A :class:`Bench` holds the
chunks and keeps each round trip's figures, so a codec asked twice is measured once and the
exhaustive run and the budgeted pick it is compared with share one measurement. Each
round trip's decode is timed twice, the faster counting (:data:`DECODE_REPEATS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.codec_pick import CodecMeasure
from advisor.plan.codec_sample import SAMPLE_BYTES, sample_boxes
from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.lossy_check import ratio_interval
from advisor.store.codec_roundtrip import round_trip
from advisor.store.sample_reads import read_boxes

if TYPE_CHECKING:
    import xarray as xr

SCREEN_BYTES = 200_000
"""Each screen slab: a sampled chunk's first time steps, at most this many bytes."""

SCREEN = (-1, -2)
"""The indices of the two screen slabs among the chunks a :class:`Bench` measures on: cut
from the first sampled chunk and from the middle one (another season)."""

DECODE_REPEATS = 2
"""Decodes timed per round trip, the fastest counts: a busy machine's hiccups left out."""


@dataclass(frozen=True, slots=True)
class Trip:
    """One round trip's figures: raw and stored bytes, encode and decode seconds."""

    raw: int
    stored: int
    encode: float
    decode: float


@dataclass
class Bench:
    """Sampled chunks, the screen cut from the first, and the round trips measured on them."""

    samples: list[np.ndarray]
    zarr_format: ZarrFormat = 3
    screen_bytes: int = SCREEN_BYTES
    trips: dict[tuple[str, int], Trip] = field(default_factory=dict)

    def chunk(self, index: int) -> np.ndarray:
        """Sampled chunk ``index``, or a screen slab (a negative index: :data:`SCREEN`)."""
        if index >= 0:
            return self.samples[index]
        whole = self.samples[0 if index == SCREEN[0] else len(self.samples) // 2]
        return whole[: max(1, self.screen_bytes // max(1, whole[:1].nbytes))]

    def trip(self, spec: CodecSpec, index: int) -> Trip:
        """The round trip of ``spec`` on chunk ``index`` (negative: a screen slab)."""
        key = (str(spec), index)
        if key not in self.trips:
            chunk = self.chunk(index)
            rt = round_trip(chunk, spec, self.zarr_format, decodes=DECODE_REPEATS)
            if spec.keepbits is None and not np.array_equal(rt.decoded, chunk, equal_nan=True):
                raise RuntimeError(f"lossless codec {spec} changed the values")  # a library bug
            self.trips[key] = Trip(
                chunk.nbytes, rt.stored_bytes, rt.encode_seconds, rt.decode_seconds
            )
        return self.trips[key]

    def measure(self, spec: CodecSpec, indices: Sequence[int] | None = None) -> CodecMeasure:
        """``spec`` measured on ``indices`` (default: every sampled chunk), its ratio's interval;
        its ``chunks`` counts the whole sampled chunks (0: the screen slabs only)."""
        chosen = range(len(self.samples)) if indices is None else indices
        trips = [self.trip(spec, i) for i in chosen]
        raw = np.array([t.raw for t in trips], dtype=np.float64)
        stored = np.array([t.stored for t in trips], dtype=np.float64)
        ratio, low, high = ratio_interval(raw, stored)
        total = float(raw.sum())
        enc = max(sum(t.encode for t in trips), 1e-9)
        dec = max(sum(t.decode for t in trips), 1e-9)
        whole = sum(1 for i in chosen if i >= 0)  # 0: screened on the slabs only
        return CodecMeasure(str(spec), ratio, low, high, total / enc, total / dec, whole)

    def decoded(self, spec: CodecSpec) -> np.ndarray:
        """Every sampled value after a round trip through ``spec``, raveled (for the checks)."""
        return np.concatenate(
            [round_trip(x, spec, self.zarr_format).decoded.ravel() for x in self.samples]
        )


def sample_chunks(
    da: xr.DataArray,
    chunks: Sequence[int],
    count: int,
    seed: int = 0,
    max_bytes: int | None = SAMPLE_BYTES,
) -> list[tuple[tuple[slice, ...], np.ndarray]]:
    """The boxes of :func:`~advisor.plan.codec_sample.sample_boxes` and their values, each
    stored chunk of the source read once (:func:`advisor.store.sample_reads.read_boxes`)."""
    boxes = sample_boxes(da.shape, chunks, count, da.dtype.itemsize, seed, max_bytes)
    return list(zip(boxes, read_boxes(da, boxes), strict=True))
