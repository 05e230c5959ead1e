"""The sample's variables: each one's latent field from the geography, the clock and the
weather, mapped to its units and quantized as ERA5's GRIB files are.

Examples
--------
>>> from advisor.synth.grid import hours_since_epoch
>>> block = generate_block("cape", hours_since_epoch(2019, 7), 2, seed=0)
>>> block.shape, block.dtype
((2, 121, 161), dtype('float32'))
>>> bool((block >= 0).all()), bool((block == 0).any())
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.synth.geography import Static, static_fields
from advisor.synth.grid import LATITUDE, PACKING_BITS, VARIABLES, Variable
from advisor.synth.weather import Clock, Weather, block_clock, block_weather

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


def _recipe(variable: Variable, clock: Clock, s: Static) -> _Recipe:
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


def _latent(recipe: _Recipe, clock: Clock, weather: Weather, weight: np.ndarray) -> np.ndarray:
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

    ``start_hour`` counts hours since 1970-01-01T00 UTC
    (:func:`~advisor.synth.grid.hours_since_epoch`).
    The result, shape ``(n, 121, 161)`` float32, depends only on the arguments,
    so blocks can be made in any order, anywhere, and join without seams.

    Examples
    --------
    >>> from advisor.synth.grid import hours_since_epoch
    >>> july = hours_since_epoch(2019, 7)
    >>> a = generate_block("blh", july, 48, seed=1)
    >>> b = generate_block("blh", july + 24, 24, seed=1)
    >>> bool((a[24:] == b).all())
    True
    """
    if variable not in VARIABLES:
        raise AdvisorError(f"unknown variable {variable!r}: choose one of {', '.join(VARIABLES)}")
    clock = block_clock(seed, start_hour, n)
    weather = block_weather(seed, start_hour, n, clock)
    recipe = _recipe(variable, clock, static_fields())
    latent = _latent(recipe, clock, weather, weather.weight[VARIABLES.index(variable)])
    return grib_quantize(_physical(variable, latent))
