"""``advisor.recommend``: resolve a source and a profile, then ask the pure policy.

The source is a :class:`~advisor.plan.schema.Schema`, an xarray Dataset, a Zarr store path
or a catalog entry name (read for its metadata only, never written: a sample entry without
data raises the :class:`~advisor.plan.errors.AdvisorError` that names the
``advisor sample-data`` command); the profile a :class:`~advisor.plan.profile.StorageProfile`,
a preset name or a JSON file (:func:`advisor.store.profiles.resolve_profile`). Requests are
counted the way the installed zarr-python makes them
(:func:`advisor.store.zarr_reads.installed_zarr_reads`) unless ``reads`` says otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.candidates import MAX_CANDIDATES
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.plan.engine import parse_engine
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import Pattern
from advisor.plan.policy import recommend as policy
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE, SAFETY
from advisor.plan.policy.recommend import DEFAULT_PATTERNS
from advisor.plan.policy.results import Recommendation
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import ZarrReads
from advisor.plan.schema import Schema, assign_roles
from advisor.store.profiles import resolve_profile

if TYPE_CHECKING:
    import xarray as xr


def recommend(
    source: Schema | xr.Dataset | str | Path,
    patterns: Sequence[Pattern | str] = DEFAULT_PATTERNS,
    *,
    min_size: float | str = MIN_SIZE,
    max_size: float | str = MAX_SIZE,
    profile: StorageProfile | str | None = None,
    worker_memory: float | str | None = None,
    threads_per_worker: int | None = None,
    safety: float = SAFETY,
    dims: Mapping[str, str] | None = None,
    codec: CodecSpec = DEFAULT_CODEC,
    max_candidates: int = MAX_CANDIDATES,
    shards: bool = False,
    top: int = 0,
    catalog: str | Path | None = None,
    time_step: float | None = None,
    time_start: str | None = None,
    reads: ZarrReads | None = None,
    get_price: float | None = None,
    put_price: float | None = None,
    storage_options: Mapping[str, Any] | None = None,
    generate: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
) -> Recommendation:
    """Recommend a chunk shape for ``source`` read by ``patterns``.

    Parameters
    ----------
    source
        A :class:`Schema` (no data needed), an xarray Dataset, or a Zarr path /
        catalog entry name (read for its metadata only; ``catalog`` is the catalog file).
    profile
        A :class:`StorageProfile`, a preset name or a JSON file (default: the
        built-in local defaults; :func:`advisor.store.profiles.find_profile` finds the
        user's calibration).
    dims
        Role -> dim overrides, e.g. ``{"time": "valid_time"}``.
    time_step, time_start
        Override the time step (seconds) and the first time (ISO) read from ``source``.
    reads
        How the zarr-python that reads the copy makes requests (default: the installed
        zarr and its ``zarr.config``, through the client of the source's URL scheme, or of
        S3 for an object-store profile).
    storage_options
        Options for the file system of a URL source (credentials, endpoint, ``anon``...).
    generate
        Write a missing sample catalog entry's data first (the CLI does; else it is an error
        naming the command that makes it).
    get_price, put_price
        US dollars per 1,000 GETs and PUTs on an object store (default: S3's list prices).
    engine, scheduler
        The Dask engine the reductions are priced for (``threads``, ``processes``,
        ``scheduler``; :mod:`advisor.plan.engine`). With ``scheduler`` (an address) the engine
        is ``scheduler`` and its threads are the cluster's, as its scheduler reports them.

    The other parameters are those of :func:`advisor.plan.policy.recommend.recommend`.

    Examples
    --------
    >>> rec = recommend(Schema(("time", "x"), (8760, 1000), 4), ["map"], profile="object-store")
    >>> rec.chunks, rec.profile_origin
    ({'time': 2500, 'x': 1000}, 'built-in object-store preset')
    >>> import zarr
    >>> rec.zarr_reads.version == zarr.__version__, rec.request_costs.puts
    (True, 6)
    """
    schema = _schema(source, dims, catalog, storage_options, generate)
    if time_step:
        schema = dataclasses.replace(schema, time_step=time_step)
    if time_start:
        schema = dataclasses.replace(schema, time_start=time_start)
    prof, origin = resolve_profile(profile)
    asked = parse_engine(engine) if engine is not None else None
    if scheduler:
        if asked not in (None, "scheduler"):
            raise AdvisorError(
                f"--engine {asked} with --scheduler: a cluster reached by address is "
                "--engine scheduler; drop one of them"
            )
        asked = "scheduler"
        if threads_per_worker is None:
            from advisor.run.cluster import describe_cluster

            threads_per_worker = int(describe_cluster(scheduler, quiet=True)["threads"]) or None
    if reads is None:
        from advisor.store.zarr_reads import reads_for

        where = source if isinstance(source, str | Path) else None
        reads = reads_for(where, prof, storage_options)
    return policy.recommend(
        schema,
        patterns,
        min_size=min_size,
        max_size=max_size,
        profile=prof,
        profile_origin=origin,
        worker_memory=worker_memory,
        threads_per_worker=threads_per_worker,
        safety=safety,
        codec=codec,
        max_candidates=max_candidates,
        shards=shards,
        top=top,
        reads=reads,
        get_price=get_price,
        put_price=put_price,
        engine=asked,
    )


def _schema(
    source: Schema | xr.Dataset | str | Path,
    dims: Mapping[str, str] | None,
    catalog: str | Path | None,
    storage_options: Mapping[str, Any] | None = None,
    generate: bool = False,
) -> Schema:
    """The schema of ``source``, its roles overridden by ``dims``; a store is never written."""
    if isinstance(source, Schema):
        if dims:
            return dataclasses.replace(source, roles=assign_roles(source.dims, dims_map=dims))
        return source
    from advisor.store import metadata

    if isinstance(source, str | Path) and generate:
        from advisor.run.sources import load_schema

        return load_schema(str(source), dims=dims, catalog=catalog, storage_options=storage_options)
    if isinstance(source, str | Path):
        return metadata.load_schema(
            str(source), dims=dims, catalog=catalog, storage_options=storage_options
        )
    return metadata.schema_from_dataset(source, dims=dims)
