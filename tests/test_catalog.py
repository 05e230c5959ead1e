"""The intake catalog: the workflow's own calls, opening by name, generating, concatenating."""

from __future__ import annotations

from pathlib import Path

import intake
import numpy as np
import pytest

from advisor.plan.errors import AdvisorError
from advisor.store.catalog import PROJECT_CATALOG, entry_names, get_entry, open_entries, open_entry
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
