"""``advisor.codecs``: measure the codecs of a store's variables on its own data and pick one each.

The source (a Zarr path or a catalog entry, resolved like ``recommend``'s) is opened
lazily; its chunk shape is ``recommend``'s pick for ``patterns``; each variable's sampled
chunks go through the candidate grid (:mod:`advisor.run.codec_measure`) within a budget of
``seconds`` shared by the variables.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.plan.bitinfo import LEVEL
from advisor.plan.codecs import ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.plan.patterns import Pattern
from advisor.plan.policy.recommend import DEFAULT_PATTERNS
from advisor.run.codec_measure import LossyMode, VariableCodecs


def parse_lossy(text: str) -> tuple[LossyMode, float]:
    """``none``, ``source`` or ``information[:LEVEL]`` (LEVEL default 0.99): the mode and level.

    Examples
    --------
    >>> parse_lossy("none"), parse_lossy("source"), parse_lossy("information:0.9")
    (('none', 0.99), ('source', 0.99), ('information', 0.9))
    """
    name, _, level = text.strip().lower().partition(":")
    hint = (
        "use --lossy none, --lossy source or --lossy information[:LEVEL], LEVEL in (0, 1], "
        "e.g. 0.99"
    )
    if name in ("none", "source") and not level:
        return name, LEVEL  # type: ignore[return-value]
    if name != "information":
        raise AdvisorError(f"unknown --lossy {text!r}: {hint}")
    if not level:
        return "information", LEVEL
    try:
        value = float(level)
    except ValueError:
        raise AdvisorError(f"--lossy {text!r}: the level is not a number; {hint}") from None
    if not 0 < value <= 1:
        raise AdvisorError(f"--lossy {text!r}: the level is out of range; {hint}")
    return "information", value


@dataclass(frozen=True, slots=True)
class CodecsAdvice:
    """Per variable, the measured codecs and the pick; what was sampled; the time it took."""

    source: str
    variables: dict[str, VariableCodecs]
    chunks: dict[str, int]
    patterns: tuple[str, ...]
    budget: float
    seconds: float
    chunks_per_variable: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "variables": {name: _variable(v) for name, v in self.variables.items()},
            "sample": {
                "chunks": self.chunks,
                "chunks_per_variable": self.chunks_per_variable,
                "drawn": "time starts spread evenly over the whole time axis, space at random",
                "measured": "each chunk's first time steps (a contiguous slab of its bytes): "
                + ", ".join(
                    f"{n}: {'x'.join(map(str, v.sample_shape))}" for n, v in self.variables.items()
                ),
                "patterns": list(self.patterns),
                "budget_seconds": self.budget,
                "read_seconds": sum(v.read_seconds for v in self.variables.values()),
            },
            "seconds": self.seconds,
        }


def _figures(p: Any) -> dict[str, Any]:
    m = p.measure
    return {
        "codec": m.codec,
        "ratio": m.ratio,
        "ratio_ci95": [m.ratio_low, m.ratio_high],
        "encode_mb_s": m.encode_speed / 1e6,
        "decode_mb_s": m.decode_speed / 1e6,
        "chunks": m.chunks,
        "objective_seconds": p.objective,
        "read_seconds": p.read_seconds,
        "storage_seconds": p.storage_seconds,
        "write_seconds": p.write_seconds,
    }


def _variable(v: VariableCodecs) -> dict[str, Any]:
    pick = _figures(v.pick)
    lossy = None if v.lossy is None else v.lossy.to_dict()
    return {
        "pick": pick["codec"],
        "ratio": pick["ratio"],
        "ratio_ci95": pick["ratio_ci95"],
        "encode_mb_s": pick["encode_mb_s"],
        "decode_mb_s": pick["decode_mb_s"],
        "objective_seconds": pick["objective_seconds"],
        "lossy": lossy,
        "lossy_decision": v.decision,
        "keepbits": v.keepbits,
        "kind": v.kind,
        "smaller_dtype": v.smaller_dtype,
        "dtype": None if v.dtype is None else v.dtype.to_dict(),
        "packing": None if v.packing is None else v.packing.to_dict() | {"text": v.packing.text},
        "exhaustive": None if v.exhaustive is None else v.exhaustive.to_dict(),
        "pareto": list(v.pareto),
        "candidates": [_figures(p) for p in v.priced],
    }


def codecs(
    source: str | Path,
    *,
    variables: Sequence[str] = (),
    lossy: str = "none",
    patterns: Sequence[Pattern | str] = DEFAULT_PATTERNS,
    seconds: float = 10.0,
    profile: Any = None,
    catalog: str | Path | None = None,
    zarr_format: ZarrFormat = 3,
    count: int = 8,
    exhaustive: bool = False,
) -> CodecsAdvice:
    """Measure and pick a codec per variable of ``source`` (see the module).

    ``lossy`` is ``none`` (never loses a bit), ``source`` (BitRound to a packing lattice found
    in the data: lossless relative to the source, verified exact on the sample) or
    ``information[:LEVEL]`` (BitRound to the keepbits holding LEVEL of the real information,
    verified on the sample).
    """
    from advisor.api.recommend import recommend
    from advisor.plan.profile import StorageProfile
    from advisor.run.codec_measure import measure_variable
    from advisor.run.sources import resolve_sources
    from advisor.store.metadata import schema_from_dataset
    from advisor.store.profiles import resolve_profile
    from advisor.store.sources import open_store

    mode, level = parse_lossy(lossy)
    if seconds <= 0:
        raise AdvisorError(f"--seconds {seconds}: give a positive budget, e.g. 20")
    if count < 1:
        raise AdvisorError(f"--chunks {count}: sample at least one chunk")
    began = time.perf_counter()
    where = resolve_sources([str(source)], catalog)[0].path
    ds = open_store(where)
    schema = schema_from_dataset(ds)
    names = list(variables) or list(schema.variables)
    unknown = [n for n in names if n not in schema.variables]
    if unknown:
        raise AdvisorError(
            f"no variable {', '.join(unknown)} in {source}: use one of {', '.join(schema.variables)}"
        )
    prof: StorageProfile = resolve_profile(profile)[0]
    rec = recommend(schema, patterns, profile=prof)
    chunks = tuple(rec.chunks[d] for d in schema.dims)
    share = seconds / len(names)
    out = {
        name: measure_variable(
            ds[name].transpose(*schema.dims),
            dataclasses.replace(schema, itemsize=ds[name].dtype.itemsize),
            chunks,
            patterns,
            prof,
            lossy=mode,
            lossy_level=level,
            seconds=share,
            count=count,
            zarr_format=zarr_format,
            exhaustive=exhaustive,
        )
        for name in names
    }
    return CodecsAdvice(
        source=str(source),
        variables=out,
        chunks=dict(rec.chunks),
        patterns=tuple(str(p) for p in patterns),
        budget=seconds,
        seconds=time.perf_counter() - began,
        chunks_per_variable=count,
    )
