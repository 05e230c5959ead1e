"""``advisor apply`` against the hand-written pipeline: one job, one engine, side by side.

The hand-written pipeline is the workflow's save step as its notebook writes it
(:func:`advisor.run.workloads.save`: open, resample with the workflow's
statistics, ``chunk``, ``to_zarr`` with the encoding and consolidated metadata).
``advisor.apply`` does the same job with the same chunks and codec, and its
verification and publication besides, on the same Dask cluster (the
benchmarks' client, whose scheduler address it is given). Two jobs:

- ``resample``: hourly -> daily with the workflow's statistics, in the
  workflow's (32, 60, 80) chunks;
- ``rechunk``: the hourly sample rewritten in (32, 60, 80), no resample.

:class:`ApplySpeed` times each job by each pipeline (``asv compare`` across
commits shows each one's change); :class:`ApplyOverHand` tracks the ratio of
apply's seconds to the hand-written pipeline's, both timed back to back in one
call (the faster of two runs each; one at the tests' tiny scale), the figure the apply issue bounds by 1.15.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, ClassVar

import advisor
from advisor.plan import workflow
from advisor.plan.codecs import DEFAULT_CODEC
from advisor.run import workloads
from advisor.store.publish import remove

from .cache import sample_store, scratch
from .cluster import client
from .scale import scale
from .suite import Pipeline

if TYPE_CHECKING:
    from distributed import Client

JOBS = ("resample", "rechunk")
PIPELINES = ("hand-written", "advisor apply")
ZARR_FORMAT = 2
"""The sample's own format, which ``apply`` keeps."""

_OWN: list[Client] = []
_STACK = contextlib.ExitStack()


def engine() -> Client:
    """The benchmarks' client; under ``ADVISOR_BENCH_DASK=threads`` (the tests) an in-process
    cluster of this suite's own, since ``apply`` computes on a cluster."""
    found = client()
    if found is not None:
        return found
    if not _OWN:
        from advisor.run.cluster import dask_client

        _OWN.append(_STACK.enter_context(dask_client(processes=False, quiet=True)))
    return _OWN[0]


def hand_written(job: str, out: str) -> None:
    """The notebook's five lines for ``job``."""
    ds = workloads.open_for_compute(sample_store())
    if job == "resample":
        ds = workloads.resample(ds, "1D", workflow.WORKFLOW_STATS)
    workloads.save(ds, out, workflow.WORKFLOW_CHUNKS, DEFAULT_CODEC, ZARR_FORMAT)


def with_apply(job: str, out: str, scheduler: str) -> None:
    """The same job by ``advisor.apply``, verification and publication included."""
    resample = (
        {"resample": "1D", "stats": dict(workflow.WORKFLOW_STATS)} if job == "resample" else {}
    )
    advisor.apply(
        str(sample_store()),
        out,
        chunks=dict(workflow.WORKFLOW_CHUNKS),
        codec=DEFAULT_CODEC,
        zarr_format=ZARR_FORMAT,
        scheduler=scheduler,
        quiet=True,
        **resample,  # type: ignore[arg-type]
    )


class _Jobs(Pipeline):
    def setup_cache(self) -> str:
        # asv hands what this returns to every benchmark of the suite first
        return str(sample_store())

    def setup(self, *args: object) -> None:
        self.client = engine()
        self.out = scratch("apply-speed")

    def teardown(self, *args: object) -> None:
        remove(self.out)

    def _run(self, job: str, pipeline: str) -> float:
        """Seconds of one run of ``job`` by ``pipeline``, its output removed after."""
        started = time.perf_counter()
        with self.client.as_current():
            if pipeline == "hand-written":
                hand_written(job, str(self.out))
            else:
                with_apply(job, str(self.out), self.client.scheduler.address)
        seconds = time.perf_counter() - started
        remove(self.out)
        return seconds


class ApplySpeed(_Jobs):
    """Seconds of each job by each pipeline on the benchmarks' cluster."""

    params = (list(JOBS), list(PIPELINES))
    param_names = ("job", "pipeline")

    def time_job(self, sample: str, job: str, pipeline: str) -> None:
        self._run(job, pipeline)


class ApplyOverHand(_Jobs):
    """``advisor apply``'s seconds over the hand-written pipeline's, timed back to back."""

    params: ClassVar[list[str]] = list(JOBS)
    param_names = ("job",)
    timeout = 1800

    def track_ratio(self, sample: str, job: str) -> float:
        runs = 1 if scale() == "tiny" else 2
        hand = min(self._run(job, "hand-written") for _ in range(runs))
        applied = min(self._run(job, "advisor apply") for _ in range(runs))
        return applied / hand

    track_ratio.unit = "ratio"
