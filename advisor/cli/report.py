"""``advisor report``: write one self-contained HTML page of the benchmark results and the advice."""

from __future__ import annotations

from pathlib import Path

import typer

from advisor.cli.app import app
from advisor.plan.errors import AdvisorError

DEFAULT_RESULTS = Path("results")
"""asv's ``results_dir`` in the project's ``asv.conf.json``, relative to where asv runs."""


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
    out: Path = typer.Option(Path("reports"), "--out", help="Folder to write index.html into."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an index.html that advisor report did not write."
    ),
) -> None:
    """Write OUT/index.html: codecs, the save workload, access patterns, advice and environment."""
    from advisor.report import build_report, render_report, write_report
    from advisor.report.build import check_out_dir

    if results is not None and not results.is_dir():
        raise AdvisorError(
            f"--results {results} is not a folder: pass asv's results_dir, e.g. --results results"
        )
    check_out_dir(out, overwrite=overwrite)
    report = build_report(results if results is not None else DEFAULT_RESULTS, catalog)
    index = write_report(render_report(report), out, overwrite=overwrite)
    typer.echo(f"wrote {index} ({index.stat().st_size / 1e6:.2f} MB); open it in a browser")
    for item in report.missing:
        typer.echo(f"missing {item.what}: run {item.command}", err=True)
    for problem in report.problems:
        typer.echo(f"left out: {problem}", err=True)
