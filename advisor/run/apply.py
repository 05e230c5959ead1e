"""The I/O half of planning ``advisor apply``: sources, outputs, layouts, free space.

:func:`prepare` resolves the sources, checks the output paths, opens the data
lazily and hands the chunked schemas to the pure
:func:`~advisor.plan.apply.plan_copies`; :func:`check_free_space` refuses a plan
the disks cannot hold. :func:`advisor.run.apply_run.execute` then runs the plans.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.apply import plan_copies
from advisor.plan.cluster import ClusterSpec
from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.copy_plan import ApplyPlan, ChunkedSchema
from advisor.plan.errors import AdvisorError
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.units import human_readable_size
from advisor.run.sources import resolve_sources
from advisor.store.icechunk_repo import check_repository, require_icechunk
from advisor.store.locations import location
from advisor.store.publish import new_token, temp_path
from advisor.store.sources import check_output, open_sources
from advisor.store.zarr_reads import reads_for

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from advisor.plan.workflow import Statistic


def build_output(
    joined: xr.Dataset,
    variables: Sequence[str],
    resample: str | None,
    stats: Mapping[str, Statistic] | None,
) -> xr.Dataset:
    """The lazy dataset apply writes: the joined sources' ``variables``, resampled when asked."""
    from advisor.run import workloads

    ds = joined[list(variables)]
    if resample:
        ds = workloads.resample(ds, resample, stats)
    return ds


def chunked_schema_of(ds: xr.Dataset, name: str) -> ChunkedSchema:
    """The schema and Dask grid of a lazy dataset (its main variables)."""
    from advisor.store.metadata import schema_from_dataset

    schema = schema_from_dataset(ds, name=name)
    first = ds[schema.variables[0]]
    grid = first.chunks or tuple((n,) for n in first.shape)
    return ChunkedSchema(schema, tuple(tuple(int(c) for c in g) for g in grid))


def cluster_shape(client: Client) -> ClusterSpec:
    """Workers, threads per worker (the most) and memory limit per worker (the least) of a cluster."""
    workers = list(client.scheduler_info(n_workers=-1)["workers"].values())
    if not workers:
        raise AdvisorError(
            f"the Dask cluster at {client.scheduler.address} has no workers: start some with "
            f"`dask worker {client.scheduler.address}`"
        )
    import psutil

    limits = [w.get("memory_limit") or psutil.virtual_memory().total for w in workers]
    return ClusterSpec(len(workers), max(w["nthreads"] for w in workers), min(limits))


def prepare(
    names: Sequence[str],
    outs: Sequence[str | Path],
    *,
    cluster: ClusterSpec,
    catalog: str | Path | None = None,
    resample: str | None = None,
    stats: Mapping[str, Statistic] | None = None,
    chunks: Mapping[str, int] | None = None,
    patterns: Sequence[str] = (),
    codec: CodecSpec | None = None,
    zarr_format: ZarrFormat | None = None,
    shards: bool = False,
    overwrite: bool = False,
    profile: str | None = None,
    band: tuple[float | str, float | str] = (MIN_SIZE, MAX_SIZE),
    generate: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    icechunk: bool = False,
) -> tuple[ApplyPlan, ...]:
    """Resolve and check the sources, the outputs and the profile, read the layouts, and plan
    one store per output (nothing is written).

    ``profile`` is the ``--profile`` option: the storage profile is found as
    ``recommend`` finds it (:func:`advisor.store.profiles.find_profile`: the option,
    ``ADVISOR_PROFILE``, the saved calibration, else the built-in defaults).
    Missing sample entries are generated unless ``generate`` is false. URLs
    (sources and outputs) are reached with ``storage_options``; a copy on an
    object store is written in place, its top-level metadata last
    (:mod:`advisor.store.objects`). With ``icechunk`` each output is an Icechunk
    repository the copy is committed to (:mod:`advisor.store.icechunk_repo`).
    """
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.store.profiles import find_profile, resolve_profile

    storage, origin = resolve_profile(find_profile(profile))
    for out in outs:  # refused before a missing sample source is generated
        location(out, "--out", storage_options, write=True)
    if icechunk:
        require_icechunk()
        if zarr_format == 2:
            raise AdvisorError("--icechunk writes zarr format 3: drop --zarr-format 2")
        zarr_format = 3
    sources = resolve_sources(names, catalog, generate=generate, storage_options=storage_options)
    targets = [
        location(out, "--out", storage_options, write=True)
        if icechunk
        else check_output(out, sources, overwrite, storage_options)
        for out in outs
    ]
    for a, b in itertools.permutations(targets, 2):
        if a != b and type(a) is type(b) and a.is_relative_to(b):  # type: ignore[arg-type]
            raise AdvisorError(f"--out {a} lies inside the other --out {b}: choose separate stores")
    paths = [s.path for s in sources]
    joined = open_sources(paths)
    token = new_token()
    source = chunked_schema_of(joined, ", ".join(names))
    output = chunked_schema_of(
        build_output(joined, source.schema.variables, resample, stats), str(targets[0])
    )
    plans = plan_copies(
        sources=names,
        source_paths=paths,
        outs=targets,
        source=source,
        output=output,
        cluster=cluster,
        temps=[temp_path(t, token) if isinstance(t, Path) else t for t in targets],
        resample=resample,
        stats=stats,
        chunks=chunks,
        patterns=patterns,
        codec=codec or DEFAULT_CODEC,
        zarr_format=zarr_format,
        shards=shards,
        overwrite=overwrite,
        profile=storage,
        profile_origin=origin,
        band=band,
        reads=reads_for(targets[0], storage, storage_options),  # as recommend prices them
    )
    if icechunk:
        for target in targets:
            check_repository(target, overwrite=overwrite)  # before a cluster starts
        plans = tuple(dataclasses.replace(p, temp=p.out, icechunk=True) for p in plans)
    return plans


def check_free_space(plans: Sequence[ApplyPlan], *, local_workers: bool) -> None:
    """Refuse to start when an output's file system (or a local cluster's scratch) lacks the
    estimated space; outputs on one file system add up."""
    needed: dict[int, tuple[Path, int]] = {}
    for plan in plans:
        if not isinstance(plan.out, Path):  # an object store has no free space to check
            continue
        folder = plan.out.parent
        while not folder.exists():
            folder = folder.parent
        device = folder.stat().st_dev
        first, total = needed.get(device, (folder, 0))
        needed[device] = (first, total + plan.stored_estimate)
    for folder, total in needed.values():
        free = shutil.disk_usage(folder).free
        if free < total:
            raise AdvisorError(
                f"not enough free space at {folder}: the output needs about "
                f"{human_readable_size(total)} (estimated), "
                f"{human_readable_size(free)} is free; free some space or choose another --out"
            )
    scratch_bytes = sum(plan.scratch_bytes for plan in plans)
    if scratch_bytes and local_workers:
        import dask

        scratch = Path(dask.config.get("temporary-directory", None) or tempfile.gettempdir())
        free = shutil.disk_usage(scratch).free
        if free < scratch_bytes:
            raise AdvisorError(
                f"not enough free space at {scratch} for the P2P rechunk's scratch files: it needs "
                f"about {human_readable_size(scratch_bytes)}, {human_readable_size(free)} is "
                "free; set DASK_TEMPORARY_DIRECTORY to a roomier folder"
            )
