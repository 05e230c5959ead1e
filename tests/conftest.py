"""Shared fixtures: real sample stores, a real catalog and real Dask clusters."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.store.catalog import PROJECT_CATALOG

SAMPLE_HOURS = 24 * 10
"""Hours in the session's small sample stores: ten whole days, enough for daily resampling."""


@pytest.fixture(autouse=True)
def _built_in_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests see the built-in storage profile, never a calibration saved on the machine or by
    another test (each test has a config folder of its own)."""
    monkeypatch.delenv("ADVISOR_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``era5_2019.zarr`` and ``era5_2020.zarr`` of :data:`SAMPLE_HOURS` hours each."""
    from advisor.run.sample import write_year

    out = tmp_path_factory.mktemp("sample")
    for year in (2019, 2020):
        write_year(out, year, hours=SAMPLE_HOURS)
    return out


@pytest.fixture(scope="session")
def sample_store(sample_dir: Path) -> Path:
    """The 2019 sample store (read it, never write into it)."""
    return sample_dir / "era5_2019.zarr"


@pytest.fixture()
def catalog_copy(tmp_path: Path) -> Path:
    """The project's catalog copied into an empty folder (its entries point at ``tmp_path/data``)."""
    dest = tmp_path / "catalog.yaml"
    shutil.copy(PROJECT_CATALOG, dest)
    return dest


@pytest.fixture()
def sample_catalog(tmp_path: Path, sample_dir: Path) -> Path:
    """A copy of the project's catalog whose ``data/`` holds the session's small sample stores."""
    dest = tmp_path / "cat"
    (dest / "data").mkdir(parents=True)
    for store in sample_dir.glob("*.zarr"):
        shutil.copytree(store, dest / "data" / store.name)
    shutil.copy(PROJECT_CATALOG, dest / "catalog.yaml")
    return dest / "catalog.yaml"


@pytest.fixture(scope="session", autouse=True)
def s3_server() -> Iterator[object]:
    """moto's S3 server on 127.0.0.1 (a free port), started first, once; no latency unless a
    test sets it. The standard AWS variables point at it for the whole session, so every
    Dask worker any test starts inherits them, and nothing can reach a real S3 endpoint.

    Use :func:`s3` in a test: a fresh bucket, the counts reset.
    """
    from benchmarks.s3server import S3Server

    with S3Server(latency=0.0) as server, server.environment():
        os.environ.pop("AWS_PROFILE", None)
        yield server


@pytest.fixture()
def s3(s3_server, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """The session's S3 server with the standard AWS variables pointing at it, a fresh bucket
    named for the test, no latency and the request counts reset. Yields the server; the
    bucket's URL is ``s3.bucket``."""
    import re

    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    import hashlib

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:32].strip("-")
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    s3_server.bucket = s3_server.make_bucket(f"t-{name}-{digest}-{os.getpid()}")
    s3_server.latency = 0.0
    s3_server.reset()
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()  # fsspec reuses file systems made with other env
    yield s3_server
    s3_server.latency = 0.0


@pytest.fixture(scope="session")
def local_client() -> Iterator[object]:
    """A real LocalCluster client shaped like the workflow's (2 workers x 1 thread, 2 GB each)."""
    from advisor.plan.cluster import ClusterSpec
    from advisor.run.cluster import dask_client

    with dask_client(spec=ClusterSpec(2, 1, 2 * 10**9), quiet=True) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dask_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1; yields the address."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-logs")
    root = str(Path(__file__).resolve().parent.parent)  # workers must import advisor from here
    pythonpath = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False", "PYTHONPATH": pythonpath}
    dask = [sys.executable, "-m", "dask"]
    procs = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=(logs / "scheduler.log").open("w"),
            stderr=subprocess.STDOUT,
            env=env,
        )
    ]
    try:
        _wait_for_port(port, procs[0])
        procs.append(
            subprocess.Popen(
                [
                    *dask,
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "2GB",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                stdout=(logs / "worker.log").open("w"),
                stderr=subprocess.STDOUT,
                env=env,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with code {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"dask scheduler did not listen on port {port} within {timeout} s")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``advisor ARGS`` in-process; return (exit code, stdout, stderr)."""
    from advisor.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


def assert_one_line_error(code: int, err: str) -> None:
    """Bad input: exit 2 and a single ``advisor: error:`` line, no traceback."""
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("advisor: error: ")
    assert "Traceback" not in err
