"""``advisor calibrate``: measure the cost model's constants on this machine and store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.app import app
from advisor.cli.options import Anon, Engine, Json, Scheduler, StorageOption
from advisor.cli.output import emit, progress_printer

if TYPE_CHECKING:
    from advisor.plan.fit import Calibration


@app.command("calibrate")
def calibrate_command(
    store: str | None = typer.Option(
        None,
        "--store",
        help="A folder or fsspec URL to measure (default: a temporary folder on the local disk).",
        show_default=False,
    ),
    profile: Path | None = typer.Option(
        None,
        "--profile",
        help="Where to save the profile (default: profile.json in your config folder, or "
        "ADVISOR_PROFILE when it names a file).",
        show_default=False,
    ),
    repeats: int = typer.Option(5, "--repeats", help="Timed accesses per measurement."),
    hours: int | None = typer.Option(
        None,
        "--hours",
        help="Hours of the sample written in each layout (24 to 8760; default 2232, Jan-Mar).",
        show_default=False,
    ),
    codecs: list[str] | None = typer.Option(
        None,
        "--codec",
        metavar="CODEC",
        help="A codec whose speeds to measure, e.g. zstd:3 (repeatable; default: the five "
        "the benchmarks compare). The default codec, which the timed layouts use, always is.",
        show_default=False,
    ),
    scheduler: str | None = Scheduler,
    engine: str | None = Engine,
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    as_json: bool = Json,
) -> None:
    """Time reads, decoding and Dask tasks on a store (--store) and save the fitted profile.

    Three months of the sample are written in six chunkings (three on an object
    store), read back through the workloads' own path (zarr-python, and Dask
    for scans and resamples) and the model's constants are fitted to the
    timings; `advisor recommend` and `advisor apply` use the saved profile from
    then on and say so. On an object store (an s3://, gs://, ... URL) the
    first-byte latency, the bandwidth and the concurrency that still helps are
    measured first, with GETs of their own. The profile records the store's
    backend, endpoint host and zarr version. Everything written to the store is
    removed. Takes well under a minute on a local disk.
    """
    from advisor.api.calibrate import calibrate
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.plan.location import parse_storage_options
    from advisor.run.calibrate import CODECS, HOURS

    if codecs:  # the layouts are written with the default codec: its speeds price the reads
        codecs = list(dict.fromkeys([str(DEFAULT_CODEC), *codecs]))

    result = calibrate(
        store,
        profile=profile,
        repeats=repeats,
        hours=HOURS if hours is None else hours,
        codecs=tuple(codecs or CODECS),
        scheduler=scheduler,
        engine=engine,
        quiet=as_json,
        progress=progress_printer(as_json),
        storage_options=parse_storage_options(storage_option, anon),
    )
    emit(result, as_json, lambda: _show(result))


def _show(result: Calibration) -> None:
    from rich.console import Console
    from rich.table import Table

    from advisor.plan.units import format_seconds

    console = Console(highlight=False)
    constants = Table(title="calibrated constants", show_header=False, title_justify="left")
    constants.add_column(style="bold")
    constants.add_column()
    for name, value in result.constants():
        constants.add_row(name, value)
    console.print(constants)
    timings = Table(title="measured and predicted seconds per access", title_justify="left")
    for column in ("layout", "chunks", "pattern", "chunks read", "tasks", "measured", "predicted"):
        timings.add_column(column, justify="left" if column in ("layout", "pattern") else "right")
    for t in result.timings:
        timings.add_row(
            t.layout,
            "x".join(map(str, t.chunks)),
            t.pattern,
            f"{t.chunks_touched:.0f}",
            f"{t.tasks:.0f}" if t.tasks else "",
            format_seconds(t.seconds),
            format_seconds(t.predicted),
        )
    console.print(timings)
    codecs = Table(title="codecs on the sample (one thread)", title_justify="left")
    for column in ("codec", "decode", "encode", "ratio"):
        codecs.add_column(column, justify="left" if column == "codec" else "right")
    for speed in result.profile.codec_speeds:
        codecs.add_row(
            speed.codec,
            f"{speed.decode_speed / 1e6:,.0f} MB/s",
            f"{speed.encode_speed / 1e6:,.0f} MB/s",
            f"{speed.compression_ratio:.2f}",
        )
    console.print(codecs)
    engines = ", ".join(s.engine for s in result.profile.engine_speeds)
    console.print(
        f"scans and resamples ran on {result.profile.engine}: "
        f"{result.profile.engine_speeds[0].described} (profile holds: {engines})"
    )
    where = result.profile.measured_on()
    console.print(
        f"measured on {result.store} ({where}) in {result.elapsed:.0f} s; the model is off by "
        f"x{result.median_factor():.2f} on the median access"
    )
    console.print(
        f"[bold green]saved[/bold green] {result.saved_to}: `advisor recommend` and "
        "`advisor apply` use it from now on (--profile or ADVISOR_PROFILE choose another)"
    )
