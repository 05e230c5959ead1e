"""``advisor apply``: the pure plan, the checksum, and real runs on real stores and clusters."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.api.recommend import recommend
from advisor.plan.apply import parse_chunks, plan_apply, plan_copies
from advisor.plan.cluster import ClusterSpec
from advisor.plan.codecs import CodecSpec
from advisor.plan.copy_plan import ChunkedSchema
from advisor.plan.errors import AdvisorError
from advisor.plan.grid import crossed_blocks, gathered_block, grow_block, regular_grid
from advisor.plan.profile import StorageProfile
from advisor.plan.rechunk import choose_rechunk_method, rechunk_cost
from advisor.plan.schema import Schema
from advisor.run.checksum import checksum, digests, summary
from advisor.store.encoding import numcodecs_compressor, zarr3_codec
from advisor.store.profiles import default_profile_path, save_profile
from advisor.store.publish import leftovers, temp_path
from tests.conftest import assert_one_line_error, run_cli

REPO = Path(__file__).resolve().parents[1]
DIMS = ("time", "latitude", "longitude")
SEED_CLUSTER = ClusterSpec(2, 2, 2 * 10**9)


def tree_digest(path: Path) -> str:
    """A digest of every file's relative name and bytes under ``path``."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- the plan (pure)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # the same grid: nothing to do
        (((31,) * 11 + (24,), (121,), (161,)), ((31,) * 11 + (24,), (121,), (161,)), "none"),
        # daily month blocks to the workflow's (32, 60, 80): each output takes 1-2 inputs
        (
            ((31,) * 11 + (24,), (121,), (161,)),
            regular_grid((365, 121, 161), (32, 60, 80)),
            "tasks",
        ),
        # hourly month blocks to long series of small boxes: all-to-all, peer-to-peer
        (
            regular_grid((8760, 121, 161), (744, 121, 161)),
            regular_grid((8760, 121, 161), (8760, 10, 10)),
            "p2p",
        ),
        # splitting each block in two along one dim stays local
        (regular_grid((100, 10), (10, 10)), regular_grid((100, 10), (5, 10)), "tasks"),
    ],
)
def test_choose_rechunk_method(old: tuple, new: tuple, expected: str) -> None:
    assert choose_rechunk_method(old, new, 4) == expected


@pytest.mark.parametrize(
    ("shape", "source", "target", "memory"),
    [
        # hourly month blocks to long series of small boxes: all-to-all, peer-to-peer
        ((8760, 121, 161), (744, 121, 161), (8760, 16, 16), 2 * 10**9),
        # two months per chunk: local, and a thread holds the two months it assembles
        ((8760, 121, 161), (744, 121, 161), (1488, 121, 161), 2 * 10**9),
        # the same with 200 MB per worker: the two months no longer fit, peer-to-peer
        ((8760, 121, 161), (744, 121, 161), (1488, 121, 161), 2 * 10**8),
        # splitting each block in two along one dim stays local
        ((100, 10, 10), (10, 10, 10), (5, 10, 10), 10**6),
        # blocks that do not line up (32 vs 48) but each takes two inputs
        ((96, 20, 20), (32, 20, 20), (48, 10, 10), 10**8),
        # already in the target chunks: nothing to do
        ((365, 121, 161), (32, 60, 80), (32, 60, 80), 2 * 10**9),
    ],
)
def test_recommend_and_apply_name_the_same_rechunk(
    shape: tuple[int, ...], source: tuple[int, ...], target: tuple[int, ...], memory: int
) -> None:
    cluster = ClusterSpec(1, 2, memory)
    schema = Schema(DIMS, shape, 4, time_step=3600.0, variables=("cape",), chunks=source)
    layout = ChunkedSchema(schema, regular_grid(shape, source))
    plan = _plan(layout, layout, cluster=cluster, chunks=dict(zip(DIMS, target, strict=True)))
    thread_memory = memory / cluster.threads_per_worker
    cost = rechunk_cost(shape, 4, source, target, StorageProfile(), thread_memory=thread_memory)
    assert plan.rechunk == cost.method


@pytest.mark.parametrize(
    "patterns", [["point-series"], ["map"], ["ml-batch"], ["point-series", "map", "ml-batch"]]
)
def test_recommends_rechunk_advice_is_the_method_apply_runs(patterns: list[str]) -> None:
    source, _ = _layouts(8760, daily=False)
    hourly = dataclasses.replace(source.schema, chunks=(744, 121, 161))  # the store's chunks
    layout = ChunkedSchema(hourly, source.grid)
    plan = _plan(layout, layout, patterns=patterns)
    advice = recommend(hourly, patterns, worker_memory=2 * 10**9, threads_per_worker=2)
    assert advice.rechunk is not None and plan.chunk_map == advice.chunks
    assert plan.rechunk == advice.rechunk.method


def _grid(draw: st.DrawFn, n: int) -> tuple[int, ...]:
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=6))) if n > 1 else []
    edges = [0, *cuts, n]
    return tuple(b - a for a, b in itertools.pairwise(edges))


@st.composite
def grid_pairs(draw: st.DrawFn) -> tuple[tuple, tuple]:
    shape = draw(st.lists(st.integers(1, 40), min_size=1, max_size=3))
    return tuple(_grid(draw, n) for n in shape), tuple(_grid(draw, n) for n in shape)


@settings(max_examples=200, deadline=None)
@given(grid_pairs())
def test_crossed_blocks_counts_the_overlapping_pairs(pair: tuple[tuple, tuple]) -> None:
    old, new = pair
    expected = 1
    for a, b in zip(old, new, strict=True):
        ea, eb = np.cumsum((0, *a)), np.cumsum((0, *b))
        # brute force: every (old block, new block) pair that shares an element is one piece
        expected *= sum(
            max(ea[i], eb[j]) < min(ea[i + 1], eb[j + 1])
            for i in range(len(a))
            for j in range(len(b))
        )
    assert crossed_blocks(old, new) == expected


@settings(max_examples=200, deadline=None)
@given(grid_pairs())
def test_gathered_block_is_the_most_input_one_output_block_overlaps(
    pair: tuple[tuple, tuple],
) -> None:
    old, new = pair
    for got, a, b in zip(gathered_block(old, new), old, new, strict=True):
        ea, eb = np.cumsum((0, *a)), np.cumsum((0, *b))
        # brute force: per new block, the total length of the old blocks sharing an element
        expected = max(
            sum(a[i] for i in range(len(a)) if max(ea[i], eb[j]) < min(ea[i + 1], eb[j + 1]))
            for j in range(len(b))
        )
        assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 50), st.integers(1, 400)), min_size=1, max_size=3),
    st.integers(1, 8),
    st.floats(1, 1e6),
)
def test_grow_block_is_whole_chunks_within_the_limit(
    dims: list[tuple[int, int]], itemsize: int, limit: float
) -> None:
    chunks = [min(c, n) for c, n in dims]
    shape = [n for _, n in dims]
    block = grow_block(chunks, shape, itemsize, limit, axes=range(len(dims)))
    for b, c, n in zip(block, chunks, shape, strict=True):
        assert b == n or b % c == 0  # whole chunks, or the whole dim
        assert c <= b <= n
    if block != tuple(chunks):  # it grew, so it fits
        assert np.prod(block) * itemsize <= max(limit, np.prod(chunks) * itemsize)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time=32,latitude", "malformed --chunks"),  # a dim without a length
        ("time=x", "not a whole number"),  # not a number
        ("time=-4", "lengths must be whole numbers >= 1"),  # not positive
        ("time=3,time=4", "names time twice"),  # repeated
    ],
)
def test_parse_chunks_rejects(text: str, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        parse_chunks(text)


def _layouts(hours: int, daily: bool) -> tuple[ChunkedSchema, ChunkedSchema]:
    hourly = Schema(
        DIMS,
        (hours, 121, 161),
        4,
        time_step=3600.0,
        variables=("cape", "cin"),
        time_start="2019-01-01T00:00:00",
    )
    source = ChunkedSchema(hourly, regular_grid(hourly.shape, (744, 121, 161)))
    if not daily:
        return source, source
    days = Schema(
        DIMS,
        (hours // 24, 121, 161),
        4,
        time_step=86400.0,
        variables=("cape", "cin"),
        time_start="2019-01-01T00:00:00",
    )
    return source, ChunkedSchema(days, regular_grid(days.shape, (31, 121, 161)))


def _plan(
    source: ChunkedSchema,
    output: ChunkedSchema,
    cluster: ClusterSpec = SEED_CLUSTER,
    **options: object,
):
    if "outs" in options:
        temps = [temp_path(out, "t") for out in options["outs"]]  # type: ignore[attr-defined]
        return plan_copies(
            sources=("era5_2019",),
            source_paths=(Path("/data/era5_2019.zarr"),),
            temps=temps,
            source=source,
            output=output,
            cluster=cluster,
            **options,  # type: ignore[arg-type]
        )
    return plan_apply(
        sources=("era5_2019",),
        source_paths=(Path("/data/era5_2019.zarr"),),
        out=Path("/data/out.zarr"),
        temp=temp_path(Path("/data/out.zarr"), "t"),
        source=source,
        output=output,
        cluster=cluster,
        **options,  # type: ignore[arg-type]
    )


def test_advisor_chunks_are_made_for_the_resampled_output() -> None:
    source, output = _layouts(8760, daily=True)
    plan = _plan(source, output, resample="1D")
    mix = ["point-series", "map", "ml-batch"]
    advice = recommend(output.schema, mix, worker_memory=2 * 10**9, threads_per_worker=2)
    assert plan.chunks_from == "advisor" and plan.patterns == tuple(mix)
    assert plan.chunk_map == advice.chunks
    assert plan.shape == (365, 121, 161)
    hourly = recommend(source.schema, mix, worker_memory=2 * 10**9, threads_per_worker=2)
    assert plan.chunk_map != hourly.chunks  # advice for the hourly store would differ


def test_plan_estimates_and_defaults() -> None:
    source, output = _layouts(8760, daily=True)
    plan = _plan(
        source,
        output,
        resample="1D",
        stats={"cape": "max"},
        chunks={"time": 32, "latitude": 60, "longitude": 80},
    )
    assert (plan.chunks, plan.chunks_from, plan.zarr_format) == ((32, 60, 80), "user", 2)
    assert plan.stats == (("cape", "max"), ("cin", "mean"))
    assert plan.nbytes == 2 * 365 * 121 * 161 * 4
    assert plan.stored_estimate == int(plan.nbytes / plan.assumed_ratio)
    assert plan.rechunk == "tasks" and plan.scratch_bytes == 0
    assert plan.temp == Path("/data/out.zarr.advisor-tmp-t")
    # no --pattern: the advisor plans for the default mix and says so
    plan = _plan(source, output, resample="1D")
    assert plan.patterns == ("point-series", "map", "ml-batch")
    assert any("no --pattern" in note for note in plan.notes)
    # shards: zarr 3, chunks grown along time, whole chunks
    plan = _plan(source, output, chunks={"time": 32}, shards=True)
    assert plan.zarr_format == 3 and plan.shards is not None
    assert plan.shards[1:] == plan.chunks[1:] and plan.shards[0] % 32 in (0, 365 % 32)
    # hourly to long series of small boxes goes peer-to-peer and needs scratch disk
    source, _ = _layouts(8760, daily=False)
    plan = _plan(source, source, chunks={"latitude": 10, "longitude": 10})
    assert plan.rechunk == "p2p" and plan.scratch_bytes == plan.nbytes
    assert plan.peak_memory > _plan(source, source, chunks={"time": 744}).peak_memory


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stats": {"cape": "max"}}, "--stat needs --resample"),
        ({"resample": "1D", "stats": {"precip": "max"}}, "--stat names precip"),
        ({"chunks": {"level": 3}}, "--chunks names level"),
        ({"shards": True, "zarr_format": 2}, "--shards needs zarr format 3"),
    ],
)
def test_plan_rejects(options: dict, message: str) -> None:
    source, _ = _layouts(240, daily=False)
    with pytest.raises(AdvisorError, match=message):
        _plan(source, source, **options)


def test_shards_without_chunks_are_the_advisors_codesign() -> None:
    source, output = _layouts(8760, daily=False)
    plan = _plan(source, output, patterns=["ml-batch"], shards=True)
    advice = recommend(
        source.schema, ["ml-batch"], shards=True, worker_memory=2 * 10**9, threads_per_worker=2
    )
    assert plan.zarr_format == 3 and plan.chunks_from == "advisor"
    assert plan.chunk_map == advice.chunks and plan.shard_map == advice.shards
    assert plan.shards != plan.chunks  # inner chunks for the reads, shards in the band
    assert all(s % c == 0 for s, c in zip(plan.shards, plan.chunks, strict=True))
    assert plan.write_grid == regular_grid(plan.shape, plan.shards)  # one Dask chunk per shard
    # the user's chunks with --shards: those are the inner chunks, grown along time
    user = _plan(source, output, chunks={"time": 24, "latitude": 40, "longitude": 40}, shards=True)
    assert user.chunks == (24, 40, 40) and user.shards[1:] == (40, 40) and user.shards[0] > 24


def test_plan_uses_the_profile_it_is_given() -> None:
    source, output = _layouts(8760, daily=False)
    mix = ["point-series", "map", "ml-batch"]
    remote = StorageProfile.preset("object-store")
    plan = _plan(source, output, patterns=mix, profile=remote, profile_origin="from a test")
    advice = recommend(
        output.schema, mix, profile=remote, worker_memory=2 * 10**9, threads_per_worker=2
    )
    assert plan.chunk_map == advice.chunks and plan.profile_origin == "from a test"
    assert ("profile", "from a test") in plan.rows()
    assert plan.assumed_ratio == remote.compression_ratio
    local = _plan(source, output, patterns=mix)
    assert local.profile_origin == "built-in local defaults"
    assert local.chunk_map != plan.chunk_map  # the profile changes the advice


def test_two_outputs_get_the_advisors_two_copies() -> None:
    source, _ = _layouts(8760, daily=False)
    mix = ["map", "point-series@50"]
    series, maps = Path("/data/series.zarr"), Path("/data/maps.zarr")
    first, second = _plan(source, source, patterns=mix, outs=(maps, series))
    two = recommend(source.schema, mix, worker_memory=2 * 10**9, threads_per_worker=2).two_copies
    assert two is not None
    by_family = {c.patterns: c.layout.chunks for c in two.copies}
    # the first --out serves the family of the first pattern
    assert (first.out, first.patterns, first.chunks) == (maps, ("map",), by_family[("map",)])
    assert second.out == series and second.chunks == by_family[("point-series",)]
    assert first.copy == "copy 1 of 2: map" and ("copy", second.copy) in second.rows()
    assert first.temp.name.startswith("maps.zarr") and second.temp.name.startswith("series.zarr")
    # one output: the plan says two copies would help and how to get them
    (single,) = _plan(source, source, patterns=mix, outs=(maps,))
    assert any("give two --out" in note for note in single.notes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # one layout serves these within 10x: no second copy to write
        ({"patterns": ["point-series", "region-series"]}, "one layout serves"),
        ({"patterns": ["map", "point-series@50"], "chunks": {"time": 24}}, "--chunks sets one"),
        ({"outs": (Path("/d/a.zarr"), Path("/d/a.zarr"))}, "given twice"),
    ],
)
def test_two_outputs_rejected(options: dict, message: str) -> None:
    source, _ = _layouts(8760, daily=False)
    options = {"outs": (Path("/d/a.zarr"), Path("/d/b.zarr")), **options}
    with pytest.raises(AdvisorError, match=message):
        _plan(source, source, **options)


# ---------------------------------------------------------------- the checksum


def test_checksum_ignores_chunks_and_catches_changes() -> None:
    import dask.array as da

    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 13, 7)).astype("float32")
    x[3, 4, 5] = np.nan
    want = int(checksum(da.from_array(x, chunks=(50, 13, 7))).compute())
    for chunks in [(1, 13, 7), (7, 5, 3), (50, 1, 1)]:
        assert int(checksum(da.from_array(x, chunks=chunks)).compute()) == want
    changed = x.copy()
    changed[10, 2, 1] = np.nextafter(changed[10, 2, 1], np.float32(np.inf))  # one ulp
    swapped = x.copy()
    swapped[[0, 49], 0, 0] = swapped[[49, 0], 0, 0]  # two values trade places
    moved = np.roll(x, 1, axis=0)  # a shift in time
    for other in (changed, swapped, moved):
        assert int(checksum(da.from_array(other, chunks=(7, 5, 3))).compute()) != want
    other_nan = x.copy()
    other_nan[3, 4, 5] = np.float32(np.nan) * -1  # another NaN bit pattern is still NaN
    assert int(checksum(da.from_array(other_nan, chunks=9)).compute()) == want


# ---------------------------------------------------------------- real runs


@pytest.fixture()
def scheduler(local_client: object) -> str:
    return local_client.scheduler.address  # type: ignore[attr-defined]


def test_dry_run_writes_nothing(
    sample_store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich's table width off a terminal
    out = tmp_path / "daily.zarr"
    code, stdout, _ = run_cli(
        ["apply", str(sample_store), "--out", str(out), "--resample", "1D", "--dry-run", "--json"],
        capsys,
    )
    assert code == 0
    plan = json.loads(stdout)["plan"]
    assert plan["chunks_from"] == "advisor" and plan["shape"] == [10, 121, 161]
    assert plan["tasks_estimate"] > 0 and plan["peak_memory_estimate"] > 0
    assert list(tmp_path.iterdir()) == []
    code, stdout, _ = run_cli(
        ["apply", str(sample_store), "--out", str(out), "--chunks", "time=4", "--dry-run"], capsys
    )
    assert code == 0 and "time=4, latitude=121, longitude=161 (from the user)" in stdout
    assert list(tmp_path.iterdir()) == []


def test_python_apply_takes_values_or_text(sample_store: Path, tmp_path: Path) -> None:
    from advisor.api.apply import apply

    out = tmp_path / "daily.zarr"
    typed = apply(
        str(sample_store),
        out,
        chunks={"time": 4},
        resample="1D",
        stats={"cape": "max"},
        dry_run=True,
    )
    texts = apply(
        [str(sample_store)],
        [str(out)],
        chunks="time=4",
        resample="1D",
        stats="cape=max",
        dry_run=True,
    )
    assert typed.results is None and typed.plans[0].chunks == (4, 121, 161)
    assert typed.to_dict()["plan"] == {
        **texts.to_dict()["plan"],
        "temp": typed.plans[0].temp.as_posix(),
    }
    assert dict(typed.plans[0].stats)["cape"] == "max"
    assert list(tmp_path.iterdir()) == []  # a dry run writes nothing
    with pytest.raises(AdvisorError, match="--zarr-format 4: use 2 or 3"):
        apply(str(sample_store), out, zarr_format=4, dry_run=True)


def test_resample_with_the_workflows_choice(
    sample_store: Path, tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "daily.zarr"
    before = tree_digest(sample_store)
    code, stdout, err = run_cli(
        [
            "apply",
            str(sample_store),
            "--out",
            str(out),
            "--resample",
            "1D",
            "--stat",
            "cape=max,cin=mean,k_index=mean,blh=max",
            "--chunks",
            "time=4,latitude=60,longitude=80",
            "--codec",
            "blosc:zstd:3:shuffle",
            "--scheduler",
            scheduler,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    result = json.loads(stdout)["result"]
    assert result["stored_bytes"] > 0 and result["ratio"] > 1
    assert result["workers_lost"] == 0 and set(result["checksums"]) == {
        "cape",
        "cin",
        "k_index",
        "blh",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily.zarr"]  # no temp left behind
    assert tree_digest(sample_store) == before

    assert (out / ".zmetadata").is_file()  # consolidated, zarr format 2
    group = zarr.open_group(str(out), mode="r")
    for var in ("cape", "cin", "k_index", "blh"):
        assert group[var].chunks == (4, 60, 80)
        assert group[var].compressors == (
            numcodecs_compressor(CodecSpec.parse("blosc:zstd:3:shuffle")),
        )
    got = xr.open_zarr(out, consolidated=True)
    hourly = xr.open_zarr(sample_store).load()
    days = hourly.sizes["time"] // 24

    def by_day(var: str) -> np.ndarray:
        return hourly[var].values.reshape(days, 24, 121, 161)

    np.testing.assert_array_equal(got.cape.values, by_day("cape").max(axis=1))
    np.testing.assert_array_equal(got.blh.values, by_day("blh").max(axis=1))
    np.testing.assert_allclose(got.cin.values, by_day("cin").mean(axis=1), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(
        got.k_index.values, by_day("k_index").mean(axis=1), rtol=1e-5, atol=1e-4
    )
    np.testing.assert_array_equal(got.time.values, hourly.time.values[::24])
    assert got.cape.attrs["cell_methods"] == "time: maximum"


@pytest.mark.parametrize(
    "args",
    [
        # the user's chunks are the inner chunks, grown along time into shards
        ["--chunks", "time=24,latitude=40,longitude=40", "--codec", "zstd:5"],
        # the advisor co-designs shards in the band and inner chunks for ML batches
        ["--pattern", "ml-batch", "--codec", "zstd:5"],
    ],
    ids=["user-chunks", "advisor"],
)
def test_zarr3_shards_open_as_planned(
    sample_store: Path,
    tmp_path: Path,
    scheduler: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    out = tmp_path / "sharded.zarr"
    command = ["apply", str(sample_store), "--out", str(out), *args, "--shards", "--json"]
    code, stdout, err = run_cli([*command, "--scheduler", scheduler], capsys)
    assert code == 0, err
    plan = json.loads(stdout)["plan"]
    chunks = tuple(plan["chunks"][d] for d in DIMS)
    shards = tuple(plan["shards"][d] for d in DIMS)
    if plan["chunks_from"] == "user":
        assert (chunks, shards) == ((24, 40, 40), (240, 40, 40))
    else:
        advice = recommend(
            xr.open_zarr(sample_store),
            ["ml-batch"],
            shards=True,
            worker_memory=plan["cluster"]["memory_limit"],
            threads_per_worker=plan["cluster"]["threads_per_worker"],
        )
        assert plan["chunks"] == advice.chunks and plan["shards"] == advice.shards
        assert math.prod(chunks) < math.prod(shards)  # inner chunks for the reads
    for var in ("cape", "k_index"):
        array = zarr.open_group(str(out), mode="r")[var]
        assert array.metadata.zarr_format == 3
        assert (array.chunks, array.shards) == (chunks, shards)
        assert array.compressors == (zarr3_codec(CodecSpec.parse("zstd:5")),)
    got, want = xr.open_zarr(out), xr.open_zarr(sample_store)
    assert got.cape.encoding["chunks"] == chunks and got.cape.encoding["shards"] == shards
    for var in want.data_vars:
        np.testing.assert_array_equal(got[var].values, want[var].values)


def test_two_copies_in_one_pass(
    sample_store: Path, tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    series, maps = tmp_path / "series.zarr", tmp_path / "maps.zarr"
    band = ["--min-size", "50kB", "--max-size", "500kB"]  # the 240-hour sample is small
    args = ["apply", str(sample_store), "-p", "point-series@50", "-p", "map", *band]
    code, stdout, err = run_cli(
        [*args, "--out", str(series), "--out", str(maps), "--scheduler", scheduler, "--json"],
        capsys,
    )
    assert code == 0, err
    copies = json.loads(stdout)["copies"]
    assert [c["plan"]["copy"] for c in copies] == [
        "copy 1 of 2: point-series",
        "copy 2 of 2: map",
    ]
    want = xr.open_zarr(sample_store)
    for path, copy in zip((series, maps), copies, strict=True):
        assert copy["result"]["copies"] == 2 and copy["result"]["out"] == str(path)
        got = xr.open_zarr(path)
        assert got.k_index.encoding["chunks"] == tuple(copy["plan"]["chunks"][d] for d in DIMS)
        np.testing.assert_array_equal(got.k_index.values, want.k_index.values)
    assert xr.open_zarr(series).cape.encoding["chunks"][0] == 240  # whole series per chunk
    assert xr.open_zarr(maps).cape.encoding["chunks"][1:] == (121, 161)  # whole maps
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps.zarr", "series.zarr"]
    # a mix one layout serves: two --out is refused, nothing written
    code, _, err = run_cli(
        [
            "apply",
            str(sample_store),
            "-p",
            "map",
            *band,
            "--out",
            str(tmp_path / "a.zarr"),
            "--out",
            str(tmp_path / "b.zarr"),
        ],
        capsys,
    )
    assert_one_line_error(code, err)
    assert "give one --out" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps.zarr", "series.zarr"]


def test_apply_plans_with_the_saved_calibration(
    sample_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = save_profile(StorageProfile.preset("object-store"))  # as `advisor calibrate` does
    assert saved == default_profile_path()
    args = ["apply", str(sample_store), "--out", str(tmp_path / "o.zarr"), "--dry-run"]
    code, stdout, err = run_cli([*args, "--json"], capsys)
    assert code == 0, err
    plan = json.loads(stdout)["plan"]
    assert plan["profile"] == str(saved.resolve())
    advice = recommend(
        xr.open_zarr(sample_store),
        profile=str(saved),
        worker_memory=plan["cluster"]["memory_limit"],
        threads_per_worker=plan["cluster"]["threads_per_worker"],
    )
    assert plan["chunks"] == advice.chunks
    # --profile wins over the saved one
    code, stdout, err = run_cli([*args, "--profile", "local", "--json"], capsys)
    assert code == 0 and json.loads(stdout)["plan"]["profile"] == "built-in local defaults"
    assert list(tmp_path.iterdir()) == []


def test_catalog_entries_join_along_time(
    sample_catalog: Path, tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "two-years.zarr"
    code, stdout, err = run_cli(
        [
            "apply",
            "era5_2020",
            "era5_2019",
            "--catalog",
            str(sample_catalog),
            "--out",
            str(out),
            "--pattern",
            "point-series",
            "--scheduler",
            scheduler,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    plan = json.loads(stdout)["plan"]
    assert plan["chunks_from"] == "advisor" and plan["patterns"] == ["point-series"]
    got = xr.open_zarr(out)
    data = sample_catalog.parent / "data"
    want = xr.concat([xr.open_zarr(data / f"era5_{y}.zarr") for y in (2019, 2020)], dim="time")
    assert got.sizes["time"] == 480
    assert got.cape.encoding["chunks"] == tuple(plan["chunks"][d] for d in DIMS)
    np.testing.assert_array_equal(got.cape.values, want.cape.values)
    np.testing.assert_array_equal(got.time.values, want.time.values)


def test_verification_catches_a_changed_value(
    sample_store: Path, tmp_path: Path, local_client: object
) -> None:
    from advisor.run.apply import build_output, prepare
    from advisor.run.apply_run import execute
    from advisor.run.verify import verify
    from advisor.store.sources import open_sources

    (plan,) = prepare(
        [str(sample_store)], [tmp_path / "v.zarr"], cluster=SEED_CLUSTER, chunks={"time": 48}
    )
    (result,) = execute([plan], local_client, progress=False)  # type: ignore[arg-type]
    computed = build_output(open_sources(plan.source_paths), plan.variables, None, None)
    step = plan.shards or plan.chunks
    expected = [digests(computed[v].data.rechunk(step), step).compute() for v in plan.variables]
    assert [summary(d) for d in expected] == [s for _, s in result.checksums]
    written = dataclasses.replace(plan, temp=plan.out)  # verify the store in place
    assert verify(written, computed, expected, local_client) > 0  # type: ignore[arg-type]
    zarr.open_group(str(plan.out), mode="r+")["cin"][100, 60, 80] = 1e6  # one value changes
    with pytest.raises(AdvisorError, match=r"the stored cin differs .* block at time 96:144"):
        verify(written, computed, expected, local_client)  # type: ignore[arg-type]


def test_existing_output_needs_overwrite(
    sample_store: Path, tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.zarr"
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_zarr(out, zarr_format=2)
    before = tree_digest(out)
    args = [
        "apply",
        str(sample_store),
        "--out",
        str(out),
        "--chunks",
        "time=48",
        "--scheduler",
        scheduler,
    ]
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err)
    assert "--overwrite" in err and tree_digest(out) == before

    code, _, err = run_cli([*args, "--overwrite"], capsys)
    assert code == 0, err
    assert zarr.open_group(str(out), mode="r")["cape"].chunks == (48, 121, 161)
    assert "x" not in xr.open_zarr(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zarr"]  # nothing aside, no temp

    folder = tmp_path / "not-a-store"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    code, _, err = run_cli(
        ["apply", str(sample_store), "--out", str(folder), "--overwrite"], capsys
    )
    assert_one_line_error(code, err)
    assert "not a Zarr store" in err and (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunks", "time=0"], "lengths must be whole numbers"),  # bad chunks
        (["--chunks", "time=x"], "not a whole number"),  # bad chunks
        (["--chunks", "level=4"], "--chunks names level"),  # unknown dimension
        (["--codec", "lz5"], "unknown codec"),  # unknown codec
        (["--resample", "1D", "--stat", "cape=median"], "unknown statistic 'median'"),
        (["--resample", "1D", "--stat", "precip=max"], "precip"),  # unknown variable
        (["--stat", "cape=max"], "--stat needs --resample"),
        (["--resample", "1X"], "unknown --resample frequency"),
        (["--zarr-format", "4"], "--zarr-format 4"),
        (["--shards", "--zarr-format", "2"], "--shards needs zarr format 3"),
        (["--pattern", "mapp"], "unknown pattern"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    sample_store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "out.zarr"
    code, _, err = run_cli(["apply", str(sample_store), "--out", str(out), *args], capsys)
    assert_one_line_error(code, err)
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_write_into_a_source_or_from_nowhere(
    sample_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for out in (sample_store, sample_store / "inner.zarr", sample_store.parent):
        code, _, err = run_cli(
            ["apply", str(sample_store), "--out", str(out), "--overwrite"], capsys
        )
        assert_one_line_error(code, err)
        assert "source" in err
    code, _, err = run_cli(
        [
            "apply",
            "no_such_entry",
            "--out",
            str(tmp_path / "o.zarr"),
            "--catalog",
            str(REPO / "catalog.yaml"),
        ],
        capsys,
    )
    assert_one_line_error(code, err)
    assert "no_such_entry" in err


def test_sigkill_mid_write_leaves_no_output_and_the_source_untouched(
    sample_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "killed.zarr"
    before = tree_digest(sample_store)
    # small chunks: thousands of writes, so the kill lands mid-write
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "advisor",
            "apply",
            str(sample_store),
            "--out",
            str(out),
            "--chunks",
            "time=4,latitude=40,longitude=40",
            "--json",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            temps = leftovers(out)
            if temps and any(temps[0].glob("*/*.*.*")):  # chunks are being written
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        family = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _, alive = psutil.wait_procs(
            [psutil.Process(p) for p in family if psutil.pid_exists(p)], timeout=30
        )
        assert not alive  # the LocalCluster's workers died with it
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not out.exists()
    assert tree_digest(sample_store) == before
    assert [p.name.split(".advisor-")[1][:4] for p in leftovers(out)] == ["tmp-"]
    code, _, err = run_cli(["apply", str(sample_store), "--out", str(out), "--dry-run"], capsys)
    assert code == 0 and "left by an interrupted run" in err


def test_runs_through_scheduler_and_worker_processes(
    sample_store: Path, tmp_path: Path, dask_processes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "remote.zarr"
    code, stdout, err = run_cli(
        [
            "apply",
            str(sample_store),
            "--out",
            str(out),
            "--resample",
            "1D",
            "--pattern",
            "map",
            "--scheduler",
            dask_processes,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    report = json.loads(stdout)
    assert report["plan"]["cluster"]["n_workers"] == 2
    assert len(report["result"]["peak_memory"]) == 2
    assert all(0 < b < 2e9 for b in report["result"]["peak_memory"].values())
    assert xr.open_zarr(out).sizes["time"] == 10
