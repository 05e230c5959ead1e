"""The Dask client for every command that computes.

Policy: with no scheduler address, start a :class:`distributed.LocalCluster`
sized to this machine (:func:`local_cluster_spec`); with an address (the
``--scheduler`` option or the ``ADVISOR_SCHEDULER`` environment variable),
connect to that cluster and leave it running afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from advisor.plan.cluster import ClusterSpec
from advisor.plan.errors import AdvisorError
from advisor.store.locations import close_clients

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)

SCHEDULER_ENV = "ADVISOR_SCHEDULER"
"""Environment variable naming an existing scheduler, e.g. ``tcp://10.0.0.5:8786``."""

MEMORY_FRACTION = 0.75
"""Share of the machine's total memory handed to the LocalCluster's workers."""

MAX_THREADS_PER_WORKER = 4
"""Threads per worker process; numpy and the codecs release the GIL, so a few threads share well."""

ClusterKind = Literal["local", "remote"]


def local_cluster_spec(cores: int, memory_bytes: int) -> ClusterSpec:
    """Size a LocalCluster for a machine with ``cores`` cores and ``memory_bytes`` of memory.

    Workers get up to :data:`MAX_THREADS_PER_WORKER` threads each, and share
    :data:`MEMORY_FRACTION` of the memory equally.

    Examples
    --------
    >>> local_cluster_spec(2, 24 * 2**30)
    ClusterSpec(n_workers=1, threads_per_worker=2, memory_limit=19327352832)
    >>> local_cluster_spec(16, 64 * 2**30).n_workers
    4
    """
    if cores < 1 or memory_bytes < 1:
        raise ValueError(f"need at least one core and some memory, got {cores=} {memory_bytes=}")
    threads = min(cores, MAX_THREADS_PER_WORKER)
    workers = max(1, cores // threads)
    return ClusterSpec(workers, threads, int(memory_bytes * MEMORY_FRACTION) // workers)


def machine_spec() -> ClusterSpec:
    """:func:`local_cluster_spec` for this machine (psutil's cores and total memory)."""
    import psutil

    cores = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    return local_cluster_spec(cores, psutil.virtual_memory().total)


def resolve_scheduler(address: str | None) -> str | None:
    """The scheduler address to use: the argument, else ``ADVISOR_SCHEDULER``, else None."""
    return address or os.environ.get(SCHEDULER_ENV) or None


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    spec: ClusterSpec | None = None,
    processes: bool = True,
    quiet: bool = False,
    timeout: float = 10.0,
) -> Iterator[Client]:
    """Yield a distributed client, to an existing cluster or to a new LocalCluster.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler; falls back to ``ADVISOR_SCHEDULER``.
        With neither, a LocalCluster shaped by ``spec`` (default
        :func:`machine_spec`) is started and closed on exit.
    processes
        Worker processes (True) or threads in this process (False).
    quiet
        Do not print the dashboard link.
    timeout
        Seconds to wait for an existing scheduler before giving up.
    """
    from distributed import Client, LocalCluster

    address = resolve_scheduler(scheduler)
    kind: ClusterKind = "remote" if address else "local"
    logger.debug("choosing a %s cluster", kind)
    if address:
        if logging.getLogger("distributed").level >= logging.CRITICAL:  # quiet (not -v): the
            # client's own "failed to reconnect" too, a lost scheduler is the command's one line
            logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        try:
            client = Client(address, timeout=timeout)
        except ValueError as exc:  # distributed's parser: no port, bad scheme, ...
            raise AdvisorError(
                f"{address!r} is not a Dask scheduler address ({exc}): "
                "give one like tcp://127.0.0.1:8786"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise AdvisorError(
                f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}): "
                f"check the address or unset {SCHEDULER_ENV}"
            ) from None
        try:
            _announce(client, f"using the Dask cluster at {address}", quiet)
            yield client
        finally:
            client.close()
        return

    spec = spec or machine_spec()
    with (
        LocalCluster(
            n_workers=spec.n_workers,
            threads_per_worker=spec.threads_per_worker,
            memory_limit=spec.memory_limit,
            processes=processes,
            dashboard_address=":0",
            # worker processes listen on loopback only; a threads-only cluster talks in-process
            **({"host": "127.0.0.1"} if processes else {}),
        ) as cluster,
        Client(cluster) as client,
    ):
        _announce(
            client,
            f"started a LocalCluster: {spec.n_workers} worker(s) x {spec.threads_per_worker} "
            f"thread(s), {spec.memory_limit / 1e9:.1f} GB each",
            quiet,
        )
        try:
            yield client
        finally:
            if processes:  # the workers' S3 clients, closed while the workers still run
                with contextlib.suppress(Exception):
                    client.run(close_clients)


def describe_cluster(scheduler: str | None = None, *, quiet: bool = False) -> dict[str, str | int]:
    """Start (or reach) the cluster :func:`dask_client` gives and describe it.

    The keys: ``scheduler`` and ``dashboard`` (addresses), ``workers``,
    ``threads`` and ``memory_limit`` (bytes, summed over the workers).
    """
    with dask_client(scheduler, quiet=quiet) as client:
        workers = client.scheduler_info().get("workers", {})
        return {
            "scheduler": client.scheduler.address,
            "dashboard": client.dashboard_link,
            "workers": len(workers),
            "threads": sum(w.get("nthreads", 0) for w in workers.values()),
            "memory_limit": sum(w.get("memory_limit", 0) for w in workers.values()),
        }


def _announce(client: Client, what: str, quiet: bool) -> None:
    if quiet:
        return
    from rich.console import Console

    Console(stderr=True, soft_wrap=True).print(
        f"[dim]{what}; dashboard: {client.dashboard_link}[/dim]"
    )
