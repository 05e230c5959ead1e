"""The policy: pick the chunk shape that serves the access patterns best within the constraints.

:func:`recommend` scores every candidate (:mod:`advisor.candidates`) for every
pattern (:mod:`advisor.cost`), keeps those whose size is within the band
(``min_size``..``max_size``, and the worker-memory bound), and minimises the
weighted mean *slowdown*: each pattern's seconds divided by that pattern's own
best within the band. Slowdowns are scale-free, so a reduction that reads the
whole array does not drown a point read that takes milliseconds; the weights
say how much each pattern matters.

The result is an immutable :class:`Recommendation` that also carries the
comparison layouts (current, dask "auto", zarr's guess, the workflow's hand
pick, each pattern's own optimum), the constraint that binds and a paste-ready
snippet.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.candidates import (
    MAX_CANDIDATES,
    candidate_grid,
    dask_auto_chunks,
    zarr_guess_chunks,
)
from advisor.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.cost import FloxMethod, Scores, score
from advisor.errors import AdvisorError
from advisor.patterns import GROUPED, Pattern, parse_pattern
from advisor.profile import StorageProfile, load_profile
from advisor.schema import Schema, assign_roles, human_readable_size, parse_size
from advisor.workloads import WORKFLOW_CHUNKS

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

    @property
    def chunk_dict(self) -> dict[str, int]:
        return dict(zip(self.dims, self.chunks, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "chunks": self.chunk_dict,
            "chunk_bytes": self.chunk_bytes,
            "n_chunks": self.n_chunks,
            "in_band": self.in_band,
            "objective": self.objective,
            "patterns": [c.to_dict() for c in self.costs],
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

    @property
    def chunks(self) -> dict[str, int]:
        """``dim -> chunk length`` of the pick."""
        return self.pick.chunk_dict

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
        head, expression = self.codec.snippet(zarr_format)
        chunks = ", ".join(f'"{d}": {c}' for d, c in self.chunks.items())
        names = repr(list(self.schema.variables)) if self.schema.variables else "ds.data_vars"
        lines = [head, ""] if head else []
        lines += [
            f"chunks = {{{chunks}}}",
            "ds = ds.chunk(chunks)",
            "for var in ds.variables.values():  # forget the source store's chunks and codecs",
            '    for key in ("chunks", "preferred_chunks", "compressors", "filters", "shards"):',
            "        var.encoding.pop(key, None)",
            "encoding = {",
            "    name: {",
            '        "chunks": tuple(chunks.get(d, ds.sizes[d]) for d in ds[name].dims),',
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
                "zarr2": self.encoding(2),
                "zarr3": self.encoding(3),
            },
            "notes": list(self.notes),
            "profile": dataclasses.asdict(self.profile),
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
        The chunk-size band in bytes (or ``"10MB"``-style strings).
    profile
        A :class:`StorageProfile`, a preset name or a JSON file (default ``local``).
    worker_memory, threads_per_worker, safety
        Chunks must satisfy ``chunk * threads * safety <= worker_memory``.
    dims
        Role -> dim overrides, e.g. ``{"time": "valid_time"}``.

    Examples
    --------
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> rec = recommend(s, ["point-series"])
    >>> rec.chunks["time"], 10e6 <= rec.chunk_bytes <= 100e6
    (8760, True)
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
    prof = load_profile(profile)
    if threads_per_worker is not None:
        if threads_per_worker < 1:
            raise AdvisorError(f"--threads {threads_per_worker}: give at least 1 thread")
        prof = prof.with_overrides(threads=int(threads_per_worker))
    if not safety > 0:
        raise AdvisorError(f"safety factor {safety} must be positive")
    memory = _size(worker_memory, "--worker-memory") if worker_memory is not None else None
    for pattern in parsed:
        pattern.accesses(schema)  # checks the pattern against the dims before any work
    notes = _schema_notes(schema, parsed)

    references = _references(schema)
    candidates = candidate_grid(
        schema, parsed, list(references.values()), band=(low, high), cap=max_candidates
    )
    scores = score(schema, candidates, parsed, prof)
    sizes = np.prod(candidates, axis=1, dtype=np.float64) * schema.itemsize
    n_chunks = np.prod(-(-np.array(schema.shape) // candidates), axis=1, dtype=np.float64)
    weights = np.array([p.weight for p in parsed])

    memory_cap = memory / (prof.threads * safety) if memory is not None else math.inf
    floor, cap, binding = _band(
        schema, low, high, memory_cap, notes, f"{prof.threads} threads x safety {safety:g}"
    )
    if binding == "dataset-size":
        feasible = np.all(candidates == np.array(schema.shape), axis=1)
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
        binding, schema, candidates[pick], candidates[free], low, cap, memory, prof.threads, safety
    )
    logger.debug("choosing binding constraint %r: %s", binding, sentence)

    def layout(label: str, row: int) -> Layout:
        return _layout(
            label, schema, parsed, candidates[row], scores, row, best, objective, feasible
        )

    alternatives = [
        layout(label, int(np.flatnonzero((candidates == shape).all(axis=1))[0]))
        for label, shape in references.items()
    ]
    for j, pattern in enumerate(parsed):
        alternatives.append(
            layout(f"best for {pattern}", _argmin(scores.seconds[:, j], n_chunks, feasible))
        )
    return Recommendation(
        schema=schema,
        patterns=parsed,
        profile=prof,
        pick=layout("recommended", pick),
        alternatives=tuple(alternatives),
        binding=binding,
        binding_constraint=sentence,
        notes=tuple(notes),
        min_size=int(floor),
        max_size=int(cap) if math.isfinite(cap) else int(high),
        codec=codec,
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
    from advisor import inspect

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
    )
