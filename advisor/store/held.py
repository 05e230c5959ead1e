"""A zarr store whose metadata writes wait in memory: chunks first, metadata last.

:class:`HeldMetadata` wraps a store; the keys its :meth:`~HeldMetadata.holds` names are kept
in memory when written (and read back from there, so the writer sees its own metadata), every
other key goes to the store at once. :meth:`~HeldMetadata.publish` writes what was held,
arrays first, the root's next, consolidated metadata last (:func:`publish_order`). It pickles
with what it holds, so Dask workers that read the store back (verification) see it whole
while nobody else does. Two policies use it: a new copy on an object store holds its root
metadata (:class:`advisor.store.objects.HeldRoot`), an append holds every metadata object
(:class:`advisor.store.append_store.DeferredMetadata`).

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


class HeldMetadata(WrapperStore["Store"]):
    """A zarr store that holds the writes of the keys :meth:`holds` names until
    :meth:`publish` (module docstring); subclasses say which keys."""

    only_held = False
    """Whether the held keys exist only in memory (the wrapped store has none of them, e.g. a
    target cleared for a new copy: they are not looked up there), or may exist below too."""

    def __init__(self, store: Store, held: dict[str, bytes] | None = None) -> None:
        super().__init__(store)
        self.held: dict[str, bytes] = {} if held is None else held

    def holds(self, key: str) -> bool:
        """Whether a write of ``key`` is held (every metadata object, by default)."""
        return is_metadata(key)

    def _below(self, key: str) -> bool:
        """Whether ``key`` may be in the wrapped store."""
        return not (self.only_held and self.holds(key))

    def _with_store(self, store: Store) -> HeldMetadata:
        return type(self)(store, self.held)

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self._store, "held": self.held}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._store = state["store"]
        self.held = state["held"]

    async def set(self, key: str, value: Buffer) -> None:
        if self.holds(key):
            self.held[key] = value.to_bytes()
        else:
            await self._store.set(key, value)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        if self.holds(key):
            if key not in self.held and not (self._below(key) and await self._store.exists(key)):
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
        if not self._below(key):
            return None
        return await self._store.get(key, prototype, byte_range)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, rng) for key, rng in key_ranges]

    async def exists(self, key: str) -> bool:
        return key in self.held or (self._below(key) and await self._store.exists(key))

    async def delete(self, key: str) -> None:
        if self.holds(key):
            self.held.pop(key, None)
        if self._below(key):
            await self._store.delete(key)

    async def list(self) -> AsyncIterator[str]:
        async for key in self.list_prefix(""):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in self.held:
            if key.startswith(prefix):
                yield key
        async for key in self._store.list_prefix(prefix):
            if key not in self.held and self._below(key):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        base = prefix.rstrip("/") + "/" if prefix not in ("", "/") else ""
        seen = set()
        for key in self.held:
            if key.startswith(base):
                head = key[len(base) :].split("/", 1)[0]
                if head not in seen:
                    seen.add(head)
                    yield head
        async for key in self._store.list_dir(prefix):
            if key not in seen and self._below(base + key):
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
