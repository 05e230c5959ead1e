"""Append: the time and the bytes written per appended hour and per appended day.

:func:`advisor.run.append.append` (chunks first, verified, metadata last) adds the last
``new`` hours of the sample (hourly arrivals: a store in one-hour chunks) to an archive of
the hours before them, stored in each chunking of :data:`CHUNKINGS`:

- ``arrival``: the arriving files' own chunking, one hour by the whole grid;
- ``archive``: the seed archive's (744, 121, 161), a month of hours per chunk;
- ``advisor-read``: the advisor's read-optimised pick for point series
  (``advisor.recommend(..., patterns=["point-series"])``);
- ``advisor-append``: the advisor's append-aware pick, for point series and hourly arrivals
  (:data:`APPEND_AWARE`).

Each ``setup`` makes the archive to append to as hard links to a cached base store: zarr's
LocalStore writes every object to a temporary file and renames it into place, so the append
replaces the links it rewrites and the cache is never changed. ``track_bytes_written`` sums
the files the append wrote (those no longer linked to the cache): the rewritten trailing
block, the new blocks and the metadata. The archive is ``hours() - 24`` hours long, so its
phase in a 744-hour block is that scale's (``8736 % 744 = 552`` at the full scale);
:func:`advisor.plan.arrivals.cycle_means` gives the mean over a whole cycle of appends.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import ClassVar

import xarray as xr

from advisor.plan.codecs import DEFAULT_CODEC
from advisor.run import workloads
from advisor.run.append import append

from .cache import cached, data_dir, sample_store, scratch
from .cluster import client
from .scale import DIMS, hours
from .suite import Pipeline

CHUNKINGS = ["arrival", "archive", "advisor-read", "advisor-append"]
"""The archive chunkings compared (module docstring)."""

NEW_HOURS = [1, 24]
"""Hours appended at once: one hourly arrival, one day of them."""

HELD_BACK = 24
"""Hours at the sample's end kept out of the archive: the arrivals appended."""


APPEND_AWARE = ("point-series", "append:every=1h")
"""The patterns of the append-aware pick: the read-optimised pick's, with hourly arrivals."""


def chunks_of(chunking: str, sample: Path | None = None) -> dict[str, int]:
    """The archive chunks of ``chunking`` for ``sample`` (default: this scale's), clipped to its
    grid."""
    import advisor
    from advisor.store.metadata import load_schema

    schema = load_schema(str(sample or sample_store()))
    sizes = schema.sizes
    if chunking == "arrival":
        chunks = {"time": 1, **{d: sizes[d] for d in DIMS[1:]}}
    elif chunking == "archive":
        chunks = {"time": 744, "latitude": 121, "longitude": 161}
    elif chunking in ("advisor-read", "advisor-append"):
        patterns = APPEND_AWARE if chunking == "advisor-append" else APPEND_AWARE[:1]
        pick = advisor.recommend(schema, patterns=list(patterns))
        chunks = {str(d): int(n) for d, n in pick.chunks.items()}
    else:
        raise ValueError(f"unknown chunking {chunking!r}: use one of {', '.join(CHUNKINGS)}")
    return {d: min(int(chunks.get(d, sizes[d])), sizes[d]) for d in DIMS}


def _folder(sample: Path | None) -> Path:
    return data_dir() / "append" / ("scale" if sample is None else sample.stem)


def base_store(chunking: str, sample: Path | None = None) -> Path:
    """The sample's hours but the last :data:`HELD_BACK`, in ``chunking`` (cached)."""
    chunks = chunks_of(chunking, sample)

    def make(tmp: Path) -> None:
        client()
        ds = workloads.open_for_compute(sample or sample_store()).isel(time=slice(0, -HELD_BACK))
        out, encoding = workloads.for_saving(ds, chunks, DEFAULT_CODEC, 3)
        for enc in encoding.values():  # the archive's time chunk, even beyond its current end
            enc["chunks"] = tuple(chunks[d] for d in DIMS)
        out.to_zarr(tmp, mode="w-", zarr_format=3, encoding=encoding, consolidated=True)

    name = "-".join(f"{d}{n}" for d, n in chunks.items())
    return cached(_folder(sample) / f"base2_{name}.zarr", make)


def arrivals(new: int, sample: Path | None = None) -> Path:
    """The first ``new`` held-back hours as they arrive: a store in one-hour chunks (cached)."""

    def make(tmp: Path) -> None:
        client()
        ds = workloads.open_for_compute(sample or sample_store()).isel(time=slice(-HELD_BACK, None))
        ds = ds.isel(time=slice(0, new))
        workloads.save(ds, tmp, chunks_of("arrival", sample), DEFAULT_CODEC, 3)

    return cached(_folder(sample) / f"arrivals_{new}h.zarr", make)


def linked_copy(base: Path, dest: Path) -> Path:
    """``base`` as hard links at ``dest`` (folders made, files linked)."""
    shutil.copytree(base, dest, copy_function=os.link)
    return dest


def written_bytes(store: Path) -> int:
    """Bytes of the files the append wrote: those no longer hard-linked to the cache."""
    return sum(p.stat().st_size for p in store.rglob("*") if p.is_file() and p.stat().st_nlink == 1)


class Append(Pipeline):
    """Append 1 or 24 hourly arrivals to an archive in each chunking."""

    params: ClassVar[list[list]] = [CHUNKINGS, NEW_HOURS]
    param_names: ClassVar[list[str]] = ["chunking", "new_hours"]
    repeat: ClassVar[tuple[int, int, float]] = (1, 3, 60.0)

    def setup_cache(self) -> None:
        for new in NEW_HOURS:
            arrivals(new)

    def setup(self, chunking: str, new_hours: int) -> None:
        base = base_store(chunking)
        self.source = arrivals(new_hours)
        self.target = linked_copy(base, scratch("append"))

    def teardown(self, chunking: str, new_hours: int) -> None:
        shutil.rmtree(self.target, ignore_errors=True)

    def _append(self) -> None:
        append(self.target, [self.source], client(), relayout=True, progress=False)

    def time_append(self, chunking: str, new_hours: int) -> None:
        self._append()

    def track_bytes_written(self, chunking: str, new_hours: int) -> int:
        self._append()
        if xr.open_zarr(self.target).sizes["time"] != hours() - HELD_BACK + new_hours:
            raise AssertionError("the archive did not grow by the appended hours")
        return written_bytes(self.target)

    track_bytes_written.unit = "bytes"  # type: ignore[attr-defined]


def goal_figures(entry: str = "era5_2019", new: int = 1) -> list[dict[str, object]]:
    """Seconds and bytes of one append of ``new`` hourly arrivals to the catalog entry's year
    (all but its last :data:`HELD_BACK` hours) in each chunking, with the cycle means of the
    blocks written and steps re-read per append (:func:`advisor.plan.arrivals.cycle_means`).

    Measured 2026-12-02 on the 2-core machine, zarr 3.1.6, default codec, zarr 3
    (``python -m benchmarks.append era5_2019 1``; ``... 24`` for a day), one append at
    8736 hours; the model's bytes are the filled steps of the blocks written (re-read and
    new) at the archive's stored bytes per step:

    ================================  ======  ==========  =====  ======  ==========  =====
    archive chunks                    1 h s   1 h bytes   /model 1 day s  1 day bytes /model
    ================================  ======  ==========  =====  ======  ==========  =====
    arrival (1, 121, 161)             0.72    120 kB      1.039  3.9     2.57 MB     0.927
    seed archive (744, 121, 161)      3.06    59.2 MB     0.946  2.66    61.6 MB     0.946
    point-series pick (8760, 32, 9)   31.5    983 MB      1.000  29.2    986 MB      1.000
    append-aware (1176, 121, 18)      2.93    52.7 MB     0.939  4.53    55.0 MB     0.938
    ================================  ======  ==========  =====  ======  ==========  =====
    """
    import time

    from advisor.plan.arrivals import cycle_means, steps_reread
    from advisor.run.sources import ensure_sample
    from advisor.store.metadata import store_size

    sample = Path(str(ensure_sample(entry)))
    rows: list[dict[str, object]] = []
    for chunking in CHUNKINGS:
        base = base_store(chunking, sample)
        target = linked_copy(base, scratch("append-goal"))
        try:
            started = time.perf_counter()
            append(target, [arrivals(new, sample)], client(), relayout=True, progress=False)
            seconds = time.perf_counter() - started
            block = chunks_of(chunking, sample)["time"]
            length = hours_of(base)
            written, reread = cycle_means(new, block, phase=length)
            # the model's bytes for this append: the filled steps of the blocks it writes (the
            # re-read ones and the new), at the archive's own stored bytes per step
            per_step = store_size(base)[0] / length
            predicted = (steps_reread(length, new, block) + new) * per_step
            measured = written_bytes(target)
            rows.append(
                {
                    "chunking": chunking,
                    "chunks": chunks_of(chunking, sample),
                    "seconds": round(seconds, 2),
                    "bytes_written": measured,
                    "predicted_bytes_written": round(predicted),
                    "measured_over_predicted": round(measured / predicted, 3),
                    "cycle_mean_blocks_written": written,
                    "cycle_mean_steps_reread": reread,
                }
            )
        finally:
            shutil.rmtree(target, ignore_errors=True)
    return rows


def hours_of(store: Path) -> int:
    """Steps along time in ``store``."""
    return int(xr.open_zarr(store).sizes["time"])


if __name__ == "__main__":  # python -m benchmarks.append [ENTRY] [NEW_HOURS]
    import json
    import sys

    args = sys.argv[1:]
    for row in goal_figures(args[0] if args else "era5_2019", int(args[1]) if len(args) > 1 else 1):
        print(json.dumps(row))
