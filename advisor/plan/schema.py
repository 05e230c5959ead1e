"""What the advisor knows about an array: dims, sizes, item size, axis roles and time step.

Everything here is pure (numpy at most), so that planning from a bare
``--shape time=8760,latitude=121,longitude=161 --dtype float32`` never imports
xarray. :mod:`advisor.store.metadata` builds a :class:`Schema` from a real dataset.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from advisor.plan.errors import AdvisorError

logger = logging.getLogger(__name__)

Role = Literal["time", "latitude", "longitude", "level", "member", "other"]
ROLES: tuple[Role, ...] = get_args(Role)

SPATIAL_ROLES: tuple[Role, ...] = ("latitude", "longitude")
"""The roles that make up a map (one time step of the full field)."""

_NAMES: dict[Role, frozenset[str]] = {
    "time": frozenset({"time", "valid_time", "times", "t", "date", "datetime", "forecast_time"}),
    "latitude": frozenset(
        {"latitude", "lat", "y", "rlat", "nav_lat", "south_north", "grid_latitude", "yc"}
    ),
    "longitude": frozenset(
        {"longitude", "lon", "x", "rlon", "nav_lon", "west_east", "grid_longitude", "xc"}
    ),
    "level": frozenset(
        {
            "level",
            "lev",
            "plev",
            "pressure_level",
            "isobaricinhpa",
            "height",
            "depth",
            "z",
            "model_level",
            "hybrid",
            "altitude",
        }
    ),
    "member": frozenset(
        {"member", "number", "ensemble", "realization", "ens", "member_id", "ensemble_member"}
    ),
}

_STANDARD_NAMES: dict[str, Role] = {
    "time": "time",
    "latitude": "latitude",
    "grid_latitude": "latitude",
    "projection_y_coordinate": "latitude",
    "longitude": "longitude",
    "grid_longitude": "longitude",
    "projection_x_coordinate": "longitude",
    "air_pressure": "level",
    "height": "level",
    "depth": "level",
    "altitude": "level",
    "model_level_number": "level",
    "atmosphere_hybrid_sigma_pressure_coordinate": "level",
    "realization": "member",
}

_AXES: dict[str, Role] = {"T": "time", "Y": "latitude", "X": "longitude", "Z": "level"}

_UNITS: dict[str, Role] = {
    "degrees_north": "latitude",
    "degree_north": "latitude",
    "degrees_n": "latitude",
    "degrees_east": "longitude",
    "degree_east": "longitude",
    "degrees_e": "longitude",
    "hpa": "level",
    "pa": "level",
    "millibar": "level",
}


def _whole(value: object, what: str) -> int:
    """``value`` as an int, refused in one line unless it is a whole number.

    >>> _whole(4.0, "item size")
    4
    """
    try:
        number = float(value)  # type: ignore[arg-type]
        if number != int(number):
            raise ValueError
        return int(number) if not isinstance(value, int) else value
    except (TypeError, ValueError, OverflowError):
        raise AdvisorError(f"{what} {value!r} is not a whole number") from None


@dataclass(frozen=True, slots=True)
class Schema:
    """The metadata the advisor plans from; no data.

    Parameters
    ----------
    dims, shape
        Dimension names and sizes, in the arrays' order.
    itemsize
        Bytes per element (the largest of the variables that share the dims).
    dtype
        The dtype with that item size, e.g. ``"float32"``.
    roles
        One :data:`Role` per dim, aligned with ``dims``.
    time_step
        Seconds between time steps, or None when unknown.
    time_start
        ISO date-time of the first step (aligns days and months), or None.
    chunks
        The current on-disk chunk shape, or None (a bare shape).
    name
        A label for reports: the store, catalog entry or "shape".
    variables
        The data variables that share ``dims`` (and get one chunking).
    skipped
        Data variables left out because they do not share ``dims`` (bounds, ...).

    Examples
    --------
    >>> s = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4)
    >>> s.roles, s.nbytes
    (('time', 'latitude', 'longitude'), 682614240)
    >>> s.dim_of("time"), s.dim_of("level") is None
    ('time', True)
    """

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    itemsize: int
    dtype: str = "float32"
    roles: tuple[Role, ...] = ()
    time_step: float | None = None
    time_start: str | None = None
    chunks: tuple[int, ...] | None = None
    name: str = "shape"
    variables: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dims", tuple(str(d) for d in self.dims))
        object.__setattr__(self, "shape", tuple(_whole(n, "dimension size") for n in self.shape))
        object.__setattr__(self, "itemsize", _whole(self.itemsize, "item size"))
        if not self.dims:
            raise AdvisorError("the array has no dimensions: give at least one, e.g. time=8760")
        if len(self.dims) != len(self.shape):
            raise AdvisorError(f"{len(self.dims)} dims {self.dims} but {len(self.shape)} sizes")
        if len(set(self.dims)) != len(self.dims):
            raise AdvisorError(f"dimension names repeat in {self.dims}: name each dim once")
        for dim, size in zip(self.dims, self.shape, strict=True):
            if size < 1:
                raise AdvisorError(f"dimension {dim} has size {size}: sizes must be at least 1")
        if self.itemsize < 1:
            raise AdvisorError(f"item size {self.itemsize} bytes: it must be at least 1")
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        object.__setattr__(self, "roles", tuple(self.roles) or assign_roles(self.dims))
        if len(self.roles) != len(self.dims) or any(r not in ROLES for r in self.roles):
            raise AdvisorError(f"roles {self.roles} do not match dims {self.dims}")
        if self.time_step is not None and not self.time_step > 0:
            raise AdvisorError(f"time step {self.time_step} s: it must be positive")
        if self.chunks is not None:
            chunks = tuple(int(c) for c in self.chunks)
            if len(chunks) != len(self.dims) or any(c < 1 for c in chunks):
                raise AdvisorError(f"chunks {chunks} do not fit dims {self.dims}")
            object.__setattr__(
                self, "chunks", tuple(min(c, n) for c, n in zip(chunks, self.shape, strict=True))
            )

    @property
    def ndim(self) -> int:
        return len(self.dims)

    @property
    def sizes(self) -> dict[str, int]:
        """``dim -> size``."""
        return dict(zip(self.dims, self.shape, strict=True))

    @property
    def nbytes(self) -> int:
        """Bytes of one variable, decoded."""
        return math.prod(self.shape) * self.itemsize

    def dim_of(self, role: Role) -> str | None:
        """The dim with ``role``, or None."""
        for dim, r in zip(self.dims, self.roles, strict=True):
            if r == role:
                return dim
        return None

    def axis_of(self, name: str) -> int | None:
        """The axis of a dim given by name or by role, or None."""
        if name in self.dims:
            return self.dims.index(name)
        if name in ROLES and (dim := self.dim_of(name)) is not None:
            return self.dims.index(dim)
        return None


def guess_role(
    name: str, attrs: Mapping[str, object] | None = None, *, is_datetime: bool = False
) -> Role:
    """The role of a dim from its coordinate's CF attributes, dtype, then its name.

    Examples
    --------
    >>> guess_role("valid_time"), guess_role("y"), guess_role("isobaricInhPa")
    ('time', 'latitude', 'level')
    >>> guess_role("t2", {"axis": "T"}), guess_role("nlat", {"units": "degrees_north"})
    ('time', 'latitude')
    >>> guess_role("bnds")
    'other'
    """
    attrs = attrs or {}
    axis = str(attrs.get("axis", "")).upper()
    if axis in _AXES:
        return _AXES[axis]
    standard = str(attrs.get("standard_name", "")).lower()
    if standard in _STANDARD_NAMES:
        return _STANDARD_NAMES[standard]
    units = str(attrs.get("units", "")).lower()
    if is_datetime or " since " in units:
        return "time"
    if units in _UNITS:
        return _UNITS[units]
    lowered = name.lower()
    for role, names in _NAMES.items():
        if lowered in names:
            return role
    return "other"


def assign_roles(
    dims: Sequence[str],
    attrs: Mapping[str, Mapping[str, object]] | None = None,
    datetime_dims: Sequence[str] = (),
    dims_map: Mapping[str, str] | None = None,
) -> tuple[Role, ...]:
    """One role per dim: the user's ``dims_map`` (role -> dim) first, then :func:`guess_role`.

    A role other than ``other`` goes to one dim only (the first that claims it).

    Examples
    --------
    >>> assign_roles(["valid_time", "y", "x"])
    ('time', 'latitude', 'longitude')
    >>> assign_roles(["step", "y", "x"], dims_map={"time": "step"})
    ('time', 'latitude', 'longitude')
    """
    attrs = attrs or {}
    dims_map = dict(dims_map or {})
    for name, dim in dims_map.items():
        if name not in ROLES or name == "other":
            raise AdvisorError(
                f"unknown role {name!r} in --dims: use {', '.join(r for r in ROLES if r != 'other')}"
            )
        if dim not in dims:
            raise AdvisorError(
                f"--dims maps {name} to {dim!r}, which is not a dimension here: "
                f"the dimensions are {', '.join(dims)}"
            )
    forced = {dim: name for name, dim in dims_map.items()}
    taken = set(dims_map)
    roles: list[Role] = []
    for dim in dims:
        if dim in forced:
            roles.append(forced[dim])  # type: ignore[arg-type]
            continue
        role = guess_role(dim, attrs.get(dim), is_datetime=dim in datetime_dims)
        if role != "other" and role in taken:
            logger.debug("dim %s looks like %s too, but that role is taken: 'other'", dim, role)
            role = "other"
        taken.add(role)
        roles.append(role)
    logger.debug("choosing roles %s for dims %s", roles, list(dims))
    return tuple(roles)
