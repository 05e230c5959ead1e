"""``advisor.apply``: plan, check, start a cluster, re-plan for it, and write the verified copies.

The one function behind ``advisor apply`` and its Python users. It parses what
the user typed (or takes the values), plans on this machine's shape so that every
check runs before a cluster is reached or started, checks the free space, starts
or joins the Dask cluster, re-plans for the cluster's workers, and runs the plans
(:func:`advisor.run.apply_run.execute`). With ``dry_run`` it plans and writes
nothing, not even missing sample data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE

if TYPE_CHECKING:
    from advisor.plan.cluster import ClusterSpec
    from advisor.plan.copy_plan import ApplyPlan
    from advisor.plan.patterns import Pattern
    from advisor.plan.workflow import Statistic
    from advisor.run.apply_run import ApplyResult


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """The plans of a run, its results (None for a dry run or before it ran) and the leftovers
    of interrupted runs found next to the outputs."""

    plans: tuple[ApplyPlan, ...]
    results: tuple[ApplyResult, ...] | None = None
    leftovers: tuple[Path, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"plan": ..., "result": ...}`` for one store; ``{"copies": [...]}`` for two."""
        pairs = [
            {
                "plan": plan.to_dict(),
                "result": None if self.results is None else self.results[i].to_dict(),
            }
            for i, plan in enumerate(self.plans)
        ]
        return pairs[0] if len(pairs) == 1 else {"copies": pairs}


def apply(
    sources: str | Sequence[str],
    outs: str | Path | Sequence[str | Path],
    *,
    patterns: Sequence[str | Pattern] = (),
    chunks: Mapping[str, int] | str | None = None,
    resample: str | None = None,
    stats: Mapping[str, Statistic] | str | None = None,
    codec: CodecSpec | str = DEFAULT_CODEC,
    zarr_format: int | None = None,
    shards: bool = False,
    profile: str | None = None,
    band: tuple[float | str, float | str] = (MIN_SIZE, MAX_SIZE),
    catalog: str | Path | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    scheduler: str | None = None,
    quiet: bool = False,
    before_run: Callable[[ApplyOutcome], None] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    icechunk: bool = False,
) -> ApplyOutcome:
    """Resample, rechunk, compress and save ``sources`` as verified Zarr stores at ``outs``.

    Parameters
    ----------
    sources
        Catalog entries or Zarr stores, joined along time.
    outs
        The store to write, or two for the advisor's two copies (the first
        serves the family of the first pattern).
    patterns, chunks
        How the copy will be read (the advisor picks chunks for them), or the
        chunks themselves (``{"time": 32}`` or ``"time=32"``).
    resample, stats
        A pandas frequency to resample time with first, and the statistic per
        variable (``{"cape": "max"}`` or ``"cape=max"``; default mean).
    codec, zarr_format, shards
        The compressor, the Zarr format (2 or 3; default 2, or 3 with shards),
        and whether to write zarr 3 shards.
    profile, band
        The storage profile (as ``recommend`` finds it) and the advisor's size band.
    catalog
        The intake catalog of the entries.
    overwrite
        Replace existing Zarr stores at ``outs``.
    dry_run
        Plan and write nothing.
    scheduler
        The address of a Dask scheduler (else ``ADVISOR_SCHEDULER``, else a
        LocalCluster sized to this machine).
    quiet
        No progress bar and no cluster announcements on stderr.
    before_run
        Called with the final plans once they are made, before anything is written.
    storage_options
        Options for the file systems of URL sources and outputs (credentials,
        endpoint, ``anon``...); S3 also reads the standard AWS variables.
    icechunk
        Commit each copy to the Icechunk repository at its ``outs`` (made if
        missing): readers see the old snapshot or the new one, never a mix.

    Returns
    -------
    ApplyOutcome
        The plans, and the results unless ``dry_run``.
    """
    from advisor.plan.apply import parse_chunks, parse_stats
    from advisor.plan.location import parse_url
    from advisor.plan.parse import parse_freq
    from advisor.plan.patterns import parse_pattern
    from advisor.run.apply import check_free_space, cluster_shape, prepare
    from advisor.run.apply_run import execute
    from advisor.run.cluster import dask_client, machine_spec, resolve_scheduler
    from advisor.store.publish import leftovers

    if zarr_format not in (None, 2, 3):
        raise AdvisorError(f"--zarr-format {zarr_format}: use 2 or 3")
    fmt = cast("ZarrFormat | None", zarr_format)
    names = [sources] if isinstance(sources, str) else list(sources)
    targets = [outs] if isinstance(outs, str | Path) else list(outs)
    freq = parse_freq(resample, "--resample").pandas if resample is not None else None
    by_var = parse_stats(stats) if isinstance(stats, str) else stats
    lengths = parse_chunks(chunks) if isinstance(chunks, str) else chunks
    reads = [str(parse_pattern(p)) for p in patterns]
    spec = CodecSpec.parse(codec) if isinstance(codec, str) else codec
    found = tuple(p for out in targets if parse_url(str(out)) is None for p in leftovers(Path(out)))
    in_memory = any(
        str(name).startswith("memory:") for name in [*names, *map(str, targets)]
    )  # memory:// lives in this process: its workers must too

    def plan(cluster: ClusterSpec, generate: bool) -> tuple[ApplyPlan, ...]:
        return prepare(
            names,
            targets,
            cluster=cluster,
            catalog=catalog,
            resample=freq,
            stats=by_var,
            chunks=lengths,
            patterns=reads,
            codec=spec,
            zarr_format=fmt,
            shards=shards,
            overwrite=overwrite,
            profile=profile,
            band=band,
            generate=generate,
            storage_options=storage_options,
            icechunk=icechunk,
        )

    address = resolve_scheduler(scheduler)
    if in_memory and address:
        raise AdvisorError(
            "memory:// stores live in this process, out of the reach of a --scheduler cluster: "
            "use an object store or a shared disk, or drop --scheduler"
        )
    # plan for this machine first: every check runs before a cluster is reached or started
    plans = plan(machine_spec(), generate=not dry_run)
    if not dry_run:
        check_free_space(plans, local_workers=address is None)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(address, quiet=quiet)) if address else None
        if client is not None:  # re-plan for the cluster's workers
            plans = plan(cluster_shape(client), generate=False)
        outcome = ApplyOutcome(plans, None, found)
        if dry_run:
            return outcome
        if before_run is not None:
            before_run(outcome)
        if client is None:
            client = stack.enter_context(
                dask_client(None, spec=plans[0].cluster, processes=not in_memory, quiet=quiet)
            )
        if icechunk:
            from advisor.run.apply_icechunk import execute_icechunk

            results = execute_icechunk(plans, client, progress=not quiet)
        else:
            results = execute(plans, client, progress=not quiet)
    return ApplyOutcome(plans, results, found)
