"""Shards: the model's requests against zarr's own, the co-designed recommendation, and a
sharded layout written by the workflow's save step that zarr and xarray open as proposed."""

from __future__ import annotations

import math
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr
from zarr.storage import LocalStore

from advisor.api.recommend import recommend
from advisor.plan.codecs import DEFAULT_CODEC
from advisor.plan.cost.geometry import shard_index_bytes
from advisor.plan.cost.scores import score
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import parse_pattern
from advisor.plan.schema import Schema
from advisor.plan.validation import plan_validation
from advisor.run import workloads
from advisor.run.validate import run_validation
from advisor.store.metadata import schema_from_dataset
from advisor.store.zarr_reads import installed_zarr_reads

SHAPE = (40, 12, 16)
DIMS = ("time", "latitude", "longitude")


class CountingStore(LocalStore):
    """A local store that counts the reads (``get`` calls) zarr-python makes of it, the merged
    ranges of zarr >= 3.3's ``get_ranges`` included (which a ``WrapperStore`` would pass by)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, read_only=True)
        self.gets = 0

    async def get(self, key, prototype, byte_range=None):
        self.gets += 1
        return await super().get(key, prototype, byte_range)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory):
    """Writes (once per chunks and shards) a random array and opens it through a counting store."""
    folder = tmp_path_factory.mktemp("shards")
    data = np.random.default_rng(0).random(SHAPE, dtype="f4")  # no fill values: every chunk stored

    def open_counting(chunks: tuple[int, ...], shards: tuple[int, ...]):
        path = folder / f"{'x'.join(map(str, chunks))}-{'x'.join(map(str, shards))}"
        if not path.exists():
            array = zarr.create_array(
                LocalStore(path), shape=SHAPE, chunks=chunks, shards=shards, dtype="f4"
            )
            array[:] = data
        store = CountingStore(path)
        return zarr.open_array(store, mode="r"), store

    return open_counting


@pytest.mark.parametrize(
    ("pattern", "chunks", "shards"),
    [
        # a point's series: per shard its index, then each inner chunk on the way
        ("point-series", (4, 4, 4), (8, 12, 8)),
        # a map cuts one row of inner chunks out of each shard: index plus those chunks
        ("map", (4, 4, 4), (8, 12, 8)),
        # a map takes every inner chunk of shards one chunk deep in time: one request a shard
        ("map", (4, 4, 4), (4, 12, 8)),
        # ML patches straddling shards and chunks
        ("ml-batch:time=8,latitude=4,longitude=4", (4, 2, 4), (8, 4, 16)),
        # a box's series, the shard a whole column of the grid
        ("region-series:size=3", (10, 3, 4), (40, 6, 8)),
    ],
)
def test_requests_are_what_zarr_does(sharded, pattern: str, chunks, shards) -> None:
    parsed = parse_pattern(pattern)
    schema = Schema(DIMS, SHAPE, 4)
    array, store = sharded(chunks, shards)
    # the oracle: zarr-python's own reads for every access of the pattern's model, whose
    # mean the model's expectation must equal
    counted = []
    for access in _every_access(parsed, schema):
        store.gets = 0
        array[tuple(access[d] for d in DIMS)]
        counted.append(store.gets)
    predicted = score(
        schema,
        np.array([chunks]),
        [parsed],
        shards=np.array([shards]),
        reads=installed_zarr_reads(),  # the zarr that read, zarr 3.1 or a coalescing one
    )
    assert predicted.requests[0, 0] == pytest.approx(np.mean(counted))


def _every_access(pattern, schema: Schema) -> list[dict[str, slice]]:
    """Every access of the pattern's model, by enumerating the starts of each dim."""
    import itertools

    per_dim = [
        [slice(j * a.stride, j * a.stride + a.length) for j in range(a.count)]
        for a in pattern.accesses(schema)
    ]
    return [dict(zip(schema.dims, combo, strict=True)) for combo in itertools.product(*per_dim)]


def test_index_bytes_match_zarr(sharded, tmp_path: Path) -> None:
    # the index of a shard of 2 x 3 x 2 inner chunks: what zarr stores at the shard's end
    array, _ = sharded((4, 4, 4), (8, 12, 8))
    codec = array.metadata.codecs[0]
    assert codec._shard_index_size((2, 3, 2)) == shard_index_bytes(12)


YEAR = Schema(DIMS, (8760, 121, 161), 4, time_step=3600.0, time_start="2019-01-01T00:00:00")


@pytest.mark.parametrize(
    "patterns",
    [["ml-batch"], ["point-series", "map", "ml-batch"], ["map", "resample"]],
)
def test_shards_in_the_band_with_inner_chunks_for_the_reads(patterns: list[str]) -> None:
    rec = recommend(YEAR, patterns, shards=True)
    assert rec.shards is not None
    shards, chunks = rec.pick.shards, rec.pick.chunks
    assert all(s % c == 0 for s, c in zip(shards, chunks, strict=True))
    assert 10e6 <= math.prod(shards) * 4 <= 100e6
    plain = recommend(YEAR, patterns)
    # the sharded pick is never worse than the plain one (unsplit shards are candidates)
    assert rec.pick.objective <= plain.pick.objective * (1 + 1e-9) or any(
        c.seconds <= p.seconds for c, p in zip(rec.costs, plain.costs, strict=True)
    )
    if patterns == ["ml-batch"]:
        assert rec.chunk_bytes < 10e6  # inner chunks far below the band for small patches
        assert rec.costs[0].seconds < plain.costs[0].seconds / 2
    data = rec.to_dict()
    assert data["shards"] == rec.shards and data["encoding"]["zarr2"] is None
    with pytest.raises(AdvisorError, match="zarr format 3"):
        rec.encoding(2)


def _dataset(hours: int = 96) -> xr.Dataset:
    rng = np.random.default_rng(0)
    times = pd.date_range("2019-01-01", periods=hours, freq="h")
    return xr.Dataset(
        {name: (DIMS, rng.random((hours, 128, 128), dtype="f4")) for name in ("cape", "cin")},
        coords={"time": times},
    )


def test_sharded_layout_written_by_save_opens_as_proposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = _dataset()
    rec = recommend(
        schema_from_dataset(ds),
        ["ml-batch:time=8,latitude=16,longitude=16", "map"],
        min_size="1MB",
        max_size="4MB",
        shards=True,
    )
    assert rec.shards is not None and rec.shards != rec.chunks
    path = tmp_path / "sharded.zarr"
    with dask.config.set(scheduler="threads"):  # in-memory data: no graph to ship to a cluster
        workloads.save(ds, path, rec.chunks, DEFAULT_CODEC, 3, shards=rec.shards)
    for name in ("cape", "cin"):
        array = zarr.open_array(path / name, mode="r")
        assert array.chunks == tuple(rec.chunks[d] for d in DIMS)
        assert array.shards == tuple(rec.shards[d] for d in DIMS)
    opened = xr.open_zarr(path)
    assert opened.cape.encoding["shards"] == tuple(rec.shards[d] for d in DIMS)
    assert opened.cape.encoding["preferred_chunks"] == rec.chunks
    xr.testing.assert_identical(opened.load(), ds)
    # the paste-ready snippet writes the same layout
    namespace = {"ds": ds}
    target = tmp_path / "snippet"
    target.mkdir()
    monkeypatch.chdir(target)
    with dask.config.set(scheduler="threads"):
        exec(rec.encoding(3), namespace)
    assert zarr.open_array(target / "out.zarr" / "cape", mode="r").shards == tuple(
        rec.shards[d] for d in DIMS
    )


def test_validate_measures_sharded_layouts(tmp_path: Path, local_client) -> None:
    ds = _dataset()
    patterns = ["map", "ml-batch:time=8,latitude=16,longitude=16", "full-scan"]
    plan = plan_validation(
        schema_from_dataset(ds[["cape"]]),
        patterns,
        top=0,
        spread=0,
        shards=True,
        min_size="1MB",
        max_size="4MB",
    )
    assert any(layout.shards and layout.shards != layout.chunks for layout in plan.layouts)
    result = run_validation(plan, ds, tmp_path, variable="cape", repeats=1)
    assert result.measured.shape == (len(plan.layouts), len(patterns))
    assert (result.measured > 0).all()
    for i, layout in enumerate(plan.layouts):
        if layout.shards:
            array = zarr.open_array(tmp_path / f"layout-{i:02d}.zarr" / "cape", mode="r")
            assert array.shards == layout.shards and array.chunks == layout.chunks


def _remote(patterns: list[str], version: str):
    from advisor.plan.policy.recommend import recommend as pure
    from advisor.plan.profile import PRESETS
    from advisor.plan.requests import zarr_reads

    return pure(
        YEAR, patterns, profile=PRESETS["object-store"], shards=True, reads=zarr_reads(version, {})
    )


@pytest.mark.parametrize("patterns", [["map"], ["point-series"]])
def test_no_shards_for_maps_and_series_on_an_object_store_with_zarr_31(patterns) -> None:
    rec = _remote(patterns, "3.1.6")
    assert rec.shards is None and rec.pick.shards is None
    assert "shards = " not in rec.encoding(3)
    note = next(n for n in rec.notes if n.startswith("no shards"))
    assert "zarr 3.1.6" in note and "one GET after another" in note
    assert rec.to_dict()["zarr_reads"]["shard_reads"] == "one-per-chunk"


def test_shards_follow_the_zarr_that_reads_them() -> None:
    """zarr 3.1 chains a shard's GETs: its pick never reads more than the index and one inner
    chunk of a shard; a coalescing zarr reads many at once, and its pick does."""
    patterns = ["point-series", "map"]
    old, new = _remote(patterns, "3.1.6"), _remote(patterns, "3.4.2")
    for cost in old.costs:
        per_shard = cost.requests / (cost.shards_touched or cost.chunks_touched)
        assert per_shard <= 2 + 1e-9, cost
    assert new.shards is not None
    assert any(c.requests > 2 * (c.shards_touched or 0) for c in new.costs)
    # the coalescing zarr's pick, read by zarr 3.1, is slower than zarr 3.1's own pick
    pick = np.array([new.pick.chunks]), np.array([new.pick.shards])
    from advisor.plan.requests import zarr_reads

    as_old = score(
        YEAR, pick[0], patterns, old.profile, shards=pick[1], reads=zarr_reads("3.1", {})
    )
    weights = np.ones(len(patterns))
    ours = np.array([c.seconds for c in old.costs])
    assert as_old.seconds[0] @ weights > ours @ weights
