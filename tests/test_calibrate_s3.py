"""Calibration on an object store: moto's S3 server on 127.0.0.1 with injected latency, the
store probe's arithmetic on synthetic timings, and the profile's new fields in JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor.plan.profile import StorageProfile
from advisor.plan.store_probe import LEVELS, MIN_GAIN, choose_concurrency
from advisor.store.profiles import default_profile_path, load_profile, resolve_profile
from tests.conftest import run_cli

INJECTED = 0.02
"""Seconds the server sleeps before each request."""

SERVER_SLACK = 0.03
"""Seconds moto itself may add to a small GET on a loaded 2-core machine (about 5 quiet)."""


@pytest.fixture(autouse=True)
def _own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty config folder and no ADVISOR_PROFILE or ADVISOR_SCHEDULER."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ADVISOR_PROFILE", raising=False)
    monkeypatch.delenv("ADVISOR_SCHEDULER", raising=False)


def _host(s3) -> str:
    return s3.endpoint.removeprefix("http://")


@pytest.mark.slow
def test_calibrate_on_s3_measures_the_injected_latency(
    s3, capsys: pytest.CaptureFixture[str]
) -> None:
    import s3fs
    import zarr

    s3.latency = INJECTED
    store = f"{s3.bucket}/calib"
    # no --scheduler: a LocalCluster whose workers inherit the AWS variables the fixture set
    args = ["calibrate", "--store", store, "--hours", "24", "--repeats", "1", "--codec", "zstd:3"]
    # (the default codec, which the layouts use, is measured beside the one asked for)
    # In a process of its own, as users run it: the server's thread then competes with
    # nothing of the client's for this process's interpreter lock.
    done = subprocess.run(
        [sys.executable, "-m", "advisor", *args, "--json"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    profile, probe = data["profile"], data["probe"]
    # the injected wait and the server's own time per request (a few ms, more on a loaded
    # machine): never less than the wait; how closely it follows the wait is the next test's
    assert INJECTED <= profile["latency"] < INJECTED + SERVER_SLACK, probe
    assert profile["latency"] == probe["latency"]
    assert profile["backend"] == "s3" and profile["endpoint"] == _host(s3)
    assert profile["zarr_version"] == zarr.__version__
    # the concurrency that still helps, at most what zarr puts in flight per array operation
    assert probe["concurrency"] in LEVELS
    assert profile["concurrency"] == min(probe["concurrency"], zarr.config.get("async.concurrency"))
    assert 0 < probe["stream_bandwidth"] and 0 < profile["bandwidth"] == probe["bandwidth"]
    # timed up to the first level that no longer helps
    timed = sorted(int(c) for c in probe["throughput"])
    assert timed == list(LEVELS[: len(timed)]) and probe["concurrency"] in timed
    assert probe["whole_get"] >= 0.8 * probe["latency"]  # an unranged GET: at least one round trip
    assert {t["layout"] for t in data["timings"]} == {"months", "steps", "series"}
    assert [c["codec"] for c in profile["codec_speeds"]] == ["blosc:zstd:3:shuffle", "zstd:3"]
    assert s3.counts["GET"] > 0 and s3.counts["PUT"] > 0
    fs = s3fs.S3FileSystem(**s3.storage_options())
    assert fs.find(store) == []  # the calibration's objects are gone
    # the saved profile says where it was measured, and recommend says so too
    saved = load_profile(str(default_profile_path()))
    assert (saved.backend, saved.endpoint, saved.zarr_version) == (
        "s3",
        _host(s3),
        zarr.__version__,
    )
    where = f"s3 at {_host(s3)}, zarr {zarr.__version__}"
    assert resolve_profile(str(default_profile_path()))[1].endswith(f"(measured on {where})")
    shape = ["--shape", "time=8760,latitude=121,longitude=161"]
    code, out, err = run_cli(["recommend", *shape, "-p", "map"], capsys)
    assert code == 0, err
    assert f"measuredon{where.replace(' ', '')}" in "".join(out.split())


@pytest.mark.slow
def test_the_probe_follows_the_server_s_latency(s3) -> None:
    from advisor.run.probe_store import probe_store

    # the server's own time per request, then with 50 ms more: the probe sees the 50 ms
    base, _ = probe_store(f"{s3.bucket}/base", large_bytes=2**20, levels=(1,))
    s3.latency = 0.05
    s3.reset()
    probe, host = probe_store(f"{s3.bucket}/probe", large_bytes=4 * 2**20)
    assert host == _host(s3)
    assert probe.latency - base.latency == pytest.approx(0.05, abs=0.015), (base, probe)
    assert probe.seconds < 15
    timed = [c for c in LEVELS if c in probe.throughput]
    assert probe.concurrency in timed and timed[0] == 1
    assert s3.counts["GET"] >= 20 + sum(max(16, 2 * c) for c in timed)


def _saturating(latency: float, capacity: float) -> dict[int, float]:
    """Requests per second of a store whose requests wait ``latency`` and that serves at most
    ``capacity`` requests per second, at each level of requests in flight."""
    return {c: min(c / latency, capacity) for c in LEVELS}


@given(latency=st.floats(1e-3, 0.2), capacity=st.floats(1.0, 1e5))
def test_the_concurrency_chosen_is_the_knee_of_the_throughput(
    latency: float, capacity: float
) -> None:
    throughput = _saturating(latency, capacity)
    chosen = choose_concurrency(throughput)
    knee = latency * capacity  # requests in flight at which the store saturates
    assert chosen in LEVELS
    if chosen > 1:  # the step up to it still gained more than MIN_GAIN
        assert throughput[chosen] > throughput[chosen // 2] * (1 + MIN_GAIN)
        assert chosen // 2 < knee
    if chosen < max(LEVELS):  # the next doubling did not
        assert throughput[2 * chosen] <= throughput[chosen] * (1 + MIN_GAIN)
        assert chosen >= knee / (1 + MIN_GAIN) - 1e-9


def test_the_concurrency_choice_on_measured_shapes() -> None:
    # a client pool of 10: 8 in flight still doubles, 16 no longer helps
    assert choose_concurrency({1: 45, 2: 90, 4: 178, 8: 350, 16: 410, 32: 420}) == 8
    # noise that dips does not let a later level count
    assert choose_concurrency({1: 45, 2: 80, 4: 70, 8: 400}) == 2
    # a store that scales on: the top level
    assert choose_concurrency(_saturating(0.02, 1e6)) == max(LEVELS)
    # no gain at all: one at a time
    assert choose_concurrency(_saturating(0.02, 40)) == 1
    with pytest.raises(ValueError, match="no levels"):
        choose_concurrency({})


def test_profile_json_round_trips_the_store_fields(tmp_path: Path) -> None:
    profile = StorageProfile(
        name="calibrated",
        latency=0.021,
        concurrency=8,
        backend="s3",
        endpoint="127.0.0.1:9000",
        zarr_version="3.1.6",
    )
    assert StorageProfile.from_json(profile.to_json()) == profile
    assert json.loads(profile.to_json())["endpoint"] == "127.0.0.1:9000"
    assert list(json.loads(profile.to_json()))[-3:] == ["backend", "endpoint", "zarr_version"]
    path = tmp_path / "profile.json"
    path.write_text(profile.to_json())
    assert resolve_profile(str(path)) == (
        profile,
        f"{path.resolve()} (measured on s3 at 127.0.0.1:9000, zarr 3.1.6)",
    )


def test_an_old_profile_without_the_store_fields_loads(tmp_path: Path) -> None:
    old = dataclasses.asdict(StorageProfile(name="calibrated", latency=0.03, calibrated="then"))
    for name in ("backend", "endpoint", "zarr_version"):
        del old[name]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    profile = load_profile(str(path))
    assert profile.latency == 0.03 and profile.calibrated == "then"
    assert (profile.backend, profile.endpoint, profile.zarr_version) == ("", "", "")
    assert resolve_profile(str(path))[1] == str(path.resolve())  # nothing to say about where
    assert StorageProfile.preset("object-store").measured_on() == ""
