"""What a catalog file may hold before intake reads it: data entries, never code.

intake imports whatever a catalog names: a ``driver: some.module.Class``, a
``plugins:`` section, an intake 2 ``cls:`` or ``reader:`` field, and its
templates run ``shell(...)`` and read ``env(...)``; YAML's own
``!!python/object`` tags build arbitrary objects. :func:`check_catalog` reads
the file with ``yaml.safe_load`` (which builds plain data only) and refuses, in
one line, anything but ``sources:`` entries whose driver is one of
:data:`ALLOWED_DRIVERS` and whose templates name only ``CATALOG_DIR``; it runs
before intake is imported. A table entry (driver ``parquet`` or ``csv``,
:data:`TABLE_DRIVERS`) holds a ``urlpath`` and nothing else in its ``args``; intake
never opens those (the advisor reads the file itself, :mod:`advisor.store.table_catalog`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from advisor.plan.errors import AdvisorError

ALLOWED_DRIVERS = frozenset(
    {
        "zarr",
        "netcdf",
        "intake_xarray.xzarr.ZarrSource",
        "intake_xarray.netcdf.NetCDFSource",
    }
)
"""The intake-xarray drivers of Zarr stores and netCDF files, by short name and by class."""

TABLE_DRIVERS = frozenset({"parquet", "csv"})
"""The drivers of table entries: a Parquet file or dataset, or a CSV file, by its ``urlpath``."""

TABLE_KEYS = frozenset({"description", "driver", "metadata", "args"})
"""What a table entry may hold; its ``args`` hold a ``urlpath`` only."""

ALLOWED_TOP = frozenset({"metadata", "sources", "name", "description"})
"""Top-level keys of a catalog the advisor reads (no ``plugins``, no intake 2 ``data``/``readers``)."""

CODE_KEYS = frozenset({"cls", "reader", "readers", "plugins", "module", "entrypoint"})
"""Keys with which intake names a Python object to import."""

_TEMPLATE = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.S)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in ``value`` (keys included), with where it sits."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, where)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")


def _keys(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every mapping key in ``value``, with where it sits."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from _keys(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _keys(item, f"{where}[{i}]")


def check_catalog(path: Path) -> None:
    """Refuse a catalog that names code rather than data; return if it holds only data entries.

    Examples
    --------
    >>> from advisor.store.catalog import PROJECT_CATALOG
    >>> check_catalog(PROJECT_CATALOG)
    """
    import yaml

    def refuse(what: str) -> AdvisorError:
        return AdvisorError(
            f"the catalog {path} {what}: the advisor reads catalogs of `sources:` entries with "
            f"the {' or '.join(sorted(d for d in ALLOWED_DRIVERS if '.' not in d))} driver only"
        )

    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise refuse(f"is not plain YAML data ({first})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisorError(f"cannot read the catalog {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), dict):
        raise refuse("has no `sources:` mapping")
    extra = sorted(set(map(str, doc)) - ALLOWED_TOP)
    if extra:
        raise refuse(f"has a top-level {extra[0]!r} section")
    for where, key in _keys(doc, "catalog"):
        if key in CODE_KEYS:
            raise refuse(f"names code at {where}.{key}")
    for name, entry in doc["sources"].items():
        driver = entry.get("driver") if isinstance(entry, dict) else None
        if driver in TABLE_DRIVERS:
            _check_table_entry(name, entry, refuse)
        elif driver not in ALLOWED_DRIVERS:
            raise refuse(f"gives entry {name!r} the driver {driver!r}")
    for where, text in _strings(doc, "catalog"):
        for match in _TEMPLATE.finditer(text):
            inner = (match.group(1) or match.group(2) or "").strip()
            if match.group(2) is not None or inner != "CATALOG_DIR":
                raise refuse(f"has the template {match.group(0)!r} at {where}")


def _check_table_entry(name: str, entry: dict, refuse: Callable[[str], AdvisorError]) -> None:
    """A table entry: the keys of :data:`TABLE_KEYS`, and ``args`` of one string ``urlpath``."""
    extra = sorted(set(map(str, entry)) - TABLE_KEYS)
    if extra:
        raise refuse(f"gives the table entry {name!r} a {extra[0]!r} field")
    args = entry.get("args")
    if (
        not isinstance(args, dict)
        or set(args) != {"urlpath"}
        or not isinstance(args["urlpath"], str)
    ):
        raise refuse(f"gives the table entry {name!r} args other than one urlpath")


def table_names(path: Path) -> frozenset[str]:
    """The names of the table entries of the catalog at ``path`` (checked first).

    Examples
    --------
    >>> from advisor.store.catalog import PROJECT_CATALOG
    >>> sorted(table_names(PROJECT_CATALOG))
    ['stations_2019']
    """
    import yaml

    check_catalog(path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(
        str(name)
        for name, entry in doc["sources"].items()
        if isinstance(entry, dict) and entry.get("driver") in TABLE_DRIVERS
    )
