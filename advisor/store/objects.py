"""Publishing a store on an object store, where there is no rename: chunks first, metadata last.

A new copy is written in place through :class:`HeldRoot`, a zarr store that keeps the
top-level metadata objects (``zarr.json`` for format 3, ``.zgroup``/``.zattrs``/``.zmetadata``
for format 2) in memory while every array's chunks and metadata go to the object store. Until
:meth:`HeldRoot.publish` writes them, nothing at the URL opens as a dataset: a reader never sees
half a copy, and a run killed at any moment leaves no readable dataset. The run first writes a
marker object beside the copy (``<name>`` + :data:`WRITING`); a later run that finds the marker
and no top-level metadata knows the objects are an interrupted run's orphans and removes them
(:func:`clear_target`).

Replacing an existing copy (``--overwrite``) is not atomic on an object store: the old
copy's top-level metadata is deleted first (from then on readers find no dataset), then its
objects, then the new copy is written. Icechunk gives transactions where that matters.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.storage import WrapperStore

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.store.locations import (
    STORE_MARKERS,
    Where,
    exists,
    filesystem,
    remove_tree,
    zarr_store,
)
from advisor.store.publish import new_token, publishing, write_failed

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest, Store
    from zarr.core.buffer import BufferPrototype

logger = logging.getLogger(__name__)

ROOT_KEYS = frozenset({"zarr.json", ".zgroup", ".zattrs", ".zmetadata"})
"""The top-level metadata objects that make a prefix open as a dataset."""

WRITING = ".advisor-writing"
"""Ends the name of the marker object beside a copy being written (its content: the run's token)."""


def marker(url: Url) -> Url:
    """The marker object of a copy being written at ``url``.

    Examples
    --------
    >>> str(marker(Url.make("s3", "bucket/out.zarr")))
    's3://bucket/out.zarr.advisor-writing'
    """
    return url.with_name(url.name + WRITING)


class HeldRoot(WrapperStore["Store"]):
    """A zarr store that holds the top-level metadata in memory until :meth:`publish`.

    It pickles with what it holds, so Dask workers that read the copy back
    (verification) see the whole dataset while nobody else does.
    """

    def __init__(self, store: Store, held: dict[str, bytes] | None = None) -> None:
        super().__init__(store)
        self.held: dict[str, bytes] = {} if held is None else held

    def _with_store(self, store: Store) -> HeldRoot:
        return type(self)(store, self.held)

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self._store, "held": self.held}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._store = state["store"]
        self.held = state["held"]

    async def set(self, key: str, value: Buffer) -> None:
        if key in ROOT_KEYS:
            self.held[key] = value.to_bytes()
        else:
            await self._store.set(key, value)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        if key in ROOT_KEYS:
            self.held.setdefault(key, value.to_bytes())
        else:
            await self._store.set_if_not_exists(key, value)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if key in ROOT_KEYS:
            data = self.held.get(key)
            if data is None:
                return None
            if byte_range is not None:
                raise AdvisorError(f"a ranged read of the held metadata {key} is not supported")
            return prototype.buffer.from_bytes(data)
        return await self._store.get(key, prototype, byte_range)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, rng) for key, rng in key_ranges]

    async def exists(self, key: str) -> bool:
        return key in self.held if key in ROOT_KEYS else await self._store.exists(key)

    async def delete(self, key: str) -> None:
        if key in ROOT_KEYS:
            self.held.pop(key, None)
        else:
            await self._store.delete(key)

    async def list(self) -> AsyncIterator[str]:
        for key in self.held:
            yield key
        async for key in self._store.list():
            if key not in ROOT_KEYS:
                yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in self.held:
            if key.startswith(prefix):
                yield key
        async for key in self._store.list_prefix(prefix):
            if key not in ROOT_KEYS:
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        if prefix in ("", "/"):
            for key in self.held:
                yield key
        async for key in self._store.list_dir(prefix):
            if prefix not in ("", "/") or key not in ROOT_KEYS:
                yield key

    def publish(self) -> None:
        """Write the held metadata to the object store: the copy becomes a dataset."""
        import zarr.core.sync

        async def write() -> None:
            for key in sorted(self.held, key=lambda k: k == ".zmetadata"):  # consolidated last
                await self._store.set(
                    key, default_buffer_prototype().buffer.from_bytes(self.held[key])
                )

        zarr.core.sync.sync(write())


def open_writer(url: Url) -> HeldRoot:
    """A :class:`HeldRoot` over the object store at ``url`` (writable)."""
    return HeldRoot(zarr_store(url, read_only=False))  # type: ignore[arg-type]


def clear_target(url: Url, *, overwrite: bool, token: str) -> None:
    """Make ``url`` ready for a new copy and mark it as being written by run ``token``.

    An interrupted run's orphans are removed; an existing store only with
    ``overwrite`` (top-level metadata first, so readers stop finding it before
    its chunks go); anything else there is refused.
    """
    fs, path = filesystem(url)
    flag = marker(url).key
    if exists(url):
        names = {p.rsplit("/", 1)[-1] for p in fs.ls(path, detail=False)}
        if names & set(STORE_MARKERS):
            if not overwrite:
                raise AdvisorError(
                    f"{url} already exists: pass --overwrite to replace it (on an object store "
                    "that is not atomic: readers find no dataset until the new copy is "
                    "published), or choose another --out"
                )
            logger.info("removing the old copy at %s (top-level metadata first)", url)
            for name in sorted(names & ROOT_KEYS, key=lambda n: n != ".zmetadata"):
                fs.rm(f"{path}/{name}")
        elif fs.exists(flag):
            logger.info("removing the orphaned objects of an interrupted run at %s", url)
        else:
            raise AdvisorError(
                f"{url} holds objects that are not a Zarr store: apply replaces only Zarr "
                "stores; choose another --out"
            )
        remove_tree(url)
    fs.pipe(flag, token.encode())


def finish(url: Url, store: HeldRoot) -> None:
    """Publish the held metadata, then drop the marker."""
    store.publish()
    fs, _ = filesystem(url)
    fs.rm(marker(url).key)


def discard(url: Url) -> None:
    """Remove a copy that failed (its marker last, so a kill mid-way still leaves an orphan)."""
    remove_tree(url)
    fs, _ = filesystem(url)
    if fs.exists(marker(url).key):
        fs.rm(marker(url).key)


@contextlib.contextmanager
def publishing_store(
    target: Where, *, overwrite: bool, token: str | None = None
) -> Iterator[Path | HeldRoot]:
    """Yield where to write a new store; on success publish it at ``target``, always clean up.

    A local ``target`` is written at a temporary sibling and renamed into place
    (:func:`advisor.store.publish.publishing`); a URL in place through a
    :class:`HeldRoot`, its top-level metadata written last.
    """
    token = token or new_token()
    if isinstance(target, Path):
        try:
            with publishing(target, overwrite=overwrite, token=token) as partial:
                yield partial
        except OSError as exc:
            raise write_failed(exc, target) from None
        return
    clear_target(target, overwrite=overwrite, token=token)
    store = open_writer(target)
    try:
        yield store
        finish(target, store)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            discard(target)
        if isinstance(exc, OSError):
            raise write_failed(exc, target) from None
        raise
