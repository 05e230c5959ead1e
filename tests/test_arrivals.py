"""Appends against brute force: a store simulated step by step, and the installed zarr's requests."""

from __future__ import annotations

import math

import numpy as np
import pytest
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from zarr.storage import MemoryStore

from advisor.plan.arrivals import (
    aligned_chunks,
    appends_per_day,
    blocks_written,
    cadence_steps,
    cycle_means,
    gets_made,
    steps_reread,
    units_encoded,
)
from advisor.plan.cost.appends import append_figures, cycle_sums
from advisor.plan.cost.rates import rates
from advisor.plan.cost.scores import score
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import parse_pattern
from advisor.plan.profile import PRESETS, StorageProfile
from advisor.plan.schema import Schema


def simulate(length: int, new: int, block: int, unit: int, sharded: bool) -> dict[str, int]:
    """One append, by zarr's rules written from its code, block by block (no closed form).

    A block the new steps cover from its start to its end, or to the array's new end, is
    complete; any other is fetched first (a shard always is). ``unit`` is the codec's time
    extent (the inner chunk; the block itself unsharded).
    """
    end = length + new
    out = dict.fromkeys(("blocks", "gets", "reread", "filled", "units", "decoded"), 0)
    for k in range(length // block, math.ceil(end / block)):
        start = k * block
        lo, hi = max(length, start), min(end, start + block)
        complete = lo == start and hi >= min(end, start + block)
        out["blocks"] += 1
        out["gets"] += 1 if sharded or not complete else 0
        held = max(0, min(length, start + block) - start)  # steps stored before
        out["reread"] += held
        out["filled"] += hi - start
    units = {i // unit for i in range(length, end)}
    out["units"] = len(units)
    out["decoded"] = sum(1 for u in units if u * unit < length)
    return out


@st.composite
def appends(draw):
    unit = draw(st.integers(1, 12))
    block = unit * draw(st.integers(1, 6))
    new = draw(st.integers(1, 3 * block))
    phase = draw(st.integers(0, block - 1))
    return new, block, unit, phase


@settings(max_examples=300, deadline=None)
@given(appends(), st.integers(0, 5))
def test_the_exact_arithmetic_is_the_simulation(case, blocks_before) -> None:
    new, block, unit, phase = case
    length = blocks_before * block + phase
    sim = simulate(length, new, block, unit, sharded=unit < block)
    assert blocks_written(length, new, block) == sim["blocks"]
    assert steps_reread(length, new, block) == sim["reread"]
    assert gets_made(length, new, block, sharded=unit < block) == sim["gets"]
    assert units_encoded(length, new, block, unit) == (sim["units"], sim["decoded"])
    assert sum(aligned_chunks(length, new, block)) == new


@settings(max_examples=300, deadline=None)
@given(appends())
def test_cycle_means_are_the_simulated_cycle(case) -> None:
    """The closed-form cycle means equal an append-by-append simulation over one whole cycle."""
    new, block, unit, phase = case
    cycle = block // math.gcd(new, block)  # appends until the residue comes back
    runs = [simulate(phase + i * new, new, block, unit, False) for i in range(cycle)]
    sharded = [simulate(phase + i * new, new, block, unit, True) for i in range(cycle)]
    mean = {key: np.mean([r[key] for r in runs]) for key in runs[0]}
    written, reread, partial, units, decoded = cycle_sums(
        new, np.array([block]), np.array([unit]), np.array([phase])
    )
    assert np.isclose(written[0], mean["blocks"])
    assert np.isclose(reread[0], mean["reread"])
    assert np.isclose(partial[0], mean["gets"])
    assert np.isclose(units[0], mean["units"])
    assert np.isclose(decoded[0], mean["decoded"])
    assert np.isclose(reread[0] + new, mean["filled"] - 0)  # filled = re-read + new
    assert np.isclose(written[0], np.mean([r["gets"] for r in sharded]))
    assert np.allclose(cycle_means(new, block, phase), (written[0], reread[0]))


@pytest.mark.parametrize(
    ("block", "steps", "amplification"),
    [
        (744, 1, 372.5),  # the issue's figure: one hour into month-long chunks, ~372x
        (8760, 1, 4380.5),  # ... into year-long chunks, ~4,380x
        (24, 24, 1.0),  # a day's chunk filled by each daily append: nothing re-read
        (48, 24, 1.5),  # two days: every other append rewrites yesterday's half
    ],
)
def test_write_amplification_of_the_issue(block: int, steps: int, amplification: float) -> None:
    s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    f = append_figures(s, np.array([[block, 121, 161]]), steps, StorageProfile())
    assert f.amplification[0] == pytest.approx(amplification)
    assert f.bytes_written[0] == pytest.approx(f.bytes_read[0] + f.stored_new[0])


class RecordingStore(MemoryStore):
    """A memory store that records each chunk GET (found or not) and PUT."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str]] = []

    async def get(self, key, prototype, byte_range=None):  # type: ignore[no-untyped-def]
        if "zarr.json" not in key:
            self.log.append(("get", key))
        return await super().get(key, prototype, byte_range)

    async def set(self, key, value):  # type: ignore[no-untyped-def]
        if "zarr.json" not in key:
            self.log.append(("set", key))
        await super().set(key, value)


@pytest.mark.parametrize(
    ("chunks", "shards", "steps", "phase"),
    [
        ((6, 5), None, 1, 0),  # hourly into 6-step chunks, 2 x 5 spatial chunks... per block
        ((6, 5), None, 4, 3),  # a cadence that does not divide the block
        ((6, 10), None, 6, 0),  # cadence-aligned: never a GET
        ((2, 5), (6, 10), 1, 2),  # shards: every shard written is fetched first
        ((3, 5), (6, 5), 5, 1),
    ],
)
def test_requests_are_the_installed_zarrs(chunks, shards, steps, phase) -> None:
    """Appending to a real zarr array: the chunk GETs and PUTs over one cycle are the model's."""
    block = (shards or chunks)[0]
    x = 10
    start = 2 * block + phase
    store = RecordingStore()
    array = zarr.create_array(
        store, shape=(start, x), chunks=chunks, shards=shards, dtype="f4", fill_value=np.nan
    )
    array[:] = np.random.default_rng(0).random((start, x), dtype="f4")
    store.log.clear()
    cycle = block // math.gcd(steps, block)
    length = start
    for _ in range(cycle):
        array.resize((length + steps, x))
        array[length:] = np.ones((steps, x), dtype="f4")
        length += steps
    schema = Schema(("time", "x"), (start, x), 4, time_step=3600.0)
    f = append_figures(
        schema,
        np.array([chunks]),
        steps,
        StorageProfile(),
        shards=None if shards is None else np.array([shards]),
        phase=phase,
    )
    gets = sum(1 for op, _ in store.log if op == "get")
    sets = sum(1 for op, _ in store.log if op == "set")
    assert gets / cycle == pytest.approx(f.gets[0])
    assert sets / cycle == pytest.approx(f.objects[0])  # metadata documents apart
    assert f.puts[0] == pytest.approx(f.objects[0] + 2)  # the array's and the group's zarr.json


def test_score_puts_the_append_beside_the_reads_and_keeps_the_rates_linear() -> None:
    s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4, time_step=3600.0)
    cands = np.array([[8760, 10, 10], [24, 121, 161]])
    for profile in (PRESETS["local"], PRESETS["object-store"]):
        scores = score(s, cands, ["point-series", "append"], profile)
        assert np.allclose(scores.seconds, scores.terms @ rates(profile))
        # the series' layout is the append's worst: every append rewrites every column
        assert scores.seconds[0, 1] > 10 * scores.seconds[1, 1]
        assert scores.amplification[:, 1].tolist() == pytest.approx([4380.5, 12.5])
        assert scores.shards_touched[:, 1].tolist() == [221.0, 1.0]
    slow_encode = PRESETS["local"].with_overrides(encode_speed=1e7)
    assert (
        score(s, cands, ["append"], slow_encode).seconds[1, 0]
        > 2 * score(s, cands, ["append"]).seconds[1, 0]
    )


@pytest.mark.parametrize(
    ("text", "step", "steps"),
    [
        ("append", 3600.0, 1),
        ("append:every=1D", 3600.0, 24),
        ("append:every=6h", 3600.0, 6),
        ("append:steps=3", 86400.0, 3),
        ("append:every=1W", 86400.0, 7),
        ("append:every=1D", 21600.0, 4),
    ],
)
def test_cadence_in_steps(text: str, step: float, steps: int) -> None:
    schema = Schema(("time", "x"), (1000, 4), 4, time_step=step)
    pattern = parse_pattern(text)
    assert pattern.append_steps(schema) == steps
    assert str(pattern) == text
    assert appends_per_day(steps, step) == pytest.approx(86400 / (steps * step))


@pytest.mark.parametrize(
    ("text", "step", "message"),
    [
        (
            "append:every=90min",
            3600.0,
            r"1\.5 time steps of 3600 s: give a cadence that is a whole",
        ),
        ("append", 86400.0, r"every='1h' is 0\.04167 time steps.*every=1D or steps=1"),
        ("append:every=1MS", 3600.0, "months, quarters and years vary in length"),
        ("append:every=daily", 3600.0, "unknown append every= frequency 'daily'"),
        ("append:every=1h,steps=2", 3600.0, "every= or steps=, not both"),
        ("append:steps=0", 3600.0, "whole number >= 1"),
        ("append:size=3", 3600.0, "unknown parameter 'size' for append: it takes every, steps"),
    ],
)
def test_bad_cadences_say_what_to_do(text: str, step: float, message: str) -> None:
    schema = Schema(("time", "x"), (1000, 4), 4, time_step=step)
    with pytest.raises(AdvisorError, match=message):
        parse_pattern(text).append_steps(schema)


def test_an_append_needs_time() -> None:
    with pytest.raises(AdvisorError, match="needs a time dimension"):
        parse_pattern("append").accesses(Schema(("y", "x"), (5, 4), 4))
    assert cadence_steps(None, 5, None) == 5
