"""Validation planning: which copies of a sample to write, what the model predicts for them,
and how measurement and prediction are compared (``advisor validate``).

A sample of the source is written in many layouts (:func:`plan_validation`): the
model's top picks, the usual alternatives (current, dask "auto", zarr's guess, the
workflow's), each pattern's own pick, the best layout beyond the band, a spread of
shapes across the band and the user's own. :mod:`advisor.run.validate` writes and
times them; :class:`Validation` compares the medians with the model's seconds: rank
correlation per pattern (:func:`spearman`), how far the model's pick is from the
measured best, and how far the seconds are off. Pure: nothing is read or written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.plan.candidates import candidate_grid
from advisor.plan.cost.scores import score
from advisor.plan.errors import AdvisorError
from advisor.plan.parse import pairs
from advisor.plan.patterns import WRITES, Pattern, parse_pattern
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.policy.recommend import recommend
from advisor.plan.profile import BUILT_IN, StorageProfile
from advisor.plan.requests import DEFAULT_READS, ZarrReads
from advisor.plan.schema import Schema
from advisor.plan.units import human_readable_size

GOAL_SPEARMAN = 0.9
"""The model's ranking should agree with measurement at least this well, per pattern."""

GOAL_PICK = 1.1
"""The model's pick for a pattern should be within this factor of the measured best in band."""


@dataclass(frozen=True, slots=True)
class SampleCopy:
    """One copy of the sample to write and measure: its chunks (shards), label and size."""

    label: str
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    in_band: bool
    chunk_bytes: int

    def to_dict(self, dims: Sequence[str]) -> dict[str, Any]:
        return {
            "label": self.label,
            "chunks": dict(zip(dims, self.chunks, strict=True)),
            "shards": None if self.shards is None else dict(zip(dims, self.shards, strict=True)),
            "in_band": self.in_band,
            "chunk_bytes": self.chunk_bytes,
        }


@dataclass(frozen=True, slots=True)
class ValidationPlan:
    """The copies of the sample to measure (:attr:`layouts`), with the model's seconds."""

    schema: Schema
    patterns: tuple[Pattern, ...]
    layouts: tuple[SampleCopy, ...]
    predicted: np.ndarray
    """``(layouts, patterns)`` seconds per access by the model."""
    picks: tuple[int, ...]
    """Per pattern, the layout the model picks for that pattern alone."""
    pick: int
    """The layout the model picks for the mix."""
    profile: StorageProfile
    profile_origin: str
    band: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Validation:
    """Measured against predicted seconds, per layout and pattern."""

    plan: ValidationPlan
    measured: np.ndarray
    """``(layouts, patterns)`` median seconds per access."""
    stored_bytes: tuple[int, ...]
    repeats: int
    sample: str
    """What was sampled: the source, the variable and the time steps."""
    retest: np.ndarray | None = None
    """Per pattern, the rank correlation between the medians of the odd and the even rounds
    over the layouts: how well the measurement agrees with itself (NaN with one round).
    A model cannot be shown to rank better than this."""

    def spearman(self) -> np.ndarray:
        """Per pattern, the rank correlation of predicted and measured seconds over the layouts."""
        return np.array(
            [
                spearman(self.plan.predicted[:, j], self.measured[:, j])
                for j in range(len(self.plan.patterns))
            ]
        )

    def pick_ratios(self) -> np.ndarray:
        """Per pattern, measured seconds of the model's pick over the best measured in the band."""
        in_band = np.array([layout.in_band for layout in self.plan.layouts])
        rows = np.array(self.plan.picks)
        if not in_band.any():  # nothing measured in the band: no ratio to give
            return np.full(len(rows), np.nan)
        best = np.where(in_band[:, None], self.measured, np.inf).min(axis=0)
        return self.measured[rows, np.arange(len(rows))] / best

    def mix_ratio(self) -> float:
        """The pick's measured weighted slowdown over the best measured in the band."""
        in_band = np.array([layout.in_band for layout in self.plan.layouts])
        weights = np.array([p.weight for p in self.plan.patterns])
        if not in_band.any():
            return float("nan")
        best = np.where(in_band[:, None], self.measured, np.inf).min(axis=0)
        objective = (self.measured / best) @ weights / weights.sum()
        return float(objective[self.plan.pick] / objective[in_band].min())

    def errors(self) -> np.ndarray:
        """Per pattern, the geometric mean of predicted over measured seconds."""
        return np.exp(np.log(self.plan.predicted / self.measured).mean(axis=0))

    def ranking(self, column: int) -> list[str]:
        """The layouts' labels, fastest first by measurement, for pattern ``column``."""
        order = np.argsort(self.measured[:, column], kind="stable")
        return [self.plan.layouts[i].label for i in order]

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        names = [str(p) for p in plan.patterns]
        dims = plan.schema.dims
        layouts = []
        for i, layout in enumerate(plan.layouts):
            entry = layout.to_dict(dims)
            entry["stored_bytes"] = self.stored_bytes[i]
            entry["predicted"] = dict(zip(names, plan.predicted[i].tolist(), strict=True))
            entry["measured"] = dict(zip(names, self.measured[i].tolist(), strict=True))
            layouts.append(entry)
        spearman_values = self.spearman()
        ratios = self.pick_ratios()
        return {
            "sample": self.sample,
            "shape": dict(zip(dims, plan.schema.shape, strict=True)),
            "profile_origin": plan.profile_origin,
            "engine": plan.profile.engine or None,
            "band": {"min_size": plan.band[0], "max_size": plan.band[1]},
            "repeats": self.repeats,
            "patterns": names,
            "layouts": layouts,
            "ranking": {name: self.ranking(j) for j, name in enumerate(names)},
            "spearman": dict(zip(names, _finite(spearman_values), strict=True)),
            "retest": dict(
                zip(
                    names,
                    _finite(
                        self.retest if self.retest is not None else np.full(len(names), np.nan)
                    ),
                    strict=True,
                )
            ),
            "pick": {
                name: {"layout": plan.layouts[plan.picks[j]].label, "vs_best": ratio}
                for j, (name, ratio) in enumerate(zip(names, _finite(ratios), strict=True))
            },
            "mix_pick": {
                "layout": plan.layouts[plan.pick].label,
                "vs_best": _finite(np.array([self.mix_ratio()]))[0],
            },
            "error": dict(zip(names, self.errors().tolist(), strict=True)),
            "goal": {
                "spearman": GOAL_SPEARMAN,
                "pick": GOAL_PICK,
                "met": bool(
                    len(plan.layouts) >= 20
                    and np.all(np.nan_to_num(spearman_values) >= GOAL_SPEARMAN)
                    and np.all(ratios <= GOAL_PICK)
                ),
            },
        }


def _finite(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in values]


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given the mean of the ranks they span.

    Examples
    --------
    >>> ranks(np.array([10.0, 30.0, 20.0, 30.0])).tolist()
    [1.0, 3.5, 2.0, 3.5]
    """
    values = np.asarray(values, dtype=float)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse.reshape(-1)]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties averaged), NaN when either side is constant.

    Examples
    --------
    >>> spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 40, 30]))
    0.8
    """
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return math.nan
    return round(float(np.corrcoef(ra, rb)[0, 1]), 12)


def parse_layout(text: str, schema: Schema) -> tuple[int, ...]:
    """Chunks from ``time=24,latitude=121`` (dims not named are whole) or ``24x121x161``.

    Examples
    --------
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4)
    >>> parse_layout("time=24", s), parse_layout("32x60x80", s)
    ((24, 121, 161), (32, 60, 80))
    >>> parse_layout("time=24,time=48", s)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --layout 'time=24,time=48' names time twice: name it once
    """
    example = "time=24,latitude=121,longitude=161 or 24x121x161"
    text = text.strip()
    try:
        if "=" in text:
            given = {}
            for dim, value in pairs(text, "--layout", example):
                if dim not in schema.dims:
                    raise AdvisorError(
                        f"--layout {text!r} names {dim!r}, not a dimension: use "
                        f"{', '.join(schema.dims)}"
                    )
                given[dim] = int(value)
            chunks = tuple(given.get(d, n) for d, n in zip(schema.dims, schema.shape, strict=True))
        else:
            chunks = tuple(int(x) for x in text.lower().split("x"))
    except ValueError:
        raise AdvisorError(f"cannot read --layout {text!r}: write e.g. {example}") from None
    if len(chunks) != schema.ndim or any(c < 1 for c in chunks):
        raise AdvisorError(
            f"--layout {text!r} needs {schema.ndim} positive lengths ({', '.join(schema.dims)})"
        )
    return tuple(min(c, n) for c, n in zip(chunks, schema.shape, strict=True))


def plan_validation(
    schema: Schema,
    patterns: Sequence[Pattern | str],
    *,
    top: int = 3,
    spread: int = 0,
    layouts: Sequence[tuple[int, ...]] = (),
    shards: bool = False,
    profile: StorageProfile | None = None,
    profile_origin: str = BUILT_IN,
    min_size: float | str = MIN_SIZE,
    max_size: float | str = MAX_SIZE,
    reads: ZarrReads = DEFAULT_READS,
) -> ValidationPlan:
    """The layouts to measure and the model's seconds for them (pure: nothing is read).

    ``reads`` is how the zarr-python (and store client) that reads the copies makes requests.

    The model's pick and its next ``top``, the alternatives of
    :func:`advisor.plan.policy.recommend.recommend` (current, dask "auto", zarr's
    guess, the workflow's, each pattern's own pick), the best layout beyond
    the band and the two copies when the model proposes them, ``spread``
    in-band shapes as unlike each other as possible, and ``layouts``.
    """
    parsed = tuple(parse_pattern(p) for p in patterns)
    if any(p.kind in WRITES for p in parsed):  # said before any copy is written
        raise AdvisorError("validate does not measure appends yet: drop append from --pattern")
    if spread < 0 or top < 0:
        raise AdvisorError("--top and --spread take 0 or more layouts")
    rec = recommend(
        schema,
        parsed,
        profile=profile,
        profile_origin=profile_origin,
        shards=shards,
        top=top,
        min_size=min_size,
        max_size=max_size,
        reads=reads,
    )
    band = (rec.min_size, rec.max_size)
    specs: dict[tuple[tuple[int, ...], tuple[int, ...] | None], list[str]] = {}

    def add(label: str, chunks: Sequence[int], shard: Sequence[int] | None = None) -> None:
        key = (tuple(int(c) for c in chunks), None if shard is None else tuple(shard))
        specs.setdefault(key, [])
        if label not in specs[key]:
            specs[key].append(label)

    for layout in (rec.pick, *rec.top, *rec.alternatives):
        add(layout.label, layout.chunks, layout.shards)
    if rec.beyond_band is not None:
        add(rec.beyond_band.layout.label, rec.beyond_band.layout.chunks)
    if rec.two_copies is not None:
        for copy in rec.two_copies.copies:
            add(copy.layout.label, copy.layout.chunks, copy.layout.shards)
    for chunks in _spread(schema, parsed, band, spread, [k[0] for k in specs]):
        add("spread", chunks)
    for chunks in layouts:
        add("yours", chunks)
    keys = list(specs)
    chunks_rows = np.array([k[0] for k in keys])
    shard_rows = np.array([k[1] or k[0] for k in keys])
    stored = np.prod(shard_rows, axis=1, dtype=np.float64) * schema.itemsize
    copies = tuple(
        SampleCopy(
            label=" = ".join(specs[key]),
            chunks=key[0],
            shards=key[1],
            in_band=bool(band[0] <= stored[i] <= band[1]),
            chunk_bytes=int(math.prod(key[0]) * schema.itemsize),
        )
        for i, key in enumerate(keys)
    )
    predicted = score(
        schema,
        chunks_rows,
        parsed,
        rec.profile,
        shards=shard_rows if shards else None,
        reads=reads,
    ).seconds
    index = {key: i for i, key in enumerate(keys)}

    def row(layout: Any) -> int:
        return index[(tuple(layout.chunks), layout.shards)]

    by_label = {a.label: a for a in rec.alternatives}
    picks = tuple(row(by_label[f"best for {p}"]) for p in parsed)
    return ValidationPlan(
        schema=schema,
        patterns=parsed,
        layouts=copies,
        predicted=predicted,
        picks=picks,
        pick=row(rec.pick),
        profile=rec.profile,
        profile_origin=rec.profile_origin,
        band=band,
    )


def _spread(
    schema: Schema,
    patterns: Sequence[Pattern],
    band: tuple[int, int],
    n: int,
    taken: Sequence[tuple[int, ...]],
) -> list[tuple[int, ...]]:
    """``n`` in-band chunk shapes as far from each other (and from ``taken``) as possible in
    log-length space: a farthest-point sample of the candidate grid."""
    if n <= 0:
        return []
    grid = candidate_grid(schema, patterns, (), band=band, cap=20_000)
    sizes = np.prod(grid, axis=1, dtype=np.float64) * schema.itemsize
    grid = grid[(sizes >= band[0]) & (sizes <= band[1])]
    if not len(grid):
        return []
    scale = np.log(np.array(schema.shape, dtype=float)) + 1
    points = np.log(grid) / scale
    chosen = [np.log(np.array(t, dtype=float)) / scale for t in taken]
    distance = np.full(len(grid), np.inf)
    for point in chosen:
        distance = np.minimum(distance, np.abs(points - point).sum(axis=1))
    out: list[tuple[int, ...]] = []
    for _ in range(min(n, len(grid))):
        i = int(np.argmax(distance))
        if distance[i] == 0:
            break
        out.append(tuple(int(c) for c in grid[i]))
        distance = np.minimum(distance, np.abs(points - points[i]).sum(axis=1))
    return out


def describe_layout(layout: SampleCopy, itemsize: int) -> str:
    """``32x60x80`` or ``32x16x16 in 512x64x64``, with its size."""
    text = "x".join(map(str, layout.chunks))
    if layout.shards is not None:
        text += " in " + "x".join(map(str, layout.shards))
        return f"{text} ({human_readable_size(math.prod(layout.shards) * itemsize)} shards)"
    return f"{text} ({human_readable_size(layout.chunk_bytes)})"
