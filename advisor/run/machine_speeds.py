"""The machine's own speeds that ``advisor calibrate`` measures beside the store: flox's grouped
reduction per block shape (:func:`group_reduction_grid`, the profile's ``reduce_speed`` and
``group_grid``) and the Dask scheduler's floor per task (:func:`trivial_task_overhead`)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from distributed import Client

GROUP_TIMES: tuple[int, ...] = (24, 744, 2232, 8760)
"""Time steps of the blocks flox's grouped reduction is timed on (a day to a year of hours)."""

GROUP_BYTES: tuple[float, ...] = (2.5e6, 10e6, 40e6, 100e6)
"""Sizes of those blocks: from inside the caches to the top of the chunk band."""


def group_reduction_grid(
    times: Sequence[int] = GROUP_TIMES, sizes: Sequence[float] = GROUP_BYTES, repeats: int = 2
) -> tuple[float, tuple[tuple[float, float, float], ...]]:
    """Time flox's grouped reduction (a daily ``nanmean``, as ``resample("1D").mean()`` runs it
    per block) on float32 blocks of ``times`` steps and ``sizes`` bytes, in one thread.

    Returns the fastest speed (bytes per second: the profile's ``reduce_speed``) and the
    ``(time steps, bytes, slowdown)`` grid against it (the profile's ``group_grid``). The block
    is handed over with time last, as xarray hands it to flox.
    """
    from flox.core import groupby_reduce

    rng = np.random.default_rng(0)
    groupby_reduce(np.ones((1, 48), dtype=np.float32), np.arange(48) // 24, func="nanmean")
    per_byte = {}
    for steps in times:
        labels = np.arange(steps) // 24
        for size in sizes:
            space = max(1, int(size / 4 / steps))
            block = rng.random((steps, space), dtype=np.float32)
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                groupby_reduce(block.T, labels, func="nanmean", axis=-1)
                best = min(best, time.perf_counter() - start)
            per_byte[steps, size] = best / block.nbytes
    fastest = min(per_byte.values())
    grid = tuple((float(t), float(b), v / fastest) for (t, b), v in per_byte.items())
    return 1 / fastest, grid


def trivial_task_overhead(client: Client | None, n: int = 200) -> float:
    """Seconds per task of a tree sum over ``n`` one-element chunks on ``client`` (None: dask's
    current scheduler)."""
    import dask.array as da

    da.ones(8, chunks=1).sum().compute()  # warm the scheduler and workers
    total = da.ones(n, chunks=1).sum()
    tasks = len(total.__dask_graph__())
    start = time.perf_counter()
    total.compute()
    return (time.perf_counter() - start) / tasks
