"""``advisor validate``: rank correlation against an oracle, the plan's layouts, and a real run
on a tiny sample that measures every layout and pattern it lists."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.plan.errors import AdvisorError
from advisor.plan.schema import Schema
from advisor.plan.validation import parse_layout, plan_validation, ranks, spearman
from tests.conftest import assert_one_line_error, run_cli

YEAR = Schema(
    ("time", "latitude", "longitude"),
    (8760, 121, 161),
    4,
    time_step=3600.0,
    time_start="2019-01-01T00:00:00",
    chunks=(744, 121, 161),
    variables=("cape",),
)


def oracle_spearman(a: list[float], b: list[float]) -> float:
    """Pearson's r of mid-ranks, each rank counted element by element."""

    def mid_ranks(x: list[float]) -> list[float]:
        return [1 + sum(y < v for y in x) + (sum(y == v for y in x) - 1) / 2 for v in x]

    ra, rb = mid_ranks(a), mid_ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / math.sqrt(va * vb)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=3, max_size=30).filter(
        lambda pairs: len({a for a, _ in pairs}) > 1 and len({b for _, b in pairs}) > 1
    )
)
def test_spearman_matches_the_oracle_with_ties(pairs: list[tuple[int, int]]) -> None:
    a, b = [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
    assert spearman(np.array(a), np.array(b)) == pytest.approx(oracle_spearman(a, b), abs=1e-9)


def test_spearman_edges() -> None:
    assert ranks(np.array([3.0, 1.0, 2.0])).tolist() == [3.0, 1.0, 2.0]
    assert spearman(np.arange(5), np.arange(5) ** 3) == 1.0  # monotone: perfect agreement
    assert spearman(np.arange(5), -np.arange(5)) == -1.0
    assert math.isnan(spearman(np.ones(4), np.arange(4)))  # a constant side has no ranking


def test_plan_lists_the_usual_layouts_and_a_spread() -> None:
    patterns = ["point-series", "map", "ml-batch"]
    plan = plan_validation(YEAR, patterns, top=3, spread=6)
    labels = " | ".join(layout.label for layout in plan.layouts)
    for expected in ("recommended", "top 2", "current", "dask auto", "zarr guess", "workflow"):
        assert expected in labels
    for j, pattern in enumerate(patterns):
        assert f"best for {pattern}" in plan.layouts[plan.picks[j]].label
    assert "beyond the band" in labels  # ML patches want small chunks: measured too
    assert plan.layouts[plan.pick].label.startswith("recommended")
    assert sum(layout.label == "spread" for layout in plan.layouts) == 6
    shapes = [(layout.chunks, layout.shards) for layout in plan.layouts]
    assert len(set(shapes)) == len(shapes)  # one copy per distinct layout
    assert plan.predicted.shape == (len(plan.layouts), 3) and (plan.predicted > 0).all()
    for layout in plan.layouts:
        assert layout.in_band == (10e6 <= layout.chunk_bytes <= 100e6)


def test_parse_layout() -> None:
    assert parse_layout("latitude=16,longitude=16", YEAR) == (8760, 16, 16)
    assert parse_layout("99999x1x1", YEAR) == (8760, 1, 1)  # clipped to the shape
    for bad, message in [
        ("time=a", "cannot read"),
        ("depth=3", "not a dimension"),
        ("24x121", "needs 3 positive lengths"),
        ("0x1x1", "needs 3 positive lengths"),
        ("time=24,time=48", "names time twice"),  # one key=value parser: a repeat is refused
    ]:
        with pytest.raises(AdvisorError, match=message):
            parse_layout(bad, YEAR)


def test_validate_measures_every_layout_and_pattern(
    sample_store: Path, dask_processes: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patterns = ["point-series", "map", "ml-batch:time=8,latitude=16,longitude=16", "resample"]
    args = ["validate", str(sample_store), "--hours", "48", "--top", "1", "--spread", "2"]
    args += ["--repeats", "2", "--min-size", "100kB", "--max-size", "1MB"]
    args += ["--layout", "time=48,latitude=8,longitude=8", "--workdir", str(tmp_path / "w")]
    args += [f"--pattern={p}" for p in patterns]
    code, out, err = run_cli([*args, "--scheduler", dask_processes, "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["patterns"] == patterns
    assert data["shape"] == {"time": 48, "latitude": 121, "longitude": 161}
    labels = [layout["label"] for layout in data["layouts"]]
    assert "yours" in labels and any(label.startswith("recommended") for label in labels)
    for layout in data["layouts"]:
        for pattern in patterns:
            assert layout["measured"][pattern] > 0 and math.isfinite(layout["measured"][pattern])
            assert layout["predicted"][pattern] > 0
        assert layout["stored_bytes"] > 0
    for pattern in patterns:
        assert sorted(data["ranking"][pattern]) == sorted(labels)
        assert data["pick"][pattern]["vs_best"] >= 1
    assert set(data["spearman"]) == set(patterns)
    # two rounds of each pattern: the first ranked against the second (reductions: one round)
    retest = data["retest"]
    assert set(retest) == set(patterns) and retest["resample"] is None
    assert all(-1 <= retest[p] <= 1 for p in patterns[:3])
    assert len(list((tmp_path / "w").glob("layout-*.zarr"))) == len(labels)  # kept copies


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layout", "time=x"], "cannot read --layout"),
        (["--layout", "time=24,time=48"], "names time twice"),  # not the last one silently
        (["--variable", "t2m"], "not one of the data variables"),
        (["--hours", "0"], "at least 1 time step"),
        (["--repeats", "0"], "at least 1"),
        (["-p", "maps"], "unknown pattern"),
        (["--workdir", "{full}"], "is not empty"),
    ],
)
def test_validate_bad_input(
    sample_store: Path,
    tmp_path: Path,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("taken")
    args = [a.format(full=full) for a in args]
    code, out, err = run_cli(
        ["validate", str(sample_store), *args, "--scheduler", "tcp://127.0.0.1:1"], capsys
    )
    assert_one_line_error(code, err)
    assert message in err and out == ""
    assert (full / "x").read_text() == "taken"


@pytest.mark.slow
def test_validate_from_python_on_a_given_client(sample_store: Path, local_client) -> None:
    from advisor.api.validate import validate

    result = validate(
        sample_store,
        ["map"],
        top=0,
        spread=0,
        layouts=[(24, 16, 16), "24x121x161"],  # lengths or the --layout text
        hours=24,
        repeats=1,
        min_size="100kB",
        max_size="1MB",
        client=local_client,
    )
    layouts = result.plan.layouts
    assert {(24, 16, 16), (24, 121, 161)} <= {layout.chunks for layout in layouts}
    assert result.measured.shape == (len(layouts), 1) and (result.measured > 0).all()
    assert result.sample.endswith("blh, the first 24 of 240 time steps")  # the first variable
