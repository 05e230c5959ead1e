"""Running an append on a Dask cluster: check, lock, write chunks, verify, publish metadata.

:func:`append` plans the append (:func:`advisor.plan.append_checks.plan_append`: it refuses a
drifted structure and bad times with one line, nothing written), takes the store's lock
(:mod:`advisor.store.append_lock`), and writes the new steps with xarray's
``to_zarr(append_dim=...)`` through :class:`advisor.store.append_store.DeferredMetadata`:
the Dask chunks along time are the plan's aligned chunks (the first completes the trailing
partial block, ``C - n mod C`` steps; no two tasks write one stored block), every chunk is
written while the resize, the new attributes and the consolidated metadata stay in memory.
The appended steps are then read back through that store and their checksums compared with
the source's (:mod:`advisor.run.checksum`); only then is the metadata written, consolidated
last. A run stopped before that leaves the store as it was (the chunks past its end are
invisible, and a rerun rewrites them); the root attributes record ``advisor_last_time`` and
``advisor_appended_at``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.append_checks import AppendPlan, Layout, check_structure, plan_append
from advisor.plan.errors import AdvisorError
from advisor.run.checksum import checksum
from advisor.run.watch import wait_with_progress
from advisor.store.append_lock import append_lock
from advisor.store.append_sources import open_sources, store_info, store_layout
from advisor.store.append_store import DeferredMetadata, local_writes_atomic
from advisor.store.locations import Where, zarr_store

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client
    from zarr.abc.store import Store

logger = logging.getLogger(__name__)

LAST_TIME = "advisor_last_time"
"""Root attribute: the last time step the store holds (ISO), written by each append."""
APPENDED_AT = "advisor_appended_at"
"""Root attribute: when the last append was published (ISO, UTC)."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append wrote and what it cost."""

    store: Where
    seconds: float
    write_seconds: float
    verify_seconds: float
    tasks: int
    metadata: tuple[str, ...]

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("store", str(self.store)),
            (
                "time",
                f"{self.seconds:.1f} s (write {self.write_seconds:.1f} s, "
                f"verify {self.verify_seconds:.1f} s)",
            ),
            ("tasks", f"{self.tasks:,}"),
            ("verified", "the appended steps' checksums equal the source's"),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": str(self.store),
            "seconds": self.seconds,
            "write_seconds": self.write_seconds,
            "verify_seconds": self.verify_seconds,
            "tasks": self.tasks,
            "metadata": list(self.metadata),
        }


def joined_layout(ds: xr.Dataset, first: Layout) -> Layout:
    """The joined sources' layout: the first's variables, the joined sizes and times."""
    from advisor.store.append_sources import layout

    whole = layout(ds, "SOURCE", None)
    return Layout(first.time_dim, whole.sizes, first.variables, whole.times)


def prepare(
    target: Where | Store, sources: Sequence[Where], *, allow_gap: bool, relayout: bool
) -> tuple[AppendPlan, xr.Dataset]:
    """Check the sources against the store and plan the append (reads metadata only)."""
    store = store_layout(target)
    ds, layouts = open_sources(sources)
    for lay in layouts:
        check_structure(store, lay, relayout=relayout)
    plan = plan_append(store, joined_layout(ds, layouts[0]), allow_gap=allow_gap, relayout=True)
    return plan, ds


def _writable(target: Where) -> Any:
    if isinstance(target, Path):
        from zarr.storage import LocalStore

        if not local_writes_atomic():
            raise AdvisorError(
                "the installed zarr's LocalStore does not write by rename: a killed append "
                "could tear a chunk; install zarr >= 3.1"
            )
        return LocalStore(target)
    return zarr_store(target, read_only=False)


def arriving(
    ds: xr.Dataset, plan: AppendPlan, target: Where | Store, attrs: dict[str, Any]
) -> xr.Dataset:
    """The new steps as Dask arrays in the plan's aligned chunks (other dims: the stored
    blocks), without the source's encoding, with the root attributes the append records."""
    from advisor.store.append_sources import open_group

    group = open_group(target)
    new = ds.copy()
    for name in new.variables:
        new[name].encoding = {}
    for name, _, chunks, _ in plan.blocks:
        array: Any = group[name]
        block = array.shards or array.chunks
        spec = {
            dim: (chunks if dim == plan.time_dim else size)
            for dim, size in zip(new[name].dims, block, strict=True)
        }
        new[name] = new[name].chunk(spec)
    new.attrs = {
        **attrs,
        LAST_TIME: plan.last_time,
        APPENDED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return new


def append(
    target: Where,
    sources: Sequence[Where],
    client: Client | None,
    *,
    allow_gap: bool = False,
    relayout: bool = False,
    progress: bool = True,
    lock: bool = True,
) -> tuple[AppendPlan, AppendResult]:
    """Append the sources' new steps to ``target`` under its lock (module docstring);
    ``lock=False`` when the caller holds it."""
    started = time.perf_counter()
    with append_lock(target) if lock else contextlib.nullcontext():
        plan, ds = prepare(target, sources, allow_gap=allow_gap, relayout=relayout)
        info = store_info(target)
        new = arriving(ds, plan, target, info.attrs)
        store = DeferredMetadata(_writable(target))
        logger.debug("appending %d steps to %s (zarr %d)", plan.new, target, info.zarr_format)
        with warnings.catch_warnings():  # the lock object is no part of the hierarchy
            warnings.filterwarnings("ignore", message=r"Object at \.advisor-append\.lock")
            write = new.to_zarr(
                store,
                append_dim=plan.time_dim,
                consolidated=info.consolidated,
                zarr_format=info.zarr_format,
                compute=False,
            )
        names = [name for name, *_ in plan.blocks]
        results, tasks = _compute(
            client, [write, *[checksum(new[v].data) for v in names]], "appending", progress
        )
        expected = [int(s) for s in results[1:]]
        written = time.perf_counter()
        tasks += _verify(store, plan, new, names, expected, client, progress)
        verified = time.perf_counter()
        order = store.publish()
    return plan, AppendResult(
        target,
        time.perf_counter() - started,
        written - started,
        verified - written,
        tasks,
        tuple(order),
    )


def _compute(
    client: Client | None, items: Sequence[Any], label: str, progress: bool
) -> tuple[list[Any], int]:
    """Compute ``items`` on the cluster (with progress; the tasks run are counted), or on
    dask's threaded scheduler when ``client`` is None (the benchmarks' threads mode)."""
    if client is None:
        import dask

        return list(dask.compute(*items)), 0
    futures = client.compute(list(items))
    tasks = wait_with_progress(futures, label, progress)
    return list(client.gather(futures)), tasks


def _verify(
    store: Store,
    plan: AppendPlan,
    new: xr.Dataset,
    names: Sequence[str],
    expected: Sequence[int],
    client: Client | None,
    progress: bool,
) -> int:
    """Read the appended steps back through ``store`` (its metadata held) and compare."""
    import numpy as np

    from advisor.store.sources import open_store

    stored = open_store(store, chunks={})
    try:
        window = {plan.time_dim: slice(plan.length, plan.length + plan.new)}
        tail = stored.isel(window)
        if not np.array_equal(tail[plan.time_dim].values, new[plan.time_dim].values):
            raise AdvisorError(
                "verification failed: the appended times differ from the source's; the store "
                "was not changed (rerun the append)"
            )
        results, tasks = _compute(
            client, [checksum(tail[v].data) for v in names], "verifying", progress
        )
        got = [int(s) for s in results]
    finally:
        stored.close()
    for name, want, have in zip(names, expected, got, strict=True):
        if want != have:
            raise AdvisorError(
                f"verification failed: the appended {name} differs from the source (checksum "
                f"{have:016x} vs {want:016x}); the store was not changed (rerun the append)"
            )
    return tasks
