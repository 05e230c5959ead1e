"""The policy's entry point: pick the chunk shape that serves the access patterns best within
the constraints, for a :class:`~advisor.plan.schema.Schema` and a
:class:`~advisor.plan.profile.StorageProfile` (pure: no file is read).

The public :func:`advisor.api.recommend.recommend` resolves a store path, a catalog entry,
a Dataset and a profile name or file first, then calls :func:`recommend`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from advisor.plan.candidates import MAX_CANDIDATES
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.plan.engine import Engine, for_engine
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import GROUPED, Pattern, parse_pattern
from advisor.plan.policy.appends import append_advice
from advisor.plan.policy.band import (
    MAX_SIZE,
    MIN_SIZE,
    SAFETY,
    Binding,
    binding_of,
    binding_sentence,
    requested_band,
    size_band,
    size_option,
)
from advisor.plan.policy.beyond import beyond_band
from advisor.plan.policy.copies import two_copies
from advisor.plan.policy.pricing import request_costs
from advisor.plan.policy.results import Layout, Recommendation
from advisor.plan.policy.search import Search, search
from advisor.plan.policy.sharded import shard_note
from advisor.plan.profile import BUILT_IN, PRESETS, StorageProfile
from advisor.plan.rechunk import RechunkCost, rechunk_cost
from advisor.plan.references import REFERENCE_LABELS, reference_chunks
from advisor.plan.requests import (
    GET_PRICE_PER_1000,
    PUT_PRICE_PER_1000,
    ZarrReads,
    is_object_store,
    price_option,
)
from advisor.plan.schema import Schema
from advisor.plan.units import human_readable_size

logger = logging.getLogger(__name__)

DEFAULT_PATTERNS: tuple[str, ...] = ("point-series", "map", "ml-batch")
"""The workflow's interactive mix: a point's series, a map, ML patches."""


def recommend(
    schema: Schema,
    patterns: Sequence[Pattern | str] = DEFAULT_PATTERNS,
    *,
    min_size: float | str = MIN_SIZE,
    max_size: float | str = MAX_SIZE,
    profile: StorageProfile | None = None,
    profile_origin: str = BUILT_IN,
    worker_memory: float | str | None = None,
    threads_per_worker: int | None = None,
    safety: float = SAFETY,
    codec: CodecSpec = DEFAULT_CODEC,
    max_candidates: int = MAX_CANDIDATES,
    shards: bool = False,
    top: int = 0,
    reads: ZarrReads | None = None,
    get_price: float | None = None,
    put_price: float | None = None,
    engine: Engine | None = None,
) -> Recommendation:
    """Recommend a chunk shape for ``schema`` read by ``patterns``.

    Parameters
    ----------
    schema
        The array's dims, shape, dtype (and current chunks, time step, start).
    patterns
        :class:`Pattern` values or strings like ``"ml-batch:time=32@2"``.
    min_size, max_size
        The chunk-size band in bytes (or ``"10MB"``-style strings); with
        ``shards``, the band of the shards.
    profile, profile_origin
        The storage profile (default: the built-in local defaults) and a phrase
        saying where it came from. Its figures for ``codec`` are used when measured.
    worker_memory, threads_per_worker, safety
        Chunks (shards) must satisfy ``chunk * threads * safety <= worker_memory``.
    shards
        Co-design zarr 3 shards in the band with inner chunks sized for the reads.
    top
        Also return the next ``top`` best layouts in the band.
    reads
        How the zarr-python that reads the copy makes its requests (default:
        :class:`~advisor.plan.requests.ZarrReads`, zarr 3.1; the api passes the
        installed zarr's). With ``shards``, zarr < 3.3 reads a shard's inner chunks one
        GET at a time, so on an object store shards seldom pay for maps and series.
    get_price, put_price
        US dollars per 1,000 GETs and PUTs (default: S3's list prices); the request
        costs are priced only when ``profile`` is an object store.
    engine
        The Dask engine the reductions (full-scan, resample, climatology) run on:
        ``threads``, ``processes`` or ``scheduler`` (default: the profile's own, else
        ``processes``); :func:`advisor.plan.engine.for_engine` gives its constants, measured
        or built-in, and :attr:`Recommendation.engine` says which.

    Examples
    --------
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> rec = recommend(s, ["point-series"])
    >>> rec.chunks["time"], 10e6 <= rec.chunk_bytes <= 100e6
    (8760, True)
    >>> sharded = recommend(s, ["ml-batch"], shards=True)
    >>> sharded.chunk_bytes < 10e6 <= math.prod(sharded.shards.values()) * 4 <= 100e6
    True
    >>> rec.request_costs is None, rec.costs[0].requests  # a local disk bills no request
    (True, 1.0)
    """
    parsed = tuple(parse_pattern(p) for p in patterns)
    if not parsed:
        raise AdvisorError("no access pattern given: add e.g. --pattern point-series")
    low, high = requested_band(min_size, max_size)
    engine_choice = for_engine(PRESETS["local"] if profile is None else profile, engine)
    prof = _profile(engine_choice.profile, codec, threads_per_worker)
    if not safety > 0:
        raise AdvisorError(f"safety factor {safety} must be positive")
    if top < 0:
        raise AdvisorError(f"--top {top}: give 0 or more layouts")
    reads = ZarrReads() if reads is None else reads
    gets = price_option(get_price, GET_PRICE_PER_1000, "--price-per-1000-gets")
    puts = price_option(put_price, PUT_PRICE_PER_1000, "--price-per-1000-puts")
    memory = size_option(worker_memory, "--worker-memory") if worker_memory is not None else None
    for pattern in parsed:
        pattern.accesses(schema)  # checks the pattern against the dims before any work
    band = size_band(schema, low, high, memory, prof.threads, safety)
    notes = [*_schema_notes(schema, parsed), *band.notes]
    references = {REFERENCE_LABELS[k]: v for k, v in reference_chunks(schema).items()}
    found = search(
        schema, parsed, prof, band, list(references.values()), shards, max_candidates, reads
    )
    if shards:
        notes.append(shard_note(found, prof))
    binding: Binding
    if found.impossible:
        binding = "band-impossible"
        scope = "of this array" if math.prod(schema.shape) <= max_candidates else "considered"
        notes.append(
            f"no chunk shape {scope} fits between {human_readable_size(band.floor)} and "
            f"{human_readable_size(band.cap)}: picked the nearest size"
        )
    else:
        free_size = float(np.prod(found.stored[found.free], dtype=np.float64)) * schema.itemsize
        binding = band.binding or binding_of(free_size, low, high, band.memory_cap)
    sentence = binding_sentence(
        binding,
        schema,
        found.stored[found.pick],
        found.stored[found.free],
        low,
        band.cap,
        memory,
        prof.threads,
        safety,
    )
    logger.debug("choosing binding constraint %r: %s", binding, sentence)
    alternatives = [found.layout(label, found.row_of(s)) for label, s in references.items()]
    alternatives += [found.layout(f"best for {p}", found.best_for(j)) for j, p in enumerate(parsed)]
    picked = found.layout("recommended", found.pick)
    priced = is_object_store(prof)
    logger.debug("choosing request prices %s", "on (object store)" if priced else "off")
    stored = schema.nbytes * max(1, len(schema.variables)) / prof.compression_ratio
    two = two_copies(found, stored)
    appends = append_advice(schema, parsed, picked, two, prof, reads)
    return Recommendation(
        schema=schema,
        patterns=parsed,
        profile=prof,
        pick=picked,
        alternatives=tuple(alternatives),
        binding=binding,
        binding_constraint=sentence,
        notes=tuple(notes),
        min_size=int(band.floor),
        max_size=int(band.cap),
        codec=codec,
        profile_origin=profile_origin,
        top=tuple(found.layout(f"top {i + 2}", r) for i, r in enumerate(found.ranked(top))),
        beyond_band=None
        if shards or binding in ("dataset-size", "band-impossible")
        else beyond_band(found, prof, list(references.values()), picked, band, max_candidates),
        two_copies=two,
        rechunk=_rechunk(found, prof, picked, alternatives, memory),
        zarr_reads=reads,
        request_costs=request_costs(schema, picked, gets, puts, appends) if priced else None,
        appends=appends,
        engine=engine_choice,
    )


def _profile(
    profile: StorageProfile | None, codec: CodecSpec, threads: int | None
) -> StorageProfile:
    """``profile`` (default: the local preset) with its figures for ``codec`` and ``threads``."""
    prof = (PRESETS["local"] if profile is None else profile).for_codec(codec)
    if threads is not None:
        if threads < 1:
            raise AdvisorError(f"--threads {threads}: give at least 1 thread")
        prof = prof.with_overrides(threads=int(threads))
    return prof


def _schema_notes(schema: Schema, patterns: Sequence[Pattern]) -> list[str]:
    """What the schema leaves unknown or out, said once."""
    notes = []
    if schema.skipped:
        notes.append(
            f"left out {', '.join(schema.skipped)}: they do not share the dims "
            f"({', '.join(schema.dims)})"
        )
    has_time = schema.dim_of("time") is not None
    if has_time and schema.time_step is None:
        notes.append("time step unknown: assumed hourly (pass --time-step)")
    if schema.time_start is None and any(p.kind in GROUPED for p in patterns):
        notes.append("start time unknown: calendar groups assume 2000-01-01T00:00 (pass --start)")
    return notes


def _rechunk(
    found: Search,
    profile: StorageProfile,
    picked: Layout,
    alternatives: Sequence[Layout],
    memory: int | None,
) -> RechunkCost | None:
    """From the current chunks to the pick, with the seconds it saves per access."""
    schema, weights = found.schema, found.weights
    current = next((a for a in alternatives if a.label == REFERENCE_LABELS["current"]), None)
    if current is None or schema.chunks is None:
        return None
    now = np.array([c.seconds for c in current.costs])
    then = np.array([c.seconds for c in picked.costs])
    return rechunk_cost(
        schema.shape,
        schema.itemsize,
        schema.chunks,
        picked.stored_shape,
        profile,
        variables=max(1, len(schema.variables)),
        thread_memory=memory / profile.threads if memory is not None else None,
        saved_per_access=float((now - then) @ weights / weights.sum()),
    )
