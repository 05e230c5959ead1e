"""The folders calibration and validation write their sample copies into, and their removal.

``advisor calibrate`` writes into a fresh folder inside the store under test
(:func:`calibration_folder`, which may be an fsspec URL); ``advisor validate``
into a temporary folder or the user's own ``--workdir`` (:func:`validation_folder`).
Both write zarr 3 stores with consolidated metadata (:func:`consolidated_quietly`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from advisor.plan.errors import AdvisorError
from advisor.plan.location import Url
from advisor.store.locations import Where, exists, location, remove_tree

logger = logging.getLogger(__name__)

CONSOLIDATED_WARNING = "Consolidated metadata is currently not part"
"""zarr's warning on consolidated metadata in format 3 (which xarray reads fastest)."""


@contextmanager
def consolidated_quietly() -> Iterator[None]:
    """Silence the warning on consolidated metadata in zarr 3 (:data:`CONSOLIDATED_WARNING`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", CONSOLIDATED_WARNING)
        yield


def check_store(
    store: str | Where | None, storage_options: Mapping[str, Any] | None = None
) -> Where | None:
    """The place ``store`` names, checked to hold the calibration stores (a local folder must be
    one, or be creatable; a URL needs its library installed): raises :class:`AdvisorError`.

    Examples
    --------
    >>> check_store(None) is None, check_store(".") == Path(".").resolve()
    (True, True)
    """
    if store is None:
        return None
    where = location(store, "--store", storage_options, write=True)
    if isinstance(where, Url):
        return where
    if where.exists() and not where.is_dir():
        raise AdvisorError(f"--store {store} is a file: give a folder (or a URL) to write into")
    existing = next((f for f in (where, *where.parents) if f.exists()), None)
    if existing is None or not existing.is_dir():
        raise AdvisorError(f"--store {store}: {existing} is not a folder; choose another --store")
    return where


@contextmanager
def calibration_folder(store: str | Where | None) -> Iterator[tuple[Where, str]]:
    """A fresh folder for the calibration stores inside ``store`` (default: a temporary folder
    on the local disk) and a phrase naming where it is; removed afterwards."""
    name = f"advisor-calibrate-{uuid.uuid4().hex[:8]}"
    where = check_store(store)
    if where is None:
        root = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            yield root, f"a temporary folder on the local disk ({root.parent})"
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    if isinstance(where, Url):
        try:
            yield where / name, str(where)
        finally:
            with _ignored_errors():
                remove_tree(where / name)
        return
    try:
        (where / name).mkdir(parents=True)
    except OSError as exc:
        raise AdvisorError(
            f"cannot write into --store {store} ({exc.strerror}): choose a writable folder"
        ) from None
    try:
        yield where / name, str(where)
    finally:
        shutil.rmtree(where / name, ignore_errors=True)


def check_workdir(workdir: Where | None) -> None:
    """Raise :class:`AdvisorError` if ``workdir`` holds anything (the copies need a new folder,
    or a URL prefix with nothing under it).

    Examples
    --------
    >>> check_workdir(None)  # a temporary folder will be made: nothing to check
    """
    if isinstance(workdir, Url):
        if exists(workdir):
            raise AdvisorError(f"--workdir {workdir} is not empty: give a new prefix")
    elif workdir is not None and workdir.exists() and any(workdir.iterdir()):
        raise AdvisorError(f"--workdir {workdir} is not empty: give a new or empty folder")


@contextmanager
def validation_folder(workdir: Where | None) -> Iterator[Where]:
    """``workdir`` (new or empty, kept afterwards; a local folder or a URL on an object store),
    or a temporary folder removed afterwards."""
    check_workdir(workdir)
    folder = workdir or Path(tempfile.mkdtemp(prefix="advisor-validate-"))
    if isinstance(folder, Path):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    finally:
        if workdir is None and isinstance(folder, Path):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _ignored_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # cleanup of a remote store must not hide the result
        logger.warning("could not remove the calibration stores: %s", exc)
