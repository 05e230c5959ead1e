"""Access: each read pattern on each chunking of the hourly sample.

One timed call is one access of the pattern as the advisor's cost model sees
it (:func:`advisor.run.workloads.draw_accesses`, run by
:func:`advisor.run.workloads.run_access`) on CAPE, so the measured seconds compare
with the predicted ones: a point's full series, a 16 x 16 box's series, one
map, one ML patch of 32 x 16 x 16, or the time mean of the whole variable.
Interactive reads open the store with :func:`advisor.run.workloads.open_for_reads`
(zarr-python, no Dask) and read at places drawn anew before every timed call
from a seeded generator; the full scan runs on Dask under the benchmarks'
client. Every copy holds the same values with the same codec (Blosc zstd 3,
byte shuffle, zarr format 3); only the chunks differ.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from advisor.plan.patterns import parse_pattern
from advisor.run import workloads

from .cache import layout_store, sample_store
from .cluster import client
from .layouts import LAYOUTS, MIX, layout_chunks, schema_of
from .suite import Interactive

VARIABLE = "cape"
"""The variable every access reads."""

DRAWS = 1000
"""Accesses drawn per benchmark process; the timed calls take them in turn."""


@cache
def _accesses(pattern: str, path: Path) -> Iterator[dict[str, slice]]:
    """This process's endless, seeded sequence of ``pattern``'s accesses to the store at ``path``."""
    drawn = workloads.draw_accesses(parse_pattern(pattern), schema_of(path), DRAWS, seed=0)
    return itertools.cycle(drawn)


class Access(Interactive):
    """Seconds per access: point series, region series, map, ML patch and full scan x chunking."""

    params = (list(MIX), list(LAYOUTS))
    param_names = ("pattern", "layout")
    min_run_count = 1
    timeout = 600

    def setup_cache(self) -> dict[tuple[str, str], str]:
        schema = schema_of(sample_store())
        return {
            (pattern, layout): str(layout_store(layout_chunks(layout, schema, pattern)))
            for pattern in MIX
            for layout in LAYOUTS
        }

    def setup(self, stores: dict[tuple[str, str], str], pattern: str, layout: str) -> None:
        path = Path(stores[pattern, layout])
        self.pattern = parse_pattern(pattern)
        self.schema = schema_of(path)
        if pattern == "full-scan":
            client()
            self.ds = workloads.open_for_compute(path)
        else:
            self.ds = workloads.open_for_reads(path)
        self.access = next(_accesses(pattern, path))

    def time_read(self, stores: dict, pattern: str, layout: str) -> None:
        workloads.run_access(self.ds, self.pattern, self.schema, self.access, VARIABLE)
