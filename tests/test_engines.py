"""The Dask engine reductions are priced for (``--engine``): profiles, picks, commands, clients."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.plan.cost.scores import score
from advisor.plan.engine import BUILT_IN_ENGINES, ENGINES, apply_engine, for_engine
from advisor.plan.policy.recommend import recommend
from advisor.plan.profile import PRESETS, EngineSpeed, StorageProfile
from advisor.plan.schema import Schema
from tests.conftest import assert_one_line_error, run_cli

YEAR = Schema(
    ("time", "latitude", "longitude"),
    (8760, 121, 161),
    4,
    "float32",
    time_step=3600.0,
    time_start="2019-01-01T00:00:00",
)
SHAPE = ["--shape", "time=8760,latitude=121,longitude=161"]


def test_the_processes_built_ins_are_the_local_preset() -> None:
    # the default pricing (no --engine, a preset profile) is what it was before engines
    local = PRESETS["local"]
    choice = for_engine(local)
    assert choice.engine == "processes" and not choice.measured
    for name in ("task_overhead", "compute_overhead", "group_overhead", "block_speed"):
        assert getattr(choice.profile, name) == getattr(local, name), name
    assert choice.profile.threads == local.threads  # a built-in keeps the profile's threads


def test_a_measured_engine_wins_over_the_built_in_one() -> None:
    mine = EngineSpeed("threads", 2, 3e-4, 0.05, 0.02, 4e8, "1 process, 2 threads")
    profile = StorageProfile(engine="processes", engine_speeds=(mine,))
    threads = for_engine(profile, "threads")
    assert threads.measured and threads.profile.task_overhead == 3e-4
    assert "as measured (1 process, 2 threads)" in threads.note()
    assert for_engine(profile).engine == "processes"  # the profile's own engine by default
    assert for_engine(profile).measured  # a calibration made on it
    scheduler = for_engine(profile, "scheduler")
    assert not scheduler.measured and "advisor calibrate --scheduler ADDRESS" in scheduler.note()


def test_large_blocks_cost_threads_and_not_processes() -> None:
    # the 86 MB full-scan pick against a 29 MB one, one year of one variable
    blocks = np.array([[2190, 61, 161], [744, 61, 161]])
    seconds = {
        engine: score(
            YEAR, blocks, ["full-scan"], apply_engine(PRESETS["local"], BUILT_IN_ENGINES[engine])
        ).seconds[:, 0]
        for engine in ("threads", "processes")
    }
    assert seconds["threads"][0] > seconds["threads"][1]
    assert seconds["processes"][0] <= seconds["processes"][1] * 1.05


@pytest.mark.parametrize("pattern", ["full-scan", "resample", "climatology"])
def test_the_reduction_pick_follows_the_engine(pattern: str) -> None:
    picks = {e: recommend(YEAR, [pattern], engine=e) for e in ("threads", "processes")}
    for engine, rec in picks.items():
        assert rec.engine is not None and rec.engine.engine == engine
        assert rec.profile.task_overhead == BUILT_IN_ENGINES[engine].task_overhead
        assert rec.profile.block_speed == BUILT_IN_ENGINES[engine].block_speed
    assert picks["threads"].to_dict()["engine"]["measure_with"] == (
        "advisor calibrate --engine threads"
    )
    if pattern == "full-scan":  # the case: threads pay for the 86 MB blocks
        assert picks["processes"].chunk_bytes > 64e6 > picks["threads"].chunk_bytes


def test_interactive_picks_do_not_depend_on_the_engine() -> None:
    chunks = {e: recommend(YEAR, ["point-series", "map"], engine=e).chunks for e in ENGINES}
    assert len({tuple(c.values()) for c in chunks.values()}) == 1


def test_engine_speeds_round_trip_and_bad_entries_are_one_line() -> None:
    mine = EngineSpeed("threads", 2, 3e-4, 0.05, 0.02, 4e8, "here")
    profile = dataclasses.replace(StorageProfile(), engine="threads", engine_speeds=(mine,))
    assert StorageProfile.from_json(profile.to_json()) == profile
    bad = json.dumps({"engine_speeds": [{"engine": "threads", "threads": 0}]})
    with pytest.raises(AdvisorError, match="engine_speeds entry"):
        StorageProfile.from_json(bad)
    with pytest.raises(AdvisorError, match="engine must be text"):
        StorageProfile(engine=3)  # type: ignore[arg-type]


def test_recommend_names_the_engine_and_how_to_measure_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["recommend", *SHAPE, "-p", "full-scan", "--engine", "threads"], capsys
    )
    assert code == 0, err
    text = " ".join(out.split())
    assert "engine: reductions priced for dask's threaded scheduler" in text
    assert "advisor calibrate --engine threads" in text
    code, out, _ = run_cli(["recommend", *SHAPE, "-p", "map"], capsys)
    assert code == 0 and "engine:" not in out  # reads do not run on Dask: no engine to name
    mine = EngineSpeed("threads", 2, 3e-4, 0.05, 0.02, 4e8, "2 threads here")
    path = tmp_path / "p.json"
    path.write_text(StorageProfile(engine_speeds=(mine,)).to_json())
    args = ["recommend", *SHAPE, "-p", "resample", "--engine", "threads", "--profile", str(path)]
    code, out, _ = run_cli([*args, "--json"], capsys)
    assert json.loads(out)["engine"] == {
        "engine": "threads",
        "measured": True,
        "described": "2 threads here",
        "measure_with": None,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", *SHAPE, "--engine", "gpu"], "--engine gpu: use threads"),
        (
            ["recommend", *SHAPE, "--engine", "threads", "--scheduler", "tcp://127.0.0.1:1"],
            "--engine threads with --scheduler",
        ),
        (["calibrate", "--engine", "gpu"], "--engine gpu"),
        (["calibrate", "--engine", "scheduler"], "needs --scheduler ADDRESS"),
        (
            ["validate", "era5_2019", "--engine", "threads", "--scheduler", "tcp://127.0.0.1:1"],
            "a cluster reached by address is --engine scheduler",
        ),
    ],
)
def test_engine_contradictions_are_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("ADVISOR_SCHEDULER", raising=False)
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err)
    assert message in err


def test_engine_of_names_in_process_and_process_clusters(local_client) -> None:
    from distributed import Client, LocalCluster

    from advisor.run.engines import engine_of, engine_used, threads_of

    assert engine_of(local_client) == "processes" and threads_of(local_client) == 2
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        assert engine_of(client) == "threads"
        with pytest.raises(AdvisorError, match="the client given runs on threads"):
            engine_used("processes", None, client)


@pytest.mark.slow
def test_calibrate_per_engine_keeps_the_other_engines(tmp_path: Path) -> None:
    from advisor.api.calibrate import calibrate
    from advisor.store.profiles import load_profile

    target = tmp_path / "profile.json"
    before = EngineSpeed("processes", 2, 2e-3, 0.3, 0.1, 1e13, "measured before")
    target.write_text(StorageProfile(engine="processes", engine_speeds=(before,)).to_json())
    result = calibrate(
        str(tmp_path / "a"),
        engine="threads",
        profile=target,
        repeats=1,
        hours=48,
        codecs=("zstd:3",),
        quiet=True,
    )
    saved = load_profile(str(target))
    assert saved == result.profile and saved.engine == "threads"
    assert "threaded scheduler" in saved.engine_speeds[0].described
    assert saved.engine_speeds[1] == before  # the engine it did not measure, kept
    # what recommend then prices with: each engine as measured
    assert for_engine(saved, "processes").profile.task_overhead == 2e-3
    assert for_engine(saved, "threads").measured
    assert {t.kind for t in result.timings} == {"read", "scan"}


def test_validate_measures_on_the_engine_it_prices_for(
    sample_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["validate", str(sample_store), "--hours", "48", "--top", "0", "--spread", "0"]
    args += ["--layout", "time=48,latitude=121,longitude=161", "--layout", "time=6,latitude=30"]
    args += ["--repeats", "1", "--min-size", "100kB", "--max-size", "4MB", "-p", "full-scan"]
    code, out, err = run_cli([*args, "--engine", "threads", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["engine"] == "threads"
    assert "reductions priced for dask's threaded scheduler" in data["profile_origin"]
    assert all(layout["measured"]["full-scan"] > 0 for layout in data["layouts"])
