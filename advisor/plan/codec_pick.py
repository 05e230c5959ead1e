"""The Pareto front of measured codecs and the pick: the least storage plus read time.

A :class:`CodecMeasure` is what ``advisor codecs`` measured for one codec on one
variable's sampled chunks. The pick prices each through the cost model itself: the
patterns' seconds (:func:`~advisor.plan.cost.scores.score`) under the profile with the
codec's ratio and decode speed in place of the profile's
(:meth:`~advisor.plan.profile.StorageProfile.with_overrides`), plus the stored bytes of the
variable at :data:`STORAGE_SECONDS_PER_GB`, plus writing the variable once (its bytes over
the codec's encode speed, on the profile's threads).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from advisor.plan.cost.scores import score
from advisor.plan.patterns import Pattern
from advisor.plan.profile import StorageProfile
from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

STORAGE_SECONDS_PER_GB = 10.0
"""What one stored gigabyte (1e9 bytes) weighs against the patterns' read seconds: keeping
a GB costs as much as ten seconds of reading by every pattern once."""

Binding = Literal["storage-bound", "read-bound"]
"""Which half of the objective the pick's cost is mostly made of."""


@dataclass(frozen=True, slots=True)
class CodecMeasure:
    """One codec measured on sampled chunks: ratio (decoded over stored bytes, with its
    confidence interval) and one-thread encode and decode speeds (decoded bytes per
    second, through zarr's codec pipeline)."""

    codec: str
    ratio: float
    ratio_low: float
    ratio_high: float
    encode_speed: float
    decode_speed: float
    chunks: int


@dataclass(frozen=True, slots=True)
class Priced:
    """A measured codec with its objective: read, storage and write seconds, their sum."""

    measure: CodecMeasure
    read_seconds: float
    storage_seconds: float
    write_seconds: float = 0.0

    @property
    def objective(self) -> float:
        return self.read_seconds + self.storage_seconds + self.write_seconds


def pareto(measures: Sequence[CodecMeasure]) -> list[str]:
    """The codecs no other beats on both ratio and decode speed (ties kept).

    Examples
    --------
    >>> m = [CodecMeasure("a", 3, 3, 3, 1, 1, 1), CodecMeasure("b", 2, 2, 2, 1, 2, 1),
    ...      CodecMeasure("c", 2, 2, 2, 1, 1, 1)]
    >>> pareto(m)
    ['a', 'b']
    """
    out = []
    for m in measures:
        beaten = any(
            o.ratio >= m.ratio
            and o.decode_speed >= m.decode_speed
            and (o.ratio > m.ratio or o.decode_speed > m.decode_speed)
            for o in measures
        )
        if not beaten:
            out.append(m.codec)
    return out


def price(
    measures: Sequence[CodecMeasure],
    schema: Schema,
    chunks: tuple[int, ...],
    patterns: Sequence[Pattern | str],
    profile: StorageProfile,
    storage_seconds_per_gb: float = STORAGE_SECONDS_PER_GB,
) -> list[Priced]:
    """Each measured codec priced for one variable of ``schema`` chunked as ``chunks``.

    Examples
    --------
    >>> s = Schema(("time", "y", "x"), (8760, 100, 100), 4, time_step=3600.0)
    >>> m = [CodecMeasure("fast", 2.0, 2, 2, 5e8, 2e9, 1), CodecMeasure("small", 4.0, 4, 4, 1e8, 2e8, 1)]
    >>> p = price(m, s, (24, 100, 100), ["map"], StorageProfile())
    >>> p[0].storage_seconds > p[1].storage_seconds
    True
    """
    nbytes = float(np.prod(schema.shape, dtype=np.float64)) * schema.itemsize
    out = []
    for m in measures:
        codec_profile = profile.with_overrides(
            compression_ratio=m.ratio, decode_speed=m.decode_speed, encode_speed=m.encode_speed
        )
        reads = score(schema, np.array([chunks]), patterns, codec_profile).seconds.sum()
        storage = nbytes / m.ratio / 1e9 * storage_seconds_per_gb
        write = nbytes / m.encode_speed / profile.threads
        out.append(Priced(m, float(reads), storage, write))
    return out


def pick(priced: Sequence[Priced]) -> Priced:
    """The priced codec of the least objective (ties: the faster decode), logged.

    Examples
    --------
    >>> m = CodecMeasure("a", 3, 3, 3, 1, 1, 1)
    >>> pick([Priced(m, 1.0, 2.0), Priced(m, 0.5, 1.0)]).objective
    1.5
    """
    best = min(priced, key=lambda p: (p.objective, -p.measure.decode_speed))
    binding: Binding = (
        "storage-bound" if best.storage_seconds >= best.read_seconds else "read-bound"
    )
    logger.debug(
        "codec pick %s (%s): %.3g s of reads + %.3g s of storage",
        best.measure.codec,
        binding,
        best.read_seconds,
        best.storage_seconds,
    )
    return best
