"""``advisor codecs``: measure codecs on your own data and pick one per variable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import Json, Profile
from advisor.cli.output import emit, inert
from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from advisor.api.codecs import CodecsAdvice


@app.command("codecs")
def codecs_cmd(
    source: str = typer.Argument(..., help="A Zarr store path or a catalog entry name."),
    variable: list[str] = typer.Option(
        [], "--variable", "-v", help="A variable to measure; repeat (default: every one)."
    ),
    lossy: str = typer.Option(
        "none",
        "--lossy",
        help="none (never lose a bit); source: find a packing lattice (GRIB-style 16-bit) in the "
        "data and keep only it, exact relative to the source; or information[:LEVEL]: BitRound "
        "to the mantissa bits holding LEVEL (default 0.99) of the real information, verified "
        "on the sample.",
    ),
    pattern: list[str] = typer.Option(
        [],
        "--pattern",
        "-p",
        help="An access pattern, as recommend takes it; repeat for a mix "
        "(default: point-series, map, ml-batch).",
        show_default=False,
    ),
    seconds: float = typer.Option(
        10.0, "--seconds", help="The measuring budget, all variables (reading aside)."
    ),
    chunks: int = typer.Option(8, "--chunks", help="Chunks sampled per variable."),
    zarr_format: int = typer.Option(3, "--zarr-format", help="Zarr format of the copy: 2 or 3."),
    exhaustive: bool = typer.Option(
        False, "--exhaustive", help="Measure every candidate on every sampled chunk (no budget)."
    ),
    catalog: str | None = typer.Option(None, "--catalog", help="The intake catalog file."),
    profile: str | None = Profile,
    as_json: bool = Json,
) -> None:
    """Measure candidate codecs on SOURCE's own chunks; print the Pareto front and the pick."""
    from advisor.api.codecs import codecs
    from advisor.plan.policy.recommend import DEFAULT_PATTERNS
    from advisor.store.profiles import find_profile

    if zarr_format not in (2, 3):
        raise AdvisorError(f"--zarr-format {zarr_format}: use 2 or 3")
    advice = codecs(
        source,
        variables=variable,
        lossy=lossy,
        patterns=pattern or DEFAULT_PATTERNS,
        seconds=seconds,
        profile=find_profile(profile),
        catalog=catalog,
        zarr_format=zarr_format,  # type: ignore[arg-type]
        count=chunks,
        exhaustive=exhaustive,
    )
    emit(advice, as_json, lambda: _show(advice))


def _show(advice: CodecsAdvice) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    reading = sum(v.read_seconds for v in advice.variables.values())
    shape = ", ".join(f"{d}={n}" for d, n in advice.chunks.items())
    console.print(
        f"[bold]{inert(advice.source)}[/bold]: {advice.chunks_per_variable} chunks of {inert(shape)} per "
        f"variable (their first {_steps(advice)} time steps), time starts spread over the year, "
        f"space at random; budget "
        f"{advice.budget:g} s, took {advice.seconds:.1f} s ({reading:.1f} s reading the sample)"
    )
    for name, v in advice.variables.items():
        table = Table(title=f"{inert(name)} ({v.kind}, {v.decision})")
        for column in ("codec", "ratio (95% CI)", "encode MB/s", "decode MB/s", "objective s", ""):
            table.add_column(column)
        front = set(v.pareto)
        for p in sorted(v.priced, key=lambda p: (-p.measure.chunks, p.objective))[:15]:
            m = p.measure
            mark = (
                "pick"
                if m.codec == v.pick.measure.codec
                else ("pareto" if m.codec in front else "")
            )
            table.add_row(
                m.codec,
                f"{m.ratio:.2f} ({m.ratio_low:.2f}-{m.ratio_high:.2f}, "
                + (f"{m.chunks} chunks)" if m.chunks else "screen)"),
                f"{m.encode_speed / 1e6:.0f}",
                f"{m.decode_speed / 1e6:.0f}",
                f"{p.objective:.3g}",
                mark,
            )
        console.print(table)
        console.print(f"pick: [bold]{v.pick.measure.codec}[/bold] (--codec accepts it)")
        if v.lossy is not None:
            c = v.lossy
            console.print(
                f"lossy check: keepbits {c.keepbits}, max abs error {c.max_abs_error:.3g} "
                f"({c.error_to_spread:.2g} of the spread), max relative {c.max_rel_error:.2g} "
                f"<= {c.bound:.2g}; NaNs same {c.nan_same}, zeros kept {c.zeros_kept}, "
                f"signs kept {c.signs_kept}, no new inf {c.no_new_inf}"
            )
        if v.packing is not None:
            console.print(f"source: {inert(v.packing.text)}; kept {v.keepbits} mantissa bits")
            if v.decision == "on-lattice":
                console.print(
                    f"source: the values already sit on the lattice exactly (BitRound at "
                    f"{v.keepbits} bits changes no bit): the lossless pick keeps it, no filter"
                )
        elif v.decision == "not-packed":
            console.print("source: not packed (no lattice of < 65536 levels): not rounded")
        if v.dtype is not None:
            d = v.dtype
            console.print(
                f"dtype: the picked values fit {d.dtype} exactly (verified on the sample): "
                f"store {d.source} as {d.dtype}, ratio {d.ratio:.2f} against the {d.source} bytes"
            )
        if v.exhaustive is not None:
            e = v.exhaustive
            console.print(
                f"exhaustive: best {e.best} ({e.best_objective:.4g} s); the budgeted pick "
                f"{e.budgeted} ({e.budgeted_objective:.4g} s) is {100 * e.gap:.1f}% above it"
            )


def _steps(advice: CodecsAdvice) -> str:
    steps = sorted({v.sample_shape[0] for v in advice.variables.values() if v.sample_shape})
    return "/".join(str(s) for s in steps) or "?"
