"""Storage profiles: the constants of the cost model, as one value.

The cost model (:mod:`advisor.plan.cost`) takes a :class:`StorageProfile` and
nothing else about the machine. The presets are documented guesses;
``advisor calibrate`` (:mod:`advisor.run.calibrate`) measures the constants on the
user's machine and store and saves them as JSON at :func:`default_profile_path`
(or ``--profile PATH``). :func:`find_profile` says which profile a command uses:
``--profile``, else ``ADVISOR_PROFILE``, else the saved calibration, else the
built-in local defaults.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from typing import Literal, get_args

import numpy as np

from advisor.plan.errors import AdvisorError
from advisor.plan.speeds import CodecSpeed, EngineSpeed, codec_speed, engine_speed

__all__ = [
    "BUILT_IN",
    "GROUP_GRID",
    "PRESETS",
    "PROFILE_ENV",
    "PROFILE_NAMES",
    "CodecSpeed",
    "EngineSpeed",
    "ProfileName",
    "StorageProfile",
]

ProfileName = Literal["local", "object-store"]
PROFILE_NAMES: tuple[ProfileName, ...] = get_args(ProfileName)

PROFILE_ENV = "ADVISOR_PROFILE"
"""Environment variable naming the profile to use: a preset name or a JSON file."""

BUILT_IN = "built-in local defaults"
"""How reports name the ``local`` preset when no calibration is in use."""

_TEXT_FIELDS = frozenset(
    {
        "name",
        "calibrated",
        "codec_speeds",
        "engine_speeds",
        "group_grid",
        "backend",
        "endpoint",
        "zarr_version",
        "engine",
    }
)

_LABELS = frozenset({"calibrated", "backend", "endpoint", "zarr_version", "engine"})
"""The text fields that must hold a string."""

GROUP_GRID: tuple[tuple[float, float, float], ...] = tuple(
    (t, b, s)
    for t, row in (
        (24, (1.13, 1.11, 1.51, 1.48)),
        (744, (1.07, 1.21, 1.64, 1.77)),
        (2232, (1.03, 1.39, 1.99, 1.71)),
        (4368, (0.99, 2.19, 3.66, 3.59)),
        (8760, (1.05, 2.51, 3.63, 3.70)),
    )
    for b, s in zip((2.5e6, 10e6, 40e6, 100e6), row, strict=True)
)
"""(time steps, block bytes, slowdown) of flox's grouped reduction of one block over
``reduce_speed``: flox moves time last, a transposing copy whose cost per byte grows once the
block leaves the caches, the more so for long time series (measured with
``flox.core.groupby_reduce(..., func="nanmean")`` on float32 blocks, 2-core AMD EPYC,
1 MB L2 per core, 32 MB L3; ``advisor calibrate`` measures the user's machine)."""


def _group_grid(value: object, name: str) -> tuple[tuple[float, float, float], ...]:
    """The :attr:`StorageProfile.group_grid` points, checked: positive numbers on a full grid."""
    try:
        points = tuple((float(t), float(b), float(s)) for t, b, s in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        points = None
    ok = points is not None and all(0 < x < float("inf") for point in points for x in point)
    if ok and points:
        keys = {(t, b) for t, b, _ in points}
        n_t, n_b = len({t for t, _ in keys}), len({b for _, b in keys})
        ok = len(keys) == len(points) == n_t * n_b and n_t >= 2 and n_b >= 2
    if not ok:
        raise AdvisorError(
            f"storage profile {name!r}: group_grid must list [time steps, block bytes, slowdown] "
            "points (positive numbers) on a full grid of at least 2 x 2"
        )
    return points  # type: ignore[return-value]


def _bilinear(
    xs: np.ndarray, ys: np.ndarray, grid: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """``grid`` (on axes ``xs`` x ``ys``) interpolated bilinearly at ``(x, y)``, clamped."""
    x = np.clip(x, xs[0], xs[-1])
    y = np.clip(y, ys[0], ys[-1])
    i = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    u = (x - xs[i]) / (xs[i + 1] - xs[i])
    v = (y - ys[j]) / (ys[j + 1] - ys[j])
    return (
        (1 - u) * (1 - v) * grid[i, j]
        + u * (1 - v) * grid[i + 1, j]
        + (1 - u) * v * grid[i, j + 1]
        + u * v * grid[i + 1, j + 1]
    )


@dataclass(frozen=True, slots=True)
class StorageProfile:
    """Per-request latency, bandwidth, decode speed, parallelism and Dask overhead.

    Examples
    --------
    >>> local = StorageProfile.preset("local")
    >>> local.with_overrides(threads=8).threads
    8
    >>> StorageProfile.from_json(local.to_json()) == local
    True
    >>> StorageProfile.from_json('{"latency": 0.02}').backend  # files older than the field
    ''
    """

    name: str = "local"
    """A label for reports."""

    latency: float = 1e-4
    """Seconds per request before its first byte arrives (open and read a file on a local
    disk; an HTTP round trip on an object store); requests in flight overlap their latency."""

    request_overhead: float = 2.5e-4
    """CPU seconds the reading process spends per chunk (zarr-python's bookkeeping, the
    store call, the copy into the output), not overlapped: about 0.25 ms with zarr 3 on a
    local disk."""

    bandwidth: float = 2.0e9
    """Bytes of stored (compressed) data per second the store delivers, all requests together."""

    concurrency: int = 8
    """Requests in flight at once (zarr-python's async reads, or Dask's threads)."""

    decode_speed: float = 7.0e8
    """Decoded bytes per second one thread produces (Blosc zstd 3 with shuffle, plus copy)."""

    threads: int = 4
    """Threads that decode and reduce in parallel (Dask threads per worker times workers)."""

    compression_ratio: float = 1.5
    """Decoded bytes over stored bytes of a chunk (Blosc zstd with shuffle on reanalysis
    floats); a later issue measures it per codec."""

    task_overhead: float = 5.0e-4
    """Seconds the Dask scheduler spends per task; reductions run through Dask, interactive
    reads (point series, maps, ML patches) through zarr-python and have no tasks."""

    combine_speed: float = 1.0e9
    """Bytes per second one thread combines intermediate results of groups split across
    chunks (flox's cohorts and map-reduce)."""

    compute_overhead: float = 0.1
    """Seconds of one Dask computation beyond its tasks: building the graph in xarray (and
    flox), sending it to the scheduler and gathering the result."""

    group_overhead: float = 0.2
    """Seconds a grouped reduction (resample, climatology) adds to a computation: the time
    labels, xarray's groupby and flox's plan."""

    reduce_speed: float = 1.33e9
    """Decoded bytes per second one thread reduces in a grouped reduction (resample,
    climatology: flox's kernels) on a block that fits the caches; :attr:`group_grid` scales it
    by the block's shape. A plain scan's ``mean`` costs little beside the decode."""

    group_grid: tuple[tuple[float, float, float], ...] = GROUP_GRID
    """(time steps, block bytes, slowdown) points on a grid: the grouped reduction's seconds
    per byte over ``1 / reduce_speed`` for blocks of that many time steps and bytes
    (:meth:`group_slowdown` interpolates; empty: no slowdown)."""

    block_speed: float = 1.0e13
    """Decoded bytes per second one thread spends beyond the decode on large blocks
    (:func:`advisor.plan.engine.large_share`) in a reduction: fresh memory pages for each block
    beyond malloc's reuse, which costs some engines (dask's threads in one process) far more
    than others (very fast, i.e. nothing, by default; ``advisor calibrate`` measures it)."""

    encode_speed: float = 3.0e8
    """Decoded bytes per second one thread encodes (prices writing a rechunked copy)."""

    codec_speeds: tuple[CodecSpeed, ...] = ()
    """Measured speeds and ratios per codec (:meth:`for_codec` applies one)."""

    engine: str = ""
    """The Dask engine the reductions' constants are for (``threads``, ``processes``,
    ``scheduler``; "" for a preset: :mod:`advisor.plan.engine` says which it stands for)."""

    engine_speeds: tuple[EngineSpeed, ...] = ()
    """The reductions' constants measured per engine (:func:`advisor.plan.engine.for_engine`
    applies one)."""

    calibrated: str = ""
    """When, where and on which store the constants were measured ("" for a preset)."""

    backend: str = ""
    """The calibrated store's kind: its URL scheme (``s3``, ``gs``, ``memory``, ...), ``local``
    for a folder ("" for a preset)."""

    endpoint: str = ""
    """The host (and port) the calibrated object store answered from, e.g.
    ``s3.us-east-1.amazonaws.com`` or ``127.0.0.1:9000`` ("" for a folder or a preset)."""

    zarr_version: str = ""
    """The zarr-python that read the calibrated store ("" for a preset): how many requests a
    read makes, and how many at once, depends on it."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _LABELS and not isinstance(value, str):
                raise AdvisorError(f"storage profile {self.name!r}: {f.name} must be text")
            if f.name in _TEXT_FIELDS:
                continue
            if isinstance(value, bool) or not (
                isinstance(value, int | float) and 0 < value < float("inf")
            ):
                raise AdvisorError(
                    f"storage profile {self.name!r}: {f.name} = {value!r} must be a positive number"
                )
        speeds = tuple(
            s if isinstance(s, CodecSpeed) else codec_speed(s, self.name) for s in self.codec_speeds
        )
        object.__setattr__(self, "codec_speeds", speeds)
        engines = tuple(
            e if isinstance(e, EngineSpeed) else engine_speed(e, self.name)
            for e in self.engine_speeds
        )
        object.__setattr__(self, "engine_speeds", engines)
        object.__setattr__(self, "group_grid", _group_grid(self.group_grid, self.name))
        for name in ("concurrency", "threads"):
            if int(getattr(self, name)) != getattr(self, name):
                raise AdvisorError(f"storage profile {self.name!r}: {name} must be a whole number")

    def measured_on(self) -> str:
        """Where the constants were measured, for reports: backend, endpoint and zarr version.

        Examples
        --------
        >>> StorageProfile(backend="s3", endpoint="127.0.0.1:9000", zarr_version="3.1.6").measured_on()
        's3 at 127.0.0.1:9000, zarr 3.1.6'
        >>> StorageProfile(backend="local", zarr_version="3.1.6").measured_on()
        'local disk, zarr 3.1.6'
        >>> StorageProfile.preset("object-store").measured_on()
        ''
        """
        if not self.backend:
            return ""
        where = "local disk" if self.backend == "local" else self.backend
        if self.endpoint:
            where += f" at {self.endpoint}"
        return f"{where}, zarr {self.zarr_version}" if self.zarr_version else where

    def group_slowdown(self, time_steps: np.ndarray, block_bytes: np.ndarray) -> np.ndarray:
        """The grouped reduction's slowdown for blocks of ``time_steps`` and ``block_bytes``:
        :attr:`group_grid` interpolated bilinearly in log-log space, clamped at its edges.

        Examples
        --------
        >>> local = StorageProfile.preset("local")
        >>> local.group_slowdown(np.array([744, 8760]), np.array([100e6, 100e6])).round(2).tolist()
        [1.77, 3.7]
        >>> StorageProfile(group_grid=()).group_slowdown(np.array([24]), np.array([1e6])).tolist()
        [1.0]
        """
        times = np.asarray(time_steps, dtype=float)
        sizes = np.asarray(block_bytes, dtype=float)
        if not self.group_grid:
            return np.ones(np.broadcast(times, sizes).shape)
        axis_t = np.unique([g[0] for g in self.group_grid])
        axis_b = np.unique([g[1] for g in self.group_grid])
        table = {(g[0], g[1]): g[2] for g in self.group_grid}
        grid = np.array([[table[t, b] for b in axis_b] for t in axis_t])
        return _bilinear(np.log(axis_t), np.log(axis_b), grid, np.log(times), np.log(sizes))

    @classmethod
    def preset(cls, name: ProfileName) -> StorageProfile:
        """The ``local`` (disk) or ``object-store`` (S3-like over a network) preset."""
        if name not in PRESETS:
            raise AdvisorError(
                f"unknown storage profile {name!r}: use {', '.join(PROFILE_NAMES)} or a JSON file"
            )
        return PRESETS[name]

    def with_overrides(self, **values: float | int | str) -> StorageProfile:
        """A copy with some constants replaced (unknown names are an error)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise AdvisorError(
                f"unknown storage profile constant(s) {', '.join(unknown)}: use "
                + ", ".join(sorted(known))
            )
        return dataclasses.replace(self, **values)  # type: ignore[arg-type]

    def for_codec(self, codec: object) -> StorageProfile:
        """This profile with the decode and encode speeds and the ratio measured for ``codec``.

        ``codec`` is a :class:`~advisor.plan.codecs.CodecSpec` or its string; a codec
        that was not measured leaves the profile as it is.

        Examples
        --------
        >>> p = StorageProfile(codec_speeds=(CodecSpeed("zstd:3", 1e9, 2e8, 4.0),))
        >>> p.for_codec("zstd:3").compression_ratio, p.for_codec("gzip:5") is p
        (4.0, True)
        """
        for speed in self.codec_speeds:
            if speed.codec == str(codec):
                return dataclasses.replace(
                    self,
                    decode_speed=speed.decode_speed,
                    encode_speed=speed.encode_speed,
                    compression_ratio=speed.compression_ratio,
                )
        return self

    def to_json(self) -> str:
        """The profile as a JSON object (for calibration files)."""
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> StorageProfile:
        """Read a profile written by :meth:`to_json`; missing constants take the local defaults."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AdvisorError(f"storage profile is not valid JSON: {exc}") from None
        if not isinstance(values, dict):
            raise AdvisorError("storage profile JSON must be an object of name -> value")
        return PRESETS["local"].with_overrides(**values)


PRESETS: dict[ProfileName, StorageProfile] = {
    "local": StorageProfile(),
    "object-store": StorageProfile(
        name="object-store",
        latency=0.05,
        request_overhead=5e-4,
        bandwidth=3.0e8,
        concurrency=32,
        decode_speed=7.0e8,
        threads=4,
        compression_ratio=1.5,
        task_overhead=5.0e-4,
        combine_speed=1.0e9,
    ),
}
"""``local``: an SSD or the page cache, read by zarr-python 3 (figures measured roughly on
the project's machine); ``object-store``: S3-like storage, 50 ms per GET, 300 MB/s in total
over up to 32 parallel requests."""
