"""Appending to a store: every chunk first, every metadata object last.

xarray's ``to_zarr(append_dim=...)`` resizes each array (writes its metadata) before it writes
the new chunks, so a run killed mid-write would show fill values as data. Written through
:class:`DeferredMetadata`, the resize, the new attributes and the consolidated metadata stay
in memory while the chunks go to the store; :meth:`DeferredMetadata.publish` writes them at
the end, the consolidated metadata (``.zmetadata``, or the root ``zarr.json`` of format 3,
which holds it) last. Readers that use consolidated metadata (xarray's default) therefore see
the old store until that one write, then the whole append.

Chunk writes themselves are atomic on both kinds of target: an object-store PUT is, and the
installed zarr's :class:`zarr.storage.LocalStore` writes each object to a temporary sibling
and renames it into place (``_atomic_write``, read in zarr 3.1); :func:`local_writes_atomic`
checks that at run time. A rewritten trailing chunk is therefore the old one or the new one,
never a torn one, and rewriting it keeps the old steps' values: the old metadata still
bounds what readers see.

Examples
--------
>>> is_metadata("t2m/zarr.json"), is_metadata(".zmetadata"), is_metadata("t2m/c/0/0/0")
(True, True, False)
"""

from __future__ import annotations

from advisor.plan.errors import AdvisorError
from advisor.store.held import HeldMetadata, is_metadata

__all__ = ["DeferredMetadata", "is_metadata", "local_writes_atomic"]


def local_writes_atomic() -> bool:
    """Whether the installed zarr's LocalStore writes each object by rename (temp then replace)."""
    from zarr.storage import _local

    return hasattr(_local, "_atomic_write")


class DeferredMetadata(HeldMetadata):
    """A zarr store that holds every metadata write in memory until :meth:`publish`
    (:class:`~advisor.store.held.HeldMetadata`): the appender sees its own resize, readers
    the old store; chunks pass through. Metadata is never deleted.
    """

    async def delete(self, key: str) -> None:
        if is_metadata(key):
            raise AdvisorError(f"an append never deletes metadata ({key})")
        await self._store.delete(key)
