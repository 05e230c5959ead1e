"""``advisor codecs``' measurement: sampled chunks of one variable through every candidate codec.

Chunks of the recommended shape are drawn across the whole time axis (evenly spread
starts, so every season and hour of the day is met) and at random places in space; each
candidate codec round-trips them through zarr's codec pipeline on one thread
(:func:`advisor.store.codec_roundtrip.round_trip`). The whole grid is measured on the
first chunk; the Pareto front and the cheapest few then on every sampled chunk while the
budget lasts, which gives the ratio its bootstrap interval. Lossless round trips are
checked bit for bit; a lossy pick is verified on every sampled chunk
(:func:`advisor.plan.lossy_check.check`) and dropped for the best lossless one if it fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from advisor.plan.bitinfo import keepbits as info_keepbits
from advisor.plan.codec_grid import Kind, kind_of, lossless_grid, smaller_dtype, with_keepbits
from advisor.plan.codec_pick import CodecMeasure, Priced, pareto, pick, price
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.lossy_check import LossyCheck, check, ratio_interval
from advisor.plan.patterns import Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.schema import Schema
from advisor.store.codec_roundtrip import one_thread, round_trip

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

REFINED = 6
"""Besides the Pareto front, how many of the cheapest candidates are measured on every chunk."""

FIRST_SHARE = 0.6
"""The share of the budget the whole grid may take on the first chunk; the rest refines."""

LOSSY_GAIN = 0.02
"""A lossy pick must cost this share less than the best lossless one, else lossless wins."""

LossyDecision = Literal["lossless", "lossy", "lossy-failed-check", "lossy-no-gain", "not-rounded"]


@dataclass(frozen=True, slots=True)
class VariableCodecs:
    """One variable's measured candidates, front and pick."""

    name: str
    kind: Kind
    chunks: tuple[int, ...]
    keepbits: int | None
    smaller_dtype: str | None
    priced: tuple[Priced, ...]
    pareto: tuple[str, ...]
    pick: Priced
    lossy: LossyCheck | None
    decision: LossyDecision
    chunks_sampled: int
    read_seconds: float = 0.0
    """Seconds spent reading the sampled chunks from the source (outside the budget)."""


def sample_chunks(
    da: xr.DataArray, chunks: Sequence[int], count: int, seed: int = 0
) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """``count`` whole chunks of ``chunks`` shape (aligned on the chunk grid): starts along
    the first dim (time) spread evenly over it, the other dims' chunk drawn at random."""
    rng = np.random.default_rng(seed)
    grid = [max(1, -(-size // c)) for size, c in zip(da.shape, chunks, strict=True)]
    lead = np.unique(np.linspace(0, grid[0] - 1, count).round().astype(int))
    out = []
    for k, i0 in enumerate(np.resize(lead, count)):
        index = (int(i0), *(int(rng.integers(0, g)) for g in grid[1:]))
        if k >= len(lead):
            index = tuple(int(rng.integers(0, g)) for g in grid)
        where = {
            d: slice(i * c, (i + 1) * c) for d, i, c in zip(da.dims, index, chunks, strict=True)
        }
        out.append((index, np.ascontiguousarray(da.isel(where).values)))
    return out


def _measure(
    spec: CodecSpec, samples: list[np.ndarray], zarr_format: ZarrFormat
) -> tuple[CodecMeasure, list[np.ndarray]]:
    raw, stored, enc, dec, decoded = [], [], 0.0, 0.0, []
    for chunk in samples:
        rt = round_trip(chunk, spec, zarr_format)
        if spec.keepbits is None and not np.array_equal(rt.decoded, chunk, equal_nan=True):
            raise RuntimeError(f"lossless codec {spec} changed the values")  # a library bug
        raw.append(chunk.nbytes)
        stored.append(rt.stored_bytes)
        enc += rt.encode_seconds
        dec += rt.decode_seconds
        decoded.append(rt.decoded)
    ratio, low, high = ratio_interval(np.array(raw), np.array(stored))
    total = float(sum(raw))
    measure = CodecMeasure(str(spec), ratio, low, high, total / enc, total / dec, len(samples))
    return measure, decoded


def measure_variable(
    da: xr.DataArray,
    schema: Schema,
    chunks: tuple[int, ...],
    patterns: Sequence[Pattern | str],
    profile: StorageProfile,
    *,
    lossy_level: float | None = None,
    seconds: float = 20.0,
    count: int = 8,
    zarr_format: ZarrFormat = 3,
    exhaustive: bool = False,
) -> VariableCodecs:
    """Measure, price and pick the codec of ``da`` stored in ``chunks`` (see the module)."""
    began = time.perf_counter()
    sampled = [x for _, x in sample_chunks(da, chunks, count)]
    start = time.perf_counter()  # the budget is for measuring, reading the sample aside
    values = np.concatenate([x.ravel() for x in sampled])
    kind = kind_of(da.dtype, values)
    keep = None
    if lossy_level is not None and kind == "float":
        keep = max(info_keepbits(x, lossy_level) for x in sampled)
    grid = lossless_grid(da.dtype.itemsize, zarr_format)
    with one_thread():
        first: dict[str, CodecMeasure] = {}
        fastest = {(s.family, s.cname, s.shuffle): s for s in reversed(grid)}.values()
        for spec in sorted(grid, key=lambda s: s.clevel or 0):  # every family's fast level first
            late = time.perf_counter() - start > FIRST_SHARE * seconds
            if not exhaustive and late and spec not in fastest:  # each family is met once
                logger.debug("codecs budget: %s and slower levels left out", spec)
                continue
            first[str(spec)] = _measure(spec, sampled[:1], zarr_format)[0]
        if keep is not None:
            front = [CodecSpec.parse(c) for c in pareto(list(first.values()))]
            for s in with_keepbits(tuple(dict.fromkeys([*front, DEFAULT_CODEC])), keep):
                first[str(s)] = _measure(s, sampled[:1], zarr_format)[0]
        priced = price(list(first.values()), schema, chunks, patterns, profile)
        cheapest = [p.measure.codec for p in sorted(priced, key=lambda p: p.objective)]
        refine = (
            list(first)
            if exhaustive
            else list(dict.fromkeys([*pareto(list(first.values())), *cheapest[:REFINED]]))
        )
        measured = dict(first)
        lossless_first = next(c for c in cheapest if "+" not in c)
        lossy_first = next((c for c in cheapest if "+" in c), lossless_first)
        sure = {lossless_first, lossy_first}  # refined whatever the budget: the pick compares them
        order = [*dict.fromkeys([lossless_first, lossy_first, *sorted(refine, key=cheapest.index)])]
        for codec in order:
            if not exhaustive and codec not in sure and time.perf_counter() - start > seconds:
                logger.debug(
                    "codecs budget of %.0f s spent: %s refined on one chunk", seconds, codec
                )
                break
            measured[codec] = _measure(CodecSpec.parse(codec), sampled, zarr_format)[0]
        priced = price(list(measured.values()), schema, chunks, patterns, profile)
        most = max(p.measure.chunks for p in priced)  # the pick's ratio has its interval
        best = pick([p for p in priced if p.measure.chunks == most])
        lossy: LossyCheck | None = None
        failed = no_gain = False
        if CodecSpec.parse(best.measure.codec).keepbits is not None:
            _, decoded = _measure(CodecSpec.parse(best.measure.codec), sampled, zarr_format)
            lossy = check(values, np.concatenate([d.ravel() for d in decoded]), keep or 0)
            lossless = [p for p in priced if "+" not in p.measure.codec]
            plain = pick([p for p in lossless if p.measure.chunks == most] or lossless)
            failed = not lossy.ok
            no_gain = best.objective > (1 - LOSSY_GAIN) * plain.objective
            if failed or no_gain:  # the lossless pick, its figures: lossy stays None
                best, lossy = plain, None
    decision: LossyDecision = (
        "lossless"
        if lossy_level is None
        else "not-rounded"
        if kind != "float"
        else "lossy-failed-check"
        if failed
        else "lossy-no-gain"
        if no_gain
        else "lossy"
        if "+" in best.measure.codec
        else "lossless"
    )
    logger.debug("codecs %s: %s (%s)", da.name, best.measure.codec, decision)
    return VariableCodecs(
        name=str(da.name),
        kind=kind,
        chunks=tuple(chunks),
        keepbits=keep,
        smaller_dtype=smaller_dtype(da.dtype, values),
        priced=tuple(priced),
        pareto=tuple(pareto([p.measure for p in priced])),
        pick=best,
        lossy=lossy,
        decision=decision,
        chunks_sampled=len(sampled),
        read_seconds=start - began,
    )
