"""Resample: hourly -> daily over time chunkings aligned with days, misaligned ones and the advisor's.

Two reductions, as in the workflow (:func:`advisor.run.workloads.resample`): the
daily mean of every variable, and the workflow's own statistics (daily max
CAPE and BLH, daily mean CIN and K-index). Each runs with flox's automatic
choice and with each of its methods forced, under the benchmarks' client.
"""

from __future__ import annotations

from pathlib import Path

from advisor.plan import workflow
from advisor.run import workloads

from .cache import layout_store, sample_store
from .cluster import client
from .layouts import advisor_chunks, schema_of
from .scale import DIMS
from .suite import Pipeline

TIME_CHUNKS: dict[str, int | None] = {
    "aligned-744": 744,
    "aligned-168": 168,
    "misaligned-1000": 1000,
    "workflow": None,
    "advisor": None,
}
"""Source chunkings: full-grid chunks of 31 days (the sample's own) and of a week, of 1000 hours
(days cut across chunks), the workflow's (32, 60, 80) and the advisor's pick for ``resample``."""

STATS: dict[str, dict[str, workflow.Statistic] | None] = {
    "mean": None,
    "workflow": workflow.WORKFLOW_STATS,
}

METHODS: dict[str, workflow.FloxMethod | None] = {
    "auto": None,
    "map-reduce": "map-reduce",
    "cohorts": "cohorts",
    "blockwise": "blockwise",
}


def source_chunks(layout: str) -> dict[str, int]:
    """The on-disk chunks of the source for ``layout``, clipped to the sample."""
    schema = schema_of(sample_store())
    if layout == "workflow":
        chunks = dict(workflow.WORKFLOW_CHUNKS)
    elif layout == "advisor":
        chunks = advisor_chunks(schema, ("resample:freq=1D",))
    else:
        chunks = {"time": TIME_CHUNKS[layout], "latitude": 121, "longitude": 161}
    return {d: min(int(chunks[d]), schema.sizes[d]) for d in DIMS}


class Resample(Pipeline):
    """Seconds to compute the daily statistics from each source chunking, with each flox method."""

    params = (list(TIME_CHUNKS), list(STATS), list(METHODS))
    param_names = ("layout", "stats", "method")

    def setup_cache(self) -> dict[str, str]:
        return {layout: str(layout_store(source_chunks(layout))) for layout in TIME_CHUNKS}

    def setup(self, stores: dict[str, str], layout: str, stats: str, method: str) -> None:
        client()
        self.ds = workloads.open_for_compute(Path(stores[layout]))

    def time_resample(self, stores: dict, layout: str, stats: str, method: str) -> None:
        workloads.resample(self.ds, "1D", STATS[stats], METHODS[method]).compute()
