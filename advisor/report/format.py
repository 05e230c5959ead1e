"""The report's numbers as plain text: sizes, speeds, ratios, benchmark values, chunk shapes.

Seconds and sizes come from :mod:`advisor.plan.units` (the project's one
formatter of each); here they only gain the report's dash for a value that was
not measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from advisor.plan.units import format_seconds, human_readable_size

NOT_MEASURED = "—"
"""What a cell shows for a value that is missing, failed or not finite."""


def fmt_bytes(value: float | None) -> str:
    """Bytes in decimal units, or a dash.

    Examples
    --------
    >>> fmt_bytes(1_513_260), fmt_bytes(None)
    ('1.51 MB', '—')
    """
    if value is None or not math.isfinite(value):
        return NOT_MEASURED
    return human_readable_size(value)


def fmt_speed(value: float | None) -> str:
    """MB/s with three significant digits (thousands grouped).

    Examples
    --------
    >>> fmt_speed(1234.5), fmt_speed(45.67), fmt_speed(float("inf"))
    ('1,234 MB/s', '45.7 MB/s', '—')
    """
    if value is None or not math.isfinite(value):
        return NOT_MEASURED
    return f"{value:,.0f} MB/s" if value >= 100 else f"{value:.3g} MB/s"


def fmt_ratio(value: float | None) -> str:
    """A ratio such as a compression ratio or a slowdown: ``2.31×``.

    Examples
    --------
    >>> fmt_ratio(2.3149), fmt_ratio(None)
    ('2.31×', '—')
    """
    if value is None or not math.isfinite(value):
        return NOT_MEASURED
    return f"{value:.3g}×"


def fmt_value(value: float | None, unit: str) -> str:
    """A benchmark value in its asv unit.

    Examples
    --------
    >>> fmt_value(0.0123, "seconds"), fmt_value(2e9, "bytes"), fmt_value(3.14159, "items")
    ('12.3 ms', '2.00 GB', '3.142 items')
    """
    if unit == "seconds":
        return format_seconds(value)
    if unit == "bytes":
        return fmt_bytes(value)
    if unit == "MB/s":
        return fmt_speed(value)
    if unit == "ratio":
        return fmt_ratio(value)
    if value is None or not math.isfinite(value):
        return NOT_MEASURED
    return f"{value:.4g} {unit}"


def fmt_chunks(dims: Sequence[str], sizes: Sequence[int]) -> str:
    """``time=744, latitude=121``.

    Examples
    --------
    >>> fmt_chunks(("time", "lat"), (24, 121))
    'time=24, lat=121'
    """
    return ", ".join(f"{d}={int(n)}" for d, n in zip(dims, sizes, strict=True))
