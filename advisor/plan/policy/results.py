"""What :func:`~advisor.plan.policy.recommend.recommend` returns: the layouts with what they
cost each pattern, the advice beyond the band and in two copies, and the recommendation."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.patterns import Pattern
from advisor.plan.policy.band import Binding
from advisor.plan.policy.snippet import encoding_snippet
from advisor.plan.profile import BUILT_IN, StorageProfile
from advisor.plan.rechunk import RechunkCost
from advisor.plan.requests import DEFAULT_READS, ZarrReads
from advisor.plan.schema import Schema
from advisor.plan.workflow import FloxMethod

if TYPE_CHECKING:
    from advisor.plan.engine import EngineChoice
    from advisor.plan.policy.appends import AppendAdvice
    from advisor.plan.policy.pricing import RequestCosts


@dataclass(frozen=True, slots=True)
class PatternCost:
    """One pattern's expected figures per access under one layout."""

    name: str
    weight: float
    chunks_touched: float
    bytes_read: float
    bytes_wanted: float
    amplification: float
    requests: float
    tasks: float
    seconds: float
    slowdown: float
    """``seconds`` over this pattern's best seconds among the in-band candidates."""
    groups_split: float | None = None
    flox_method: FloxMethod | None = None
    shards_touched: float | None = None
    """Shards touched per access (None without shards): ``requests`` over it is the GETs
    per shard, which zarr < 3.3 makes one after another."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Layout:
    """A chunk shape with what it costs each pattern."""

    label: str
    dims: tuple[str, ...]
    chunks: tuple[int, ...]
    chunk_bytes: int
    n_chunks: int
    in_band: bool
    objective: float
    """The weighted mean slowdown over the patterns (1.0 = every pattern at its optimum)."""
    costs: tuple[PatternCost, ...]
    shards: tuple[int, ...] | None = None
    """The zarr 3 shard shape (whole multiples of ``chunks``), or None."""

    @property
    def chunk_dict(self) -> dict[str, int]:
        return dict(zip(self.dims, self.chunks, strict=True))

    @property
    def shard_dict(self) -> dict[str, int] | None:
        """``dim -> shard length``, or None without shards."""
        return None if self.shards is None else dict(zip(self.dims, self.shards, strict=True))

    @property
    def stored_shape(self) -> tuple[int, ...]:
        """What a write or a Dask task handles: the shard, else the chunk."""
        return self.shards or self.chunks

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "chunks": self.chunk_dict,
            "chunk_bytes": self.chunk_bytes,
            "shards": self.shard_dict,
            "n_chunks": self.n_chunks,
            "in_band": self.in_band,
            "objective": self.objective,
            "patterns": [c.to_dict() for c in self.costs],
        }


@dataclass(frozen=True, slots=True)
class BeyondBand:
    """The best layout outside the size band, when it is much faster for these patterns."""

    layout: Layout
    speedup: float
    """The pick's weighted mean slowdown over this layout's (both against the best of
    :data:`WIDE_BAND`)."""
    speedups: tuple[float, ...]
    """Per pattern: the pick's seconds over this layout's."""
    reason: str
    """Why the band exists anyway: requests on an object store, Dask tasks, memory."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout.to_dict(),
            "speedup": self.speedup,
            "speedups": list(self.speedups),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CopyAdvice:
    """One copy of a two-copy layout: the patterns it serves, its layout and its storage."""

    patterns: tuple[str, ...]
    layout: Layout
    stored_bytes: float
    """Estimated compressed bytes of the copy (every variable)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "patterns": list(self.patterns),
            "layout": self.layout.to_dict(),
            "stored_bytes": self.stored_bytes,
        }


@dataclass(frozen=True, slots=True)
class TwoCopyAdvice:
    """Two copies of the data in two chunkings, one per family of patterns (as the public ERA5
    Zarr copies keep a time-series chunking and a map chunking)."""

    copies: tuple[CopyAdvice, CopyAdvice]
    worst_one_copy: float
    """The largest slowdown of a pattern under the single recommended layout."""
    worst_two_copies: float
    """The largest slowdown of a pattern, each read from its family's copy."""
    slowdowns: tuple[float, ...]
    """Per pattern (in the order given), its slowdown on its family's copy."""

    @property
    def extra_bytes(self) -> float:
        """The storage the second copy adds."""
        return min(c.stored_bytes for c in self.copies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "copies": [c.to_dict() for c in self.copies],
            "worst_one_copy": self.worst_one_copy,
            "worst_two_copies": self.worst_two_copies,
            "slowdowns": list(self.slowdowns),
            "extra_bytes": self.extra_bytes,
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The advice: a chunk shape, what it costs each pattern, and how it compares.

    Examples
    --------
    >>> from advisor.plan.policy.recommend import recommend
    >>> rec = recommend(Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4), ["map"])
    >>> rec.chunks["latitude"], rec.chunks["longitude"], rec.binding
    (121, 161, 'floor')
    >>> print(rec.binding_constraint)  # doctest: +ELLIPSIS
    the 10.0 MB floor forces time >= 129 for a full-field chunk (unconstrained best: ...)
    """

    schema: Schema
    patterns: tuple[Pattern, ...]
    profile: StorageProfile
    pick: Layout
    alternatives: tuple[Layout, ...]
    binding: Binding
    binding_constraint: str
    notes: tuple[str, ...]
    min_size: int
    max_size: int
    codec: CodecSpec = DEFAULT_CODEC
    profile_origin: str = BUILT_IN
    """Where the profile came from: the built-in defaults, a preset or a calibration file."""
    top: tuple[Layout, ...] = ()
    """The next best layouts in the band, best first (``recommend(top=K)``)."""
    beyond_band: BeyondBand | None = None
    two_copies: TwoCopyAdvice | None = None
    rechunk: RechunkCost | None = None
    """What rewriting the current chunks into the pick costs (None without current chunks)."""
    zarr_reads: ZarrReads = DEFAULT_READS
    """How the zarr-python the requests were counted for reads (its version, coalescing)."""
    request_costs: RequestCosts | None = None
    """GETs per access and PUTs of writing the pick, priced (None unless an object store)."""
    appends: tuple[AppendAdvice, ...] = ()
    """Per ``append`` pattern, its price under the pick and the strategy it implies."""
    engine: EngineChoice | None = None
    """The Dask engine the reductions were priced for, and whether it was measured."""

    @property
    def chunks(self) -> dict[str, int]:
        """``dim -> chunk length`` of the pick (the inner chunks when sharded)."""
        return self.pick.chunk_dict

    @property
    def shards(self) -> dict[str, int] | None:
        """``dim -> shard length`` of the pick (``recommend(shards=True)``), or None."""
        return self.pick.shard_dict

    @property
    def chunk_bytes(self) -> int:
        return self.pick.chunk_bytes

    @property
    def costs(self) -> tuple[PatternCost, ...]:
        return self.pick.costs

    def encoding(
        self, zarr_format: ZarrFormat = 3, storage_options: Mapping[str, Any] | None = None
    ) -> str:
        """Paste-ready Python: ``ds.chunk({...})`` and ``to_zarr(encoding=...)`` for ``zarr_format``
        (:func:`~advisor.plan.policy.snippet.encoding_snippet`); a URL source is opened and its
        copy written with ``storage_options``."""
        return encoding_snippet(
            self.schema, self.chunks, self.shards, self.codec, zarr_format, storage_options
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (``advisor recommend --json``)."""
        out = {
            "source": self.schema.name,
            "dims": list(self.schema.dims),
            "shape": list(self.schema.shape),
            "dtype": self.schema.dtype,
            "variables": list(self.schema.variables),
            "chunks": self.chunks,
            "chunk_bytes": self.chunk_bytes,
            "shards": self.shards,
            "n_chunks": self.pick.n_chunks,
            "objective": self.pick.objective,
            "patterns": [c.to_dict() for c in self.costs],
            "alternatives": [a.to_dict() for a in self.alternatives],
            "binding": self.binding,
            "binding_constraint": self.binding_constraint,
            "band": {"min_size": self.min_size, "max_size": self.max_size},
            "encoding": {
                "codec": str(self.codec),
                "chunks": list(self.pick.chunks),
                "shards": list(self.pick.shards) if self.pick.shards else None,
                "zarr2": None if self.pick.shards else self.encoding(2),
                "zarr3": self.encoding(3),
            },
            "notes": list(self.notes),
            "profile": dataclasses.asdict(self.profile),
            "profile_origin": self.profile_origin,
            "engine": self.engine.to_dict() if self.engine else None,
            "top": [t.to_dict() for t in self.top],
            "beyond_band": self.beyond_band.to_dict() if self.beyond_band else None,
            "two_copies": self.two_copies.to_dict() if self.two_copies else None,
            "rechunk": self.rechunk.to_dict() if self.rechunk else None,
            "zarr_reads": self.zarr_reads.to_dict(),
            "request_costs": self.request_costs.to_dict() if self.request_costs else None,
        }
        if self.appends:  # read-only pattern lists keep their JSON as it was
            out["appends"] = [a.to_dict() for a in self.appends]
        return out
