"""Faults of a real ``dask scheduler`` + ``dask worker`` cluster during ``apply --scheduler``: a
worker process killed mid-write (its nanny restarts it, the work recovers and verifies) and the
scheduler killed mid-write (one line saying so and to rerun, exit 2, nothing published, no
temporary copy, within the client's reconnect timeout: :func:`advisor.run.cluster.dask_client`'s
``timeout``, 10 s).

Each test starts a cluster of its own: killing the session's (``dask_processes``) would break
the tests that share it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import xarray as xr

from advisor.store.publish import leftovers
from tests.conftest import _free_port, _wait_for_port
from tests.test_apply import REPO
from tests.test_interrupt import WAIT, tiny_store  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

CHUNKS = "time=4,latitude=40,longitude=54"
"""Hundreds of chunk files from the tiny store: a kill lands mid-write."""


class Cluster:
    """A scheduler and one ``dask worker`` (a nanny and its worker process) on 127.0.0.1."""

    def __init__(self, logs: Path) -> None:
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
            "PYTHONPATH": str(REPO),
        }
        dask = [sys.executable, "-m", "dask"]
        self.scheduler = subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=(logs / "scheduler.log").open("w"),
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.procs = [self.scheduler]
        _wait_for_port(port, self.scheduler)
        self.nanny = subprocess.Popen(
            [
                *dask,
                "worker",
                self.address,
                "--nthreads",
                "2",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            stdout=(logs / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.procs.append(self.nanny)

    def worker(self) -> psutil.Process:
        """The worker process the nanny started (not multiprocessing's resource tracker)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for child in psutil.Process(self.nanny.pid).children():
                if "spawn_main" in " ".join(child.cmdline()):
                    return child
            time.sleep(0.1)
        raise AssertionError("the nanny started no worker process")

    def close(self) -> None:
        """SIGKILL each process group (the nanny's with its worker): the test is over, nothing
        of theirs is kept, and a graceful shutdown takes seconds."""
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=20)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    own = Cluster(tmp_path)
    try:
        yield own
    finally:
        own.close()


def apply_and_kill(
    store: Path, out: Path, cluster: Cluster, victim: psutil.Process | subprocess.Popen
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``apply --scheduler`` with ``victim`` SIGKILLed once 30 chunk files are written; the
    finished run and the seconds it took after the kill."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "advisor",
            "apply",
            str(store),
            "--out",
            str(out),
            "--chunks",
            CHUNKS,
            "--scheduler",
            cluster.address,
            "--json",
        ],
        cwd=out.parent,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            temps = leftovers(out)
            if temps and sum(1 for p in temps[0].rglob("*") if p.is_file()) > 30:
                break
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "never got mid-write"
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        stdout, stderr = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, time.monotonic() - killed


def test_a_worker_killed_mid_apply_is_restarted_and_the_copy_verifies(
    tiny_store: Path,  # noqa: F811
    tmp_path: Path,
    cluster: Cluster,
) -> None:
    out = tmp_path / "copy.zarr"
    done, _ = apply_and_kill(tiny_store, out, cluster, cluster.worker())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["workers_lost"] == 1 and result["workers_joined"] == 1, result
    assert len(result["checksums"]) == 4  # every variable verified after the restart
    xr.testing.assert_equal(xr.open_zarr(out), xr.open_zarr(tiny_store).chunk({}))
    assert leftovers(out) == []


def test_the_scheduler_killed_mid_apply_stops_in_one_line_and_publishes_nothing(
    tiny_store: Path,  # noqa: F811
    tmp_path: Path,
    cluster: Cluster,
) -> None:
    out = tmp_path / "copy.zarr"
    done, seconds = apply_and_kill(tiny_store, out, cluster, cluster.scheduler)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"advisor: error: lost the Dask scheduler at {cluster.address}")
    assert lines[0].endswith("rerun the command"), lines
    assert seconds < 30  # the client's 10 s reconnect timeout, not a hang
    assert not out.exists() and leftovers(out) == []


def test_the_object_store_killed_mid_apply_stops_in_one_line_and_publishes_nothing(
    tiny_store: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from advisor.store.objects import ROOT_KEYS
    from benchmarks.s3server import S3Server

    server = S3Server(latency=0.0).start()  # its own: the session's server stays up
    try:
        bucket = server.make_bucket("faults")
        env = {**os.environ, **server.env(), "PYTHONPATH": str(REPO), "AWS_MAX_ATTEMPTS": "2"}
        out = f"{bucket}/copy.zarr"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "advisor",
                "apply",
                str(tiny_store),
                "--out",
                out,
                "--chunks",
                CHUNKS,
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + WAIT
        while server.counts["PUT"] < 30:  # chunks are being written
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "never got mid-write"
            time.sleep(0.05)
        puts = [path for method, path in server.log if method == "PUT"]
        assert server._process is not None
        server._process.kill()
        killed = time.monotonic()
        _, err = proc.communicate(timeout=WAIT)
        seconds = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
    assert proc.returncode == 2, err
    # known, left open: now and then a LocalCluster worker closed mid-retry prints "Exception
    # ignored in: <coroutine object HeldMetadata.get ...>" and its traceback as it exits; the
    # command's own output is checked here, that block apart
    err = err.split("Exception ignored in:", 1)[0]
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "Traceback" not in err, err
    assert errors[0].startswith(f"advisor: error: cannot reach {out} mid-write"), errors
    assert errors[0].endswith(f"marker {out}.advisor-writing"), errors  # how to resume
    assert seconds < 30  # two attempts per request (AWS_MAX_ATTEMPTS), not minutes
    assert not {f"/faults/copy.zarr/{key}" for key in ROOT_KEYS} & set(puts), puts  # top level
    assert any(p.endswith("/copy.zarr.advisor-writing") for p in puts), puts
    assert list(tmp_path.iterdir()) == []  # no local folder named for the URL


def test_a_damaged_source_chunk_is_named_in_one_line_and_nothing_is_written(
    tiny_store: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from tests.conftest import assert_one_line_error, run_cli

    source = tmp_path / "damaged.zarr"
    shutil.copytree(tiny_store, source)
    chunk = source / "cin" / "0.0.0"
    chunk.write_bytes(chunk.read_bytes()[:100])  # truncated: blosc cannot decode it
    out = tmp_path / "copy.zarr"
    for chunks, said in (
        ("time=12", "cannot decode chunk 0.0.0 of cin in the source (RuntimeError: "),
        ("time=24", "a task of the run failed (RuntimeError: "),  # the read fused into the write
    ):
        args = ["apply", str(source), "--out", str(out), "--chunks", chunks, "--json"]
        code, _, err = run_cli(args, capsys)
        assert_one_line_error(code, err)
        assert said in err, err
        assert not out.exists() and leftovers(out) == []
