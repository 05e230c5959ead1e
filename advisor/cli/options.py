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
