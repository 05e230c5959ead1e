"""The plan of ``advisor apply``: every decision and estimate, made before anything runs.

``advisor apply`` does the workflow's expensive preprocessing once: open the
sources (concatenated along time), resample them with one statistic per
variable, rechunk for the way the copy will be read, compress, write with
consolidated metadata, verify, and move the verified store into place.

This module is the pure half (like rechunker's ``algorithm.py``): it parses the
options and turns the sources' :class:`~advisor.plan.copy_plan.ChunkedSchema`
(dims, sizes, Dask chunk grid; no data) into a frozen
:class:`~advisor.plan.copy_plan.ApplyPlan` with :func:`plan_apply`. The target
chunks of each copy come from :mod:`advisor.plan.copy_targets`, the rechunk
method from :func:`advisor.plan.rechunk.choose_rechunk_method`, the memory and
task estimates from :mod:`advisor.plan.apply_estimates`. Nothing is read or
written here; :mod:`advisor.run.apply` opens the sources, names the temporary
stores and runs a plan.

Examples
--------
>>> from advisor.plan.schema import Schema
>>> daily = Schema(("time", "latitude", "longitude"), (365, 121, 161), 4, time_step=86400.0,
...                variables=("cape", "cin"))
>>> plan = plan_apply(
...     sources=("era5_2019",), source_paths=(Path("/data/era5_2019.zarr"),),
...     out=Path("/data/daily.zarr"), temp=Path("/data/daily.zarr.advisor-tmp-t0"),
...     source=ChunkedSchema(daily, regular_grid((365, 121, 161), (365, 121, 161))),
...     output=ChunkedSchema(daily, regular_grid((365, 121, 161), (365, 121, 161))),
...     cluster=ClusterSpec(2, 2, 2 * 10**9), chunks={"time": 32, "latitude": 60, "longitude": 80})
>>> plan.chunks, plan.chunks_from, plan.rechunk
((32, 60, 80), 'user', 'tasks')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.apply_estimates import estimate_peak_memory, estimate_tasks
from advisor.plan.cluster import ClusterSpec
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.copy_plan import ApplyPlan, ChunkedSchema, CopyTarget
from advisor.plan.copy_targets import advised_targets, user_target
from advisor.plan.errors import AdvisorError
from advisor.plan.grid import grow_block, regular_grid
from advisor.plan.location import Url
from advisor.plan.parse import pairs
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.profile import BUILT_IN, StorageProfile
from advisor.plan.rechunk import choose_rechunk_method
from advisor.plan.requests import DEFAULT_READS, ZarrReads
from advisor.plan.units import human_readable_size
from advisor.plan.workflow import STATISTICS, Statistic

if TYPE_CHECKING:
    from advisor.plan.patterns import Pattern

VERIFY_BYTES = 64e6
"""Upper size of the blocks the verification reads the written store in (whole stored chunks)."""


def parse_chunks(text: str) -> dict[str, int]:
    """Parse ``--chunks dim=n,...`` into ``dim -> n``.

    Examples
    --------
    >>> parse_chunks("time=32,latitude=60,longitude=80")
    {'time': 32, 'latitude': 60, 'longitude': 80}
    >>> parse_chunks("time=0")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: chunk length of time in --chunks is 0: lengths must be whole numbers >= 1
    """
    out = {}
    for dim, value in pairs(text, "--chunks", "time=32,latitude=60,longitude=80"):
        try:
            n = int(value)
        except ValueError:
            raise AdvisorError(
                f"chunk length {value!r} of {dim} in --chunks is not a whole number: "
                "write e.g. time=32,latitude=60,longitude=80"
            ) from None
        if n < 1:
            raise AdvisorError(
                f"chunk length of {dim} in --chunks is {value}: lengths must be whole numbers >= 1"
            )
        out[dim] = n
    return out


def parse_stats(text: str) -> dict[str, Statistic]:
    """Parse ``--stat var=statistic,...``; statistics are ``mean|max|min|sum|std``.

    Examples
    --------
    >>> parse_stats("cape=max,cin=mean")
    {'cape': 'max', 'cin': 'mean'}
    >>> parse_stats("cape=median")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown statistic 'median' for cape in --stat: use one of mean, max, min, sum, std
    """
    out: dict[str, Statistic] = {}
    for var, stat in pairs(text, "--stat", "cape=max,cin=mean,k_index=mean,blh=max"):
        if stat not in STATISTICS:
            raise AdvisorError(
                f"unknown statistic {stat!r} for {var} in --stat: use one of {', '.join(STATISTICS)}"
            )
        out[var] = stat
    return out


def plan_apply(*, out: Path | Url, temp: Path | Url, **options: Any) -> ApplyPlan:
    """Decide and estimate everything ``advisor apply`` will do for one output (pure: no I/O).

    The options are those of :func:`plan_copies`, with one ``out`` and its ``temp``.
    """
    return plan_copies(outs=(out,), temps=(temp,), **options)[0]


def plan_copies(
    *,
    sources: Sequence[str],
    source_paths: Sequence[Path | Url],
    outs: Sequence[Path | Url],
    temps: Sequence[Path | Url],
    source: ChunkedSchema,
    output: ChunkedSchema,
    cluster: ClusterSpec,
    resample: str | None = None,
    stats: Mapping[str, Statistic] | None = None,
    chunks: Mapping[str, int] | None = None,
    patterns: Sequence[str | Pattern] = (),
    codec: CodecSpec = DEFAULT_CODEC,
    zarr_format: ZarrFormat | None = None,
    shards: bool = False,
    overwrite: bool = False,
    profile: StorageProfile | None = None,
    profile_origin: str = BUILT_IN,
    band: tuple[float | str, float | str] = (MIN_SIZE, MAX_SIZE),
    reads: ZarrReads = DEFAULT_READS,
) -> tuple[ApplyPlan, ...]:
    """Decide and estimate everything ``advisor apply`` will do, one plan per output (pure: no I/O).

    Parameters
    ----------
    sources, source_paths
        The sources as given and the stores they resolve to.
    outs, temps
        The output stores (resolved): one, or two for the advisor's two copies
        (the first serves the family of the first pattern); and the temporary
        sibling each is written to first (:func:`advisor.store.publish.temp_path`).
    source, output
        The chunked schemas of the concatenated sources and of the dataset to write
        (after the resample; the same as ``source`` without one).
    cluster
        The shape of the cluster that will run the plan (threads and memory per worker).
    resample, stats
        The ``--resample`` frequency and per-variable statistics (default mean).
    chunks
        The user's chunks (dims not named keep their whole length); without
        them the advisor recommends chunks for ``patterns`` (default: the
        workflow's mix of point series, maps and ML batches) on the *output*
        dataset, the one that will be read.
    codec, zarr_format
        The compressor and the Zarr format (default 2, or 3 with ``shards``).
    shards
        Write zarr 3 shards. With the advisor's chunks, the shards and inner
        chunks are co-designed (``recommend(shards=True)``); with the user's
        ``chunks``, those are the inner chunks and the shards are them grown
        along time to :data:`SHARD_BYTES` (:func:`grow_block`).
    profile, profile_origin
        The storage profile the advisor plans with (default: the built-in
        local defaults) and where it came from (shown in the plan).
    band
        The advisor's size band for the chunks (the shards with ``shards``).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> hourly = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4,
    ...                 time_step=3600.0, variables=("cape",))
    >>> layout = ChunkedSchema(hourly, regular_grid(hourly.shape, (744, 121, 161)))
    >>> series, maps = plan_copies(
    ...     sources=("era5_2019",), source_paths=(Path("/d/era5_2019.zarr"),),
    ...     outs=(Path("/d/series.zarr"), Path("/d/maps.zarr")),
    ...     temps=(Path("/d/series.zarr.advisor-tmp-t0"), Path("/d/maps.zarr.advisor-tmp-t0")),
    ...     source=layout, output=layout, cluster=ClusterSpec(1, 2, 8 * 10**9),
    ...     patterns=["point-series@50", "map"])
    >>> series.copy, maps.copy
    ('copy 1 of 2: point-series', 'copy 2 of 2: map')
    >>> series.chunks[0], maps.chunks[1:]
    (8760, (121, 161))
    """
    schema = output.schema
    dims, variables = schema.dims, schema.variables
    notes: list[str] = []
    stats = dict(stats or {})
    if stats and not resample:
        raise AdvisorError("--stat needs --resample: add e.g. --resample 1D, or drop --stat")
    unknown = sorted(set(stats) - set(variables))
    if unknown:
        raise AdvisorError(
            f"--stat names {', '.join(unknown)}, not a variable of the sources: "
            f"use {', '.join(variables)}"
        )
    if resample and schema.dim_of("time") != "time":
        raise AdvisorError(
            f"--resample works along a dimension named time and the dims are {', '.join(dims)}: "
            "rename the time dimension to time, or drop --resample"
        )
    if zarr_format is None:
        zarr_format = 3 if shards else 2
    if shards and zarr_format != 3:
        raise AdvisorError("--shards needs zarr format 3: pass --zarr-format 3 or drop --shards")
    if not 1 <= len(outs) <= 2:
        raise AdvisorError(f"{len(outs)} --out given: give one, or two for two copies")
    if len(outs) == 2 and outs[0] == outs[1]:
        raise AdvisorError(f"--out {outs[0]} is given twice: give two different stores")
    if source.schema.skipped:
        notes.append(f"left out (not on the main dims): {', '.join(source.schema.skipped)}")

    if len(temps) != len(outs):
        raise ValueError(f"{len(outs)} outputs and {len(temps)} temporary paths: give one each")
    if chunks:
        targets = [user_target(schema, chunks, shards, patterns, len(outs), notes)]
    else:
        targets = advised_targets(
            schema, patterns, shards, cluster, profile, band, len(outs), notes, reads
        )
    prof = (profile or StorageProfile.preset("local")).for_codec(codec)
    ratio = 1.0 if codec.family == "none" else prof.compression_ratio
    return tuple(
        _plan_one(
            target,
            out=out,
            temp=temp,
            sources=sources,
            source_paths=source_paths,
            source=source,
            output=output,
            cluster=cluster,
            resample=resample,
            stats=stats,
            codec=codec,
            zarr_format=zarr_format,
            overwrite=overwrite,
            ratio=ratio,
            notes=notes,
            profile_origin=profile_origin,
        )
        for target, out, temp in zip(targets, outs, temps, strict=True)
    )


def _plan_one(
    target: CopyTarget,
    *,
    out: Path | Url,
    temp: Path | Url,
    sources: Sequence[str],
    source_paths: Sequence[Path | Url],
    source: ChunkedSchema,
    output: ChunkedSchema,
    cluster: ClusterSpec,
    resample: str | None,
    stats: Mapping[str, Statistic],
    codec: CodecSpec,
    zarr_format: ZarrFormat,
    overwrite: bool,
    ratio: float,
    notes: Sequence[str],
    profile_origin: str,
) -> ApplyPlan:
    """The plan that writes ``output`` in ``target`` to ``out``: grids, rechunk and estimates."""
    schema = output.schema
    dims, shape, variables = schema.dims, schema.shape, schema.variables
    notes = list(notes)
    write_chunks = target.shards or target.chunks
    write_grid = regular_grid(shape, write_chunks)
    thread_memory = cluster.memory_limit / cluster.threads_per_worker
    method = choose_rechunk_method(output.grid, write_grid, schema.itemsize, thread_memory)
    time_axis = schema.axis_of("time")
    order = ([time_axis] if time_axis is not None else []) + [
        a for a in range(len(dims)) if a != time_axis
    ]
    verify_chunks = grow_block(write_chunks, shape, schema.itemsize, VERIFY_BYTES, order)
    verify_grid = regular_grid(shape, verify_chunks)
    nbytes = output.nbytes
    peak = estimate_peak_memory(
        source, output, write_grid, method, cluster.threads_per_worker, verify_grid
    )
    if peak > cluster.memory_limit:
        notes.append(
            f"estimated peak {human_readable_size(peak)} per worker is above the "
            f"{human_readable_size(cluster.memory_limit)} limit: workers will spill to disk"
        )
    return ApplyPlan(
        sources=tuple(sources),
        source_paths=tuple(source_paths),
        out=out,
        temp=temp,
        variables=tuple(variables),
        dims=tuple(dims),
        shape=tuple(shape),
        itemsize=schema.itemsize,
        resample=resample,
        stats=tuple((v, stats.get(v, "mean")) for v in variables) if resample else (),
        patterns=target.patterns,
        chunks=target.chunks,
        chunks_from=target.origin,
        shards=target.shards,
        codec=codec,
        zarr_format=zarr_format,
        input_grid=output.grid,
        write_grid=write_grid,
        verify_chunks=verify_chunks,
        rechunk=method,
        source_nbytes=source.nbytes,
        nbytes=nbytes,
        assumed_ratio=ratio,
        stored_estimate=int(nbytes / ratio),
        scratch_bytes=nbytes if method == "p2p" else 0,
        peak_memory=peak,
        cluster=cluster,
        tasks=estimate_tasks(source, output, write_grid, method, verify_grid),
        overwrite=overwrite,
        notes=tuple(notes),
        profile_origin=profile_origin,
        copy=target.copy,
    )
