"""``advisor validate``: measure the recommended and the usual layouts on a sample of SOURCE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import Json, MaxSize, MinSize, Profile, Scheduler

if TYPE_CHECKING:
    from advisor.run.validate import Validation


@app.command("validate")
def validate_command(
    source: str = typer.Argument(..., help="A Zarr store path or a catalog entry name."),
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
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Keep the copies in this new folder (default: a temporary folder, removed).",
    ),
    min_size: str = MinSize,
    max_size: str = MaxSize,
    profile: str | None = Profile,
    catalog: str | None = typer.Option(None, "--catalog", help="The intake catalog file."),
    scheduler: str | None = Scheduler,
    as_json: bool = Json,
) -> None:
    """Write small copies of a sample of SOURCE in many layouts, replay the patterns on each,
    and compare the model's seconds and ranking with the measured ones."""
    import shutil
    import tempfile

    from rich.console import Console

    from advisor.plan.errors import AdvisorError
    from advisor.plan.policy.recommend import DEFAULT_PATTERNS
    from advisor.run import workloads
    from advisor.run.cluster import dask_client
    from advisor.run.validate import DEFAULT_HOURS, parse_layout, plan_validation, run_validation
    from advisor.store.metadata import schema_from_dataset
    from advisor.store.profiles import find_profile
    from advisor.store.sources import resolve_source as store_path

    if repeats < 1:
        raise AdvisorError(f"--repeats {repeats}: give at least 1")
    path = store_path(source, catalog)
    try:
        ds = workloads.open_for_compute(path)
    except Exception as exc:  # zarr and xarray raise many types for a non-store
        raise AdvisorError(f"cannot open {path} as a Zarr store ({exc})") from None
    full = schema_from_dataset(ds, name=source)
    name = variable or full.variables[0]
    if name not in full.variables:
        raise AdvisorError(
            f"--variable {name!r} is not one of the data variables {', '.join(full.variables)}"
        )
    time_dim = full.dim_of("time")
    steps = hours if hours is not None else DEFAULT_HOURS
    if time_dim is not None:
        total = full.sizes[time_dim]
        if steps < 1:
            raise AdvisorError(f"--hours {steps}: give at least 1 time step")
        steps = min(steps, total)
        sample = ds[[name]].isel({time_dim: slice(0, steps)})
        what = f"{source}: {name}, the first {steps} of {total} time steps"
    else:
        sample, what = ds[[name]], f"{source}: {name}"
    schema = schema_from_dataset(sample, name=what)
    plan = plan_validation(
        schema,
        pattern or DEFAULT_PATTERNS,
        top=top,
        spread=spread,
        layouts=[parse_layout(text, schema) for text in layout],
        shards=shards,
        profile=find_profile(profile),
        min_size=min_size,
        max_size=max_size,
    )
    if workdir is not None and workdir.exists() and any(workdir.iterdir()):
        raise AdvisorError(f"--workdir {workdir} is not empty: give a new or empty folder")
    console = Console(stderr=True, soft_wrap=True)
    folder = workdir or Path(tempfile.mkdtemp(prefix="advisor-validate-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with dask_client(scheduler, quiet=as_json) as _client:
            loaded = sample.compute()
            result = run_validation(
                plan,
                loaded,
                folder,
                variable=name,
                repeats=repeats,
                seed=seed,
                label=what,
                progress=None if as_json else lambda text: console.print(f"[dim]{text}[/dim]"),
            )
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _show(result)


def _show(result: Validation) -> None:
    """Layouts x patterns (measured, predicted), then the agreement per pattern."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from advisor.run.validate import GOAL_PICK, GOAL_SPEARMAN, describe_layout

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
            text = f"{_seconds(result.measured[i, j])} ({_seconds(plan.predicted[i, j])})"
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
            f"{ratios[j]:.2f}x",
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


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value >= 1 else f"{value * 1000:.3g} ms"
