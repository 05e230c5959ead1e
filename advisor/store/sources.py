"""Sources: what a SOURCE names (a Zarr store path or a catalog entry), and opening stores.

The one place a source becomes a store path (:func:`resolve_source`,
:func:`resolve_sources`) and a store becomes a dataset (:func:`open_store`),
with one set of error messages. Nothing here writes: a sample catalog entry
whose store is missing is made only by the ``make`` function a caller passes
(:func:`advisor.run.sources.make_sample` writes it); without one, the error
names the command that makes it.

Examples
--------
>>> import tempfile, xarray as xr
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = xr.Dataset({"v": ("t", [1.0, 2.0])}).to_zarr(f"{tmp}/a.zarr")
...     path = resolve_source(f"{tmp}/a.zarr")
...     is_store(path), dict(open_store(path).sizes)
(True, {'t': 2})
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.store.catalog import Maker, concat_in_time, ensure_entry, entry_names
from advisor.store.locations import STORE_MARKERS, Where, location, unreachable, zarr_store
from advisor.store.locations import exists as exists_at
from advisor.store.locations import is_store as store_at

if TYPE_CHECKING:
    import xarray as xr
    from zarr.abc.store import Store

logger = logging.getLogger(__name__)

_REACH_ERRORS: tuple[type[BaseException], ...] = (OSError,)
"""What a store that cannot be reached raises: OS errors, and the S3 client's own errors
(credentials, endpoint) when botocore is installed."""
try:
    from botocore.exceptions import BotoCoreError

    _REACH_ERRORS = (OSError, BotoCoreError)
except ImportError:  # no S3 support installed
    pass


@dataclass(frozen=True, slots=True)
class Source:
    """A source as given on the command line and the Zarr store it names."""

    name: str
    path: Where


def is_store(path: Where) -> bool:
    """Whether ``path`` holds a Zarr store (its top-level metadata file or object).

    Examples
    --------
    >>> is_store(Path("/nowhere"))
    False
    """
    return store_at(path)


def resolve_source(
    name: str | Url,
    catalog: str | Path | None = None,
    *,
    make: Maker | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Where:
    """The Zarr store a SOURCE names: an existing path or a URL, else a catalog entry's store.

    A URL (``s3://...``, with ``storage_options``) must hold a Zarr store. A
    sample entry whose store is missing is made with ``make`` when one is
    given; otherwise the error names the command that makes it.

    Examples
    --------
    >>> resolve_source("nope")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: no Zarr store or catalog entry named 'nope' (the catalog \
has era5_2019, ...): give a Zarr store path or a catalog entry name
    """
    where = location(name, "SOURCE", storage_options)
    if isinstance(where, Url):
        if not store_at(where):
            hint = (
                "it does not exist"
                if not exists_at(where)
                else f"it has no {', '.join(STORE_MARKERS)}"
            )
            raise AdvisorError(f"cannot open {where} as a Zarr store: {hint}; check the URL")
        return where
    name = str(name)
    path = Path(name).expanduser()
    if path.exists():
        if not is_store(path):
            raise AdvisorError(
                f"cannot open {name} as a Zarr store: it has no {', '.join(STORE_MARKERS)}"
            )
        return path.resolve()
    try:
        names = entry_names(catalog)
    except AdvisorError as exc:  # the catalog cannot be read: say why, not only "no entry"
        raise AdvisorError(f"no Zarr store named {name!r}, and {exc}") from None
    if name not in names:
        known = f" (the catalog has {', '.join(names)})" if names else ""
        raise AdvisorError(
            f"no Zarr store or catalog entry named {name!r}{known}: "
            "give a Zarr store path or a catalog entry name"
        )
    return ensure_entry(name, catalog, make=make).path


def resolve_sources(
    names: Sequence[str],
    catalog: str | Path | None = None,
    *,
    make: Maker | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> list[Source]:
    """Each SOURCE with its store (:func:`resolve_source`); each store may be named once."""
    if not names:
        raise AdvisorError("no SOURCE given: name a catalog entry (e.g. era5_2019) or a Zarr store")
    sources = [
        Source(name, resolve_source(name, catalog, make=make, storage_options=storage_options))
        for name in names
    ]
    paths = [s.path for s in sources]
    if len(set(paths)) != len(paths):
        raise AdvisorError("a SOURCE is named twice: name each store once")
    return sources


def open_store(path: str | Where | Store, *, chunks: Mapping[str, int] | None = None) -> xr.Dataset:
    """Open the Zarr store at ``path`` (a local path, a :class:`~advisor.plan.location.Url`
    or a zarr store) lazily; every backend opens here.

    ``chunks=None`` opens it without Dask (metadata, and selections that read
    just their chunks); ``{}`` as Dask arrays in the on-disk chunks; a mapping,
    in those chunks.
    """
    import xarray as xr

    where: Any = location(path, "SOURCE") if isinstance(path, str) else path
    logger.debug("opening %s (chunks %s)", where, chunks)
    try:
        # a URL opens as the FsspecStore its options make (zarr >= 3.2 would read memory://
        # as a store of its own), so every read goes through the store writes went to
        store = zarr_store(where) if isinstance(where, Path | Url) else where
        return xr.open_zarr(
            store, chunks=None if chunks is None else dict(chunks), consolidated=None
        )
    except _REACH_ERRORS as exc:
        raise unreachable(where, exc) from None
    except Exception as exc:  # zarr and xarray raise many types for a non-store
        name = _broken_array(store) if "store" in locals() else None
        what = f": array {name!r} does not open" if name else ""
        raise AdvisorError(
            f"cannot open {where} as a Zarr store{what} ({type(exc).__name__}: {exc})"
        ) from None


ABSURD_LENGTH = 2**48
"""A dimension longer than this (2.8e14 steps) is damaged metadata, not data."""


def _broken_array(store: Any) -> str | None:
    """The first array of ``store`` whose own metadata does not open in zarr, if one does not."""
    import zarr
    from zarr.core.sync import sync

    if isinstance(store, str):
        store = zarr.storage.LocalStore(store, read_only=True)

    async def keys() -> list[str]:
        return [key async for key in store.list()]

    try:
        found = sync(keys())
    except Exception:
        return None
    for key in sorted(found):
        folder, _, leaf = key.rpartition("/")
        if not folder or leaf not in (".zarray", "zarr.json"):
            continue
        try:
            array = zarr.open_array(store, path=folder, mode="r")
        except Exception:
            return folder
        if any(n > ABSURD_LENGTH for n in array.shape) or any(c < 1 for c in array.chunks):
            return folder
    return None


def open_sources(paths: Sequence[Where]) -> xr.Dataset:
    """Open the stores as Dask arrays in their on-disk chunks, joined along time in time order."""
    datasets = [open_store(path, chunks={}) for path in paths]
    return concat_in_time(datasets, [str(p) for p in paths])


def check_output(
    out: str | Where,
    sources: Sequence[Source],
    overwrite: bool,
    storage_options: Mapping[str, Any] | None = None,
) -> Where:
    """Refuse an output that is, holds or lies inside a source, or exists without ``--overwrite``.

    Returns the resolved path or URL. ``--overwrite`` replaces only a Zarr
    store, never another file or folder. (On an object store, what is there
    is checked again when the write starts: :func:`advisor.store.objects.clear_target`.)

    Examples
    --------
    >>> check_output(Path("/data/in.zarr/out.zarr"), [Source("in", Path("/data/in.zarr"))], False)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --out /data/in.zarr/out.zarr is inside the source in \
(/data/in.zarr): apply never writes into a source; choose another --out
    """
    target = location(out, "--out", storage_options, write=True)
    for source in sources:
        if type(target) is not type(source.path):
            continue
        if target == source.path or target.is_relative_to(source.path):  # type: ignore[arg-type]
            raise AdvisorError(
                f"--out {out} is inside the source {source.name} ({source.path}): "
                "apply never writes into a source; choose another --out"
            )
        if source.path.is_relative_to(target):  # type: ignore[arg-type]
            raise AdvisorError(
                f"--out {out} contains the source {source.name} ({source.path}): "
                "choose another --out"
            )
    if exists_at(target):
        if not overwrite and (isinstance(target, Path) or store_at(target)):
            raise AdvisorError(
                f"{out} already exists: pass --overwrite to replace it, or choose another --out"
            )
        if isinstance(target, Url):
            return target
        if not target.is_dir() or not is_store(target):
            raise AdvisorError(
                f"{out} exists and is not a Zarr store: apply replaces only Zarr stores; "
                "move it away or choose another --out"
            )
    return target
