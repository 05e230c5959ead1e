"""The intake catalog and sources: the workflow's own calls, opening by name, generating,
concatenating, resolving a SOURCE to its store."""

from __future__ import annotations

import re
from pathlib import Path

import intake
import numpy as np
import pytest

from advisor.plan.errors import AdvisorError
from advisor.run.sources import ensure_sample, open_entries, open_entry
from advisor.store import catalog as store_catalog
from advisor.store.catalog import PROJECT_CATALOG, entry_names, get_entry
from advisor.store.sources import resolve_source, resolve_sources
from tests.conftest import SAMPLE_HOURS


def test_project_catalog_lists_the_five_sample_years() -> None:
    assert entry_names(PROJECT_CATALOG) == [f"era5_{y}" for y in range(2019, 2024)]
    entry = get_entry("era5_2023", PROJECT_CATALOG)
    assert entry.path == PROJECT_CATALOG.parent / "data" / "era5_2023.zarr"
    assert (entry.sample_year, entry.sample_seed) == (2023, 0)


def test_workflow_calls_work_through_intake(sample_catalog: Path) -> None:
    # the workflow: catalog = intake.open_catalog('catalog.yaml'); catalog.era5_2019.to_dask()
    catalog = intake.open_catalog(str(sample_catalog))
    ds = catalog.era5_2019.to_dask()
    assert dict(ds.sizes) == {"time": SAMPLE_HOURS, "latitude": 121, "longitude": 161}
    assert ds.cape.chunks[0][0] == SAMPLE_HOURS  # the on-disk chunks, clipped to the short year
    assert catalog["era5_2020"].to_dask().time.dt.year.values[0] == 2020


def test_open_entry_reads_an_existing_store(sample_catalog: Path) -> None:
    ds = open_entry("era5_2019", catalog=sample_catalog, generate=False)
    assert set(ds.data_vars) == {"cape", "cin", "k_index", "blh"}
    assert float(ds.cape.isel(time=0).max()) >= 0


def test_missing_store_names_the_command_that_makes_it(catalog_copy: Path) -> None:
    with pytest.raises(AdvisorError) as info:
        open_entry("era5_2021", catalog=catalog_copy, generate=False)
    message = str(info.value)
    assert "\n" not in message
    assert f"advisor sample-data --out {catalog_copy.parent / 'data'} --years 2021" in message
    assert not (catalog_copy.parent / "data").exists()  # nothing written


def test_missing_sample_store_is_generated_with_a_progress_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = _one_sample_entry(tmp_path, "year: 2022, seed: 3, hours: 30")
    ds = open_entry("era5_2022", catalog=catalog)
    assert ds.sizes["time"] == 30
    assert "generating the ERA5-like sample for 2022" in capsys.readouterr().err
    assert (tmp_path / "data" / "era5_2022.zarr").is_dir()


def test_entries_concatenate_along_time(sample_catalog: Path) -> None:
    ds = open_entries(["era5_2020", "era5_2019"], catalog=sample_catalog, generate=False)
    assert ds.sizes["time"] == 2 * SAMPLE_HOURS
    times = ds.indexes["time"]
    assert times.is_monotonic_increasing and times[0].year == 2019 and times[-1].year == 2020
    assert ds.cape.chunks[0] == (SAMPLE_HOURS, SAMPLE_HOURS)  # still lazy, one chunk per year
    # the workflow's multi-year monthly climatology runs on the concatenation
    clim = ds.cape.groupby("time.month").mean(dim="time").compute()
    assert clim.month.values.tolist() == [1] and np.isfinite(clim.values).all()


def test_overlapping_entries_are_refused(sample_catalog: Path) -> None:
    with pytest.raises(AdvisorError, match="overlap in time"):
        open_entries(["era5_2019", "era5_2019"], catalog=sample_catalog, generate=False)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda cat: open_entry("era5_1999", catalog=cat), "no catalog entry named 'era5_1999'"),
        (lambda cat: open_entries([], catalog=cat), "no catalog entries given"),
        (lambda cat: entry_names(cat.parent / "nope.yaml"), "no catalog at"),
    ],
)
def test_bad_names_are_one_line_errors(catalog_copy: Path, call, message: str) -> None:
    with pytest.raises(AdvisorError, match=message) as info:
        call(catalog_copy)
    assert "\n" not in str(info.value)


def test_recommend_on_a_missing_sample_entry_generates_it_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the README's Quick start: `advisor recommend era5_2019 ...` on a fresh machine
    from tests.conftest import run_cli

    catalog = _one_sample_entry(tmp_path, "year: 2019, hours: 48")
    code, out, err = run_cli(
        ["recommend", "era5_2019", "--catalog", str(catalog), "--pattern", "map", "--json"], capsys
    )
    assert code == 0, err
    assert "generating the ERA5-like sample for 2019" in err
    assert (tmp_path / "data" / "era5_2019.zarr").is_dir()
    assert '"chunks"' in out


def test_the_store_layer_never_writes_a_missing_sample(catalog_copy: Path) -> None:
    # the store layer only names the command; generating is the run layer's (make=...)
    with pytest.raises(AdvisorError, match="advisor sample-data --out"):
        store_catalog.open_entry("era5_2021", catalog=catalog_copy)
    with pytest.raises(AdvisorError, match="advisor sample-data --out"):
        resolve_source("era5_2021", catalog_copy)
    assert not (catalog_copy.parent / "data").exists()


def test_ensure_sample_generates_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = _one_sample_entry(tmp_path, "year: 2021, hours: 2")
    path = ensure_sample("era5_2021", catalog)
    assert path == tmp_path / "data" / "era5_2021.zarr" and path.is_dir()
    assert "generating the ERA5-like sample for 2021" in capsys.readouterr().err
    assert ensure_sample("era5_2021", catalog) == path  # the second time it is only found
    assert "generating" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("names", "message"),
    [
        # recommend's and apply's resolvers disagreed here; one resolver, one message each
        (["/no/such/store.zarr"], "no Zarr store or catalog entry named '/no/such/store.zarr'"),
        (
            ["no_such_entry"],
            "no Zarr store or catalog entry named 'no_such_entry' (the catalog has",
        ),
        (["{tmp}/notes.txt"], "cannot open"),  # a file, not a store
        (["{tmp}/folder"], "cannot open"),  # a folder, not a store
        ([], "no SOURCE given"),
        (["{store}", "{store}/"], "a SOURCE is named twice"),
    ],
)
def test_sources_resolve_with_one_set_of_messages(
    tmp_path: Path, sample_store: Path, names: list[str], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "folder").mkdir()
    names = [n.format(tmp=tmp_path, store=sample_store) for n in names]
    with pytest.raises(AdvisorError, match=re.escape(message)) as info:
        resolve_sources(names, PROJECT_CATALOG)
    assert "\n" not in str(info.value)


def test_a_store_path_and_an_entry_resolve_alike(sample_catalog: Path) -> None:
    store = sample_catalog.parent / "data" / "era5_2019.zarr"
    by_path, by_name = resolve_sources([str(store), "era5_2020"], sample_catalog)
    assert by_path.path == store.resolve() and by_name.path == store.with_name("era5_2020.zarr")
    with pytest.raises(AdvisorError, match="named twice"):
        resolve_sources([str(store), "era5_2019"], sample_catalog)


def _one_sample_entry(folder: Path, sample: str) -> Path:
    """A catalog with one sample entry ``era5_<year>`` (``sample`` is its YAML metadata) whose store is missing."""
    year = sample.split("year:")[1].split(",")[0].strip()
    catalog = folder / "catalog.yaml"
    catalog.write_text(
        "sources:\n"
        f"  era5_{year}:\n"
        "    driver: zarr\n"
        f"    metadata: {{sample: {{{sample}}}}}\n"
        f"    args: {{urlpath: '{{{{ CATALOG_DIR }}}}/data/era5_{year}.zarr', consolidated: true}}\n"
    )
    return catalog


# ------------------------------------------------- catalogs that name code are refused
ENTRY = "  e:\n    driver: zarr\n    args: {urlpath: '{{ CATALOG_DIR }}/e.zarr'}\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # intake imports the class a driver names
        ("sources:\n  e:\n    driver: sentinel_mod.Source\n", "driver 'sentinel_mod.Source'"),
        ("sources:\n  e:\n    args: {urlpath: x}\n", "driver None"),
        # YAML builds the object the tag names
        ("sources: !!python/object/apply:sentinel_mod.boom []\n", "not plain YAML data"),
        # a plugins section imports its modules; intake 2 readers name classes
        (f"plugins:\n  source:\n    - module: sentinel_mod\nsources:\n{ENTRY}", "'plugins'"),
        (f"sources:\n{ENTRY}    cls: sentinel_mod.Source\n", "names code at"),
        (f"sources:\n{ENTRY}    metadata: {{reader: sentinel_mod.R}}\n", "names code at"),
        # intake templates run shell commands and read the environment
        (
            "sources:\n  e:\n    driver: zarr\n    args: {urlpath: '{{ shell(\"touch x\") }}'}\n",
            "template",
        ),
        (
            "sources:\n  e:\n    driver: zarr\n    args: {urlpath: '{{ env(\"HOME\") }}'}\n",
            "template",
        ),
        ("- a list\n", "no `sources:` mapping"),
    ],
)
def test_a_catalog_naming_code_is_refused_in_one_line(tmp_path: Path, text: str, said: str) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(text)
    with pytest.raises(AdvisorError, match=re.escape(said)) as info:
        entry_names(catalog)
    assert "\n" not in str(info.value) and "zarr" in str(info.value)


def test_a_refused_catalog_imports_nothing(tmp_path: Path) -> None:
    """The module the catalog names would leave a file if it were imported: none is left."""
    import subprocess
    import sys

    (tmp_path / "sentinel_mod.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('imported').write_text('yes')\n"
        "class Source: pass\n"
    )
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("sources:\n  e:\n    driver: sentinel_mod.Source\n")
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "recommend", "e", "--catalog", str(catalog)],
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[1]}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "driver 'sentinel_mod.Source'" in proc.stderr
    assert not (tmp_path / "imported").exists()


def test_the_project_catalog_passes_the_check() -> None:
    from advisor.store.catalog_check import check_catalog

    check_catalog(PROJECT_CATALOG)  # raises on anything but data entries
    assert "era5_2019" in entry_names(PROJECT_CATALOG)
