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

import builtins
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.storage import WrapperStore

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest, Store
    from zarr.core.buffer import BufferPrototype

METADATA_NAMES = frozenset({"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"})
"""The names of zarr's metadata objects (formats 2 and 3), at any depth."""


def is_metadata(key: str) -> bool:
    """Whether ``key`` names a metadata object (not a chunk)."""
    return key.rsplit("/", 1)[-1] in METADATA_NAMES


def publish_order(key: str) -> tuple[int, int, str]:
    """Sort key of the held metadata: arrays first, the root's next, consolidated last.

    Examples
    --------
    >>> sorted([".zmetadata", ".zattrs", "t/.zarray", ".zgroup", "t/.zattrs"], key=publish_order)
    ['t/.zarray', 't/.zattrs', '.zattrs', '.zgroup', '.zmetadata']
    >>> sorted(["zarr.json", "t/zarr.json"], key=publish_order)
    ['t/zarr.json', 'zarr.json']
    """
    root = "/" not in key
    return (int(root) + int(key == ".zmetadata") + int(key == "zarr.json"), -key.count("/"), key)


def local_writes_atomic() -> bool:
    """Whether the installed zarr's LocalStore writes each object by rename (temp then replace)."""
    from zarr.storage import _local

    return hasattr(_local, "_atomic_write")


class DeferredMetadata(WrapperStore["Store"]):
    """A zarr store that holds every metadata write in memory until :meth:`publish`.

    Reads see the held metadata (the appender sees its own resize); chunks pass
    through. It pickles with what it holds, so Dask workers read the appended store
    (verification) while nobody else does.
    """

    def __init__(self, store: Store, held: dict[str, bytes] | None = None) -> None:
        super().__init__(store)
        self.held: dict[str, bytes] = {} if held is None else held

    def _with_store(self, store: Store) -> DeferredMetadata:
        return type(self)(store, self.held)

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self._store, "held": self.held}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._store = state["store"]
        self.held = state["held"]

    async def set(self, key: str, value: Buffer) -> None:
        if is_metadata(key):
            self.held[key] = value.to_bytes()
        else:
            await self._store.set(key, value)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        if is_metadata(key):
            if key not in self.held and not await self._store.exists(key):
                self.held[key] = value.to_bytes()
        else:
            await self._store.set_if_not_exists(key, value)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if key in self.held:
            if byte_range is not None:
                raise AdvisorError(f"a ranged read of the held metadata {key} is not supported")
            return prototype.buffer.from_bytes(self.held[key])
        return await self._store.get(key, prototype, byte_range)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, rng) for key, rng in key_ranges]

    async def exists(self, key: str) -> bool:
        return key in self.held or await self._store.exists(key)

    async def delete(self, key: str) -> None:
        if is_metadata(key):
            raise AdvisorError(f"an append never deletes metadata ({key})")
        await self._store.delete(key)

    async def list(self) -> AsyncIterator[str]:
        async for key in self.list_prefix(""):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in self.held:
            if key.startswith(prefix):
                yield key
        async for key in self._store.list_prefix(prefix):
            if key not in self.held:
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        base = prefix.rstrip("/") + "/" if prefix not in ("", "/") else ""
        seen = set()
        for key in self.held:
            if key.startswith(base):
                head = key[len(base) :].split("/", 1)[0]
                seen.add(head)
                yield head
        async for key in self._store.list_dir(prefix):
            if key not in seen:
                yield key

    def publish(self) -> builtins.list[str]:
        """Write the held metadata to the store (arrays, root, consolidated last); returns the
        keys in the order written."""
        import zarr.core.sync

        order = sorted(self.held, key=publish_order)

        async def write() -> None:
            for key in order:
                buffer = default_buffer_prototype().buffer.from_bytes(self.held[key])
                await self._store.set(key, buffer)

        zarr.core.sync.sync(write())
        return order
