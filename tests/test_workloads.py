"""The shared workload definitions against plain numpy on the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from advisor.plan import workflow
from advisor.plan.codecs import CodecSpec
from advisor.plan.errors import AdvisorError
from advisor.run import workloads


@pytest.fixture(scope="module")
def hourly(sample_store: Path) -> xr.Dataset:
    return workloads.open_for_compute(sample_store)


def test_reads_without_dask_equal_reads_with_dask(sample_store: Path, hourly: xr.Dataset) -> None:
    ds = workloads.open_for_reads(sample_store)
    assert ds.cape.chunks is None  # plain lazy indexing over zarr, no Dask graph
    series = workloads.point_series(ds, "cape", lat=60, lon=80)
    assert series.shape == (ds.sizes["time"],)
    np.testing.assert_array_equal(series, hourly.cape[:, 60, 80].values)
    field = workloads.map_at(ds, "blh", t=5, steps=2)
    np.testing.assert_array_equal(field, hourly.blh[5:7].values)


def test_resample_applies_each_variables_statistic(hourly: xr.Dataset) -> None:
    daily = workloads.resample(hourly, "1D", workflow.WORKFLOW_STATS).compute()
    cape = hourly.cape.values.reshape(-1, 24, 121, 161)
    cin = hourly.cin.values.reshape(-1, 24, 121, 161)
    np.testing.assert_array_equal(daily.cape.values, cape.max(axis=1))
    np.testing.assert_allclose(daily.cin.values, cin.mean(axis=1), rtol=1e-5, atol=1e-3)
    assert daily.cape.attrs["cell_methods"] == "time: maximum"
    assert daily.cin.attrs["cell_methods"] == "time: mean"
    assert daily.cape.attrs["units"] == hourly.cape.attrs["units"]


@pytest.mark.parametrize("method", ["blockwise", "cohorts", "map-reduce"])
def test_flox_methods_agree(hourly: xr.Dataset, method: str) -> None:
    rechunked = hourly[["k_index"]].chunk(time=48)
    got = workloads.resample(rechunked, "1D", method=method).k_index.values
    want = hourly.k_index.values.reshape(-1, 24, 121, 161).mean(axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_resample_rejects_unknown_variable_and_statistic(hourly: xr.Dataset) -> None:
    with pytest.raises(AdvisorError, match="--stat names precip"):
        workloads.resample(hourly, stats={"precip": "max"})
    with pytest.raises(AdvisorError, match="unknown statistic 'median'"):
        workloads.resample(hourly, stats={"cape": "median"})  # type: ignore[dict-item]


def test_climatologies(hourly: xr.Dataset) -> None:
    clim = workloads.climatology(hourly[["cape"]]).compute()
    np.testing.assert_allclose(
        clim.cape.sel(month=1).values, hourly.cape.values.mean(axis=0), rtol=1e-5, atol=1e-3
    )
    box = workloads.region_climatology(hourly[["cape"]]).compute()
    lat = (hourly.latitude >= 22) & (hourly.latitude <= 26)
    lon = (hourly.longitude >= 120) & (hourly.longitude <= 122)
    want = hourly.cape.values[:, lat.values][:, :, lon.values].mean()
    np.testing.assert_allclose(box.cape.values, [want], rtol=1e-5)


def test_gradient_magnitude_matches_numpy(hourly: xr.Dataset) -> None:
    field = hourly.cape.isel(time=0)
    got = workloads.gradient_magnitude(field).values
    dlat, dlon = np.gradient(
        field.values.astype("float64"), hourly.latitude.values, hourly.longitude.values
    )
    np.testing.assert_allclose(got, np.hypot(dlat, dlon), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(("zarr_format", "shards"), [(2, None), (3, None), (3, {"time": 8})])
def test_save_writes_chunks_codec_and_values(
    tmp_path: Path, hourly: xr.Dataset, zarr_format: int, shards: dict | None
) -> None:
    daily = workloads.resample(hourly, "1D")
    path = tmp_path / "daily.zarr"
    chunks = {"time": 4, "latitude": 60, "longitude": 80}
    workloads.save(
        daily, path, chunks, CodecSpec.parse("blosc:lz4:5:bitshuffle"), zarr_format, shards
    )
    arr = zarr.open_array(path / "cape", mode="r")
    assert arr.chunks == (4, 60, 80)
    assert arr.shards == ((8, 60, 80) if shards else None)
    assert type(arr.compressors[0]).__name__ in {"Blosc", "BloscCodec"}
    assert (path / (".zmetadata" if zarr_format == 2 else "zarr.json")).exists()
    back = xr.open_zarr(path)
    xr.testing.assert_equal(back.compute(), daily.compute())
    with pytest.raises(FileExistsError):  # never overwrites
        workloads.save(daily, path, chunks, CodecSpec(), zarr_format)
