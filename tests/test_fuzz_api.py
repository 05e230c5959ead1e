"""Fuzz the Python API with bad values: every public function returns or raises AdvisorError,
never a bare KeyError, ZeroDivisionError, IndexError, ValueError, TypeError or OverflowError
(issue #16). Deterministic; the plain data go through the same parsers the CLI uses."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import advisor
from advisor.plan import parse
from advisor.plan.codecs import CodecSpec
from advisor.plan.patterns import parse_pattern
from advisor.plan.schema import Schema
from tests.fuzz_strategies import hostile, patterns

API = settings(derandomize=True, database=None, deadline=None, max_examples=40)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**62, math.nan, math.inf]),
)


def _calls(fn, *args, **kwargs) -> None:
    """``fn`` returns, or refuses with AdvisorError; anything else fails the test."""
    try:
        fn(*args, **kwargs)
    except advisor.AdvisorError as exc:
        assert str(exc) and "\n" not in str(exc).strip()


PARSERS = [
    parse.parse_shape,
    parse.parse_dims_map,
    parse.parse_dtype,
    parse.parse_size,
    parse.parse_duration,
    parse.parse_freq,
    parse.parse_start,
    parse_pattern,
    CodecSpec.parse,
]


@API
@given(text=hostile, which=st.sampled_from(range(len(PARSERS))))
# found by this test: numpy read it as a struct format and raised a bare ValueError
@example(text="full-scan:weight=1,weight=2", which=PARSERS.index(parse.parse_dtype))
def test_every_parser_returns_or_refuses(text: str, which: int) -> None:
    _calls(PARSERS[which], text)


@API
@given(
    sizes=st.lists(numbers, min_size=1, max_size=4),
    itemsize=numbers,
    pattern=st.lists(patterns, max_size=3),
    band=st.tuples(numbers | hostile, numbers | hostile),
)
# found by this test: a NaN or an infinite size reached int() (ValueError, OverflowError)
@example(sizes=[math.nan], itemsize=4, pattern=[], band=(1, 2))
@example(sizes=[10], itemsize=math.inf, pattern=[], band=(1, 2))
def test_recommend_on_a_bad_schema_returns_or_refuses(
    sizes: list, itemsize: object, pattern: list[str], band: tuple
) -> None:
    dims = tuple(f"d{i}" for i in range(len(sizes)))
    try:
        schema = Schema(dims, tuple(sizes), itemsize)  # type: ignore[arg-type]
    except advisor.AdvisorError:
        return
    _calls(advisor.recommend, schema, pattern or ["map"], min_size=band[0], max_size=band[1])


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (advisor.apply, {"sources": "", "outs": ""}),
        (
            advisor.apply,
            {"sources": "nope", "outs": "x.zarr", "chunks": "time=-1", "dry_run": True},
        ),
        (advisor.apply, {"sources": [], "outs": []}),
        (advisor.append, {"sources": [], "to": ""}),
        (advisor.validate, {"source": "nope", "patterns": ["map:steps=-1"]}),
        (advisor.calibrate, {"repeats": -1, "save": False}),
    ],
)
def test_the_computing_functions_refuse_bad_values(fn, kwargs: dict, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(advisor.AdvisorError):
        fn(**kwargs)
