"""Write the copies a validation plans and measure them (``advisor validate``).

The plan (:func:`advisor.plan.validation.plan_validation`) lists the copies of the
sample; each pattern is replayed on every copy with the workloads' own functions
(:func:`advisor.run.workloads.replay`, accesses drawn from the access model the cost
model prices), in rounds that visit the copies in a new random order each time so that
a busy machine slows them alike. :class:`advisor.plan.validation.Validation` compares
the medians with the model's seconds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import REDUCTIONS
from advisor.plan.validation import SampleCopy, Validation, ValidationPlan, spearman
from advisor.run.scratch import consolidated_quietly
from advisor.store.locations import Where
from advisor.store.metadata import store_size

if TYPE_CHECKING:
    import xarray as xr


def run_validation(
    plan: ValidationPlan,
    sample: xr.Dataset,
    workdir: Where,
    *,
    variable: str,
    repeats: int = 5,
    seed: int = 0,
    codec: CodecSpec = DEFAULT_CODEC,
    label: str = "",
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Write ``sample`` (in memory) in every layout of ``plan`` under ``workdir`` and measure
    (:func:`write_copies`, then :func:`measure`)."""
    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    paths = write_copies(plan, sample, workdir, variable=variable, codec=codec, progress=progress)
    return measure(
        plan, paths, variable=variable, repeats=repeats, seed=seed, label=label, progress=progress
    )


def write_copies(
    plan: ValidationPlan,
    sample: xr.Dataset,
    workdir: Where,
    *,
    variable: str,
    codec: CodecSpec = DEFAULT_CODEC,
    progress: Callable[[str], None] | None = None,
) -> list[Where]:
    """``workdir/layout-NN.zarr``: ``variable`` of ``sample`` written by the workflow's save step
    (:func:`advisor.run.workloads.save`, zarr 3) in each layout of ``plan``, in its order."""
    import dask

    from advisor.run import workloads

    say = progress or (lambda _: None)
    dims = plan.schema.dims
    paths = []
    for i, layout in enumerate(plan.layouts):
        path = workdir / f"layout-{i:02d}.zarr"
        say(f"writing {layout.label}: {'x'.join(map(str, layout.chunks))}")
        shards = None if layout.shards is None else dict(zip(dims, layout.shards, strict=True))
        with (
            consolidated_quietly(),
            dask.config.set(scheduler="threads"),  # the sample is in memory: no shipping
        ):
            workloads.save(
                sample[[variable]],
                path,
                dict(zip(dims, layout.chunks, strict=True)),
                codec,
                3,
                shards=shards,
            )
        paths.append(path)
    return paths


def measure(
    plan: ValidationPlan,
    paths: Sequence[Where],
    *,
    variable: str,
    repeats: int = 5,
    seed: int = 0,
    label: str = "",
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Replay each pattern on the copies at ``paths`` (one per layout of ``plan``).

    Interactive patterns read ``repeats`` accesses per layout, the same
    accesses on every layout, after one untimed; reductions run
    ``ceil(repeats / 2)`` times on the current Dask client, reading whole
    shards when the layout has them. Each round visits the layouts in a new
    random order, so that a busy machine slows them alike. The odd and even
    rounds' rankings are compared too (:attr:`Validation.retest`).
    """
    from advisor.run import workloads

    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    say = progress or (lambda _: None)
    dims = plan.schema.dims
    rng = np.random.default_rng(seed)
    n_layouts, n_patterns = len(plan.layouts), len(plan.patterns)
    times: list[list[list[float]]] = [[[] for _ in range(n_patterns)] for _ in range(n_layouts)]
    for j, pattern in enumerate(plan.patterns):
        reduction = pattern.kind in REDUCTIONS
        opened = [
            _open(workloads, path, layout, dims, reduction)
            for path, layout in zip(paths, plan.layouts, strict=True)
        ]
        say(f"replaying {pattern} on {n_layouts} layouts")
        if reduction:
            cheapest = int(np.argmin(plan.predicted[:, j]))
            workloads.replay(opened[cheapest], pattern, plan.schema, 1, seed, variable)
            rounds = math.ceil(repeats / 2)
        else:
            for ds in opened:  # metadata, page cache
                workloads.replay(ds, pattern, plan.schema, 1, seed + repeats, variable)
            rounds = repeats
        for r in range(rounds):
            for i in rng.permutation(n_layouts):
                seconds = workloads.replay(opened[i], pattern, plan.schema, 1, seed + r, variable)
                times[i][j].extend(seconds)
    measured = np.array([[statistics.median(t) for t in row] for row in times])
    retest = np.array(
        [
            spearman(
                np.array([statistics.median(row[j][0::2]) for row in times]),
                np.array([statistics.median(row[j][1::2]) for row in times]),
            )
            if len(times[0][j]) >= 2
            else np.nan
            for j in range(n_patterns)
        ]
    )
    stored = [store_size(p)[0] for p in paths]
    return Validation(
        plan=plan,
        measured=measured,
        stored_bytes=tuple(stored),
        repeats=repeats,
        sample=label,
        retest=retest,
    )


def _open(
    workloads: Any, path: Where, layout: SampleCopy, dims: Sequence[str], reduction: bool
) -> xr.Dataset:
    if not reduction:
        return workloads.open_for_reads(path)
    shards = None if layout.shards is None else dict(zip(dims, layout.shards, strict=True))
    return workloads.open_for_compute(path, chunks=shards)
