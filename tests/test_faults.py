"""Faults: a disk that fills up mid-write. The command says so once, in one line, stops at the
first chunk that fails, publishes nothing and leaves nothing behind; an old output is as it was.

The disk is a small tmpfs this test mounts (root with CAP_SYS_ADMIN, as on CI); another
process fills it once chunks are being written, as a user's neighbour job would.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import xarray as xr

from advisor.store.publish import leftovers
from tests.test_apply import REPO, tree_digest

pytestmark = pytest.mark.slow

DISK_BYTES = 96 * 2**20
"""The small disk: room for the session's sample copy (about 30 MB) when the run starts."""


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of :data:`DISK_BYTES` mounted at ``tmp_path / "disk"`` for the test."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill_when_writing(disk: Path, out: Path, stop: threading.Event) -> threading.Thread:
    """Fill ``disk`` to the last byte once chunks of ``out``'s temporary copy are on it."""

    def fill() -> None:
        while not stop.is_set():
            temps = leftovers(out)
            if temps and sum(1 for _ in temps[0].rglob("*") if _.is_file()) > 20:
                break
            time.sleep(0.02)
        block = b"\0" * 2**20
        with open(disk / "neighbour.bin", "wb") as f:
            try:
                while not stop.is_set():
                    f.write(block)
                    f.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    thread = threading.Thread(target=fill, daemon=True)
    thread.start()
    return thread


def _advisor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str], disk: Path) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, done.stderr  # once, not once per chunk or per worker
    assert errors[0].startswith("advisor: error: no space left on the disk holding"), errors
    assert str(disk) in errors[0]


def test_apply_onto_a_disk_that_fills_stops_says_so_and_keeps_the_old_copy(
    sample_store: Path, small_disk: Path
) -> None:
    out = small_disk / "copy.zarr"
    old = _advisor("apply", str(sample_store), "--out", str(out), "--chunks", "time=240")
    assert old.returncode == 0, old.stderr
    before = tree_digest(out)
    stop = threading.Event()
    filler = _fill_when_writing(small_disk, out, stop)
    try:
        # small chunks: thousands of writes, so the disk fills mid-write
        done = _advisor(
            "apply",
            str(sample_store),
            "--out",
            str(out),
            "--chunks",
            "time=4,latitude=40,longitude=40",
            "--overwrite",
        )
    finally:
        stop.set()
        filler.join(timeout=30)
    _one_clear_line(done, small_disk)
    assert "overwrite" not in done.stderr.splitlines()[-1]
    assert tree_digest(out) == before  # the old copy as it was
    assert leftovers(out) == []  # no temporary copy left behind
    assert sorted(p.name for p in small_disk.iterdir()) == ["copy.zarr", "neighbour.bin"]


def test_sample_data_onto_a_disk_that_fills_leaves_nothing(small_disk: Path) -> None:
    out = small_disk / "sample"
    target = out / "era5_2019.zarr"
    stop = threading.Event()
    filler = _fill_when_writing(small_disk, target, stop)
    try:
        done = _advisor("sample-data", "--out", str(out), "--years", "2019", "--hours", "480")
    finally:
        stop.set()
        filler.join(timeout=30)
    _one_clear_line(done, small_disk)
    assert not target.exists() and leftovers(target) == []


def test_append_onto_a_full_disk_says_so_and_keeps_the_store(
    small_disk: Path, tmp_path: Path
) -> None:
    from tests.test_append import dataset, digest, write

    ds = dataset(hours=400)
    store = write(ds.isel(time=slice(0, 200)), small_disk / "store.zarr", "zarr3")
    arrivals = write(ds.isel(time=slice(200, 400)), tmp_path / "arrivals.zarr", "zarr3")
    before = digest(store)
    with open(small_disk / "neighbour.bin", "wb") as f:  # the neighbour took every byte
        try:
            while True:
                f.write(b"\0" * 2**20)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    done = _advisor("append", str(arrivals), "--to", str(store))
    _one_clear_line(done, small_disk)
    assert digest(store) == before  # the old steps, exactly, and no lock left behind
    (small_disk / "neighbour.bin").unlink()  # space again: the same command completes
    again = _advisor("append", str(arrivals), "--to", str(store))
    assert again.returncode == 0, again.stderr
    assert xr.open_zarr(store).sizes["time"] == 400
