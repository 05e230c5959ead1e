"""Verifying a written store against the values ``advisor apply`` computed: its metadata (chunks,
shards, codec, consolidation, coordinates, attributes) and the digest of every written block.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.copy_plan import ApplyPlan
from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.run.checksum import digests
from advisor.run.watch import wait_with_progress
from advisor.store.chunk_headers import check_blosc_headers
from advisor.store.encoding import compressors
from advisor.store.locations import zarr_store

if TYPE_CHECKING:
    import xarray as xr
    import zarr
    from distributed import Client
    from zarr.abc.store import Store


def verify(
    plan: ApplyPlan,
    computed: xr.Dataset,
    expected: Sequence[np.ndarray],
    client: Client,
    *,
    progress: bool = False,
    store: Store | None = None,
) -> int:
    """Check the store at ``plan.temp`` (or ``store``: a copy on an object store, read through
    the store that holds its top-level metadata back) against the computed dataset and the
    digests of its written blocks (:func:`advisor.run.checksum.digests`, one per shard or chunk).

    The metadata (:func:`_check_store`) first, then the stored values as zarr
    holds them, read in blocks of whole stored chunks (``plan.verify_chunks``)
    and digested per written block. Raises :class:`AdvisorError` on any
    difference, naming the first block that differs; returns the number of
    tasks it ran.
    """
    import dask.array as da

    from advisor.run.workloads import open_for_compute

    where = plan.temp if store is None else store
    stored = open_for_compute(where)
    try:
        group = _check_store(plan, computed, stored, where)
    finally:
        stored.close()
    step = plan.shards or plan.chunks
    futures = client.compute(
        [digests(da.from_array(group[v], chunks=plan.verify_chunks), step) for v in plan.variables]
    )
    tasks = wait_with_progress(futures, "verifying", progress)
    got = client.gather(futures)
    for var, want, have in zip(plan.variables, expected, got, strict=True):
        if want.shape != have.shape or not np.array_equal(want, have):
            raise AdvisorError(
                f"verification failed: the stored {var} differs from the computed one "
                f"{_first_difference(plan, step, want, have)}; {plan.out} was not touched"
            )
    # the shuffle and typesize in effect, read from the stored Blosc headers
    check_blosc_headers(group.store, plan.variables, plan.codec)
    return tasks


def _first_difference(
    plan: ApplyPlan, step: Sequence[int], want: np.ndarray, have: np.ndarray
) -> str:
    """Where the digests first differ, as the block's place: ``in the block at time 32:64, ...``."""
    if want.shape != have.shape:
        return f"(blocks {have.shape}, not {want.shape})"
    index = tuple(int(i) for i in np.argwhere(want != have)[0])
    place = ", ".join(
        f"{d} {i * s}:{min((i + 1) * s, n)}"
        for d, i, s, n in zip(plan.dims, index, step, plan.shape, strict=True)
    )
    return f"in the block at {place}"


def _check_store(
    plan: ApplyPlan, computed: xr.Dataset, stored: xr.Dataset, where: Path | Url | Store
) -> zarr.Group:
    """The stored metadata: variables, coordinates, attributes, chunks, shards, codec, consolidation.

    Returns the store's group, opened from its consolidated metadata."""
    import zarr

    def fail(what: str) -> AdvisorError:
        return AdvisorError(f"verification failed: {what}; {plan.out} was not touched")

    if sorted(map(str, stored.data_vars)) != sorted(plan.variables):
        raise fail(
            f"the store holds {sorted(map(str, stored.data_vars))}, not {list(plan.variables)}"
        )
    for name in computed.coords:
        if name not in stored.coords or not np.array_equal(
            computed[name].values, stored[name].values
        ):
            raise fail(f"coordinate {name} differs")
    store = zarr_store(where) if isinstance(where, Path | Url) else where
    if plan.icechunk:  # Icechunk keeps its own metadata: nothing to consolidate
        group = zarr.open_group(store, mode="r", zarr_format=3)
    else:
        group = zarr.open_consolidated(store, mode="r", zarr_format=plan.zarr_format)
    itemsize = plan.itemsize
    want_codec = _configs(compressors(plan.codec, plan.zarr_format, itemsize) or ())
    for var in plan.variables:
        if dict(stored[var].attrs) != dict(computed[var].attrs):
            raise fail(f"the attributes of {var} differ")
        array = group[var]
        if not isinstance(array, zarr.Array):
            raise fail(f"{var} is a group, not an array")
        if tuple(array.chunks) != plan.chunks:
            raise fail(f"{var} is stored in chunks {array.chunks}, not {plan.chunks}")
        if plan.shards is not None and tuple(array.shards or ()) != plan.shards:
            raise fail(f"{var} is stored in shards {array.shards}, not {plan.shards}")
        if _configs(array.compressors) != want_codec:
            raise fail(f"{var} is compressed with {array.compressors}, not {plan.codec}")
    return group


def _configs(codecs: Sequence[object]) -> tuple[object, ...]:
    """The codecs as their configurations (zarr 3 ``to_dict``, numcodecs ``get_config``): what is
    stored, whatever the objects' in-memory state (a zarr 3 codec read back has no tunable
    attributes left)."""
    return tuple(
        c.to_dict() if hasattr(c, "to_dict") else c.get_config()  # type: ignore[attr-defined]
        for c in codecs
    )
