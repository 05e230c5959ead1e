"""The request model of the installed zarr-python: its version and its configuration, read.

The decision itself is pure (:func:`advisor.plan.requests.zarr_reads`); this module only
reads the version and the keys of :data:`~advisor.plan.requests.CONFIG_KEYS`. When zarr is
imported already, from ``zarr.__version__`` and ``zarr.config`` (which ``zarr.config.set``
changes); otherwise without importing zarr (planning from a bare shape imports no heavy
library): the version from the package metadata, the configuration through donfig, zarr's
own config library, from the same ``ZARR_*`` environment variables and YAML files zarr reads,
zarr's defaults filling the rest.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url, parse_url
from advisor.plan.profile import StorageProfile
from advisor.plan.requests import CONFIG_KEYS, ZarrReads, is_object_store, zarr_reads


def installed_zarr_reads(
    scheme: str | None = None, storage_options: Mapping[str, object] | None = None
) -> ZarrReads:
    """How the installed zarr-python reads, under its configuration now, through the client of
    ``scheme`` (None: a local disk) with ``storage_options``.

    For ``s3`` the installed s3fs is read: with ``max_concurrency > 1`` (its default) it sends a
    HEAD before every whole-object GET (:attr:`ZarrReads.whole_object_requests` is 2).

    Examples
    --------
    >>> import zarr
    >>> reads = installed_zarr_reads()
    >>> reads.version == zarr.__version__, reads.concurrency == zarr.config.get("async.concurrency")
    (True, True)
    >>> with zarr.config.set({"async.concurrency": 3}):
    ...     installed_zarr_reads().concurrency
    3
    """
    zarr = sys.modules.get("zarr")
    if zarr is not None:
        version, config = str(zarr.__version__), _values(zarr.config)
    else:
        try:
            version = metadata.version("zarr")
        except metadata.PackageNotFoundError:
            raise AdvisorError("zarr is not installed: pip install zarr") from None
        import donfig  # type: ignore[import-untyped]

        config = _values(donfig.Config("zarr"))
    reads = zarr_reads(version, config)
    if scheme == "s3" and _s3fs_heads(storage_options or {}):
        reads = dataclasses.replace(reads, whole_object_requests=2)
    return reads


def _s3fs_heads(storage_options: Mapping[str, object]) -> bool:
    """Whether the installed s3fs sends a HEAD before each whole-object GET: those with a
    ``max_concurrency`` option do when it is above 1 (the size decides whether to split the
    GET into concurrent ranges)."""
    import importlib.util
    import re

    spec = importlib.util.find_spec("s3fs")
    if spec is None or spec.submodule_search_locations is None:
        return False
    # read the installed s3fs's default without importing it (aiobotocore takes a second)
    core = Path(next(iter(spec.submodule_search_locations))) / "core.py"
    found = re.search(r"\bmax_concurrency=(\d+)", core.read_text(encoding="utf-8"))
    if found is None:
        return False
    value = storage_options.get("max_concurrency", int(found.group(1)))
    return isinstance(value, int) and value > 1


def _values(config: object) -> Mapping[str, object]:
    """The request model's keys that ``config`` (a donfig ``Config``) sets."""
    values = {key: config.get(key, None) for key in CONFIG_KEYS}  # type: ignore[attr-defined]
    return {k: v for k, v in values.items() if v is not None}


def reads_for(
    where: str | Path | Url | None,
    profile: StorageProfile,
    storage_options: Mapping[str, object] | None = None,
) -> ZarrReads:
    """How a copy at ``where`` will be read: the installed zarr through the client of its URL's
    scheme, or of S3 when a local path (or a bare shape: None) is planned with an object-store
    profile. ``recommend`` and ``apply`` price requests with it.

    Examples
    --------
    >>> from advisor.plan.profile import PRESETS
    >>> reads_for("s3://bucket/x.zarr", PRESETS["local"]).whole_object_requests
    2
    >>> reads_for("/data/x.zarr", PRESETS["local"]).whole_object_requests
    1
    """
    url = where if isinstance(where, Url) else parse_url(str(where)) if where else None
    scheme = url.scheme if url else ("s3" if is_object_store(profile) else None)
    return installed_zarr_reads(scheme, storage_options)
