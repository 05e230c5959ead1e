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
