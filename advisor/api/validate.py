"""``advisor.validate``: measure the recommended and the usual layouts on a sample of a source."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.engine import for_engine, parse_engine
from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.plan.patterns import REDUCTIONS, parse_pattern
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.policy.recommend import DEFAULT_PATTERNS
from advisor.plan.profile import StorageProfile
from advisor.plan.validation import Validation, ValidationPlan, parse_layout, plan_validation
from advisor.run.engines import computing_on, engine_used
from advisor.run.scratch import validation_folder
from advisor.run.validate import run_validation
from advisor.store.locations import Where, location
from advisor.store.metadata import schema_from_dataset
from advisor.store.profiles import find_profile, resolve_profile
from advisor.store.sources import open_store, resolve_source
from advisor.store.zarr_reads import installed_zarr_reads

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from advisor.plan.patterns import Pattern

DEFAULT_HOURS = 24 * 14
"""Time steps of the default sample (two weeks of hourly data)."""


def validate(
    source: str | Path,
    patterns: Sequence[Pattern | str] = (),
    *,
    top: int = 3,
    spread: int = 4,
    layouts: Sequence[str | Sequence[int]] = (),
    hours: int | None = None,
    variable: str | None = None,
    shards: bool = False,
    repeats: int = 5,
    seed: int = 0,
    workdir: str | Path | None = None,
    min_size: float | str = MIN_SIZE,
    max_size: float | str = MAX_SIZE,
    profile: StorageProfile | str | None = None,
    catalog: str | Path | None = None,
    client: Client | None = None,
    scheduler: str | None = None,
    engine: str | None = None,
    quiet: bool = False,
    progress: Callable[[str], None] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Validation:
    """Write small copies of a sample of ``source`` in many layouts, replay ``patterns`` on each
    and compare the measured seconds and ranking with the model's.

    Parameters
    ----------
    source
        A Zarr store path or URL, or a catalog entry name (in ``catalog``).
    patterns
        The access patterns (default: point-series, map, ml-batch).
    top, spread, layouts, shards, min_size, max_size, profile
        What to measure (:func:`advisor.plan.validation.plan_validation`): the model's
        ``top`` best in the band, ``spread`` in-band shapes as unlike each other as
        possible, and ``layouts`` (chunk lengths, or ``time=24,...`` / ``24x121x161``).
        ``profile`` defaults to the one :func:`advisor.store.profiles.find_profile` finds.
    hours, variable
        The sample: the first ``hours`` time steps (default :data:`DEFAULT_HOURS`) of
        ``variable`` (default: the first data variable), on the full grid.
    repeats, seed
        Accesses timed per layout and pattern, and the seed of the accesses drawn.
    workdir
        Keep the copies in this new (or empty) folder, or under this new URL prefix on an
        object store to measure it (default: a temporary folder, removed).
    storage_options
        Options for the file systems of URLs (credentials, endpoint, ``anon``...).
    client, scheduler, engine, quiet, progress
        Compute on ``client``, else on the scheduler at ``scheduler`` (or
        ``ADVISOR_SCHEDULER``), else on ``engine``: ``threads`` (dask's threaded scheduler in
        this process) or ``processes`` (the default: a new LocalCluster). The reductions are
        priced for the engine they run on (:func:`advisor.plan.engine.for_engine`: the
        profile's figures for it, else built-in ones, as ``profile_origin`` then says).
        ``quiet`` does not announce the cluster; ``progress`` receives a line per copy
        written and per pattern replayed.

    Bad input is refused before any cluster starts.
    """
    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    used = engine_used(parse_engine(engine) if engine is not None else None, scheduler, client)
    folder_at = (
        None if workdir is None else location(workdir, "--workdir", storage_options, write=True)
    )
    ds = open_store(
        resolve_source(str(source), catalog, storage_options=storage_options), chunks={}
    )
    sample, name, what = _sample(ds, str(source), variable, hours)
    schema = schema_from_dataset(sample, name=what)
    resolved, origin = resolve_profile(
        profile if isinstance(profile, StorageProfile) else find_profile(profile)
    )
    choice = for_engine(resolved, used)
    if any(parse_pattern(p).kind in REDUCTIONS for p in patterns):
        origin = f"{origin}; {choice.note()}"
    plan = plan_validation(
        schema,
        patterns or DEFAULT_PATTERNS,
        top=top,
        spread=spread,
        layouts=[
            parse_layout(layout, schema) if isinstance(layout, str) else tuple(layout)
            for layout in layouts
        ],
        shards=shards,
        profile=choice.profile,
        profile_origin=origin,
        min_size=min_size,
        max_size=max_size,
        reads=installed_zarr_reads(  # the copies are read where they are written
            folder_at.scheme if isinstance(folder_at, Url) else None, storage_options
        ),
    )
    with (
        validation_folder(folder_at) as folder,
        computing_on(used, scheduler, client=client, quiet=quiet) as (_, on),
    ):
        if on is None:
            return _run(plan, sample, folder, name, repeats, seed, what, progress)
        with on.as_current():
            return _run(plan, sample, folder, name, repeats, seed, what, progress)


def _sample(
    ds: xr.Dataset, source: str, variable: str | None, hours: int | None
) -> tuple[xr.Dataset, str, str]:
    """The first ``hours`` time steps of ``variable`` of ``ds``, its name and a phrase saying so."""
    full = schema_from_dataset(ds, name=source)
    name = variable or full.variables[0]
    if name not in full.variables:
        raise AdvisorError(
            f"--variable {name!r} is not one of the data variables {', '.join(full.variables)}"
        )
    time_dim = full.dim_of("time")
    if time_dim is None:
        return ds[[name]], name, f"{source}: {name}"
    steps = hours if hours is not None else DEFAULT_HOURS
    if steps < 1:
        raise AdvisorError(f"--hours {steps}: give at least 1 time step")
    total = full.sizes[time_dim]
    steps = min(steps, total)
    what = f"{source}: {name}, the first {steps} of {total} time steps"
    return ds[[name]].isel({time_dim: slice(0, steps)}), name, what


def _run(
    plan: ValidationPlan,
    sample: xr.Dataset,
    folder: Where,
    variable: str,
    repeats: int,
    seed: int,
    label: str,
    progress: Callable[[str], None] | None,
) -> Validation:
    """Load the sample (on the current Dask client) and write and measure the plan's copies."""
    return run_validation(
        plan,
        sample.compute(),
        folder,
        variable=variable,
        repeats=repeats,
        seed=seed,
        label=label,
        progress=progress,
    )
