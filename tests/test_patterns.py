"""Parsing access patterns, their per-dim access model and their calendar groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import parse_freq
from advisor.plan.patterns import KINDS, DimAccess, Pattern, parse_pattern
from advisor.plan.schema import Schema

YEAR = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_parses_and_prints_back(kind: str) -> None:
    pattern = parse_pattern(kind)
    assert pattern == Pattern(kind)  # type: ignore[arg-type]
    assert str(pattern) == kind
    assert len(pattern.accesses(YEAR)) == 3


def test_parse_parameters_and_weight() -> None:
    pattern = parse_pattern("ml-batch:time=32,latitude=16,longitude=16,overlap=8@2.5")
    assert pattern.weight == 2.5
    assert pattern.get("overlap") == 8
    assert str(pattern) == "ml-batch:time=32,latitude=16,longitude=16,overlap=8"
    assert parse_pattern("resample:freq=6h").get("freq") == "6h"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mapp", "unknown pattern 'mapp': use one of point-series, region-series, map"),
        ("map:size=3", "unknown parameter 'size' for map: it takes steps"),
        ("full-scan:steps=3", "unknown parameter 'steps' for full-scan: it takes no parameters"),
        ("point-series:window=ten", "not a whole number"),
        ("point-series:window=0", "whole number >= 1"),
        ("ml-batch:overlap=-1", "not a whole number|>= 0"),
        ("map:steps=2,steps=3", "names steps twice"),
        ("map:steps", "malformed parameter"),
        ("map@", "not a number"),
        ("map@0", "must be positive"),
        ("map@-1", "must be positive"),
        ("map@x", "not a number"),
        ("resample:freq=daily", "unknown frequency"),
        ("climatology:by=year", "by=month or by=season"),
    ],
)
def test_parse_pattern_errors_say_what_to_do(text: str, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        parse_pattern(text)


def test_per_dim_parameters_are_checked_against_the_schema() -> None:
    with pytest.raises(AdvisorError, match=r"no parameter or dimension 'depth'.*stride, overlap"):
        parse_pattern("ml-batch:depth=4").accesses(YEAR)
    # dims by name or by role
    named = Schema(("valid_time", "y", "x"), (100, 50, 60), 4)
    assert [a.length for a in parse_pattern("ml-batch:y=8,time=10").accesses(named)] == [10, 8, 16]


def test_time_patterns_need_a_time_dim() -> None:
    flat = Schema(("y", "x"), (50, 60), 4)
    with pytest.raises(AdvisorError, match=r"needs a time dimension.*--dims time=NAME"):
        parse_pattern("point-series").accesses(flat)
    assert parse_pattern("map").accesses(flat) == (DimAccess(50, 1, 1), DimAccess(60, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (length, stride, count) per dim: time, latitude, longitude
        ("point-series", [(8760, 1, 1), (1, 1, 121), (1, 1, 161)]),
        ("point-series:window=720", [(720, 1, 8041), (1, 1, 121), (1, 1, 161)]),
        ("region-series", [(8760, 1, 1), (16, 1, 106), (16, 1, 146)]),
        ("region-series:size=4,longitude=200", [(8760, 1, 1), (4, 1, 118), (161, 1, 1)]),
        ("map:steps=24", [(24, 1, 8737), (121, 1, 1), (161, 1, 1)]),
        ("ml-batch", [(32, 32, 273), (16, 16, 7), (16, 16, 10)]),
        ("ml-batch:overlap=8", [(32, 24, 364), (16, 8, 14), (16, 8, 19)]),
        ("ml-batch:stride=1", [(32, 1, 8729), (16, 1, 106), (16, 1, 146)]),
        ("resample", [(8760, 1, 1), (121, 1, 1), (161, 1, 1)]),
    ],
)
def test_accesses(text: str, expected: list[tuple[int, int, int]]) -> None:
    assert [tuple(a) for a in parse_pattern(text).accesses(YEAR)] == expected


def test_map_reads_one_level_and_member_of_a_4d_array() -> None:
    s = Schema(("time", "member", "level", "lat", "lon"), (10, 5, 37, 20, 30), 4)
    assert [tuple(a) for a in parse_pattern("map").accesses(s)] == [
        (1, 1, 10),
        (1, 1, 5),
        (1, 1, 37),
        (20, 1, 1),
        (30, 1, 1),
    ]


@pytest.mark.parametrize(
    "freq",
    [
        *("1D", "6h", "3D", "1W", "2W", "1MS", "ME", "2ME", "QS", "2QS", "2QE", "YS", "2MS"),
        *("90min", "3600s", "2YE", "W-MON", "2W-MON", "W-WED", "3W-SAT", "2W-SUN"),
        # pandas' older spellings, compared with what pandas 3 calls them
        *("M", "2M", "Q", "Y", "A", "2AS", "6H", "30T", "w-fri"),
    ],
)
@pytest.mark.parametrize(
    "start", ["2019-01-01T00:00", "2020-02-27T07:00", "2019-01-06T00:00", "2019-01-07T23:00"]
)
def test_resample_groups_match_pandas(freq: str, start: str) -> None:
    """The pattern's groups are pandas' own resample groups (starts on a Sunday, a Monday)."""
    n = 24 * 800
    s = Schema(("time",), (n,), 4, time_step=3600.0, time_start=start)
    times = pd.date_range(start, periods=n, freq="h")
    grouper = pd.Grouper(freq=parse_freq(freq).pandas)
    expected = pd.Series(np.arange(n), index=times).groupby(grouper).ngroup()
    expected = expected.to_numpy()
    expected = np.unique(expected, return_inverse=True)[1]
    np.testing.assert_array_equal(Pattern("resample", (("freq", freq),)).groups(s), expected)


@pytest.mark.parametrize("freq", ["2W-MON", "1D", "6h", "1MS", "QE", "YS", "M", "A", "H"])
def test_one_frequency_parser_for_patterns_and_resample(freq: str) -> None:
    """``resample:freq=2W-MON`` and ``--resample 2W-MON`` accept the same frequencies."""
    assert parse_pattern(f"resample:freq={freq}").get("freq") == freq
    pandas = parse_freq(freq, "--resample").pandas
    assert pd.tseries.frequencies.to_offset(pandas) is not None  # pandas 3 takes the alias


@pytest.mark.parametrize("freq", ["1X", "daily", "0D", "W-XYZ", "MS-MON", "", "1.5D"])
def test_unknown_frequencies_are_refused_in_both_places(freq: str) -> None:
    with pytest.raises(AdvisorError, match="unknown --resample frequency"):
        parse_freq(freq, "--resample")
    with pytest.raises(AdvisorError, match="unknown frequency"):
        parse_pattern(f"resample:freq={freq}") if freq else Pattern("resample", (("freq", ""),))


@pytest.mark.parametrize("by", ["month", "season"])
def test_climatology_groups_match_pandas(by: str) -> None:
    n = 24 * 800
    s = Schema(("time",), (n,), 4, time_step=3600.0, time_start="2019-11-15")
    times = pd.date_range("2019-11-15", periods=n, freq="h")
    key = times.month if by == "month" else times.month % 12 // 3
    expected = np.unique(key, return_inverse=True)[1]
    np.testing.assert_array_equal(Pattern("climatology", (("by", by),)).groups(s), expected)


def test_an_append_lands_at_the_cadence_a_full_field() -> None:
    """What an append writes, as an access: the new steps (every=, or steps=) and every point."""
    assert parse_pattern("append:every=6h").accesses(YEAR) == (
        DimAccess(6, 6, 1460),
        DimAccess(121, 1, 1),
        DimAccess(161, 1, 1),
    )
    assert parse_pattern("append:steps=24@0.5").weight == 0.5
    daily = Schema(("time", "latitude", "longitude"), (365, 121, 161), 4, time_step=86400.0)
    assert parse_pattern("append:every=1W").accesses(daily)[0] == DimAccess(7, 7, 52)
    with pytest.raises(AdvisorError, match="whole number of steps"):
        parse_pattern("append").accesses(daily)  # the default cadence, 1h, is not a day
