"""Climatology and gradient: the workflow's monthly climatology, Taiwan-box climatology and gradients.

Each computation is the workflow's own (:mod:`advisor.run.workloads`), computed
under the benchmarks' client over three source chunkings of the hourly sample:
the sample's (744, 121, 161), the workflow's (32, 60, 80) and the advisor's
pick for the computation's pattern.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from advisor.plan import workflow
from advisor.run import workloads

from .cache import layout_store, sample_store
from .cluster import client
from .layouts import layout_chunks, schema_of
from .suite import Pipeline, skip

LAYOUTS = ("source", "workflow", "advisor")

METHODS: dict[str, workflow.FloxMethod | None] = {
    "auto": None,
    "map-reduce": "map-reduce",
    "cohorts": "cohorts",
}
"""flox's automatic choice and the methods that apply to a groupby over months."""


PATTERNS = ("climatology", "full-scan")
"""The patterns the advisor picks for: the climatologies' and the gradient's (it reads everything)."""


class _OnLayouts(Pipeline):
    """A computation over the hourly sample in each of :data:`LAYOUTS`; ``pattern`` picks the advisor's."""

    pattern = "climatology"

    def setup_cache(self) -> dict[tuple[str, str], str]:
        # asv keys setup_cache by where it is written: the subclasses share this one.
        schema = schema_of(sample_store())
        return {
            (pattern, layout): str(layout_store(layout_chunks(layout, schema, pattern)))
            for pattern in PATTERNS
            for layout in LAYOUTS
        }

    def setup(self, stores: dict[tuple[str, str], str], layout: str, *args: str) -> None:
        client()
        self.ds = workloads.open_for_compute(Path(stores[self.pattern, layout]))


class MonthlyClimatology(_OnLayouts):
    """``groupby("time.month").mean()`` of every variable, with flox's methods."""

    params = (list(LAYOUTS), list(METHODS))
    param_names = ("layout", "method")

    def time_monthly(self, stores: dict, layout: str, method: str) -> None:
        workloads.climatology(self.ds, "month", METHODS[method]).compute()


class TaiwanClimatology(_OnLayouts):
    """The Taiwan-box (22-26N, 120-122E) area-averaged monthly climatology of every variable."""

    params = (list(LAYOUTS),)
    param_names = ("layout",)

    def time_taiwan_box(self, stores: dict, layout: str) -> None:
        workloads.region_climatology(self.ds).compute()


class Gradient(_OnLayouts):
    """The time mean of the gradient magnitude (``differentiate`` on lat and lon) of every variable."""

    pattern = "full-scan"
    params = (list(LAYOUTS),)
    param_names = ("layout",)

    def setup(self, stores: dict[tuple[str, str], str], layout: str, *args: str) -> None:
        super().setup(stores, layout)
        for dim in ("latitude", "longitude"):
            if min(self.ds.chunks[dim]) < 2:
                skip(
                    f"dask's gradient needs chunks of at least 2 along {dim}; the {layout} "
                    f"chunking leaves {self.ds.chunks[dim]}"
                )

    def time_gradient_magnitude(self, stores: dict, layout: str) -> None:
        fields = {
            name: workloads.gradient_magnitude(da).mean("time") for name, da in self.ds.items()
        }
        xr.Dataset(fields).compute()
