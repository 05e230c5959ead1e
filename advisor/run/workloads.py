"""The workloads of the workflow, defined once.

Benchmarks, ``advisor apply``, ``advisor validate`` and the tests all call these
functions, so what is measured is what users run and what the model predicts.

Two ways to open a store, as users do:

- :func:`open_for_reads`: lazy xarray over zarr-python, no Dask (interactive reads:
  a point's series, a map, an ML patch);
- :func:`open_for_compute`: Dask arrays with the on-disk chunks (scans, resample,
  climatology, save).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.plan.workflow import STATISTICS, FloxMethod, Statistic
from advisor.store.locations import Where, zarr_store
from advisor.store.sources import open_store

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr
    from zarr.abc.store import Store

    from advisor.plan.codecs import CodecSpec, ZarrFormat
    from advisor.plan.patterns import ClimatologyBy, Pattern
    from advisor.plan.schema import Schema

TAIWAN = {"latitude": slice(26, 22), "longitude": slice(120, 122)}
"""The workflow's Taiwan box, 22–26N 120–122E (latitude descends, as in ERA5)."""

_STORAGE_ENCODING = (
    "chunks",
    "preferred_chunks",
    "compressors",
    "compressor",
    "filters",
    "serializer",
    "shards",
)
"""Encoding keys of the source's own storage, dropped on save: they may not fit the new chunks or
format (a zarr 3 ``serializer`` is an error in zarr format 2)."""

_CELL_METHOD = {
    "mean": "mean",
    "max": "maximum",
    "min": "minimum",
    "sum": "sum",
    "std": "standard_deviation",
}


def open_for_reads(path: str | Where | Store) -> xr.Dataset:
    """Open a Zarr store lazily without Dask: each selection reads just its chunks via zarr-python."""
    return open_store(path)


def open_for_compute(
    path: str | Where | Store, chunks: Mapping[str, int] | None = None
) -> xr.Dataset:
    """Open a Zarr store as Dask arrays (on-disk chunks unless ``chunks`` is given)."""
    return open_store(path, chunks=dict(chunks) if chunks else {})


def read(
    ds: xr.Dataset, selection: Mapping[str, slice | int], variables: list[str] | None = None
) -> dict[str, np.ndarray]:
    """Read one access (a box given as ``dim -> slice``) of each variable into memory."""
    names = variables or [str(name) for name in ds.data_vars]
    return {name: ds[name].isel(dict(selection)).to_numpy() for name in names}


def point_series(
    ds: xr.Dataset, var: str, lat: int, lon: int, window: slice | None = None
) -> np.ndarray:
    """The time series at one grid point (``isel`` indices), optionally in a time window."""
    return read(ds, {"latitude": lat, "longitude": lon, "time": window or slice(None)}, [var])[var]


def map_at(ds: xr.Dataset, var: str, t: int, steps: int = 1) -> np.ndarray:
    """The full field at time index ``t`` (``steps`` consecutive steps)."""
    return read(ds, {"time": slice(t, t + steps)}, [var])[var]


def full_scan(ds: xr.Dataset) -> xr.Dataset:
    """The time mean everywhere, computed (the workflow's ``mean(dim="time")``)."""
    return ds.mean("time").compute()


def resample(
    ds: xr.Dataset,
    freq: str = "1D",
    stats: Mapping[str, Statistic] | None = None,
    method: FloxMethod | None = None,
) -> xr.Dataset:
    """Hourly → ``freq`` (lazy): one statistic per variable (default mean), names kept, CF ``cell_methods`` set.

    ``stats`` maps variables to ``mean|max|min|sum|std``; variables not named
    get the mean. ``method`` picks flox's method (default: flox decides).
    """
    import xarray as xr

    stats = dict(stats or {})
    unknown = sorted(set(stats) - set(ds.data_vars))
    if unknown:
        raise AdvisorError(
            f"--stat names {', '.join(unknown)}, not in the dataset: use one of {', '.join(map(str, ds.data_vars))}"
        )
    bad = {v: s for v, s in stats.items() if s not in STATISTICS}
    if bad:
        var, stat = next(iter(bad.items()))
        raise AdvisorError(
            f"unknown statistic {stat!r} for {var}: use one of {', '.join(STATISTICS)}"
        )
    kwargs = {"method": method} if method else {}
    out = {}
    for name in ds.data_vars:
        stat = stats.get(str(name), "mean")
        da = getattr(ds[name].resample(time=freq), stat)(**kwargs)
        da.attrs = {**ds[name].attrs, "cell_methods": f"time: {_CELL_METHOD[stat]}"}
        out[name] = da
    return xr.Dataset(out, attrs=ds.attrs)


def climatology(
    ds: xr.Dataset, by: ClimatologyBy = "month", method: FloxMethod | None = None
) -> xr.Dataset:
    """``groupby("time.<by>").mean()`` (lazy): the multi-year monthly or seasonal climatology."""
    kwargs: dict[str, Any] = {"method": method} if method else {}  # flox's, through xarray
    return ds.groupby(f"time.{by}").mean(dim="time", **kwargs)


def region_climatology(
    ds: xr.Dataset, box: Mapping[str, slice] = TAIWAN, by: ClimatologyBy = "month"
) -> xr.Dataset:
    """The box-averaged climatology (lazy): the workflow's Taiwan-area CAPE seasonal cycle.

    The box mean comes first, then the grouped time mean: the same numbers (every
    step has the same grid points), and flox's blockwise method cannot reduce
    the grid dims inside a grouped reduction.
    """
    area = ds.sel(dict(box)).mean(dim=["latitude", "longitude"])
    return area.groupby(f"time.{by}").mean(dim="time")


def gradient_magnitude(da: xr.DataArray) -> xr.DataArray:
    """``sqrt(d/dlat² + d/dlon²)`` from ``differentiate`` (per degree), lazy."""
    import numpy as np

    # a ufunc of DataArrays gives a DataArray (__array_ufunc__); numpy's stubs say ndarray
    return cast(
        "xr.DataArray", np.hypot(da.differentiate("latitude"), da.differentiate("longitude"))
    )


def for_saving(
    ds: xr.Dataset,
    chunks: Mapping[str, int],
    codec: CodecSpec,
    zarr_format: ZarrFormat = 3,
    shards: Mapping[str, int] | None = None,
) -> tuple[xr.Dataset, dict[str, dict[str, Any]]]:
    """``ds`` in Dask chunks of the write chunks (or shards), the source's storage encoding
    dropped, and the encoding that writes it in ``chunks`` with ``codec`` (:func:`save`)."""
    from advisor.store.encoding import encoding_for

    dims = [str(d) for d in ds.dims]
    chunk_dims = {d: int(chunks.get(d, ds.sizes[d])) for d in dims}
    write_dims = {d: int(shards.get(d, chunk_dims[d])) for d in dims} if shards else chunk_dims
    variables = [str(v) for v in ds.data_vars]
    itemsize = max(ds[v].dtype.itemsize for v in variables)
    encoding = {}
    for v in variables:
        vdims = [str(d) for d in ds[v].dims]
        encoding.update(
            encoding_for(
                [v],
                tuple(min(chunk_dims[d], ds.sizes[d]) for d in vdims),
                codec,
                zarr_format,
                itemsize,
                tuple(min(write_dims[d], ds.sizes[d]) for d in vdims) if shards else None,
            )
        )
    out = ds.chunk(write_dims)
    for variable in out.variables.values():
        for key in _STORAGE_ENCODING:
            variable.encoding.pop(key, None)
    return out, encoding


def save(
    ds: xr.Dataset,
    path: str | Where | Store,
    chunks: Mapping[str, int],
    codec: CodecSpec,
    zarr_format: ZarrFormat = 3,
    shards: Mapping[str, int] | None = None,
) -> None:
    """Rechunk ``ds`` to ``chunks`` and write it to a new store with ``codec`` and consolidated metadata.

    The workflow's save step: ``ds.chunk(chunks).to_zarr(path, encoding=..., consolidated=True)``.
    The Dask chunks are the write chunks (or the shards, when given) so no
    two tasks write into the same stored object. (``advisor apply`` writes with
    :func:`advisor.run.write.write_with_digests`, one task per block with its digest.)
    """
    out, encoding = for_saving(ds, chunks, codec, zarr_format, shards)
    options: dict[str, Any] = {"encoding": encoding, "consolidated": True}
    if isinstance(path, Url | Path):
        path = zarr_store(path, read_only=False)
    out.to_zarr(path, mode="w-", zarr_format=zarr_format, **options)


def draw_accesses(
    pattern: Pattern, schema: Schema, n: int, seed: int = 0
) -> list[dict[str, slice]]:
    """``n`` accesses of ``pattern`` drawn as the cost model sees them (``dim -> slice``).

    Along each dim the start is ``j * stride`` with ``j`` uniform over the
    ``count`` starts of :meth:`advisor.plan.patterns.Pattern.accesses`, drawn
    independently per dim from a generator seeded by ``seed``. A reduction's
    access is the whole array (an empty selection).

    Examples
    --------
    >>> from advisor.plan.patterns import Pattern
    >>> from advisor.plan.schema import Schema
    >>> s = Schema(("time", "latitude", "longitude"), (100, 20, 30), 4)
    >>> draw_accesses(Pattern("ml-batch"), s, 1, seed=1)
    [{'time': slice(32, 64, None), 'latitude': slice(0, 16, None), 'longitude': slice(0, 16, None)}]
    >>> draw_accesses(Pattern("full-scan"), s, 1)
    [{}]
    """
    import numpy as np

    from advisor.plan.patterns import REDUCTIONS, WRITES

    if pattern.kind in WRITES:
        raise AdvisorError(
            f"pattern {pattern} is a write: validate does not measure appends yet; "
            "drop it from --pattern (recommend prices it)"
        )
    if pattern.kind in REDUCTIONS:
        return [{} for _ in range(n)]
    rng = np.random.default_rng(seed)
    per_dim = pattern.accesses(schema)
    out = []
    for _ in range(n):
        box = {}
        for dim, access in zip(schema.dims, per_dim, strict=True):
            start = int(rng.integers(access.count)) * access.stride
            box[dim] = slice(start, start + access.length)
        out.append(box)
    return out


def run_access(
    ds: xr.Dataset, pattern: Pattern, schema: Schema, access: Mapping[str, slice], variable: str
) -> None:
    """Do one access of ``pattern`` on ``variable`` with the workload functions above.

    Interactive kinds :func:`read` the box (``ds`` from :func:`open_for_reads`);
    reductions compute :func:`full_scan`, :func:`resample` or :func:`climatology`
    of ``variable`` (``ds`` from :func:`open_for_compute`; the time dim is
    renamed ``time`` for them).
    """
    kind = pattern.kind
    if kind not in ("resample", "climatology", "full-scan"):
        read(ds, access, [variable])
        return
    one = ds[[variable]]
    time_dim = schema.dim_of("time")
    if time_dim is not None and time_dim != "time":
        one = one.rename({time_dim: "time"})
    if kind == "full-scan":
        full_scan(one)
    elif kind == "resample":
        resample(one, str(pattern.get("freq", "1D"))).compute()
    else:
        # parse_pattern admits only CLIMATOLOGY_BY for a climatology's "by"
        climatology(one, by=cast("ClimatologyBy", pattern.get("by", "month"))).compute()


def replay(
    ds: xr.Dataset,
    pattern: Pattern,
    schema: Schema,
    n: int,
    seed: int = 0,
    variable: str | None = None,
) -> list[float]:
    """Seconds of each of ``n`` accesses of ``pattern`` drawn by :func:`draw_accesses`.

    ``variable`` defaults to the first of ``schema.variables`` (else of ``ds``).
    """
    import time

    name = variable or (schema.variables[0] if schema.variables else str(next(iter(ds.data_vars))))
    seconds = []
    for access in draw_accesses(pattern, schema, n, seed):
        start = time.perf_counter()
        run_access(ds, pattern, schema, access, name)
        seconds.append(time.perf_counter() - start)
    return seconds
