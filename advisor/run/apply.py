"""The I/O half of planning ``advisor apply``: sources, outputs, layouts, free space.

:func:`prepare` resolves the sources, checks the output paths, opens the data
lazily and hands the chunked schemas to the pure
:func:`~advisor.plan.apply.plan_copies`; :func:`check_free_space` refuses a plan
the disks cannot hold. :func:`advisor.run.apply_run.execute` then runs the plans.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.plan.apply import plan_copies
from advisor.plan.cluster import ClusterSpec
from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.copy_plan import ApplyPlan, ChunkedSchema
from advisor.plan.errors import AdvisorError
from advisor.plan.units import human_readable_size
from advisor.store.publish import new_token, temp_path

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

    from advisor.plan.workflow import Statistic


@dataclass(frozen=True, slots=True)
class Source:
    """A source as given on the command line and the Zarr store it names."""

    name: str
    path: Path


def resolve_sources(
    names: Sequence[str], catalog: str | Path | None = None, *, generate: bool = True
) -> list[Source]:
    """Each SOURCE as a Zarr store: an existing path, else a catalog entry (made when missing).

    With ``generate=False`` a missing sample entry is an error naming the
    command that makes it (``--dry-run`` writes nothing, not even samples).
    """
    from advisor.store import catalog as cat

    if not names:
        raise AdvisorError("no SOURCE given: name a catalog entry (e.g. era5_2019) or a Zarr store")
    out = []
    for name in names:
        path = Path(name).expanduser()
        if path.exists():
            if not (path / ".zgroup").exists() and not (path / "zarr.json").exists():
                raise AdvisorError(f"SOURCE {name!r} is not a Zarr store (no .zgroup or zarr.json)")
            out.append(Source(name, path.resolve()))
            continue
        if "/" in name or name.endswith(".zarr"):
            raise AdvisorError(f"SOURCE {name!r}: no Zarr store at {path.resolve()}")
        entry = cat.ensure_entry(name, catalog, generate=generate)
        out.append(Source(name, entry.path.resolve()))
    paths = [s.path for s in out]
    if len(set(paths)) != len(paths):
        raise AdvisorError("a SOURCE is named twice: name each store once")
    return out


def _is_store(path: Path) -> bool:
    return any((path / name).exists() for name in (".zgroup", ".zarray", "zarr.json"))


def check_output(out: Path, sources: Sequence[Source], overwrite: bool) -> Path:
    """Refuse an output that is, holds or lies inside a source, or exists without ``--overwrite``.

    Returns the resolved path. ``--overwrite`` replaces only a Zarr store,
    never another file or folder.
    """
    target = out.expanduser().resolve()
    for source in sources:
        if target == source.path or target.is_relative_to(source.path):
            raise AdvisorError(
                f"--out {out} is inside the source {source.name} ({source.path}): "
                "apply never writes into a source; choose another --out"
            )
        if source.path.is_relative_to(target):
            raise AdvisorError(
                f"--out {out} contains the source {source.name} ({source.path}): "
                "choose another --out"
            )
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise AdvisorError(
                f"{out} already exists: pass --overwrite to replace it, or choose another --out"
            )
        if not target.is_dir() or not _is_store(target):
            raise AdvisorError(
                f"{out} exists and is not a Zarr store: apply replaces only Zarr stores; "
                "move it away or choose another --out"
            )
    return target


def open_sources(paths: Sequence[Path]) -> xr.Dataset:
    """Open the stores lazily with their on-disk chunks and concatenate them along time, in time order."""
    from advisor.run.workloads import open_for_compute
    from advisor.store.catalog import concat_in_time

    datasets = []
    for path in paths:
        try:
            datasets.append(open_for_compute(path))
        except Exception as exc:  # zarr and xarray raise many types for a broken store
            raise AdvisorError(
                f"cannot open {path} as a Zarr store ({type(exc).__name__}: {exc})"
            ) from None
    return concat_in_time(datasets, [str(p) for p in paths])


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
    outs: Sequence[Path],
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
    band: tuple[float | str, float | str] = ("10MB", "100MB"),
    generate: bool = True,
) -> tuple[ApplyPlan, ...]:
    """Resolve and check the sources, the outputs and the profile, read the layouts, and plan
    one store per output (nothing is written).

    ``profile`` is the ``--profile`` option: the storage profile is found as
    ``recommend`` finds it (:func:`advisor.plan.profile.find_profile`: the option,
    ``ADVISOR_PROFILE``, the saved calibration, else the built-in defaults).
    Missing sample entries are generated unless ``generate`` is false.
    """
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.store.profiles import find_profile, resolve_profile

    storage, origin = resolve_profile(find_profile(profile))
    sources = resolve_sources(names, catalog, generate=generate)
    targets = [check_output(out, sources, overwrite) for out in outs]
    for a, b in itertools.permutations(targets, 2):
        if a != b and a.is_relative_to(b):
            raise AdvisorError(f"--out {a} lies inside the other --out {b}: choose separate stores")
    paths = [s.path for s in sources]
    joined = open_sources(paths)
    token = new_token()
    source = chunked_schema_of(joined, ", ".join(names))
    output = chunked_schema_of(
        build_output(joined, source.schema.variables, resample, stats), str(targets[0])
    )
    return plan_copies(
        sources=names,
        source_paths=paths,
        outs=targets,
        source=source,
        output=output,
        cluster=cluster,
        temps=[temp_path(target, token) for target in targets],
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
    )


def check_free_space(plans: Sequence[ApplyPlan], *, local_workers: bool) -> None:
    """Refuse to start when an output's file system (or a local cluster's scratch) lacks the
    estimated space; outputs on one file system add up."""
    needed: dict[int, tuple[Path, int]] = {}
    for plan in plans:
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
