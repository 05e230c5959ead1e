"""Ctrl-C (SIGINT) mid-write during ``apply``, ``append`` and ``sample-data``: exit 130, one
line on stderr saying nothing was published and to rerun, no traceback, no temporary copy left,
the old output as it was, and no worker process of the command's LocalCluster left running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from advisor.cli.main import INTERRUPTED, INTERRUPTED_LINE
from advisor.store.append_lock import LOCK
from advisor.store.publish import leftovers
from tests.test_apply import REPO, tree_digest

pytestmark = pytest.mark.slow

WAIT = 120.0
"""Seconds any step of these tests may take before it counts as a hang."""


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of the sample: small, but thousands of chunks at ``time=2,latitude=40,...``."""
    from advisor.run.sample import write_year

    return write_year(tmp_path_factory.mktemp("tiny"), 2019, hours=24)


def interrupt_when(
    args: list[str], ready: Callable[[], bool], cwd: Path
) -> tuple[int, str, list[psutil.Process]]:
    """Run ``advisor ARGS``, send SIGINT once ``ready()``; the exit code, stderr and the
    command's child processes as they were when it was interrupted."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        while not ready():
            assert proc.poll() is None, f"finished before it was interrupted: {proc.stderr}"
            assert time.monotonic() < deadline, "never got mid-write"
            time.sleep(0.02)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err, children


def assert_clean_interrupt(code: int, err: str, children: list[psutil.Process]) -> None:
    assert code == INTERRUPTED, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.splitlines()[-1] == INTERRUPTED_LINE, err
    assert sum("interrupted" in line for line in err.splitlines()) == 1, err
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left running: {alive}"


def _temp_files(out: Path) -> int:
    temps = leftovers(out)
    return sum(1 for p in temps[0].rglob("*") if p.is_file()) if temps else 0


def test_ctrl_c_during_apply_publishes_nothing_and_keeps_the_old_copy(
    tiny_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "copy.zarr"
    shutil.copytree(tiny_store, out)  # an old output at --out
    before = tree_digest(out)
    args = [
        "apply",
        str(tiny_store),
        "--out",
        str(out),
        "--chunks",
        "time=2,latitude=40,longitude=40",
        "--overwrite",
    ]
    code, err, children = interrupt_when(args, lambda: _temp_files(out) > 20, tmp_path)
    assert children, "apply starts a LocalCluster of worker processes"
    assert_clean_interrupt(code, err, children)
    assert tree_digest(out) == before
    assert leftovers(out) == []


def test_ctrl_c_during_sample_data_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "sample"
    target = folder / "era5_2019.zarr"
    args = ["sample-data", "--out", str(folder), "--years", "2019", "--hours", "2000"]
    code, err, children = interrupt_when(args, lambda: leftovers(target) != [], tmp_path)
    assert_clean_interrupt(code, err, children)
    assert not target.exists() and leftovers(target) == []


def test_ctrl_c_during_append_keeps_the_store_and_drops_the_lock(tmp_path: Path) -> None:
    from tests.test_append import assert_same_store
    from tests.test_append_kill import _new_chunks, _stores

    _, _, store, source = _stores(tmp_path)
    old = tmp_path / "old.zarr"
    shutil.copytree(store, old)
    metadata = {p: p.read_bytes() for p in store.rglob(".z*")}
    args = ["append", str(source), "--to", str(store)]
    code, err, children = interrupt_when(args, lambda: _new_chunks(store) > 5, tmp_path)
    assert_clean_interrupt(code, err, children)
    assert not (store / LOCK).exists()
    assert {p: p.read_bytes() for p in store.rglob(".z*")} == metadata  # no step published
    assert_same_store(store, old)  # the old steps, exactly
