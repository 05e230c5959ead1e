"""The catalog's table entries: a Parquet file or dataset, or a CSV, named by its ``urlpath``.

intake has no reader of these here (no intake-parquet), so the advisor reads the entry from the
YAML itself, once :func:`advisor.store.catalog_check.check_catalog` has passed it: the one
template allowed, ``{{ CATALOG_DIR }}``, is the catalog's folder. A sample table entry carries
``sample_table: {year: Y, seed: S, stations: N}`` in its metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.plan.location import split_url
from advisor.store.catalog import default_catalog
from advisor.store.catalog_check import check_catalog, table_names


@dataclass(frozen=True, slots=True)
class TableEntry:
    """A table entry: its name, its file, its driver, and how to make it when it is a sample."""

    name: str
    path: Path
    driver: str
    description: str = ""
    sample_year: int | None = None
    sample_seed: int = 0
    sample_stations: int | None = None

    def make_command(self) -> str:
        """The shell command that makes this sample table.

        Examples
        --------
        >>> TableEntry("t", Path("data/stations_2019.parquet"), "parquet", sample_year=2019,
        ...     sample_stations=1000).make_command()
        'advisor sample-data --table --format parquet --out data --years 2019 --stations 1000'
        """
        extra = f" --seed {self.sample_seed}" if self.sample_seed else ""
        return (
            f"advisor sample-data --table --format {self.driver} --out {self.path.parent} "
            f"--years {self.sample_year} --stations {self.sample_stations}{extra}"
        )


def table_entry(name: str, catalog: str | Path | None = None) -> TableEntry | None:
    """The table entry ``name`` of ``catalog`` (default: the catalog in use), or None if none.

    Examples
    --------
    >>> from advisor.store.catalog import PROJECT_CATALOG
    >>> entry = table_entry("stations_2019", PROJECT_CATALOG)
    >>> entry.path.name, entry.sample_year, entry.sample_stations
    ('stations_2019.parquet', 2019, 1000)
    >>> table_entry("era5_2019", PROJECT_CATALOG) is None
    True
    """
    import yaml

    path = Path(catalog) if catalog is not None else default_catalog()
    if not path.is_file() or name not in table_names(path):
        return None
    check_catalog(path)
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"][name]
    folder = str(path.parent.resolve())
    urlpath = re.sub(r"{{\s*CATALOG_DIR\s*}}", lambda _: folder, entry["args"]["urlpath"])
    if split_url(urlpath):
        raise AdvisorError(f"catalog entry {name!r}: a table's urlpath must be a local path")
    sample = ((entry.get("metadata") or {}).get("sample_table")) or {}
    return TableEntry(
        name=name,
        path=Path(urlpath),
        driver=str(entry["driver"]),
        description=str(entry.get("description", "")),
        sample_year=int(sample["year"]) if "year" in sample else None,
        sample_seed=int(sample.get("seed", 0)),
        sample_stations=int(sample["stations"]) if "stations" in sample else None,
    )
