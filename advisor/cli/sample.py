"""``advisor sample-data``: write the synthetic ERA5-like sample, one Zarr store per year."""

from __future__ import annotations

from typing import Literal

import typer

from advisor.cli.app import app
from advisor.cli.options import Anon, Overwrite, StorageOption
from advisor.plan.errors import AdvisorError
from advisor.run.cluster import SCHEDULER_ENV

YEARS_HELP = (
    "Year(s) to write, 1940-2100: --years 2019 2020, --years 2019,2020 "
    "or --years 2019 --years 2020."
)


def parse_years(values: list[str]) -> list[int]:
    """Years from ``--years`` values: each may hold several, separated by commas; repeats dropped.

    Examples
    --------
    >>> parse_years(["2019,2020", "2021", "2019"])
    [2019, 2020, 2021]
    """
    years: list[int] = []
    for value in values:
        for text in value.split(","):
            try:
                year = int(text.strip())
            except ValueError:
                raise AdvisorError(
                    f"--years: {text.strip()!r} is not a year: give years such as --years 2019 2020"
                ) from None
            if year not in years:
                years.append(year)
    return years


@app.command("sample-data")
def sample_data(
    out: str = typer.Option(
        ...,
        "--out",
        help="Folder or URL for the stores, DIR/era5_<year>.zarr (created if missing).",
    ),
    years: list[str] = typer.Option(..., "--years", metavar="YEAR[,YEAR]", help=YEARS_HELP),
    more_years: list[str] | None = typer.Argument(None, hidden=True, metavar="YEAR"),
    hours: int | None = typer.Option(
        None, "--hours", help="Only the first N hours of each year (default: the whole year)."
    ),
    seed: int = typer.Option(
        0, "--seed", help="Seed of the weather; the same seed, the same bytes."
    ),
    zarr_format: Literal[2, 3] = typer.Option(2, "--zarr-format", help="Zarr format to write."),
    overwrite: bool = Overwrite,
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        envvar=SCHEDULER_ENV,
        help="Address of an existing Dask scheduler to compute on (default: threads in this process).",
    ),
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    table: bool = typer.Option(
        False,
        "--table",
        help="Write the sample table instead: the field at --stations sites, hourly, as "
        "DIR/stations_<year>.parquet (or .csv).",
    ),
    table_format: Literal["parquet", "csv"] = typer.Option(
        "parquet", "--format", help="With --table: parquet or csv."
    ),
    stations: int = typer.Option(1000, "--stations", help="With --table: the station count."),
) -> None:
    """Write the synthetic ERA5-like sample (CAPE, CIN, K index, BLH; hourly, 0.25°, 15-45N 100-140E).

    One store per year, chunked (744, 121, 161) and compressed with Blosc zstd
    level 3 and byte shuffle. The model is described in docs/sample-data.md.
    With --table, one table per year instead (time, station, latitude, longitude and the four
    variables at each station's grid point).
    """
    if table:
        from advisor.run.table_sample import write_table_years

        for path in write_table_years(
            out,
            parse_years([*years, *(more_years or [])]),
            stations=stations,
            fmt=table_format,
            hours=hours,
            seed=seed,
            overwrite=overwrite,
            progress=True,
        ):
            typer.echo(path)
        return
    from advisor.plan.location import parse_storage_options
    from advisor.run.sample import write_years

    targets = write_years(
        out,
        parse_years([*years, *(more_years or [])]),
        hours=hours,
        seed=seed,
        overwrite=overwrite,
        zarr_format=zarr_format,
        scheduler=scheduler,
        progress=True,
        storage_options=parse_storage_options(storage_option, anon),
    )
    for target in targets:
        typer.echo(target)
