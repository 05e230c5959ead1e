"""The Dask client helper against a real LocalCluster and real scheduler/worker processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.plan.cluster import ClusterSpec
from advisor.plan.errors import AdvisorError
from advisor.run.cluster import SCHEDULER_ENV, dask_client, local_cluster_spec
from tests.conftest import assert_one_line_error, run_cli

GiB = 2**30


@pytest.mark.parametrize(
    ("cores", "memory", "expected"),
    [
        (1, 4 * GiB, ClusterSpec(1, 1, 3 * GiB)),  # a laptop core: one worker, one thread
        (2, 24 * GiB, ClusterSpec(1, 2, 18 * GiB)),  # this machine: one worker, both cores
        (8, 32 * GiB, ClusterSpec(2, 4, 12 * GiB)),  # threads capped at 4 per worker
        (6, 16 * GiB, ClusterSpec(1, 4, 12 * GiB)),  # leftover cores are not a worker
    ],
)
def test_local_cluster_spec(cores: int, memory: int, expected: ClusterSpec) -> None:
    assert local_cluster_spec(cores, memory) == expected


def test_local_cluster_spec_rejects_empty_machine() -> None:
    with pytest.raises(ValueError, match="at least one core"):
        local_cluster_spec(0, GiB)


def test_default_is_a_local_cluster_shaped_by_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    spec = ClusterSpec(2, 1, GiB)
    with dask_client(spec=spec) as client:
        workers = client.scheduler_info()["workers"].values()
        assert sorted(w["nthreads"] for w in workers) == [1, 1]
        assert {w["memory_limit"] for w in workers} == {GiB}
        assert client.submit(sum, [1, 2, 3]).result() == 6
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert "dashboard: http" in capsys.readouterr().err


def test_connects_to_real_scheduler_and_workers(dask_processes: str) -> None:
    with dask_client(dask_processes, quiet=True) as client:
        assert client.scheduler.address == dask_processes
        assert len(client.scheduler_info()["workers"]) == 2
        assert client.submit(pow, 2, 10).result() == 1024
    # the cluster is somebody else's: closing our client leaves it running
    with dask_client(dask_processes, quiet=True) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_environment_variable_names_the_scheduler(
    dask_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, dask_processes)
    with dask_client(quiet=True) as client:
        assert client.scheduler.address == dask_processes


def test_cli_cluster_info_through_processes(dask_processes: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "cluster-info", "--scheduler", dask_processes, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    info = json.loads(proc.stdout)
    assert info["scheduler"] == dask_processes
    assert info["workers"] == 2 and info["threads"] == 2


def test_unreachable_scheduler_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AdvisorError, match="cannot reach the Dask scheduler"):
        with dask_client("tcp://127.0.0.1:9", quiet=True, timeout=2):
            pass
    code, _, err = run_cli(["cluster-info", "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert_one_line_error(code, err)


def test_describe_cluster_describes_the_local_cluster() -> None:
    from advisor.run.cluster import describe_cluster

    info = describe_cluster(quiet=True)
    assert set(info) == {"scheduler", "dashboard", "workers", "threads", "memory_limit"}
    assert int(info["workers"]) >= 1 and int(info["threads"]) >= int(info["workers"])
