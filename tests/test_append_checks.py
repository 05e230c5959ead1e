"""The append's pure checks: every refusal is one line naming what drifted, and the plan's
aligned chunks and blocks agree with a brute-force count of the stored blocks touched."""

from __future__ import annotations

import dataclasses

import pytest

from advisor.plan.append_checks import Layout, VarLayout, check_times, plan_append
from advisor.plan.errors import AdvisorError

H = 3600 * 10**9


def _var(**kw: object) -> VarLayout:
    base = {
        "name": "t2m",
        "dims": ("time", "y", "x"),
        "dtype": "float32",
        "chunks": (4, 2, 3),
        "shards": None,
        "codec": "zstd",
    }
    return VarLayout(**{**base, **kw})  # type: ignore[arg-type]


def _layout(times: range, *, var: VarLayout | None = None, y: int = 2) -> Layout:
    return Layout(
        "time",
        (("time", len(times)), ("y", y), ("x", 3)),
        (var or _var(),),
        tuple(t * H for t in times),
    )


STORE = _layout(range(10))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (_layout(range(10, 12), y=3), "y=3, the store y=2"),  # a non-time size drifted
        (_layout(range(10, 12), var=_var(dtype="float64")), "is float64"),
        (_layout(range(10, 12), var=_var(name="u10")), "variables differ"),
        (_layout(range(10, 12), var=_var(dims=("time", "x", "y"))), "has dims"),
        (_layout(range(10, 12), var=_var(chunks=(8, 2, 3))), "has chunks (8, 2, 3)"),
        (_layout(range(10, 12), var=_var(shards=(8, 2, 3))), "has shards"),
        (_layout(range(10, 12), var=_var(codec="gzip")), "has codec gzip"),
        (_layout(range(8, 12)), "2 step(s) overlap"),  # overlaps the store's end
        (_layout(range(9, 10)), "1 step(s) overlap"),
        (_layout(range(12, 14)), "2 step(s) after the store's last"),  # a gap
        (_layout(range(10, 20, 2)), "step is 2 h, the store's 1 h"),  # another step
    ],
)
def test_each_drift_and_bad_time_is_refused_in_one_line(source: Layout, message: str) -> None:
    with pytest.raises(AdvisorError) as info:
        plan_append(STORE, source)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_times_that_go_backwards_are_refused() -> None:
    with pytest.raises(AdvisorError, match="go backwards or repeat"):
        check_times([0, H], [3 * H, 2 * H])
    with pytest.raises(AdvisorError, match="go backwards or repeat"):
        check_times([0, H], [2 * H, 2 * H])


def test_a_gap_is_allowed_when_asked_and_counted() -> None:
    plan = plan_append(STORE, _layout(range(13, 15)), allow_gap=True)
    assert plan.gap_steps == 3 and plan.new == 2
    with pytest.raises(AdvisorError, match="off the store's step"):
        check_times([0, H], [int(2.5 * H)], allow_gap=True)


def test_a_source_without_a_zarr_layout_or_with_relayout_is_written_in_the_stores() -> None:
    files = _layout(range(10, 12), var=_var(chunks=None, codec=None))
    assert plan_append(STORE, files).new == 2
    other = _layout(range(10, 12), var=_var(chunks=(1, 1, 1), codec="gzip"))
    assert plan_append(STORE, other, relayout=True).chunks_of("t2m") == (2,)


@pytest.mark.parametrize("length", [1, 3, 4, 7, 10])
@pytest.mark.parametrize("new", [1, 2, 5, 9])
@pytest.mark.parametrize("shards", [None, (8, 2, 3)])
def test_the_plan_touches_exactly_the_blocks_a_brute_force_count_finds(
    length: int, new: int, shards: tuple[int, ...] | None
) -> None:
    var = _var(shards=shards)
    plan = plan_append(
        _layout(range(length), var=var), _layout(range(length, length + new), var=var)
    )
    block = (shards or var.chunks or (0,))[0]
    ((name, got_block, chunks, written),) = plan.blocks
    assert (name, got_block) == ("t2m", block)
    assert sum(chunks) == new
    touched = {t // block for t in range(length, length + new)}
    assert written == len(touched)
    # each Dask chunk lies within one stored block, and no two chunks share one
    starts = [length + sum(chunks[:i]) for i in range(len(chunks))]
    owners = [{t // block for t in range(s, s + c)} for s, c in zip(starts, chunks, strict=True)]
    assert all(len(o) == 1 for o in owners)
    assert len(set().union(*owners)) == len(owners)


def test_the_plan_reads_as_rows_and_json() -> None:
    plan = plan_append(STORE, _layout(range(10, 13)))
    assert dict(plan.rows())["steps to append"].startswith("3 (1970-01-01T10:00:00")
    assert plan.to_dict()["blocks"]["t2m"] == {"block": 4, "chunks": [2, 1], "written": 2}
    assert dataclasses.replace(plan, gap_steps=2).rows()[2][0] == "gap"
