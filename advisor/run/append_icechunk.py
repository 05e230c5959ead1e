"""Appending to an Icechunk repository: one commit per append, on ``main``.

The same checks, aligned chunks, attributes and verification as :mod:`advisor.run.append`,
written on a branch of its own made at ``main``'s snapshot (as ``advisor apply --icechunk``
and reformatters do): xarray resizes the arrays and writes the new times and attributes into
a fork of its session, the Dask arrays go through :func:`icechunk.dask.store_dask` into the
new region (xarray's own ``to_icechunk`` fails with this xarray), the fork's changes are
merged back and committed on that branch, the appended steps are read back from the snapshot
and compared with the source, and only then does ``main`` move to it, by a compare-and-swap
(``reset_branch(..., from_snapshot_id=...)``): one new snapshot on ``main`` per append.
Nothing is visible on ``main`` before that, so a kill leaves the repository as it was (an
``advisor-append-*`` branch may be left: delete it); no lock is needed: an append that moved
``main`` first makes the swap fail, reported in one line (rerun: the new steps are planned
again against the new end).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.run.append import AppendResult, _compute, _verify, arriving, prepare
from advisor.run.checksum import checksum
from advisor.store.append_sources import store_info
from advisor.store.icechunk_repo import BRANCH, open_repository
from advisor.store.locations import Where
from advisor.store.publish import new_token

if TYPE_CHECKING:
    from distributed import Client

    from advisor.plan.append_checks import AppendPlan

logger = logging.getLogger(__name__)


def append_icechunk(
    target: Where,
    sources: Sequence[Where],
    client: Client | None,
    *,
    allow_gap: bool = False,
    relayout: bool = False,
    progress: bool = True,
    dry_run: bool = False,
) -> tuple[AppendPlan, AppendResult | None]:
    """Append the sources' new steps to the repository at ``target`` in one commit."""
    import zarr
    from icechunk.dask import store_dask

    started = time.perf_counter()
    repo = open_repository(target, create=False)
    if repo is None:
        raise AdvisorError(
            f"--to {target} is not an Icechunk repository: write the first steps with "
            "advisor apply --icechunk"
        )
    parent = repo.lookup_branch(BRANCH)
    reader = repo.readonly_session(snapshot_id=parent)
    plan, ds = prepare(reader.store, sources, allow_gap=allow_gap, relayout=relayout)
    if dry_run:
        return plan, None
    work = f"advisor-append-{new_token()}"
    repo.create_branch(work, parent)
    try:
        session = repo.writable_session(work)
        new = arriving(ds, plan, reader.store, store_info(reader.store).attrs)
        fork = session.fork()
        new.to_zarr(
            fork.store, append_dim=plan.time_dim, compute=False, consolidated=False, zarr_format=3
        )
        group = zarr.open_group(fork.store, mode="r+")
        names = [name for name, *_ in plan.blocks]
        region = slice(plan.length, plan.length + plan.new)
        targets: list[Any] = [group[v] for v in names]
        regions = [
            tuple(region if d == plan.time_dim else slice(None) for d in new[v].dims) for v in names
        ]
        sums = [checksum(new[v].data) for v in names]
        merged = store_dask(sources=[new[v].data for v in names], targets=targets, regions=regions)
        session.merge(merged)
        results, tasks = _compute(client, sums, "checksums", progress)
        snapshot = session.commit(
            f"advisor append: {plan.new} steps, {plan.first_time} .. {plan.last_time}"
        )
        written = time.perf_counter()
        stored = repo.readonly_session(snapshot_id=snapshot).store
        expected = [int(s) for s in results]
        tasks += _verify(stored, plan, new, names, expected, client, progress)
        verified = time.perf_counter()
        try:  # compare-and-swap: main moves only if nobody committed meanwhile
            repo.reset_branch(BRANCH, snapshot, from_snapshot_id=parent)
        except Exception as exc:  # icechunk's ConflictError or its storage error
            raise AdvisorError(
                f"another append committed to {target} while this one ran ({type(exc).__name__}):"
                " nothing was published; rerun to append what is still new"
            ) from None
    finally:
        with contextlib.suppress(Exception):
            repo.delete_branch(work)
    logger.info("%s: branch %s now at %s", target, BRANCH, snapshot)
    return plan, AppendResult(
        target,
        time.perf_counter() - started,
        written - started,
        verified - written,
        tasks,
        (f"icechunk snapshot {snapshot}",),
    )
