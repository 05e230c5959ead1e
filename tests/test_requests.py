"""The request model against a real S3 API: the GETs moto's server counts for real zarr 3 arrays,
unsharded and sharded, equal the model's requests for the installed zarr-python.

Run under the project's Python (zarr 3.1: one GET per inner chunk of a shard) and under a
Python 3.12 with zarr >= 3.3 (ranges coalesced); the test reads the installed version.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import zarr

from advisor.plan.cost.scores import score
from advisor.plan.patterns import parse_pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import MAX_GAP_KEY, version_tuple
from advisor.plan.schema import Schema
from advisor.store.zarr_reads import installed_zarr_reads

DIMS = ("time", "latitude", "longitude")
SHAPE = (64, 64, 64)
SCHEMA = Schema(DIMS, SHAPE, 4)
RAW = StorageProfile(compression_ratio=1.0)
"""The arrays are written uncompressed, so stored bytes are the decoded bytes."""

pytestmark = pytest.mark.slow


def _write(url: str, chunks: tuple[int, ...], shards: tuple[int, ...] | None) -> None:
    array = zarr.create_array(
        url, shape=SHAPE, chunks=chunks, shards=shards, dtype="f4", compressors=None
    )
    array[:] = np.random.default_rng(0).random(SHAPE, dtype="f4")  # every chunk stored


def _accesses(pattern: str, limit: int | None) -> list[tuple[slice, ...]]:
    """The accesses of ``pattern``'s model, every one (``limit`` None) or ``limit`` spread ones."""
    per_dim = [
        [slice(j * a.stride, j * a.stride + a.length) for j in range(a.count)]
        for a in parse_pattern(pattern).accesses(SCHEMA)
    ]
    every = list(itertools.product(*per_dim))
    if limit is None or len(every) <= limit:
        return every
    return [every[i] for i in np.linspace(0, len(every) - 1, limit).round().astype(int)]


def _model(pattern: str, chunks, shards) -> float:
    found = score(
        SCHEMA,
        np.array([chunks]),
        [pattern],
        RAW,
        shards=None if shards is None else np.array([shards]),
        reads=installed_zarr_reads(),
    )
    return float(found.requests[0, 0])


def _gets(s3, array: zarr.Array, access: tuple[slice, ...]) -> int:
    s3.reset()
    array[access]
    return s3.counts["GET"]


CASES = [
    # unsharded: one GET per chunk touched
    ((16, 16, 16), None, "map", 2),
    ((16, 16, 16), None, "point-series", 3),
    ((16, 16, 16), None, "ml-batch:time=16,latitude=16,longitude=16,stride=24", None),
    # one 64^3 shard of 8^3 inner chunks, read in part: its index, then the inner chunks'
    # ranges (zarr < 3.3: 64 for a map, 8 for a point's series or a patch; zarr >= 3.3: 1)
    ((8, 8, 8), (64, 64, 64), "map", 2),
    ((8, 8, 8), (64, 64, 64), "point-series", 2),
    ((8, 8, 8), (64, 64, 64), "ml-batch:time=16,latitude=16,longitude=16,stride=8", 2),
    # shards one inner chunk deep in time: a map wants a whole shard (one GET), a point's
    # series 8 shards in part, a patch 1 or 2 shards, every access of it enumerated
    ((8, 8, 8), (8, 64, 64), "map", 2),
    ((8, 8, 8), (8, 64, 64), "point-series", 2),
    ((8, 8, 8), (8, 64, 64), "ml-batch:time=6,latitude=6,longitude=6,stride=29", None),
]


@pytest.mark.parametrize(("chunks", "shards", "pattern", "limit"), CASES)
def test_gets_on_s3_are_the_models(s3, chunks, shards, pattern: str, limit: int | None) -> None:
    url = f"{s3.bucket}/a.zarr"
    _write(url, chunks, shards)
    array = zarr.open_array(url, mode="r")
    counted = [_gets(s3, array, access) for access in _accesses(pattern, limit)]
    predicted = _model(pattern, chunks, shards)
    if limit is not None:  # accesses that all touch alike: each one equals the expectation
        assert counted == [predicted] * len(counted), (zarr.__version__, pattern)
    assert np.mean(counted) == pytest.approx(predicted), (zarr.__version__, pattern)


def test_the_config_is_read_coalescing_off(s3) -> None:
    """A negative gap merges no two ranges (zarr >= 3.3), which zarr < 3.3 never does: the
    index and one GET per inner chunk either way, and the model reads the config."""
    url = f"{s3.bucket}/a.zarr"
    _write(url, (8, 8, 8), (64, 64, 64))
    pattern = "ml-batch:time=16,latitude=16,longitude=16,stride=8"
    with zarr.config.set({MAX_GAP_KEY: -1}):
        array = zarr.open_array(url, mode="r")  # an array takes the config when opened
        predicted = _model(pattern, (8, 8, 8), (64, 64, 64))
        counted = [_gets(s3, array, access) for access in _accesses(pattern, 2)]
    assert predicted == 1 + 8
    assert counted == [predicted] * 2


def test_one_map_through_a_shard_with_latency(s3, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's figure: one map through a 64^3 shard of 8 x 8 x 8 inner chunks, 20 ms per
    request. zarr < 3.3: the index and 64 GETs in turn; zarr >= 3.3: the index and one range."""
    url = f"{s3.bucket}/a.zarr"
    _write(url, (8, 8, 8), (64, 64, 64))
    array = zarr.open_array(url, mode="r")
    array[1]  # the client's connections made before timing
    s3.latency = 0.02
    s3.reset()
    start = time.perf_counter()
    array[0]
    seconds = time.perf_counter() - start
    s3.latency = 0.0
    coalesced = version_tuple(zarr.__version__) >= (3, 3)
    assert installed_zarr_reads().coalesced == coalesced
    assert s3.counts["GET"] == _model("map", (8, 8, 8), (64, 64, 64)) == (2 if coalesced else 65)
    assert seconds >= s3.counts["GET"] * 0.02  # each GET waits for the one before
    with capsys.disabled():
        print(
            f"\nzarr {zarr.__version__}: one map through a shard of 8x8x8 inner chunks, 20 ms "
            f"latency: {s3.counts['GET']} GETs, {seconds * 1000:.0f} ms"
        )
