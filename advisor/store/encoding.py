"""Codec objects for a :class:`~advisor.plan.codecs.CodecSpec`, and the ``encoding=`` of a write.

:mod:`advisor.plan.codecs` describes a compressor (and prints the snippet that builds it);
this module builds it: numcodecs for zarr format 2 (and raw encode/decode), ``zarr.codecs``
for zarr format 3. numcodecs and zarr are imported only when a codec is built.
"""

from __future__ import annotations

import warnings
from typing import Any

from advisor.plan.codecs import DEFAULT_CODEC, CodecSpec, ZarrFormat
from advisor.plan.errors import AdvisorError

_BLOSC_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


def numcodecs_compressor(spec: CodecSpec) -> Any:
    """The numcodecs codec of ``spec`` (zarr format 2, and raw encode/decode), or None.

    Examples
    --------
    >>> numcodecs_compressor(CodecSpec.parse("zstd:5"))
    Zstd(level=5)
    >>> numcodecs_compressor(CodecSpec.parse("none")) is None
    True
    """
    import numcodecs

    if spec.family == "none":
        return None
    if spec.family == "blosc":
        shuffle = _BLOSC_SHUFFLE[spec.shuffle or "shuffle"]
        return numcodecs.Blosc(cname=spec.cname, clevel=spec.clevel, shuffle=shuffle)
    if spec.family == "zstd":
        return numcodecs.Zstd(level=spec.clevel)
    return numcodecs.GZip(level=spec.clevel)


def zarr3_codec(spec: CodecSpec, itemsize: int = 4) -> Any:
    """The ``zarr.codecs`` bytes-to-bytes codec of ``spec`` for zarr format 3, or None.

    Examples
    --------
    >>> type(zarr3_codec(CodecSpec.parse("blosc:lz4:5:bitshuffle"))).__name__
    'BloscCodec'
    """
    from zarr import codecs

    if spec.family == "none":
        return None
    assert spec.clevel is not None  # CodecSpec.parse gives every compressor a level
    if spec.family == "blosc":
        assert spec.cname is not None
        return codecs.BloscCodec(
            cname=spec.cname, clevel=spec.clevel, shuffle=spec.shuffle, typesize=itemsize
        )
    if spec.family == "zstd":
        return codecs.ZstdCodec(level=spec.clevel)
    return codecs.GzipCodec(level=spec.clevel)


def filters(spec: CodecSpec, zarr_format: ZarrFormat) -> list[Any] | None:
    """The array-to-array filters of ``spec`` (its BitRound) for ``zarr_format``, or None.

    zarr 3 takes zarr's own numcodecs wrapper (``zarr.codecs.numcodecs.BitRound``), zarr 2
    numcodecs' ``BitRound``.

    Examples
    --------
    >>> filters(CodecSpec.parse("bitround:7+zstd:3"), 2)
    [BitRound(keepbits=7)]
    >>> filters(CodecSpec.parse("zstd:3"), 3) is None
    True
    """
    if spec.keepbits is None:
        return None
    if zarr_format == 2:
        import numcodecs

        return [numcodecs.BitRound(keepbits=spec.keepbits)]
    from zarr.codecs import numcodecs as wrapped

    with warnings.catch_warnings():  # "not in the Zarr version 3 specification": we know
        warnings.simplefilter("ignore")
        return [wrapped.BitRound(keepbits=spec.keepbits)]


def compressors(spec: CodecSpec, zarr_format: ZarrFormat, itemsize: int = 4) -> list[Any] | None:
    """The value of xarray's ``encoding[var]["compressors"]`` for ``zarr_format`` (None: none).

    Examples
    --------
    >>> compressors(CodecSpec.parse("gzip:5"), 2)
    [GZip(level=5)]
    """
    codec = numcodecs_compressor(spec) if zarr_format == 2 else zarr3_codec(spec, itemsize)
    return None if codec is None else [codec]


def encoding_for(
    variables: list[str] | tuple[str, ...],
    chunks: tuple[int, ...],
    codec: CodecSpec = DEFAULT_CODEC,
    zarr_format: ZarrFormat = 3,
    itemsize: int = 4,
    shards: tuple[int, ...] | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``encoding=`` argument of ``Dataset.to_zarr`` for ``variables``.

    Examples
    --------
    >>> enc = encoding_for(["cape"], (32, 60, 80), zarr_format=2)
    >>> enc["cape"]["chunks"], type(enc["cape"]["compressors"][0]).__name__
    ((32, 60, 80), 'Blosc')
    """
    if shards is not None and zarr_format != 3:
        raise AdvisorError("shards need zarr format 3: pass --zarr-format 3 or drop --shards")
    out: dict[str, dict[str, Any]] = {}
    for name in variables:
        enc: dict[str, Any] = {
            "chunks": tuple(chunks),
            "compressors": compressors(codec, zarr_format, itemsize),
        }
        if codec.keepbits is not None:
            enc["filters"] = filters(codec, zarr_format)
        if shards is not None:
            enc["shards"] = tuple(shards)
        out[name] = enc
    return out
