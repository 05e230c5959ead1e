"""``advisor.api.append.append``: add the new time steps of SOURCE to an existing Zarr store.

Resolves the target (``--to``: a path or URL holding a Zarr store) and each SOURCE (a Zarr
store, URL, catalog entry, or a folder of arriving files), checks and plans the append
(:func:`advisor.run.append.prepare`: every refusal before a cluster is reached or started),
then runs it on the Dask cluster (:func:`advisor.run.append.append`). With ``dry_run`` it
plans and writes nothing, not even missing sample data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from distributed import Client

    from advisor.plan.append_checks import AppendPlan
    from advisor.run.append import AppendResult
    from advisor.store.locations import Where


@dataclass(frozen=True, slots=True)
class AppendOutcome:
    """The plan of an append and its result (None for a dry run)."""

    plan: AppendPlan
    result: AppendResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "result": None if self.result is None else self.result.to_dict(),
        }


def resolve_target(to: str | Path, storage_options: Mapping[str, Any] | None = None) -> Where:
    """The store ``--to`` names, which must exist and be a Zarr store."""
    from advisor.store.locations import is_store, location

    where = location(to, "--to", storage_options, write=True)
    if not is_store(where):
        raise AdvisorError(
            f"--to {to} is not a Zarr store: append adds steps to an existing store; "
            "write the first steps with advisor apply"
        )
    return where


def resolve_arrivals(
    names: Sequence[str],
    catalog: str | Path | None,
    *,
    generate: bool,
    storage_options: Mapping[str, Any] | None,
) -> list[Where]:
    """Each SOURCE's place: a folder of arriving files as it is, else a store or entry."""
    from advisor.run.sources import resolve_sources
    from advisor.store.sources import is_store

    if not names:
        raise AdvisorError("no SOURCE given: name a Zarr store, a catalog entry or a folder")
    places: list[Where | None] = []
    rest = []
    for name in names:
        path = Path(name).expanduser()
        if "://" not in name and path.is_dir() and not is_store(path):
            places.append(path.resolve())
        else:
            places.append(None)
            rest.append(name)
    resolved = (
        iter(
            s.path
            for s in resolve_sources(
                rest, catalog, generate=generate, storage_options=storage_options
            )
        )
        if rest
        else iter(())
    )
    return [p if p is not None else next(resolved) for p in places]


def append(
    sources: str | Sequence[str],
    to: str | Path,
    *,
    allow_gap: bool = False,
    relayout: bool = False,
    catalog: str | Path | None = None,
    dry_run: bool = False,
    scheduler: str | None = None,
    client: Client | None = None,
    quiet: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    icechunk: bool = False,
) -> AppendOutcome:
    """Append the new time steps of ``sources`` to the Zarr store ``to``, verified.

    Refuses (one-line :class:`AdvisorError`, nothing written) a structure that
    drifted, steps that overlap the store's end or go backwards, a gap (unless
    ``allow_gap``), another time step, a chunking or codec of a Zarr source other
    than the store's (unless ``relayout``), and a second append to the same store
    while one runs. With ``icechunk``, ``to`` is an Icechunk repository and the append
    is one commit on its ``main`` (a concurrent commit makes it fail). ``client`` reuses a
    Dask client (else one is started, or joined with ``scheduler``).
    """
    from advisor.run import append as runner
    from advisor.run.cluster import dask_client, resolve_scheduler

    names = [sources] if isinstance(sources, str) else list(sources)
    if icechunk:
        return _append_icechunk(
            names,
            to,
            allow_gap,
            relayout,
            catalog,
            dry_run,
            scheduler,
            client,
            quiet,
            storage_options,
        )
    target = resolve_target(to, storage_options)
    places = resolve_arrivals(names, catalog, generate=not dry_run, storage_options=storage_options)
    for place in places:
        if place == target:
            raise AdvisorError(f"SOURCE {place} is the store itself: name the new steps")
    plan, _ = runner.prepare(target, places, allow_gap=allow_gap, relayout=relayout)
    if dry_run:
        return AppendOutcome(plan)
    from advisor.store.append_lock import append_lock
    from advisor.store.publish import write_failed

    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(append_lock(target))  # before a cluster is started or reached
            if client is None:
                in_memory = str(target).startswith("memory:")
                client = stack.enter_context(
                    dask_client(resolve_scheduler(scheduler), processes=not in_memory, quiet=quiet)
                )
            plan, result = runner.append(
                target,
                places,
                client,
                allow_gap=allow_gap,
                relayout=relayout,
                progress=not quiet,
                lock=False,
            )
    except OSError as exc:  # a full disk: one line; the metadata was held, the store as it was
        raise write_failed(exc, target) from None
    return AppendOutcome(plan, result)


def _append_icechunk(
    names: list[str],
    to: str | Path,
    allow_gap: bool,
    relayout: bool,
    catalog: str | Path | None,
    dry_run: bool,
    scheduler: str | None,
    client: Client | None,
    quiet: bool,
    storage_options: Mapping[str, Any] | None,
) -> AppendOutcome:
    """:func:`append` into an Icechunk repository: one commit, no lock."""
    from advisor.run.append_icechunk import append_icechunk
    from advisor.run.cluster import dask_client, resolve_scheduler
    from advisor.store.icechunk_repo import require_icechunk
    from advisor.store.locations import location

    require_icechunk()
    target = location(to, "--to", storage_options, write=True)
    places = resolve_arrivals(names, catalog, generate=not dry_run, storage_options=storage_options)
    options = {"allow_gap": allow_gap, "relayout": relayout, "progress": not quiet}
    plan, _ = append_icechunk(target, places, None, dry_run=True, **options)  # checks first
    if dry_run:
        return AppendOutcome(plan)
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(resolve_scheduler(scheduler), quiet=quiet))
        plan, result = append_icechunk(target, places, client, **options)
    return AppendOutcome(plan, result)
