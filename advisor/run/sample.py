"""Writing the synthetic ERA5-like sample: the lazy dataset and one Zarr store per year.

The values come from the pure-numpy model in :mod:`advisor.synth`
(:func:`~advisor.synth.fields.generate_block`); :func:`era5_like` wraps it in
a lazy, Dask-backed dataset with CF attributes, and :func:`write_year`
validates a request, writes the store and publishes it
(:func:`advisor.store.objects.publishing_store`).

Examples
--------
>>> ds = era5_like(2019, hours=2)
>>> ds.cape.shape, ds.cape.dtype, ds.attrs["source"]
((2, 121, 161), dtype('float32'), 'chunk-advisor synthetic ERA5-like sample')
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import numpy as np

from advisor.plan.codecs import ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.run.watch import settle
from advisor.store.locations import Where, exists, is_store, location
from advisor.store.objects import publishing_store
from advisor.synth.fields import generate_block
from advisor.synth.grid import (
    LATITUDE,
    LONGITUDE,
    MODEL_VERSION,
    VARIABLES,
    Variable,
    check_request,
    hours_since_epoch,
)

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

logger = logging.getLogger(__name__)

SAMPLE_CHUNKS: tuple[int, int, int] = (744, 121, 161)
"""On-disk chunks (time, latitude, longitude): 31 days of hours by the whole grid."""

SOURCE = "chunk-advisor synthetic ERA5-like sample"
"""The ``source`` attribute of every sample store."""

_ATTRS: dict[Variable, dict[str, str]] = {
    "cape": {
        "units": "J kg-1",
        "long_name": "Convective available potential energy",
        "standard_name": "atmosphere_convective_available_potential_energy_wrt_surface",
    },
    "cin": {
        "units": "J kg-1",
        "long_name": "Convective inhibition",
        "standard_name": "atmosphere_convective_inhibition_wrt_surface",
    },
    "k_index": {
        "units": "K",
        "long_name": "K index",
        "standard_name": "atmosphere_stability_k_index",
    },
    "blh": {
        "units": "m",
        "long_name": "Boundary layer height",
        "standard_name": "atmosphere_boundary_layer_thickness",
    },
}


def store_path(out_dir: str | Path, year: int) -> Path:
    """Where :func:`write_year` puts ``year``: ``out_dir/era5_<year>.zarr``.

    Examples
    --------
    >>> store_path("data", 2019).as_posix()
    'data/era5_2019.zarr'
    """
    return Path(out_dir) / f"era5_{year}.zarr"


def _chunk(variable: Variable, start_hour: int, seed: int, block_info: dict) -> np.ndarray:
    (t0, t1), _, _ = block_info[None]["array-location"]
    return generate_block(variable, start_hour + t0, t1 - t0, seed=seed)


def era5_like(year: int, *, hours: int | None = None, seed: int = 0) -> xr.Dataset:
    """The sample for ``year`` as a lazy, Dask-backed dataset with CF attributes.

    Chunks are :data:`SAMPLE_CHUNKS` (the time chunk clipped to the length);
    nothing is computed until the values are asked for.

    Parameters
    ----------
    year
        Calendar year, 1940 to 2100.
    hours
        Only the first ``hours`` hours of the year (default: all of them).
    seed
        Chooses the weather; the climate (land, seasons, diurnal cycles) is the same.

    Examples
    --------
    >>> ds = era5_like(2020)
    >>> dict(ds.sizes)
    {'time': 8784, 'latitude': 121, 'longitude': 161}
    >>> ds.cape.attrs["units"], ds.cape.data.chunksize
    ('J kg-1', (744, 121, 161))
    """
    import dask.array as da
    import xarray as xr

    n = check_request(year, hours, seed)
    start = hours_since_epoch(year)
    step = min(SAMPLE_CHUNKS[0], n)
    time_chunks = (step,) * (n // step) + ((n % step,) if n % step else ())
    chunks = (time_chunks, (LATITUDE.size,), (LONGITUDE.size,))
    data_vars = {
        name: (
            ("time", "latitude", "longitude"),
            da.map_blocks(
                _chunk,
                name=f"era5-like-{name}-{year}-{n}-{seed}-v{MODEL_VERSION}",
                chunks=chunks,
                dtype=np.float32,
                meta=np.empty((0, 0, 0), dtype=np.float32),
                variable=name,
                start_hour=start,
                seed=seed,
            ),
            _ATTRS[name],
        )
        for name in VARIABLES
    }
    time = np.datetime64(f"{year:04d}-01-01T00", "h") + np.arange(n)
    coords = {
        "time": (
            "time",
            time.astype("datetime64[ns]"),
            {"standard_name": "time", "long_name": "time", "axis": "T"},
        ),
        "latitude": (
            "latitude",
            LATITUDE,
            {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north",
             "axis": "Y"},
        ),
        "longitude": (
            "longitude",
            LONGITUDE,
            {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east",
             "axis": "X"},
        ),
    }  # fmt: skip
    ds = xr.Dataset(
        data_vars,
        coords=coords,
        attrs={
            "title": f"Synthetic ERA5-like convective fields over East Asia, {year}",
            "source": SOURCE,
            "Conventions": "CF-1.8",
            "seed": seed,
            "model_version": MODEL_VERSION,
            "references": "docs/sample-data.md in chunk-advisor",
        },
    )
    ds.time.encoding = {"units": "hours since 1900-01-01", "calendar": "standard", "dtype": "int32"}
    return ds


def _check_target(
    out_dir: Where, year: int, hours: int | None, seed: int, overwrite: bool, zarr_format: int
) -> Where:
    check_request(year, hours, seed)
    if zarr_format not in (2, 3):
        raise AdvisorError(f"zarr format {zarr_format!r} is not supported: use 2 or 3")
    if isinstance(out_dir, Path):
        check_writable(out_dir)
        target: Where = store_path(out_dir, year)
    else:
        target = out_dir / store_path(Path(), year).name
    if exists(target) and not overwrite and (isinstance(target, Path) or is_store(target)):
        raise AdvisorError(f"{target} already exists: pass --overwrite to replace it")
    return target


def check_writable(out_dir: Path) -> None:
    for folder in (out_dir, *out_dir.absolute().parents):
        if not folder.exists():
            continue
        if not folder.is_dir():
            raise AdvisorError(
                f"cannot write to {out_dir}: {folder} is a file, not a folder; choose another --out"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise AdvisorError(
                f"cannot write to {out_dir}: {folder} is not writable; choose another --out"
            )
        return


def write_year(
    out_dir: str | Where,
    year: int,
    *,
    hours: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
    zarr_format: ZarrFormat = 2,
    progress: bool = False,
    dry_run: bool = False,
    storage_options: Mapping[str, Any] | None = None,
) -> Where:
    """Write the sample for ``year`` to ``out_dir/era5_<year>.zarr`` and return that path.

    Everything is validated first: a bad year, hours, seed or zarr format, an
    output folder that cannot be written, or an existing store without
    ``overwrite`` raise :class:`AdvisorError`. The store is published by
    :func:`advisor.store.objects.publishing_store`: locally by way of a temporary
    sibling (a failure leaves neither a partial store nor a damaged old one),
    on an object store (``out_dir`` a URL, reached with ``storage_options``) in
    place with its top-level metadata last. On-disk chunks
    are :data:`SAMPLE_CHUNKS`, compressed with Blosc zstd level 3 and byte
    shuffle, with consolidated metadata. The blocks are computed on the
    current Dask client if there is one, else on Dask's local threads.

    Parameters
    ----------
    progress
        Show a progress bar on stderr.
    dry_run
        Only validate the request: return the path, write nothing.

    Examples
    --------
    >>> import tempfile, xarray as xr
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_year(Path(tmp) / "new", 2019, dry_run=True).name, list(Path(tmp).iterdir())
    ...     path = write_year(tmp, 2019, hours=3)
    ...     xr.open_zarr(path).cape.encoding["chunks"]
    ('era5_2019.zarr', [])
    (3, 121, 161)
    """
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.store.encoding import encoding_for

    where = location(out_dir, "--out", storage_options, write=True)
    target = _check_target(where, year, hours, seed, overwrite, zarr_format)
    if dry_run:
        return target
    ds = era5_like(year, hours=hours, seed=seed)
    chunks = (ds.cape.data.chunksize[0], LATITUDE.size, LONGITUDE.size)
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    with publishing_store(target, overwrite=overwrite) as partial:
        ds.to_zarr(
            partial,
            mode="w-",
            compute=False,
            consolidated=True,
            zarr_format=zarr_format,
            encoding=encoding_for(VARIABLES, chunks, DEFAULT_CODEC, zarr_format),
        )
        data = ds[list(VARIABLES)].drop_vars(["time", "latitude", "longitude"])
        bounds = np.cumsum((0, *ds.cape.data.chunks[0]))
        writes = [
            data.isel(time=region).to_zarr(
                partial, region={"time": region}, compute=False, consolidated=False
            )
            for region in itertools.starmap(slice, itertools.pairwise(bounds))
        ]
        with _progress_bar(target.name, len(writes), progress) as advance:
            _compute(writes, advance)
    return target


class YearOptions(TypedDict, total=False):
    """The options :func:`write_years` passes to :func:`write_year` for every year."""

    hours: int | None
    seed: int
    overwrite: bool
    zarr_format: ZarrFormat
    storage_options: Mapping[str, Any] | None


def write_years(
    out_dir: str | Where,
    years: Sequence[int],
    *,
    scheduler: str | None = None,
    progress: bool = False,
    **options: Unpack[YearOptions],
) -> list[Where]:
    """Write one store per year (:func:`write_year`); every year is checked before any is written.

    The blocks are computed on the Dask cluster at ``scheduler`` if one is
    named, else as :func:`write_year` computes them. With ``progress`` a line
    on stderr says what is written, and a bar follows each year.
    """
    targets = [write_year(out_dir, year, dry_run=True, **options) for year in years]
    if progress:
        from rich.console import Console

        hours = options.get("hours")
        span = f"the first {hours} hours" if hours else "the whole year"
        Console(stderr=True).print(
            f"writing the synthetic ERA5-like sample for {', '.join(map(str, years))} "
            f"({span}, seed {options.get('seed', 0)}, zarr format {options.get('zarr_format', 2)}) "
            f"to {out_dir}",
            soft_wrap=True,
        )
    with _cluster(scheduler):
        for year in years:
            write_year(out_dir, year, progress=progress, **options)
    return targets


def _cluster(scheduler: str | None) -> contextlib.AbstractContextManager[object]:
    """The Dask cluster at ``scheduler`` if one is named, else nothing (Dask's local threads)."""
    if scheduler is None:
        return contextlib.nullcontext()
    from advisor.run.cluster import dask_client

    return dask_client(scheduler)


@contextlib.contextmanager
def _progress_bar(label: str, total: int, show: bool) -> Iterator[Callable[[], None]]:
    import rich.progress as rp
    from rich.console import Console

    columns = (
        rp.TextColumn("{task.description}"),
        rp.BarColumn(),
        rp.MofNCompleteColumn(),
        rp.TextColumn("time chunks"),
        rp.TimeElapsedColumn(),
        rp.TimeRemainingColumn(),
    )
    with rp.Progress(*columns, console=Console(stderr=True), disable=not show) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def _compute(writes: list, advance: Callable[[], None]) -> None:
    """Compute the delayed writes on the current distributed client, else on local threads."""
    client = _current_client()
    if client is None:
        import dask
        from dask.callbacks import Callback

        logger.debug("choosing dask's threaded scheduler")
        finals = {write.key for write in writes}

        def posttask(key: object, *_: object) -> None:
            if key in finals:
                advance()

        with ThreadPoolExecutor(os.cpu_count() or 1) as pool, Callback(posttask=posttask):
            dask.compute(*writes, scheduler="threads", pool=pool)  # on Ctrl-C, the writes
        return  # queued end (the pool's exit waits) before the temporary copy is removed
    from distributed import as_completed

    logger.debug("choosing the distributed client at %s", client.scheduler.address)
    futures = client.compute(writes)
    try:
        for future in as_completed(futures):
            future.result()
            advance()
    except BaseException:  # the first failure stops the rest, the running writes end first
        settle(client, futures)
        raise


def _current_client() -> Client | None:
    """The default distributed client, unless none exists or a local scheduler is configured."""
    if "distributed" not in sys.modules:  # no client can exist without distributed imported
        return None
    import dask
    from distributed import default_client

    if dask.config.get("scheduler", None) in ("threads", "threading", "sync", "synchronous"):
        return None  # dask.config.set(scheduler=...) wins over a client, as in dask itself

    try:
        return default_client()
    except ValueError:
        return None
