"""Sizes and durations as a person reads them: one formatter each, used by every output."""

from __future__ import annotations

import math

_TIME_UNITS = (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def human_readable_size(nbytes: float) -> str:
    """Bytes in decimal units with three significant digits.

    Examples
    --------
    >>> human_readable_size(134_183_736), human_readable_size(1_513_260), human_readable_size(512)
    ('134 MB', '1.51 MB', '512 B')
    """
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 999.5 or unit == "TB":
            break
        value /= 1000
    if unit == "B":
        return f"{value:.0f} B"
    digits = 0 if abs(value) >= 99.95 else 1 if abs(value) >= 9.995 else 2
    return f"{value:.{digits}f} {unit}"


def compact_size(nbytes: int) -> str:
    """Bytes as typed on a command line, in the largest decimal unit that holds them whole
    (what :func:`advisor.plan.parse.parse_size` reads back).

    Examples
    --------
    >>> compact_size(10_000_000), compact_size(100_000_000), compact_size(1_500)
    ('10MB', '100MB', '1500B')
    """
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if nbytes >= scale and nbytes % scale == 0:
            return f"{nbytes // scale}{unit}"
    return f"{nbytes}B"


def format_seconds(value: float | None) -> str:
    """Seconds with a unit read at a glance, three significant digits; a dash when unknown.

    Examples
    --------
    >>> format_seconds(0.000_0123), format_seconds(0.0538), format_seconds(2.5)
    ('12.3 µs', '53.8 ms', '2.5 s')
    >>> format_seconds(95), format_seconds(7200), format_seconds(None)
    ('1.58 min', '2 h', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    unit, scale = next((u, s) for u, s in _TIME_UNITS if abs(value) >= s or u == "ns")
    number = value / scale
    return f"{number:.3g} {unit}" if number < 1000 else f"{number:,.0f} {unit}"
