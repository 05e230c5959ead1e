"""``advisor codecs``' measurement: sampled chunks of one variable through every candidate codec.

Chunks of the recommended shape are drawn across the whole time axis and at random places
in space (:mod:`advisor.plan.codec_sample`), each cut to a slab of its first time steps,
each stored chunk of the source read once. Every candidate codec round-trips them through
zarr's codec pipeline on one thread (:class:`advisor.run.codec_bench.Bench`). The whole grid
is screened on the first chunk's first bytes; the cheapest few, and the Pareto front near
them, then on every sampled chunk while the budget lasts, which gives the ratio its
bootstrap interval. Lossless round trips are checked bit for bit; a lossy pick is verified
on every sampled chunk (:func:`advisor.plan.lossy_check.check`) and dropped for the best
lossless one if it fails. ``--lossy source`` rounds only to a packing lattice found in the
data (:mod:`advisor.plan.packing`), and its pick must give every sampled value back exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.plan.bitinfo import keepbits as info_keepbits
from advisor.plan.codec_grid import Kind, kind_of, lossless_grid, smaller_dtype, with_keepbits
from advisor.plan.codec_pick import CodecMeasure, Priced, pareto, pick, price
from advisor.plan.codec_sample import SAMPLE_BYTES
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.lossy_check import LossyCheck, check
from advisor.plan.packing import Packing, detect, lattice_keepbits
from advisor.plan.patterns import Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.schema import Schema
from advisor.run.codec_bench import SCREEN, Bench, sample_chunks
from advisor.store.codec_roundtrip import one_thread

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

REFINED = 6
"""How many of the cheapest screened candidates are measured on every chunk."""

FRONT_SLACK = 1.25
"""Pareto-front codecs are refined too when their screened objective is within this factor
of the cheapest's (the far ends of the front cannot be the pick; they stay screened)."""

FIRST_SHARE = 0.5
"""The share of the budget the screen may take; the rest refines."""

LOSSY_GAIN = 0.02
"""A lossy pick must cost this share less than the best lossless one, else lossless wins
(``--lossy source`` loses nothing relative to the source: any gain counts)."""

MANTISSA_BITS = {2: 10, 4: 23, 8: 52}
"""Mantissa bits of float16, float32 and float64 (by itemsize)."""

LossyMode = Literal["none", "information", "source"]
LossyDecision = Literal[
    "lossless",
    "lossy",
    "lossy-failed-check",
    "lossy-no-gain",
    "not-rounded",
    "not-packed",
    "source-lattice",
    "on-lattice",
]
"""``on-lattice``: the source's values already sit exactly on the packing lattice (BitRound at
its bits changes no bit), so the lossless pick keeps the lattice as it is."""


@dataclass(frozen=True, slots=True)
class DtypeAdvice:
    """A smaller dtype the (picked) values fit exactly, verified on the sample."""

    source: str
    dtype: str
    ratio: float
    """The source dtype's bytes over the stored bytes of the pick's compressor on the cast."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"verified": "exact on every sampled value"}


@dataclass(frozen=True, slots=True)
class Exhaustive:
    """The goal figure: the budgeted pick against the best of the whole grid, one measurement."""

    best: str
    best_objective: float
    budgeted: str
    budgeted_objective: float

    @property
    def gap(self) -> float:
        return self.budgeted_objective / self.best_objective - 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"gap": self.gap}


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
    packing: Packing | None = None
    dtype: DtypeAdvice | None = None
    exhaustive: Exhaustive | None = None
    sample_shape: tuple[int, ...] = ()


def _screen(bench: Bench, grid: Sequence[CodecSpec], start: float, seconds: float, every: bool):
    first: dict[str, CodecMeasure] = {}
    fastest = {(s.family, s.cname, s.shuffle): s for s in reversed(grid)}.values()
    for spec in sorted(grid, key=lambda s: s.clevel or 0):  # every family's fast level first
        late = time.perf_counter() - start > FIRST_SHARE * seconds
        if not every and late and spec not in fastest:  # each family is met once
            logger.debug("codecs budget: %s and slower levels left out", spec)
            continue
        first[str(spec)] = bench.measure(spec, SCREEN)
    return first


def _order(first: dict[str, CodecMeasure], priced: list[Priced]) -> tuple[list[str], set[str]]:
    """The codecs to refine, cheapest first, and those refined whatever the budget."""
    ranked = sorted(priced, key=lambda p: p.objective)
    cheapest = [p.measure.codec for p in ranked]
    best = ranked[0].objective
    objective = {p.measure.codec: p.objective for p in ranked}
    near = [c for c in pareto(list(first.values())) if objective[c] <= FRONT_SLACK * best]
    refine = sorted(dict.fromkeys([*cheapest[:REFINED], *near]), key=cheapest.index)
    lossless_first = next(c for c in cheapest if "+" not in c)
    lossy_first = next((c for c in cheapest if "+" in c), lossless_first)
    sure = {lossless_first, lossy_first}  # the pick compares them
    return list(dict.fromkeys([lossless_first, lossy_first, *refine])), sure


def _keepbits(
    lossy: LossyMode, level: float, kind: Kind, sampled: list[np.ndarray], itemsize: int
) -> tuple[int | None, Packing | None]:
    if kind != "float" or lossy == "none":
        return None, None
    if lossy == "information":
        return max(info_keepbits(x, level) for x in sampled), None
    fields = [x[i] for x in sampled for i in range(x.shape[0])]
    packing = detect(fields, MANTISSA_BITS[itemsize])
    return (None, None) if packing is None else (lattice_keepbits(fields), packing)


def measure_variable(
    da: xr.DataArray,
    schema: Schema,
    chunks: tuple[int, ...],
    patterns: Sequence[Pattern | str],
    profile: StorageProfile,
    *,
    lossy: LossyMode = "none",
    lossy_level: float = 0.99,
    seconds: float = 10.0,
    count: int = 8,
    zarr_format: ZarrFormat = 3,
    exhaustive: bool = False,
    sample_bytes: int | None = SAMPLE_BYTES,
) -> VariableCodecs:
    """Measure, price and pick the codec of ``da`` stored in ``chunks`` (see the module)."""
    began = time.perf_counter()
    sampled = [x for _, x in sample_chunks(da, chunks, count, max_bytes=sample_bytes)]
    start = time.perf_counter()  # the budget is for measuring, reading the sample aside
    values = np.concatenate([x.ravel() for x in sampled])
    kind = kind_of(da.dtype, values)
    keep, packing = _keepbits(lossy, lossy_level, kind, sampled, da.dtype.itemsize)
    bench = Bench(sampled, zarr_format)
    grid = lossless_grid(da.dtype.itemsize, zarr_format)
    with one_thread():
        first = _screen(bench, grid, start, seconds, exhaustive)
        if keep is not None:  # the filter in front of the front and of the cheapest few
            ranked = price(list(first.values()), schema, chunks, patterns, profile)
            cheap = [p.measure.codec for p in sorted(ranked, key=lambda p: p.objective)]
            named = dict.fromkeys([*pareto(list(first.values())), *cheap[:REFINED]])
            bases = tuple(dict.fromkeys([*map(CodecSpec.parse, named), DEFAULT_CODEC]))
            for s in with_keepbits(bases, keep):
                first[str(s)] = bench.measure(s, SCREEN)
        screened = price(list(first.values()), schema, chunks, patterns, profile)
        order, sure = _order(first, screened)
        measured = dict(first)
        for codec in order:
            if not exhaustive and codec not in sure and time.perf_counter() - start > seconds:
                logger.debug("codecs budget of %.0f s spent: %s left screened", seconds, codec)
                break
            measured[codec] = bench.measure(CodecSpec.parse(codec))
        refined = [c for c in order if measured[c].chunks == len(sampled)]
        audit = None
        if exhaustive:  # the whole grid on every chunk, the default's refined few among them
            measured = {c: bench.measure(CodecSpec.parse(c)) for c in first}
            every = price(list(measured.values()), schema, chunks, patterns, profile)
            best_all = pick(every)
            budgeted = pick([p for p in every if p.measure.codec in refined])
            audit = Exhaustive(
                best_all.measure.codec,
                best_all.objective,
                budgeted.measure.codec,
                budgeted.objective,
            )
        priced = price(list(measured.values()), schema, chunks, patterns, profile)
        most = max(p.measure.chunks for p in priced)  # the pick's ratio has its interval
        best = pick([p for p in priced if p.measure.chunks == most])
        check_figures: LossyCheck | None = None
        failed = no_gain = False
        if CodecSpec.parse(best.measure.codec).keepbits is not None:
            decoded = bench.decoded(CodecSpec.parse(best.measure.codec))
            check_figures = check(values, decoded, keep or 0)
            lossless = [p for p in priced if "+" not in p.measure.codec]
            plain = pick([p for p in lossless if p.measure.chunks == most] or lossless)
            exact = lossy != "source" or check_figures.max_abs_error == 0
            failed = not (check_figures.ok and exact)
            gain = 0.0 if lossy == "source" else LOSSY_GAIN
            no_gain = best.objective > (1 - gain) * plain.objective
            if failed or no_gain:  # the lossless pick, its figures: lossy stays None
                best, check_figures = plain, None
        dtype = _dtype(da.dtype, bench, best, check_figures is not None)
        on_lattice = keep is not None and packing is not None and _unchanged(bench, keep, values)
    decision = _decision(lossy, kind, packing, failed, no_gain, best.measure.codec)
    if on_lattice and decision == "lossy-no-gain":
        decision = "on-lattice"
    logger.debug("codecs %s: %s (%s)", da.name, best.measure.codec, decision)
    return VariableCodecs(
        name=str(da.name),
        kind=kind,
        chunks=tuple(chunks),
        keepbits=keep,
        smaller_dtype=None if dtype is None else dtype.dtype,
        priced=tuple(priced),
        pareto=tuple(pareto([p.measure for p in priced])),
        pick=best,
        lossy=check_figures,
        decision=decision,
        chunks_sampled=len(sampled),
        read_seconds=start - began,
        packing=packing,
        dtype=dtype,
        exhaustive=audit,
        sample_shape=tuple(sampled[0].shape),
    )


def _dtype(source: np.dtype, bench: Bench, best: Priced, lossy: bool) -> DtypeAdvice | None:
    """A smaller dtype the pick's values fit exactly (a lossy pick's decoded values: the cast
    loses nothing the pick kept), verified on every sampled value, with the pick's compressor
    measured on the cast."""
    spec = CodecSpec.parse(best.measure.codec)
    kept = _split(bench.decoded(spec), bench.samples) if lossy else bench.samples
    small = smaller_dtype(source, np.concatenate([k.ravel() for k in kept]))
    if small is None:
        return None
    cast = [k.astype(small) for k in kept]
    if not all(
        np.array_equal(c.astype(source), k, equal_nan=True)
        for c, k in zip(cast, kept, strict=False)
    ):
        logger.debug("codecs: %s is not exact on every sampled value", small)
        return None
    plain = CodecSpec(spec.family, spec.cname, spec.clevel, spec.shuffle)
    if plain.family == "pcodec" and np.dtype(small).itemsize == 1:  # PCodec refuses bytes
        plain = CodecSpec("blosc", "zstd", 3, "bitshuffle")
    narrow = Bench(cast, bench.zarr_format)
    stored = sum(narrow.trip(plain, i).stored for i in range(len(cast)))
    raw = sum(x.nbytes for x in bench.samples)
    logger.debug("codecs: the values fit %s exactly", small)
    return DtypeAdvice(str(source), small, raw / stored)


def _unchanged(bench: Bench, keep: int, values: np.ndarray) -> bool:
    """Does BitRound at ``keep`` bits leave every sampled value as it is?"""
    rounded = bench.decoded(with_keepbits((CodecSpec("none", None, None, None),), keep)[0])
    return bool(np.array_equal(rounded, values, equal_nan=True))


def _split(flat: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    out, at = [], 0
    for x in like:
        out.append(flat[at : at + x.size].reshape(x.shape))
        at += x.size
    return out


def _decision(
    lossy: LossyMode,
    kind: Kind,
    packing: Packing | None,
    failed: bool,
    no_gain: bool,
    codec: str,
) -> LossyDecision:
    decision: LossyDecision
    if lossy == "none":
        decision = "lossless"
    elif kind != "float":
        decision = "not-rounded"
    elif lossy == "source" and packing is None:
        decision = "not-packed"
    elif failed:
        decision = "lossy-failed-check"
    elif no_gain or "+" not in codec:  # the rounded candidates cost more than a lossless one
        decision = "lossy-no-gain"
    else:
        decision = "source-lattice" if lossy == "source" else "lossy"
    return decision
