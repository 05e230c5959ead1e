"""Fit the cost model's constants to timed accesses (the pure half of ``advisor calibrate``).

The model's seconds are linear in its rates (:attr:`advisor.plan.cost.scores.Scores.terms`,
:func:`advisor.plan.cost.scores.rates`), so the constants are fitted by non-negative least
squares on relative errors (:func:`fit_rates`): the per-request overhead, latency and
bandwidth from the reads (the decode speed is the codec's), then Dask's per-task and
per-computation overheads and the grouping overhead from the scans and resamples
(:func:`fit_profile`). :mod:`advisor.run.calibrate` times the accesses.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from advisor.plan.codecs import DEFAULT_CODEC
from advisor.plan.cost.scores import TERMS, rates
from advisor.plan.profile import StorageProfile
from advisor.plan.store_probe import StoreProbe
from advisor.plan.units import format_seconds, human_readable_size

logger = logging.getLogger(__name__)

FLOORS: dict[str, float] = {
    "request_overhead": 1e-6,
    "latency": 1e-7,
    "bandwidth": 1e-13,
    "decode_speed": 1e-13,
    "task_overhead": 1e-6,
    "combine_speed": 1e-13,
    "compute_overhead": 1e-4,
    "reduce_speed": 1e-13,
    "group_overhead": 1e-4,
    "block_speed": 1e-13,
}
"""Smallest rate kept per term (a rate fitted to zero would make the profile invalid)."""

READ_CONSTANTS: tuple[str, ...] = ("request_overhead", "latency", "bandwidth")
"""The constants the reads fit on a local disk (on an object store the store probe measures
the latency and bandwidth, :mod:`advisor.plan.store_probe`, and the reads fit the first alone)."""

SCAN_CONSTANTS: tuple[str, ...] = (
    "task_overhead",
    "compute_overhead",
    "group_overhead",
    "block_speed",
)
"""The constants the scans and resamples fit: what the engine they ran on costs them
(:mod:`advisor.plan.engine`)."""

TimingKind = Literal["read", "scan"]
"""A read through zarr-python, or a scan or resample on Dask."""


@dataclass(frozen=True, slots=True)
class Timing:
    """One timed access: where, how many chunks and tasks, measured and predicted seconds."""

    layout: str
    chunks: tuple[int, ...]
    pattern: str
    kind: TimingKind
    chunks_touched: float
    tasks: float
    decoded_bytes: float
    seconds: float
    """Median over the repeats."""
    predicted: float = math.nan
    """By the calibrated profile."""
    terms: tuple[float, ...] = ()
    """The model's terms for this access (see :data:`advisor.plan.cost.scores.TERMS`)."""

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("terms")
        return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """What ``advisor calibrate`` measured, the profile fitted to it and where it was saved."""

    profile: StorageProfile
    timings: tuple[Timing, ...]
    trivial_task_overhead: float
    """Seconds per task of a graph of trivial tasks (the scheduler's floor, for reference)."""
    store: str
    elapsed: float
    saved_to: str | None = None
    """The profile file written, when the profile was saved."""
    probe: StoreProbe | None = None
    """The object store's requests, timed on their own (None on a local disk)."""

    def errors(self) -> np.ndarray:
        """``predicted / measured`` per timing."""
        return np.array([t.predicted / t.seconds for t in self.timings])

    def median_factor(self) -> float:
        """The factor the model is off by on the median access (1 is exact).

        Examples
        --------
        >>> t = Timing("x", (1,), "map", "read", 1, 0, 1, seconds=1.0, predicted=2.0)
        >>> Calibration(StorageProfile(), (t, t), 0.001, "here", 1.0).median_factor()
        2.0
        """
        return float(np.exp(np.median(np.abs(np.log(self.errors())))))

    def constants(self) -> list[tuple[str, str]]:
        """The fitted constants as ``(name, value with unit)`` rows."""
        size, secs = human_readable_size, format_seconds
        p = self.profile
        probed = ", or fewer if more do not help" if self.probe is not None else ""
        return [
            ("request overhead", f"{secs(p.request_overhead)} per chunk"),
            ("latency", f"{secs(p.latency)} per request"),
            ("read bandwidth", f"{size(p.bandwidth)}/s of stored bytes"),
            ("decode speed", f"{size(p.decode_speed)}/s per thread ({DEFAULT_CODEC.label})"),
            ("compression ratio", f"{p.compression_ratio:.3g} ({DEFAULT_CODEC.label})"),
            ("threads", f"{p.threads} (Dask threads and decode threads)"),
            ("requests in flight", f"{p.concurrency} (zarr's async.concurrency{probed})"),
            ("Dask task overhead", f"{secs(p.task_overhead)} per task"),
            ("trivial Dask task", f"{secs(self.trivial_task_overhead)} per task"),
            ("Dask computation", f"{secs(p.compute_overhead)} per scan or resample"),
            ("grouping", f"{secs(p.group_overhead)} more per resample"),
            ("reduction speed", f"{size(p.reduce_speed)}/s per thread (flox, in cache)"),
            ("grouped reduction slowdown", _grid_text(p)),
            ("store", p.measured_on() or "not recorded"),
            *_probe_rows(self.probe),
        ]

    def to_dict(self) -> dict[str, Any]:
        errors = self.errors()
        out = {
            "profile": dataclasses.asdict(self.profile),
            "timings": [t.to_dict() for t in self.timings],
            "trivial_task_overhead": self.trivial_task_overhead,
            "median_error": float(np.median(np.abs(np.log(errors)))),
            "store": self.store,
            "elapsed": self.elapsed,
        }
        if self.saved_to is not None:
            out["saved_to"] = self.saved_to
        if self.probe is not None:
            out["probe"] = self.probe.to_dict()
        return out


def fit_rates(
    terms: np.ndarray, seconds: np.ndarray, fixed: np.ndarray, free: Sequence[int]
) -> np.ndarray:
    """The rates (:func:`advisor.plan.cost.scores.rates`) that best explain ``seconds``; ``free`` are fitted.

    Minimises the squared *relative* error ``(terms @ rates - seconds) / seconds``
    over non-negative values of the rates at ``free`` (the others keep their
    value in ``fixed``), by trying every subset of them as the ones that are
    positive (an exact non-negative least squares for a few unknowns).

    Examples
    --------
    >>> terms = np.array([[1, 1, 0], [10, 1, 0], [100, 1, 1e6]], dtype=float)
    >>> true = np.array([2e-4, 1e-4, 1e-9])
    >>> fit_rates(terms, terms @ true, np.zeros(3), [0, 1, 2]).round(12).tolist()
    [0.0002, 0.0001, 1e-09]
    """
    terms = np.asarray(terms, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    free = list(free)
    rest = [i for i in range(terms.shape[1]) if i not in free]
    weight = 1 / seconds
    target = (seconds - terms[:, rest] @ np.asarray(fixed, dtype=float)[rest]) * weight
    design = terms[:, free] * weight[:, None]
    best, best_loss = np.zeros(len(free)), float(np.sum(target**2))
    for size in range(1, len(free) + 1):
        for subset in itertools.combinations(range(len(free)), size):
            columns = design[:, list(subset)]
            if not np.any(columns):
                continue
            solution, *_ = np.linalg.lstsq(columns, target, rcond=None)
            if (solution < 0).any():
                continue
            loss = float(np.sum((columns @ solution - target) ** 2))
            if loss < best_loss * (1 - 1e-12):
                best, best_loss = np.zeros(len(free)), loss
                best[list(subset)] = solution
    out = np.asarray(fixed, dtype=float).copy()
    out[free] = best
    return out


def profile_from_rates(base: StorageProfile, values: np.ndarray, **extra: Any) -> StorageProfile:
    """``base`` with the constants of :data:`~advisor.plan.cost.scores.TERMS` set from ``values``, floored.

    Examples
    --------
    >>> values = np.array([1e-4, 0, 1e-9, 1e-9, 2e-3, 1e-9, 0.1, 1e-9, 0.2, 0])
    >>> p = profile_from_rates(StorageProfile(), values)
    >>> p.request_overhead, p.latency, round(p.bandwidth), p.task_overhead
    (0.0001, 1e-07, 1000000000, 0.002)
    """
    changes: dict[str, Any] = {}
    for name, value in zip(TERMS, values, strict=True):
        value = max(float(value), FLOORS[name])
        changes[name] = 1 / value if name.endswith("speed") or name == "bandwidth" else value
    return base.with_overrides(**changes, **extra)


def fit_profile(
    base: StorageProfile,
    timings: Sequence[Timing],
    trivial_task: float,
    free: Sequence[str] = READ_CONSTANTS,
) -> StorageProfile:
    """Fit the read constants to the reads, then the Dask task overhead to the scans.

    The read constants ``free`` (the request overhead, latency and bandwidth; on an object
    store, whose probe measured the other two, the request overhead alone) come from the
    reads (with the decode speed measured per codec kept and the rest of ``base``); Dask's per-task and per-computation
    overheads and the grouping's overhead from what the scans and resamples
    took beyond their reads and their grouped reduction (whose speed per block
    shape, :func:`advisor.run.machine_speeds.group_reduction_grid`, is measured
    directly and kept). A fit of zero falls back on the floors of
    :data:`FLOORS`, and the task overhead on ``trivial_task``.
    """
    reads = [t for t in timings if t.kind == "read"]
    scans = [t for t in timings if t.kind == "scan"]
    index = {name: i for i, name in enumerate(TERMS)}
    fitted = rates(base)
    if reads:
        fitted = fit_rates(
            np.array([t.terms for t in reads]),
            np.array([t.seconds for t in reads]),
            fitted,
            [index[name] for name in free],
        )
    if scans:
        fitted = fit_rates(
            np.array([t.terms for t in scans]),
            np.array([t.seconds for t in scans]),
            fitted,
            [index[name] for name in SCAN_CONSTANTS],
        )
    if fitted[index["task_overhead"]] <= 0:
        fitted[index["task_overhead"]] = trivial_task
    logger.debug("fitted rates %s", dict(zip(TERMS, fitted.tolist(), strict=True)))
    return profile_from_rates(base, fitted)


def with_predictions(timings: Sequence[Timing], profile: StorageProfile) -> tuple[Timing, ...]:
    """``timings`` with the seconds ``profile`` predicts for each (``terms @ rates``).

    Examples
    --------
    >>> t = Timing("x", (1,), "map", "read", 1, 0, 1, 0.1, terms=(1.0,) + (0.0,) * 9)
    >>> with_predictions([t], StorageProfile(request_overhead=2e-4))[0].predicted
    0.0002
    """
    fitted = rates(profile)
    return tuple(
        dataclasses.replace(t, predicted=float(np.asarray(t.terms) @ fitted)) for t in timings
    )


def _probe_rows(probe: StoreProbe | None) -> list[tuple[str, str]]:
    """The store probe's figures as rows of :meth:`Calibration.constants` (none without one).

    Examples
    --------
    >>> _probe_rows(StoreProbe(0.021, 2e8, 5e8, 8, 16e6, {1: 45.0}, whole_get=0.042))[0]
    ('first-byte latency', '21 ms per GET (small ranged GETs beyond their CPU: lower quartile)')
    """
    if probe is None:
        return []
    size, secs = human_readable_size, format_seconds
    levels = ", ".join(f"{c}: {r:.0f}/s" for c, r in sorted(probe.throughput.items()))
    return [
        ("first-byte latency", f"{secs(probe.latency)} per GET (small ranged GETs beyond their "
         "CPU: lower quartile)"),
        ("median wait", f"{secs(probe.median_latency)} per GET"),
        ("request CPU", f"{secs(probe.request_cpu)} per GET (signing, parsing)"),
        ("GET of a whole object", f"{secs(probe.whole_get)} ({probe.round_trips:g} round trips)"),
        ("per-stream bandwidth", f"{size(probe.stream_bandwidth)}/s (one GET)"),
        ("total bandwidth", f"{size(probe.bandwidth)}/s ({probe.concurrency} GETs at once)"),
        ("concurrency that helps", f"{probe.concurrency} (small GETs per second: {levels})"),
    ]  # fmt: skip


def _grid_text(profile: StorageProfile) -> str:
    """The slowdowns of the grouped reduction's grid, e.g. ``1-3.7x (most: 8760 steps, 100 MB)``."""
    if not profile.group_grid:
        return "none"
    low = min(g[2] for g in profile.group_grid)
    t, b, high = max(profile.group_grid, key=lambda g: g[2])
    return f"{low:.2g}-{high:.2g}x (most: blocks of {t:g} steps, {human_readable_size(b)})"
