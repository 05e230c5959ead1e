"""``advisor cluster-info``: show which Dask cluster the commands would use."""

from __future__ import annotations

import json

import typer

from advisor.cli.app import app
from advisor.cli.options import Json, Scheduler


@app.command("cluster-info")
def cluster_info(scheduler: str | None = Scheduler, as_json: bool = Json) -> None:
    """Start (or reach) the Dask cluster the computing commands use, and describe it."""
    from advisor.run.cluster import dask_client

    with dask_client(scheduler, quiet=as_json) as client:
        info = client.scheduler_info()
        workers = info.get("workers", {})
        summary = {
            "scheduler": client.scheduler.address,
            "dashboard": client.dashboard_link,
            "workers": len(workers),
            "threads": sum(w.get("nthreads", 0) for w in workers.values()),
            "memory_limit": sum(w.get("memory_limit", 0) for w in workers.values()),
        }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        for key, value in summary.items():
            typer.echo(f"{key:>13}: {value}")
