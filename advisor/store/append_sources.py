"""The two sides of an append, read: the target store's layout and the arriving sources.

A SOURCE is a Zarr store (path, URL or catalog entry, resolved by :mod:`advisor.store.sources`)
or a folder of arriving files in a format xarray opens (netCDF, or Zarr stores), opened in
name order and joined along time. :func:`store_layout` and :func:`source_layout` describe each
as an :class:`advisor.plan.append_checks.Layout` for the pure checks; nothing here writes.

Examples
--------
>>> import tempfile, numpy as np, pandas as pd, xarray as xr
>>> with tempfile.TemporaryDirectory() as tmp:
...     ds = xr.Dataset({"v": (("time", "y"), np.zeros((4, 2), "f4"))},
...                     coords={"time": pd.date_range("2019-01-01", periods=4, freq="h")})
...     _ = ds.to_zarr(f"{tmp}/a.zarr", encoding={"v": {"chunks": (2, 2)}}, zarr_format=2)
...     layout = store_layout(Path(f"{tmp}/a.zarr"))
...     layout.time_dim, layout.sizes, layout.var("v").chunks, len(layout.times)
('time', (('time', 4), ('y', 2)), (2, 2), 4)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.plan.append_checks import Layout, VarLayout
from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.store.catalog import concat_in_time
from advisor.store.locations import Where, zarr_store
from advisor.store.metadata import schema_from_dataset
from advisor.store.sources import is_store, open_store

if TYPE_CHECKING:
    import xarray as xr
    import zarr
    from zarr.abc.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """The target's facts the writer needs beside its layout."""

    zarr_format: int
    consolidated: bool
    attrs: dict[str, Any]


def open_group(where: Where | Store) -> zarr.Group:
    """The store's root group, read-only (consolidated metadata when it has it)."""
    import zarr

    try:
        store = zarr_store(where) if isinstance(where, Path | Url) else where
        return zarr.open_group(store, mode="r")
    except Exception as exc:  # zarr raises many types for a non-store
        raise AdvisorError(
            f"cannot open {where} as a Zarr store ({type(exc).__name__}: {exc}): --to names "
            "an existing store written by apply or xarray"
        ) from None


def store_info(where: Where | Store) -> StoreInfo:
    """The target's zarr format, whether it has consolidated metadata, its root attributes."""
    group = open_group(where)
    consolidated = group.metadata.consolidated_metadata is not None
    return StoreInfo(group.metadata.zarr_format, consolidated, dict(group.attrs))


def codec_text(array: zarr.Array) -> str:
    """A stored array's filters, serializer and compressors as one comparable string."""

    def config(c: object) -> object:
        return c.to_dict() if hasattr(c, "to_dict") else c.get_config()  # type: ignore[attr-defined]

    parts = {
        "filters": [config(c) for c in array.filters],
        "compressors": [config(c) for c in array.compressors],
    }
    return json.dumps(parts, sort_keys=True, default=str)


def _times(ds: xr.Dataset, time_dim: str) -> tuple[int, ...]:
    values = np.asarray(ds[time_dim].values)
    if not np.issubdtype(values.dtype, np.datetime64):
        raise AdvisorError(f"{time_dim} holds {values.dtype}, not times: append needs a time axis")
    return tuple(int(t) for t in values.astype("datetime64[ns]").astype(np.int64))


def _time_dim(ds: xr.Dataset, label: str) -> str:
    schema = schema_from_dataset(ds, name=label)
    if "time" not in schema.roles:
        raise AdvisorError(f"{label} has no time dimension: append grows the time axis")
    return schema.dims[schema.roles.index("time")]


def layout(ds: xr.Dataset, label: str, group: zarr.Group | None) -> Layout:
    """``ds``'s layout; chunks, shards and codec from ``group`` (None: not a Zarr store)."""
    import zarr

    time_dim = _time_dim(ds, label)
    variables = []
    for name in sorted(map(str, ds.data_vars)):
        var = ds[name]
        chunks = shards = codec = None
        if group is not None:
            array = group[name]
            assert isinstance(array, zarr.Array)
            chunks, shards, codec = tuple(array.chunks), array.shards, codec_text(array)
        variables.append(
            VarLayout(name, tuple(map(str, var.dims)), str(var.dtype), chunks, shards, codec)
        )
    sizes = tuple((str(d), int(n)) for d, n in ds.sizes.items())
    return Layout(time_dim, sizes, tuple(variables), _times(ds, time_dim))


def store_layout(where: Where | Store) -> Layout:
    """The target store's layout (read from its metadata and time coordinate)."""
    ds = open_store(where)
    try:
        return layout(ds, str(where), open_group(where))
    finally:
        ds.close()


def arrival_files(folder: Path) -> list[Path]:
    """The arriving files in ``folder``, in name order (hidden files and partial writes skipped).

    Examples
    --------
    >>> arrival_files(Path("/nowhere"))
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: /nowhere holds no files to append
    """
    names = (
        sorted(
            p for p in folder.iterdir() if not p.name.startswith(".") and "partial" not in p.name
        )
        if folder.is_dir()
        else []
    )
    if not names:
        raise AdvisorError(f"{folder} holds no files to append")
    return names


def open_arrivals(folder: Path) -> xr.Dataset:
    """A folder of arriving files (netCDF, Zarr stores, ...) opened lazily, joined along time."""
    import xarray as xr

    datasets = []
    for path in arrival_files(folder):
        try:
            if path.is_dir() and is_store(path):
                datasets.append(open_store(path, chunks={}))
            else:
                datasets.append(xr.open_dataset(path, chunks={}))
        except AdvisorError:
            raise
        except Exception as exc:  # each engine raises its own
            raise AdvisorError(
                f"cannot open {path} ({type(exc).__name__}: {exc}): the folder must hold only "
                "files xarray opens (netCDF, Zarr)"
            ) from None
    return concat_in_time(datasets, [str(p) for p in arrival_files(folder)])


def open_source(where: Where) -> tuple[xr.Dataset, Layout]:
    """A source (a Zarr store, or a folder of arriving files) as Dask arrays in its own chunks,
    with its layout (chunks, shards and codec only for a Zarr store)."""
    if isinstance(where, Path) and where.is_dir() and not is_store(where):
        ds = open_arrivals(where)
        return ds, layout(ds, str(where), None)
    ds = open_store(where, chunks={})
    return ds, layout(ds, str(where), open_group(where))


def open_sources(wheres: Sequence[Where]) -> tuple[xr.Dataset, list[Layout]]:
    """The sources joined along time in time order, and each one's layout."""
    opened = [open_source(w) for w in wheres]
    ds = concat_in_time([d for d, _ in opened], [str(w) for w in wheres])
    return ds, [lay for _, lay in opened]
