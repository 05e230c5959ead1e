"""The asv suites run as tests at the tiny scale: every benchmark, every parameter combination, once.

Like flox's ``test_asv.py``: import every suite, call ``setup_cache`` once,
then for each combination of parameters ``setup``, one benchmark method and
``teardown``, so the suites cannot rot. The data cache is a fresh temporary
folder, so the test also makes the sample, the copies and the daily dataset.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import itertools
import numbers
import os
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest

import benchmarks
from benchmarks.cache import DATA_ENV, daily_store, layout_store, sample_store
from benchmarks.cluster import DASK_ENV, client, close_client
from benchmarks.scale import SCALE_ENV

BENCHMARK_DIR = Path(benchmarks.__file__).parent
PREFIXES = ("time_", "timeraw_", "peakmem_", "mem_", "track_")
SUITES = (
    "access",
    "advice",
    "append",
    "apply_speed",
    "climatology",
    "codecs_cmd",
    "compressors",
    "resample",
    "save",
    "tables",
)

EXPECTED_SKIPS = {
    # dask.array.gradient needs every chunk >= 2 long; 121 latitudes in 60s leave a chunk of 1
    ("Gradient", ("workflow",)),
}


def suite_classes() -> list[type]:
    """Every class of every suite module that has a benchmark method.

    The suites are imported at the tiny scale: their parameter grids (the codec sweep) are read
    from the scale when a suite is imported, before any fixture runs.
    """
    found = []
    with patch.dict(os.environ, {SCALE_ENV: "tiny"}):
        modules = [
            importlib.import_module(f"benchmarks.{info.name}")
            for info in pkgutil.iter_modules([str(BENCHMARK_DIR)])
        ]
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and _methods(cls):
                found.append(cls)
    return found


def _methods(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if name.startswith(PREFIXES))


def _combinations(cls: type) -> list[tuple]:
    params = getattr(cls, "params", ())
    if params and not isinstance(params[0], list | tuple):
        params = (params,)  # asv's single-parameter shorthand
    return list(itertools.product(*params)) if params else [()]


@pytest.fixture(scope="module", autouse=True)
def tiny_scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tiny scale, a fresh data cache and Dask's threaded scheduler (the cluster is tested apart)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SCALE_ENV, "tiny")
        mp.setenv(DATA_ENV, str(tmp_path_factory.mktemp("bench-data")))
        mp.setenv(DASK_ENV, "threads")
        try:
            yield
        finally:
            from benchmarks.access import close_s3

            close_s3()  # the S3 backend's server, if a test started one; restores the AWS variables


def test_client_is_the_helpers_cluster_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DASK_ENV, "cluster")
    monkeypatch.delenv("ADVISOR_SCHEDULER", raising=False)
    try:
        started = client()
        assert started is client()  # one per process
        assert started.scheduler.address.startswith("inproc://")  # workers are threads here
        assert started.submit(sum, [1, 2]).result() == 3
    finally:
        close_client()
    assert started.status == "closed"


def test_every_suite_is_found() -> None:
    modules = {cls.__module__.rsplit(".", 1)[1] for cls in suite_classes()}
    assert modules == set(SUITES)


def test_asv_discovers_every_benchmark_with_valid_signatures() -> None:
    from asv_runner.discovery import disc_benchmarks

    found = list(disc_benchmarks(str(BENCHMARK_DIR)))
    ours = {f"{cls.__module__.removeprefix('benchmarks.')}.{cls.__name__}.{name}"
            for cls in suite_classes() for name in _methods(cls)}  # fmt: skip
    assert {b.name for b in found} == ours
    assert all(b.check(str(BENCHMARK_DIR)) for b in found)


def helper_modules() -> list[str]:
    """The modules of the benchmarks package that hold no suite: the shared helpers."""
    return [
        info.name for info in pkgutil.iter_modules([str(BENCHMARK_DIR)]) if info.name not in SUITES
    ]


@pytest.mark.parametrize("name", helper_modules())
def test_helpers_doctests(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.slow
@pytest.mark.parametrize("cls", suite_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_suite_runs_every_combination(cls: type) -> None:
    bench = cls()
    cache = bench.setup_cache() if hasattr(bench, "setup_cache") else None
    lead = () if cache is None else (cache,)
    calls, skipped = 0, set()
    for combo in _combinations(cls):
        for name in _methods(cls):
            args = (*lead, *combo)
            if hasattr(bench, "setup"):
                try:
                    bench.setup(*args)
                except NotImplementedError:  # asv's skip
                    skipped.add((cls.__name__, combo))
                    continue
            try:
                result = getattr(bench, name)(*args)
            except Exception as exc:
                raise AssertionError(f"{cls.__name__}.{name}{combo} failed: {exc!r}") from exc
            finally:
                if hasattr(bench, "teardown"):
                    bench.teardown(*args)
            if name.startswith("track_"):
                assert isinstance(result, numbers.Real) and result > 0, (name, combo, result)
            calls += 1
    assert skipped == {s for s in EXPECTED_SKIPS if s[0] == cls.__name__}
    expected = (len(_combinations(cls)) - len(skipped)) * len(_methods(cls))
    assert calls == expected > 0


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_save_check_catches_an_ignored_shuffle(tmp_path: Path, zarr_format: int) -> None:
    from advisor.plan import workflow
    from advisor.plan.codecs import CodecSpec
    from advisor.run import workloads
    from benchmarks.save import assert_shuffled

    daily = workloads.open_for_compute(daily_store()).compute()
    chunks = workflow.WORKFLOW_CHUNKS
    shuffled = CodecSpec.parse("blosc:lz4:5:bitshuffle")
    workloads.save(daily, tmp_path / "ok.zarr", chunks, shuffled, zarr_format)
    assert_shuffled(tmp_path / "ok.zarr", daily, chunks, shuffled, zarr_format)
    # a store written without shuffle, as a codec that ignores its shuffle would write it
    ignored = CodecSpec.parse("blosc:lz4:5:noshuffle")
    workloads.save(daily, tmp_path / "ignored.zarr", chunks, ignored, zarr_format)
    with pytest.raises(AssertionError, match="shuffle was silently ignored"):
        assert_shuffled(tmp_path / "ignored.zarr", daily, chunks, shuffled, zarr_format)


def test_the_suites_run_here_sweep_the_tiny_grid() -> None:
    from benchmarks.scale import TINY_CLEVELS, codec_grid

    sweeps = [cls for cls in suite_classes() if "codec" in getattr(cls, "param_names", ())]
    assert sweeps
    for cls in sweeps:
        codecs = cls.params[cls.param_names.index("codec")]
        grid = codec_grid(TINY_CLEVELS)  # then the lossy and PCodec candidates, if any
        assert list(codecs)[: len(grid)] == grid, cls.__name__


AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


def _chunks_touched(access: dict[str, slice], chunks: dict[str, int], sizes: dict[str, int]) -> int:
    touched = 1
    for dim, size in chunks.items():
        box = access.get(dim, slice(None))
        start, stop = box.start or 0, sizes[dim] if box.stop is None else box.stop
        touched *= (stop - 1) // size - start // size + 1
    return touched


@pytest.mark.objectstore
@pytest.mark.parametrize("layout", ["workflow", "advisor"])
def test_s3_access_reads_the_local_values_through_the_server(
    monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """The S3 backend's setup and one timed read, at the tiny scale, against moto with latency:
    the read goes to the server (one GET per chunk touched), waits for it, and returns what the
    local copy holds; stopping the server restores the environment."""
    import time

    import numpy as np

    from advisor.run import workloads
    from benchmarks import access
    from benchmarks.layouts import LAYOUTS, MIX, layout_chunks, schema_of

    access.close_s3()  # a server another test left running (test_suite_runs_every_combination)
    for key in (*AWS_VARIABLES, "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    # the stores the benchmark needs, keyed as Access.setup_cache keys them
    assert set(access.S3_PATTERNS) <= set(MIX) and layout in LAYOUTS
    schema = schema_of(sample_store())
    chunks = {p: layout_chunks(layout, schema, p) for p in access.S3_PATTERNS}  # type: ignore[arg-type]
    stores = {(p, layout): str(layout_store(c)) for p, c in chunks.items()}
    bench = access.S3Access()
    try:
        for pattern in access.S3_PATTERNS:
            bench.setup(stores, "s3", pattern, layout)
            server = access.s3_server()
            assert os.environ["AWS_ENDPOINT_URL"] == server.endpoint
            assert server.latency == access.S3_LATENCY == 0.020
            server.reset()
            start = time.perf_counter()
            bench.time_read(stores, "s3", pattern, layout)
            elapsed = time.perf_counter() - start
            touched = _chunks_touched(bench.access, chunks[pattern], dict(schema.sizes))
            assert server.counts["GET"] == touched, (pattern, dict(server.counts), touched)
            assert elapsed >= access.S3_LATENCY
            local = workloads.open_for_reads(stores[pattern, layout])
            got = workloads.read(bench.ds, bench.access, [access.VARIABLE])[access.VARIABLE]
            want = workloads.read(local, bench.access, [access.VARIABLE])[access.VARIABLE]
            assert got.size > 0 and np.array_equal(got, want, equal_nan=True)
    finally:
        access.close_s3()
    assert not any(key in os.environ for key in AWS_VARIABLES)
