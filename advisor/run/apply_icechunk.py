"""Running ``advisor apply --icechunk``: commit each copy on a branch of its own, verify that
snapshot, and move the repository's ``main`` to it only once every copy is verified.

The Icechunk counterpart of :func:`advisor.run.apply_run.execute`: the same output
(:func:`~advisor.run.apply.build_output`), the same encoding
(:func:`~advisor.run.workloads.for_saving`), the same verification
(:func:`~advisor.run.verify.verify`, read through the uncommitted session); the write goes
through :func:`icechunk.dask.store_dask` into a fork of the session, whose merged changes
come back to the session (what :func:`icechunk.xarray.to_icechunk` does; its own call into
xarray fails with xarray >= 2026.x and icechunk 1.1, the newest on Python 3.11). Until :meth:`icechunk.Session.commit` nothing is visible to readers; a failure or a kill
commits nothing.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from advisor.plan.copy_plan import ApplyPlan
from advisor.plan.units import human_readable_size
from advisor.run.apply import build_output, open_sources
from advisor.run.apply_run import ApplyResult
from advisor.run.checksum import digests, summary
from advisor.run.verify import verify
from advisor.run.watch import MemoryWatch, wait_with_progress
from advisor.store.icechunk_repo import BRANCH, open_repository
from advisor.store.publish import new_token

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np
    import xarray as xr
    from distributed import Client
    from icechunk import Repository, Session

logger = logging.getLogger(__name__)


def _write(session: Session, ds: xr.Dataset, plan: ApplyPlan) -> int:
    """Write ``ds`` in ``plan``'s layout into ``session`` (metadata and coordinates through
    xarray, the Dask arrays through ``store_dask`` on a fork); returns the write's tasks."""
    import zarr
    from icechunk.dask import store_dask

    from advisor.run.workloads import for_saving

    out, encoding = for_saving(ds, plan.chunk_map, plan.codec, 3, plan.shard_map)
    fork = session.fork()
    out.to_zarr(
        fork.store, mode="w", encoding=encoding, compute=False, consolidated=False, zarr_format=3
    )
    group = zarr.open_group(fork.store, mode="r+")
    names = [str(v) for v in out.data_vars]
    sources = [out[v].data for v in names]
    targets: list[Any] = [group[v] for v in names]
    merged = store_dask(sources=sources, targets=targets)
    session.merge(merged)
    return sum(len(s.__dask_graph__()) for s in sources)


def execute_icechunk(
    plans: Sequence[ApplyPlan], client: Client, *, progress: bool = True
) -> tuple[ApplyResult, ...]:
    """Write, verify and commit each plan's copy to its Icechunk repository on ``client``."""
    started = time.perf_counter()
    first = plans[0]
    ds = build_output(
        open_sources(first.source_paths), first.variables, first.resample, dict(first.stats)
    )
    token = new_token()
    commits: list[tuple[Repository, str, str]] = []
    try:
        with MemoryWatch(client) as watch:
            tasks, expected, commits = _commit_all(plans, ds, client, token, progress)
            written = time.perf_counter()
            for i, (plan, (repo, snapshot, _)) in enumerate(zip(plans, commits, strict=True)):
                store = repo.readonly_session(snapshot_id=snapshot).store
                tasks += verify(plan, ds, expected[i], client, progress=progress, store=store)
            verified = time.perf_counter()
        for plan, (repo, snapshot, parent) in zip(plans, commits, strict=True):
            repo.reset_branch(BRANCH, snapshot, from_snapshot_id=parent)
            logger.info("%s: branch %s now at %s", plan.out, BRANCH, snapshot)
    finally:
        for repo, _, _ in commits:
            with contextlib.suppress(Exception):
                repo.delete_branch(f"advisor-{token}")
    results = []
    for i, (plan, (repo, snapshot, _)) in enumerate(zip(plans, commits, strict=True)):
        stored = _stored_bytes(repo)
        results.append(
            ApplyResult.of(
                plan,
                (started, written, verified),
                watch,
                tasks,
                [summary(d) for d in expected[i]],
                (stored, stored),
                copies=len(plans),
                snapshot=snapshot,
            )
        )
    return tuple(results)


def _commit_all(
    plans: Sequence[ApplyPlan], ds: xr.Dataset, client: Client, token: str, progress: bool
) -> tuple[int, list[list[np.ndarray]], list[tuple[Repository, str, str]]]:
    """The digests of the computed values (per plan, per written block), then each copy written and committed on branch
    ``advisor-<token>`` of its repository: (tasks, checksums, (repo, snapshot, main's snapshot))."""
    import dask

    from advisor.run.workloads import for_saving

    lazy: list[da.Array] = []
    for plan in plans:
        out, _ = for_saving(ds, plan.chunk_map, plan.codec, 3, plan.shard_map)
        lazy.extend(digests(out[v].data, plan.shards or plan.chunks) for v in plan.variables)
    futures = client.compute(lazy)
    tasks = wait_with_progress(futures, "checksums", progress)
    got = client.gather(futures)
    n = len(plans[0].variables)
    expected = [got[i * n : (i + 1) * n] for i in range(len(plans))]
    commits = []
    for plan in plans:
        repo = open_repository(plan.out)
        assert repo is not None
        parent = repo.lookup_branch(BRANCH)
        repo.create_branch(f"advisor-{token}", parent)
        session = repo.writable_session(f"advisor-{token}")
        method = "tasks" if plan.rechunk == "none" else plan.rechunk
        with dask.config.set({"array.rechunk.method": method}):
            logger.debug("writing %s into an Icechunk session", plan.out)
            tasks += _write(session, ds, plan)
        snapshot = session.commit(
            f"advisor apply: chunks {plan.chunk_map}, {plan.codec} "
            f"({human_readable_size(plan.nbytes)} decoded)"
        )
        commits.append((repo, str(snapshot), parent))
    return tasks, expected, commits


def _stored_bytes(repo: Repository) -> int:
    """Bytes of the repository's chunks (icechunk >= 1.1 counts them with ``chunk_storage_stats``;
    older releases with the ``total_chunks_storage`` it deprecates)."""
    if hasattr(repo, "chunk_storage_stats"):
        return int(repo.chunk_storage_stats().native_bytes)
    return int(repo.total_chunks_storage())
