"""``advisor report``: write one self-contained HTML page of the benchmark results and the advice."""

from __future__ import annotations

from pathlib import Path

import typer

from advisor.cli.app import app


@app.command("report")
def report_cmd(
    results: Path | None = typer.Option(
        None,
        "--results",
        help="asv's results folder (default: ./results; a missing default means no results yet).",
        show_default=False,
    ),
    catalog: str | None = typer.Option(
        None, "--catalog", help="The intake catalog whose datasets get recommendation cards."
    ),
    codecs: Path | None = typer.Option(
        None,
        "--codecs",
        help="A file of advisor codecs --json output: your data's Pareto per variable, the pick "
        "marked.",
        show_default=False,
    ),
    out: Path = typer.Option(Path("reports"), "--out", help="Folder to write index.html into."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an index.html that advisor report did not write."
    ),
) -> None:
    """Write OUT/index.html: codecs, the save workload, access patterns, advice and environment."""
    from advisor.report.make import make_report

    index, report = make_report(results, catalog, out, overwrite=overwrite, codecs=codecs)
    typer.echo(f"wrote {index} ({index.stat().st_size / 1e6:.2f} MB); open it in a browser")
    for item in report.missing:
        typer.echo(f"missing {item.what}: run {item.command}", err=True)
    for problem in report.problems:
        typer.echo(f"left out: {problem}", err=True)
