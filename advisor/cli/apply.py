"""``advisor apply``: write the resampled, rechunked, compressed, verified copy in one command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.apply_table import LayoutOption, MemoryOption, apply_table_command, is_table
from advisor.cli.options import (
    Anon,
    Json,
    MaxSize,
    MinSize,
    Overwrite,
    Profile,
    Scheduler,
    StorageOption,
)
from advisor.cli.output import print_rows

if TYPE_CHECKING:
    from advisor.api.apply import ApplyOutcome


@app.command("apply")
def apply_command(
    sources: list[str] = typer.Argument(
        ...,
        metavar="SOURCE...",
        help="Catalog entries or Zarr stores, joined along time; or one table (a .csv, .csv.gz "
        "or .parquet file, or a folder of .parquet files).",
    ),
    outs: list[str] = typer.Option(
        ...,
        "--out",
        help="The Zarr store to write (a path or a URL, e.g. s3://bucket/copy.zarr); give two "
        "for the advisor's two copies (the first serves the family of the first --pattern).",
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
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    icechunk: bool = typer.Option(
        False,
        "--icechunk",
        help="Commit the copy to the Icechunk repository at --out (made if missing): readers "
        "see the old snapshot or the new one, on any store (pip install 'chunk-advisor[icechunk]').",
    ),
    as_json: bool = Json,
    layout: str | None = LayoutOption,
    memory: str = MemoryOption,
) -> None:
    """Resample, rechunk, compress and save SOURCE as a verified Zarr store at --out.

    The store is written to a temporary sibling, verified against the computed
    values, and only then moved to --out: a run stopped at any moment leaves the
    old --out intact or none at all. With two --out, the advisor's two copies
    (one per family of patterns) are written in one pass and moved into place
    once both are verified. On an object store (no rename) the copy is written in
    place with its top-level metadata last: it opens only once complete and
    verified, and a later run removes what a killed one left. A table SOURCE is written in
    --layout instead (Parquet, verified and published alike).
    """
    if is_table(sources, catalog):  # the table half: advisor.api.table_apply
        from advisor.store.profiles import find_profile

        return apply_table_command(
            sources[0], outs, layout=layout, memory=memory, overwrite=overwrite,
            scheduler=scheduler, catalog=catalog, as_json=as_json, patterns=pattern,
            profile=find_profile(profile),
        )  # fmt: skip
    from advisor.api.apply import apply
    from advisor.plan.location import parse_storage_options

    def announce(outcome: ApplyOutcome) -> None:
        _warn_leftovers(outcome.leftovers)
        if not as_json:
            for plan in outcome.plans:
                print_rows(plan.rows(), "advisor apply: plan")

    outcome = apply(
        sources,
        outs,
        patterns=pattern,
        chunks=chunks,
        resample=resample,
        stats=",".join(stat) if stat else None,
        codec=codec,
        zarr_format=zarr_format,
        shards=shards,
        profile=profile,
        band=(min_size, max_size),
        catalog=catalog,
        overwrite=overwrite,
        dry_run=dry_run,
        scheduler=scheduler,
        quiet=as_json,
        before_run=announce,
        storage_options=parse_storage_options(storage_option, anon),
        icechunk=icechunk,
    )
    if outcome.results is None:
        _warn_leftovers(outcome.leftovers)
        _show(outcome, "advisor apply: plan (dry run, nothing written)", as_json)
    else:
        _show(outcome, "advisor apply: done", as_json)


def _warn_leftovers(paths: Sequence[Path]) -> None:
    from rich.console import Console

    for path in paths:
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]left by an interrupted run: {path} (delete it when no apply is running)[/yellow]"
        )


def _show(outcome: ApplyOutcome, title: str, as_json: bool) -> None:
    """The plans (and results) as JSON (:meth:`ApplyOutcome.to_dict`), or as one table per store."""
    if as_json:
        typer.echo(json.dumps(outcome.to_dict()))
        return
    for i, plan in enumerate(outcome.plans):
        rows = plan.rows() if outcome.results is None else outcome.results[i].rows()
        print_rows(rows, title)
