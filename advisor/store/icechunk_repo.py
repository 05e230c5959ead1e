"""Icechunk repositories as ``apply`` targets: one commit per copy, readers see one snapshot.

``advisor apply ... --icechunk --out PLACE`` writes the copy into the Icechunk repository at
PLACE (a local folder or an ``s3://``, ``gs://``, ``az://`` URL; made if missing) and commits it
once it is verified: readers of the branch see the old snapshot or the new one, never a mix,
on any store — the transaction an object store's missing rename cannot give
(:mod:`advisor.store.objects`). A killed run commits nothing; the old snapshot stays the tip.
Icechunk is an optional extra (``pip install 'chunk-advisor[icechunk]'``).

Credentials: for S3 the standard AWS variables (``AWS_ENDPOINT_URL`` included; an ``http://``
endpoint allows plain HTTP); GCS and Azure from their environments.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.store.locations import Where

if TYPE_CHECKING:
    import icechunk

BRANCH = "main"
"""The branch ``apply`` commits to."""


def require_icechunk() -> None:
    """Raise the one-line error that says which extra to install when icechunk is missing."""
    if importlib.util.find_spec("icechunk") is None:
        raise AdvisorError(
            "--icechunk needs icechunk, which is not installed: pip install 'chunk-advisor[icechunk]'"
        )


def storage(where: Where) -> icechunk.Storage:
    """The Icechunk storage of a local folder or an object-store URL."""
    import icechunk

    if isinstance(where, Path):
        return icechunk.local_filesystem_storage(str(where))
    bucket, _, prefix = where.key.partition("/")
    options: dict[str, Any] = where.storage_options
    if where.scheme == "s3":
        endpoint = options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
        return icechunk.s3_storage(
            bucket=bucket,
            prefix=prefix or None,
            endpoint_url=endpoint,
            allow_http=bool(endpoint and endpoint.startswith("http://")),
            force_path_style=bool(endpoint),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            anonymous=bool(options.get("anon")) or None,
            from_env=None if options.get("anon") else True,
        )
    if where.scheme == "gs":
        return icechunk.gcs_storage(bucket=bucket, prefix=prefix or None, from_env=True)
    if where.scheme == "az":
        account = options.get("account_name") or os.environ.get("AZURE_STORAGE_ACCOUNT_NAME")
        if not account:
            raise AdvisorError(
                f"--out {where}: name the Azure account with --storage-option account_name=NAME "
                "or AZURE_STORAGE_ACCOUNT_NAME"
            )
        return icechunk.azure_storage(
            account=account, container=bucket, prefix=prefix, from_env=True
        )
    raise AdvisorError(
        f"--out {where}: an Icechunk repository lives in a local folder or on s3://, gs:// or "
        "az://; choose one of those"
    )


def open_repository(where: Where, *, create: bool = True) -> icechunk.Repository | None:
    """The repository at ``where``; a missing one is made when ``create`` (else None)."""
    import icechunk

    icechunk.set_logs_filter("error")  # not a warning per run about local-disk commits
    store = storage(where)
    try:
        if icechunk.Repository.exists(store):
            return icechunk.Repository.open(store)
        return icechunk.Repository.create(store) if create else None
    except Exception as exc:  # icechunk raises its own types for storage errors
        raise AdvisorError(
            f"cannot open the Icechunk repository at {where} ({type(exc).__name__}: {exc}): check "
            "the URL and the credentials"
        ) from None


def check_repository(where: Where, *, overwrite: bool) -> None:
    """Refuse a repository whose branch already holds a dataset, unless ``overwrite`` (the next
    commit then replaces the dataset; the old snapshot stays in the history). Writes nothing."""
    import zarr

    repo = open_repository(where, create=False)
    if repo is None or overwrite:
        return
    group = zarr.open_group(repo.readonly_session(BRANCH).store, mode="r")
    if list(group.array_keys()):
        raise AdvisorError(
            f"the Icechunk repository at {where} already holds a dataset: pass --overwrite to "
            "commit a new snapshot over it (the old one stays in its history), or choose "
            "another --out"
        )
