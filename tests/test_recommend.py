"""The policy: invariants, sensible picks for the sample year, constraints, the snippet."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

import advisor
from advisor.api.recommend import recommend
from advisor.plan.cost.scores import score
from advisor.plan.errors import AdvisorError
from advisor.plan.policy.results import Recommendation
from advisor.plan.schema import Schema

YEAR = Schema(
    ("time", "latitude", "longitude"),
    (8760, 121, 161),
    4,
    time_step=3600.0,
    time_start="2019-01-01T00:00:00",
)
MB = 1_000_000


@st.composite
def problems(draw):
    ndim = draw(st.integers(1, 4))
    roles = ("time", "level", "latitude", "longitude")
    dims = tuple(
        sorted(draw(st.sets(st.sampled_from(roles), min_size=ndim, max_size=ndim)), key=roles.index)
    )
    shape = tuple(draw(st.integers(1, 3000 if d == "time" else 300)) for d in dims)
    itemsize = draw(st.sampled_from([1, 2, 4, 8]))
    low = draw(st.sampled_from([1_000, 100_000, 1 * MB, 10 * MB]))
    high = low * draw(st.sampled_from([1, 2, 10, 100]))
    kinds = ["map", "ml-batch"] + (
        ["point-series", "resample", "full-scan"] if "time" in dims else []
    )
    patterns = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))
    return Schema(dims, shape, itemsize, time_step=3600.0), patterns, low, high


@settings(max_examples=40, deadline=None)
@given(problems())
def test_invariants(problem) -> None:
    schema, patterns, low, high = problem
    rec = recommend(schema, patterns, min_size=low, max_size=high)
    chunks = tuple(rec.chunks.values())
    assert all(1 <= c <= n for c, n in zip(chunks, schema.shape, strict=True))
    assert rec.chunk_bytes == math.prod(chunks) * schema.itemsize
    if rec.binding == "dataset-size":
        assert chunks == schema.shape and schema.nbytes < low
        assert any("smaller than" in note for note in rec.notes)
    elif rec.binding == "band-impossible":
        assert any("fits between" in note for note in rec.notes)
    else:
        assert low <= rec.chunk_bytes <= high
    for layout in (rec.pick, *rec.alternatives):
        assert all(c.seconds > 0 and c.amplification >= 1 - 1e-9 for c in layout.costs)
        assert layout.objective >= 1 - 1e-9 or not layout.in_band
    json.dumps(rec.to_dict())  # serialisable, no NaN


def test_a_band_no_shape_fits_is_said() -> None:
    # 7 x 11 one-byte elements: no chunk holds 57 or 58 bytes (3 x 19, 2 x 29); 7 x 8 is nearest
    rec = recommend(Schema(("x", "y"), (7, 11), 1), ["map"], min_size=57, max_size=58)
    assert rec.binding == "band-impossible"
    assert "no chunk shape of this array fits between 57 B and 58 B" in " ".join(rec.notes)
    assert rec.chunk_bytes == 56


def test_dataset_smaller_than_the_band_is_one_chunk() -> None:
    small = Schema(("time", "lat", "lon"), (240, 10, 10), 4)
    rec = recommend(small, ["point-series", "map"])
    assert rec.chunks == {"time": 240, "lat": 10, "lon": 10}
    assert rec.binding == "dataset-size"
    assert "one chunk holds it all" in " ".join(rec.notes)


@pytest.mark.parametrize(
    ("pattern", "check"),
    [
        # a point's series: the whole year in one chunk, a small patch of the grid
        ("point-series", lambda c: c["time"] == 8760 and c["latitude"] * c["longitude"] < 1000),
        # a map: the full field, as few steps as the 10 MB floor allows
        ("map", lambda c: (c["latitude"], c["longitude"]) == (121, 161) and c["time"] == 129),
        # ML patches: multiples of the 32 x 16 x 16 patch
        (
            "ml-batch",
            lambda c: c["time"] % 32 == 0 and c["latitude"] % 16 == 0 and c["longitude"] % 16 == 0,
        ),
        # daily resampling: whole days
        ("resample", lambda c: c["time"] % 24 == 0),
        # monthly: full maps; month-aligned or not is a tie once flox's cost of long blocks counts
        # (measured on the full year: 274 h 1.46 s, 744 h 1.43 s, 1488 h 1.82 s, 129 h 2.02 s)
        ("resample:freq=1MS", lambda c: (c["latitude"], c["longitude"]) == (121, 161)),
        # a region's series: long in time
        ("region-series", lambda c: c["time"] == 8760),
    ],
)
def test_sample_year_picks_are_sensible(pattern: str, check) -> None:
    rec = recommend(YEAR, [pattern])
    assert check(rec.chunks), rec.chunks
    if pattern == "resample:freq=1MS":  # whole months cost within 5% of the pick
        months = score(YEAR, np.array([[744, 121, 161]]), [pattern]).seconds[0, 0]
        assert months <= 1.05 * rec.costs[0].seconds
    assert 10 * MB <= rec.chunk_bytes <= 100 * MB
    cost = rec.costs[0]
    assert cost.slowdown == pytest.approx(1.0)
    if pattern == "resample":  # whole days: each block reduces its own days
        assert cost.flox_method == "blockwise" and cost.groups_split == 0


def test_binding_constraint_names_the_floor_and_its_effect() -> None:
    rec = recommend(YEAR, ["map"])
    assert rec.binding == "floor"
    assert rec.binding_constraint.startswith(
        "the 10.0 MB floor forces time >= 129 for a full-field chunk"
    )
    rec = recommend(YEAR, ["full-scan"])
    assert rec.binding == "cap"
    assert rec.binding_constraint.startswith("the 100 MB cap forces")


def test_unconstrained_optimum_inside_the_band_binds_nothing() -> None:
    rec = recommend(YEAR, ["map"], min_size=10_000, max_size=100 * MB)
    assert rec.binding == "none" and rec.binding_constraint.startswith("none")
    assert rec.chunks == {"time": 1, "latitude": 121, "longitude": 161}


def test_worker_memory_caps_the_chunk() -> None:
    rec = recommend(YEAR, ["full-scan"], worker_memory="320MB", threads_per_worker=2, safety=4)
    assert rec.chunk_bytes <= 40 * MB
    assert rec.binding == "worker-memory"
    assert (
        "worker memory 320 MB / (2 threads x safety 4) caps chunks at 40.0 MB"
        in rec.binding_constraint
    )
    # below the floor: the floor gives way, and the note says so
    rec = recommend(YEAR, ["map"], worker_memory="64MB", threads_per_worker=4)
    assert rec.chunk_bytes <= 4 * MB
    assert "the floor is dropped" in " ".join(rec.notes)


def test_the_mix_is_a_compromise_and_alternatives_are_shown() -> None:
    rec = recommend(YEAR, ["point-series", "map", "ml-batch"])
    labels = [a.label for a in rec.alternatives]
    assert labels == [
        "dask auto",
        "zarr guess",
        "workflow",
        "best for point-series",
        "best for map",
        "best for ml-batch",
    ]
    by_label = {a.label: a for a in rec.alternatives}
    assert by_label["dask auto"].chunks == (1722, 121, 161)
    assert by_label["zarr guess"].chunks == (1095, 16, 21)
    assert by_label["workflow"].chunks == (32, 60, 80)
    # each pattern's own optimum is at slowdown 1 for that pattern; the pick beats each of
    # them on the weighted mean slowdown
    for j, name in enumerate(["point-series", "map", "ml-batch"]):
        assert by_label[f"best for {name}"].costs[j].slowdown == pytest.approx(1.0)
        assert rec.pick.objective <= by_label[f"best for {name}"].objective
    assert rec.pick.objective < by_label["dask auto"].objective


def test_weights_pull_the_pick() -> None:
    maps = recommend(YEAR, ["point-series", "map@50"]).chunks
    series = recommend(YEAR, ["point-series@50", "map"]).chunks
    assert maps["time"] < series["time"]


def test_recommendation_is_immutable_and_json_ready() -> None:
    rec = recommend(YEAR, ["resample", "map"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.binding = "none"  # type: ignore[misc]
    data = json.loads(json.dumps(rec.to_dict()))
    assert {
        "chunks",
        "chunk_bytes",
        "patterns",
        "alternatives",
        "binding_constraint",
        "encoding",
        "notes",
    } <= set(data)
    assert set(data["patterns"][0]) >= {
        "name",
        "chunks_touched",
        "bytes_read",
        "amplification",
        "seconds",
    }
    assert data["patterns"][0]["flox_method"] == "blockwise"
    assert data["patterns"][1]["flox_method"] is None
    assert "BloscCodec" in data["encoding"]["zarr3"] and "Blosc(" in data["encoding"]["zarr2"]


def test_bad_input_is_an_advisor_error() -> None:
    with pytest.raises(AdvisorError, match="min size 200 MB is above max size 100 MB"):
        recommend(YEAR, ["map"], min_size="200MB")
    with pytest.raises(AdvisorError, match="no access pattern"):
        recommend(YEAR, [])
    with pytest.raises(AdvisorError, match="unknown pattern"):
        recommend(YEAR, ["maps"])
    with pytest.raises(AdvisorError, match="sizes must be positive"):
        recommend(YEAR, ["map"], max_size=0)
    with pytest.raises(AdvisorError, match="not a dimension"):
        recommend(YEAR, ["map"], dims={"time": "valid_time"})


def test_lazy_exports() -> None:
    assert advisor.recommend is recommend
    assert advisor.Recommendation is Recommendation
    assert advisor.Schema is Schema


def _dataset(hours: int = 480) -> xr.Dataset:
    """4-D float64 and int16 on odd dim names, with a bounds variable."""
    times = pd.date_range("2019-01-01", periods=hours, freq="h")
    rng = np.random.default_rng(0)
    return xr.Dataset(
        {
            "t": (("valid_time", "level", "y", "x"), rng.random((hours, 3, 40, 50))),
            "code": (("valid_time", "level", "y", "x"), np.zeros((hours, 3, 40, 50), "i2")),
            "time_bnds": (("valid_time", "nv"), np.zeros((hours, 2))),
        },
        coords={"valid_time": times},
    )


def test_recommend_from_a_4d_dataset_with_odd_names() -> None:
    rec = recommend(_dataset(), ["point-series", "map"], min_size=1 * MB, max_size=10 * MB)
    assert rec.schema.roles == ("time", "level", "latitude", "longitude")
    assert rec.schema.itemsize == 8
    assert set(rec.chunks) == {"valid_time", "level", "y", "x"}
    assert 1 * MB <= rec.chunk_bytes <= 10 * MB
    assert "left out time_bnds" in " ".join(rec.notes)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_snippet_runs_and_writes_the_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zarr_format: int
) -> None:
    source = tmp_path / "source.zarr"
    _dataset(hours=48).to_zarr(source, zarr_format=zarr_format)
    rec = recommend(str(source), ["map"], min_size=100_000, max_size=1 * MB)
    assert rec.schema.variables == ("code", "t")
    monkeypatch.chdir(tmp_path)
    namespace = {"ds": xr.open_zarr(source)}
    exec(rec.encoding(zarr_format), namespace)  # the paste-ready snippet itself
    written = zarr.open_group(tmp_path / "out.zarr", mode="r")
    expected = tuple(rec.chunks[d] for d in ("valid_time", "level", "y", "x"))
    for name in ("t", "code"):
        array = written[name]
        assert array.chunks == expected
        assert array.metadata.zarr_format == zarr_format
        codecs = array.compressors
        assert len(codecs) == 1 and "blosc" in type(codecs[0]).__name__.lower()


# ----------------------------------------------------------------------------- beyond the band


def test_beyond_the_band_for_ml_patches() -> None:
    rec = recommend(YEAR, ["ml-batch"])
    beyond = rec.beyond_band
    assert beyond is not None
    # small chunks read ML patches several times faster than anything in the band
    assert 100_000 <= beyond.layout.chunk_bytes < 10 * MB and not beyond.layout.in_band
    assert beyond.speedup >= 2 and beyond.speedups[0] == pytest.approx(beyond.speedup)
    assert beyond.layout.costs[0].seconds * beyond.speedup == pytest.approx(rec.costs[0].seconds)
    assert "GET" in beyond.reason and "Dask tasks" in beyond.reason  # why the band holds
    json.dumps(rec.to_dict()["beyond_band"])


def test_nothing_beyond_the_band_when_the_band_holds_the_optimum() -> None:
    assert recommend(YEAR, ["map"], min_size=10_000).beyond_band is None
    # worker memory is a hard cap: nothing above it is shown
    rec = recommend(YEAR, ["full-scan"], worker_memory="400MB", threads_per_worker=1)
    assert rec.beyond_band is None or rec.beyond_band.layout.chunk_bytes <= 100 * MB


def test_two_copies_when_one_layout_fails_a_pattern() -> None:
    rec = recommend(
        dataclasses.replace(YEAR, variables=("cape", "cin")), ["point-series@50", "map"]
    )
    two = rec.two_copies
    assert two is not None
    assert two.worst_one_copy >= 10 and two.worst_two_copies <= two.worst_one_copy / 2
    families = [set(copy.patterns) for copy in two.copies]
    assert families[0] | families[1] == {"point-series", "map"} and not families[0] & families[1]
    for copy in two.copies:
        assert copy.layout.in_band
        assert copy.stored_bytes == pytest.approx(2 * YEAR.nbytes / rec.profile.compression_ratio)
    assert max(two.slowdowns) == pytest.approx(two.worst_two_copies)
    json.dumps(rec.to_dict()["two_copies"])
    # a mix one layout serves well has no second copy
    assert recommend(YEAR, ["point-series", "region-series"]).two_copies is None


def test_top_layouts_follow_the_pick() -> None:
    rec = recommend(YEAR, ["point-series", "map"], top=4)
    assert [t.label for t in rec.top] == ["top 2", "top 3", "top 4", "top 5"]
    objectives = [rec.pick.objective] + [t.objective for t in rec.top]
    assert objectives == sorted(objectives)
    assert len({t.chunks for t in (rec.pick, *rec.top)}) == 5
    assert all(t.in_band for t in rec.top)


def test_the_profile_used_is_named() -> None:
    from advisor.plan.profile import BUILT_IN

    assert recommend(YEAR, ["map"]).profile_origin == BUILT_IN
    rec = recommend(YEAR, ["map"], profile="object-store")
    assert rec.profile_origin == "built-in object-store preset"
    assert rec.to_dict()["profile_origin"] == rec.profile_origin


# ----------------------------------------------------------------------------- rechunk cost


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30)),
        min_size=1,
        max_size=3,
    ),
    st.integers(1, 3),
    st.sampled_from([100, 10_000, 10**9]),
)
def test_rechunk_cost_against_counting(dims, variables: int, memory: int) -> None:
    from advisor.plan.profile import StorageProfile
    from advisor.plan.rechunk import rechunk_cost

    shape = [n for n, _, _ in dims]
    source = [min(a, n) for n, a, _ in dims]
    target = [min(b, n) for n, _, b in dims]
    cost = rechunk_cost(
        shape, 4, source, target, StorageProfile(), variables=variables, thread_memory=memory
    )

    # the oracle: chunks counted one by one, the aligned block by searching multiples
    def count(chunks: list[int]) -> int:
        return math.prod(len(range(0, n, c)) for n, c in zip(shape, chunks, strict=True))

    block = [
        min(n, next(k for k in range(max(a, b), a * b + 1) if k % a == 0 and k % b == 0))
        for n, a, b in zip(shape, source, target, strict=True)
    ]
    if source == target:
        assert cost.method == "none" and cost.seconds == 0 and cost.read_ops == 0
        return
    assert cost.read_ops == count(source) * variables
    assert cost.write_ops == count(target) * variables
    assert list(cost.block) == block
    # the method (apply's too): Dask's task rechunk when its pieces are fewer than 4 x the chunks
    # of both sides and a thread holds the source chunks one target chunk takes, and that chunk
    dims3 = list(zip(shape, source, target, strict=True))
    pieces = math.prod(len(set(range(0, n, a)) | set(range(0, n, b))) for n, a, b in dims3)
    gathered = [
        max(min(n, -(-min(j + b, n) // a) * a) - j // a * a for j in range(0, n, b))
        for n, a, b in dims3
    ]
    held = (math.prod(gathered) + math.prod(target)) * 4
    tasks = pieces < 4 * (count(source) + count(target)) and held <= memory
    assert cost.method == ("tasks" if tasks else "p2p")
    assert cost.scratch_bytes == (0 if tasks else math.prod(shape) * 4 * variables)
    assert cost.seconds > 0


def test_rechunk_from_the_current_chunks_pays_off() -> None:
    current = dataclasses.replace(YEAR, chunks=(744, 121, 161), variables=("cape", "cin"))
    rec = recommend(current, ["point-series"])
    cost = rec.rechunk
    assert cost is not None and cost.source_chunks == (744, 121, 161)
    assert cost.target_chunks == tuple(rec.chunks.values())
    assert cost.read_ops == 2 * 12 and cost.variables == 2
    assert cost.saved_per_access > 0 and cost.break_even == pytest.approx(
        cost.seconds / cost.saved_per_access
    )
    assert "pays off after" in cost.sentence()
    assert recommend(YEAR, ["point-series"]).rechunk is None  # a bare shape has no current chunks


def test_from_python_a_sample_entry_is_never_generated(tmp_path: Path) -> None:
    """``advisor.recommend("era5_2019")`` reads metadata only: a sample entry without data is
    an error naming the command that makes it, and nothing is written."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "sources:\n  era5_2019:\n    driver: zarr\n"
        "    metadata: {sample: {year: 2019, hours: 48}}\n"
        "    args: {urlpath: '{{ CATALOG_DIR }}/data/era5_2019.zarr', consolidated: true}\n"
    )
    with pytest.raises(AdvisorError, match="advisor sample-data"):
        recommend("era5_2019", ["map"], catalog=catalog)
    assert not (tmp_path / "data").exists()


def test_the_pure_policy_takes_a_schema_and_a_profile() -> None:
    """The planning core: a Schema, a StorageProfile and where it came from; no file read."""
    from advisor.plan.policy.recommend import recommend as pure
    from advisor.plan.profile import PRESETS
    from advisor.store.zarr_reads import installed_zarr_reads

    remote = PRESETS["object-store"]
    rec = pure(
        YEAR, ["map"], profile=remote, profile_origin="a test", reads=installed_zarr_reads("s3")
    )
    assert rec.profile_origin == "a test" and rec.profile.latency == remote.latency
    assert rec.to_dict() == recommend(YEAR, ["map"], profile="object-store").to_dict() | {
        "profile_origin": "a test"
    }


def test_request_costs_on_an_object_store_only() -> None:
    from advisor.plan.policy.recommend import recommend as pure
    from advisor.plan.profile import PRESETS

    s = Schema(("time", "x"), (8760, 1000), 4, variables=("t2m", "u10", "v10"))
    local = pure(s, ["map", "point-series"], profile=PRESETS["local"])
    assert local.request_costs is None and local.to_dict()["request_costs"] is None
    assert [c.requests for c in local.costs] == [c.chunks_touched for c in local.costs]
    remote = pure(s, ["map", "point-series"], profile=PRESETS["object-store"])
    costs = remote.request_costs
    assert costs is not None and costs.get_price_per_1000 == 0.0004
    for priced, cost in zip(costs.patterns, remote.costs, strict=True):
        assert priced.requests == cost.requests
        assert priced.get_cost == pytest.approx(cost.requests * 0.0004 / 1000)
    chunks = math.prod(-(-n // c) for n, c in zip(s.shape, remote.pick.chunks, strict=True))
    assert costs.objects == 3 * chunks and costs.metadata_docs == 4  # 3 arrays and the group
    assert costs.puts == 3 * chunks + 4
    assert costs.put_cost == pytest.approx(costs.puts * 0.005 / 1000)
    dearer = pure(
        s, ["map", "point-series"], profile=PRESETS["object-store"], get_price=0.001, put_price=0.01
    ).request_costs
    assert dearer is not None and dearer.put_price_per_1000 == 0.01
    assert dearer.patterns[0].get_cost == pytest.approx(remote.costs[0].requests * 1e-6)
    assert dearer.put_cost == pytest.approx(costs.put_cost * 2)
    with pytest.raises(AdvisorError, match="--price-per-1000-gets -1"):
        pure(s, ["map"], profile=PRESETS["object-store"], get_price=-1)
    # a calibrated profile is an object store by its latency, whatever its name
    slow = PRESETS["local"].with_overrides(latency=0.02, name="mine")
    assert pure(s, ["map"], profile=slow).request_costs is not None


def test_sharded_copy_puts_one_object_per_shard() -> None:
    from advisor.plan.policy.recommend import recommend as pure
    from advisor.plan.profile import PRESETS
    from advisor.plan.requests import zarr_reads

    rec = pure(
        YEAR,
        ["point-series", "map"],
        profile=PRESETS["object-store"],
        shards=True,
        reads=zarr_reads("3.4.2", {}),
    )
    assert rec.shards is not None and rec.request_costs is not None
    shards = math.prod(-(-n // s) for n, s in zip(YEAR.shape, rec.pick.shards, strict=True))
    assert rec.request_costs.objects == shards < rec.pick.n_chunks
