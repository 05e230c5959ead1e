"""``advisor recommend``: JSON and table output, real stores and catalogs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.conftest import assert_one_line_error, run_cli

SHAPE = ["--shape", "time=8760,latitude=121,longitude=161", "--dtype", "float32"]


def test_json_from_a_bare_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        [
            "recommend",
            *SHAPE,
            "--time-step",
            "1h",
            "--start",
            "2019-01-01",
            "--json",
            "-p",
            "point-series",
            "-p",
            "map@2",
            "-p",
            "ml-batch:time=32,latitude=16,longitude=16",
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)  # stdout holds the JSON object alone
    assert set(data["chunks"]) == {"time", "latitude", "longitude"}
    assert 10e6 <= data["chunk_bytes"] <= 100e6
    assert [p["name"] for p in data["patterns"]] == [
        "point-series",
        "map",
        "ml-batch:time=32,latitude=16,longitude=16",
    ]
    assert data["patterns"][1]["weight"] == 2
    for key in ("chunks_touched", "bytes_read", "amplification", "seconds"):
        assert all(p[key] > 0 for p in data["patterns"])
    labels = [a["label"] for a in data["alternatives"]]
    assert labels[:3] == ["dask auto", "zarr guess", "workflow"]
    assert data["binding_constraint"].startswith("the 10.0 MB floor")
    assert "ds.chunk(chunks)" in data["encoding"]["zarr3"]
    assert isinstance(data["notes"], list)


def test_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["recommend", *SHAPE, "-p", "resample", "-p", "map"], capsys)
    assert code == 0, err
    assert "recommended chunks" in out
    assert "binding constraint" in out
    assert "dask auto" in out and "zarr guess" in out and "best for map" in out
    assert "blockwise" in out
    assert "start time unknown" in out  # resample without --start: said so
    assert 'ds.to_zarr("out.zarr"' in out


def _store(path: Path) -> Path:
    times = pd.date_range("2019-01-01", periods=24 * 30, freq="h")
    ds = xr.Dataset(
        {"cape": (("time", "latitude", "longitude"), np.zeros((720, 30, 40), "f4"))},
        coords={"time": times},
    )
    ds.to_zarr(path, encoding={"cape": {"chunks": (24, 30, 40)}}, consolidated=True)
    return path


def test_a_zarr_store_and_its_current_chunks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(tmp_path / "small.zarr")
    code, out, err = run_cli(
        [
            "recommend",
            str(store),
            "-p",
            "map",
            "--min-size",
            "100kB",
            "--max-size",
            "1MB",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    current = data["alternatives"][0]
    assert current["label"] == "current"
    assert current["chunks"] == {"time": 24, "latitude": 30, "longitude": 40}
    assert data["variables"] == ["cape"]


def test_a_catalog_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _store(tmp_path / "tiny.zarr")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "metadata:\n  version: 1\nsources:\n"
        "  tiny:\n    description: a tiny store\n    driver: zarr\n"
        '    args: {urlpath: "{{ CATALOG_DIR }}/tiny.zarr", consolidated: true}\n'
        "  gone:\n    description: no data\n    driver: zarr\n"
        '    args: {urlpath: "{{ CATALOG_DIR }}/gone.zarr"}\n'
    )
    code, out, err = run_cli(
        ["recommend", "tiny", "--catalog", str(catalog), "-p", "point-series", "--json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["source"] == "tiny"
    code, out, err = run_cli(["recommend", "gone", "--catalog", str(catalog)], capsys)
    assert_one_line_error(code, err)
    assert "does not exist" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*SHAPE, "-p", "maps"], "unknown pattern 'maps'"),  # unknown pattern
        ([*SHAPE, "-p", "map:window=3"], "unknown parameter 'window' for map"),  # unknown parameter
        ([*SHAPE, "-p", "ml-batch:depth=3"], "no parameter or dimension 'depth'"),  # per-dim key
        (["--shape", "time=8760,latitude"], "malformed shape"),  # malformed shape
        (["--shape", "time=0,lat=3"], "at least 1"),  # zero size
        (["--shape", "time=-4"], "at least 1"),  # negative size
        ([*SHAPE[:2], "--dtype", "float33"], "unknown or non-numeric dtype"),  # malformed dtype
        ([*SHAPE, "--dims", "time=valid_time"], "not a dimension"),  # dim not in the dataset
        ([*SHAPE, "--min-size", "200MB"], "above max size"),  # min > max
        ([*SHAPE, "--max-size", "lots"], "cannot read size"),  # bad size
        ([*SHAPE, "--profile", "cloud"], "unknown storage profile"),  # unknown profile
        (["/no/such/store.zarr"], "no Zarr store or catalog entry"),  # missing path
        (
            ["no_such_entry"],
            "no Zarr store or catalog entry named 'no_such_entry'",
        ),  # missing entry
        ([], "either a SOURCE"),  # neither source nor shape
        (["x.zarr", *SHAPE], "either a SOURCE"),  # both
        ([*SHAPE, "--zarr-format", "4"], "use 2 or 3"),
        ([*SHAPE, "--time-step", "hourly"], "cannot read time step"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["recommend", *args], capsys)
    assert_one_line_error(code, err)
    assert message in err
    assert out == ""


def test_a_profile_from_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "measured.json"
    profile.write_text(json.dumps({"name": "measured", "latency": 0.2, "concurrency": 1}))
    code, out, err = run_cli(
        ["recommend", *SHAPE, "-p", "map", "--profile", str(profile), "--json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["profile"]["latency"] == 0.2
    profile.write_text(json.dumps({"latency": -1}))
    code, _, err = run_cli(["recommend", *SHAPE, "--profile", str(profile)], capsys)
    assert_one_line_error(code, err)


def test_bare_shape_never_imports_heavy_libraries() -> None:
    program = (
        "import sys\n"
        "from advisor.cli.main import main\n"
        "try:\n"
        "    main(['recommend', '--shape', 'time=8760,latitude=121,longitude=161',\n"
        "          '-p', 'point-series', '-p', 'map', '-p', 'ml-batch', '-p', 'resample', '--json'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "heavy = ['xarray', 'dask', 'zarr', 'pandas', 'distributed', 'numcodecs', 'matplotlib', 'flox']\n"
        "print([m for m in heavy if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout)["chunks"]
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_shards_and_what_the_band_hides(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADVISOR_PROFILE", "local")  # not the machine's own calibration
    code, out, err = run_cli(["recommend", *SHAPE, "-p", "ml-batch", "--shards", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert set(data["shards"]) == {"time", "latitude", "longitude"}
    assert all(data["shards"][d] % data["chunks"][d] == 0 for d in data["chunks"])
    assert data["encoding"]["zarr2"] is None and '"shards": tuple(' in data["encoding"]["zarr3"]
    assert data["profile_origin"] == "built-in local defaults"
    code, out, err = run_cli(["recommend", *SHAPE, "-p", "ml-batch", "--top", "2"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "beyond the band:" in text and "the band holds because" in text
    assert "top 2" in text and "top 3" in text
    assert "profile: built-in local defaults" in text
    code, out, err = run_cli(["recommend", *SHAPE, "--shards", "--zarr-format", "2"], capsys)
    assert_one_line_error(code, err)
    assert "zarr format 3" in err
    # a mix no layout in a small band serves: two copies, and the command that writes them
    small = ["--min-size", "50kB", "--max-size", "500kB"]
    code, out, err = run_cli(
        ["recommend", *SHAPE, "-p", "point-series@50", "-p", "map", *small], capsys
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert "two copies:" in text and "--out COPY1 --out COPY2" in text


def test_rechunking_cost_of_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(tmp_path / "small.zarr")
    code, out, err = run_cli(
        ["recommend", str(store), "-p", "point-series", "--min-size", "100kB", "--max-size", "1MB"],
        capsys,
    )
    assert code == 0, err
    assert "rechunking the current store: " in out and "chunk reads" in " ".join(out.split())


def test_json_shows_requests_and_their_costs(capsys: pytest.CaptureFixture[str]) -> None:
    import zarr

    args = ["recommend", *SHAPE, "-p", "map", "-p", "point-series", "--json"]
    code, out, err = run_cli([*args, "--profile", "object-store"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["zarr_reads"]["version"] == zarr.__version__
    assert all(p["requests"] >= 1 for p in data["patterns"])
    costs = data["request_costs"]
    assert costs["get_price_per_1000"] == 0.0004 and costs["put_price_per_1000"] == 0.005
    for priced, pattern in zip(costs["patterns"], data["patterns"], strict=True):
        assert priced["name"] == pattern["name"]
        assert priced["get_cost"] == pytest.approx(pattern["requests"] * 0.0004 / 1000)
    assert costs["objects"] == data["n_chunks"] and costs["puts"] == data["n_chunks"] + 2
    assert costs["put_cost"] == pytest.approx(costs["puts"] * 0.005 / 1000)
    # the overrides apply
    code, out, err = run_cli(
        [
            *args,
            "--profile",
            "object-store",
            "--price-per-1000-gets",
            "0.01",
            "--price-per-1000-puts",
            "0.1",
        ],
        capsys,
    )
    assert code == 0, err
    dearer = json.loads(out)["request_costs"]
    assert dearer["get_price_per_1000"] == 0.01 and dearer["put_price_per_1000"] == 0.1
    assert dearer["patterns"][0]["get_cost"] == pytest.approx(costs["patterns"][0]["get_cost"] * 25)
    assert dearer["put_cost"] == pytest.approx(costs["put_cost"] * 20)
    # a local disk: requests per access, no bill
    code, out, err = run_cli([*args, "--profile", "local"], capsys)
    assert code == 0, err
    local = json.loads(out)
    assert local["request_costs"] is None and local["patterns"][0]["requests"] >= 1


def test_table_shows_requests_and_costs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["recommend", *SHAPE, "-p", "map", "--profile", "object-store"], capsys
    )
    assert code == 0, err
    assert "requests per access" in out and "$ per 1M accesses" in out
    assert "writing the copy" in out and "PUTs" in out and "$0.005 per 1,000" in out
    assert "requests: counted for zarr" in out
    code, out, err = run_cli(["recommend", *SHAPE, "-p", "map"], capsys)
    assert code == 0, err
    assert "requests per access" in out and "$ per 1M" not in out and "writing the copy" not in out


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--price-per-1000-gets", "-1"),
        ("--price-per-1000-gets", "cheap"),
        ("--price-per-1000-puts", "nan"),
        ("--price-per-1000-puts", "-0.5"),
    ],
)
def test_a_bad_price_is_one_line(capsys: pytest.CaptureFixture[str], option, value) -> None:
    code, _, err = run_cli(
        ["recommend", *SHAPE, "-p", "map", "--profile", "object-store", option, value], capsys
    )
    assert_one_line_error(code, err)
    assert option in err
