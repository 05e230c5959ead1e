"""How big a benchmark run is: the scale, the sample it benchmarks, the codec sweep.

``ADVISOR_BENCH_SCALE`` is ``tiny`` (four days, for the tests), ``small`` (the
default: January and February) or ``full`` (one calendar year hourly, as in
the workflow); :data:`HOURS` gives the hours of each.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal, get_args

from advisor.plan.codecs import BLOSC_NAMES, SHUFFLES, CodecSpec

Scale = Literal["tiny", "small", "full"]
SCALES: tuple[Scale, ...] = get_args(Scale)

SCALE_ENV = "ADVISOR_BENCH_SCALE"
"""Environment variable choosing the scale; ``small`` when unset."""

HOURS: dict[Scale, int] = {"tiny": 96, "small": 1416, "full": 8760}
"""Hours of sample data per scale: four days, January and February 2019, the year 2019."""

YEAR, SEED = 2019, 0
DIMS = ("time", "latitude", "longitude")

SETUP_TIMEOUT: dict[Scale, float] = {"tiny": 300.0, "small": 1200.0, "full": 7200.0}
"""Seconds a suite's ``setup_cache`` may take to make the data it needs for the first time."""

CLEVELS = (1, 3, 5, 9)
"""Compression levels swept for every compressor that has levels."""

TINY_CLEVELS = (3,)
"""The one level the tiny scale sweeps (the default codec's)."""


def scale() -> Scale:
    """The scale in force: ``ADVISOR_BENCH_SCALE``, default ``small``.

    Examples
    --------
    >>> scale() in SCALES
    True
    """
    value = os.environ.get(SCALE_ENV, "").strip().lower() or "small"
    if value not in SCALES:
        raise ValueError(f"{SCALE_ENV}={value!r}: use one of {', '.join(SCALES)}")
    return value  # type: ignore[return-value]


def hours() -> int:
    """Hours of sample data at this scale."""
    return HOURS[scale()]


def setup_timeout() -> float:
    """:data:`SETUP_TIMEOUT` at this scale."""
    return SETUP_TIMEOUT[scale()]


def codec_grid(levels: Sequence[int] | None = None) -> list[str]:
    """Every codec of the sweep, as :class:`~advisor.plan.codecs.CodecSpec` strings.

    No compression; each Blosc compressor at each level with no, byte and bit
    shuffle; Zstd and Gzip at each level. The levels are :data:`CLEVELS`, or
    :data:`TINY_CLEVELS` at the tiny scale (a smoke run: every compressor and
    shuffle, one level; ``tests/test_codecs.py`` checks every level of the full
    sweep).

    Examples
    --------
    >>> grid = codec_grid(CLEVELS)
    >>> len(grid), grid[0], grid[1], grid[-1]
    (69, 'none', 'blosc:lz4:1:noshuffle', 'gzip:9')
    >>> len(codec_grid(TINY_CLEVELS))
    18
    """
    if levels is None:
        levels = TINY_CLEVELS if scale() == "tiny" else CLEVELS
    grid = [CodecSpec.parse("none")]
    grid += [
        CodecSpec("blosc", cname, level, shuffle)
        for cname in BLOSC_NAMES
        for level in levels
        for shuffle in SHUFFLES
    ]
    grid += [
        CodecSpec(family, None, level, None) for family in ("zstd", "gzip") for level in levels
    ]
    return [str(spec) for spec in grid]
