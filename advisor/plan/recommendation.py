"""The policy: pick the chunk shape that serves the access patterns best within the constraints.

:func:`recommend` scores every candidate (:mod:`advisor.plan.candidates`) for every
pattern (:mod:`advisor.plan.cost`), keeps those whose size is within the band
(``min_size``..``max_size``, and the worker-memory bound), and minimises the
weighted mean *slowdown*: each pattern's seconds divided by that pattern's own
best within the band. Slowdowns are scale-free, so a reduction that reads the
whole array does not drown a point read that takes milliseconds; the weights
say how much each pattern matters.

The result is an immutable :class:`Recommendation` that also carries the
comparison layouts (current, dask "auto", zarr's guess, the workflow's hand
pick, each pattern's own optimum), the constraint that binds and a paste-ready
snippet; and what the band hides: the best layout outside it when that is much
faster (:class:`BeyondBand`), two copies when one layout serves some pattern
badly (:class:`TwoCopyAdvice`), and what rewriting the current chunks costs
(:class:`~advisor.plan.rechunk.RechunkCost`). With ``shards=True`` the band bounds
zarr 3 shards and the inner chunks are sized for the reads.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.plan.candidates import (
    MAX_CANDIDATES,
    candidate_grid,
    dask_auto_chunks,
    distinct_rows,
    zarr_guess_chunks,
)
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.cost import FloxMethod, Scores, score
from advisor.plan.errors import AdvisorError
from advisor.plan.parse import parse_size
from advisor.plan.patterns import GROUPED, REDUCTIONS, Pattern, parse_pattern
from advisor.plan.profile import BUILT_IN, PRESETS, StorageProfile
from advisor.plan.rechunk import RechunkCost, rechunk_cost
from advisor.plan.schema import Schema, assign_roles
from advisor.plan.units import human_readable_size
from advisor.plan.workflow import WORKFLOW_CHUNKS
from advisor.store.profiles import resolve_profile

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

DEFAULT_PATTERNS: tuple[str, ...] = ("point-series", "map", "ml-batch")
"""The workflow's interactive mix: a point's series, a map, ML patches."""

MIN_SIZE = 10_000_000
"""Default floor of the chunk size (10 MB): below it, per-chunk overheads dominate."""

MAX_SIZE = 100_000_000
"""Default cap of the chunk size (100 MB): above it, a single read or task holds too much."""

SAFETY = 4.0
"""Chunks a Dask thread may hold at once (input, output, a temporary, the next read)."""

WIDE_BAND = (100_000, 1_000_000_000)
"""Chunk sizes searched beyond the band (0.1 MB to 1 GB) for :class:`BeyondBand`."""

BEYOND_FACTOR = 2.0
"""A layout outside the band is shown when it beats the pick by this factor (weighted)."""

TWO_COPY_FACTOR = 10.0
"""Two copies are proposed when the pick costs some pattern this many times its own optimum."""

MAX_TWO_COPY_PATTERNS = 10
"""Patterns up to which every split into two families is tried."""

INNER_CANDIDATES = 300
"""Inner-chunk shapes (the best for the interactive reads) combined with shards in the band."""

Binding = Literal["none", "floor", "cap", "worker-memory", "dataset-size", "band-impossible"]


@dataclass(frozen=True, slots=True)
class PatternCost:
    """One pattern's expected figures per access under one layout."""

    name: str
    weight: float
    chunks_touched: float
    bytes_read: float
    bytes_wanted: float
    amplification: float
    requests: float
    tasks: float
    seconds: float
    slowdown: float
    """``seconds`` over this pattern's best seconds among the in-band candidates."""
    groups_split: float | None = None
    flox_method: FloxMethod | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Layout:
    """A chunk shape with what it costs each pattern."""

    label: str
    dims: tuple[str, ...]
    chunks: tuple[int, ...]
    chunk_bytes: int
    n_chunks: int
    in_band: bool
    objective: float
    """The weighted mean slowdown over the patterns (1.0 = every pattern at its optimum)."""
    costs: tuple[PatternCost, ...]
    shards: tuple[int, ...] | None = None
    """The zarr 3 shard shape (whole multiples of ``chunks``), or None."""

    @property
    def chunk_dict(self) -> dict[str, int]:
        return dict(zip(self.dims, self.chunks, strict=True))

    @property
    def shard_dict(self) -> dict[str, int] | None:
        """``dim -> shard length``, or None without shards."""
        return None if self.shards is None else dict(zip(self.dims, self.shards, strict=True))

    @property
    def stored_shape(self) -> tuple[int, ...]:
        """What a write or a Dask task handles: the shard, else the chunk."""
        return self.shards or self.chunks

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "chunks": self.chunk_dict,
            "chunk_bytes": self.chunk_bytes,
            "shards": self.shard_dict,
            "n_chunks": self.n_chunks,
            "in_band": self.in_band,
            "objective": self.objective,
            "patterns": [c.to_dict() for c in self.costs],
        }


@dataclass(frozen=True, slots=True)
class BeyondBand:
    """The best layout outside the size band, when it is much faster for these patterns."""

    layout: Layout
    speedup: float
    """The pick's weighted mean slowdown over this layout's (both against the best of
    :data:`WIDE_BAND`)."""
    speedups: tuple[float, ...]
    """Per pattern: the pick's seconds over this layout's."""
    reason: str
    """Why the band exists anyway: requests on an object store, Dask tasks, memory."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout.to_dict(),
            "speedup": self.speedup,
            "speedups": list(self.speedups),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CopyAdvice:
    """One copy of a two-copy layout: the patterns it serves, its layout and its storage."""

    patterns: tuple[str, ...]
    layout: Layout
    stored_bytes: float
    """Estimated compressed bytes of the copy (every variable)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "patterns": list(self.patterns),
            "layout": self.layout.to_dict(),
            "stored_bytes": self.stored_bytes,
        }


@dataclass(frozen=True, slots=True)
class TwoCopyAdvice:
    """Two copies of the data in two chunkings, one per family of patterns (as the public ERA5
    Zarr copies keep a time-series chunking and a map chunking)."""

    copies: tuple[CopyAdvice, CopyAdvice]
    worst_one_copy: float
    """The largest slowdown of a pattern under the single recommended layout."""
    worst_two_copies: float
    """The largest slowdown of a pattern, each read from its family's copy."""
    slowdowns: tuple[float, ...]
    """Per pattern (in the order given), its slowdown on its family's copy."""

    @property
    def extra_bytes(self) -> float:
        """The storage the second copy adds."""
        return min(c.stored_bytes for c in self.copies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "copies": [c.to_dict() for c in self.copies],
            "worst_one_copy": self.worst_one_copy,
            "worst_two_copies": self.worst_two_copies,
            "slowdowns": list(self.slowdowns),
            "extra_bytes": self.extra_bytes,
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The advice: a chunk shape, what it costs each pattern, and how it compares.

    Examples
    --------
    >>> rec = recommend(Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4), ["map"])
    >>> rec.chunks["latitude"], rec.chunks["longitude"], rec.binding
    (121, 161, 'floor')
    >>> print(rec.binding_constraint)  # doctest: +ELLIPSIS
    the 10.0 MB floor forces time >= 129 for a full-field chunk (unconstrained best: ...)
    """

    schema: Schema
    patterns: tuple[Pattern, ...]
    profile: StorageProfile
    pick: Layout
    alternatives: tuple[Layout, ...]
    binding: Binding
    binding_constraint: str
    notes: tuple[str, ...]
    min_size: int
    max_size: int
    codec: CodecSpec = DEFAULT_CODEC
    profile_origin: str = BUILT_IN
    """Where the profile came from: the built-in defaults, a preset or a calibration file."""
    top: tuple[Layout, ...] = ()
    """The next best layouts in the band, best first (``recommend(top=K)``)."""
    beyond_band: BeyondBand | None = None
    two_copies: TwoCopyAdvice | None = None
    rechunk: RechunkCost | None = None
    """What rewriting the current chunks into the pick costs (None without current chunks)."""

    @property
    def chunks(self) -> dict[str, int]:
        """``dim -> chunk length`` of the pick (the inner chunks when sharded)."""
        return self.pick.chunk_dict

    @property
    def shards(self) -> dict[str, int] | None:
        """``dim -> shard length`` of the pick (``recommend(shards=True)``), or None."""
        return self.pick.shard_dict

    @property
    def chunk_bytes(self) -> int:
        return self.pick.chunk_bytes

    @property
    def costs(self) -> tuple[PatternCost, ...]:
        return self.pick.costs

    def encoding(self, zarr_format: ZarrFormat = 3) -> str:
        """Paste-ready Python: ``ds.chunk({...})`` and ``to_zarr(encoding=...)`` for ``zarr_format``.

        Examples
        --------
        >>> rec = recommend(Schema(("time", "x"), (100, 10), 4), ["map"])
        >>> print(rec.encoding(2))  # doctest: +NORMALIZE_WHITESPACE
        from numcodecs import Blosc
        <BLANKLINE>
        chunks = {"time": 100, "x": 10}
        ds = ds.chunk(chunks)
        for var in ds.variables.values():  # forget the source store's chunks and codecs
            for key in ("chunks", "preferred_chunks", "compressors", "filters", "shards"):
                var.encoding.pop(key, None)
        encoding = {
            name: {
                "chunks": tuple(chunks.get(d, ds.sizes[d]) for d in ds[name].dims),
                "compressors": [Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE)],
            }
            for name in ds.data_vars
        }
        ds.to_zarr("out.zarr", mode="w-", encoding=encoding, zarr_format=2, consolidated=True)
        """
        if self.shards is not None and zarr_format != 3:
            raise AdvisorError("shards need zarr format 3: pass --zarr-format 3 or drop --shards")
        head, expression = self.codec.snippet(zarr_format)
        chunks = ", ".join(f'"{d}": {c}' for d, c in self.chunks.items())
        names = repr(list(self.schema.variables)) if self.schema.variables else "ds.data_vars"
        lines = [head, ""] if head else []
        lines.append(f"chunks = {{{chunks}}}")
        if self.shards is not None:
            shards = ", ".join(f'"{d}": {c}' for d, c in self.shards.items())
            lines += [
                f"shards = {{{shards}}}",
                "ds = ds.chunk(shards)  # one Dask chunk per shard: no two tasks write one shard",
            ]
        else:
            lines.append("ds = ds.chunk(chunks)")
        lines += [
            "for var in ds.variables.values():  # forget the source store's chunks and codecs",
            '    for key in ("chunks", "preferred_chunks", "compressors", "filters", "shards"):',
            "        var.encoding.pop(key, None)",
            "encoding = {",
            "    name: {",
            '        "chunks": tuple(chunks.get(d, ds.sizes[d]) for d in ds[name].dims),',
        ]
        if self.shards is not None:
            lines.append(
                '        "shards": tuple(shards.get(d, ds.sizes[d]) for d in ds[name].dims),'
            )
        lines += [
            f'        "compressors": [{expression}],'
            if expression
            else '        "compressors": [],',
            "    }",
            f"    for name in {names}",
            "}",
            f'ds.to_zarr("out.zarr", mode="w-", encoding=encoding, zarr_format={zarr_format}, '
            "consolidated=True)",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (``advisor recommend --json``)."""
        return {
            "source": self.schema.name,
            "dims": list(self.schema.dims),
            "shape": list(self.schema.shape),
            "dtype": self.schema.dtype,
            "variables": list(self.schema.variables),
            "chunks": self.chunks,
            "chunk_bytes": self.chunk_bytes,
            "shards": self.shards,
            "n_chunks": self.pick.n_chunks,
            "objective": self.pick.objective,
            "patterns": [c.to_dict() for c in self.costs],
            "alternatives": [a.to_dict() for a in self.alternatives],
            "binding": self.binding,
            "binding_constraint": self.binding_constraint,
            "band": {"min_size": self.min_size, "max_size": self.max_size},
            "encoding": {
                "codec": str(self.codec),
                "chunks": list(self.pick.chunks),
                "shards": list(self.pick.shards) if self.pick.shards else None,
                "zarr2": None if self.pick.shards else self.encoding(2),
                "zarr3": self.encoding(3),
            },
            "notes": list(self.notes),
            "profile": dataclasses.asdict(self.profile),
            "profile_origin": self.profile_origin,
            "top": [t.to_dict() for t in self.top],
            "beyond_band": self.beyond_band.to_dict() if self.beyond_band else None,
            "two_copies": self.two_copies.to_dict() if self.two_copies else None,
            "rechunk": self.rechunk.to_dict() if self.rechunk else None,
        }


def recommend(
    source: Schema | xr.Dataset | str | Path,
    patterns: Sequence[Pattern | str] = DEFAULT_PATTERNS,
    *,
    min_size: float | str = MIN_SIZE,
    max_size: float | str = MAX_SIZE,
    profile: StorageProfile | str | None = None,
    worker_memory: float | str | None = None,
    threads_per_worker: int | None = None,
    safety: float = SAFETY,
    dims: dict[str, str] | None = None,
    codec: CodecSpec = DEFAULT_CODEC,
    max_candidates: int = MAX_CANDIDATES,
    shards: bool = False,
    top: int = 0,
) -> Recommendation:
    """Recommend a chunk shape for ``source`` read by ``patterns``.

    Parameters
    ----------
    source
        A :class:`Schema` (no data needed), an xarray Dataset, or a Zarr path /
        catalog entry name (read for its metadata only).
    patterns
        :class:`Pattern` values or strings like ``"ml-batch:time=32@2"``.
    min_size, max_size
        The chunk-size band in bytes (or ``"10MB"``-style strings); with
        ``shards``, the band of the shards.
    profile
        A :class:`StorageProfile`, a preset name or a JSON file (default: the
        built-in local defaults; :func:`advisor.plan.profile.find_profile` finds the
        user's calibration). Its figures for ``codec`` are used when measured.
    worker_memory, threads_per_worker, safety
        Chunks (shards) must satisfy ``chunk * threads * safety <= worker_memory``.
    dims
        Role -> dim overrides, e.g. ``{"time": "valid_time"}``.
    shards
        Co-design zarr 3 shards in the band with inner chunks sized for the reads.
    top
        Also return the next ``top`` best layouts in the band.

    Examples
    --------
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> rec = recommend(s, ["point-series"])
    >>> rec.chunks["time"], 10e6 <= rec.chunk_bytes <= 100e6
    (8760, True)
    >>> sharded = recommend(s, ["ml-batch"], shards=True)
    >>> sharded.chunk_bytes < 10e6 <= math.prod(sharded.shards.values()) * 4 <= 100e6
    True
    """
    schema = _schema(source, dims)
    parsed = tuple(parse_pattern(p) for p in patterns)
    if not parsed:
        raise AdvisorError("no access pattern given: add e.g. --pattern point-series")
    low, high = _size(min_size, "--min-size"), _size(max_size, "--max-size")
    if low > high:
        raise AdvisorError(
            f"min size {human_readable_size(low)} is above max size {human_readable_size(high)}: "
            "lower --min-size or raise --max-size"
        )
    prof, origin = resolve_profile(profile)
    prof = prof.for_codec(codec)
    if threads_per_worker is not None:
        if threads_per_worker < 1:
            raise AdvisorError(f"--threads {threads_per_worker}: give at least 1 thread")
        prof = prof.with_overrides(threads=int(threads_per_worker))
    if not safety > 0:
        raise AdvisorError(f"safety factor {safety} must be positive")
    if top < 0:
        raise AdvisorError(f"--top {top}: give 0 or more layouts")
    memory = _size(worker_memory, "--worker-memory") if worker_memory is not None else None
    for pattern in parsed:
        pattern.accesses(schema)  # checks the pattern against the dims before any work
    notes = _schema_notes(schema, parsed)
    memory_cap = memory / (prof.threads * safety) if memory is not None else math.inf
    floor, cap, binding = _band(
        schema, low, high, memory_cap, notes, f"{prof.threads} threads x safety {safety:g}"
    )

    references = _references(schema)
    if shards:
        candidates, shard_shapes = _sharded_candidates(
            schema, parsed, prof, references, (floor, cap), max_candidates
        )
        stored = shard_shapes
        notes.append(
            "sharded: open the copy with chunks= the shards for scans and resamples "
            "(xarray's default Dask chunks are the inner chunks)"
        )
    else:
        candidates = candidate_grid(
            schema, parsed, list(references.values()), band=(low, high), cap=max_candidates
        )
        shard_shapes, stored = None, candidates
    scores = score(schema, candidates, parsed, prof, shards=shard_shapes)
    sizes = np.prod(stored, axis=1, dtype=np.float64) * schema.itemsize
    n_chunks = np.prod(-(-np.array(schema.shape) // candidates), axis=1, dtype=np.float64)
    weights = np.array([p.weight for p in parsed])

    if binding == "dataset-size":
        feasible = np.all(stored == np.array(schema.shape), axis=1)
        if shards:
            feasible &= np.all(candidates == stored, axis=1)
    else:
        feasible = (sizes >= floor) & (sizes <= cap)
    if not feasible.any():
        binding = "band-impossible"
        distance = np.maximum(np.log(floor / sizes), np.log(sizes / cap))
        feasible = distance <= distance.min() * (1 + 1e-12)
        scope = "of this array" if math.prod(schema.shape) <= max_candidates else "considered"
        notes.append(
            f"no chunk shape {scope} fits between {human_readable_size(floor)} and "
            f"{human_readable_size(cap)}: picked the nearest size"
        )
    logger.debug("choosing among %d of %d candidates in the band", feasible.sum(), len(sizes))

    best = _best_seconds(scores.seconds, feasible)
    objective = (scores.seconds / best) @ weights / weights.sum()
    pick = _argmin(objective, n_chunks, feasible)
    every = np.ones(len(sizes), dtype=bool)
    free_objective = (
        (scores.seconds / _best_seconds(scores.seconds, every)) @ weights / weights.sum()
    )
    free = _argmin(free_objective, n_chunks, every)
    logger.debug("choosing %s (unconstrained: %s)", candidates[pick], candidates[free])

    if binding is None:
        binding = _binding(sizes[free], low, high, memory_cap)
    sentence = _binding_sentence(
        binding, schema, stored[pick], stored[free], low, cap, memory, prof.threads, safety
    )
    logger.debug("choosing binding constraint %r: %s", binding, sentence)

    def layout(label: str, row: int) -> Layout:
        return _layout(
            label,
            schema,
            parsed,
            candidates[row],
            scores,
            row,
            best,
            objective,
            feasible,
            None if shard_shapes is None else shard_shapes[row],
        )

    alternatives = []
    for label, shape in references.items():
        rows = np.flatnonzero((candidates == shape).all(axis=1) & (stored == shape).all(axis=1))
        alternatives.append(layout(label, int(rows[0])))
    for j, pattern in enumerate(parsed):
        alternatives.append(
            layout(f"best for {pattern}", _argmin(scores.seconds[:, j], n_chunks, feasible))
        )
    ranked = _ranked(objective, n_chunks, feasible, pick, top)
    picked = layout("recommended", pick)
    copies = _two_copies(
        parsed,
        scores.seconds / best,
        feasible,
        n_chunks,
        pick,
        layout,
        schema.nbytes * max(1, len(schema.variables)) / prof.compression_ratio,
    )
    return Recommendation(
        schema=schema,
        patterns=parsed,
        profile=prof,
        pick=picked,
        alternatives=tuple(alternatives),
        binding=binding,
        binding_constraint=sentence,
        notes=tuple(notes),
        min_size=int(floor),
        max_size=int(cap) if math.isfinite(cap) else int(high),
        codec=codec,
        profile_origin=origin,
        top=tuple(layout(f"top {i + 2}", row) for i, row in enumerate(ranked)),
        beyond_band=None
        if shards or binding in ("dataset-size", "band-impossible")
        else _beyond_band(
            schema, parsed, prof, references, picked, best, (floor, cap), memory_cap, max_candidates
        ),
        two_copies=copies,
        rechunk=_rechunk(schema, prof, picked, alternatives, weights, memory),
    )


def _ranked(
    objective: np.ndarray, n_chunks: np.ndarray, feasible: np.ndarray, pick: int, top: int
) -> list[int]:
    """The ``top`` rows after ``pick`` by objective (ties: fewer chunks) within ``feasible``."""
    if top <= 0:
        return []
    rows = np.flatnonzero(feasible)
    rows = rows[np.lexsort((n_chunks[rows], objective[rows]))]
    return [int(r) for r in rows if r != pick][:top]


def _sharded_candidates(
    schema: Schema,
    patterns: Sequence[Pattern],
    profile: StorageProfile,
    references: dict[str, tuple[int, ...]],
    band: tuple[float, float],
    cap: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(inner chunks, shards) pairs: shards from the in-band grid, inner chunks from the
    :data:`INNER_CANDIDATES` best shapes of any size for the interactive patterns, each
    paired with the shards that are whole multiples of it; plus every shard unsplit."""
    shards = candidate_grid(schema, patterns, list(references.values()), band=band, cap=cap)
    pairs = [(shards, shards)]
    reads = [p for p in patterns if p.kind not in REDUCTIONS]
    if reads:
        wide = candidate_grid(schema, reads, (), band=None, cap=cap // 4)
        wide = wide[np.prod(wide, axis=1, dtype=np.float64) * schema.itemsize <= band[1]]
        seconds = score(schema, wide, reads, profile).seconds
        weights = np.array([p.weight for p in reads])
        objective = (seconds / seconds.min(axis=0)) @ weights
        inner = wide[np.argsort(objective, kind="stable")[:INNER_CANDIDATES]]
        in_band = shards[
            (np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize >= band[0])
            & (np.prod(shards, axis=1, dtype=np.float64) * schema.itemsize <= band[1])
        ]
        # per dim, which shard lengths each distinct inner length divides
        divides = []
        for d in range(schema.ndim):
            lengths, index = np.unique(inner[:, d], return_inverse=True)
            divides.append((in_band[:, d, None] % lengths[None, :] == 0)[:, index.reshape(-1)])
        for i, chunk in enumerate(inner):
            fits = in_band[np.logical_and.reduce([m[:, i] for m in divides])]
            if len(fits):
                pairs.append((np.broadcast_to(chunk, fits.shape), fits))
    rows = distinct_rows(np.concatenate([np.concatenate(pair, axis=1) for pair in pairs]))
    logger.debug("sharded candidates: %d pairs", len(rows))
    return rows[:, : schema.ndim], rows[:, schema.ndim :]


def _two_copies(
    patterns: Sequence[Pattern],
    slowdown: np.ndarray,
    feasible: np.ndarray,
    n_chunks: np.ndarray,
    pick: int,
    layout: Callable[[str, int], Layout],
    stored: float,
) -> TwoCopyAdvice | None:
    """Split the patterns in two families, one copy each, when the pick costs some pattern
    :data:`TWO_COPY_FACTOR` times its optimum: the split with the least weighted slowdown."""
    worst = float(slowdown[pick].max())
    p = len(patterns)
    if worst < TWO_COPY_FACTOR or not 2 <= p <= MAX_TWO_COPY_PATTERNS:
        return None
    weights = np.array([pattern.weight for pattern in patterns])
    masked = np.where(feasible[:, None], slowdown, np.inf)
    best_split: tuple[float, float, list[int], list[int], int, int] | None = None
    for bits in range(1, 2 ** (p - 1)):
        second = [j for j in range(p - 1) if bits >> j & 1]
        first = [j for j in range(p) if j not in second]
        rows = [
            _argmin(masked[:, family] @ weights[family], n_chunks, feasible)
            for family in (first, second)
        ]
        each = np.empty(p)
        for family, row in zip((first, second), rows, strict=True):
            each[family] = slowdown[row, family]
        value = (float(each @ weights / weights.sum()), float(each.max()))
        if best_split is None or value < best_split[:2]:
            best_split = (*value, first, second, rows[0], rows[1])
    assert best_split is not None
    _, worst_after, first, second, row_a, row_b = best_split
    if worst_after > worst / 2:
        logger.debug("no two-copy split helps: worst slowdown %.3g -> %.3g", worst, worst_after)
        return None
    slowdowns = np.empty(p)
    copies = []
    for n, (family, row) in enumerate(((first, row_a), (second, row_b)), start=1):
        names = tuple(str(patterns[j]) for j in family)
        slowdowns[family] = slowdown[row, family]
        copies.append(CopyAdvice(names, layout(f"copy {n}: {', '.join(names)}", row), stored))
    logger.debug("choosing two copies: worst slowdown %.3g -> %.3g", worst, worst_after)
    return TwoCopyAdvice(
        copies=(copies[0], copies[1]),
        worst_one_copy=worst,
        worst_two_copies=worst_after,
        slowdowns=tuple(float(x) for x in slowdowns),
    )


def _beyond_band(
    schema: Schema,
    patterns: Sequence[Pattern],
    profile: StorageProfile,
    references: dict[str, tuple[int, ...]],
    picked: Layout,
    best_in_band: np.ndarray,
    band: tuple[float, float],
    memory_cap: float,
    cap: int,
) -> BeyondBand | None:
    """The best layout of :data:`WIDE_BAND` outside ``band``, if it beats the pick by
    :data:`BEYOND_FACTOR` (weighted slowdowns against the best of the wide band); worker
    memory still caps it."""
    low, high = WIDE_BAND[0], min(WIDE_BAND[1], memory_cap)
    grid = candidate_grid(schema, patterns, list(references.values()), band=(low, high), cap=cap)
    sizes = np.prod(grid, axis=1, dtype=np.float64) * schema.itemsize
    wide = (sizes >= low) & (sizes <= high)
    outside = wide & ((sizes < band[0]) | (sizes > band[1]))
    if not outside.any():
        return None
    scores = score(schema, grid, patterns, profile)
    weights = np.array([p.weight for p in patterns])
    best = _best_seconds(scores.seconds, wide)
    objective = (scores.seconds / best) @ weights / weights.sum()
    pick_seconds = np.array([c.seconds for c in picked.costs])
    pick_objective = float((pick_seconds / best) @ weights / weights.sum())
    n_chunks = np.prod(-(-np.array(schema.shape) // grid), axis=1, dtype=np.float64)
    row = _argmin(objective, n_chunks, outside)
    speedup = pick_objective / float(objective[row])
    logger.debug("best outside the band: %s, %.3gx the pick", grid[row], speedup)
    if speedup < BEYOND_FACTOR:
        return None
    in_band = np.zeros(len(grid), dtype=bool)
    layout = _layout(
        "beyond the band",
        schema,
        patterns,
        grid[row],
        scores,
        row,
        best_in_band,
        objective,
        in_band,
    )
    speedups = tuple(float(a / b) for a, b in zip(pick_seconds, scores.seconds[row], strict=True))
    reason = _band_reason(schema, patterns, profile, picked, layout, band)
    return BeyondBand(layout=layout, speedup=speedup, speedups=speedups, reason=reason)


def _band_reason(
    schema: Schema,
    patterns: Sequence[Pattern],
    profile: StorageProfile,
    picked: Layout,
    outside: Layout,
    band: tuple[float, float],
) -> str:
    """Why the band holds anyway, in figures for these two layouts."""
    size = human_readable_size
    rows = np.array([picked.chunks, outside.chunks])
    if outside.chunk_bytes < band[0]:
        remote = score(schema, rows, patterns, PRESETS["object-store"])
        weights = np.array([p.weight for p in patterns]) / sum(p.weight for p in patterns)
        mix, requests = remote.seconds @ weights, remote.requests @ weights
        tasks = (
            score(schema, rows, ["full-scan"], profile).tasks[:, 0]
            if schema.dim_of("time")
            else None
        )
        text = (
            f"below the {size(band[0])} floor it has {outside.n_chunks:,} chunks per variable "
            f"against {picked.n_chunks:,}; on an object store each chunk read is a GET "
            f"request: {requests[1]:,.0f} per access against {requests[0]:,.0f} (the "
            f"object-store profile puts the mix at {mix[1]:.3g} s against {mix[0]:.3g} s)"
        )
        if tasks is not None:
            text += (
                f", and a full scan or resample runs {int(tasks[1]):,} Dask tasks against "
                f"{int(tasks[0]):,}"
            )
        return text
    per_worker = outside.chunk_bytes * profile.threads * SAFETY
    return (
        f"above the {size(band[1])} cap each Dask task holds {size(outside.chunk_bytes)} "
        f"decoded ({profile.threads} threads x safety {SAFETY:g}: {size(per_worker)} per "
        "worker), and every read decodes whole chunks that large"
    )


def _rechunk(
    schema: Schema,
    profile: StorageProfile,
    picked: Layout,
    alternatives: Sequence[Layout],
    weights: np.ndarray,
    memory: int | None,
) -> RechunkCost | None:
    """From the current chunks to the pick, with the seconds it saves per access."""
    current = next((a for a in alternatives if a.label == "current"), None)
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


def _band(
    schema: Schema, low: int, high: int, memory_cap: float, notes: list[str], memory_rule: str
) -> tuple[float, float, Binding | None]:
    """The sizes allowed, ``(floor, cap)``, and the binding constraint when the band decides it.

    The worker-memory bound is hard: when it is below the floor, the floor
    goes. An array smaller than the floor is one chunk.
    """
    cap = min(high, memory_cap)
    if cap < low:
        notes.append(
            f"worker memory allows chunks of at most {human_readable_size(cap)} ({memory_rule}), "
            f"below the {human_readable_size(low)} floor: the floor is dropped"
        )
        return 1, cap, "worker-memory"
    if schema.nbytes < low:
        notes.append(
            f"the array ({human_readable_size(schema.nbytes)}) is smaller than the "
            f"{human_readable_size(low)} floor: one chunk holds it all"
        )
        return low, cap, "dataset-size"
    return low, cap, None


def _schema(source: Schema | xr.Dataset | str | Path, dims: dict[str, str] | None) -> Schema:
    if isinstance(source, Schema):
        if dims:
            return dataclasses.replace(source, roles=assign_roles(source.dims, dims_map=dims))
        return source
    from advisor.store import metadata as inspect

    if isinstance(source, str | Path):
        return inspect.load_schema(str(source), dims=dims)
    return inspect.schema_from_dataset(source, dims=dims)


def _size(value: float | str, option: str) -> int:
    if isinstance(value, str):
        return parse_size(value)
    if not value > 0:
        raise AdvisorError(f"{option} {value}: sizes must be positive")
    return int(value)


def _schema_notes(schema: Schema, patterns: Sequence[Pattern]) -> list[str]:
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


def _references(schema: Schema) -> dict[str, tuple[int, ...]]:
    """The comparison layouts: current, dask "auto", zarr's guess and the workflow's hand pick."""
    out: dict[str, tuple[int, ...]] = {}
    if schema.chunks is not None:
        out["current"] = schema.chunks
    out["dask auto"] = dask_auto_chunks(schema.shape, schema.itemsize, schema.chunks)
    out["zarr guess"] = zarr_guess_chunks(schema.shape, schema.itemsize)
    if all(role in schema.roles for role in WORKFLOW_CHUNKS):
        workflow = tuple(WORKFLOW_CHUNKS.get(role, 1) for role in schema.roles)
        if all(c <= n for c, n in zip(workflow, schema.shape, strict=True)):
            out["workflow"] = workflow
    return out


def _best_seconds(seconds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask[:, None], seconds, np.inf).min(axis=0)


def _argmin(values: np.ndarray, n_chunks: np.ndarray, mask: np.ndarray) -> int:
    """The row with the least value within ``mask``; ties go to fewer chunks."""
    rows = np.flatnonzero(mask)
    least = values[rows].min()
    ties = rows[values[rows] <= least + abs(least) * 1e-9]
    return int(ties[np.argmin(n_chunks[ties])])


def _binding(free_size: float, low: int, high: int, memory_cap: float) -> Binding:
    if free_size < low:
        return "floor"
    if free_size > min(high, memory_cap):
        return "worker-memory" if memory_cap < high else "cap"
    return "none"


def _binding_sentence(
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
    free_text = f"{_shape_text(schema.dims, free)}, {human_readable_size(math.prod(free) * schema.itemsize)}"
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


def _shape_text(dims: Sequence[str], chunks: Sequence[int]) -> str:
    return ", ".join(f"{d}={int(c)}" for d, c in zip(dims, chunks, strict=True))


def _layout(
    label: str,
    schema: Schema,
    patterns: Sequence[Pattern],
    chunks: np.ndarray,
    scores: Scores,
    row: int,
    best: np.ndarray,
    objective: np.ndarray,
    feasible: np.ndarray,
    shards: np.ndarray | None = None,
) -> Layout:
    costs = []
    for j, pattern in enumerate(patterns):
        split = float(scores.groups_split[row, j])
        costs.append(
            PatternCost(
                name=str(pattern),
                weight=pattern.weight,
                chunks_touched=float(scores.chunks_touched[row, j]),
                bytes_read=float(scores.bytes_read[row, j]),
                bytes_wanted=float(scores.bytes_wanted[row, j]),
                amplification=float(scores.amplification[row, j]),
                requests=float(scores.requests[row, j]),
                tasks=float(scores.tasks[row, j]),
                seconds=float(scores.seconds[row, j]),
                slowdown=float(scores.seconds[row, j] / best[j]),
                groups_split=None if math.isnan(split) else split,
                flox_method=scores.method(row, j),
            )
        )
    shape = np.array(schema.shape)
    return Layout(
        label=label,
        dims=schema.dims,
        chunks=tuple(int(c) for c in chunks),
        chunk_bytes=int(np.prod(chunks, dtype=np.int64)) * schema.itemsize,
        n_chunks=int(np.prod(-(-shape // chunks), dtype=np.int64)),
        in_band=bool(feasible[row]),
        objective=float(objective[row]),
        costs=tuple(costs),
        shards=None if shards is None else tuple(int(c) for c in shards),
    )
