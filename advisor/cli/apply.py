"""``advisor apply``: write the resampled, rechunked, compressed, verified copy in one command."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import Json, MaxSize, MinSize, Overwrite, Profile, Scheduler

if TYPE_CHECKING:
    from advisor.plan.apply import ApplyPlan
    from advisor.run.apply import ApplyResult


@app.command("apply")
def apply_command(
    sources: list[str] = typer.Argument(
        ..., metavar="SOURCE...", help="Catalog entries or Zarr stores, joined along time."
    ),
    outs: list[Path] = typer.Option(
        ...,
        "--out",
        help="The Zarr store to write; give two for the advisor's two copies (the first serves "
        "the family of the first --pattern).",
    ),
    pattern: list[str] = typer.Option(
        [],
        "--pattern",
        "-p",
        help="How the copy will be read (repeatable), e.g. ml-batch, point-series, map@2; "
        "the advisor picks chunks for them (default: point-series, map, ml-batch).",
    ),
    chunks: str | None = typer.Option(
        None,
        "--chunks",
        help="Chunks instead of the advisor's, e.g. time=32,latitude=60,longitude=80.",
    ),
    resample: str | None = typer.Option(
        None, "--resample", help="Resample time first, e.g. 1D (a pandas frequency)."
    ),
    stat: list[str] = typer.Option(
        [],
        "--stat",
        help="Statistic per variable for --resample, e.g. cape=max,cin=mean (default mean).",
    ),
    codec: str = typer.Option(
        "blosc:zstd:3:shuffle",
        "--codec",
        help="Compressor: blosc:CNAME:LEVEL:SHUFFLE, zstd:L, gzip:L or none.",
    ),
    zarr_format: int | None = typer.Option(
        None, "--zarr-format", help="Zarr format 2 or 3 (default 2, or 3 with --shards)."
    ),
    shards: bool = typer.Option(
        False,
        "--shards",
        help="Write zarr 3 shards: shards in the band with inner chunks sized for the reads "
        "(with --chunks: those chunks grown along time to <= 100 MB).",
    ),
    profile: str | None = Profile,
    min_size: str = MinSize,
    max_size: str = MaxSize,
    catalog: Path | None = typer.Option(
        None, "--catalog", help="The intake catalog of the entries."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and write nothing."),
    scheduler: str | None = Scheduler,
    overwrite: bool = Overwrite,
    as_json: bool = Json,
) -> None:
    """Resample, rechunk, compress and save SOURCE as a verified Zarr store at --out.

    The store is written to a temporary sibling, verified against the computed
    values, and only then moved to --out: a run stopped at any moment leaves the
    old --out intact or none at all. With two --out, the advisor's two copies
    (one per family of patterns) are written in one pass and moved into place
    once both are verified.
    """
    from rich.console import Console

    from advisor.plan import apply as plan_module
    from advisor.plan.codecs import CodecSpec
    from advisor.plan.errors import AdvisorError
    from advisor.plan.patterns import parse_pattern
    from advisor.run import apply as execute
    from advisor.run.cluster import dask_client, machine_spec, resolve_scheduler

    if zarr_format not in (None, 2, 3):
        raise AdvisorError(f"--zarr-format {zarr_format}: use 2 or 3")
    options = dict(
        catalog=catalog,
        resample=plan_module.parse_freq(resample) if resample is not None else None,
        stats=plan_module.parse_stats(",".join(stat)) if stat else None,
        chunks=plan_module.parse_chunks(chunks) if chunks is not None else None,
        patterns=[str(parse_pattern(p)) for p in pattern],
        codec=CodecSpec.parse(codec),
        zarr_format=zarr_format,
        shards=shards,
        overwrite=overwrite,
        profile=profile,
        band=(min_size, max_size),
    )
    for path in (p for out in outs for p in execute.leftovers(out)):
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]left by an interrupted run: {path} (delete it when no apply is running)[/yellow]"
        )
    address = resolve_scheduler(scheduler)
    # plan for this machine first: every check runs before a cluster is reached or started
    plans = execute.prepare(sources, outs, cluster=machine_spec(), generate=not dry_run, **options)
    if not dry_run:
        execute.check_free_space(plans, local_workers=address is None)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(address, quiet=as_json)) if address else None
        if client is not None:  # re-plan for the cluster's workers
            plans = execute.prepare(
                sources, outs, cluster=execute.cluster_shape(client), generate=False, **options
            )
        if dry_run:
            _show(plans, None, "advisor apply: plan (dry run, nothing written)", as_json)
            return
        if not as_json:
            for plan in plans:
                _print_table(plan.rows(), "advisor apply: plan")
        if client is None:
            client = stack.enter_context(dask_client(None, spec=plans[0].cluster, quiet=as_json))
        results = execute.execute(plans, client, progress=not as_json)
    _show(plans, results, "advisor apply: done", as_json)


def _show(
    plans: Sequence[ApplyPlan], results: Sequence[ApplyResult] | None, title: str, as_json: bool
) -> None:
    """The plans (and results) as JSON, or as one table per store.

    JSON: ``{"plan": ..., "result": ...}`` for one store; with two copies,
    ``{"copies": [{"plan": ..., "result": ...}, ...]}``.
    """
    pairs = [
        {"plan": plan.to_dict(), "result": None if results is None else results[i].to_dict()}
        for i, plan in enumerate(plans)
    ]
    if as_json:
        typer.echo(json.dumps(pairs[0] if len(pairs) == 1 else {"copies": pairs}))
        return
    for i, plan in enumerate(plans):
        _print_table(plan.rows() if results is None else results[i].rows(), title)


def _print_table(rows: list[tuple[str, str]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    Console(soft_wrap=False).print(table)
