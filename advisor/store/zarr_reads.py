"""The request model of the installed zarr-python: its version and its configuration, read.

The decision itself is pure (:func:`advisor.plan.requests.zarr_reads`); this module only
reads ``zarr.__version__`` and the keys of :data:`~advisor.plan.requests.CONFIG_KEYS` from
``zarr.config`` (which ``ZARR_*`` environment variables and ``zarr.config.set`` change).
"""

from __future__ import annotations

from advisor.plan.requests import CONFIG_KEYS, ZarrReads, zarr_reads


def installed_zarr_reads() -> ZarrReads:
    """How the installed zarr-python reads, under its configuration now.

    Examples
    --------
    >>> import zarr
    >>> reads = installed_zarr_reads()
    >>> reads.version == zarr.__version__, reads.concurrency == zarr.config.get("async.concurrency")
    (True, True)
    """
    import zarr

    config = {key: zarr.config.get(key, None) for key in CONFIG_KEYS}
    return zarr_reads(zarr.__version__, {k: v for k, v in config.items() if v is not None})
