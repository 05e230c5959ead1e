"""The model's ranking holds on real Zarr stores: its best layout for a pattern is measurably faster.

Three small stores of the same data with different chunkings are read with the
workflow's own read functions (:mod:`advisor.run.workloads`); for each pattern the
layout the model ranks best must beat the one it ranks worst by a wide margin.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from advisor.plan.codecs import DEFAULT_CODEC
from advisor.plan.cost.scores import score
from advisor.plan.schema import Schema
from advisor.run import workloads
from advisor.store.encoding import compressors

pytestmark = pytest.mark.slow

SHAPE = (2000, 60, 80)
DIMS = ("time", "latitude", "longitude")
LAYOUTS = {
    "series": (2000, 4, 4),  # the whole series of a 4 x 4 patch
    "maps": (10, 60, 80),  # ten full fields
    "patches": (32, 16, 16),  # one ML patch
    "whole": (2000, 60, 80),  # one chunk
}
REPEATS = 9
MARGIN = 3.0
"""The measured ratio worst / best must exceed this; the model predicts at least 20x."""


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    field = np.cumsum(rng.standard_normal(SHAPE, dtype=np.float32), axis=0)  # smooth in time
    ds = xr.Dataset({"cape": (DIMS, field)})
    out = {}
    folder = tmp_path_factory.mktemp("layouts")
    for name, chunks in LAYOUTS.items():
        path = folder / f"{name}.zarr"
        encoding = {"cape": {"chunks": chunks, "compressors": compressors(DEFAULT_CODEC, 3)}}
        ds.to_zarr(path, encoding=encoding, zarr_format=3, consolidated=True)
        out[name] = path
    return out


def _median_seconds(read: Callable[[int], object]) -> float:
    read(0)  # warm up: metadata, page cache
    times = []
    for i in range(1, REPEATS + 1):
        start = time.perf_counter()
        read(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


READS: dict[str, Callable[[xr.Dataset, int], object]] = {
    "point-series": lambda ds, i: workloads.point_series(ds, "cape", (7 * i) % 60, (11 * i) % 80),
    "map": lambda ds, i: workloads.map_at(ds, "cape", (97 * i) % 2000),
    "ml-batch": lambda ds, i: workloads.read(
        ds,
        {
            "time": slice(32 * (i % 60), 32 * (i % 60) + 32),
            "latitude": slice(16 * (i % 3), 16 * (i % 3) + 16),
            "longitude": slice(16 * (i % 5), 16 * (i % 5) + 16),
        },
        ["cape"],
    ),
}


@pytest.mark.parametrize("pattern", list(READS))
def test_model_best_beats_model_worst(stores: dict[str, Path], pattern: str) -> None:
    schema = Schema(DIMS, SHAPE, 4, time_step=3600.0)
    names = list(LAYOUTS)
    seconds = score(schema, np.array([LAYOUTS[n] for n in names]), [pattern]).seconds[:, 0]
    best, worst = names[int(seconds.argmin())], names[int(seconds.argmax())]
    assert seconds.max() / seconds.min() >= 20, "choose layouts the model tells far apart"
    measured = {}
    for name in (best, worst):
        ds = workloads.open_for_reads(stores[name])
        measured[name] = _median_seconds(lambda i, ds=ds: READS[pattern](ds, i))
    assert measured[best] * MARGIN < measured[worst], (pattern, best, worst, measured)
