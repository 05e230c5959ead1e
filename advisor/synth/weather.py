"""The sample's time factors and weather: seasons, local solar time, the moisture front and the
travelling weather systems, each a pure function of the seed and the absolute hour.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from advisor.synth.grid import EPOCH, LATITUDE, LONGITUDE

_TROPICAL_YEAR_H = 365.2422 * 24.0
_MID_SUMMER_H = (np.datetime64("1970-07-20T00", "h") - EPOCH).astype(np.int64)
_KM_PER_DEG = 111.32

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
class Clock:
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


def block_clock(seed: int, start_hour: int, n: int) -> Clock:
    """The time factors of ``n`` hours from absolute hour ``start_hour``.

    Examples
    --------
    >>> clock = block_clock(0, 0, 24)
    >>> clock.lst.shape, round(float(clock.lst[0, 0]), 2)  # 100E is 6 h 40 min ahead of UTC
    ((24, 161), 6.67)
    """
    hours = np.arange(start_hour, start_hour + n, dtype=np.int64)
    season = np.cos(2.0 * np.pi * ((hours - _MID_SUMMER_H) / _TROPICAL_YEAR_H))
    lst = np.mod((hours % 24)[:, None] + LONGITUDE[None, :] / 15.0, 24.0)
    m = _meanders(seed)
    angle = (
        m.k * LONGITUDE[None, :, None] - m.omega * hours[:, None, None].astype(np.float64) + m.phase
    )
    front = 28.0 + 9.0 * season[:, None] + (m.amp * np.cos(angle)).sum(axis=-1)
    return Clock(season=season, summer=0.5 * (1.0 + season), lst=lst, front=front)


# ----------------------------------------------------------------------------- weather systems


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
class Weather:
    """The systems of a block as separable factors: sum_k gy[t, y, k] * weight[v][t, k] * gx[t, k, x]."""

    gy: np.ndarray  # (T, Y, K) float32, life-cycle envelope included
    gx: np.ndarray  # (T, K, X) float32
    weight: np.ndarray  # (4, T, K) float32 per variable


def block_weather(seed: int, start_hour: int, n: int, clock: Clock) -> Weather:
    """The travelling systems over ``n`` hours from absolute hour ``start_hour``, as factors.

    Examples
    --------
    >>> weather = block_weather(0, 0, 2, block_clock(0, 0, 2))
    >>> weather.gy.shape, weather.gx.shape, weather.weight.shape  # 60 systems
    ((2, 121, 60), (2, 60, 161), (4, 2, 60))
    """
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
    amplitude = np.moveaxis(_class_table(kind, lambda c: c.amplitude), -1, 0)  # (4, T, K)
    summer_weight = _class_table(kind, lambda c: c.summer_weight)
    seasonal = 1.0 - summer_weight + summer_weight * clock.summer[:, None]  # (T, K)
    factor = 0.5 + u[6:10]  # each variable feels a system a little differently
    weight = amplitude[:, None, :] * (strength * seasonal) * factor
    return Weather(gy=gy, gx=gx, weight=weight.astype(np.float32))


def _gaussian(x: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """exp(-((x - centre) / sigma)**2 / 2), broadcast, in float32."""
    f32 = np.float32
    z = (x.astype(f32) - centre.astype(f32)) * (1.0 / sigma).astype(f32)
    np.square(z, out=z)
    z *= f32(-0.5)
    return np.exp(z, out=z)
