"""Open the datasets of an intake catalog by name.

The catalog is the project's ``catalog.yaml`` (intake 2 with intake-xarray).
Entries whose metadata carries ``sample: {year: Y, seed: S}`` (optionally
``hours: N`` for a shortened year) describe the embedded ERA5-like sample. The
store layer never writes one: when such an entry's store is missing,
:func:`open_entry` says which command makes it, unless the caller passes a
``make`` function (:func:`advisor.run.sources.open_entry` passes the sample
writer, so it generates the store first).
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.plan.errors import AdvisorError
from advisor.plan.location import split_url
from advisor.store.catalog_check import check_catalog, table_names
from advisor.store.locations import Where, exists, location

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

CATALOG_ENV = "ADVISOR_CATALOG"
"""Environment variable naming the catalog file to use instead of the default."""

PROJECT_CATALOG = Path(__file__).resolve().parents[2] / "catalog.yaml"
"""The catalog that ships at the root of the repository."""


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a catalog entry's data lives and, for sample entries, how to make it."""

    name: str
    path: Where
    """The store: a local path, or a URL with the entry's ``storage_options``."""
    description: str
    sample_year: int | None
    sample_seed: int
    sample_hours: int | None = None

    @property
    def exists(self) -> bool:
        return exists(self.path)

    def make_command(self) -> str:
        """The shell command that creates this entry's store."""
        return f"advisor sample-data --out {self.path.parent} --years {self.sample_year}" + (
            f" --seed {self.sample_seed}" if self.sample_seed else ""
        )


Maker = Callable[[Entry], object]
"""Makes a missing sample entry's store (:func:`advisor.run.sources.make_sample`)."""


def default_catalog() -> Path:
    """The catalog in use: ``$ADVISOR_CATALOG``, else ``./catalog.yaml``, else the project's own."""
    if env := os.environ.get(CATALOG_ENV):
        return Path(env)
    here = Path("catalog.yaml")
    return here if here.is_file() else PROJECT_CATALOG


def _open(catalog: str | Path | None):
    path = Path(catalog) if catalog is not None else default_catalog()
    if not path.is_file():
        raise AdvisorError(
            f"no catalog at {path}: pass --catalog PATH or set {CATALOG_ENV} to an intake catalog file"
        )
    check_catalog(path)  # data entries only, before intake imports anything a catalog names
    import intake

    try:
        return intake.open_catalog(str(path))
    except Exception as exc:  # intake raises many types for a malformed file
        raise AdvisorError(f"cannot read the catalog {path}: {exc}") from None


def entry_names(catalog: str | Path | None = None) -> list[str]:
    """The names of the catalog's array entries, sorted (table entries:
    :func:`advisor.store.table_catalog.table_entry`).

    Examples
    --------
    >>> entry_names(PROJECT_CATALOG)[:2]
    ['era5_2019', 'era5_2020']
    """
    path = Path(catalog) if catalog is not None else default_catalog()
    cat = _open(path)
    tables = table_names(path)
    return sorted(name for name in cat if name not in tables)


def get_entry(name: str, catalog: str | Path | None = None) -> Entry:
    """Describe entry ``name`` without reading its data.

    Examples
    --------
    >>> entry = get_entry("era5_2021", PROJECT_CATALOG)
    >>> entry.path.name, entry.sample_year
    ('era5_2021.zarr', 2021)
    """
    path = Path(catalog) if catalog is not None else default_catalog()
    cat = _open(path)
    if name in table_names(path):
        raise AdvisorError(
            f"catalog entry {name!r} is a table (Parquet or CSV), not a Zarr store: "
            f"give it to the table commands, e.g. advisor apply {name} --out DIR"
        )
    if name not in cat:
        known = ", ".join(sorted(cat)) or "none"
        raise AdvisorError(f"no catalog entry named {name!r}; the catalog has: {known}")
    source = cat[name]
    data = source.reader.data
    sample = (data.metadata or {}).get("sample") or {}
    url = str(data.url)
    where = location(
        url if split_url(url) else os.path.normpath(url),
        f"catalog entry {name!r}:",
        getattr(data, "storage_options", None),
    )
    return Entry(
        name=name,
        path=where,
        description=getattr(source, "description", "") or "",
        sample_year=int(sample["year"]) if "year" in sample else None,
        sample_seed=int(sample.get("seed", 0)),
        sample_hours=int(sample["hours"]) if "hours" in sample else None,
    )


def ensure_entry(
    name: str, catalog: str | Path | None = None, *, make: Maker | None = None
) -> Entry:
    """Entry ``name``, whose store exists or has just been made by ``make``.

    Raises :class:`AdvisorError` when the store is missing and is not a sample
    (nothing can make it), or when no ``make`` is given (the error names the
    command that makes it). The run layer's
    :func:`advisor.run.sources.make_sample` writes a sample entry's store.
    """
    entry = get_entry(name, catalog)
    if entry.exists:
        return entry
    if entry.sample_year is None:
        raise AdvisorError(f"catalog entry {name!r} points at {entry.path}, which does not exist")
    if make is None:
        raise AdvisorError(
            f"catalog entry {name!r} has no data yet at {entry.path}: run `{entry.make_command()}`"
        )
    make(entry)
    return entry


def open_entry(
    name: str,
    *,
    catalog: str | Path | None = None,
    make: Maker | None = None,
) -> xr.Dataset:
    """Open catalog entry ``name`` lazily through intake (``catalog[name].to_dask()``).

    A sample entry whose store is missing is made with ``make`` first when one
    is given (:func:`ensure_entry`); otherwise the error names the command
    that makes it.
    """
    ensure_entry(name, catalog, make=make)
    cat = _open(catalog)
    logger.debug("opening catalog entry %s", name)
    return cat[name].to_dask()


def open_entries(
    names: Sequence[str],
    *,
    catalog: str | Path | None = None,
    make: Maker | None = None,
) -> xr.Dataset:
    """Open several entries and concatenate them along time (the multi-year climatology input).

    The entries must not overlap in time; they are put in time order.
    """
    if not names:
        raise AdvisorError("no catalog entries given: name at least one, e.g. era5_2019")
    datasets = [open_entry(n, catalog=catalog, make=make) for n in names]
    return concat_in_time(datasets, list(names))


def concat_in_time(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> xr.Dataset:
    """Join datasets of one grid along time, in time order; ``labels`` name them in errors.

    Periods must not overlap, and the other coordinates must match exactly.
    """
    import xarray as xr

    if len(datasets) == 1:
        return datasets[0]
    if any("time" not in d.dims for d in datasets):
        raise AdvisorError("datasets are joined along time, but one has no time dimension")
    order = sorted(range(len(datasets)), key=lambda i: datasets[i].indexes["time"][0])
    ordered = [datasets[i] for i in order]
    for i, (before, after) in enumerate(itertools.pairwise(ordered)):
        if after.indexes["time"][0] <= before.indexes["time"][-1]:
            raise AdvisorError(
                f"{labels[order[i]]} and {labels[order[i + 1]]} overlap in time: "
                "name each period once"
            )
    try:
        return xr.concat(
            ordered,
            dim="time",
            data_vars="minimal",
            coords="minimal",
            compat="override",
            join="exact",
        )
    except ValueError as exc:
        raise AdvisorError(
            f"cannot join {', '.join(labels)} along time ({exc}): join stores of one grid and variables"
        ) from None
