"""``--lossy source`` (a packing lattice found and kept), smaller dtypes, the sample's reads, and
the exhaustive run's comparison: tiny stores of GRIB-packed, random, float64 and int64 data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from advisor.plan.codecs import CodecSpec
from advisor.plan.packing import detect, field_step
from advisor.store.codec_roundtrip import round_trip
from advisor.store.sample_reads import read_boxes, read_mode
from advisor.synth.fields import grib_quantize
from tests.conftest import run_cli

DIMS = ("time", "latitude", "longitude")


def _smooth(n: int = 96, base: float = 250.0) -> np.ndarray:
    t, y, x = np.meshgrid(np.arange(n), np.linspace(0, 4, 24), np.linspace(0, 4, 32), indexing="ij")
    # the range changes with time, so GRIB's binary step does too: one lattice per time step
    wave = (20 + 15 * np.sin(t / 10)) * (1 + np.sin(y + t / 24) * np.cos(x))
    return (base + wave).astype(np.float32)


def _store(path: Path, **variables: np.ndarray) -> Path:
    n = next(iter(variables.values())).shape[0]
    ds = xr.Dataset(
        {name: (DIMS, v) for name, v in variables.items()},
        coords={
            "time": pd.date_range("2019-01-01", periods=n, freq="h"),
            "latitude": np.linspace(45, 39, 24),
            "longitude": np.linspace(100, 108, 32),
        },
    )
    ds.to_zarr(path, zarr_format=3)
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("source")
    rng = np.random.default_rng(5)
    packed = grib_quantize(_smooth(base=0.0))  # cape-like: from zero, the lattice drops bits
    noise = (250 + 30 * rng.random(packed.shape)).astype(np.float32)
    noise += rng.random(packed.shape).astype(np.float32) * 1e-3  # every float bit used
    was32 = _smooth().astype(np.float64)  # float64 values that were float32: hgt-like files
    counts = rng.integers(0, 100, packed.shape).astype(np.int64)
    return {
        "mixed": _store(root / "mixed.zarr", packed=packed, noise=noise),
        "wide": _store(root / "wide.zarr", was32=was32, counts=counts),
    }


def _advice(store: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run_cli(
        ["codecs", str(store), "--seconds", "1", "--chunks", "3", "--json", *extra], capsys
    )
    assert code == 0, err
    return json.loads(out)


def test_source_finds_the_packing_and_keeps_it_exactly(
    stores: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    advice = _advice(stores["mixed"], capsys, "--lossy", "source")
    packed, noise = advice["variables"]["packed"], advice["variables"]["noise"]
    found = packed["packing"]
    assert found["per"] == "time-step" and found["binary"]  # GRIB's binary step per field
    assert found["step_min"] < found["step_max"] and found["levels"] < 2**16
    assert found["offset"] == 0.0  # the reference is a multiple of the step
    assert "packed per time step" in found["text"]
    assert 0 < packed["keepbits"] <= 17  # 16-bit packing from zero: 15 or 16 bits and a margin
    # the lattice is kept only where it pays: on data this small reads, not bytes, cost most
    # GRIB-decoded values already sit on the lattice: BitRound there changes no bit
    assert packed["lossy_decision"] == "on-lattice"
    lattice = [c for c in packed["candidates"] if c["codec"].startswith("bitround:")]
    best = max(lattice, key=lambda c: c["ratio"])
    spec = CodecSpec.parse(best["codec"])
    assert spec.keepbits == packed["keepbits"]
    data = xr.open_zarr(stores["mixed"]).packed.values
    decoded = round_trip(data, spec).decoded  # all the data, not only the sample: every bit
    assert np.array_equal(decoded.view(np.uint32), data.view(np.uint32))
    if packed["lossy_decision"] == "source-lattice":
        assert packed["lossy"]["max_abs_error"] == 0.0 and packed["lossy"]["ok"]
    # random floats use every bit: not packed, never rounded
    assert noise["packing"] is None and noise["lossy_decision"] == "not-packed"
    assert noise["lossy"] is None and CodecSpec.parse(noise["pick"]).keepbits is None


def test_smaller_dtypes_are_proposed_only_when_exact(
    stores: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    advice = _advice(stores["wide"], capsys)
    was32, counts = advice["variables"]["was32"], advice["variables"]["counts"]
    assert was32["dtype"]["source"] == "float64" and was32["dtype"]["dtype"] == "float32"
    assert was32["dtype"]["ratio"] > was32["ratio"]  # half the bytes before the codec
    assert counts["dtype"]["dtype"] == "uint8" and counts["kind"] == "integer"
    assert counts["lossy"] is None
    # a float64 of full precision does not fit float32: nothing proposed
    mixed = _advice(stores["mixed"], capsys, "-v", "noise")["variables"]["noise"]
    assert mixed["dtype"] is None


def test_packing_detection_on_known_lattices() -> None:
    rng = np.random.default_rng(0)
    decimal = (np.round(rng.normal(280, 3, (4, 500)) * 100) / 100).astype(np.float64)
    one = detect(list(decimal), 52)  # a decimal step of 0.01 on one lattice for all
    assert one is not None and one.per == "variable" and not one.binary
    assert one.step_min == pytest.approx(0.01)
    assert field_step(np.array([1.0, 1.0, 1.0])) is None  # constant: no lattice to tell
    spread = rng.normal(0, 1, (3, 400))  # float64 noise: far more than 2**16 levels
    assert detect(list(spread), 52) is None


def test_read_boxes_reads_what_isel_reads(tmp_path: Path) -> None:
    data = np.arange(60 * 10 * 12, dtype=np.float32).reshape(60, 10, 12)
    ds = xr.Dataset({"v": (("t", "y", "x"), data)})
    ds.to_zarr(tmp_path / "s.zarr", encoding={"v": {"chunks": (25, 10, 12)}}, zarr_format=3)
    da = xr.open_zarr(tmp_path / "s.zarr", chunks=None).v
    boxes = [
        (slice(0, 30), slice(0, 5), slice(6, 12)),
        (slice(20, 50), slice(5, 10), slice(0, 6)),
        (slice(55, 60), slice(0, 10), slice(0, 12)),
    ]
    assert read_mode(boxes, (25, 10, 12)) == "by-stored-chunk"  # the first two share a chunk
    for box, got in zip(boxes, read_boxes(da, boxes), strict=True):
        np.testing.assert_array_equal(got, data[box])
    assert read_mode(boxes, (1, 1, 1)) == "by-box"  # thousands of tiny stored chunks


def test_the_exhaustive_run_compares_the_budgeted_pick_on_one_measurement(
    stores: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    advice = _advice(stores["mixed"], capsys, "-v", "packed", "--exhaustive")
    v = advice["variables"]["packed"]
    audit = v["exhaustive"]
    assert all(c["chunks"] == 3 for c in v["candidates"])  # the whole grid on every chunk
    best = min(v["candidates"], key=lambda c: c["objective_seconds"])
    assert audit["best"] == best["codec"] == v["pick"]
    assert audit["best_objective"] == pytest.approx(best["objective_seconds"])
    budgeted = next(c for c in v["candidates"] if c["codec"] == audit["budgeted"])
    assert audit["budgeted_objective"] == pytest.approx(budgeted["objective_seconds"])
    assert audit["gap"] >= 0.0
