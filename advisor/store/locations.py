"""Opening a location: a local folder, or a URL on an object store through fsspec.

The one place a text a user typed becomes a place to read or write (:func:`location`), and a
place becomes a zarr store (:func:`zarr_store`) or a file system (:func:`filesystem`). Local
paths stay :class:`pathlib.Path`; URLs are :class:`advisor.plan.location.Url` values carrying
their storage options, opened with zarr's own :class:`zarr.storage.FsspecStore` — the store
xarray builds from ``storage_options=``, so the advisor reads exactly as the paste-ready
snippet does (docs/object-stores.md says why fsspec and not obstore).

Credentials and endpoints come the standard way: for S3, the AWS variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_PROFILE``) that botocore reads; ``--storage-option`` and ``--anon`` add the rest.

Examples
--------
>>> from pathlib import Path
>>> location("data/out.zarr", "--out") == Path("data/out.zarr").resolve()
True
>>> url = location("memory://bucket/x.zarr", "--out")
>>> str(url), exists(url)
('memory://bucket/x.zarr', False)
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.plan.location import LIBRARIES, Url, local_path, parse_url

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem
    from zarr.abc.store import Store

logger = logging.getLogger(__name__)

Where = Path | Url
"""A store's place: a local path or a URL."""

STORE_MARKERS = (".zgroup", ".zarray", "zarr.json")
"""Objects at the top of a Zarr store (format 2 group or array, format 3)."""


def location(
    text: str | Path | Url,
    option: str,
    storage_options: Mapping[str, Any] | None = None,
    *,
    write: bool = False,
) -> Where:
    """The place ``text`` names, checked: a resolved local path, or a URL whose library is installed.

    ``write`` refuses read-only schemes (``https://``). Raises :class:`AdvisorError`
    with the extra to install when the scheme's library is missing.

    Examples
    --------
    >>> location("https://host/x.zarr", "--out", write=True)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --out https://host/x.zarr: https:// is read-only; write to a \
local path or an s3://, gs://, az:// or memory:// URL
    """
    if isinstance(text, Url):
        url: Url | None = text.with_options({**text.storage_options, **(storage_options or {})})
    else:
        url = parse_url(str(text), storage_options, option=option)
    if url is None:
        return Path(local_path(str(text))).expanduser().resolve()
    if write and url.read_only:
        raise AdvisorError(
            f"{option} {url}: {url.scheme}:// is read-only; write to a local path or an "
            "s3://, gs://, az:// or memory:// URL"
        )
    library = LIBRARIES.get(url.scheme)
    if library and importlib.util.find_spec(library[0]) is None:
        raise AdvisorError(
            f"{option} {url}: {url.scheme}:// needs {library[0]}, which is not installed: "
            f"pip install 'chunk-advisor[{library[1]}]'"
        )
    return url


def fsspec_options(url: Url) -> dict[str, Any]:
    """The storage options in the form the scheme's fsspec file system takes (``anon`` is
    ``token="anon"`` for gcsfs; https takes no credentials).

    Examples
    --------
    >>> fsspec_options(Url.make("gs", "b/x", {"anon": True}))
    {'token': 'anon'}
    """
    options = url.storage_options
    if url.scheme == "gs" and options.pop("anon", False):
        options.setdefault("token", "anon")
    if url.scheme in ("http", "https", "memory"):
        options.pop("anon", None)
    return options


def filesystem(where: Url) -> tuple[AbstractFileSystem, str]:
    """The fsspec file system of ``where`` and the store's path in it."""
    import fsspec

    try:
        fs = fsspec.filesystem(where.scheme, **fsspec_options(where))
    except Exception as exc:  # each file system raises its own for bad options
        raise AdvisorError(
            f"cannot reach {where} ({type(exc).__name__}: {exc}): check --storage-option"
        ) from None
    fs.invalidate_cache()  # listings change under us (our own writes, other writers)
    path = str(where) if where.scheme in ("http", "https") else where.key
    return fs, path


def zarr_store(where: Where, *, read_only: bool = True) -> Store | str:
    """What zarr opens: the path of a local store, or a :class:`zarr.storage.FsspecStore`."""
    if isinstance(where, Path):
        return str(where)
    from zarr.storage import FsspecStore

    return FsspecStore.from_url(
        str(where), storage_options=fsspec_options(where), read_only=read_only
    )


def exists(where: Where) -> bool:
    """Whether anything is at ``where`` (a file, a folder, objects under the prefix)."""
    if isinstance(where, Path):
        return where.exists() or where.is_symlink()
    fs, path = filesystem(where)
    try:
        return bool(fs.exists(path)) or bool(fs.ls(path, detail=False))
    except FileNotFoundError:
        return False
    except Exception as exc:  # botocore, google-auth and azure raise their own types
        raise unreachable(where, exc) from None


def is_store(where: Where) -> bool:
    """Whether ``where`` holds a Zarr store (its top-level metadata object)."""
    if isinstance(where, Path):
        return any((where / name).exists() for name in STORE_MARKERS)
    fs, path = filesystem(where)
    try:
        return any(fs.exists(f"{path}/{name}") for name in STORE_MARKERS)
    except Exception as exc:  # botocore, google-auth and azure raise their own types
        raise unreachable(where, exc) from None


def remove_tree(where: Url) -> None:
    """Delete every object under ``where`` (an orphaned or replaced copy)."""
    fs, path = filesystem(where)
    try:
        if fs.exists(path) or fs.ls(path, detail=False):
            fs.rm(path, recursive=True)
    except FileNotFoundError:
        pass


def stored_bytes(where: Url) -> int:
    """Bytes of the objects under ``where``."""
    fs, path = filesystem(where)
    return int(fs.du(path, total=True))


def unreachable(where: Where, exc: BaseException) -> AdvisorError:
    """The one-line error for a store that cannot be reached or read."""
    hint = (
        "check the URL, the credentials (AWS_ACCESS_KEY_ID..., or --anon for a public bucket) "
        "and the endpoint (AWS_ENDPOINT_URL)"
        if isinstance(where, Url) and where.scheme == "s3"
        else "check the URL, the credentials and --storage-option"
    )
    return AdvisorError(f"cannot reach {where} ({type(exc).__name__}: {exc}): {hint}")


def close_clients() -> None:
    """Close the S3 clients this process opened, while their event loops still run (at exit
    s3fs can no longer close them, and aiohttp then warns of an unclosed session)."""
    import sys

    s3fs = sys.modules.get("s3fs")
    if s3fs is None:
        return
    import fsspec.asyn

    for fs in list(s3fs.S3FileSystem._cache.values()):
        client = getattr(fs, "_s3", None)
        if client is None:
            continue
        try:
            if fs.asynchronous:  # zarr's FsspecStore: the client lives on zarr's event loop
                import zarr.core.sync

                zarr.core.sync.sync(client.__aexit__(None, None, None), timeout=5)
            elif fs.loop is not None and fs.loop.is_running():
                fsspec.asyn.sync(fs.loop, client.__aexit__, None, None, None, timeout=5)
            fs._s3 = None
        except Exception as exc:  # closing is best effort: never hide the command's result
            logger.debug("could not close an S3 client: %s", exc)
