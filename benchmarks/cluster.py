"""The Dask client of a benchmark process.

Everything that computes runs under :func:`advisor.run.cluster.dask_client`,
started once per benchmark process (:func:`client`): the cluster at
``ADVISOR_SCHEDULER`` when that is set, else a LocalCluster sized to the
machine whose workers are threads of the benchmark process, so that
``peakmem_`` sees the computation's memory and starting costs milliseconds.
``ADVISOR_BENCH_DASK=threads`` computes on Dask's threaded scheduler instead
(the tests use it).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)

DaskMode = Literal["cluster", "threads"]
DASK_ENV = "ADVISOR_BENCH_DASK"
"""``cluster`` (default): compute under :func:`advisor.run.cluster.dask_client`; ``threads``: on
Dask's threaded scheduler, with no cluster (the tests' fast path: there the cluster is not the point)."""

_CLIENTS: list[Client] = []
_STACK = contextlib.ExitStack()


def dask_mode() -> DaskMode:
    """The value of ``ADVISOR_BENCH_DASK``.

    Examples
    --------
    >>> dask_mode() in get_args(DaskMode)
    True
    """
    value = os.environ.get(DASK_ENV, "").strip().lower() or "cluster"
    if value not in get_args(DaskMode):
        raise ValueError(f"{DASK_ENV}={value!r}: use cluster or threads")
    return value  # type: ignore[return-value]


def client() -> Client | None:
    """This process's Dask client (:func:`advisor.run.cluster.dask_client`), started on first use.

    ``ADVISOR_SCHEDULER`` points it at an existing cluster; without it, a
    LocalCluster sized to the machine with threads for workers. None with
    ``ADVISOR_BENCH_DASK=threads``.
    """
    if dask_mode() == "threads":
        logger.debug("choosing dask's threaded scheduler")
        return None
    if not _CLIENTS:
        from advisor.run.cluster import dask_client

        logger.debug("choosing the cluster of advisor.run.cluster.dask_client")
        _CLIENTS.append(_STACK.enter_context(dask_client(processes=False, quiet=True)))
    return _CLIENTS[0]


def close_client() -> None:
    """Close this process's client and its LocalCluster, if they were started."""
    _CLIENTS.clear()
    _STACK.close()


atexit.register(close_client)
