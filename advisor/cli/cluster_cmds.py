"""``advisor cluster-info``: show which Dask cluster the commands would use."""

from __future__ import annotations

import json

import typer

from advisor.cli.app import app
from advisor.cli.options import Json, Scheduler


@app.command("cluster-info")
def cluster_info(scheduler: str | None = Scheduler, as_json: bool = Json) -> None:
    """Start (or reach) the Dask cluster the computing commands use, and describe it."""
    from advisor.run.cluster import describe_cluster

    summary = describe_cluster(scheduler, quiet=as_json)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        for key, value in summary.items():
            typer.echo(f"{key:>13}: {value}")
