"""Options shared by several commands, defined once."""

from __future__ import annotations

import typer

from advisor.plan.policy.band import MAX_SIZE, MIN_SIZE
from advisor.plan.units import compact_size

Scheduler = typer.Option(
    None,
    "--scheduler",
    envvar="ADVISOR_SCHEDULER",
    help="Address of an existing Dask scheduler (default: a LocalCluster sized to this machine).",
)
Overwrite = typer.Option(False, "--overwrite", help="Replace an existing output store.")
Json = typer.Option(False, "--json", help="Print one JSON object for scripts.")
Profile = typer.Option(
    None,
    "--profile",
    envvar="ADVISOR_PROFILE",
    help="Storage profile: local, object-store or a JSON file (default: the profile "
    "`advisor calibrate` saved, else the built-in local defaults).",
    show_default=False,
)
MinSize = typer.Option(
    compact_size(MIN_SIZE),
    "--min-size",
    help=f"Smallest chunk (shard), e.g. {compact_size(MIN_SIZE)}.",
)
MaxSize = typer.Option(
    compact_size(MAX_SIZE),
    "--max-size",
    help=f"Largest chunk (shard), e.g. {compact_size(MAX_SIZE)}.",
)
StorageOption = typer.Option(
    [],
    "--storage-option",
    metavar="KEY=VALUE",
    help="An option of the object store's file system for URLs (repeatable; values read as "
    "JSON), e.g. requester_pays=true; S3 also reads the standard AWS_* variables.",
)
Anon = typer.Option(False, "--anon", help="Read a public bucket without credentials.")
Engine = typer.Option(
    None,
    "--engine",
    help="The Dask engine reductions run on: threads (dask's threaded scheduler, or "
    "Client(processes=False)), processes (a LocalCluster of worker processes) or scheduler "
    "(with --scheduler). Default: processes where the command computes; for recommend, the "
    "engine the profile measured, else processes.",
    show_default=False,
)
