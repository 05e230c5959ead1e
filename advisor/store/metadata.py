"""Read a :class:`~advisor.plan.schema.Schema` from a dataset's metadata, and a store's size.

A source is an xarray Dataset, a Zarr store path or a catalog entry name
(resolved and opened by :mod:`advisor.store.sources`). Only metadata is read:
stores are opened lazily without Dask.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.plan.schema import Schema, assign_roles
from advisor.store.catalog import Maker
from advisor.store.locations import Where, stored_bytes
from advisor.store.sources import open_store, resolve_source

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)


def schema_from_dataset(
    ds: xr.Dataset, *, dims: Mapping[str, str] | None = None, name: str | None = None
) -> Schema:
    """The schema of the data variables that share the main dims of ``ds``.

    The main dims are those of the variables with the most elements (ties: the
    most variables); variables with other dims (bounds, ...) are listed in
    ``skipped``. Roles come from CF attributes, datetime coordinates and names,
    overridden by ``dims`` (role -> dim). The time step and start are read from
    the time coordinate; the current chunks from the Zarr encoding (else Dask).

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> ds = xr.Dataset(
    ...     {"t2m": (("valid_time", "y", "x"), np.zeros((48, 3, 4), "f8")),
    ...      "time_bnds": (("valid_time", "bnds"), np.zeros((48, 2)))},
    ...     coords={"valid_time": pd.date_range("2020-01-01", periods=48, freq="h")},
    ... )
    >>> s = schema_from_dataset(ds)
    >>> s.dims, s.roles, s.itemsize, s.time_step, s.time_start, s.skipped
    (('valid_time', 'y', 'x'), ('time', 'latitude', 'longitude'), 8, 3600.0, \
'2020-01-01T00:00:00', ('time_bnds',))
    """
    if not ds.data_vars:
        raise AdvisorError(f"{name or 'the dataset'} has no data variables to chunk")
    groups: dict[frozenset, list[str]] = defaultdict(list)
    for var in ds.data_vars:
        groups[frozenset(ds[var].dims)].append(str(var))

    def weight(key: frozenset) -> tuple[int, int]:
        first = ds[groups[key][0]]
        return (int(np.prod(first.shape, dtype=np.int64)), len(groups[key]))

    main = max(groups, key=weight)
    variables = groups[main]
    skipped = tuple(v for key, names in groups.items() if key != main for v in names)
    first = ds[variables[0]]
    dim_names = tuple(str(d) for d in first.dims)
    if not dim_names:
        raise AdvisorError(f"{name or 'the dataset'}'s variables are scalars: nothing to chunk")
    attrs = {d: dict(ds[d].attrs) for d in dim_names if d in ds.variables}
    datetime_dims = [
        d for d in dim_names if d in ds.variables and np.issubdtype(ds[d].dtype, np.datetime64)
    ]
    roles = assign_roles(dim_names, attrs, datetime_dims, dims)
    widest = max(variables, key=lambda v: ds[v].dtype.itemsize)
    time_dim = dim_names[roles.index("time")] if "time" in roles else None
    step, start = _time_axis(ds, time_dim)
    return Schema(
        dims=dim_names,
        shape=tuple(int(ds.sizes[d]) for d in dim_names),
        itemsize=int(ds[widest].dtype.itemsize),
        dtype=str(ds[widest].dtype),
        roles=roles,
        time_step=step,
        time_start=start,
        chunks=_current_chunks(first),
        name=name or str(ds.encoding.get("source", "dataset")),
        variables=tuple(sorted(variables)),
        skipped=tuple(sorted(skipped)),
    )


def _time_axis(ds: xr.Dataset, dim: str | None) -> tuple[float | None, str | None]:
    """The median step in seconds and the first time (ISO), when the coordinate is datetime."""
    if dim is None or dim not in ds.variables:
        return None, None
    values = ds[dim].values
    if not np.issubdtype(values.dtype, np.datetime64):
        try:  # cftime objects
            values = np.array([np.datetime64(v.isoformat(), "s") for v in values[:2]])
        except (AttributeError, ValueError, TypeError):
            logger.debug("time coordinate %s is not datetime: no time step", dim)
            return None, None
    values = values.astype("datetime64[s]")
    start = str(values[0]) if values.size else None
    if values.size < 2:
        return None, start
    steps = np.diff(values[: min(values.size, 10_000)]).astype(np.int64)
    step = float(np.median(steps))
    logger.debug("time step of %s: %s s from %s", dim, step, start)
    return (step if step > 0 else None), start


def _current_chunks(var: xr.DataArray) -> tuple[int, ...] | None:
    chunks = var.encoding.get("chunks")
    if chunks:
        if len(chunks) != var.ndim or any(int(c) < 1 for c in chunks):
            raise AdvisorError(
                f"array {var.name} is stored in chunks {tuple(chunks)} for dims {var.dims}: its "
                "metadata is damaged (every chunk length must be at least 1); repair or rewrite it"
            )
        return tuple(int(c) for c in chunks)
    if var.chunks:
        return tuple(max(c) for c in var.chunks)
    return None


def load_schema(
    source: str,
    *,
    dims: Mapping[str, str] | None = None,
    catalog: str | Path | None = None,
    make: Maker | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Schema:
    """The schema of a Zarr store path or a catalog entry, from its metadata only.

    The source is resolved by :func:`~advisor.store.sources.resolve_source`: a
    sample entry whose store is missing is made with ``make`` when one is
    given (:func:`advisor.run.sources.load_schema` passes the sample writer),
    otherwise the error names the command that makes it.

    Examples
    --------
    >>> import tempfile, numpy as np, xarray as xr
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = xr.Dataset({"v": (("time", "x"), np.zeros((4, 3), "f4"))}).to_zarr(f"{tmp}/s.zarr")
    ...     load_schema(f"{tmp}/s.zarr").shape
    (4, 3)
    """
    ds = open_store(resolve_source(source, catalog, make=make, storage_options=storage_options))
    return schema_from_dataset(ds, dims=dims, name=source)


def store_size(path: Where) -> tuple[int, int]:
    """Bytes the store's files hold, and bytes they occupy on disk (allocated blocks; on an
    object store, the bytes of its objects)."""
    if isinstance(path, Url):
        size = stored_bytes(path)
        return size, size
    size = blocks = 0
    for root, _, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(root, name))
            size += st.st_size
            blocks += st.st_blocks * 512
    return size, blocks
