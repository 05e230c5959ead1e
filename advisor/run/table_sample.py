"""Writing the sample table: the ERA5-like field sampled at station sites, as Parquet or CSV.

The field comes from the same model as the gridded sample
(:func:`advisor.synth.fields.generate_block`, so a station's values are the store's values at
its grid point) and the sites from :func:`advisor.synth.stations.station_sites`. The rows are in
the order an extraction from the grid gives them: by time, then station. The field is made in
blocks of :data:`BLOCK_HOURS` hours, one variable at a time, and each block's rows are written
before the next is made: memory stays near one variable's block (13 MB) and one block's rows,
whatever the year or the station count. The file is published atomically
(:func:`advisor.store.publish.publishing`).

Examples
--------
>>> import tempfile, pyarrow.parquet as pq
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = write_table_year(tmp, 2019, stations=3, hours=2)
...     table = pq.read_table(path)
>>> path.name, table.num_rows, table.column_names
('stations_2019.parquet', 6, ['time', 'station', 'latitude', 'longitude', 'cape', 'cin', \
'k_index', 'blh'])
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.run.sample import check_writable
from advisor.store.publish import publishing, refuse_url, write_failed
from advisor.synth.fields import generate_block
from advisor.synth.grid import VARIABLES, check_request, hours_since_epoch
from advisor.synth.stations import DEFAULT_STATIONS, StationSites, station_sites

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

TableFormat = Literal["parquet", "csv"]

BLOCK_HOURS = 168
"""Hours of the field made at once (a week: 13 MB per variable on the whole grid)."""

COLUMNS = ("time", "station", "latitude", "longitude", *VARIABLES)
"""The sample table's columns, in order."""


def table_path(out_dir: str | Path, year: int, fmt: TableFormat = "parquet") -> Path:
    """Where :func:`write_table_year` puts ``year``: ``out_dir/stations_<year>.<fmt>``.

    Examples
    --------
    >>> table_path("data", 2019, "csv").as_posix()
    'data/stations_2019.csv'
    """
    return Path(out_dir) / f"stations_{year}.{fmt}"


def table_schema() -> pa.Schema:
    """The Arrow schema of the sample table (time in ns as pandas has it, values as stored)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("time", pa.timestamp("ns")),
            ("station", pa.string()),
            ("latitude", pa.float64()),
            ("longitude", pa.float64()),
            *((name, pa.float32()) for name in VARIABLES),
        ]
    )


def station_blocks(
    year: int,
    sites: StationSites,
    *,
    hours: int | None = None,
    seed: int = 0,
    block_hours: int = BLOCK_HOURS,
) -> Iterator[pa.RecordBatch]:
    """The table's rows, one record batch per block of ``block_hours`` hours (time, then station).

    Examples
    --------
    >>> sites = station_sites(2, seed=0)
    >>> [b.num_rows for b in station_blocks(2019, sites, hours=5, block_hours=2)]
    [4, 4, 2]
    """
    import pyarrow as pa

    n = check_request(year, hours, seed)
    start = hours_since_epoch(year)
    first = np.datetime64(f"{year:04d}-01-01T00", "h")
    k = len(sites)
    ids = pa.array(sites.ids, pa.string())
    schema = table_schema()
    for t0 in range(0, n, block_hours):
        m = min(block_hours, n - t0)
        times = (first + np.arange(t0, t0 + m)).astype("datetime64[ns]")
        columns: list[pa.Array] = [
            pa.array(np.repeat(times, k)),
            ids.take(pa.array(np.tile(np.arange(k), m))),
            pa.array(np.tile(sites.latitude, m)),
            pa.array(np.tile(sites.longitude, m)),
        ]
        for name in VARIABLES:
            field = generate_block(name, start + t0, m, seed=seed)
            columns.append(pa.array(field[:, sites.lat_index, sites.lon_index].ravel()))
            del field
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def check_table_target(
    out_dir: str | Path, year: int, fmt: str, stations: int, overwrite: bool
) -> Path:
    """The path of ``year``'s table once the request is checked (nothing is written)."""
    refuse_url(out_dir, "--out")
    if fmt not in ("parquet", "csv"):
        raise AdvisorError(f"--format {fmt!r} is not a table format: use parquet or csv")
    check_request(year)
    station_sites(stations)  # checks the count
    out = Path(out_dir).expanduser()
    check_writable(out)
    target = table_path(out, year, fmt)  # type: ignore[arg-type]
    if target.exists() and not overwrite:
        raise AdvisorError(f"{target} already exists: pass --overwrite to replace it")
    return target


def write_table_year(
    out_dir: str | Path,
    year: int,
    *,
    stations: int = DEFAULT_STATIONS,
    fmt: TableFormat = "parquet",
    hours: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
    block_hours: int = BLOCK_HOURS,
) -> Path:
    """Write ``year``'s sample table to ``out_dir/stations_<year>.<fmt>`` and return that path.

    Parquet: one row group per block (``block_hours`` x ``stations`` rows), zstd. CSV: pandas'
    text for the times (``2019-01-01 00:00:00``), the values as their shortest float32 text.
    Everything is checked first (:class:`AdvisorError`); an existing file is replaced only with
    ``overwrite``; a failure leaves no partial file.
    """
    target = check_table_target(out_dir, year, fmt, stations, overwrite)
    check_request(year, hours, seed)
    sites = station_sites(stations, seed=seed)
    blocks = station_blocks(year, sites, hours=hours, seed=seed, block_hours=block_hours)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with publishing(target, overwrite=overwrite) as partial:
            (_write_parquet if fmt == "parquet" else _write_csv)(partial, blocks)
    except OSError as exc:
        raise write_failed(exc, target) from None
    logger.debug("wrote %s (%d stations)", target, stations)
    return target


def _write_parquet(path: Path, blocks: Iterator[pa.RecordBatch]) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, table_schema(), compression="zstd") as writer:
        for batch in blocks:
            writer.write_batch(batch, row_group_size=batch.num_rows)


def _write_csv(path: Path, blocks: Iterator[pa.RecordBatch]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    schema = table_schema().set(0, pa.field("time", pa.timestamp("s")))
    with pcsv.CSVWriter(path, schema) as writer:
        for batch in blocks:
            writer.write_batch(batch.set_column(0, "time", batch.column(0).cast(pa.timestamp("s"))))


def write_table_years(
    out_dir: str | Path,
    years: Sequence[int],
    *,
    stations: int = DEFAULT_STATIONS,
    fmt: TableFormat = "parquet",
    hours: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = False,
) -> list[Path]:
    """One table per year (:func:`write_table_year`); every year is checked before any is written."""
    targets = [check_table_target(out_dir, year, fmt, stations, overwrite) for year in years]
    for year in years:
        check_request(year, hours, seed)
    if progress:
        from rich.console import Console

        Console(stderr=True).print(
            f"writing the sample table ({stations} stations, seed {seed}) for "
            f"{', '.join(map(str, years))} to {out_dir} as {fmt}",
            soft_wrap=True,
        )
    for year in years:
        write_table_year(
            out_dir, year, stations=stations, fmt=fmt, hours=hours, seed=seed, overwrite=overwrite
        )
    return targets
