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

import sys
from collections.abc import Mapping
from importlib import metadata

from advisor.plan.errors import AdvisorError
from advisor.plan.requests import CONFIG_KEYS, ZarrReads, zarr_reads


def installed_zarr_reads() -> ZarrReads:
    """How the installed zarr-python reads, under its configuration now.

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
    return zarr_reads(version, config)


def _values(config: object) -> Mapping[str, object]:
    """The request model's keys that ``config`` (a donfig ``Config``) sets."""
    values = {key: config.get(key, None) for key in CONFIG_KEYS}  # type: ignore[attr-defined]
    return {k: v for k, v in values.items() if v is not None}
