"""The ERA5-like sample: layout, physics, quantization, compression, stores on disk and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import dask
import numcodecs
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from advisor.plan.errors import AdvisorError
from advisor.run import sample
from advisor.run.sample import SAMPLE_CHUNKS, era5_like, store_path, write_year
from advisor.store.publish import leftovers
from advisor.synth.fields import generate_block, grib_quantize
from advisor.synth.geography import land_fraction
from advisor.synth.grid import LATITUDE, LONGITUDE, VARIABLES, hours_since_epoch
from tests.conftest import assert_one_line_error, run_cli

JANUARY = hours_since_epoch(2019, 1)
JULY = hours_since_epoch(2019, 7)


@pytest.fixture(scope="module")
def january() -> dict[str, np.ndarray]:
    """Four January days of every variable."""
    return {v: generate_block(v, JANUARY, 96) for v in VARIABLES}


@pytest.fixture(scope="module")
def july() -> dict[str, np.ndarray]:
    """Five July days of every variable."""
    return {v: generate_block(v, JULY, 120) for v in VARIABLES}


def _box(lat: tuple[float, float], lon: tuple[float, float]) -> np.ndarray:
    return ((LATITUDE >= lat[0]) & (LATITUDE <= lat[1]))[:, None] & (
        (LONGITUDE >= lon[0]) & (LONGITUDE <= lon[1])
    )[None, :]


def _store_bytes(store: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()
    }


# ----------------------------------------------------------------------------- the dataset


def test_dataset_layout_coordinates_and_attributes() -> None:
    ds = era5_like(2019, hours=100, seed=3)
    assert dict(ds.sizes) == {"time": 100, "latitude": 121, "longitude": 161}
    assert list(ds.data_vars) == list(VARIABLES)
    np.testing.assert_array_equal(ds.latitude, np.arange(45.0, 14.9, -0.25))
    np.testing.assert_array_equal(ds.longitude, np.arange(100.0, 140.1, 0.25))
    assert ds.time[0].item() == np.datetime64("2019-01-01T00", "ns").astype(int)
    assert (np.diff(ds.time.values) == np.timedelta64(1, "h")).all()
    for name in VARIABLES:
        var = ds[name]
        assert var.dims == ("time", "latitude", "longitude")
        assert var.dtype == np.float32
        assert var.data.chunks == ((100,), (121,), (161,))  # the time chunk clipped to the length
        assert {"units", "long_name", "standard_name"} <= set(var.attrs)
    assert ds.cape.attrs["standard_name"] == (
        "atmosphere_convective_available_potential_energy_wrt_surface"
    )
    assert ds.blh.attrs["standard_name"] == "atmosphere_boundary_layer_thickness"
    assert [ds[v].attrs["units"] for v in VARIABLES] == ["J kg-1", "J kg-1", "K", "m"]
    assert ds.latitude.attrs == {
        "standard_name": "latitude", "long_name": "latitude", "units": "degrees_north", "axis": "Y"
    }  # fmt: skip
    assert ds.longitude.attrs["units"] == "degrees_east" and ds.longitude.attrs["axis"] == "X"
    assert ds.time.attrs["standard_name"] == "time" and ds.time.attrs["axis"] == "T"
    assert ds.attrs["source"] == "chunk-advisor synthetic ERA5-like sample"
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["seed"] == 3


@pytest.mark.parametrize(
    ("year", "hours", "last_chunk"),
    [
        (2019, 8760, 576),  # 11 chunks of 31 days, then 24 days
        (2020, 8784, 600),  # a leap year: one more day
        (1940, 8784, 600),  # the first ERA5 year is a leap year
        (2100, 8760, 576),  # divisible by 100, not by 400: no leap day
    ],
)
def test_a_whole_year_is_lazy_with_every_hour(year: int, hours: int, last_chunk: int) -> None:
    ds = era5_like(year)
    assert ds.sizes["time"] == hours
    assert ds.cape.data.chunks[0] == (744,) * 11 + (last_chunk,)
    assert ds.time[-1].values == np.datetime64(f"{year}-12-31T23", "ns")


def test_values_match_the_block_generator() -> None:
    ds = era5_like(2019, hours=5, seed=2)
    for name in VARIABLES:
        np.testing.assert_array_equal(ds[name].values, generate_block(name, JANUARY, 5, seed=2))


# ----------------------------------------------------------------------------- physics


def test_ranges(january: dict[str, np.ndarray], july: dict[str, np.ndarray]) -> None:
    for block in (january, july):
        assert block["cape"].min() == 0 and block["cape"].max() < 7000
        assert block["cin"].max() <= 0 and block["cin"].min() > -1000
        assert -20 <= block["k_index"].min() and block["k_index"].max() <= 45
        assert 50 <= block["blh"].min() and block["blh"].max() <= 4000
        for values in block.values():
            assert np.isfinite(values).all() and values.std() > 0
    # not stuck at one end of the ranges either
    assert july["cape"].max() > 3000 and july["cin"].min() < -200
    assert january["k_index"].min() < 0 < 30 < july["k_index"].max()
    assert july["blh"].max() > 1500


def test_cape_is_often_exactly_zero_and_peaks_in_summer_over_taiwan(
    january: dict[str, np.ndarray], july: dict[str, np.ndarray]
) -> None:
    assert 0.3 < (january["cape"] == 0).mean() < 0.95
    assert 0.05 < (july["cape"] == 0).mean() < 0.6
    taiwan = _box((22, 26), (120, 122)) & (land_fraction() > 0.5)
    assert taiwan.sum() >= 10
    summer = july["cape"][:, taiwan].mean()
    assert summer > 1000
    assert summer > 3 * january["cape"][:, taiwan].mean()
    # and summer CAPE is higher over land than over the sea at the same latitudes
    band = _box((22, 32), (100, 140))
    land = band & (land_fraction() > 0.9)
    sea = band & (land_fraction() < 0.1)
    afternoon = july["cape"][6::24]  # 06 UTC: early afternoon in local solar time
    assert afternoon[:, land].mean() > 1.2 * afternoon[:, sea].mean()


def test_the_diurnal_cycle_follows_local_solar_time(july: dict[str, np.ndarray]) -> None:
    land = land_fraction()
    daily = july["blh"].reshape(5, 24, *land.shape).mean(axis=0)  # mean day, by UTC hour
    peaks = {}
    for name, box in {
        "west": _box((24, 30), (101, 105)),
        "east": _box((35, 37.5), (127, 129)),
    }.items():
        points = box & (land > 0.9)
        utc_peak = daily[:, points].argmax(axis=0)
        solar_peak = (utc_peak + LONGITUDE[np.nonzero(points)[1]] / 15) % 24
        assert ((solar_peak >= 12) & (solar_peak <= 17)).all(), name  # the local afternoon
        peaks[name] = utc_peak.mean()
    assert peaks["west"] - peaks["east"] > 1  # 25 degrees further west: later in UTC
    # land has the stronger daily cycle (five days leave some weather in the mean day)
    for name, factor in (("blh", 10), ("cape", 2), ("cin", 10)):
        mean_day = july[name].reshape(5, 24, *land.shape).mean(axis=0)
        amplitude = mean_day.max(axis=0) - mean_day.min(axis=0)
        assert amplitude[land > 0.9].mean() > factor * amplitude[land < 0.1].mean(), name


def test_fields_are_smooth_in_space_and_continuous_in_time(
    january: dict[str, np.ndarray], july: dict[str, np.ndarray]
) -> None:
    rng = np.random.default_rng(0)
    for block in (january, july):
        for name, values in block.items():
            x = values.astype(np.float64)
            spread = x.max() - x.min()
            hourly = np.abs(np.diff(x, axis=0)).mean()
            assert np.abs(np.diff(x, axis=1)).mean() < 0.03 * spread, name
            assert np.abs(np.diff(x, axis=2)).mean() < 0.03 * spread, name
            assert hourly < 0.05 * spread, name
            # far from noise: random pairs of hours differ much more than neighbours
            shuffled = np.abs(x[rng.permutation(len(x))] - x).mean()
            assert shuffled > 3 * hourly, name


def test_blocks_join_without_seams() -> None:
    # the store's first chunk ends at hour 743; hour 744 starts the second
    ds = era5_like(2019, hours=760).isel(time=slice(736, 752)).compute()
    for name in VARIABLES:
        x = ds[name].values.astype(np.float64)
        steps = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2))
        across = steps[743 - 736]
        others = np.delete(steps, 743 - 736)
        assert across <= 2 * np.median(others) + 1e-6, name
        # and it is the very same function of the hour as one block over the boundary
        np.testing.assert_array_equal(x, generate_block(name, JANUARY + 736, 16))


def test_weather_systems_move_eastward(july: dict[str, np.ndarray]) -> None:
    # the K index anomaly from its 5-day mean lines up best with itself a few hours later
    # when shifted east, not west
    anomaly = july["k_index"] - july["k_index"].mean(axis=0)
    lag = 12
    east = np.mean(anomaly[lag:, :, 4:] * anomaly[:-lag, :, :-4])  # 1 degree in 12 h
    west = np.mean(anomaly[lag:, :, :-4] * anomaly[:-lag, :, 4:])
    assert east > west


# ----------------------------------------------------------------------------- quantization


def _lattice_exponent(field: np.ndarray) -> int:
    span = float(field.max()) - float(field.min())
    return int(np.ceil(np.log2(span / (2**16 - 1))))


def _assert_packed(values: np.ndarray) -> None:
    """Every field uses at most 16 bits: its values are ref + k * 2**E, E from its range."""
    for field in values:
        if field.max() == field.min():
            continue
        step = 2.0 ** _lattice_exponent(field)
        k = (field.astype(np.float64) - float(field.min())) / step
        np.testing.assert_array_equal(k, np.rint(k))
        assert k.max() <= 2**16 - 1


def test_values_are_quantized_like_grib_16_bit_packing(
    january: dict[str, np.ndarray], july: dict[str, np.ndarray]
) -> None:
    for block in (january, july):
        for values in block.values():
            _assert_packed(values)
            # many more distinct float32 values would be possible without packing
            assert len(np.unique(values[0])) < 2**16


@settings(max_examples=15, deadline=None)
@given(
    variable=st.sampled_from(VARIABLES),
    start=st.integers(hours_since_epoch(1940), hours_since_epoch(2100, 12)),
    seed=st.integers(0, 2**64 - 1),
)
def test_any_hour_and_seed_is_packed_and_in_range(variable: str, start: int, seed: int) -> None:
    values = generate_block(variable, start, 2, seed=seed)  # type: ignore[arg-type]
    _assert_packed(values)
    low, high = {"cape": (0, 6500), "cin": (-700, 0), "k_index": (-14, 40), "blh": (15, 6000)}[
        variable
    ]
    assert low <= values.min() and values.max() <= high  # the bounds of the transforms


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 3), st.integers(1, 40)),
        elements=st.floats(-1e4, 1e4, width=32, allow_subnormal=False),
    )
)
def test_grib_quantize_rounds_to_the_nearest_of_at_most_2_16_levels(x: np.ndarray) -> None:
    packed = grib_quantize(x.copy())
    for raw, field in zip(x, packed, strict=True):
        span = float(raw.max()) - float(raw.min())
        if span == 0:
            np.testing.assert_array_equal(field, raw)
            continue
        step = 2.0 ** max(np.ceil(np.log2(span / (2**16 - 1))), -120)  # E >= -120 (documented)
        k = field.astype(np.float64) / step
        assert (k == np.rint(k)).all()  # on the lattice (the reference is a multiple of 2**E)
        assert k.max() - k.min() <= 2**16  # 16 bits, plus the reference's rounding
        error = np.abs(field.astype(np.float64) - raw)
        assert (error <= step + np.spacing(np.abs(raw))).all()  # the nearest level
    np.testing.assert_array_equal(grib_quantize(packed.copy()), packed)  # idempotent


def test_zero_stays_zero_and_cin_never_turns_positive(july: dict[str, np.ndarray]) -> None:
    assert (july["cape"] == 0).any() and (july["cin"] == 0).any()
    assert not np.signbit(july["cin"][july["cin"] == 0]).any()  # +0.0, never -0.0


# ----------------------------------------------------------------------------- compression


def test_compression_is_realistic_and_shuffle_helps(
    january: dict[str, np.ndarray], july: dict[str, np.ndarray]
) -> None:
    shuffle = numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)
    noshuffle = numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.NOSHUFFLE)
    for block in (january, july):
        for name, values in block.items():
            ratio = values.nbytes / len(shuffle.encode(values))
            assert 1.5 <= ratio <= 12, (name, ratio)
            assert ratio > values.nbytes / len(noshuffle.encode(values)), name


# ----------------------------------------------------------------------------- stores on disk


def test_the_store_on_disk(sample_store: Path) -> None:
    from tests.conftest import SAMPLE_HOURS

    assert (sample_store / ".zmetadata").is_file()  # consolidated metadata
    group = zarr.open_consolidated(sample_store, mode="r")
    for name in VARIABLES:
        array = group[name]
        assert array.chunks == (min(SAMPLE_CHUNKS[0], SAMPLE_HOURS), 121, 161)
        (codec,) = array.compressors
        assert isinstance(codec, numcodecs.Blosc)
        assert (codec.cname, codec.clevel, codec.shuffle) == ("zstd", 3, numcodecs.Blosc.SHUFFLE)
        stored = sum(p.stat().st_size for p in (sample_store / name).iterdir())
        assert 1.5 <= array.nbytes / stored <= 12
    ds = xr.open_zarr(sample_store)
    assert ds.attrs["source"] == "chunk-advisor synthetic ERA5-like sample"
    assert ds.time.encoding["units"].startswith("hours since")
    expected = era5_like(2019, hours=SAMPLE_HOURS).isel(time=slice(100, 103))
    xr.testing.assert_identical(ds.isel(time=slice(100, 103)).compute(), expected.compute())


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_both_zarr_formats(tmp_path: Path, zarr_format: int) -> None:
    path = write_year(tmp_path, 2020, hours=30, zarr_format=zarr_format)  # type: ignore[arg-type]
    assert path == store_path(tmp_path, 2020)
    group = zarr.open_consolidated(path, mode="r", zarr_format=zarr_format)
    assert group.metadata.zarr_format == zarr_format
    cape = group["cape"]
    assert cape.chunks == (30, 121, 161)
    (codec,) = cape.compressors
    if zarr_format == 3:
        assert isinstance(codec, zarr.codecs.BloscCodec)
        assert (codec.cname.value, codec.clevel, codec.shuffle.value) == ("zstd", 3, "shuffle")
    else:
        assert isinstance(codec, numcodecs.Blosc)
    xr.testing.assert_identical(xr.open_zarr(path).compute(), era5_like(2020, hours=30).compute())


def test_same_seed_same_bytes_other_seed_other_weather(tmp_path: Path) -> None:
    a = write_year(tmp_path / "a", 2019, hours=24, seed=7)
    b = write_year(tmp_path / "b", 2019, hours=24, seed=7)
    assert _store_bytes(a) == _store_bytes(b)
    for name in VARIABLES:
        seven = generate_block(name, JULY, 3, seed=7)
        eight = generate_block(name, JULY, 3, seed=8)
        assert not np.array_equal(seven, eight), name


def test_overwrite_replaces_the_store_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = write_year(tmp_path, 2019, hours=24, seed=1)
    with pytest.raises(AdvisorError, match="already exists"):
        write_year(tmp_path, 2019, hours=24, seed=2)
    assert xr.open_zarr(path).attrs["seed"] == 1
    write_year(tmp_path, 2019, hours=24, seed=2, overwrite=True)
    assert xr.open_zarr(path).attrs["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["era5_2019.zarr"]


def test_a_failure_keeps_the_old_store_and_leaves_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_year(tmp_path, 2019, hours=48, seed=1)
    before = _store_bytes(path)
    seen: list[Path] = []

    def failing(variable: str, start_hour: int, n: int, *, seed: int = 0) -> np.ndarray:
        seen.extend(leftovers(path))  # the temporary store, beside the old one
        raise OSError("disk full")

    monkeypatch.setattr(sample, "generate_block", failing)
    # in this process's threads: workers of a distributed client in the session would not see the patch
    with (
        dask.config.set(scheduler="threads"),
        pytest.raises(AdvisorError, match=r"writing .*era5_2019.zarr failed \(disk full\)"),
    ):
        write_year(tmp_path, 2019, hours=48, seed=2, overwrite=True)
    assert seen  # the new store was being written beside the old one
    assert _store_bytes(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["era5_2019.zarr"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 1939}, "outside 1940-2100"),
        ({"year": 2101}, "outside 1940-2100"),
        ({"year": 2019, "hours": 0}, "between 1 and 8760"),
        ({"year": 2019, "hours": 8761}, "between 1 and 8760"),  # 2019 is not a leap year
        ({"year": 2019, "seed": -1}, "non-negative seed"),
        ({"year": 2019, "zarr_format": 4}, "use 2 or 3"),
    ],
)
def test_bad_requests_write_nothing(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        write_year(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_an_output_folder_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(AdvisorError, match="is a file, not a folder"):
        write_year(tmp_path / "file" / "out", 2019, hours=1)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(AdvisorError, match="not writable"):
            write_year(tmp_path / "out", 2019, hours=1)
    finally:
        tmp_path.chmod(0o700)


# ----------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    "years",
    [
        ["--years", "2019", "2020"],  # as the issue writes it
        ["--years", "2019,2020"],
        ["--years", "2019", "--years", "2020"],
    ],
)
def test_cli_writes_every_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], years: list[str]
) -> None:
    code, out, err = run_cli(
        ["sample-data", "--out", str(tmp_path), *years, "--hours", "24", "--zarr-format", "3"],
        capsys,
    )
    assert code == 0, err
    assert out.split() == [str(store_path(tmp_path, 2019)), str(store_path(tmp_path, 2020))]
    assert "2019, 2020" in err  # what it does, on stderr
    for year in (2019, 2020):
        ds = xr.open_zarr(store_path(tmp_path, year))
        assert ds.sizes["time"] == 24 and ds.time[0].dt.year == year


@pytest.mark.parametrize(
    "args",
    [
        ["--years", "1939"],  # before ERA5
        ["--years", "2019", "2101"],  # one bad year stops them all
        ["--years", "twenty"],
        ["--years", "2019", "--hours", "0"],
        ["--years", "2019", "--hours", "8761"],
        ["--years", "2019", "--zarr-format", "4"],
        ["--years", "2019", "--seed", "-3"],
        ["--hours", "3"],  # no years
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = run_cli(["sample-data", "--out", str(tmp_path / "out"), *args], capsys)
    assert_one_line_error(code, err)
    assert not (tmp_path / "out").exists()


def test_cli_leaves_an_existing_store_alone_without_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_year(tmp_path, 2020, hours=24)
    before = _store_bytes(path)
    mtime = path.stat().st_mtime_ns
    args = ["sample-data", "--out", str(tmp_path), "--hours", "24", "--seed", "5"]
    code, _, err = run_cli([*args, "--years", "2019", "2020"], capsys)
    assert_one_line_error(code, err)
    assert "--overwrite" in err
    assert _store_bytes(path) == before and path.stat().st_mtime_ns == mtime
    assert not store_path(tmp_path, 2019).exists()  # every year is checked before any is written
    code, _, err = run_cli([*args, "--years", "2020", "--overwrite"], capsys)
    assert code == 0, err
    assert xr.open_zarr(path).attrs["seed"] == 5


def test_cli_refuses_a_folder_under_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "out"
    code, _, err = run_cli(["sample-data", "--out", str(out), "--years", "2019"], capsys)
    assert_one_line_error(code, err)
    assert "not a folder" in err


@pytest.mark.slow
def test_cli_on_an_existing_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dask_processes: str
) -> None:
    args = ["sample-data", "--out", str(tmp_path), "--years", "2019", "--hours", "48"]
    code, _, err = run_cli([*args, "--scheduler", dask_processes], capsys)
    assert code == 0, err
    assert dask_processes in err
    xr.testing.assert_identical(
        xr.open_zarr(store_path(tmp_path, 2019)).compute(), era5_like(2019, hours=48).compute()
    )
