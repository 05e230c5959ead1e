"""Codec objects for a :class:`~advisor.plan.codecs.CodecSpec`, and the ``encoding=`` of a write.

:mod:`advisor.plan.codecs` describes a compressor (and prints the snippet that builds it);
this module builds it: numcodecs for zarr format 2 (and raw encode/decode), ``zarr.codecs``
for zarr format 3. numcodecs and zarr are imported only when a codec is built.
"""

from __future__ import annotations

import warnings
from typing import Any

from advisor.plan.codecs import DEFAULT_CODEC, PCODEC_ITEMSIZES, CodecSpec, ZarrFormat
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
    if spec.family == "pcodec":
        return _pcodec(spec, 2)
    return numcodecs.GZip(level=spec.clevel)


def _pcodec(spec: CodecSpec, zarr_format: ZarrFormat) -> Any:
    """PCodec: numcodecs' (zarr 2's compressor) or zarr's wrapper (zarr 3's serializer)."""
    import importlib.util

    if importlib.util.find_spec("pcodec") is None:  # numcodecs' PCodec needs it
        raise AdvisorError(
            "codec pcodec needs the pcodec package: pip install pcodec, or pick another codec"
        )
    if zarr_format == 2:
        from numcodecs.pcodec import PCodec

        return PCodec(level=spec.clevel)
    from zarr.codecs import numcodecs as wrapped

    with warnings.catch_warnings():  # "not in the Zarr version 3 specification": we know
        warnings.simplefilter("ignore")
        return wrapped.PCodec(level=spec.clevel)


def check_storable(spec: CodecSpec, itemsize: int) -> None:
    """Raise AdvisorError when ``spec`` cannot store values of ``itemsize`` bytes.

    Examples
    --------
    >>> check_storable(CodecSpec.parse("pcodec"), 4)
    >>> check_storable(CodecSpec.parse("pcodec"), 1)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: codec pcodec:8 cannot store 1-byte values (PCodec takes 2-, 4- and 8-byte numbers): pick e.g. blosc:zstd:3:bitshuffle
    """
    if spec.family == "pcodec" and itemsize not in PCODEC_ITEMSIZES:
        raise AdvisorError(
            f"codec {spec} cannot store {itemsize}-byte values (PCodec takes 2-, 4- and 8-byte "
            "numbers): pick e.g. blosc:zstd:3:bitshuffle"
        )


def serializer(spec: CodecSpec, zarr_format: ZarrFormat) -> Any:
    """The array-to-bytes codec of ``spec`` (PCodec under zarr 3), or ``"auto"``: zarr's own.

    Examples
    --------
    >>> serializer(CodecSpec.parse("zstd:3"), 3)
    'auto'
    >>> type(serializer(CodecSpec.parse("pcodec:4"), 3)).__name__
    'PCodec'
    """
    if spec.family == "pcodec" and zarr_format == 3:
        return _pcodec(spec, 3)
    return "auto"


def zarr3_codec(spec: CodecSpec, itemsize: int = 4) -> Any:
    """The ``zarr.codecs`` bytes-to-bytes codec of ``spec`` for zarr format 3, or None
    (PCodec is no bytes-to-bytes codec: it is the :func:`serializer`).

    Examples
    --------
    >>> type(zarr3_codec(CodecSpec.parse("blosc:lz4:5:bitshuffle"))).__name__
    'BloscCodec'
    """
    from zarr import codecs

    if spec.family in ("none", "pcodec"):
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
    check_storable(codec, itemsize)
    out: dict[str, dict[str, Any]] = {}
    for name in variables:
        enc: dict[str, Any] = {
            "chunks": tuple(chunks),
            "compressors": compressors(codec, zarr_format, itemsize),
        }
        if codec.keepbits is not None:
            enc["filters"] = filters(codec, zarr_format)
        if codec.family == "pcodec" and zarr_format == 3:
            enc["serializer"] = serializer(codec, 3)
        if shards is not None:
            enc["shards"] = tuple(shards)
        out[name] = enc
    return out
