"""``advisor validate``: measure the recommended and the usual layouts on a sample of SOURCE."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import (
    Anon,
    Engine,
    Json,
    MaxSize,
    MinSize,
    Profile,
    Scheduler,
    StorageOption,
)
from advisor.cli.output import emit, progress_printer

if TYPE_CHECKING:
    from advisor.plan.validation import Validation


@app.command("validate")
def validate_command(
    source: str = typer.Argument(
        ..., help="A Zarr store path or URL (s3://...), or a catalog entry name."
    ),
    pattern: list[str] = typer.Option(
        [],
        "--pattern",
        "-p",
        help="An access pattern KIND[:key=value,...][@weight]; repeat for a mix "
        "(default: point-series, map, ml-batch).",
        show_default=False,
    ),
    top: int = typer.Option(3, "--top", help="Measure the model's K best layouts in the band."),
    layout: list[str] = typer.Option(
        [],
        "--layout",
        help="Also measure these chunks, e.g. time=24,latitude=121,longitude=161 or 24x121x161.",
        show_default=False,
    ),
    spread: int = typer.Option(
        4, "--spread", help="Also measure N in-band shapes as unlike each other as possible."
    ),
    hours: int | None = typer.Option(
        None, "--hours", help="Time steps of the sample: the first N (default 336, two weeks)."
    ),
    variable: str | None = typer.Option(
        None, "--variable", help="The variable to sample (default: the first)."
    ),
    shards: bool = typer.Option(False, "--shards", help="Recommend and measure zarr 3 shards."),
    repeats: int = typer.Option(5, "--repeats", help="Accesses timed per layout and pattern."),
    seed: int = typer.Option(0, "--seed", help="Seed of the accesses drawn."),
    workdir: str | None = typer.Option(
        None,
        "--workdir",
        help="Keep the copies in this new folder, or under this new URL prefix to measure an "
        "object store (default: a temporary folder, removed).",
    ),
    min_size: str = MinSize,
    max_size: str = MaxSize,
    profile: str | None = Profile,
    catalog: str | None = typer.Option(None, "--catalog", help="The intake catalog file."),
    scheduler: str | None = Scheduler,
    engine: str | None = Engine,
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    as_json: bool = Json,
) -> None:
    """Write small copies of a sample of SOURCE in many layouts, replay the patterns on each,
    and compare the model's seconds and ranking with the measured ones."""
    from advisor.api.validate import validate
    from advisor.plan.location import parse_storage_options

    result = validate(
        source,
        pattern,
        top=top,
        spread=spread,
        layouts=layout,
        hours=hours,
        variable=variable,
        shards=shards,
        repeats=repeats,
        seed=seed,
        workdir=workdir,
        min_size=min_size,
        max_size=max_size,
        profile=profile,
        catalog=catalog,
        scheduler=scheduler,
        engine=engine,
        storage_options=parse_storage_options(storage_option, anon),
        quiet=as_json,
        progress=progress_printer(as_json),
    )
    emit(result, as_json, lambda: _show(result))


def _show(result: Validation) -> None:
    """Layouts x patterns (measured, predicted), then the agreement per pattern."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from advisor.plan.units import format_seconds
    from advisor.plan.validation import GOAL_PICK, GOAL_SPEARMAN, describe_layout

    plan = result.plan
    console = Console(highlight=False)
    console.print(f"[bold]{result.sample}[/bold]; profile: {plan.profile_origin}")
    table = Table(title="measured seconds per access (model's prediction), fastest in bold")
    table.add_column("layout")
    table.add_column("chunks", no_wrap=True)
    for p in plan.patterns:
        table.add_column(str(p), justify="right")
    fastest = result.measured.argmin(axis=0)
    for i, layout in enumerate(plan.layouts):
        cells = []
        for j in range(len(plan.patterns)):
            text = (
                f"{format_seconds(result.measured[i, j])} ({format_seconds(plan.predicted[i, j])})"
            )
            cells.append(f"[bold]{text}[/bold]" if fastest[j] == i else text)
        table.add_row(
            layout.label + ("" if layout.in_band else " *"),
            describe_layout(layout, plan.schema.itemsize),
            *cells,
        )
    table.caption = "* outside the size band"
    console.print(table)
    summary = Table(title="how the model did", title_justify="left")
    columns = (
        "pattern",
        "Spearman",
        "retest",
        "model's pick",
        "pick / best in band",
        "seconds off",
    )
    for column in columns:
        summary.add_column(column, justify="left" if column == "pattern" else "right")
    ratios, rhos, errors = result.pick_ratios(), result.spearman(), result.errors()
    retest = result.retest if result.retest is not None else np.full(len(rhos), np.nan)
    for j, p in enumerate(plan.patterns):
        summary.add_row(
            str(p),
            "n/a" if np.isnan(rhos[j]) else f"{rhos[j]:.3f}",
            "n/a" if np.isnan(retest[j]) else f"{retest[j]:.3f}",
            plan.layouts[plan.picks[j]].label.split(" = ")[0],
            "n/a (none in the band)" if np.isnan(ratios[j]) else f"{ratios[j]:.2f}x",
            f"x{errors[j]:.2f}",
        )
    console.print(summary)
    for j, p in enumerate(plan.patterns):
        console.print(f"measured ranking for {p}: {' < '.join(result.ranking(j)[:8])}, ...")
    console.print(
        f"the mix's pick is {result.mix_ratio():.2f}x the measured best in the band; goal: "
        f"Spearman >= {GOAL_SPEARMAN} over 20+ layouts ({len(plan.layouts)} here) and "
        f"each pick within {GOAL_PICK}x of the best; retest: the measurement's odd rounds "
        "ranked against its even rounds (no model can be shown to rank better)"
    )
