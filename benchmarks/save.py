"""Save: the workflow's save step for each codec and for each chunking, zarr formats 2 and 3.

:func:`advisor.run.workloads.save` (rechunk, ``to_zarr`` with the codec and
consolidated metadata):

- :class:`SaveCodecs` times writing the daily dataset (kept uncompressed in
  the data cache, so the resampling is not repeated for each of the 138
  combinations) in the workflow's (32, 60, 80) chunks with every codec of the
  sweep; :class:`CodecStorage` tracks the compression ratio of those stores;
- :class:`SaveLayouts` times the whole pipeline, hourly -> daily (the
  workflow's statistics) -> rechunk -> ``to_zarr``, in the workflow's chunks,
  the advisor's and dask's ``"auto"``, with the default codec, and its peak
  memory; :class:`LayoutStorage` tracks the bytes and ratio of those stores.

Times and peaks are taken under the benchmarks' client. Bytes do not depend
on where the computation runs, so the storage classes save on Dask's threaded
scheduler and spare each of their processes the cluster's start-up.

``CodecStorage.track_ratio`` and ``LayoutStorage.track_stored_bytes`` also
check the store: they fail unless it reads back equal to what was written and,
for a Blosc codec with byte or bit shuffle, unless a stored chunk takes a
different number of bytes than the same chunk compressed with no shuffle (a
codec that silently ignores its shuffle writes exactly those bytes).
``track_ratio`` is the decoded bytes over the stored bytes (metadata included).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import dask
import numpy as np
import xarray as xr

from advisor.plan import workflow
from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec
from advisor.run import workloads
from advisor.store.encoding import numcodecs_compressor
from advisor.store.metadata import store_size
from advisor.store.publish import remove

from .cache import daily_store, sample_store, scratch
from .cluster import client
from .layouts import advisor_chunks, layout_chunks, schema_of
from .scale import codec_grid
from .suite import Pipeline

ZARR_FORMATS = [2, 3]


def stored_bytes(path: Path) -> int:
    """Bytes of all files of a store: chunks and metadata."""
    return store_size(path)[0]


def decoded_bytes(ds: xr.Dataset) -> int:
    """Bytes of the data variables in memory (what the store holds, decoded)."""
    return sum(int(v.nbytes) for v in ds.data_vars.values())


def first_chunk(path: Path, variable: str, zarr_format: int) -> bytes:
    """The stored bytes of ``variable``'s first chunk (zarr's default chunk keys)."""
    key = "c/0/0/0" if zarr_format == 3 else "0.0.0"
    return (path / variable / key).read_bytes()


def assert_shuffled(
    path: Path, ds: xr.Dataset, chunks: Mapping[str, int], codec: CodecSpec, zarr_format: int
) -> None:
    """Fail if the store at ``path`` holds ``ds``'s first chunk in exactly the bytes of no shuffle.

    For a Blosc codec with byte or bit shuffle; a codec that silently ignores
    its shuffle stores exactly the bytes that no shuffle gives.
    """
    name = str(next(iter(ds.data_vars)))
    da = ds[name]
    box = {d: slice(0, min(int(chunks[d]), da.sizes[d])) for d in da.dims}
    data = np.ascontiguousarray(da.isel(box).to_numpy())
    plain = dataclasses.replace(codec, shuffle="noshuffle")
    if len(first_chunk(path, name, zarr_format)) == len(numcodecs_compressor(plain).encode(data)):
        raise AssertionError(
            f"{codec} stored a {name} chunk in exactly the bytes of {plain} "
            f"(zarr format {zarr_format}): the shuffle was silently ignored"
        )


def save_and_check(
    ds: xr.Dataset, path: Path, chunks: Mapping[str, int], codec: CodecSpec, zarr_format: int
) -> int:
    """Save ``ds`` (computed first), check the store, and return its stored bytes.

    Raises ``AssertionError`` if the store does not read back equal to ``ds``,
    or, for a shuffling Blosc codec, from :func:`assert_shuffled`.
    """
    expected = ds.compute()
    workloads.save(expected, path, chunks, codec, zarr_format)  # type: ignore[arg-type]
    xr.testing.assert_equal(workloads.open_for_reads(path).load(), expected)
    if codec.family == "blosc" and codec.shuffle != "noshuffle":
        assert_shuffled(path, expected, chunks, codec, zarr_format)
    return stored_bytes(path)


class _Writes(Pipeline):
    """A suite whose ``setup`` picks a fresh output path, ``self.out``, that ``teardown`` deletes."""

    out: Path

    def teardown(self, *args: object) -> None:
        remove(self.out)


class _Codecs(_Writes):
    """The daily dataset saved in the workflow's chunks with each codec of the sweep."""

    params = (codec_grid(), ZARR_FORMATS)
    param_names = ("codec", "zarr_format")
    repeat = (1, 2, 5.0)
    timeout = 600

    def setup_cache(self) -> str:
        # asv keys setup_cache by where it is written: the subclasses share this one.
        return str(daily_store())

    def setup(self, daily: str, codec: str, zarr_format: int) -> None:
        self.daily = workloads.open_for_compute(Path(daily))
        self.codec = CodecSpec.parse(codec)
        self.chunks = workflow.WORKFLOW_CHUNKS
        self.out = scratch("save-codecs")


class SaveCodecs(_Codecs):
    """Seconds to save the daily dataset with each codec, under the benchmarks' client.

    No ``peakmem_`` per codec: a codec holds one chunk at a time, so the peak
    is the chunking's, which :class:`SaveLayouts` measures.
    """

    def setup(self, daily: str, codec: str, zarr_format: int) -> None:
        client()
        super().setup(daily, codec, zarr_format)

    def time_save(self, daily: str, codec: str, zarr_format: int) -> None:
        workloads.save(self.daily, self.out, self.chunks, self.codec, zarr_format)  # type: ignore[arg-type]


class CodecStorage(_Codecs):
    """Compression ratio of the daily dataset's store with each codec (the store checked).

    The stored bytes are the decoded bytes (:func:`decoded_bytes`, the same for
    every codec) over this ratio, so they are not tracked apart here: that
    would take 138 more processes.
    """

    def track_ratio(self, daily: str, codec: str, zarr_format: int) -> float:
        with dask.config.set(scheduler="threads"):
            stored = save_and_check(self.daily, self.out, self.chunks, self.codec, zarr_format)
        return decoded_bytes(self.daily) / stored

    track_ratio.unit = "ratio"


SAVE_LAYOUTS = ("workflow", "advisor", "dask-auto")
"""The workflow's (32, 60, 80), the advisor's pick for its default mix (point series, map,
ML batch) on the daily dataset, and dask's ``chunk("auto")``."""


class _Layouts(_Writes):
    """The whole pipeline (hourly -> daily -> rechunk -> ``to_zarr``) for each chunking."""

    params = (list(SAVE_LAYOUTS), ZARR_FORMATS)
    param_names = ("layout", "zarr_format")

    def setup_cache(self) -> dict[str, dict[str, int]]:
        # asv keys setup_cache by where it is written: the subclasses share this one.
        from advisor.plan.policy.recommend import DEFAULT_PATTERNS

        sample_store()
        daily = schema_of(daily_store())
        return {
            "workflow": layout_chunks("workflow", daily),
            "advisor": advisor_chunks(daily, DEFAULT_PATTERNS),
            "dask-auto": layout_chunks("dask-auto", daily),
        }

    def setup(self, chunks: dict, layout: str, zarr_format: int) -> None:
        hourly = workloads.open_for_compute(sample_store())
        self.daily = workloads.resample(hourly, stats=workflow.WORKFLOW_STATS)
        self.chunks = chunks[layout]
        self.out = scratch("save-layouts")


class SaveLayouts(_Layouts):
    """Seconds and peak memory of the whole save pipeline per chunking, under the benchmarks' client."""

    def setup(self, chunks: dict, layout: str, zarr_format: int) -> None:
        client()
        super().setup(chunks, layout, zarr_format)

    def _save(self, zarr_format: int) -> None:
        workloads.save(self.daily, self.out, self.chunks, DEFAULT_CODEC, zarr_format)  # type: ignore[arg-type]

    def time_save(self, chunks: dict, layout: str, zarr_format: int) -> None:
        self._save(zarr_format)

    def peakmem_save(self, chunks: dict, layout: str, zarr_format: int) -> None:
        self._save(zarr_format)


class LayoutStorage(_Layouts):
    """Stored bytes (with the store checked) and ratio of the pipeline's output per chunking."""

    def track_stored_bytes(self, chunks: dict, layout: str, zarr_format: int) -> int:
        with dask.config.set(scheduler="threads"):
            return save_and_check(self.daily, self.out, self.chunks, DEFAULT_CODEC, zarr_format)

    track_stored_bytes.unit = "bytes"

    def track_ratio(self, chunks: dict, layout: str, zarr_format: int) -> float:
        with dask.config.set(scheduler="threads"):
            workloads.save(self.daily, self.out, self.chunks, DEFAULT_CODEC, zarr_format)  # type: ignore[arg-type]
        return decoded_bytes(self.daily) / stored_bytes(self.out)

    track_ratio.unit = "ratio"
