"""The cost model against brute force: every access enumerated, chunks counted by index arithmetic."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from flox.cohorts import find_group_cohorts
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.plan.cost.flox import FLOX_METHODS, choose_flox_method, group_evidence
from advisor.plan.cost.geometry import dim_expectations, floor_sum
from advisor.plan.cost.scores import score
from advisor.plan.patterns import Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.schema import Schema

ROLES = ("time", "level", "latitude", "longitude")
MAX_SIZE = {1: 40, 2: 40, 3: 16, 4: 8}
"""Per number of dims, the largest size drawn (keeps the enumeration of every access small)."""


def oracle_accesses(pattern: Pattern, dims: tuple[str, ...], shape: tuple[int, ...]):
    """Every access of ``pattern`` as one list of ``range``s per dim, from the pattern's meaning.

    Written from the pattern descriptions, independently of ``Pattern.accesses``.
    """
    sizes = dict(zip(dims, shape, strict=True))
    p = dict(pattern.params)

    def every(dim: str, length: int) -> list[range]:
        length = min(length, sizes[dim])
        return [range(s, s + length) for s in range(sizes[dim] - length + 1)]

    def strided(dim: str, length: int, stride: int) -> list[range]:
        length = min(length, sizes[dim])
        if length == sizes[dim]:
            return [range(sizes[dim])]
        return [range(s, s + length) for s in range(0, sizes[dim] - length + 1, stride)]

    per_dim = []
    for dim in dims:
        whole = [range(sizes[dim])]
        if pattern.kind in ("resample", "climatology", "full-scan"):
            per_dim.append(whole)  # read everything once
        elif pattern.kind in ("point-series", "region-series") and dim == "time":
            per_dim.append(every(dim, p.get("window", sizes[dim])))
        elif pattern.kind == "region-series" and dim in ("latitude", "longitude"):
            per_dim.append(every(dim, p.get(dim, p.get("size", 16))))
        elif pattern.kind == "map" and dim == "time":
            per_dim.append(every(dim, p.get("steps", 1)))
        elif pattern.kind == "map" and dim in ("latitude", "longitude"):
            per_dim.append(whole)
        elif pattern.kind == "ml-batch":
            patch = p.get(dim, {"time": 32, "latitude": 16, "longitude": 16}.get(dim, 1))
            stride = p.get("stride", max(1, patch - p.get("overlap", 0)))
            per_dim.append(strided(dim, patch, stride if min(patch, sizes[dim]) > 1 else 1))
        else:
            per_dim.append(every(dim, 1))  # one index: a point, one level, ...
    return itertools.product(*per_dim)


def brute_force(pattern: Pattern, dims, shape, chunks, itemsize) -> tuple[float, float]:
    """Mean chunks touched and mean bytes of those chunks, over every access."""
    touched = total = 0
    count = 0
    for access in oracle_accesses(pattern, dims, shape):
        ids = [sorted({i // c for i in r}) for r, c in zip(access, chunks, strict=True)]
        chunks_hit = list(itertools.product(*ids))
        touched += len(chunks_hit)
        total += sum(
            math.prod(min(c, n - k * c) for k, c, n in zip(hit, chunks, shape, strict=True))
            for hit in chunks_hit
        )
        count += 1
    return touched / count, itemsize * total / count


@st.composite
def cases(draw):
    ndim = draw(st.integers(1, 4))
    dims = tuple(
        sorted(draw(st.sets(st.sampled_from(ROLES), min_size=ndim, max_size=ndim)), key=ROLES.index)
    )
    shape = tuple(draw(st.integers(1, MAX_SIZE[ndim])) for _ in dims)
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    kinds = ["map", "ml-batch"] + (
        ["point-series", "region-series", "resample", "climatology", "full-scan"]
        if "time" in dims
        else []
    )
    kind = draw(st.sampled_from(kinds))
    small = st.integers(1, 12)
    params: list[tuple[str, int | str]] = []
    if kind in ("point-series", "region-series") and draw(st.booleans()):
        params.append(("window", draw(small)))
    if kind == "region-series":
        params.append(("size", draw(small)))
        if "latitude" in dims and draw(st.booleans()):
            params.append(("latitude", draw(small)))
    if kind == "map" and draw(st.booleans()):
        params.append(("steps", draw(small)))
    if kind == "ml-batch":
        for dim in dims:
            if draw(st.booleans()):
                params.append((dim, draw(small)))
        choice = draw(st.sampled_from(["", "stride", "overlap"]))
        if choice:
            params.append((choice, draw(st.integers(0 if choice == "overlap" else 1, 6))))
    itemsize = draw(st.sampled_from([1, 2, 4, 8]))
    return Pattern(kind, tuple(params)), dims, shape, chunks, itemsize


@settings(max_examples=300, deadline=None)
@given(cases())
def test_model_equals_brute_force(case) -> None:
    pattern, dims, shape, chunks, itemsize = case
    schema = Schema(dims, shape, itemsize, time_step=3600.0)
    scores = score(schema, np.array([chunks]), [pattern])
    touched, nbytes = brute_force(pattern, dims, shape, chunks, itemsize)
    assert np.isclose(scores.chunks_touched[0, 0], touched), (touched, scores.chunks_touched)
    assert np.isclose(scores.bytes_read[0, 0], nbytes), (nbytes, scores.bytes_read)
    assert scores.amplification[0, 0] >= 1 - 1e-9


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 60), st.integers(1, 40), st.integers(0, 40), st.integers(0, 40))
def test_floor_sum(n: int, m: int, a: int, b: int) -> None:
    assert floor_sum(np.array(n), np.array(m), np.array(a), np.array(b)) == sum(
        (a * i + b) // m for i in range(n)
    )


def test_dim_expectations_on_a_large_dim_is_exact() -> None:
    # 100,000 window starts: closed form against direct evaluation
    n, w, chunks = 100_000, 777, np.array([1, 24, 100, 1000, 99_999, 100_000])
    hits, span = dim_expectations(n, chunks, w, 1, n - w + 1)
    starts = np.arange(n - w + 1)
    for c, h, s in zip(chunks, hits, span, strict=True):
        first, last = starts // c, (starts + w - 1) // c
        assert np.isclose(h, np.mean(last - first + 1))
        assert np.isclose(s, np.mean(np.minimum((last + 1) * c, n) - first * c))


@pytest.mark.parametrize(
    ("kind", "value", "start"),
    [
        ("freq", "1D", "2019-01-01"),  # days from midnight
        ("freq", "1D", "2019-01-01T05:00"),  # days from 05:00: every chunk of 24 splits a day
        ("freq", "6h", "2019-01-01"),
        ("freq", "1W", "2019-01-01"),
        ("freq", "1MS", "2019-01-01"),
        ("by", "month", "2019-01-01"),  # month of year over three years
        ("by", "season", "2019-03-01"),
    ],
)
def test_flox_method_mirrors_flox(kind: str, value: str, start: str) -> None:
    n = 24 * 365 * (3 if kind == "by" else 1)
    schema = Schema(("time",), (n,), 4, time_step=3600.0, time_start=start)
    labels = Pattern("climatology" if kind == "by" else "resample", ((kind, value),)).groups(schema)
    chunks = [1, 5, 7, 24, 36, 48, 100, 168, 500, 730, 744, 2000, 4380, 8760, n]
    for evidence in group_evidence(labels, chunks):
        chunk = evidence.chunk
        grid = (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())
        expected, _ = find_group_cohorts(labels, (grid,))
        assert choose_flox_method(evidence) == expected, chunk


def test_reductions_read_everything_and_split_groups_cost_more() -> None:
    schema = Schema(("time", "latitude", "longitude"), (24 * 60, 20, 30), 4, time_step=3600.0)
    candidates = np.array([[24 * 5, 20, 30], [100, 20, 30], [24 * 60, 10, 30]])
    patterns = ["resample:freq=1D", "full-scan", "climatology"]
    scores = score(schema, candidates, patterns)
    n_chunks = [12, 15, 2]
    np.testing.assert_allclose(scores.chunks_touched, np.array(n_chunks)[:, None] * [1, 1, 1])
    np.testing.assert_allclose(scores.amplification, 1)
    methods = [[scores.method(i, j) for j in range(3)] for i in range(3)]
    # 5 whole days split no day; two months over 12 chunks are dense enough for map-reduce
    assert methods[0] == ["blockwise", None, "map-reduce"]
    assert methods[1][0] == "cohorts"  # 100 h chunks split days
    assert scores.groups_split[0, 0] == 0 and scores.groups_split[1, 0] > 0
    # the day-aligned layout has fewer chunks than 100 h, and no combine step: cheaper
    assert scores.seconds[0, 0] < scores.seconds[1, 0]
    assert scores.tasks[0, 0] == 12 and scores.tasks[1, 0] > 15
    assert set(FLOX_METHODS) >= {m for row in methods for m in row if m}


def test_seconds_follow_the_profile() -> None:
    schema = Schema(("time", "x"), (1000, 100), 4)
    candidates = np.array([[10, 100], [1000, 1]])
    slow = StorageProfile(name="slow", latency=1.0)
    fast = score(schema, candidates, ["map"]).seconds
    assert (score(schema, candidates, ["map"], slow).seconds > fast).all()
    # one map read: 1 chunk of 10 x 100 versus 100 chunks of 1000 x 1
    assert score(schema, candidates, ["map"]).seconds.argmin() == 0


def test_score_many_candidates_at_once() -> None:
    schema = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    rng = np.random.default_rng(0)
    candidates = np.column_stack([rng.integers(1, n + 1, 100_000) for n in schema.shape])
    scores = score(schema, candidates, ["point-series", "map", "ml-batch", "resample"])
    assert scores.seconds.shape == (100_000, 4)
    assert np.isfinite(scores.seconds).all() and (scores.amplification >= 1 - 1e-9).all()


def test_grouped_reductions_pay_for_long_big_blocks() -> None:
    """flox moves time last in each block; measured on the full year (one variable, 2 threads):
    daily resample of 744 x 121 x 161 blocks 1.39 s, of 8760 x 64 x 41 blocks 1.86 s."""
    year = Schema(
        ("time", "latitude", "longitude"),
        (8760, 121, 161),
        4,
        time_step=3600.0,
        time_start="2019-01-01T00:00:00",
    )
    blocks = np.array([[744, 121, 161], [8760, 64, 41]])
    resample, scan = score(year, blocks, ["resample", "full-scan"], StorageProfile()).seconds.T
    assert resample[0] < resample[1]
    assert scan[1] <= scan[0]  # a plain scan does not care: the grouped kernel does
    flat = StorageProfile(group_grid=())
    assert score(year, blocks, ["resample"], flat).seconds[1, 0] < resample[1]


# --- requests as the installed zarr makes them (advisor.plan.requests) ---


def _morton_codes(grid: tuple[int, ...]) -> dict[tuple[int, ...], int]:
    """Each inner chunk's position in a shard: zarr's Morton order, the first dim's bit lowest,
    a dim taking bits only while it has them (``zarr.core.indexing.decode_morton``)."""
    bits = [(g - 1).bit_length() for g in grid]
    codes = {}
    for coords in itertools.product(*(range(g) for g in grid)):
        code, position = 0, 0
        for bit in range(max(bits, default=0)):
            for d, b in enumerate(bits):
                if bit < b:
                    code |= ((coords[d] >> bit) & 1) << position
                    position += 1
        codes[coords] = code
    order = sorted(codes, key=codes.get)  # type: ignore[arg-type]
    return {c: i for i, c in enumerate(order)}


def _coalesce(offsets: list[int], size: int, max_gap: int, max_bytes: int) -> tuple[int, int]:
    """Brute force of zarr's coalesce_ranges: (merged ranges, bytes they span)."""
    groups: list[list[int]] = []
    for start in sorted(offsets):
        if (
            groups
            and start - groups[-1][1] <= max_gap
            and start + size - groups[-1][0] <= max_bytes
        ):
            groups[-1][1] = start + size
        else:
            groups.append([start, start + size])
    return len(groups), sum(end - start for start, end in groups)


def test_the_morton_oracle_is_zarrs() -> None:
    indexing = pytest.importorskip("zarr.core.indexing")
    for grid in ((8, 8, 8), (2, 8, 4), (7, 2, 3), (3, 5)):
        ours = sorted(_morton_codes(grid), key=_morton_codes(grid).get)  # type: ignore[arg-type]
        assert [tuple(int(x) for x in c) for c in indexing._morton_order(grid)] == ours


@pytest.mark.parametrize(
    ("grid", "box", "chunk", "max_gap", "exact"),
    [
        ((8, 8, 8), (1, 8, 8), 2048, 1 << 20, True),  # a map through small chunks: one range
        ((8, 8, 8), (8, 1, 1), 2048, 1 << 20, True),  # a point's series
        ((8, 8, 8), (2, 2, 2), 2048, 1 << 20, True),  # a patch
        ((8, 8, 8), (2, 2, 2), 2048, -1, True),  # nothing merges: one range per chunk
        ((4, 4, 4), (1, 4, 4), 4 << 20, 1 << 20, True),  # chunks above the gap: none merge
        ((7, 2, 3), (1, 2, 3), 884_000, 1 << 20, False),  # neighbours in Z-order merge
    ],
)
def test_coalesced_ranges_against_zarrs_rule(grid, box, chunk, max_gap, exact) -> None:
    from advisor.plan.cost.geometry import coalesced_ranges

    position = _morton_codes(grid)
    wanted = list(itertools.product(*(range(b) for b in box)))
    ranges, _ = _coalesce([position[c] * chunk for c in wanted], chunk, max_gap, 16 << 20)
    n = math.prod(grid)
    pieces, fetched = coalesced_ranges(
        np.array([len(wanted)]), np.array([n]), np.array([chunk]), max_gap, 16 << 20
    )
    if exact:
        assert pieces[0] == ranges
    else:  # the even-spread rule keeps apart neighbours zarr merges: never fewer ranges
        assert ranges <= pieces[0] <= len(wanted)
    assert len(wanted) * chunk <= fetched[0] <= n * chunk
    assert (fetched[0] > len(wanted) * chunk) == (pieces[0] < len(wanted))


def test_zarr_version_switches_sharded_requests_not_unsharded() -> None:
    from advisor.plan.profile import PRESETS
    from advisor.plan.requests import zarr_reads

    cube = Schema(("time", "latitude", "longitude"), (64, 64, 64), 4)
    remote = PRESETS["object-store"]
    old, new = zarr_reads("3.1.6", {}), zarr_reads("3.4.2", {})
    patterns = ["map", "point-series", "ml-batch:time=16,latitude=16,longitude=16,stride=8"]
    inner, shard = np.array([[8, 8, 8]]), np.array([[64, 64, 64]])
    before = score(cube, inner, patterns, remote, shards=shard, reads=old)
    after = score(cube, inner, patterns, remote, shards=shard, reads=new)
    assert before.requests[0].tolist() == [65, 9, 9]  # the index, then each inner chunk
    assert after.requests[0].tolist() == [2, 2, 2]  # the index, then one merged range
    assert (after.seconds < before.seconds).all()
    assert after.seconds[0, 0] < before.seconds[0, 0] / 10  # 2 round trips against 65
    # more bytes fetched (the gaps), never fewer: the map's range spans most of the shard
    assert after.terms[0, 0, 2] > before.terms[0, 0, 2]
    plain = [score(cube, inner, patterns, remote, reads=r).requests for r in (old, new)]
    assert (plain[0] == plain[1]).all() and plain[0][0].tolist() == [64, 8, 8]


def test_interactive_reads_are_capped_by_zarrs_concurrency() -> None:
    from advisor.plan.cost.scores import TERMS
    from advisor.plan.profile import PRESETS
    from advisor.plan.requests import zarr_reads

    s = Schema(("time", "latitude", "longitude"), (100, 64, 64), 4)
    remote = PRESETS["object-store"]  # 32 requests in flight: more than zarr's 10
    latency = TERMS.index("latency")
    rounds = [
        score(s, np.array([[10, 8, 8]]), ["map"], remote, reads=zarr_reads("3.1.6", config)).terms[
            0, 0, latency
        ]
        for config in ({}, {"async.concurrency": 64})
    ]
    assert rounds == [64 / 10, 64 / 32]  # 64 chunks: 10 at once, or the profile's 32
    dask = score(s, np.array([[10, 8, 8]]), ["full-scan"], remote).terms[0, 0, latency]
    assert dask == 640 / remote.threads  # a reduction: one Dask task (thread) per chunk
