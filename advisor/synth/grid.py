"""The sample's grid, its variables and its calendar: what every other part of the model shares.

Examples
--------
>>> LATITUDE.size, LONGITUDE.size, VARIABLES
(121, 161, ('cape', 'cin', 'k_index', 'blh'))
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from advisor.plan.errors import AdvisorError

Variable = Literal["cape", "cin", "k_index", "blh"]

VARIABLES: tuple[Variable, ...] = ("cape", "cin", "k_index", "blh")
"""The sample's data variables, in the order they are written."""

FIRST_YEAR, LAST_YEAR = 1940, 2100
"""Years the sample can be made for (ERA5 starts in 1940)."""

LATITUDE = np.linspace(45.0, 15.0, 121)
"""Latitudes in degrees north, descending as in ERA5."""

LONGITUDE = np.linspace(100.0, 140.0, 161)
"""Longitudes in degrees east."""

PACKING_BITS = 16
"""Bits per value of the GRIB simple packing the values are quantized with."""

MODEL_VERSION = 1
"""Bumped whenever the model changes the values a seed gives."""

EPOCH = np.datetime64("1970-01-01T00", "h")
"""The origin of the absolute hours the model counts (1970-01-01T00 UTC)."""


def hours_in_year(year: int) -> int:
    """Hours in calendar ``year`` (8760, or 8784 in a leap year).

    Examples
    --------
    >>> hours_in_year(2019), hours_in_year(2020), hours_in_year(2100)
    (8760, 8784, 8760)
    """
    start = np.datetime64(f"{year:04d}-01-01T00", "h")
    return int((np.datetime64(f"{year + 1:04d}-01-01T00", "h") - start).astype(np.int64))


def hours_since_epoch(year: int, month: int = 1) -> int:
    """Absolute hour (since 1970-01-01T00 UTC) of the start of ``year``-``month``.

    Examples
    --------
    >>> hours_since_epoch(1970), hours_since_epoch(1970, 2)
    (0, 744)
    """
    start = np.datetime64(f"{year:04d}-{month:02d}-01T00", "h")
    return int((start - EPOCH).astype(np.int64))


def check_request(year: int, hours: int | None = None, seed: int = 0) -> int:
    """Validate a year, an hour count and a seed; return the number of hours to make.

    Raises :class:`AdvisorError` for a year outside 1940–2100, ``hours`` below 1
    or beyond the year, or a seed that is not a non-negative 64-bit integer.

    Examples
    --------
    >>> check_request(2020), check_request(2019, 72)
    (8784, 72)
    >>> check_request(1939)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: year 1939 is outside 1940-2100: choose a year from 1940 to 2100
    """
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise AdvisorError(f"year {year!r} is not a whole number: give a year such as 2019")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise AdvisorError(
            f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}: "
            f"choose a year from {FIRST_YEAR} to {LAST_YEAR}"
        )
    full = hours_in_year(int(year))
    if hours is not None and not 1 <= hours <= full:
        raise AdvisorError(
            f"hours {hours} is not between 1 and {full} (the hours in {year}): "
            "give a count in that range, or none for the whole year"
        )
    if not 0 <= seed < 2**64:
        raise AdvisorError(f"seed {seed} is not between 0 and 2**64-1: give a non-negative seed")
    return full if hours is None else int(hours)
