"""PCodec under zarr 2 and 3, and the encoding snippet pasted and run: it writes what the spec says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from advisor.plan.codec_grid import lossless_grid
from advisor.plan.codecs import CodecSpec
from advisor.plan.errors import AdvisorError
from advisor.store.codec_roundtrip import round_trip
from advisor.store.encoding import encoding_for


def _data(dtype: str = "float32") -> np.ndarray:
    t, x = np.meshgrid(np.linspace(0, 3, 40), np.linspace(0, 5, 30), indexing="ij")
    return (300 + 20 * np.sin(t) * np.cos(x) + 0.01 * t * x).astype(dtype)


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "uint64"])
def test_pcodec_is_stored_and_read_back_in_both_formats(
    tmp_path: Path, zarr_format: int, dtype: str
) -> None:
    data = _data(dtype)
    spec = CodecSpec.parse("pcodec:8")
    path = tmp_path / "p.zarr"
    enc = encoding_for(["v"], (8, 30), spec, zarr_format, data.dtype.itemsize)  # type: ignore[arg-type]
    xr.Dataset({"v": (("t", "x"), data)}).to_zarr(path, encoding=enc, zarr_format=zarr_format)
    arr = zarr.open_array(path / "v", mode="r")
    names = [type(c).__name__ for c in (*arr.compressors, arr.serializer)]
    assert "PCodec" in names, names  # zarr 3: the serializer; zarr 2: the compressor
    np.testing.assert_array_equal(xr.open_zarr(path).v.values, data)
    rt = round_trip(data, spec, zarr_format)  # type: ignore[arg-type]
    assert rt.stored_bytes < 0.8 * data.nbytes  # a smooth field: PCodec packs it


def test_pcodec_refuses_one_byte_values_cleanly() -> None:
    assert all(s.family != "pcodec" for s in lossless_grid(1))  # never a candidate for bytes
    assert {str(s) for s in lossless_grid(4) if s.family == "pcodec"} == {"pcodec:4", "pcodec:8"}
    with pytest.raises(AdvisorError, match="cannot store 1-byte values"):
        encoding_for(["m"], (4,), CodecSpec.parse("pcodec"), 3, 1)
    with pytest.raises(AdvisorError, match="cannot store 1-byte values"):
        round_trip(np.zeros(10, dtype="u1"), CodecSpec.parse("pcodec"))
    with pytest.raises(AdvisorError, match="out of range"):
        CodecSpec.parse("pcodec:13")


def _pasted(spec: CodecSpec, zarr_format: int, path: Path, data: np.ndarray) -> None:
    """Run the snippet's imports and encoding entries as a user would paste them."""
    imports, _ = spec.snippet(zarr_format)  # type: ignore[arg-type]
    entries = spec.encoding_entries(zarr_format)  # type: ignore[arg-type]
    body = ", ".join(f'"{k}": {v}' for k, v in entries.items())
    source = "\n".join(
        [
            "import warnings",
            "warnings.simplefilter('ignore')",
            imports,
            f'encoding = {{"v": {{"chunks": (8, 30), {body}}}}}',
            f"ds.to_zarr(path, encoding=encoding, zarr_format={zarr_format})",
        ]
    )
    exec(source, {"ds": xr.Dataset({"v": (("t", "x"), data)}), "path": str(path)})


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(
    "text", ["bitround:7+blosc:zstd:3:bitshuffle", "bitround:9+pcodec:4", "zstd:3", "none"]
)
def test_the_pasted_snippet_writes_what_the_spec_says(
    tmp_path: Path, zarr_format: int, text: str
) -> None:
    spec = CodecSpec.parse(text)
    data = _data()
    _pasted(spec, zarr_format, tmp_path / "pasted.zarr", data)
    arr = zarr.open_array(tmp_path / "pasted.zarr" / "v", mode="r")
    filters = list(arr.filters)
    if spec.keepbits is None:
        assert filters == []
    else:  # the filter is there, with the keepbits asked for
        assert len(filters) == 1 and "BitRound" in type(filters[0]).__name__
        config = filters[0].get_config() if hasattr(filters[0], "get_config") else None
        assert (config or filters[0].codec_config)["keepbits"] == spec.keepbits
    # the values stored are those the spec's own round trip gives: filter and codec applied
    expected = round_trip(data, spec, zarr_format).decoded  # type: ignore[arg-type]
    np.testing.assert_array_equal(arr[...], expected)
    if spec.keepbits is not None:
        assert not np.array_equal(arr[...], data)  # rounded: the snippet did not drop it
    back = zarr.open_array(tmp_path / "pasted.zarr" / "v", mode="r")
    ours = encoding_for(["v"], (8, 30), spec, zarr_format)["v"]  # type: ignore[arg-type]
    assert [type(c).__name__ for c in back.compressors] == [
        type(c).__name__ for c in ours["compressors"] or ()
    ]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("text", ["bitround:7+blosc:zstd:3:bitshuffle", "pcodec:4"])
def test_recommends_whole_snippet_keeps_the_filter_and_serializer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zarr_format: int, text: str
) -> None:
    from advisor.plan.policy.snippet import encoding_snippet
    from advisor.plan.schema import Schema

    spec = CodecSpec.parse(text)
    data = _data()
    schema = Schema(("t", "x"), data.shape, data.itemsize, variables=("v",))
    snippet = encoding_snippet(schema, {"t": 8, "x": 30}, None, spec, zarr_format)  # type: ignore[arg-type]
    monkeypatch.chdir(tmp_path)
    exec(snippet, {"ds": xr.Dataset({"v": (("t", "x"), data)})})
    stored = zarr.open_array(tmp_path / "out.zarr" / "v", mode="r")
    expected = round_trip(data, spec, zarr_format).decoded  # type: ignore[arg-type]
    np.testing.assert_array_equal(stored[...], expected)
    assert ("BitRound" in repr(stored.filters)) == (spec.keepbits is not None)
