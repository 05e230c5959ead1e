"""Parquet codecs for tables: the candidates measured on a sample, and the pick. Pure.

:mod:`advisor.run.table_codec` writes a sample of the table once per candidate (in memory,
pyarrow, one thread) and reads it back; the pick is the codec whose bytes cost least to fetch
and decode under the storage profile: per decoded byte, ``1 / (ratio x bandwidth) + 1 /
decode_speed`` (a slow disk or an object store favours the ratio, a fast one the speed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import StorageProfile

logger = logging.getLogger(__name__)

PARQUET_CODECS: tuple[tuple[str, int | None], ...] = (
    ("zstd", 1),
    ("zstd", 3),
    ("zstd", 9),
    ("snappy", None),
    ("lz4", None),
    ("gzip", 6),
)
"""The codecs measured: Parquet's zstd at three levels, snappy (pandas' default), lz4, gzip."""


@dataclass(frozen=True, slots=True)
class ParquetCodecMeasure:
    """One codec on the sample: decoded (Arrow) bytes over stored bytes, speeds in decoded
    bytes per second on one thread, and each column's ratio (memory bytes as the cost model
    counts them over the column's stored bytes)."""

    compression: str
    level: int | None
    ratio: float
    encode_speed: float
    decode_speed: float
    column_ratios: Mapping[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``zstd:3``, ``snappy``.

        >>> ParquetCodecMeasure("zstd", 3, 2.0, 1e8, 1e9).label
        'zstd:3'
        """
        return self.compression + (f":{self.level}" if self.level is not None else "")


def read_seconds_per_byte(measure: ParquetCodecMeasure, profile: StorageProfile) -> float:
    """Seconds to fetch and decode one decoded byte under ``profile``."""
    return 1.0 / (measure.ratio * profile.bandwidth) + 1.0 / measure.decode_speed


def pick_codec(
    measures: Sequence[ParquetCodecMeasure], profile: StorageProfile
) -> ParquetCodecMeasure:
    """The measured codec cheapest to read under ``profile``.

    Examples
    --------
    >>> fast = ParquetCodecMeasure("snappy", None, 1.2, 5e8, 2e9)
    >>> small = ParquetCodecMeasure("zstd", 9, 3.0, 2e7, 8e8)
    >>> pick_codec([fast, small], StorageProfile()).label
    'snappy'
    >>> pick_codec([fast, small], StorageProfile.preset("object-store")).label
    'zstd:9'
    """
    if not measures:
        raise AdvisorError("no Parquet codec could be measured on the sample")
    best = min(measures, key=lambda m: read_seconds_per_byte(m, profile))
    logger.debug("choosing codec %r for the table (profile %s)", best.label, profile.name)
    return best
