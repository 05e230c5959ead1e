"""The measured speeds a storage profile holds per codec and per Dask engine, as values. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.plan.errors import AdvisorError


@dataclass(frozen=True, slots=True)
class CodecSpeed:
    """One codec's measured decode and encode speeds (decoded bytes per second, one thread)
    and compression ratio (decoded over stored bytes) on sample data."""

    codec: str
    decode_speed: float
    encode_speed: float
    compression_ratio: float


@dataclass(frozen=True, slots=True)
class EngineSpeed:
    """What one Dask engine costs a reduction, measured by ``advisor calibrate --engine``.

    ``engine`` is ``threads`` (dask's threaded scheduler, or ``Client(processes=False)``),
    ``processes`` (a LocalCluster of worker processes) or ``scheduler`` (a cluster reached by
    address); ``described`` says what it was (workers, threads, memory)."""

    engine: str
    threads: int
    task_overhead: float
    compute_overhead: float
    group_overhead: float
    block_speed: float
    described: str = ""


def codec_speed(value: object, name: str) -> CodecSpeed:
    """A :class:`CodecSpeed` from its JSON object."""
    try:
        speed = CodecSpeed(**value)  # type: ignore[arg-type]
        numbers = (speed.decode_speed, speed.encode_speed, speed.compression_ratio)
        ok = all(isinstance(x, int | float) and 0 < x < float("inf") for x in numbers)
    except TypeError:
        ok = False
    if not ok:
        raise AdvisorError(
            f"storage profile {name!r}: codec_speeds entry {value!r} must hold codec, "
            "decode_speed, encode_speed and compression_ratio (positive numbers)"
        )
    return speed


def engine_speed(value: object, name: str) -> EngineSpeed:
    """An :class:`EngineSpeed` from its JSON object."""
    try:
        speed = EngineSpeed(**value)  # type: ignore[arg-type]
        numbers = (
            speed.threads,
            speed.task_overhead,
            speed.compute_overhead,
            speed.group_overhead,
            speed.block_speed,
        )
        ok = isinstance(speed.engine, str) and all(
            isinstance(x, int | float) and not isinstance(x, bool) and 0 < x < float("inf")
            for x in numbers
        )
    except TypeError:
        ok = False
    if not ok:
        raise AdvisorError(
            f"storage profile {name!r}: engine_speeds entry {value!r} must hold engine, threads, "
            "task_overhead, compute_overhead, group_overhead and block_speed (positive numbers)"
        )
    return speed
