"""``advisor append``: add the new time steps of SOURCE to an existing Zarr store, safely."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import Anon, Json, Scheduler, StorageOption
from advisor.cli.output import emit, print_rows

if TYPE_CHECKING:
    from advisor.api.append import AppendOutcome


@app.command("append")
def append_command(
    sources: list[str] = typer.Argument(
        ...,
        metavar="SOURCE...",
        help="The new steps: Zarr stores, catalog entries, or a folder of arriving files "
        "(netCDF, Zarr), joined along time.",
    ),
    to: str = typer.Option(
        ..., "--to", help="The existing Zarr store to append to (a path or a URL)."
    ),
    allow_gap: bool = typer.Option(
        False, "--allow-gap", help="Append even when steps are missing before SOURCE's first."
    ),
    relayout: bool = typer.Option(
        False,
        "--relayout",
        help="Write a Zarr SOURCE whose chunks, shards or codec differ in the store's layout.",
    ),
    catalog: Path | None = typer.Option(
        None, "--catalog", help="The intake catalog of the entries."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be appended and write nothing."
    ),
    icechunk: bool = typer.Option(
        False,
        "--icechunk",
        help="--to is an Icechunk repository: the append is one commit on its main branch "
        "(a concurrent commit makes it fail; nothing is visible before).",
    ),
    scheduler: str | None = Scheduler,
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    as_json: bool = Json,
) -> None:
    """Append SOURCE's new time steps to the store at --to, verified, metadata last.

    Refuses, with one line and nothing written, a structure that drifted (dims, sizes,
    variables, dtypes; a Zarr SOURCE's chunks, shards, codec), steps that overlap the
    store's end or go backwards, a gap (unless --allow-gap) and another time step. The
    chunks are written first (the trailing partial chunk completed first), read back and
    compared with SOURCE, and only then the metadata: a run killed at any moment leaves the
    store as it was or with every new step, and a rerun completes it. A second append to the
    same store while one runs is refused (a lock in the store).
    """
    from advisor.api.append import append
    from advisor.plan.location import parse_storage_options

    outcome = append(
        sources,
        to,
        allow_gap=allow_gap,
        relayout=relayout,
        catalog=catalog,
        dry_run=dry_run,
        scheduler=scheduler,
        quiet=as_json,
        storage_options=parse_storage_options(storage_option, anon),
        icechunk=icechunk,
    )
    title = "advisor append: plan (dry run, nothing written)" if dry_run else "advisor append: done"
    emit(outcome, as_json, lambda: _show(outcome, title))


def _show(outcome: AppendOutcome, title: str) -> None:
    print_rows(
        outcome.plan.rows() + ([] if outcome.result is None else outcome.result.rows()), title
    )
