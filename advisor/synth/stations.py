"""Station sites on the sample grid: where the sample table's point time series are taken.

Pure numpy and seeded: the same ``n`` and ``seed`` give the same sites, the first ``n`` of a
larger draw are not the same sites (each count is its own draw). Sites are distinct grid
points, so a station's values are the field's own values at that point, not interpolated.

Examples
--------
>>> sites = station_sites(3, seed=0)
>>> sites.ids
('S0001', 'S0002', 'S0003')
>>> sites.latitude.shape, bool(((15 <= sites.latitude) & (sites.latitude <= 45)).all())
((3,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.synth.grid import LATITUDE, LONGITUDE

MAX_STATIONS = LATITUDE.size * LONGITUDE.size
"""Every grid point a station (19,481)."""

DEFAULT_STATIONS = 1000
"""Stations in the sample table unless asked otherwise."""

_STREAM = 0x5747
"""Separates the stations' random stream from the weather's for the same seed."""


@dataclass(frozen=True, slots=True)
class StationSites:
    """``n`` stations: their ids (``S0001``...), grid indices and coordinates, in id order."""

    ids: tuple[str, ...]
    lat_index: np.ndarray
    lon_index: np.ndarray

    @property
    def latitude(self) -> np.ndarray:
        return LATITUDE[self.lat_index]

    @property
    def longitude(self) -> np.ndarray:
        return LONGITUDE[self.lon_index]

    def __len__(self) -> int:
        return len(self.ids)


def station_ids(n: int) -> tuple[str, ...]:
    """``S0001`` ... ``S{n}``, zero-padded to at least four digits.

    Examples
    --------
    >>> station_ids(2), station_ids(12000)[-1]
    (('S0001', 'S0002'), 'S12000')
    """
    width = max(4, len(str(n)))
    return tuple(f"S{i:0{width}d}" for i in range(1, n + 1))


def check_stations(n: int) -> int:
    """``n`` if it is a station count the grid can hold, else :class:`AdvisorError`.

    Examples
    --------
    >>> check_stations(0)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --stations 0 is not between 1 and 19481 (the grid's points): \
give a count in that range
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_STATIONS:
        raise AdvisorError(
            f"--stations {n} is not between 1 and {MAX_STATIONS} (the grid's points): "
            "give a count in that range"
        )
    return int(n)


def station_sites(n: int = DEFAULT_STATIONS, *, seed: int = 0) -> StationSites:
    """``n`` distinct grid points drawn with ``seed``, numbered in the order drawn.

    Examples
    --------
    >>> a, b = station_sites(50, seed=1), station_sites(50, seed=1)
    >>> bool((a.lat_index == b.lat_index).all()), len(set(zip(a.lat_index, a.lon_index)))
    (True, 50)
    """
    n = check_stations(n)
    rng = np.random.default_rng([_STREAM, seed])
    flat = rng.choice(MAX_STATIONS, size=n, replace=False)
    lat_index, lon_index = np.unravel_index(flat, (LATITUDE.size, LONGITUDE.size))
    return StationSites(station_ids(n), lat_index.astype(np.intp), lon_index.astype(np.intp))
