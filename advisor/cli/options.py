"""Options shared by several commands, defined once."""

from __future__ import annotations

import typer

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
MinSize = typer.Option("10MB", "--min-size", help="Smallest chunk (shard), e.g. 10MB.")
MaxSize = typer.Option("100MB", "--max-size", help="Largest chunk (shard), e.g. 100MB.")
