"""Sources whose sample data is made on demand: the store layer's resolving and opening
(:mod:`advisor.store.sources`, :mod:`advisor.store.catalog`), with a missing sample catalog
entry written first, once, with a progress line on stderr.

The store layer never writes sample data; these functions hand it
:func:`make_sample`, unless ``generate=False`` (then a missing sample store is
an error naming the command that makes it, and nothing is written).

Examples
--------
>>> from advisor.store.catalog import PROJECT_CATALOG
>>> open_entry("era5_1999", catalog=PROJECT_CATALOG)
Traceback (most recent call last):
...
advisor.plan.errors.AdvisorError: no catalog entry named 'era5_1999'; the catalog has: \
era5_2019, era5_2020, era5_2021, era5_2022, era5_2023, stations_2019
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.run.sample import write_year
from advisor.store import catalog as entries
from advisor.store import metadata, sources
from advisor.store.catalog import Entry, Maker
from advisor.store.locations import Where

if TYPE_CHECKING:
    import xarray as xr

    from advisor.plan.schema import Schema
    from advisor.store.sources import Source

logger = logging.getLogger(__name__)


def make_sample(entry: Entry) -> Where:
    """Write sample entry ``entry``'s missing store, saying so on stderr (a store-layer ``Maker``)."""
    from rich.console import Console

    if entry.sample_year is None:
        raise AdvisorError(f"catalog entry {entry.name!r} is not a sample: nothing can make it")
    Console(stderr=True).print(
        f"[bold]{entry.name}[/bold]: no data at {entry.path}; generating the ERA5-like sample for "
        f"{entry.sample_year} (once; later runs reuse it)"
    )
    return write_year(
        entry.path.parent,
        entry.sample_year,
        hours=entry.sample_hours,
        seed=entry.sample_seed,
        progress=True,
    )


def _maker(generate: bool) -> Maker | None:
    return make_sample if generate else None


def ensure_sample(name: str, catalog: str | Path | None = None) -> Where:
    """The store of catalog entry ``name``, generating it first if it is a missing sample."""
    return entries.ensure_entry(name, catalog, make=make_sample).path


def open_entry(
    name: str, *, catalog: str | Path | None = None, generate: bool = True
) -> xr.Dataset:
    """Open catalog entry ``name`` lazily (:func:`advisor.store.catalog.open_entry`), generating
    a missing sample store first when ``generate`` is true."""
    return entries.open_entry(name, catalog=catalog, make=_maker(generate))


def open_entries(
    names: Sequence[str], *, catalog: str | Path | None = None, generate: bool = True
) -> xr.Dataset:
    """Open several entries joined along time (:func:`advisor.store.catalog.open_entries`),
    generating missing sample stores first when ``generate`` is true."""
    return entries.open_entries(names, catalog=catalog, make=_maker(generate))


def load_schema(
    source: str,
    *,
    dims: Mapping[str, str] | None = None,
    catalog: str | Path | None = None,
    generate: bool = True,
    storage_options: Mapping[str, Any] | None = None,
) -> Schema:
    """The schema of a store path, URL or catalog entry
    (:func:`advisor.store.metadata.load_schema`), generating a missing sample store first when
    ``generate`` is true."""
    return metadata.load_schema(
        source,
        dims=dims,
        catalog=catalog,
        make=_maker(generate),
        storage_options=storage_options,
    )


def resolve_sources(
    names: Sequence[str],
    catalog: str | Path | None = None,
    *,
    generate: bool = True,
    storage_options: Mapping[str, Any] | None = None,
) -> list[Source]:
    """Each SOURCE with its store (:func:`advisor.store.sources.resolve_sources`), generating
    missing sample stores first when ``generate`` is true (``--dry-run`` writes nothing)."""
    return sources.resolve_sources(
        names, catalog, make=_maker(generate), storage_options=storage_options
    )
