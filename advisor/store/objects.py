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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.store.held import HeldMetadata
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
    pass

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


class HeldRoot(HeldMetadata):
    """A zarr store that holds the top-level metadata in memory until :meth:`publish`
    (:class:`~advisor.store.held.HeldMetadata`); the target was cleared, so the wrapped
    store holds none of it.
    """

    only_held = True

    def holds(self, key: str) -> bool:
        return key in ROOT_KEYS


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


def write_lost(exc: BaseException, url: Url) -> AdvisorError | None:
    """The one line when the object store at ``url`` stopped answering mid-write (a
    connection error or timeout of the S3 client or its HTTP layer), else None.

    Examples
    --------
    >>> print(write_lost(ConnectionRefusedError(111, "refused"), Url.make("s3", "b/c.zarr")))
    ... # doctest: +NORMALIZE_WHITESPACE
    cannot reach s3://b/c.zarr mid-write (ConnectionRefusedError): the write stopped and nothing
    was published (the top-level metadata goes last); rerun the command once the store answers:
    it removes this run's objects by their marker s3://b/c.zarr.advisor-writing
    >>> write_lost(ValueError("bad"), Url.make("s3", "b/c.zarr")) is None
    True
    """
    lib = type(exc).__module__.split(".")[0]
    if not isinstance(exc, ConnectionError | TimeoutError) and lib not in _CLIENT_LIBS:
        return None
    return AdvisorError(
        f"cannot reach {url} mid-write ({type(exc).__name__}): the write stopped and nothing "
        "was published (the top-level metadata goes last); rerun the command once the store "
        f"answers: it removes this run's objects by their marker {marker(url)}"
    )


_CLIENT_LIBS = frozenset({"botocore", "aiobotocore", "aiohttp", "urllib3"})
"""The S3 client's libraries: their exceptions during a write are the store not answering."""


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
