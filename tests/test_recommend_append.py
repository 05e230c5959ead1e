"""The append pattern in the recommendation: weighed like a read, its strategy, its output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import parse_pattern
from advisor.plan.policy.appends import DAYS_PER_YEAR, choose_strategy
from advisor.plan.policy.recommend import recommend
from advisor.plan.profile import PRESETS
from advisor.plan.schema import Schema
from advisor.plan.validation import plan_validation
from advisor.run.workloads import draw_accesses
from tests.conftest import assert_one_line_error, run_cli

YEAR = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
SHAPE = ["--shape", "time=8760,latitude=121,longitude=161", "--time-step", "1h"]


def test_the_append_is_priced_per_append_day_and_year() -> None:
    rec = recommend(YEAR, ["point-series", "map", "append:every=1h"])
    (advice,) = rec.appends
    block = rec.pick.chunks[0]
    assert advice.steps == 1 and advice.appends_per_day == 24
    # the storage model of one hourly append, from the chunk shape alone
    assert advice.pick.block == block
    assert advice.pick.amplification == pytest.approx((block - 1) / 2 + 1)
    assert advice.pick.bytes_written == pytest.approx(advice.pick.bytes_read + 121 * 161 * 4 / 1.5)
    year = advice.per(DAYS_PER_YEAR)
    assert year["appends"] == 8760
    assert year["bytes_written"] == pytest.approx(8760 * advice.pick.bytes_written)
    data = rec.to_dict()["appends"][0]
    assert data["strategy"] == advice.strategy
    assert data["per_day"]["seconds"] == pytest.approx(24 * advice.pick.seconds)
    assert json.loads(json.dumps(data))["per_append"]["chunks"] == list(rec.pick.chunks)


def test_read_only_lists_carry_no_append_advice() -> None:
    rec = recommend(YEAR, ["point-series", "map"])
    assert rec.appends == () and "appends" not in rec.to_dict()


def test_the_weight_trades_the_reads_against_the_appends() -> None:
    """The more the appends weigh, the less each rewrites (the pick's time block shrinks)."""
    amplification = []
    for weight in (0.01, 1, 100):
        rec = recommend(YEAR, ["point-series", f"append@{weight}"])
        amplification.append(rec.appends[0].pick.amplification)
    assert amplification[0] > amplification[1] > amplification[2]
    assert amplification[2] < amplification[0] / 10  # a heavy append wins short time blocks
    assert amplification[0] > 1000  # a light one leaves the series' long blocks


def test_daily_appends_into_blocks_of_days_are_cadence_aligned() -> None:
    rec = recommend(YEAR, ["map", "append:every=1D@4"])
    (advice,) = rec.appends
    assert advice.strategy == "cadence-aligned"
    assert advice.pick.amplification <= 5
    assert advice.strategy_per_year == advice.in_place_per_year


def test_long_blocks_take_arrivals_in_a_write_hot_store() -> None:
    rec = recommend(YEAR, ["point-series", "map", "append"])
    (advice,) = rec.appends
    assert advice.pick.amplification > 100
    assert advice.strategy == "write-hot-then-compact"
    assert advice.hot is not None and advice.compaction is not None
    assert advice.hot.amplification == pytest.approx(1.0)  # a block of one cadence
    assert advice.compaction.block == rec.pick.chunks[0]  # once per block of the pick
    assert advice.compactions_per_year == pytest.approx(8760 / rec.pick.chunks[0])
    assert advice.strategy_per_year * 2 <= advice.in_place_per_year


def test_two_copies_give_the_arrivals_to_the_appends_copy() -> None:
    rec = recommend(YEAR, ["point-series@50", "map", "append"])
    assert rec.two_copies is not None
    (advice,) = rec.appends
    assert advice.strategy == "two-copies"
    copy = next(c for c in rec.two_copies.copies if "append" in c.patterns)
    assert advice.hot is not None and advice.hot.chunks == copy.layout.chunks


@pytest.mark.parametrize(
    ("amplification", "in_place", "compacted", "two", "expected"),
    [
        (1.0, 1.0, 9.0, False, "cadence-aligned"),  # no re-read at all
        (5.0, 9.0, 1.0, False, "cadence-aligned"),  # up to 9 cadences a block
        (65.0, 10.0, 6.0, False, "rewrite-trailing"),  # compaction saves less than half
        (65.0, 10.0, 5.0, False, "write-hot-then-compact"),
        (1.0, 1.0, 1.0, True, "two-copies"),
    ],
)
def test_choose_strategy(amplification, in_place, compacted, two, expected) -> None:
    assert choose_strategy(amplification, in_place, compacted, two) == expected


def test_sharded_picks_price_the_shard_as_the_block() -> None:
    rec = recommend(YEAR, ["map", "append"], shards=True)
    (advice,) = rec.appends
    t = 0
    assert advice.pick.block == (rec.pick.shards or rec.pick.chunks)[t]


def test_table_and_json_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["recommend", *SHAPE, "-p", "point-series", "-p", "map", "-p", "append:every=1h"], capsys
    )
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("append strategy"))
    assert "append:every=1h (1 step):" in line
    code, out, err = run_cli(["recommend", *SHAPE, "-p", "append:every=1D", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["appends"][0]["steps"] == 24
    assert data["patterns"][0]["name"] == "append:every=1D"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("append:every=90min", "1.5 time steps of 3600 s"),
        ("append:every=1ME", "months, quarters and years vary"),
        ("append:every=1h,steps=2", "not both"),
    ],
)
def test_bad_cadences_are_one_line(
    pattern: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["recommend", *SHAPE, "-p", pattern], capsys)
    assert_one_line_error(code, err)
    assert message in err and out == ""


def test_validate_refuses_an_append_before_writing(tmp_path: Path) -> None:
    with pytest.raises(AdvisorError, match="validate does not measure appends yet"):
        plan_validation(YEAR, ["map", "append"])
    with pytest.raises(AdvisorError, match="validate does not measure appends yet"):
        draw_accesses(parse_pattern("append"), YEAR, 1)


def test_a_store_phase_moves_the_cycle(tmp_path: Path) -> None:
    """The store's length sets the phase: a daily append into daily chunks of a store ending
    at midnight writes one new chunk, into one ending at noon two (and re-reads 12 hours)."""
    from advisor.plan.cost.appends import append_figures
    from advisor.plan.profile import StorageProfile
    from advisor.store.metadata import load_schema

    for hours, blocks, reread in ((48, 1.0, 0.0), (36, 2.0, 12.0)):
        path = tmp_path / f"h{hours}.zarr"
        time = np.arange(hours).astype("datetime64[h]")
        ds = xr.Dataset(
            {"t2m": (("time", "x"), np.zeros((hours, 8), dtype="f4"))}, coords={"time": time}
        )
        ds.to_zarr(path, encoding={"t2m": {"chunks": (24, 8)}})
        schema = load_schema(str(path))
        figures = append_figures(schema, np.array([[24, 8]]), 24, StorageProfile())
        assert figures.time_blocks[0] == blocks
        assert figures.bytes_read[0] == pytest.approx(reread * 8 * 4 / 1.5)


def test_an_appends_requests_are_billed_as_gets_and_puts() -> None:
    rec = recommend(YEAR, ["map", "append"], profile=PRESETS["object-store"])
    assert rec.request_costs is not None
    billed = {p.name: p for p in rec.request_costs.patterns}
    pick = rec.appends[0].pick
    assert billed["append"].get_cost == pytest.approx(
        (pick.gets * 0.0004 + pick.puts * 0.005) / 1000
    )
    assert billed["map"].get_cost == pytest.approx(billed["map"].requests * 0.0004 / 1000)
    assert pick.puts > pick.objects  # the metadata documents too
