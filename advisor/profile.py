"""Storage profiles: the constants of the cost model, as one value.

The cost model (:mod:`advisor.cost`) takes a :class:`StorageProfile` and
nothing else about the machine. The presets are documented guesses; a later
calibration step measures them and saves a profile with :meth:`StorageProfile.to_json`,
which ``advisor recommend --profile PATH.json`` reads back.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, get_args

from advisor.errors import AdvisorError

ProfileName = Literal["local", "object-store"]
PROFILE_NAMES: tuple[ProfileName, ...] = get_args(ProfileName)


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

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "name" and not (isinstance(value, int | float) and value > 0):
                raise AdvisorError(
                    f"storage profile {self.name!r}: {f.name} = {value!r} must be a positive number"
                )
        for name in ("concurrency", "threads"):
            if int(getattr(self, name)) != getattr(self, name):
                raise AdvisorError(f"storage profile {self.name!r}: {name} must be a whole number")

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


def load_profile(spec: str | StorageProfile | None) -> StorageProfile:
    """A preset name, a JSON file written by :meth:`StorageProfile.to_json`, or a profile.

    Examples
    --------
    >>> load_profile("object-store").latency
    0.05
    >>> load_profile(None).name
    'local'
    """
    if spec is None:
        return PRESETS["local"]
    if isinstance(spec, StorageProfile):
        return spec
    if spec in PRESETS:
        return PRESETS[spec]  # type: ignore[index]
    path = Path(spec)
    if not path.is_file():
        raise AdvisorError(
            f"unknown storage profile {spec!r}: use {', '.join(PROFILE_NAMES)} or a JSON file path"
        )
    return StorageProfile.from_json(path.read_text())
