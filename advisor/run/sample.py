"""Synthetic ERA5-like sample data: four convective fields over East Asia, hourly, on a 0.25° grid.

Every value is a pure function of the seed, the absolute hour and the grid
point, so any block of hours can be generated on its own and blocks join
without seams. The physical model (land-sea mask, seasonal and diurnal cycles,
travelling weather systems, GRIB-like 16-bit quantization) is documented in
``docs/sample-data.md``.

:func:`era5_like` builds the lazy dataset; :func:`write_year` validates,
writes it to a temporary sibling folder and renames that into place.

Examples
--------
>>> block = generate_block("cape", hours_since_epoch(2019, 7), 2, seed=0)
>>> block.shape, block.dtype
((2, 121, 161), dtype('float32'))
>>> bool((block >= 0).all()), bool((block == 0).any())
(True, True)
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from advisor.plan.codecs import ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.store.publish import move_into_place

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

Variable = Literal["cape", "cin", "k_index", "blh"]

VARIABLES: tuple[Variable, ...] = ("cape", "cin", "k_index", "blh")
"""The sample's data variables, in the order they are written."""

SAMPLE_CHUNKS: tuple[int, int, int] = (744, 121, 161)
"""On-disk chunks (time, latitude, longitude): 31 days of hours by the whole grid."""

FIRST_YEAR, LAST_YEAR = 1940, 2100
"""Years the sample can be made for (ERA5 starts in 1940)."""

LATITUDE = np.linspace(45.0, 15.0, 121)
"""Latitudes in degrees north, descending as in ERA5."""

LONGITUDE = np.linspace(100.0, 140.0, 161)
"""Longitudes in degrees east."""

PACKING_BITS = 16
"""Bits per value of the GRIB simple packing the values are quantized with."""

SOURCE = "chunk-advisor synthetic ERA5-like sample"

MODEL_VERSION = 1
"""Bumped whenever the model changes the values a seed gives."""

_EPOCH = np.datetime64("1970-01-01T00", "h")
_TROPICAL_YEAR_H = 365.2422 * 24.0
_MID_SUMMER_H = (np.datetime64("1970-07-20T00", "h") - _EPOCH).astype(np.int64)
_KM_PER_DEG = 111.32

_ATTRS: dict[Variable, dict[str, str]] = {
    "cape": {
        "units": "J kg-1",
        "long_name": "Convective available potential energy",
        "standard_name": "atmosphere_convective_available_potential_energy_wrt_surface",
    },
    "cin": {
        "units": "J kg-1",
        "long_name": "Convective inhibition",
        "standard_name": "atmosphere_convective_inhibition_wrt_surface",
    },
    "k_index": {
        "units": "K",
        "long_name": "K index",
        "standard_name": "atmosphere_stability_k_index",
    },
    "blh": {
        "units": "m",
        "long_name": "Boundary layer height",
        "standard_name": "atmosphere_boundary_layer_thickness",
    },
}

# Coastlines as (lon, lat) polygons, closed implicitly; points outside the grid keep shapes whole.
_LAND: tuple[tuple[tuple[float, float], ...], ...] = (
    (  # Asia: Indochina, China, Korea and the Russian Far East
        (90.0, 50.0), (141.0, 50.0), (138.5, 45.5), (135.5, 43.8), (132.5, 42.8), (130.7, 42.3),
        (129.8, 41.8), (127.5, 39.9), (127.4, 39.15), (128.6, 38.2), (129.4, 36.0), (129.1, 35.1),
        (127.5, 34.7), (126.4, 34.5), (126.4, 34.8), (126.7, 36.0), (126.6, 37.45), (125.2, 38.7),
        (124.3, 39.9), (121.6, 38.9), (122.2, 40.7), (121.1, 40.9), (119.6, 39.9), (117.7, 39.0),
        (118.9, 37.7), (121.4, 37.5), (122.7, 37.4), (120.4, 36.1), (119.4, 34.7), (120.8, 32.6),
        (121.9, 31.0), (121.0, 30.4), (122.0, 29.9), (120.9, 28.0), (119.7, 26.0), (118.1, 24.5),
        (116.7, 23.3), (114.2, 22.2), (110.8, 21.4), (110.2, 20.3), (109.7, 21.0), (109.1, 21.4),
        (108.3, 21.6), (106.8, 20.8), (105.9, 19.8), (105.8, 18.7), (106.6, 17.5), (107.6, 16.5),
        (108.2, 16.05), (109.0, 15.0), (109.3, 10.0), (90.0, 10.0),
    ),
    (  # Hainan
        (108.6, 19.2), (109.2, 20.0), (110.2, 20.1), (111.0, 19.7), (110.6, 18.7), (109.6, 18.2),
        (108.7, 18.5),
    ),
    (  # Taiwan
        (120.85, 21.9), (120.3, 22.6), (120.1, 23.0), (120.3, 24.1), (120.9, 24.8), (121.55, 25.3),
        (121.8, 25.15), (121.85, 24.6), (121.6, 24.0), (121.15, 22.75),
    ),
    (  # Luzon
        (120.6, 18.5), (121.0, 18.6), (122.2, 18.5), (122.3, 17.1), (122.2, 16.2), (121.6, 15.8),
        (121.7, 14.0), (120.6, 14.0), (119.9, 16.4), (120.4, 17.5),
    ),
    (  # Jeju
        (126.15, 33.3), (126.5, 33.55), (126.95, 33.45), (126.8, 33.2), (126.3, 33.2),
    ),
    (  # Kyushu
        (129.7, 33.1), (130.0, 33.9), (130.9, 33.95), (131.9, 33.2), (131.4, 31.4), (130.6, 31.0),
        (130.2, 31.4), (130.2, 32.6),
    ),
    (  # Shikoku
        (132.4, 33.4), (133.0, 34.0), (134.6, 34.2), (134.7, 33.8), (133.9, 33.4), (133.0, 32.7),
    ),
    (  # Honshu
        (130.9, 34.0), (131.8, 34.7), (133.2, 35.6), (135.2, 35.7), (136.0, 36.0), (137.2, 37.5),
        (138.5, 37.8), (139.0, 37.9), (139.9, 39.9), (140.0, 40.7), (140.3, 41.3), (141.4, 41.4),
        (141.5, 40.5), (142.0, 39.5), (141.0, 38.3), (140.9, 36.9), (140.85, 35.7), (139.9, 34.9),
        (138.9, 34.6), (137.0, 34.6), (135.8, 33.4), (135.1, 34.3), (135.4, 34.6), (133.9, 34.4),
        (132.4, 34.3), (131.0, 33.9),
    ),
    (  # Hokkaido (its western tip)
        (140.0, 41.4), (139.8, 42.2), (140.4, 43.3), (141.4, 43.3), (141.7, 45.4), (146.0, 43.3),
        (143.3, 42.0), (141.0, 41.8),
    ),
)  # fmt: skip

_COAST_WIDTH = 0.35
"""Degrees over which the land fraction goes from 27% to 73% across a coastline."""


@dataclass(frozen=True, slots=True)
class _SystemClass:
    """A family of travelling weather systems; ranges are (low, high) for uniform draws."""

    count: int
    speed: tuple[float, float]  # m/s, eastward
    span: tuple[float, float]  # degrees of longitude travelled in one life
    start: tuple[float, float]  # longitude where a life starts
    band: tuple[float, float]  # latitude of the centre
    sigma_lon: tuple[float, float]  # Gaussian width, degrees
    sigma_lat: tuple[float, float]
    drift: float  # latitude change over one life, +- degrees
    # latent amplitude per variable (cape, cin, k_index, blh) and their signs for a "trough"
    amplitude: tuple[float, float, float, float]
    summer_weight: float  # 0: same all year; 1: only in summer


_SYSTEMS: tuple[_SystemClass, ...] = (
    _SystemClass(  # mid-latitude troughs and ridges in the westerlies
        count=12, speed=(9.0, 16.0), span=(60.0, 75.0), start=(78.0, 92.0), band=(27.0, 47.0),
        sigma_lon=(4.5, 8.0), sigma_lat=(3.0, 5.0), drift=4.0,
        amplitude=(0.35, -0.35, 0.65, -0.35), summer_weight=0.0,
    ),
    _SystemClass(  # monsoon-trough and subtropical disturbances
        count=8, speed=(4.0, 9.0), span=(40.0, 55.0), start=(88.0, 110.0), band=(15.0, 32.0),
        sigma_lon=(3.5, 6.0), sigma_lat=(2.5, 4.0), drift=2.0,
        amplitude=(0.35, -0.3, 0.45, -0.3), summer_weight=0.5,
    ),
    _SystemClass(  # mesoscale convective systems
        count=40, speed=(5.0, 14.0), span=(4.0, 10.0), start=(97.0, 141.0), band=(14.0, 46.0),
        sigma_lon=(0.7, 1.8), sigma_lat=(0.6, 1.4), drift=1.0,
        amplitude=(0.6, -0.35, 0.3, -0.35), summer_weight=0.7,
    ),
)  # fmt: skip


# ----------------------------------------------------------------------------- calendar


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
    return int((start - _EPOCH).astype(np.int64))


def store_path(out_dir: str | Path, year: int) -> Path:
    """Where :func:`write_year` puts ``year``: ``out_dir/era5_<year>.zarr``.

    Examples
    --------
    >>> store_path("data", 2019).as_posix()
    'data/era5_2019.zarr'
    """
    return Path(out_dir) / f"era5_{year}.zarr"


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


# ----------------------------------------------------------------------------- static fields


@dataclass(frozen=True, slots=True)
class _Static:
    """Fields that do not change in time, float32 on the (latitude, longitude) grid."""

    land: np.ndarray  # (Y, X) land fraction, 0..1
    taiwan: np.ndarray  # (Y, X) 0..1 bump over Taiwan and its seas
    kuroshio: np.ndarray  # (Y, X) 0..1 warm-current tongue over the sea
    dry: np.ndarray  # (Y, X) 0..1 dry interior of northern China and Mongolia
    north_sea: np.ndarray  # (Y, X) 0..1 sea north of 25N, where winter outbreaks deepen the BL


def _signed_coast_distance(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Distance in degrees from each grid point to the nearest coast, positive on land."""
    squeeze = np.cos(np.deg2rad(30.0))  # longitude degrees made roughly as long as latitude ones
    y = lat[:, None]
    x = lon[None, :] * squeeze
    inside = np.zeros((lat.size, lon.size), dtype=bool)
    dist = np.full(inside.shape, np.inf)
    for polygon in _LAND:
        ax, ay = np.asarray(polygon).T
        ax = ax * squeeze
        bx, by = np.roll(ax, -1), np.roll(ay, -1)
        for x1, y1, x2, y2 in zip(ax, ay, bx, by, strict=True):
            # even-odd rule: count the edges a ray to the east crosses
            crosses = (y1 > y) != (y2 > y)
            if y1 != y2:
                inside ^= crosses & (x < x1 + (y - y1) * (x2 - x1) / (y2 - y1))
            ex, ey = x2 - x1, y2 - y1
            t = np.clip(((x - x1) * ex + (y - y1) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
            dist = np.minimum(dist, np.hypot(x - x1 - t * ex, y - y1 - t * ey))
    return np.where(inside, dist, -dist)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@functools.cache
def _static() -> _Static:
    """The static fields, computed once per process (read-only arrays)."""
    y, x = LATITUDE[:, None], LONGITUDE[None, :]
    land = _sigmoid(_signed_coast_distance(LATITUDE, LONGITUDE) / (_COAST_WIDTH / 2.0))
    sea = 1.0 - land
    # the Kuroshio runs from east of Luzon past Taiwan to south of Japan
    along = (x - 121.5) * 0.8 + (y - 21.0) * 0.6
    across = -(x - 121.5) * 0.6 + (y - 21.0) * 0.8
    kuroshio = np.exp(-0.5 * (across / 1.8) ** 2) * _sigmoid(along / 2.0) * _sigmoid(26.0 - along)
    fields = {
        "land": land,
        "taiwan": np.exp(-0.5 * (((y - 23.8) / 1.3) ** 2 + ((x - 121.0) / 0.9) ** 2)),
        "kuroshio": kuroshio * sea,
        "dry": _sigmoid((y - 34.0) / 2.5) * _sigmoid((121.0 - x) / 3.0) * land,
        "north_sea": _sigmoid((y - 25.0) / 3.0) * sea,
    }
    arrays = {name: value.astype(np.float32) for name, value in fields.items()}
    for value in arrays.values():
        value.setflags(write=False)
    return _Static(**arrays)


def land_fraction() -> np.ndarray:
    """The analytic land fraction (0 sea .. 1 land) on the (latitude, longitude) grid.

    Examples
    --------
    >>> land = land_fraction()
    >>> land.shape
    (121, 161)
    >>> def at(lat, lon):
    ...     return round(float(land[np.argmin(abs(LATITUDE - lat)), np.argmin(abs(LONGITUDE - lon))]))
    >>> at(35, 110), at(23.5, 121), at(25, 130), at(20, 115)  # China, Taiwan, two seas
    (1, 1, 0, 0)
    """
    return _static().land


# ----------------------------------------------------------------------------- time


@dataclass(frozen=True, slots=True)
class _Meanders:
    """Seeded waves on the edge of tropical moisture: front += sum amp * cos(k lon - omega t + phase)."""

    k: np.ndarray  # radians per degree of longitude (0: the whole front moves north and south)
    omega: np.ndarray  # radians per hour
    phase: np.ndarray
    amp: np.ndarray  # degrees of latitude


@functools.lru_cache(maxsize=64)
def _meanders(seed: int) -> _Meanders:
    rng = np.random.default_rng([seed, 0xF407])
    wavelength = rng.uniform(25.0, 90.0, 3)  # degrees of longitude
    speed = rng.uniform(2.0, 6.0, 3) * 3.6 / (_KM_PER_DEG * np.cos(np.deg2rad(30.0)))  # deg/h
    k = 2.0 * np.pi / wavelength
    period = rng.uniform(20.0, 50.0) * 24.0  # the intraseasonal surge of the whole front, hours
    return _Meanders(
        k=np.append(k, 0.0),
        omega=np.append(k * speed, 2.0 * np.pi / period),
        phase=rng.uniform(0.0, 2.0 * np.pi, 4),
        amp=np.append(rng.uniform(1.5, 3.0, 3), rng.uniform(1.5, 2.5)),
    )


@dataclass(frozen=True, slots=True)
class _Clock:
    """Time factors of a block of hours."""

    season: np.ndarray  # (T,) cos of the year's phase: +1 on 20 July, -1 in mid-January
    summer: np.ndarray  # (T,) (1 + season) / 2
    lst: np.ndarray  # (T, X) local solar time in hours, UTC + longitude / 15
    front: np.ndarray  # (T, X) latitude of the poleward edge of tropical moisture

    def peak(self, hour: float, kappa: float) -> np.ndarray:
        """A daily bump in local solar time: 1 at ``hour``, 0 twelve hours away (von Mises)."""
        angle = np.cos((self.lst - hour) * (2.0 * np.pi / 24.0))
        low = np.exp(-2.0 * kappa)
        return (np.exp(kappa * (angle - 1.0)) - low) / (1.0 - low)

    def wave(self, hour: float) -> np.ndarray:
        """A cosine in local solar time peaking at ``hour``."""
        return np.cos((self.lst - hour) * (2.0 * np.pi / 24.0))


def _clock(seed: int, start_hour: int, n: int) -> _Clock:
    hours = np.arange(start_hour, start_hour + n, dtype=np.int64)
    season = np.cos(2.0 * np.pi * ((hours - _MID_SUMMER_H) / _TROPICAL_YEAR_H))
    lst = np.mod((hours % 24)[:, None] + LONGITUDE[None, :] / 15.0, 24.0)
    m = _meanders(seed)
    angle = (
        m.k * LONGITUDE[None, :, None] - m.omega * hours[:, None, None].astype(np.float64) + m.phase
    )
    front = 28.0 + 9.0 * season[:, None] + (m.amp * np.cos(angle)).sum(axis=-1)
    return _Clock(season=season, summer=0.5 * (1.0 + season), lst=lst, front=front)


# ----------------------------------------------------------------------------- weather systems

_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays: a strong, cheap integer hash."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _uniforms(seed: int, system: np.ndarray, life: np.ndarray, count: int) -> np.ndarray:
    """``count`` uniform draws in [0, 1) for each (system, life), a pure function of the inputs.

    Returns an array of shape ``(count, *life.shape)``.
    """
    key = _mix(np.full(life.shape, seed, dtype=np.uint64) + np.uint64(_GOLDEN))
    key = _mix(key ^ system.astype(np.uint64))
    key = _mix(key + life.astype(np.int64).view(np.uint64))
    draws = [_mix(key + np.uint64(j * _GOLDEN % 2**64)) for j in range(count)]
    return (np.stack(draws) >> np.uint64(11)) * 2.0**-53


@dataclass(frozen=True, slots=True)
class _Fleet:
    """The fixed, seeded set of travelling systems: one entry per system."""

    rate: np.ndarray  # lives per hour (speed / span)
    phase: np.ndarray  # phase of the life cycle at hour 0
    span: np.ndarray  # degrees of longitude travelled per life
    kind: np.ndarray  # index into _SYSTEMS


@functools.lru_cache(maxsize=64)
def _fleet(seed: int) -> _Fleet:
    rng = np.random.default_rng([seed, 0x5EED])
    rate, phase, span, kind = [], [], [], []
    for index, cls in enumerate(_SYSTEMS):
        lat = np.deg2rad(0.5 * (cls.band[0] + cls.band[1]))
        speed = rng.uniform(*cls.speed, cls.count) * 3.6 / (_KM_PER_DEG * np.cos(lat))  # deg/h
        life_span = rng.uniform(*cls.span, cls.count)
        rate.append(speed / life_span)
        phase.append(rng.uniform(0.0, 1.0, cls.count))
        span.append(life_span)
        kind.append(np.full(cls.count, index))
    return _Fleet(*(np.concatenate(a) for a in (rate, phase, span, kind)))


def _class_table(kind: np.ndarray, pick: Callable[[_SystemClass], object]) -> np.ndarray:
    return np.asarray([pick(cls) for cls in _SYSTEMS], dtype=np.float64)[kind]


@dataclass(frozen=True, slots=True)
class _Weather:
    """The systems of a block as separable factors: sum_k gy[t, y, k] * weight[v][t, k] * gx[t, k, x]."""

    gy: np.ndarray  # (T, Y, K) float32, life-cycle envelope included
    gx: np.ndarray  # (T, K, X) float32
    weight: np.ndarray  # (4, T, K) float32 per variable


def _weather(seed: int, start_hour: int, n: int, clock: _Clock) -> _Weather:
    fleet = _fleet(seed)
    hours = np.arange(start_hour, start_hour + n, dtype=np.float64)[:, None]
    cycle = hours * fleet.rate + fleet.phase  # (T, K)
    life = np.floor(cycle)
    phase = cycle - life
    system = np.broadcast_to(np.arange(fleet.rate.size), life.shape)
    u = _uniforms(seed, system, life, 10)
    kind = fleet.kind

    def draw(j: int, pick: Callable[[_SystemClass], tuple[float, float]]) -> np.ndarray:
        low = _class_table(kind, lambda c: pick(c)[0])
        high = _class_table(kind, lambda c: pick(c)[1])
        return low + u[j] * (high - low)

    x0 = draw(0, lambda c: c.start)
    y0 = draw(1, lambda c: c.band)
    sigma_x = draw(2, lambda c: c.sigma_lon)
    sigma_y = draw(3, lambda c: c.sigma_lat)
    drift = (2.0 * u[4] - 1.0) * _class_table(kind, lambda c: c.drift)
    strength = 2.0 * u[5] - 1.0  # > 0: a trough (unstable), < 0: a ridge
    x_c = x0 + phase * fleet.span
    y_c = y0 + (phase - 0.5) * drift
    envelope = np.sin(np.pi * phase) ** 2
    gx = _gaussian(LONGITUDE[None, None, :], x_c[:, :, None], sigma_x[:, :, None])
    gy = _gaussian(LATITUDE[None, :, None], y_c[:, None, :], sigma_y[:, None, :])
    gy *= envelope[:, None, :].astype(np.float32)
    amplitude = np.stack([_class_table(kind, lambda c, v=v: c.amplitude[v]) for v in range(4)])
    summer_weight = _class_table(kind, lambda c: c.summer_weight)
    seasonal = 1.0 - summer_weight + summer_weight * clock.summer[:, None]  # (T, K)
    factor = 0.5 + u[6:10]  # each variable feels a system a little differently
    weight = amplitude[:, None, :] * (strength * seasonal) * factor
    return _Weather(gy=gy, gx=gx, weight=weight.astype(np.float32))


def _gaussian(x: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """exp(-((x - centre) / sigma)**2 / 2), broadcast, in float32."""
    f32 = np.float32
    z = (x.astype(f32) - centre.astype(f32)) * (1.0 / sigma).astype(f32)
    np.square(z, out=z)
    z *= f32(-0.5)
    return np.exp(z, out=z)


# ----------------------------------------------------------------------------- the variables


@dataclass(frozen=True, slots=True)
class _Recipe:
    """A variable's latent field, float32 (T, Y, X), from terms of increasing cost.

    latent = static[y, x] + zonal[t, x] + weather[t, y, x]       (one batched product)
             + sum_i maps[i][y, x] * rates[i][t, x]
             + moist * tanh((front[t, x] + offset - latitude[y]) / width)
    """

    static: np.ndarray  # (Y, X)
    zonal: np.ndarray  # (T, X): the same at every latitude
    maps: tuple[np.ndarray, ...]  # (Y, X)
    rates: tuple[np.ndarray, ...]  # (T, X)
    moist: float = 0.0  # weight of the tropical-moisture edge
    offset: float = 0.0  # degrees north of the front where this variable's edge lies
    width: float = 1.0  # degrees over which the edge is crossed


def _recipe(variable: Variable, clock: _Clock, s: _Static) -> _Recipe:
    """The model of each variable, in latent units (see docs/sample-data.md)."""
    nothing = np.zeros_like(clock.lst)
    summer = clock.summer[:, None] + nothing
    winter = 1.0 - summer
    afternoon = clock.peak(15.0, 1.3)  # convective heating over land
    midday = clock.peak(14.0, 2.2)  # boundary-layer growth over land
    dawn = clock.peak(5.0, 1.0)  # the nocturnal inversion
    if variable == "cape":
        sea_night = 0.06 * clock.wave(5.0)  # oceanic convection peaks before dawn
        return _Recipe(
            static=0.2 + 0.22 * s.kuroshio - 0.25 * s.dry,
            zonal=sea_night,
            maps=(s.land, s.taiwan, s.kuroshio),
            rates=(
                (0.1 + 0.7 * summer) * (afternoon - 0.35) - 0.45 * winter - sea_night,
                0.2 * summer**2 * (0.3 + afternoon),
                0.3 * winter,
            ),
            moist=0.62,
            offset=3.0,
            width=6.0,
        )
    if variable == "cin":
        return _Recipe(
            static=0.6 + 0.25 * s.dry - 0.2 * s.kuroshio,
            zonal=nothing,
            maps=(s.land,),
            rates=(0.65 * dawn - 0.55 * afternoon,),
            moist=-0.28,
            width=5.0,
        )
    if variable == "k_index":
        return _Recipe(
            static=0.1 + 0.15 * s.kuroshio - 0.5 * s.dry + 0.1 * s.taiwan,
            zonal=nothing,
            maps=(s.land,),
            rates=(0.1 * (afternoon - 0.35) - 0.3 * winter,),
            moist=0.95,
            offset=3.0,
            width=7.0,
        )
    return _Recipe(  # blh, in log(m)
        static=6.1 + 0.35 * s.dry + 0.1 * s.kuroshio,
        zonal=nothing,
        maps=(s.land, s.north_sea),
        rates=((1.9 + 0.5 * summer) * midday - 1.25, 0.9 * winter),
    )


def _latent(recipe: _Recipe, clock: _Clock, weather: _Weather, weight: np.ndarray) -> np.ndarray:
    """Assemble a latent field, float32 (T, Y, X), in as few passes over it as possible."""
    f32 = np.float32
    t, y = weather.gy.shape[:2]
    left = np.concatenate([weather.gy * weight[:, None, :], np.ones((t, y, 1), f32)], axis=2)
    right = np.concatenate([weather.gx, recipe.zonal.astype(f32)[:, None, :]], axis=1)
    out = np.einsum("tyk,tkx->tyx", left, right)  # no BLAS: its threads thrash on small products
    out += recipe.static.astype(f32)
    term = np.empty_like(out)
    for field, rate in zip(recipe.maps, recipe.rates, strict=True):
        np.multiply(field, rate.astype(f32)[:, None, :], out=term)
        out += term
    if recipe.moist:
        edge = ((clock.front + recipe.offset) / recipe.width).astype(f32)
        np.subtract(edge[:, None, :], (LATITUDE / recipe.width).astype(f32)[:, None], out=term)
        np.tanh(term, out=term)
        term *= f32(recipe.moist)
        out += term
    return out


def _physical(variable: Variable, latent: np.ndarray) -> np.ndarray:
    """Map a latent field to the variable's units, in place."""
    if variable in ("cape", "cin"):
        # quadratic above zero, levelling off towards the cap
        cap, scale = (6500.0, 2300.0) if variable == "cape" else (-700.0, -240.0)
        np.maximum(latent, 0.0, out=latent)
        np.square(latent, out=latent)
        latent *= np.float32(scale / cap)
        np.tanh(latent, out=latent)
        latent *= np.float32(cap)
    elif variable == "k_index":
        np.tanh(latent, out=latent)
        latent *= 27.0
        latent += 13.0
    else:
        np.exp(latent, out=latent)
        latent += 15.0
    return latent


def grib_quantize(values: np.ndarray, bits: int = PACKING_BITS) -> np.ndarray:
    """Quantize each field ``values[t]`` as GRIB simple packing with ``bits`` bits does, in place.

    Per field: binary scale ``E = ceil(log2((max - min) / (2**bits - 1)))``,
    reference ``R`` = the minimum rounded down to a multiple of ``2**E`` (so
    that zero stays zero and every value is exact in float32), and
    ``value = R + round((x - R) / 2**E) * 2**E``. ``E`` is kept >= -120 so that
    float32 cannot underflow; a constant field is left as it is.

    Examples
    --------
    >>> x = np.array([[[0.0, 0.1, 1000.0]], [[5.0, 5.0, 5.0]]], dtype=np.float32)
    >>> grib_quantize(x.copy()).tolist()
    [[[0.0, 0.09375, 1000.0]], [[5.0, 5.0, 5.0]]]
    """
    axes = tuple(range(1, values.ndim))
    low = values.min(axis=axes, keepdims=True).astype(np.float64)
    high = values.max(axis=axes, keepdims=True).astype(np.float64)
    levels = 2.0**bits - 1.0
    with np.errstate(divide="ignore"):
        exponent = np.maximum(np.ceil(np.log2((high - low) / levels)), -120.0)
    ref = np.floor(low / 2.0**exponent) * 2.0**exponent
    # rounding the reference down can push the maximum one level past the top
    exponent += np.rint((high - ref) / 2.0**exponent) > levels
    step = 2.0**exponent
    ref = np.where(high > low, np.floor(low / step) * step, low)  # a constant field stays as is
    values -= ref.astype(np.float32)
    values *= (1.0 / step).astype(np.float32)
    np.rint(values, out=values)
    values *= step.astype(np.float32)
    values += ref.astype(np.float32)
    return values


def generate_block(variable: Variable, start_hour: int, n: int, *, seed: int = 0) -> np.ndarray:
    """One variable's values for ``n`` hours from absolute hour ``start_hour`` on the whole grid.

    ``start_hour`` counts hours since 1970-01-01T00 UTC (:func:`hours_since_epoch`).
    The result, shape ``(n, 121, 161)`` float32, depends only on the arguments,
    so blocks can be made in any order, anywhere, and join without seams.

    Examples
    --------
    >>> july = hours_since_epoch(2019, 7)
    >>> a = generate_block("blh", july, 48, seed=1)
    >>> b = generate_block("blh", july + 24, 24, seed=1)
    >>> bool((a[24:] == b).all())
    True
    """
    if variable not in VARIABLES:
        raise AdvisorError(f"unknown variable {variable!r}: choose one of {', '.join(VARIABLES)}")
    clock = _clock(seed, start_hour, n)
    weather = _weather(seed, start_hour, n, clock)
    recipe = _recipe(variable, clock, _static())
    latent = _latent(recipe, clock, weather, weather.weight[VARIABLES.index(variable)])
    return grib_quantize(_physical(variable, latent))


# ----------------------------------------------------------------------------- dataset and store


def _chunk(variable: Variable, start_hour: int, seed: int, block_info: dict) -> np.ndarray:
    (t0, t1), _, _ = block_info[None]["array-location"]
    return generate_block(variable, start_hour + t0, t1 - t0, seed=seed)


def era5_like(year: int, *, hours: int | None = None, seed: int = 0) -> xr.Dataset:
    """The sample for ``year`` as a lazy, Dask-backed dataset with CF attributes.

    Chunks are :data:`SAMPLE_CHUNKS` (the time chunk clipped to the length);
    nothing is computed until the values are asked for.

    Parameters
    ----------
    year
        Calendar year, 1940 to 2100.
    hours
        Only the first ``hours`` hours of the year (default: all of them).
    seed
        Chooses the weather; the climate (land, seasons, diurnal cycles) is the same.

    Examples
    --------
    >>> ds = era5_like(2020)
    >>> dict(ds.sizes)
    {'time': 8784, 'latitude': 121, 'longitude': 161}
    >>> ds.cape.attrs["units"], ds.cape.data.chunksize
    ('J kg-1', (744, 121, 161))
    """
    import dask.array as da
    import xarray as xr

    n = check_request(year, hours, seed)
    start = hours_since_epoch(year)
    step = min(SAMPLE_CHUNKS[0], n)
    time_chunks = (step,) * (n // step) + ((n % step,) if n % step else ())
    chunks = (time_chunks, (LATITUDE.size,), (LONGITUDE.size,))
    data_vars = {
        name: (
            ("time", "latitude", "longitude"),
            da.map_blocks(
                _chunk,
                name=f"era5-like-{name}-{year}-{n}-{seed}-v{MODEL_VERSION}",
                chunks=chunks,
                dtype=np.float32,
                meta=np.empty((0, 0, 0), dtype=np.float32),
                variable=name,
                start_hour=start,
                seed=seed,
            ),
            _ATTRS[name],
        )
        for name in VARIABLES
    }
    time = np.datetime64(f"{year:04d}-01-01T00", "h") + np.arange(n)
    coords = {
        "time": (
            "time",
            time.astype("datetime64[ns]"),
            {"standard_name": "time", "long_name": "time", "axis": "T"},
        ),
        "latitude": (
            "latitude",
            LATITUDE,
            {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north",
             "axis": "Y"},
        ),
        "longitude": (
            "longitude",
            LONGITUDE,
            {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east",
             "axis": "X"},
        ),
    }  # fmt: skip
    ds = xr.Dataset(
        data_vars,
        coords=coords,
        attrs={
            "title": f"Synthetic ERA5-like convective fields over East Asia, {year}",
            "source": SOURCE,
            "Conventions": "CF-1.8",
            "seed": seed,
            "model_version": MODEL_VERSION,
            "references": "docs/sample-data.md in chunk-advisor",
        },
    )
    ds.time.encoding = {"units": "hours since 1900-01-01", "calendar": "standard", "dtype": "int32"}
    return ds


def check_target(
    out_dir: str | Path,
    year: int,
    *,
    hours: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
    zarr_format: ZarrFormat = 2,
) -> Path:
    """Validate a :func:`write_year` request without writing anything; return the store's path.

    Raises :class:`AdvisorError` for a bad year, hours, seed or zarr format, an
    output folder that cannot be written, or an existing store without ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_target(Path(tmp) / "new" / "folder", 2019, hours=24).name
    'era5_2019.zarr'
    """
    check_request(year, hours, seed)
    if zarr_format not in (2, 3):
        raise AdvisorError(f"zarr format {zarr_format!r} is not supported: use 2 or 3")
    out_dir = Path(out_dir)
    _check_writable(out_dir)
    target = store_path(out_dir, year)
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise AdvisorError(f"{target} already exists: pass --overwrite to replace it")
    return target


def _check_writable(out_dir: Path) -> None:
    for folder in (out_dir, *out_dir.absolute().parents):
        if not folder.exists():
            continue
        if not folder.is_dir():
            raise AdvisorError(
                f"cannot write to {out_dir}: {folder} is a file, not a folder; choose another --out"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise AdvisorError(
                f"cannot write to {out_dir}: {folder} is not writable; choose another --out"
            )
        return


def write_year(
    out_dir: str | Path,
    year: int,
    *,
    hours: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
    zarr_format: ZarrFormat = 2,
    progress: bool = False,
) -> Path:
    """Write the sample for ``year`` to ``out_dir/era5_<year>.zarr`` and return that path.

    Everything is validated first (:func:`check_target`). The store is written
    to a hidden sibling folder and renamed into place at the end, so a failure
    leaves neither a partial store nor a damaged old one; with ``overwrite`` the
    old store is moved aside only once the new one is complete. On-disk chunks
    are :data:`SAMPLE_CHUNKS`, compressed with Blosc zstd level 3 and byte
    shuffle, with consolidated metadata. The blocks are computed on the
    current Dask client if there is one, else on Dask's local threads.

    Parameters
    ----------
    progress
        Show a progress bar on stderr.

    Examples
    --------
    >>> import tempfile, xarray as xr
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_year(tmp, 2019, hours=3)
    ...     xr.open_zarr(path).cape.encoding["chunks"]
    (3, 121, 161)
    """
    from advisor.plan.codecs import DEFAULT_CODEC
    from advisor.store.encoding import encoding_for

    target = check_target(
        out_dir, year, hours=hours, seed=seed, overwrite=overwrite, zarr_format=zarr_format
    )
    ds = era5_like(year, hours=hours, seed=seed)
    chunks = (ds.cape.data.chunksize[0], LATITUDE.size, LONGITUDE.size)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:12]}")
    logger.debug("writing %s by way of %s", target, partial.name)
    try:
        ds.to_zarr(
            partial,
            mode="w-",
            compute=False,
            consolidated=True,
            zarr_format=zarr_format,
            encoding=encoding_for(VARIABLES, chunks, DEFAULT_CODEC, zarr_format),
        )
        data = ds[list(VARIABLES)].drop_vars(["time", "latitude", "longitude"])
        bounds = np.cumsum((0, *ds.cape.data.chunks[0]))
        writes = [
            data.isel(time=region).to_zarr(
                partial, region={"time": region}, compute=False, consolidated=False
            )
            for region in itertools.starmap(slice, itertools.pairwise(bounds))
        ]
        with _progress_bar(target.name, len(writes), progress) as advance:
            _compute(writes, advance)
        move_into_place(
            partial,
            target,
            overwrite=overwrite,
            aside=target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}"),
        )
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return target


@contextlib.contextmanager
def _progress_bar(label: str, total: int, show: bool) -> Iterator[Callable[[], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("time chunks"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=not show) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def _compute(writes: list, advance: Callable[[], None]) -> None:
    """Compute the delayed writes on the current distributed client, else on local threads."""
    client = _current_client()
    if client is None:
        import dask
        from dask.callbacks import Callback

        logger.debug("choosing dask's threaded scheduler")
        finals = {write.key for write in writes}

        def posttask(key: object, *_: object) -> None:
            if key in finals:
                advance()

        with Callback(posttask=posttask):
            dask.compute(*writes, scheduler="threads")
        return
    from distributed import as_completed

    logger.debug("choosing the distributed client at %s", client.scheduler.address)
    for future in as_completed(client.compute(writes)):
        future.result()
        advance()


def _current_client() -> object | None:
    """The default distributed client, unless none exists or a local scheduler is configured."""
    if "distributed" not in sys.modules:  # no client can exist without distributed imported
        return None
    import dask
    from distributed import default_client

    if dask.config.get("scheduler", None) in ("threads", "threading", "sync", "synchronous"):
        return None  # dask.config.set(scheduler=...) wins over a client, as in dask itself

    try:
        return default_client()
    except ValueError:
        return None
