"""One appender at a time: a lock object inside the store, created only if absent.

A local store's lock is ``STORE/.advisor-append.lock``, created with ``O_CREAT | O_EXCL``; an
object store's the same key, written with a conditional PUT (``If-None-Match: *``, s3fs's
``pipe_file(..., mode="create")``), which fails when the object exists. The lock holds the
holder's pid, host, start time and token. A lock whose holder ran on this host and is gone
(killed, SIGKILL included) is taken over, so a rerun completes the append; any other lock
refuses with one line that says who holds it and since when.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     with append_lock(Path(tmp)) as held:
...         (Path(tmp) / LOCK).exists(), held.pid == os.getpid()
...     (Path(tmp) / LOCK).exists()
(True, True)
False
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.store.locations import Where, filesystem
from advisor.store.publish import new_token

logger = logging.getLogger(__name__)

LOCK = ".advisor-append.lock"
"""The lock's name inside the store."""


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock."""

    pid: int
    host: str
    started: float
    token: str

    @classmethod
    def me(cls) -> Holder:
        return cls(os.getpid(), socket.gethostname(), time.time(), new_token())

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, data: bytes) -> Holder | None:
        try:
            return cls(**json.loads(data))
        except (ValueError, TypeError):
            return None

    def gone(self) -> bool:
        """Whether the holder ran on this host and its process no longer exists."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False


def _create(where: Where, data: bytes) -> bool:
    """Create the lock with ``data`` if absent; whether this call created it."""
    if isinstance(where, Path):
        try:
            fd = os.open(where / LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError:  # a full disk: no empty lock left to block the next run
            (where / LOCK).unlink(missing_ok=True)
            raise
        return True
    fs, path = filesystem(where)
    try:
        fs.pipe_file(f"{path}/{LOCK}", data, mode="create")
    except FileExistsError:
        return False
    except OSError as exc:  # s3fs turns 412 Precondition Failed into an OSError subtype
        if "precondition" in str(exc).lower() or "412" in str(exc):
            return False
        raise
    return True


def _read(where: Where) -> bytes | None:
    if isinstance(where, Path):
        try:
            return (where / LOCK).read_bytes()
        except FileNotFoundError:
            return None
    fs, path = filesystem(where)
    try:
        return bytes(fs.cat_file(f"{path}/{LOCK}"))
    except FileNotFoundError:
        return None


def _remove(where: Where) -> None:
    if isinstance(where, Path):
        (where / LOCK).unlink(missing_ok=True)
        return
    fs, path = filesystem(where)
    with contextlib.suppress(FileNotFoundError):
        fs.rm_file(f"{path}/{LOCK}")


def lock_name(where: Where) -> str:
    """Where the lock of the store at ``where`` is."""
    return str(where / LOCK) if isinstance(where, Path) else f"{where}/{LOCK}"


def acquire(where: Where) -> Holder:
    """Take the store's lock, or refuse with who holds it (a gone holder's is taken over once)."""
    me = Holder.me()
    for _ in range(2):
        if _create(where, me.encode()):
            logger.debug("locked %s (%s)", where, me.token)
            return me
        data = _read(where)
        if data is None:  # released meanwhile: try again
            continue
        other = Holder.decode(data)
        if other is not None and other.gone():
            logger.info("taking over the lock of %s left by pid %d (gone)", where, other.pid)
            if _read(where) == data:  # nobody else took it over meanwhile
                _remove(where)
            continue
        if other is None:
            raise AdvisorError(
                f"{lock_name(where)} exists but is not an advisor lock: remove it if no append "
                "is running"
            )
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(other.started))
        minutes = (time.time() - other.started) / 60
        raise AdvisorError(
            f"another append to {where} is running (pid {other.pid} on {other.host}, since "
            f"{since}, {minutes:.0f} min ago): wait for it, or remove {lock_name(where)} if "
            "that process is gone"
        )
    raise AdvisorError(f"could not take the lock {lock_name(where)}: another append raced; retry")


def release(where: Where, holder: Holder) -> None:
    """Remove the lock if it is still ``holder``'s."""
    data = _read(where)
    if data is not None and Holder.decode(data) == holder:
        _remove(where)


@contextlib.contextmanager
def append_lock(where: Where) -> Iterator[Holder]:
    """Hold the store's lock for the duration of the block (:func:`acquire`, :func:`release`)."""
    holder = acquire(where)
    try:
        yield holder
    finally:
        release(where, holder)
