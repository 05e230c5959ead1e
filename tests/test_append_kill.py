"""``advisor append`` killed and raced: SIGKILL at several points leaves the store holding
exactly its old steps or all the new ones, and a rerun completes the append; a second appender
is refused while one runs; on S3 the lock is a conditional PUT and refuses the same way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from advisor.api.append import append
from advisor.store.append_lock import LOCK, Holder
from tests.conftest import assert_one_line_error, run_cli
from tests.test_append import assert_same_store, dataset, write

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
OLD, NEW = 10, 120
"""Steps in the store before, and steps the killed append adds (one per chunk: many writes)."""


def _stores(tmp_path: Path) -> tuple[xr.Dataset, Path, Path, Path]:
    ds = dataset(OLD + NEW)
    want = write(ds, tmp_path / "whole.zarr", "zarr2", chunks=(1, 6, 8))
    store = write(ds.isel(time=slice(0, OLD)), tmp_path / "store.zarr", "zarr2", chunks=(1, 6, 8))
    source = write(ds.isel(time=slice(OLD, None)), tmp_path / "new.zarr", "zarr2", chunks=(1, 6, 8))
    return ds, want, store, source


def _new_chunks(store: Path) -> int:
    """Chunk files past the old end (zarr 2 keys ``T.Y.X``, T >= OLD), both variables."""
    return sum(
        1
        for var in ("t2m", "tp")
        for f in os.listdir(store / var)
        if f[0].isdigit() and not f.endswith("partial") and int(f.split(".")[0]) >= OLD
    )


def _start(source: Path, store: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "advisor", "append", str(source), "--to", str(store), "--json"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for(proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    import psutil

    family = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    psutil.wait_procs([psutil.Process(p) for p in family if psutil.pid_exists(p)], timeout=30)


POINTS: dict[str, Callable[[Path], bool]] = {
    "locked": lambda store: (store / LOCK).exists(),  # before any chunk
    "writing": lambda store: _new_chunks(store) >= 2 * NEW // 3,  # a third of the chunks
    "written": lambda store: _new_chunks(store) >= 2 * NEW,  # every chunk: verifying
}


@pytest.mark.parametrize("point", list(POINTS))
def test_sigkill_leaves_the_old_steps_exactly_and_a_rerun_completes(
    point: str, tmp_path: Path, local_client
) -> None:
    ds, want, store, source = _stores(tmp_path)
    proc = _start(source, store, tmp_path)
    try:
        _wait_for(proc, lambda: POINTS[point](store))
        _kill(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if point != "locked":
        assert _new_chunks(store) > 0  # chunks past the end were written ...
    got = xr.open_zarr(store)  # ... the store still opens, holding exactly the old steps
    assert got.sizes["time"] == OLD
    np.testing.assert_array_equal(got.t2m.values, ds.t2m.values[:OLD])
    np.testing.assert_array_equal(got.tp.values, ds.tp.values[:OLD])
    assert (store / LOCK).exists()  # the dead appender's lock: the rerun takes it over
    append(str(source), str(store), client=local_client, quiet=True)
    assert_same_store(store, want)
    assert not (store / LOCK).exists()


def test_a_second_appender_is_refused_while_one_runs(tmp_path: Path, capsys) -> None:
    _, want, store, source = _stores(tmp_path)
    proc = _start(source, store, tmp_path)
    try:
        _wait_for(proc, lambda: (store / LOCK).exists())
        code, _, err = run_cli(["append", str(source), "--to", str(store)], capsys)
        assert_one_line_error(code, err)
        assert f"another append to {store} is running (pid {proc.pid}" in err
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert_same_store(store, want)


@pytest.mark.objectstore
def test_append_to_s3_locks_with_a_conditional_put(
    s3, tmp_path: Path, capsys, local_client
) -> None:
    import s3fs

    from advisor.store.locations import location, zarr_store

    ds = dataset()
    url = f"{s3.bucket}/store.zarr"
    ds.isel(time=slice(0, 11)).to_zarr(
        zarr_store(location(url, "--to"), read_only=False),
        zarr_format=3,
        consolidated=True,
        encoding={v: {"chunks": (8, 3, 4)} for v in ds.data_vars},
    )
    source = write(ds.isel(time=slice(11, None)), tmp_path / "new.zarr", "zarr3")
    want = write(ds, tmp_path / "whole.zarr", "zarr3")
    fs = s3fs.S3FileSystem()
    other = Holder(1, "another-host", time.time() - 600, "theirs")
    fs.pipe_file(f"{url[5:]}/{LOCK}", other.encode())
    code, _, err = run_cli(["append", str(source), "--to", url], capsys)
    assert_one_line_error(code, err)
    assert "is running (pid 1 on another-host" in err and "10 min ago" in err
    fs.rm_file(f"{url[5:]}/{LOCK}")
    append(str(source), url, client=local_client, quiet=True)
    fs.invalidate_cache()
    assert not fs.exists(f"{url[5:]}/{LOCK}")
    got = xr.open_zarr(zarr_store(location(url, "--to")))
    xr.testing.assert_identical(
        got.drop_attrs(deep=False), xr.open_zarr(want).drop_attrs(deep=False)
    )
