"""Parsing what users type: ``key=value`` lists, shapes, dims maps, dtypes, sizes, time steps,
resampling frequencies, start times.

One parser per concept, shared by the CLI, the Python API and the benchmarks. Pure: the standard
library and numpy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from advisor.plan.errors import AdvisorError
from advisor.plan.schema import ROLES, Schema, assign_roles


def pairs(text: str, what: str, example: str) -> list[tuple[str, str]]:
    """``key=value,...`` as pairs in order; a malformed part or a repeated key is an error.

    The one key=value parser: ``--shape``, ``--dims``, ``--chunks``, ``--stat``,
    ``--layout`` and pattern parameters all read through it.

    Examples
    --------
    >>> pairs("time=32, latitude=60", "--chunks", "time=32")
    [('time', '32'), ('latitude', '60')]
    >>> pairs("time=3,time=4", "--chunks", "time=32")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --chunks 'time=3,time=4' names time twice: name it once
    """
    pairs: list[tuple[str, str]] = []
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise AdvisorError(f"malformed {what} {text!r}: write it like {example}")
        if key in (k for k, _ in pairs):
            raise AdvisorError(f"{what} {text!r} names {key} twice: name it once")
        pairs.append((key, value))
    return pairs


def parse_shape(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Parse ``name=size,...`` into dims and sizes.

    Examples
    --------
    >>> parse_shape("time=8760,latitude=121,longitude=161")
    (('time', 'latitude', 'longitude'), (8760, 121, 161))
    """
    example = "time=8760,latitude=121,longitude=161"
    dims, shape = [], []
    for key, value in pairs(text, "shape", example):
        try:
            size = int(value)
        except ValueError:
            raise AdvisorError(
                f"size {value!r} of {key} in --shape is not a whole number: write e.g. {example}"
            ) from None
        if size < 1:
            raise AdvisorError(f"size of {key} in --shape is {size}: sizes must be at least 1")
        dims.append(key)
        shape.append(size)
    return tuple(dims), tuple(shape)


def parse_dims_map(text: str) -> dict[str, str]:
    """Parse ``role=dim,...`` (``--dims time=valid_time,latitude=y``) into role -> dim.

    Examples
    --------
    >>> parse_dims_map("time=valid_time,latitude=y,longitude=x")
    {'time': 'valid_time', 'latitude': 'y', 'longitude': 'x'}
    """
    out = dict(pairs(text, "--dims", "time=valid_time,latitude=y,longitude=x"))
    for role in out:
        if role not in ROLES or role == "other":
            raise AdvisorError(
                f"unknown role {role!r} in --dims: use {', '.join(r for r in ROLES if r != 'other')}"
            )
    if len(set(out.values())) != len(out):
        raise AdvisorError(f"--dims {text!r} gives one dimension two roles: give each one role")
    return out


def parse_dtype(text: str) -> tuple[str, int]:
    """The canonical name and item size of a numeric dtype.

    Examples
    --------
    >>> parse_dtype("float32"), parse_dtype("f8"), parse_dtype("int16")
    (('float32', 4), ('float64', 8), ('int16', 2))
    """
    import numpy as np

    try:
        dtype = np.dtype(text.strip())
    except (TypeError, ValueError, SyntaxError):  # numpy parses some strings as struct formats
        dtype = None
    if dtype is None or dtype.kind not in "biufc" or dtype.itemsize < 1:
        raise AdvisorError(
            f"unknown or non-numeric dtype {text!r}: use e.g. float32, float64, int16, uint8"
        )
    return dtype.name, dtype.itemsize


_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:e(\d+))?\s*([kmgtp]i?b?|b)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}


def parse_size(text: str) -> int:
    """Bytes from ``10MB``, ``1.5GB``, ``128MiB``, ``10e6`` or plain bytes.

    Examples
    --------
    >>> parse_size("10MB"), parse_size("1.5GB"), parse_size("128MiB"), parse_size("1000")
    (10000000, 1500000000, 134217728, 1000)
    """
    match = _SIZE.match(str(text))
    if not match:
        raise AdvisorError(f"cannot read size {text!r}: write e.g. 10MB, 1.5GB, 128MiB or 1000000")
    number, exponent, unit = match.groups()
    unit = (unit or "b").lower()
    prefix = unit[0] if unit[0] in _UNIT else ""
    scale = 1024 ** ("kmgtp".index(prefix) + 1) if "i" in unit else _UNIT[prefix]
    value = float(number) * (10 ** int(exponent) if exponent else 1) * scale
    if value < 1:
        raise AdvisorError(f"size {text!r} is below one byte: sizes must be positive")
    return round(value)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)?\s*(s|sec|min|m|h|hr|d|w)\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds from ``1h``, ``30min``, ``6h``, ``1D`` (a time step).

    Examples
    --------
    >>> parse_duration("1h"), parse_duration("30min"), parse_duration("1D")
    (3600.0, 1800.0, 86400.0)
    """
    match = _DURATION.match(text)
    if not match:
        raise AdvisorError(f"cannot read time step {text!r}: write e.g. 1h, 30min, 6h or 1D")
    number, unit = match.groups()
    seconds = float(number or 1) * _SECONDS[unit.lower()]
    if seconds <= 0:
        raise AdvisorError(f"time step {text!r} is not positive")
    return seconds


FreqUnit = Literal["s", "min", "h", "D", "W", "MS", "ME", "QS", "QE", "YS", "YE"]
"""A resampling unit, spelt as pandas 3 spells it."""

_FREQ = re.compile(
    r"^\s*(\d*)\s*(s|S|min|T|h|H|D|d|W|w|MS|ME|M|QS|QE|Q|YS|YE|Y|AS|A)(?:-(\w+))?\s*$"
)
_FREQ_UNITS: dict[str, FreqUnit] = {
    **{"s": "s", "S": "s", "min": "min", "T": "min", "h": "h", "H": "h", "D": "D", "d": "D"},
    **{"W": "W", "w": "W", "MS": "MS", "ME": "ME", "M": "ME", "QS": "QS", "QE": "QE", "Q": "QE"},
    **{"YS": "YS", "AS": "YS", "YE": "YE", "Y": "YE", "A": "YE"},
}
"""Every spelling accepted (pandas' older ones too: H, T, S, M, Q, Y, A, AS) -> pandas 3's."""

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class Frequency(NamedTuple):
    """A resampling frequency: ``multiple`` units; weeks end on ``week_end`` (0 = Monday).

    Examples
    --------
    >>> parse_freq("2W-MON", "--resample")
    Frequency(multiple=2, unit='W', week_end=0, explicit=True)
    >>> parse_freq("M", "--resample").pandas, parse_freq("6H", "--resample").pandas
    ('ME', '6h')
    """

    multiple: int
    unit: FreqUnit
    week_end: int = 6
    explicit: bool = True
    """The multiple was typed (``1D``), not implied (``D``)."""

    @property
    def pandas(self) -> str:
        """The offset alias pandas 3 accepts for this frequency (``xr.Dataset.resample``)."""
        anchor = f"-{WEEKDAYS[self.week_end]}" if self.unit == "W" and self.week_end != 6 else ""
        return f"{self.multiple if self.explicit else ''}{self.unit}{anchor}"


def parse_freq(text: str, where: str = "") -> Frequency:
    """A resampling frequency such as ``1D``, ``6h``, ``2W-MON``, ``1MS``, ``QE`` or ``YS``.

    The units the advisor can price: seconds, minutes, hours, days, weeks (ending on Sunday,
    or on ``W-MON`` .. ``W-SUN``), months, quarters and years at their start (``MS``, ``QS``,
    ``YS``) or end (``ME``, ``QE``, ``YE``), with a whole multiple; pandas' older spellings
    (``H``, ``T``, ``S``, ``M``, ``Q``, ``Y``, ``A``, ``AS``) too. ``where`` names the option
    in the error (``--resample``).

    Examples
    --------
    >>> parse_freq(" 1D ").pandas, parse_freq("A").pandas, parse_freq("w-sun").pandas
    ('1D', 'YE', 'W')
    >>> parse_freq("1X", "--resample")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown --resample frequency '1X': use a pandas offset such as 1D, 6h, 1W or 1MS
    """
    match = _FREQ.match(text)
    anchor = (match.group(3) or "SUN").upper() if match else ""
    unit = _FREQ_UNITS[match.group(2)] if match else None
    if (
        match is None
        or unit is None
        or int(match.group(1) or 1) < 1
        or anchor not in WEEKDAYS
        or (match.group(3) is not None and unit != "W")
    ):
        what = f"{where} frequency" if where else "frequency"
        raise AdvisorError(
            f"unknown {what} {text!r}: use a pandas offset such as 1D, 6h, 1W or 1MS"
        )
    return Frequency(int(match.group(1) or 1), unit, WEEKDAYS.index(anchor), bool(match.group(1)))


def schema_from_shape(
    shape: str,
    dtype: str = "float32",
    *,
    dims_map: Mapping[str, str] | None = None,
    time_step: float | None = None,
    time_start: str | None = None,
    chunks: Sequence[int] | None = None,
) -> Schema:
    """A :class:`Schema` from ``--shape`` and ``--dtype`` (no data needed).

    Examples
    --------
    >>> s = schema_from_shape("time=8760,latitude=121,longitude=161", "float32", time_step=3600)
    >>> s.shape, s.itemsize, s.time_step
    ((8760, 121, 161), 4, 3600.0)
    """
    dims, sizes = parse_shape(shape)
    name, itemsize = parse_dtype(dtype)
    if time_start is not None:
        time_start = parse_start(time_start)
    return Schema(
        dims,
        sizes,
        itemsize,
        name,
        roles=assign_roles(dims, dims_map=dims_map),
        time_step=float(time_step) if time_step is not None else None,
        time_start=time_start,
        chunks=tuple(chunks) if chunks is not None else None,
    )


def parse_start(text: str) -> str:
    """Check an ISO date(-time) and return it to the second.

    Examples
    --------
    >>> parse_start("2019-01-01")
    '2019-01-01T00:00:00'
    """
    import numpy as np

    try:
        return str(np.datetime64(text.strip(), "s"))
    except ValueError:
        raise AdvisorError(
            f"cannot read start time {text!r}: write an ISO date like 2019-01-01 or 2019-01-01T06:00"
        ) from None
