"""Publishing a finished store or file where the user asked for it, never half of one.

The one write-then-rename mechanism of the project. Every writer (``sample-data``, ``apply``, the
profile ``calibrate`` saves, the report, the benchmarks' data cache) builds its output at a
temporary sibling named ``<name>.advisor-tmp-<token>`` and publishes it once it is complete, so a
run killed at any moment leaves the old output intact or, for a new one, none. Replacing an output
moves the old one aside to ``<name>.advisor-old-<token>`` first. :func:`leftovers` finds both
kinds that an interrupted run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.plan.location import split_url

logger = logging.getLogger(__name__)

TEMP_MARK = ".advisor-tmp-"
"""Marks a temporary sibling that is being written."""

OLD_MARK = ".advisor-old-"
"""Marks an old output moved aside while its replacement is renamed into place."""


def refuse_url(path: str | Path, option: str) -> None:
    """Raise :class:`AdvisorError` when ``path`` is a URL (``s3://...``) for an ``option`` that
    takes local paths only (the report's folder, the profile file): never a local folder named
    after it. A path that went through :class:`pathlib.Path` (``s3:/bucket``) counts too.

    Examples
    --------
    >>> refuse_url("data/out.zarr", "--out")
    >>> refuse_url(Path("s3://bucket/out.zarr"), "--out")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --out s3://bucket/out.zarr: --out takes a local path, not a \
URL; give a folder on a local or mounted disk
    """
    parts = split_url(str(path))
    if parts:
        scheme, rest = parts
        raise AdvisorError(
            f"{option} {scheme}://{rest}: {option} takes a local path, not a URL; "
            "give a folder on a local or mounted disk"
        )


FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
"""The errors of a disk (or quota) that has no room left."""


def write_failed(exc: OSError, target: object) -> AdvisorError:
    """The one line a user reads when writing ``target`` failed with ``exc``: the disk is full,
    or what the system said; in either case nothing was published.

    Examples
    --------
    >>> import errno, os
    >>> str(write_failed(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), Path("/data/out.zarr")))
    'no space left on the disk holding /data/out.zarr: the write stopped and nothing was \
published (an old /data/out.zarr is as it was); free some space, or write elsewhere'
    """
    if exc.errno in FULL:
        return AdvisorError(
            f"no space left on the disk holding {target}: the write stopped and nothing was "
            f"published (an old {target} is as it was); free some space, or write elsewhere"
        )
    said = exc.strerror or str(exc) or type(exc).__name__
    where = f" at {exc.filename}" if exc.filename else ""
    return AdvisorError(
        f"writing {target} failed ({said}{where}): nothing was published; check the destination "
        "and run again"
    )


DRAIN_SECONDS = 5.0
"""How long a failed or interrupted publication waits for zarr's pending writes to end."""


def new_token() -> str:
    """A fresh random token for one run's temporary names."""
    return uuid.uuid4().hex[:12]


def temp_path(target: Path, token: str | None = None) -> Path:
    """The temporary sibling of ``target`` that a run writes before publishing.

    Examples
    --------
    >>> temp_path(Path("/data/out.zarr"), "abc").as_posix()
    '/data/out.zarr.advisor-tmp-abc'
    """
    return target.with_name(f"{target.name}{TEMP_MARK}{token or new_token()}")


def aside_path(target: Path, token: str | None = None) -> Path:
    """Where the old ``target`` waits while its replacement is renamed into place.

    Examples
    --------
    >>> aside_path(Path("/data/out.zarr"), "abc").as_posix()
    '/data/out.zarr.advisor-old-abc'
    """
    return target.with_name(f"{target.name}{OLD_MARK}{token or new_token()}")


def leftovers(target: Path) -> list[Path]:
    """Siblings of ``target`` left by interrupted runs (temporary outputs, an old one moved aside)."""
    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        return []
    marks = (f"{target.name}{TEMP_MARK}", f"{target.name}{OLD_MARK}")
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(marks))


def remove(path: Path) -> None:
    """Delete a file or folder if it is there (a temporary output, an old one moved aside)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def move_into_place(
    temp: Path, target: Path, *, overwrite: bool, aside: Path | None = None
) -> None:
    """Rename the finished ``temp`` to ``target``; with ``overwrite``, swap out the old ``target``.

    A new ``target`` appears in one atomic rename. Replacing one takes two: the
    old output is renamed to ``aside``, ``temp`` to ``target``, then ``aside`` is
    deleted. A kill between the two renames (a window of two system calls)
    leaves no ``target`` and the old output, intact, at ``aside``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     tmp = Path(tmp)
    ...     (tmp / "new").mkdir(); (tmp / "out").mkdir(); _ = (tmp / "out" / "old").write_text("")
    ...     move_into_place(tmp / "new", tmp / "out", overwrite=True)
    ...     sorted(p.name for p in tmp.iterdir()), list((tmp / "out").iterdir())
    (['out'], [])
    """
    if not (target.exists() or target.is_symlink()):
        os.rename(temp, target)
        return
    if not overwrite:
        raise AdvisorError(
            f"{target} appeared while writing: the finished copy is kept at {temp}; "
            "move it yourself or run again with --overwrite"
        )
    aside = aside or aside_path(target)
    os.rename(target, aside)
    os.rename(temp, target)
    remove(aside)


@contextlib.contextmanager
def publishing(target: Path, *, overwrite: bool, token: str | None = None) -> Iterator[Path]:
    """Yield the temporary path to write; on success publish it at ``target``, always clean up.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp) / "out.txt"
    ...     with publishing(out, overwrite=False) as partial:
    ...         _ = partial.write_text("done")
    ...     out.read_text(), leftovers(out)
    ('done', [])
    """
    token = token or new_token()
    temp = temp_path(target, token)
    logger.debug("writing %s by way of %s", target, temp.name)
    try:
        yield temp
        move_into_place(temp, target, overwrite=overwrite, aside=aside_path(target, token))
    except BaseException:
        drain_zarr_io()  # a write still pending there would recreate the temporary copy
        raise
    finally:
        remove(temp)


def drain_zarr_io(timeout: float = DRAIN_SECONDS) -> None:
    """Wait (at most ``timeout`` s) until zarr's I/O event loop runs no task of its own.

    A Ctrl-C stops the thread that waits on zarr, not zarr's I/O thread: the
    metadata and chunk writes it has started go on, and one that lands after
    the cleanup recreates the temporary copy. Nothing to wait for when zarr
    has not been imported or has no loop running.
    """
    import asyncio
    import sys

    sync = sys.modules.get("zarr.core.sync")
    loop = getattr(sync, "loop", [None])[0] if sync is not None else None
    if loop is None or not loop.is_running():
        return

    async def others_done() -> None:
        me = asyncio.current_task()
        while pending := [t for t in asyncio.all_tasks() if t is not me and not t.done()]:
            await asyncio.wait(pending, timeout=0.05)

    future = asyncio.run_coroutine_threadsafe(others_done(), loop)
    with contextlib.suppress(Exception):
        future.result(timeout)
    future.cancel()


def write_text(target: Path, text: str, *, what: str, hint: str) -> Path:
    """Write ``text`` to the file ``target`` atomically (replacing it); errors say ``hint``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_text(Path(tmp) / "a" / "p.json", "{}", what="the profile", hint="")
    ...     path.read_text()
    '{}'
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with publishing(target, overwrite=True) as partial:
            partial.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AdvisorError(f"cannot write {what} to {target} ({exc.strerror}): {hint}") from None
    return target
