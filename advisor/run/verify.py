"""Verifying a written store against the values ``advisor apply`` computed: its metadata (chunks,
shards, codec, consolidation, coordinates, attributes) and the checksum of every variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advisor.plan.copy_plan import ApplyPlan
from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.run.checksum import checksum
from advisor.run.watch import wait_with_progress
from advisor.store.encoding import compressors
from advisor.store.locations import zarr_store

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client
    from zarr.abc.store import Store


def verify(
    plan: ApplyPlan,
    computed: xr.Dataset,
    expected: Sequence[int],
    client: Client,
    *,
    progress: bool = False,
    store: Store | None = None,
) -> int:
    """Check the store at ``plan.temp`` (or ``store``: a copy on an object store, read through
    the store that holds its top-level metadata back) against the computed dataset and its
    checksums.

    The metadata (:func:`_check_store`) first, then the checksum of every
    variable's stored values, read in blocks of whole stored chunks
    (``plan.verify_chunks``). Raises :class:`AdvisorError` on any difference;
    returns the number of tasks it ran.
    """
    from advisor.run.workloads import open_for_compute

    where = plan.temp if store is None else store
    stored = open_for_compute(where, dict(zip(plan.dims, plan.verify_chunks, strict=True)))
    try:
        _check_store(plan, computed, stored, where)
        futures = client.compute([checksum(stored[v].data) for v in plan.variables])
        tasks = wait_with_progress(futures, "verifying", progress)
        got = [int(s) for s in client.gather(futures)]
    finally:
        stored.close()
    for var, want, have in zip(plan.variables, expected, got, strict=True):
        if want != have:
            raise AdvisorError(
                f"verification failed: the stored {var} differs from the computed one "
                f"(checksum {have:016x} vs {want:016x}); {plan.out} was not touched"
            )
    return tasks


def _check_store(
    plan: ApplyPlan, computed: xr.Dataset, stored: xr.Dataset, where: Path | Url | Store
) -> None:
    """The stored metadata: variables, coordinates, attributes, chunks, shards, codec, consolidation."""
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


def _configs(codecs: Sequence[object]) -> tuple[object, ...]:
    """The codecs as their configurations (zarr 3 ``to_dict``, numcodecs ``get_config``): what is
    stored, whatever the objects' in-memory state (a zarr 3 codec read back has no tunable
    attributes left)."""
    return tuple(
        c.to_dict() if hasattr(c, "to_dict") else c.get_config()  # type: ignore[attr-defined]
        for c in codecs
    )
