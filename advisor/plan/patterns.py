"""Access patterns: how the data will be read, parsed from ``kind[:key=value,...][@weight]``.

A pattern becomes, per dim, an access interval of ``length`` elements whose
start is drawn uniformly from ``0, stride, 2*stride, ...`` (``count`` starts),
independently per dim (:class:`DimAccess`). Reductions read everything: one
access with ``length`` = the dim's size. That model is what
:mod:`advisor.plan.cost` evaluates exactly.

``append`` is the one write: the steps each append brings, a full field, at the end of the
time axis (:meth:`Pattern.append_steps`); :mod:`advisor.plan.cost.appends` prices it.

Examples
--------
>>> parse_pattern("ml-batch:time=32,latitude=16@2")
Pattern(kind='ml-batch', params=(('time', 32), ('latitude', 16)), weight=2.0)
>>> str(parse_pattern("resample:freq=1D"))
'resample:freq=1D'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, get_args

from advisor.plan.arrivals import cadence_seconds, cadence_steps
from advisor.plan.errors import AdvisorError
from advisor.plan.parse import pairs, parse_freq

if TYPE_CHECKING:
    import numpy as np

    from advisor.plan.schema import Schema

logger = logging.getLogger(__name__)

PatternKind = Literal[
    "point-series",
    "region-series",
    "map",
    "ml-batch",
    "resample",
    "climatology",
    "full-scan",
    "append",
]
KINDS: tuple[PatternKind, ...] = get_args(PatternKind)

REDUCTIONS: frozenset[PatternKind] = frozenset({"resample", "climatology", "full-scan"})
"""Patterns that read everything through Dask (one task per chunk, plus combine tasks)."""

GROUPED: frozenset[PatternKind] = frozenset({"resample", "climatology"})
"""Reductions by calendar groups along time (flox's territory)."""

WRITES: frozenset[PatternKind] = frozenset({"append"})
"""Patterns that write (new steps appended along time) rather than read."""

PARAMETERS: dict[PatternKind, tuple[str, ...]] = {
    "point-series": ("window",),
    "region-series": ("size", "window"),
    "map": ("steps",),
    "ml-batch": ("stride", "overlap"),
    "resample": ("freq",),
    "climatology": ("by",),
    "full-scan": (),
    "append": ("every", "steps"),
}
"""Each kind's named parameters; region-series and ml-batch also take per-dim sizes."""

PER_DIM: frozenset[PatternKind] = frozenset({"region-series", "ml-batch"})
"""Kinds whose parameters may also be dims (by name or role), e.g. ``latitude=16``."""

DESCRIPTIONS: dict[PatternKind, str] = {
    "point-series": "the time series at one grid point (window=STEPS for a time window)",
    "region-series": "the time series of a box (size=16, or per-dim sizes; window=STEPS)",
    "map": "one time step of the full field (steps=K for K steps)",
    "ml-batch": "random patches, default time=32,latitude=16,longitude=16 (stride=, overlap=)",
    "resample": "a reduction to another frequency over everything (freq=1D, 6h, 1MS, ...)",
    "climatology": "a groupby-month (or by=season) reduction over everything",
    "full-scan": 'a reduction over time everywhere, e.g. mean(dim="time")',
    "append": "new steps appended along time, every=1h (default), 1D, ... or steps=N; its "
    "weight counts its slowdown as a read's does (append@0.1: one append per ten reads)",
}

ML_PATCH: dict[str, int] = {"time": 32, "latitude": 16, "longitude": 16}
"""The default ML patch, by role."""

REGION_SIZE = 16
"""Default side of a region-series box, in grid points."""

ClimatologyBy = Literal["month", "season"]
CLIMATOLOGY_BY: tuple[ClimatologyBy, ...] = get_args(ClimatologyBy)

_FIXED_SECONDS = {"s": 1, "min": 60, "h": 3600, "D": 86400}
_WEEK = 7 * 86400


class DimAccess(NamedTuple):
    """Along one dim: intervals of ``length`` starting at ``j * stride`` for ``j < count``."""

    length: int
    stride: int
    count: int  # type: ignore[assignment]  # shadows tuple.count: the model's name for it


@dataclass(frozen=True, slots=True)
class Pattern:
    """One access pattern with its parameters and weight.

    ``params`` is a tuple of ``(key, value)`` pairs in the order given; values
    are ints, except ``freq`` and ``by`` (strings).
    """

    kind: PatternKind
    params: tuple[tuple[str, int | str], ...] = ()
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise AdvisorError(f"unknown pattern {self.kind!r}: use one of {', '.join(KINDS)}")
        if not self.weight > 0:
            raise AdvisorError(f"weight {self.weight} of pattern {self.kind}: it must be positive")
        for key, value in self.params:
            _check_param(self.kind, key, value)
        if self.kind == "append" and {"every", "steps"} <= {k for k, _ in self.params}:
            raise AdvisorError("append takes every= or steps=, not both: e.g. append:every=1h")

    def __str__(self) -> str:
        if not self.params:
            return self.kind
        return self.kind + ":" + ",".join(f"{k}={v}" for k, v in self.params)

    def get(self, key: str, default: int | str | None = None) -> int | str | None:
        """The value of parameter ``key``, or ``default``."""
        return dict(self.params).get(key, default)

    def append_steps(self, schema: Schema) -> int:
        """Time steps each append brings: ``steps=``, or ``every=`` (default 1h) over the
        schema's time step (:func:`~advisor.plan.arrivals.cadence_steps`).

        Examples
        --------
        >>> from advisor.plan.schema import Schema
        >>> s = Schema(("time", "x"), (100, 10), 4, time_step=3600.0)
        >>> parse_pattern("append").append_steps(s), parse_pattern("append:every=1D").append_steps(s)
        (1, 24)
        """
        every, steps = self.get("every"), self.get("steps")
        return cadence_steps(
            None if every is None else str(every),
            None if steps is None else int(steps),
            schema.time_step,
        )

    def accesses(self, schema: Schema) -> tuple[DimAccess, ...]:
        """Per dim, the interval length and the starts of one access (see the module docs).

        Examples
        --------
        >>> from advisor.plan.schema import Schema
        >>> s = Schema(("time", "latitude", "longitude"), (100, 20, 30), 4)
        >>> Pattern("point-series").accesses(s)
        (DimAccess(length=100, stride=1, count=1), DimAccess(length=1, stride=1, count=20), \
DimAccess(length=1, stride=1, count=30))
        >>> [a.length for a in Pattern("map", (("steps", 2),)).accesses(s)]
        [2, 20, 30]
        >>> Pattern("ml-batch").accesses(s)[0]
        DimAccess(length=32, stride=32, count=3)
        >>> Pattern("append", (("steps", 24),)).accesses(s)[:2]  # where the new steps land
        (DimAccess(length=24, stride=24, count=4), DimAccess(length=20, stride=1, count=1))
        """
        time_axis = schema.axis_of("time")
        if time_axis is None and self.kind not in ("map", "ml-batch"):
            raise AdvisorError(
                f"pattern {self.kind} needs a time dimension and none of "
                f"{', '.join(schema.dims)} looks like time: map one with --dims time=NAME"
            )
        out = []
        sizes = self._lengths(schema)
        for axis, (n, role) in enumerate(zip(schema.shape, schema.roles, strict=True)):
            length = min(sizes[axis], n)
            if self.kind in REDUCTIONS or length == n:
                out.append(DimAccess(n, 1, 1))
                continue
            stride = length if self.kind in WRITES else 1
            if self.kind == "ml-batch" and length > 1:
                given = self.get("stride")
                overlap = int(self.get("overlap", 0))  # type: ignore[arg-type]
                stride = int(given) if given is not None else max(1, length - overlap)
            count = (n - length) // stride + 1
            out.append(DimAccess(length, stride, count))
            logger.debug("%s along %s (%s): %s", self, schema.dims[axis], role, out[-1])
        return tuple(out)

    def _lengths(self, schema: Schema) -> list[int]:
        """Per dim, the wanted interval length (before clipping to the dim's size)."""
        shape, roles = schema.shape, schema.roles
        lengths = [1] * schema.ndim
        time_axis = schema.axis_of("time")
        if self.kind in REDUCTIONS:
            return list(shape)
        if self.kind in ("point-series", "region-series"):
            lengths[time_axis] = int(self.get("window", shape[time_axis]))  # type: ignore[arg-type, index]
            if self.kind == "region-series":
                size = int(self.get("size", REGION_SIZE))  # type: ignore[arg-type]
                for axis, role in enumerate(roles):
                    if role in ("latitude", "longitude"):
                        lengths[axis] = size
        elif self.kind == "map":
            for axis, role in enumerate(roles):
                if role in ("latitude", "longitude", "other"):
                    lengths[axis] = shape[axis]
            if time_axis is not None:
                lengths[time_axis] = int(self.get("steps", 1))  # type: ignore[arg-type]
        elif self.kind in WRITES:
            lengths = list(shape)
            lengths[time_axis] = self.append_steps(schema)  # type: ignore[index]
        elif self.kind == "ml-batch":
            for name, size in ML_PATCH.items():
                if (found := schema.axis_of(name)) is not None:
                    lengths[found] = size
        if self.kind in PER_DIM:
            for key, value in self.params:
                if key in PARAMETERS[self.kind]:
                    continue
                found = schema.axis_of(key)
                if found is None:
                    raise AdvisorError(
                        f"pattern {self.kind} has no parameter or dimension {key!r}: use "
                        f"{', '.join(PARAMETERS[self.kind])} or a dimension "
                        f"({', '.join(schema.dims)})"
                    )
                lengths[found] = int(value)
        return lengths

    def groups(self, schema: Schema) -> np.ndarray:
        """The group label of every time step for ``resample``/``climatology`` (numpy datetime64).

        Labels are 0..k-1 (day, month, season, ...). Without ``time_start`` the
        series is taken to start on 2000-01-01 at 00:00; without ``time_step``,
        hourly.

        Examples
        --------
        >>> from advisor.plan.schema import Schema
        >>> s = Schema(("time",), (72,), 4, time_step=3600.0, time_start="2019-01-01T12:00:00")
        >>> labels = Pattern("resample", (("freq", "1D"),)).groups(s)
        >>> labels[:13].tolist(), int(labels.max())
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 3)
        """
        import numpy as np

        n = schema.shape[schema.axis_of("time")]  # type: ignore[index]
        step = round(schema.time_step or 3600)
        start = np.datetime64(schema.time_start or "2000-01-01T00:00:00", "s")
        times = start + np.arange(n, dtype=np.int64) * np.timedelta64(step, "s")
        if self.kind == "climatology":
            month = times.astype("datetime64[M]").astype(np.int64) % 12
            raw = month if self.get("by", "month") == "month" else (month + 1) % 12 // 3
        else:
            raw = _bins(times, str(self.get("freq", "1D")))
        _, labels = np.unique(raw, return_inverse=True)
        return labels.reshape(-1)


def _bins(times: np.ndarray, freq: str) -> np.ndarray:
    """The resampling bin of each time, as pandas makes them.

    Fixed frequencies (s, min, h, D) count from the first day's midnight (pandas'
    ``origin="start_day"``); calendar ones (weeks ending on Sunday or on ``W-MON`` ..
    ``W-SAT``, months, quarters, years) from the period holding the first time, whose
    start (MS, QS, YS) or end (W, ME, QE, YE) anchors multiples such as 2W.

    Examples
    --------
    >>> import numpy as np
    >>> days = np.datetime64("2019-01-05", "s") + np.arange(4) * np.timedelta64(86400, "s")
    >>> _bins(days, "W").tolist(), _bins(days, "W-SAT").tolist()  # Sat 5 .. Tue 8 January
    ([0, 0, 1, 1], [0, 1, 1, 1])
    """
    import numpy as np

    frequency = parse_freq(freq)
    multiple, unit = frequency.multiple, frequency.unit
    seconds = times.astype(np.int64)
    if unit in _FIXED_SECONDS:
        origin = int(times[0].astype("datetime64[D]").astype("datetime64[s]").astype(np.int64))
        return (seconds - origin) // (_FIXED_SECONDS[unit] * multiple)
    if unit == "W":  # 1970-01-01 was a Thursday (weekday 3); weeks start the day after week_end
        first_day = (frequency.week_end + 1) % 7
        periods = (seconds + (3 - first_day) * 86400) // _WEEK
    else:
        months = times.astype("datetime64[M]").astype(np.int64)
        periods = months // {"M": 1, "Q": 3}.get(unit[0], 12)
    periods = periods - periods[0]
    if unit in ("W", "ME", "QE", "YE"):  # anchored on the first period's end
        periods = periods + multiple - 1
    return periods // multiple


def _check_param(kind: PatternKind, key: str, value: int | str) -> None:
    if key == "freq":
        parse_freq(str(value))
        return
    if key == "every":
        cadence_seconds(str(value))
        return
    if key == "by":
        if value not in CLIMATOLOGY_BY:
            raise AdvisorError(
                f"unknown grouping by={value!r} in {kind}: use by=month or by=season"
            )
        return
    minimum = 0 if key == "overlap" else 1
    if not isinstance(value, int) or value < minimum:
        raise AdvisorError(
            f"parameter {key}={value!r} of {kind} must be a whole number >= {minimum}"
        )


def parse_pattern(text: str | Pattern) -> Pattern:
    """Parse ``kind[:key=value,...][@weight]``.

    Examples
    --------
    >>> parse_pattern("map@2")
    Pattern(kind='map', params=(), weight=2.0)
    >>> parse_pattern("climatology:by=season").get("by")
    'season'
    >>> parse_pattern("mapp")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: unknown pattern 'mapp': use one of point-series, \
region-series, map, ml-batch, resample, climatology, full-scan, append
    """
    if isinstance(text, Pattern):
        return text
    body, at, weight_text = text.strip().partition("@")
    weight = 1.0
    if at:
        try:
            weight = float(weight_text)
        except ValueError:
            raise AdvisorError(
                f"weight {weight_text!r} in pattern {text!r} is not a number: write e.g. map@2"
            ) from None
        if not weight > 0 or weight == float("inf"):
            raise AdvisorError(f"weight {weight_text!r} in pattern {text!r} must be positive")
    kind, colon, rest = body.partition(":")
    kind = kind.strip()
    if kind not in KINDS:
        raise AdvisorError(f"unknown pattern {kind!r}: use one of {', '.join(KINDS)}")
    params: list[tuple[str, int | str]] = []
    if colon:
        for key, value in pairs(rest, "parameter list", f"{kind}:key=value,key=value"):
            known = PARAMETERS[kind]
            if key not in known and kind not in PER_DIM:
                listed = ", ".join(known) if known else "no parameters"
                raise AdvisorError(f"unknown parameter {key!r} for {kind}: it takes {listed}")
            if key in ("freq", "by", "every"):
                params.append((key, value))
                continue
            try:
                params.append((key, int(value)))
            except ValueError:
                raise AdvisorError(
                    f"parameter {key}={value!r} of {kind} is not a whole number"
                ) from None
    return Pattern(kind, tuple(params), weight)
