"""``advisor codecs``: a tiny store of float64, NaN-holding float32 and uint8 variables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from advisor.plan.codecs import CodecSpec
from advisor.store.codec_roundtrip import round_trip
from tests.conftest import assert_one_line_error, run_cli


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """96 hours x 24 x 32: hgt-like float64, sst (float32, NaN over land), a uint8 mask."""
    rng = np.random.default_rng(3)
    t, y, x = np.meshgrid(
        np.arange(96), np.linspace(0, 4, 24), np.linspace(0, 4, 32), indexing="ij"
    )
    hgt = 5500 + 50 * np.sin(y + t / 24) * np.cos(x) + rng.normal(0, 0.5, t.shape)
    sst = (290 + 5 * np.cos(y) + 0.1 * np.sin(t / 12)).astype(np.float32)
    land = (x < 1.0) & (y > 2.0)
    sst[:, land[0]] = np.nan
    mask = np.broadcast_to(land.astype(np.uint8), t.shape).copy()
    ds = xr.Dataset(
        {
            "hgt": (("time", "latitude", "longitude"), hgt),
            "sst": (("time", "latitude", "longitude"), sst),
            "mask": (("time", "latitude", "longitude"), mask),
        },
        coords={
            "time": pd.date_range("2019-01-01", periods=96, freq="h"),
            "latitude": np.linspace(45, 39, 24),
            "longitude": np.linspace(100, 108, 32),
        },
    )
    path = tmp_path_factory.mktemp("codecs") / "tiny.zarr"
    ds.to_zarr(path, zarr_format=3)
    return path


def _advice(store: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run_cli(
        ["codecs", str(store), "--seconds", "2", "--chunks", "3", "--json", *extra], capsys
    )
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="session")
def lossless_pick(tiny_store: Path) -> dict:
    from advisor.api.codecs import codecs

    return codecs(tiny_store, seconds=2, count=3).to_dict()


def _values(store: Path, name: str) -> np.ndarray:
    return xr.open_zarr(store, consolidated=False)[name].values


def test_lossless_picks_round_trip_bit_for_bit(tiny_store: Path, lossless_pick: dict) -> None:
    assert set(lossless_pick["variables"]) == {"hgt", "sst", "mask"}
    for name, v in lossless_pick["variables"].items():
        spec = CodecSpec.parse(v["pick"])  # a string --codec accepts
        assert spec.keepbits is None and v["lossy"] is None
        data = _values(tiny_store, name)
        assert np.array_equal(round_trip(data, spec).decoded, data, equal_nan=True)
        assert v["pick"] in {c["codec"] for c in v["candidates"]}
        assert v["ratio"] > 1 and v["decode_mb_s"] > 0 and v["encode_mb_s"] > 0
        best = min(c["objective_seconds"] for c in v["candidates"] if c["chunks"] == 3)
        assert v["objective_seconds"] == pytest.approx(best)
    assert lossless_pick["variables"]["mask"]["kind"] == "flag"
    assert lossless_pick["sample"]["chunks_per_variable"] == 3


def test_information_lossy_meets_its_bound_and_never_rounds_integers(
    tiny_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    advice = _advice(tiny_store, capsys, "--lossy", "information:0.99", "-v", "hgt", "-v", "mask")
    hgt, mask = advice["variables"]["hgt"], advice["variables"]["mask"]
    assert mask["lossy"] is None and mask["lossy_decision"] == "not-rounded"
    assert 0 <= hgt["keepbits"] < 52  # float64 hgt with noise of 0.5 m: far fewer bits
    # hgt's noise of 0.5 m makes its low bits worthless: the pick is lossy, verified on the sample
    check = hgt["lossy"]
    assert hgt["lossy_decision"] == "lossy" and check["keepbits"] == hgt["keepbits"]
    assert check["ok"] and check["nan_same"] and check["signs_kept"] and check["no_new_inf"]
    assert 0 < check["max_abs_error"] <= check["bound"] * 6000  # relative bound times |hgt|
    spec = CodecSpec.parse(hgt["pick"])
    data = _values(tiny_store, "hgt")
    decoded = round_trip(data, spec).decoded
    rel = np.abs(decoded - data) / np.abs(data)
    assert rel.max() <= 2.0 ** -(spec.keepbits + 1)  # BitRound's bound, on all the data
    assert any("+" in c["codec"] for c in hgt["candidates"])


def test_lossy_none_never_loses_a_bit_even_with_nans(tiny_store: Path) -> None:
    data = _values(tiny_store, "sst")
    assert np.isnan(data).any()
    for text in ("blosc:zstd:3:shuffle", "blosc:lz4:5:bitshuffle", "zstd:3", "gzip:1"):
        for fmt in (2, 3):
            decoded = round_trip(data, CodecSpec.parse(text), fmt).decoded
            assert np.array_equal(decoded.view(np.uint32), data.view(np.uint32))  # every bit


def test_the_table_marks_the_pick(tiny_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["codecs", str(tiny_store), "-v", "sst", "--seconds", "1", "--chunks", "2"], capsys
    )
    assert code == 0, err
    assert "pick:" in out and "budget 1 s" in out and "sst" in out


@pytest.mark.parametrize(
    "extra",
    [
        ["--lossy", "everything"],  # not a lossy mode
        ["--lossy", "information:2"],  # level out of range
        ["--variable", "nope"],  # no such variable
        ["--seconds", "0"],  # no budget
        ["--zarr-format", "4"],
    ],
)
def test_bad_input_is_one_line(
    tiny_store: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    code, _, err = run_cli(["codecs", str(tiny_store), *extra], capsys)
    assert_one_line_error(code, err)


def test_a_missing_source_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["codecs", str(tmp_path / "nowhere.zarr")], capsys)
    assert_one_line_error(code, err)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_the_header_guard_reads_the_shuffle_and_typesize_back(
    tmp_path: Path, zarr_format: int
) -> None:
    from advisor.errors import AdvisorError
    from advisor.store.chunk_headers import check_blosc_headers
    from advisor.store.encoding import encoding_for

    ds = xr.Dataset({"a": (("t", "x"), np.arange(4000, dtype="f4").reshape(40, 100))})
    asked = CodecSpec.parse("blosc:lz4:5:bitshuffle")
    enc = encoding_for(["a"], (10, 100), asked, zarr_format, 4)  # type: ignore[arg-type]
    ds.to_zarr(tmp_path / "s.zarr", encoding=enc, zarr_format=zarr_format, consolidated=False)
    assert check_blosc_headers(tmp_path / "s.zarr", ["a"], asked) == 3
    with pytest.raises(AdvisorError, match="stored with bitshuffle, typesize 4"):
        check_blosc_headers(tmp_path / "s.zarr", ["a"], CodecSpec.parse("blosc:lz4:5:shuffle"))
    assert check_blosc_headers(tmp_path / "s.zarr", ["a"], CodecSpec.parse("zstd:3")) == 0
