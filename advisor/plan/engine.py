"""The Dask engine a reduction runs on, and what it costs: the policy of ``--engine``. Pure.

A scan, resample or climatology runs through Dask, and the same chunks cost different
engines differently (measured on the sample year, ``mean("time")``, issue #13): dask's
threaded scheduler and an in-process ``Client(processes=False)`` pay little per task but
much for large blocks (each block beyond malloc's reuse comes from fresh pages, in the one
process that also runs the scheduler), while a LocalCluster of worker processes pays more
per task (the scheduler, the worker's bookkeeping) and little for large blocks. The cost
model prices both through the profile's ``task_overhead``, ``compute_overhead``,
``group_overhead`` and ``block_speed`` (:func:`large_share` says which blocks are large);
``advisor calibrate --engine`` measures them per engine (:class:`~advisor.plan.profile.EngineSpeed`)
and :func:`for_engine` picks the ones a command prices with.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import EngineSpeed, StorageProfile

logger = logging.getLogger(__name__)

Engine = Literal["threads", "processes", "scheduler"]
ENGINES: tuple[Engine, ...] = get_args(Engine)

DEFAULT_ENGINE: Engine = "processes"
"""The engine assumed when neither ``--engine`` nor the profile names one: the LocalCluster of
worker processes that the advisor's own commands start."""

ENGINE_LABELS: dict[Engine, str] = {
    "threads": "dask's threaded scheduler (or an in-process Client(processes=False))",
    "processes": "a LocalCluster of worker processes",
    "scheduler": "the Dask cluster at --scheduler",
}

LARGE_BLOCK = 32 * 2**20
"""Bytes of a block from which reductions pay :attr:`~StorageProfile.block_speed` in full:
glibc's largest dynamic mmap threshold, beyond which every block is fresh memory pages."""

EngineOrigin = Literal["measured", "built-in"]

BUILT_IN_ENGINES: dict[Engine, EngineSpeed] = {
    "threads": EngineSpeed("threads", 2, 6.4e-4, 0.12, 1e-4, 4.9e8, "built-in figures"),
    "processes": EngineSpeed("processes", 4, 5.0e-4, 0.1, 0.2, 1.0e13, "built-in figures"),
    "scheduler": EngineSpeed("scheduler", 4, 1.0e-3, 0.1, 0.2, 1.0e13, "built-in figures"),
}
"""Each engine's reduction constants, for profiles that did not measure the engine asked for:
``threads`` as ``advisor calibrate --engine threads`` fitted them on the project's 2-core
machine (0.64 ms per task, 0.12 s per computation, 490 MB/s per thread for large blocks);
``processes`` the local preset's own (:data:`~advisor.plan.profile.PRESETS`), which a process
LocalCluster gave; ``scheduler`` those with a network hop more per task."""


def parse_engine(text: str) -> Engine:
    """An engine's name, checked.

    Examples
    --------
    >>> parse_engine("threads")
    'threads'
    >>> parse_engine("gpu")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --engine gpu: use threads, processes or scheduler
    """
    if text not in ENGINES:
        raise AdvisorError(f"--engine {text}: use threads, processes or scheduler")
    return text


def how_to_measure(engine: Engine) -> str:
    """The command that measures ``engine`` on this machine.

    Examples
    --------
    >>> how_to_measure("threads")
    'advisor calibrate --engine threads'
    >>> how_to_measure("scheduler")
    'advisor calibrate --scheduler ADDRESS'
    """
    return (
        "advisor calibrate --scheduler ADDRESS"
        if engine == "scheduler"
        else (f"advisor calibrate --engine {engine}")
    )


def large_share(block_bytes: np.ndarray) -> np.ndarray:
    """The share of a reduction's blocks' bytes priced at ``block_speed``: none up to half of
    :data:`LARGE_BLOCK`, all from twice it, log-linear between.

    Examples
    --------
    >>> large_share(np.array([8e6, 32 * 2**20, 90e6])).round(2).tolist()
    [0.0, 0.5, 1.0]
    """
    sizes = np.maximum(np.asarray(block_bytes, dtype=float), 1.0)
    return np.clip((np.log2(sizes) - math.log2(LARGE_BLOCK / 2)) / 2, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """The engine a command prices reductions for, and whether its constants were measured."""

    engine: Engine
    profile: StorageProfile
    """The profile with that engine's constants in place."""
    origin: EngineOrigin
    described: str = ""
    """What was measured (workers, threads, memory), or "built-in figures"."""

    @property
    def measured(self) -> bool:
        return self.origin == "measured"

    def note(self) -> str:
        """One sentence for the output: the engine assumed and, when not measured, how to.

        Examples
        --------
        >>> print(for_engine(StorageProfile(), "threads").note())  # doctest: +ELLIPSIS
        reductions priced for dask's threaded scheduler (...) from built-in figures: \
measure this machine with `advisor calibrate --engine threads`
        """
        text = f"reductions priced for {ENGINE_LABELS[self.engine]}"
        if self.measured:
            return f"{text}, as measured ({self.described})" if self.described else text
        return f"{text} from built-in figures: measure this machine with `{how_to_measure(self.engine)}`"

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "measured": self.measured,
            "described": self.described,
            "measure_with": None if self.measured else how_to_measure(self.engine),
        }


def apply_engine(profile: StorageProfile, speed: EngineSpeed) -> StorageProfile:
    """``profile`` with the reduction constants of ``speed`` (and its engine named)."""
    return dataclasses.replace(
        profile,
        engine=speed.engine,
        threads=speed.threads,
        task_overhead=speed.task_overhead,
        compute_overhead=speed.compute_overhead,
        group_overhead=speed.group_overhead,
        block_speed=speed.block_speed,
    )


def engine_speed_of(profile: StorageProfile, engine: Engine, described: str = "") -> EngineSpeed:
    """The reduction constants of ``profile`` as the :class:`EngineSpeed` of ``engine``."""
    return EngineSpeed(
        engine,
        profile.threads,
        profile.task_overhead,
        profile.compute_overhead,
        profile.group_overhead,
        profile.block_speed,
        described,
    )


def for_engine(profile: StorageProfile, engine: Engine | None = None) -> EngineChoice:
    """``profile`` priced for ``engine`` (default: the profile's own, else :data:`DEFAULT_ENGINE`).

    The engine's constants come from the profile's :attr:`~StorageProfile.engine_speeds`
    when it measured that engine (or from the profile itself when it was calibrated on it),
    else from :data:`BUILT_IN_ENGINES` (keeping the profile's thread count).

    Examples
    --------
    >>> for_engine(StorageProfile()).engine, for_engine(StorageProfile()).origin
    ('processes', 'built-in')
    >>> mine = EngineSpeed("threads", 2, 2e-4, 0.01, 0.03, 5e8, "1 process, 2 threads")
    >>> choice = for_engine(StorageProfile(engine_speeds=(mine,)), "threads")
    >>> choice.origin, choice.profile.task_overhead, choice.profile.engine
    ('measured', 0.0002, 'threads')
    """
    chosen: Engine = engine or (profile.engine or DEFAULT_ENGINE)  # type: ignore[assignment]
    chosen = parse_engine(chosen)
    for speed in profile.engine_speeds:
        if speed.engine == chosen:
            logger.debug("engine %s: measured (%s)", chosen, speed.described)
            return EngineChoice(chosen, apply_engine(profile, speed), "measured", speed.described)
    if profile.engine == chosen:
        return EngineChoice(chosen, profile, "measured", profile.calibrated)
    built_in = dataclasses.replace(BUILT_IN_ENGINES[chosen], threads=profile.threads)
    logger.debug("engine %s: built-in figures", chosen)
    return EngineChoice(chosen, apply_engine(profile, built_in), "built-in", built_in.described)


def merge_engine_speeds(
    new: tuple[EngineSpeed, ...], old: tuple[EngineSpeed, ...]
) -> tuple[EngineSpeed, ...]:
    """``new`` and those of ``old`` for other engines (a calibration keeps what it did not redo).

    Examples
    --------
    >>> a, b = (EngineSpeed(e, 2, 1e-3, 0.1, 0.1, 1e9) for e in ("threads", "processes"))
    >>> [s.engine for s in merge_engine_speeds((a,), (b, a))]
    ['threads', 'processes']
    """
    engines = {s.engine for s in new}
    return new + tuple(s for s in old if s.engine not in engines)
