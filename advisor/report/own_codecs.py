"""The user's own codec measurement in the report: ``advisor codecs --json`` output, read once.

:func:`own_codecs` turns the JSON object (already parsed) into an :class:`OwnCodecs`, checking
its shape so that a wrong file is one line of error, not a traceback;
:func:`read_own_codecs` reads the file. The section that shows it is
:mod:`advisor.report.sections.own_codecs`, its figure
:func:`advisor.report.plots.own_codec_tradeoff`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.plan.errors import AdvisorError


@dataclass(frozen=True, slots=True)
class OwnCandidate:
    """One measured codec of one variable."""

    codec: str
    ratio: float
    ratio_low: float
    ratio_high: float
    encode_mb_s: float
    decode_mb_s: float
    chunks: int
    objective_seconds: float


@dataclass(frozen=True, slots=True)
class OwnVariable:
    """One variable: its candidates, its Pareto front, the pick and what was said of it."""

    name: str
    pick: str
    kind: str
    decision: str
    candidates: tuple[OwnCandidate, ...]
    pareto: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def picked(self) -> OwnCandidate | None:
        return next((c for c in self.candidates if c.codec == self.pick), None)


@dataclass(frozen=True, slots=True)
class OwnCodecs:
    """``advisor codecs --json`` output: the source, what was sampled, the variables."""

    source: str
    seconds: float
    sample: str
    variables: tuple[OwnVariable, ...]


def _notes(v: dict[str, Any]) -> tuple[str, ...]:
    notes = []
    if v.get("lossy"):
        c = v["lossy"]
        notes.append(
            f"lossy check: keepbits {c.get('keepbits')}, max abs error "
            f"{float(c.get('max_abs_error', 0)):.3g}, ok {c.get('ok')}"
        )
    if v.get("packing"):
        notes.append(str(v["packing"].get("text", "packed")))
    if v.get("dtype"):
        d = v["dtype"]
        notes.append(
            f"dtype: {d.get('source')} fits {d.get('dtype')} exactly (verified on the sample), "
            f"ratio {float(d.get('ratio', 0)):.2f} against the {d.get('source')} bytes"
        )
    if v.get("exhaustive"):
        e = v["exhaustive"]
        notes.append(
            f"exhaustive: best {e.get('best')}; the budgeted pick {e.get('budgeted')} is "
            f"{100 * float(e.get('gap', 0)):.1f}% above it"
        )
    return tuple(notes)


def own_codecs(data: Any, where: str = "--codecs") -> OwnCodecs:
    """An :class:`OwnCodecs` from the parsed ``advisor codecs --json`` object.

    Examples
    --------
    >>> c = {"codec": "zstd:3", "ratio": 2.0, "ratio_ci95": [1.9, 2.1], "encode_mb_s": 300,
    ...      "decode_mb_s": 900, "chunks": 8, "objective_seconds": 1.5}
    >>> v = {"pick": "zstd:3", "kind": "float", "lossy_decision": "lossless",
    ...      "candidates": [c], "pareto": ["zstd:3"]}
    >>> own = own_codecs({"source": "s.zarr", "seconds": 9.5, "variables": {"t2m": v}})
    >>> own.variables[0].picked.ratio
    2.0
    >>> own_codecs({"variables": 3})
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --codecs: not advisor codecs --json output (AttributeError: ...
    """
    try:
        variables = []
        for name, v in data["variables"].items():
            candidates = tuple(
                OwnCandidate(
                    str(c["codec"]),
                    float(c["ratio"]),
                    float(c["ratio_ci95"][0]),
                    float(c["ratio_ci95"][1]),
                    float(c["encode_mb_s"]),
                    float(c["decode_mb_s"]),
                    int(c["chunks"]),
                    float(c["objective_seconds"]),
                )
                for c in v["candidates"]
            )
            variables.append(
                OwnVariable(
                    str(name),
                    str(v["pick"]),
                    str(v.get("kind", "")),
                    str(v.get("lossy_decision", "")),
                    candidates,
                    tuple(str(p) for p in v.get("pareto", ())),
                    _notes(v),
                )
            )
        sample = data.get("sample") or {}
        shape = ", ".join(f"{d}={n}" for d, n in (sample.get("chunks") or {}).items())
        said = f"{sample.get('chunks_per_variable', '?')} chunks of {shape or '?'} per variable"
        if sample.get("measured"):
            said += f"; {sample['measured']}"
        return OwnCodecs(str(data.get("source", "?")), float(data.get("seconds", 0)), said,
                         tuple(variables))  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise AdvisorError(
            f"{where}: not advisor codecs --json output ({type(exc).__name__}: {exc}); "
            "make it with: advisor codecs SOURCE --json > codecs.json"
        ) from None


def read_own_codecs(path: str | Path) -> OwnCodecs:
    """Read ``advisor codecs --json`` output from ``path`` (a one-line error when it is not)."""
    where = f"--codecs {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AdvisorError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AdvisorError(
            f"{where}: not JSON ({exc.msg} at line {exc.lineno}); "
            "make it with: advisor codecs SOURCE --json > codecs.json"
        ) from None
    if not isinstance(data, dict):
        raise AdvisorError(f"{where}: not advisor codecs --json output (not an object)")
    return own_codecs(data, where)
