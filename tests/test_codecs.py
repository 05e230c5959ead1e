"""Codec specs: parsing, zarr 2 and 3 codec objects, and that shuffle really reaches the bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from advisor.plan.codecs import CodecSpec
from advisor.plan.errors import AdvisorError
from advisor.store.encoding import compressors, encoding_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blosc:zstd:3:shuffle", CodecSpec("blosc", "zstd", 3, "shuffle")),
        ("BLOSC:lz4:9:bit", CodecSpec("blosc", "lz4", 9, "bitshuffle")),  # aliases, any case
        ("blosc", CodecSpec("blosc", "zstd", 3, "shuffle")),  # defaults fill the rest
        ("zstd:7", CodecSpec("zstd", None, 7, None)),
        ("gzip", CodecSpec("gzip", None, 5, None)),
        ("none", CodecSpec("none", None, None, None)),
    ],
)
def test_parse(text: str, expected: CodecSpec) -> None:
    assert CodecSpec.parse(text) == expected
    assert CodecSpec.parse(str(expected)) == expected  # str round-trips


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lzma", "unknown codec 'lzma'"),
        ("blosc:snappyy", "unknown Blosc compressor"),
        ("blosc:zstd:x", "is not a whole number"),
        ("blosc:zstd:12", "out of range"),
        ("blosc:zstd:3:sideways", "unknown shuffle"),
        ("gzip:5:shuffle", "takes only a level"),
        ("none:1", "takes no parameters"),
    ],
)
def test_bad_codecs(text: str, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        CodecSpec.parse(text)


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("text", ["blosc:lz4:5:bitshuffle", "zstd:3", "gzip:1", "none"])
def test_encoding_round_trips_through_xarray(tmp_path: Path, zarr_format: int, text: str) -> None:
    spec = CodecSpec.parse(text)
    data = np.linspace(0, 1000, 40 * 30, dtype="float32").reshape(40, 30)
    ds = xr.Dataset({"v": (("time", "x"), data)})
    path = tmp_path / "s.zarr"
    ds.to_zarr(
        path, encoding=encoding_for(["v"], (8, 10), spec, zarr_format), zarr_format=zarr_format
    )
    arr = zarr.open_array(path / "v", mode="r")
    assert arr.chunks == (8, 10)
    assert len(arr.compressors) == (0 if text == "none" else 1)
    np.testing.assert_array_equal(xr.open_zarr(path).v.values, data)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_shuffle_is_not_a_silent_no_op(tmp_path: Path, zarr_format: int) -> None:
    # numcodecs < 0.16 ignored Blosc shuffle under zarr 3: stored sizes must differ
    # a smooth field quantized like GRIB packing: shuffle groups the constant exponent bytes
    t, y, x = np.meshgrid(*(np.linspace(0, 3, 64),) * 3, indexing="ij")
    data = (np.round((500 + 300 * np.sin(t + y) * np.cos(2 * x)) * 64) / 64).astype("float32")
    sizes = {}
    for shuffle in ("noshuffle", "shuffle"):
        path = tmp_path / f"{shuffle}.zarr"
        spec = CodecSpec("blosc", "zstd", 3, shuffle)
        xr.Dataset({"v": (("a", "b", "c"), data)}).to_zarr(
            path,
            encoding=encoding_for(["v"], (64, 64, 64), spec, zarr_format),
            zarr_format=zarr_format,
        )
        sizes[shuffle] = sum(f.stat().st_size for f in (path / "v").rglob("*") if f.is_file())
    assert sizes["shuffle"] < sizes["noshuffle"]


def test_snippets_are_valid_python() -> None:
    for text in ("blosc:zlib:1:noshuffle", "zstd:3", "gzip:9"):
        for fmt in (2, 3):
            head, expr = CodecSpec.parse(text).snippet(fmt)
            namespace: dict = {}
            exec(head, namespace)
            assert eval(expr, namespace) is not None


def test_shards_need_format_3() -> None:
    with pytest.raises(AdvisorError, match="shards need zarr format 3"):
        encoding_for(["v"], (1, 2), zarr_format=2, shards=(2, 2))


def test_every_codec_of_the_full_sweep_round_trips(tmp_path: Path) -> None:
    """The asv codec sweep's every compressor, level and shuffle, under zarr 2 and 3: the tiny
    benchmark scale (the quick run) sweeps one level, so every level is checked here."""
    from benchmarks.scale import CLEVELS, codec_grid

    data = np.linspace(-50, 3000, 24 * 30 * 40, dtype="float32").reshape(24, 30, 40)
    grid = codec_grid(CLEVELS)
    assert len(grid) == 69
    for text in grid:
        spec = CodecSpec.parse(text)
        for zarr_format in (2, 3):
            path = tmp_path / f"{text.replace(':', '-')}-{zarr_format}.zarr"
            array = zarr.create_array(
                str(path),
                shape=data.shape,
                chunks=(8, 30, 40),
                dtype="float32",
                compressors=compressors(spec, zarr_format, 4),
                zarr_format=zarr_format,
            )
            array[:] = data
            back = zarr.open_array(str(path), mode="r")
            assert tuple(back.compressors) == tuple(compressors(spec, zarr_format, 4) or ()), text
            np.testing.assert_array_equal(back[:], data)
