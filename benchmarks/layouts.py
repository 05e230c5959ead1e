"""The chunkings the suites compare, by name (:data:`LAYOUTS`), for any array's schema."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from advisor.plan import workflow
from advisor.run.sample import SAMPLE_CHUNKS

from .scale import DIMS

if TYPE_CHECKING:
    from advisor.plan.schema import Schema

Layout = Literal["source", "workflow", "dask-auto", "zarr-guess", "advisor", "advisor-mix"]
LAYOUTS: tuple[Layout, ...] = get_args(Layout)
"""The chunkings compared: the sample's own (744, 121, 161), the workflow's (32, 60, 80),
dask's ``chunks="auto"``, zarr's guess, the advisor's pick for the pattern at hand, and the
advisor's compromise for :data:`MIX`."""

MIX: tuple[str, ...] = ("point-series", "region-series", "map", "ml-batch", "full-scan")
"""The read patterns of the Access suite; ``advisor-mix`` serves them all, equally weighted."""


@functools.cache
def schema_of(path: Path) -> Schema:
    """The advisor's view of a store (:func:`advisor.store.metadata.load_schema`, metadata only)."""
    from advisor.store.metadata import load_schema

    return load_schema(str(path))


@functools.cache
def advisor_chunks(schema: Schema, patterns: tuple[str, ...]) -> dict[str, int]:
    """The advisor's chunks for ``patterns`` (:func:`advisor.plan.policy.recommend.recommend`)."""
    from advisor.plan.policy.recommend import recommend

    return {str(d): int(n) for d, n in recommend(schema, patterns).chunks.items()}


def layout_chunks(layout: Layout, schema: Schema, pattern: str | None = None) -> dict[str, int]:
    """The chunks ``layout`` gives an array described by ``schema``, clipped to its shape.

    ``advisor`` is the advisor's pick for ``pattern``; ``advisor-mix`` its
    compromise for :data:`MIX`; ``dask-auto`` what ``.chunk("auto")`` gives
    (:func:`advisor.plan.references.dask_auto_chunks`); ``zarr-guess`` what zarr
    picks when given no chunks (:func:`advisor.plan.references.zarr_guess_chunks`).

    Examples
    --------
    >>> from advisor.plan.schema import Schema
    >>> small = Schema(DIMS, (100, 20, 30), 4)
    >>> layout_chunks("source", small), layout_chunks("workflow", small)["time"]
    ({'time': 100, 'latitude': 20, 'longitude': 30}, 32)
    """
    from advisor.plan.references import dask_auto_chunks, zarr_guess_chunks

    shape, itemsize = schema.shape, schema.itemsize
    if layout == "source":
        chunks = dict(zip(DIMS, SAMPLE_CHUNKS, strict=True))
    elif layout == "workflow":
        chunks = dict(workflow.WORKFLOW_CHUNKS)
    elif layout == "dask-auto":
        chunks = dict(zip(schema.dims, dask_auto_chunks(shape, itemsize), strict=True))
    elif layout == "zarr-guess":
        chunks = dict(zip(schema.dims, zarr_guess_chunks(shape, itemsize), strict=True))
    elif layout == "advisor":
        if pattern is None:
            raise ValueError("the advisor's layout is per pattern: give one")
        chunks = advisor_chunks(schema, (pattern,))
    elif layout == "advisor-mix":
        chunks = advisor_chunks(schema, MIX)
    else:
        raise ValueError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    sizes = schema.sizes
    return {d: min(int(chunks.get(d, sizes[d])), sizes[d]) for d in schema.dims}
