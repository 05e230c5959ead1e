"""Beyond the band: the best layout outside the size band when it is much faster, and why the
band holds anyway (requests on an object store, Dask tasks, memory)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from advisor.plan.candidates import candidate_grid
from advisor.plan.cost.scores import score
from advisor.plan.policy.band import SAFETY, Band
from advisor.plan.policy.results import BeyondBand, Layout
from advisor.plan.policy.search import Search, argmin, best_seconds, make_layout
from advisor.plan.profile import PRESETS, StorageProfile
from advisor.plan.units import format_seconds, human_readable_size

logger = logging.getLogger(__name__)

WIDE_BAND = (100_000, 1_000_000_000)
"""Chunk sizes searched beyond the band (0.1 MB to 1 GB) for :class:`BeyondBand`."""

BEYOND_FACTOR = 2.0
"""A layout outside the band is shown when it beats the pick by this factor (weighted)."""


def beyond_band(
    found: Search,
    profile: StorageProfile,
    references: Sequence[Sequence[int]],
    picked: Layout,
    band: Band,
    cap: int,
) -> BeyondBand | None:
    """The best layout of :data:`WIDE_BAND` outside ``band``, if it beats the pick by
    :data:`BEYOND_FACTOR` (weighted slowdowns against the best of the wide band); worker
    memory still caps it.

    Examples
    --------
    >>> from advisor.plan.patterns import Pattern
    >>> from advisor.plan.policy.band import size_band
    >>> from advisor.plan.policy.search import search
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    >>> band = size_band(s, 10_000, 100_000, None, 4, 4.0)
    >>> found = search(s, (Pattern("full-scan"),), StorageProfile(), band, [], False, 10_000)
    >>> far = beyond_band(found, StorageProfile(), [], found.layout("pick", found.pick), band, 10_000)
    >>> far.speedup > BEYOND_FACTOR, far.layout.chunk_bytes > band.cap
    (True, True)
    """
    schema, patterns = found.schema, found.patterns
    low, high = WIDE_BAND[0], min(WIDE_BAND[1], band.memory_cap)
    grid = candidate_grid(schema, patterns, references, band=(low, high), cap=cap)
    sizes = np.prod(grid, axis=1, dtype=np.float64) * schema.itemsize
    wide = (sizes >= low) & (sizes <= high)
    outside = wide & ((sizes < band.floor) | (sizes > band.cap))
    if not outside.any():
        return None
    scores = score(schema, grid, patterns, profile, reads=found.reads)
    weights = np.array([p.weight for p in patterns])
    best = best_seconds(scores.seconds, wide)
    objective = (scores.seconds / best) @ weights / weights.sum()
    pick_seconds = np.array([c.seconds for c in picked.costs])
    pick_objective = float((pick_seconds / best) @ weights / weights.sum())
    n_chunks = np.prod(-(-np.array(schema.shape) // grid), axis=1, dtype=np.float64)
    row = argmin(objective, n_chunks, outside)
    speedup = pick_objective / float(objective[row])
    logger.debug("best outside the band: %s, %.3gx the pick", grid[row], speedup)
    if speedup < BEYOND_FACTOR:
        return None
    in_band = np.zeros(len(grid), dtype=bool)
    layout = make_layout(
        "beyond the band", schema, patterns, grid[row], scores, row, found.best, objective, in_band
    )
    speedups = tuple(float(a / b) for a, b in zip(pick_seconds, scores.seconds[row], strict=True))
    reason = _band_reason(found, profile, picked, layout, (band.floor, band.cap))
    return BeyondBand(layout=layout, speedup=speedup, speedups=speedups, reason=reason)


def _band_reason(
    found: Search,
    profile: StorageProfile,
    picked: Layout,
    outside: Layout,
    band: tuple[float, float],
) -> str:
    """Why the band holds anyway, in figures for these two layouts."""
    schema, patterns, size = found.schema, found.patterns, human_readable_size
    rows = np.array([picked.chunks, outside.chunks])
    if outside.chunk_bytes < band[0]:
        remote = score(schema, rows, patterns, PRESETS["object-store"], reads=found.reads)
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
            f"object-store profile puts the mix at {format_seconds(mix[1])} against "
            f"{format_seconds(mix[0])})"
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
