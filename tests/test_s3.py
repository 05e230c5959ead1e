"""Every command on s3:// against a real S3 API on 127.0.0.1 (moto's server, :mod:`benchmarks.s3server`).

The AWS variables point at the loopback server (the ``s3`` fixture); no test reaches any other
address. Sources are written to the bucket by ``advisor sample-data --out s3://...`` itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.conftest import assert_one_line_error, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.objectstore]

REPO = Path(__file__).resolve().parent.parent
HOURS = 48


def _s3fs():
    import s3fs

    return s3fs.S3FileSystem()


def _sample_on_s3(s3, capsys, *, hours: int = HOURS, zarr_format: int = 2) -> str:
    """``advisor sample-data --out s3://bucket/in``: the 2019 sample on the server; its URL."""
    code, out, err = run_cli(
        [
            "sample-data",
            "--out",
            f"{s3.bucket}/in",
            "--years",
            "2019",
            "--hours",
            str(hours),
            "--zarr-format",
            str(zarr_format),
        ],
        capsys,
    )
    assert code == 0, err
    assert out.strip() == f"{s3.bucket}/in/era5_2019.zarr"
    return out.strip()


def test_sample_data_writes_to_s3_and_never_a_local_folder(
    s3, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = _sample_on_s3(s3, capsys)
    assert os.listdir(tmp_path) == []  # no folder named s3:
    ds = xr.open_zarr(url)
    assert dict(ds.sizes) == {"time": HOURS, "latitude": 121, "longitude": 161}
    names = _s3fs().ls(url[5:].rsplit("/", 1)[0], detail=False)
    assert [n.rsplit("/", 1)[1] for n in names] == ["era5_2019.zarr"]  # the marker is gone
    code, _, err = run_cli(
        ["sample-data", "--out", f"{s3.bucket}/in", "--years", "2019", "--hours", "3"], capsys
    )
    assert_one_line_error(code, err)
    assert "already exists" in err


def test_recommend_reads_only_metadata_from_s3(s3, capsys) -> None:
    url = _sample_on_s3(s3, capsys)
    s3.reset()
    code, out, err = run_cli(["recommend", url, "--pattern", "map", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["shape"] == [HOURS, 121, 161]
    # the consolidated metadata and the three coordinates (s3fs sends a HEAD before each GET),
    # never a chunk of a data variable
    assert s3.requests <= 20, s3.log
    assert not [p for _, p in s3.log if any(f"/{v}/" in p for v in ("cape", "cin", "blh"))]


def test_apply_from_s3_to_s3_verifies_and_publishes(s3, capsys) -> None:
    url = _sample_on_s3(s3, capsys)
    out = f"{s3.bucket}/out/maps.zarr"
    code, stdout, err = run_cli(
        ["apply", url, "--out", out, "--pattern", "map", "--zarr-format", "3", "--json"], capsys
    )
    assert code == 0, err
    result = json.loads(stdout)["result"]
    assert result["out"] == out and len(result["checksums"]) == 4
    assert result["stored_bytes"] > 0
    src, copy = xr.open_zarr(url), xr.open_zarr(out)
    np.testing.assert_array_equal(copy.cape.values, src.cape.values)
    assert copy.cape.encoding["chunks"][1:] == (121, 161)  # maps: whole maps per chunk
    assert not _s3fs().exists(out[5:] + ".advisor-writing")
    # a second run is refused; --overwrite replaces it
    code, _, err = run_cli(["apply", url, "--out", out, "--chunks", "time=8"], capsys)
    assert_one_line_error(code, err)
    assert "already exists" in err and "--overwrite" in err
    code, _, err = run_cli(
        ["apply", url, "--out", out, "--chunks", "time=8", "--overwrite", "--json"], capsys
    )
    assert code == 0, err
    assert xr.open_zarr(out).cape.encoding["chunks"][0] == 8


def test_sigkill_mid_apply_to_s3_leaves_no_dataset_and_the_next_run_cleans_up(
    s3, tmp_path: Path, capsys
) -> None:
    import psutil

    url = _sample_on_s3(s3, capsys)
    out = f"{s3.bucket}/out/killed.zarr"
    fs = _s3fs()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    s3.latency = 0.005  # many small PUTs: the kill lands mid-write
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "advisor",
            "apply",
            url,
            "--out",
            out,
            "--chunks",
            "time=2,latitude=40,longitude=40",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            fs.invalidate_cache()
            if len(fs.find(out[5:])) > 50:  # chunks are being written
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        family = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        psutil.wait_procs([psutil.Process(p) for p in family if psutil.pid_exists(p)], timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    s3.latency = 0.0
    fs.invalidate_cache()
    assert fs.find(out[5:])  # objects were written ...
    with pytest.raises(Exception, match=r"not found|No group|GroupNotFound"):
        xr.open_zarr(out)  # ... but nothing opens as a dataset
    assert fs.exists(out[5:] + ".advisor-writing")
    # the next run finds the orphans, removes them and writes the copy
    code, _stdout, err = run_cli(
        ["apply", url, "--out", out, "--chunks", "time=24", "--json"], capsys
    )
    assert code == 0, err
    copy = xr.open_zarr(out)
    assert copy.cape.encoding["chunks"][0] == 24
    fs.invalidate_cache()
    keys = {p.rsplit("/", 1)[1] for p in fs.find(out[5:] + "/cape")}
    assert "0.0.0" in keys and "0.1.0" not in keys  # only the new layout's chunks


def test_validate_on_s3_measures_the_read_patterns(s3, capsys) -> None:
    url = _sample_on_s3(s3, capsys)
    s3.latency = 0.005
    code, out, err = run_cli(
        [
            "validate",
            url,
            "--pattern",
            "point-series",
            "--pattern",
            "map",
            "--top",
            "1",
            "--spread",
            "1",
            "--repeats",
            "2",
            "--workdir",
            f"{s3.bucket}/validate",
            "--min-size",
            "100KB",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    result = json.loads(out)
    assert len(result["layouts"]) >= 3
    measured = [v for entry in result["layouts"] for v in entry["measured"].values()]
    assert measured and all(v > 0.005 for v in measured)  # each read paid a GET's latency
    assert all(p["vs_best"] >= 1.0 for p in result["pick"].values())
    assert _s3fs().ls(f"{s3.bucket[5:]}/validate", detail=False)  # the copies are on S3


def test_a_catalog_entry_on_s3_is_read_and_a_missing_sample_is_made_there(
    s3, tmp_path: Path, capsys
) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "sources:\n"
        "  era5_2019:\n"
        "    driver: zarr\n"
        f"    metadata: {{sample: {{year: 2019, seed: 0, hours: {HOURS}}}}}\n"
        f'    args: {{urlpath: "{s3.bucket}/cat/era5_2019.zarr", consolidated: true}}\n'
    )
    code, out, err = run_cli(
        ["recommend", "era5_2019", "--catalog", str(catalog), "--pattern", "map", "--json"], capsys
    )
    assert code == 0, err
    assert "generating the ERA5-like sample" in err
    assert json.loads(out)["shape"] == [HOURS, 121, 161]
    assert xr.open_zarr(f"{s3.bucket}/cat/era5_2019.zarr").sizes["time"] == HOURS
    assert sorted(os.listdir(tmp_path)) == ["catalog.yaml"]


def test_apply_commits_one_icechunk_snapshot(s3, capsys) -> None:
    import icechunk

    from advisor.store.icechunk_repo import storage
    from advisor.store.locations import location

    url = _sample_on_s3(s3, capsys)
    out = f"{s3.bucket}/repo"
    code, stdout, err = run_cli(
        ["apply", url, "--out", out, "--icechunk", "--chunks", "time=24", "--json"], capsys
    )
    assert code == 0, err
    result = json.loads(stdout)["result"]
    repo = icechunk.Repository.open(storage(location(out, "--out")))
    assert next(s.id for s in repo.ancestry(branch="main")) == result["snapshot"]
    copy = xr.open_zarr(repo.readonly_session("main").store, consolidated=False)
    np.testing.assert_array_equal(copy.cape.values, xr.open_zarr(url).cape.values)
    assert copy.cape.encoding["chunks"] == (24, 121, 161)
    # a second apply is refused without --overwrite; with it, one more snapshot
    code, _, err = run_cli(["apply", url, "--out", out, "--icechunk", "--chunks", "time=8"], capsys)
    assert_one_line_error(code, err)
    assert "already holds a dataset" in err
    code, _, err = run_cli(
        ["apply", url, "--out", out, "--icechunk", "--chunks", "time=8", "--overwrite"], capsys
    )
    assert code == 0, err
    assert len(list(repo.ancestry(branch="main"))) == 3  # the repository's first commit + 2
    copy = xr.open_zarr(repo.readonly_session("main").store, consolidated=False)
    assert copy.cape.encoding["chunks"] == (8, 121, 161)
