"""Where a reduction computes: the Dask engine a command measures or prices for (``--engine``).

:func:`computing_on` yields the engine and its client: dask's threaded scheduler in this
process (``threads``: no client), a new LocalCluster of worker processes (``processes``, the
default of every command), or the cluster at ``--scheduler`` (``scheduler``).
:func:`engine_of` names the engine of a client a user hands in: an in-process
``Client(processes=False)`` runs tasks as dask's threads do, so it counts as ``threads``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from advisor.plan.engine import Engine
from advisor.plan.errors import AdvisorError
from advisor.run.cluster import dask_client, resolve_scheduler

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)


def engine_of(client: Client) -> Engine:
    """``threads`` for an in-process client, ``processes`` for a LocalCluster of worker
    processes, ``scheduler`` for a cluster reached by address."""
    from distributed import LocalCluster

    cluster = getattr(client, "cluster", None)
    if isinstance(cluster, LocalCluster):
        return "processes" if cluster.processes else "threads"
    addresses = list(client.scheduler_info().get("workers", {}))
    if addresses and all(a.startswith("inproc://") for a in addresses):
        return "threads"
    return "scheduler"


def threads_of(client: Client | None) -> int:
    """Threads a reduction runs on: the client's workers' in all, or dask's threaded pool."""
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    import dask

    return int(dask.config.get("num_workers", None) or os.cpu_count() or 1)


def describe(engine: Engine, client: Client | None) -> str:
    """What the engine is, for profiles and reports: workers, threads and memory."""
    if client is None:
        return f"dask's threaded scheduler, {threads_of(None)} thread(s) in this process"
    workers = client.scheduler_info().get("workers", {})
    memory = sum(w.get("memory_limit", 0) or 0 for w in workers.values())
    where = (
        "in this process"
        if engine == "threads"
        else ("worker processes" if engine == "processes" else f"at {client.scheduler.address}")
    )
    return (
        f"{len(workers)} worker(s) {where}, {threads_of(client)} thread(s), "
        f"{memory / 1e9:.1f} GB in all"
    )


def engine_used(engine: Engine | None, scheduler: str | None, client: Client | None) -> Engine:
    """The engine :func:`computing_on` will compute on, known before anything starts; a
    contradiction (``--engine threads`` with a scheduler address, ...) is one line."""
    if client is not None:
        found = engine_of(client)
        if engine is not None and engine != found:
            raise AdvisorError(
                f"--engine {engine}, but the client given runs on {found}: give one or the other"
            )
        return found
    address = resolve_scheduler(scheduler)
    if address and engine not in (None, "scheduler"):
        raise AdvisorError(
            f"--engine {engine} with a scheduler address ({address}): a cluster reached by "
            "address is --engine scheduler; drop one of them (or unset ADVISOR_SCHEDULER)"
        )
    if engine == "scheduler" and not address:
        raise AdvisorError("--engine scheduler needs --scheduler ADDRESS (or ADVISOR_SCHEDULER)")
    return "scheduler" if address else (engine or "processes")


@contextlib.contextmanager
def computing_on(
    engine: Engine | None = None,
    scheduler: str | None = None,
    *,
    client: Client | None = None,
    quiet: bool = False,
) -> Iterator[tuple[Engine, Client | None]]:
    """Yield ``(engine, client)`` to compute on: ``client`` as it is, else the scheduler at
    ``scheduler`` (or ``ADVISOR_SCHEDULER``), else ``engine`` (default ``processes``): dask's
    threaded scheduler (no client) or a new LocalCluster of worker processes."""
    import dask

    used = engine_used(engine, scheduler, client)
    if client is not None:
        yield used, client
    elif used == "scheduler":
        with dask_client(scheduler, quiet=quiet) as remote:
            yield used, remote
    elif used == "threads":
        logger.debug("computing on dask's threaded scheduler")
        with dask.config.set(scheduler="threads"):
            yield used, None
    else:
        with dask_client(None, quiet=quiet) as local:
            yield used, local
