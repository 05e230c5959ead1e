"""Calibration: the fit against known constants, a real calibration on a temp store, profiles
that round-trip, and which profile the commands use."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.api.recommend import recommend
from advisor.plan.cost.scores import TERMS, rates, score
from advisor.plan.errors import AdvisorError
from advisor.plan.fit import fit_profile, fit_rates, profile_from_rates
from advisor.plan.profile import BUILT_IN, CodecSpeed, StorageProfile
from advisor.plan.schema import Schema
from advisor.store.profiles import (
    default_profile_path,
    find_profile,
    load_profile,
    resolve_profile,
    save_profile,
)
from tests.conftest import assert_one_line_error, run_cli

MONTH = Schema(
    ("time", "latitude", "longitude"),
    (744, 121, 161),
    4,
    time_step=3600.0,
    time_start="2019-01-01T00:00:00",
)
READS = [
    ((744, 121, 161), "map"),
    ((24, 121, 161), "map"),
    ((744, 16, 16), "point-series"),
    ((24, 121, 161), "point-series"),
    ((4, 121, 161), "point-series"),
    ((744, 4, 4), "map"),
]
SCANS = [
    ((744, 121, 161), "full-scan"),
    ((24, 121, 161), "full-scan"),
    ((4, 121, 161), "resample"),
    ((744, 121, 161), "resample"),
    ((744, 16, 16), "full-scan"),
]


@pytest.fixture(autouse=True)
def _own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty config folder and no ADVISOR_PROFILE."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ADVISOR_PROFILE", raising=False)


def _terms(cases, profile: StorageProfile) -> np.ndarray:
    return np.array(
        [score(MONTH, np.array([chunks]), [p], profile).terms[0, 0] for chunks, p in cases]
    )


@settings(max_examples=40, deadline=None)
@given(
    overhead=st.floats(1e-5, 1e-3),
    latency=st.floats(0, 1e-2),
    bandwidth=st.floats(1e8, 1e10),
    task=st.floats(1e-4, 1e-2),
    compute=st.floats(1e-3, 0.5),
    reduce=st.floats(1e8, 1e10),
    group=st.floats(1e-3, 1.0),
)
def test_fit_recovers_the_constants_that_made_the_timings(
    overhead: float,
    latency: float,
    bandwidth: float,
    task: float,
    compute: float,
    reduce: float,
    group: float,
) -> None:
    # timings made by the model itself from known constants: the fit must give them back
    base = StorageProfile(threads=2, decode_speed=8e8)
    truth = rates(base)
    truth[TERMS.index("request_overhead")] = overhead
    truth[TERMS.index("latency")] = latency
    truth[TERMS.index("bandwidth")] = 1 / bandwidth
    truth[TERMS.index("task_overhead")] = task
    truth[TERMS.index("compute_overhead")] = compute
    truth[TERMS.index("reduce_speed")] = 1 / reduce
    truth[TERMS.index("group_overhead")] = group
    reads, scans = _terms(READS, base), _terms(SCANS, base)
    fitted = fit_rates(reads, reads @ truth, rates(base), [0, 1, 2])
    fitted = fit_rates(scans, scans @ truth, fitted, [4, 6, 7, 8])
    np.testing.assert_allclose(fitted, truth, rtol=1e-4, atol=1e-12)


def test_fit_never_goes_negative() -> None:
    # seconds that fall as chunks are added: the best non-negative fit drops that term
    terms = np.array([[1.0, 1.0], [10.0, 1.0], [100.0, 1.0]])
    fitted = fit_rates(terms, np.array([3.0, 2.0, 1.0]), np.zeros(2), [0, 1])
    assert (fitted >= 0).all() and fitted[0] == 0
    profile = profile_from_rates(StorageProfile(), np.zeros(len(TERMS)))
    assert all(np.isfinite(rates(profile))) and profile.latency > 0  # floors keep it valid


def test_fit_profile_from_timings() -> None:
    from advisor.plan.fit import Timing

    base = StorageProfile(threads=2)
    truth = base.with_overrides(request_overhead=4e-4, latency=2e-3, task_overhead=3e-3)
    timings = [
        Timing(
            layout="x",
            chunks=chunks,
            pattern=p,
            kind="scan" if p in ("full-scan", "resample") else "read",
            chunks_touched=1,
            tasks=0,
            decoded_bytes=1,
            seconds=float(terms @ rates(truth)),
            terms=tuple(terms),
        )
        for (chunks, p), terms in zip(READS + SCANS, _terms(READS + SCANS, base), strict=True)
    ]
    fitted = fit_profile(base, timings, trivial_task=1e-3)
    assert fitted.request_overhead == pytest.approx(4e-4)
    assert fitted.latency == pytest.approx(2e-3)
    assert fitted.task_overhead == pytest.approx(3e-3)


def test_profile_round_trips_with_codec_speeds(tmp_path: Path) -> None:
    profile = StorageProfile(
        name="calibrated",
        latency=3e-4,
        codec_speeds=(CodecSpeed("zstd:3", 1.1e9, 2e8, 2.5), CodecSpeed("gzip:5", 2e8, 2e7, 2.1)),
        calibrated="today on /tmp",
    )
    assert StorageProfile.from_json(profile.to_json()) == profile
    assert profile.group_grid == StorageProfile.preset("local").group_grid  # tuples again
    path = save_profile(profile, tmp_path / "sub" / "profile.json")
    assert load_profile(str(path)) == profile
    assert resolve_profile(str(path)) == (profile, str(path.resolve()))
    assert profile.for_codec("zstd:3").compression_ratio == 2.5
    assert profile.for_codec("blosc:lz4:5:shuffle") == profile  # not measured: unchanged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"latency": -1}', "must be a positive number"),  # negative constant
        ('{"threads": 1.5}', "whole number"),  # fractional threads
        ('{"codec_speeds": [{"codec": "zstd:3"}]}', "codec_speeds entry"),  # incomplete codec
        ('{"group_grid": [[24, 1e6, 1.0], [744, 1e6, 1.2]]}', "group_grid"),  # not a 2 x 2 grid
        (
            '{"group_grid": [[24, 1e6, -1], [744, 1e6, 1], [24, 1e7, 1], [744, 1e7, 1]]}',
            "group_grid",
        ),
        ('{"warp": 9}', "unknown storage profile constant"),  # unknown constant
        ('{"endpoint": 9000}', "endpoint must be text"),  # a store field that is not text
        ("[1, 2]", "must be an object"),  # not an object
        ("{", "not valid JSON"),  # not JSON
    ],
)
def test_bad_profiles_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(AdvisorError, match=message) as info:
        load_profile(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_which_profile_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_profile(None) is None
    assert resolve_profile(find_profile(None))[1] == BUILT_IN
    saved = save_profile(StorageProfile(name="calibrated", latency=0.01))
    assert saved == default_profile_path()
    assert saved.is_relative_to(tmp_path / "config")
    assert find_profile(None) == str(saved)  # the calibration, once saved
    assert find_profile("object-store") == "object-store"  # --profile wins
    monkeypatch.setenv("ADVISOR_PROFILE", "local")
    assert find_profile(None) == "local"  # then the environment
    rec = recommend(MONTH, ["map"], profile=str(saved))
    assert rec.profile.latency == 0.01 and rec.profile_origin == str(saved.resolve())
    assert rec.to_dict()["profile_origin"] == str(saved.resolve())


def test_calibration_on_a_temp_store(tmp_path: Path, local_client) -> None:
    from advisor.run.calibrate import calibrate

    store = tmp_path / "store"
    result = calibrate(
        str(store), local_client, repeats=1, codecs=("blosc:zstd:3:shuffle",), hours=48
    )
    profile = result.profile
    for name in TERMS:
        value = getattr(profile, name)
        assert math.isfinite(value) and value > 0, name
    assert profile.threads == 2  # the fixture's 2 workers x 1 thread
    assert [c.codec for c in profile.codec_speeds] == ["blosc:zstd:3:shuffle"]
    # flox's grouped reduction timed per block shape: the fastest is 1, the rest positive
    assert len(profile.group_grid) == 16 and min(g[2] for g in profile.group_grid) == 1.0
    assert all(math.isfinite(g[2]) and g[2] >= 1 for g in profile.group_grid)
    assert all(t.seconds > 0 and math.isfinite(t.predicted) for t in result.timings)
    assert {t.kind for t in result.timings} == {"read", "scan"}
    assert result.trivial_task_overhead > 0
    assert list(store.iterdir()) == []  # the calibration stores are gone
    import zarr

    assert (profile.backend, profile.endpoint) == ("local", "")  # a folder: no endpoint
    assert profile.zarr_version == zarr.__version__ and result.probe is None
    assert ("store", f"local disk, zarr {zarr.__version__}") in result.constants()
    path = save_profile(profile, tmp_path / "profile.json")
    assert load_profile(str(path)) == profile
    json.dumps(result.to_dict())


def test_calibrate_command_saves_a_profile_that_recommend_uses(
    tmp_path: Path, dask_processes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["calibrate", "--store", str(tmp_path), "--hours", "24", "--repeats", "1"]
    code, out, err = run_cli([*args, "--scheduler", dask_processes, "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["saved_to"] == str(default_profile_path())
    assert data["profile"]["task_overhead"] > 0 and len(data["timings"]) > 10
    shape = ["--shape", "time=8760,latitude=121,longitude=161"]
    code, out, err = run_cli(["recommend", *shape, "-p", "map", "--json"], capsys)
    assert code == 0, err
    origin = json.loads(out)["profile_origin"]
    assert origin.startswith(f"{default_profile_path().resolve()} (measured on local disk, zarr ")
    code, out, err = run_cli(["recommend", *shape, "-p", "map"], capsys)
    assert f"profile:{default_profile_path().resolve()}" in "".join(out.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repeats", "0"], "at least 1"),
        (["--hours", "5"], "24 to 8760"),
        (["--profile", "{tmp}"], "is a folder"),
        (["--store", "{tmp}/file.txt"], "is a file"),
    ],
)
def test_calibrate_bad_input(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    args = [a.format(tmp=tmp_path) for a in args]
    code, _, err = run_cli(["calibrate", *args, "--scheduler", "tcp://127.0.0.1:1"], capsys)
    assert_one_line_error(code, err)
    assert message in err
    assert not default_profile_path().exists()


@pytest.mark.slow
def test_calibrate_from_python_saves_where_asked(tmp_path: Path, local_client) -> None:
    from advisor.api.calibrate import calibrate

    target = tmp_path / "profiles" / "here.json"
    result = calibrate(
        str(tmp_path / "store"),
        profile=target,
        repeats=1,
        hours=24,
        codecs=("zstd:3",),
        client=local_client,
    )
    assert result.saved_to == str(target) == result.to_dict()["saved_to"]
    assert load_profile(str(target)) == result.profile
    assert not default_profile_path().exists()  # the asked-for file, not the config folder's
    with pytest.raises(AdvisorError, match="is a folder"):  # refused before measuring
        calibrate(profile=tmp_path, client=local_client)
