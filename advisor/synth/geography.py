"""The sample's static geography: an analytic land-sea mask of East Asia and the fields drawn on it.

Coastlines are polygons; the land fraction goes smoothly from sea to land across
each coast. The other static fields (Taiwan's mountains, the Kuroshio, the dry
interior, the northern seas) shape the variables in :mod:`advisor.synth.fields`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from advisor.synth.grid import LATITUDE, LONGITUDE

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
class Static:
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
def static_fields() -> Static:
    """The static fields, computed once per process (read-only arrays).

    Examples
    --------
    >>> s = static_fields()
    >>> s.land.shape, s.land.dtype, s.land.flags.writeable
    ((121, 161), dtype('float32'), False)
    """
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
    return Static(**arrays)


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
    return static_fields().land
