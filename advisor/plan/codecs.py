"""Compressor specifications: parse ``blosc:zstd:3:shuffle`` and print the snippet that builds one.

One :class:`CodecSpec` value describes a compressor the same way for every
consumer: the encoding that ``recommend`` prints, the store ``apply`` writes and
the grid the benchmarks sweep. The codec objects themselves (numcodecs, ``zarr.codecs``)
are built by :mod:`advisor.store.encoding`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from advisor.plan.errors import AdvisorError

Family = Literal["none", "blosc", "zstd", "gzip", "pcodec"]
BloscName = Literal["lz4", "lz4hc", "blosclz", "zstd", "zlib"]
Shuffle = Literal["noshuffle", "shuffle", "bitshuffle"]
ZarrFormat = Literal[2, 3]

FAMILIES: tuple[Family, ...] = ("none", "blosc", "zstd", "gzip", "pcodec")
BLOSC_NAMES: tuple[BloscName, ...] = ("lz4", "lz4hc", "blosclz", "zstd", "zlib")
SHUFFLES: tuple[Shuffle, ...] = ("noshuffle", "shuffle", "bitshuffle")
_SHUFFLE_ALIASES = {"no": "noshuffle", "byte": "shuffle", "bit": "bitshuffle"}
_LEVELS = {
    "blosc": range(0, 10),
    "zstd": range(-7, 23),
    "gzip": range(0, 10),
    "pcodec": range(0, 13),
}
_DEFAULT_LEVELS = {"zstd": "3", "gzip": "5", "pcodec": "8"}
PCODEC_ITEMSIZES = (2, 4, 8)
"""Value sizes PCodec takes (it refuses one-byte types)."""


@dataclass(frozen=True, slots=True)
class CodecSpec:
    """A compressor: ``family`` with its algorithm, level and shuffle.

    Examples
    --------
    >>> spec = CodecSpec.parse("blosc:zstd:3:shuffle")
    >>> spec
    CodecSpec(family='blosc', cname='zstd', clevel=3, shuffle='shuffle', keepbits=None)
    >>> str(spec)
    'blosc:zstd:3:shuffle'
    >>> CodecSpec.parse("zstd:5").label
    'Zstd level 5'
    >>> lossy = CodecSpec.parse("bitround:7+blosc:zstd:3:bitshuffle")
    >>> lossy.keepbits, str(lossy), lossy.lossless
    (7, 'bitround:7+blosc:zstd:3:bitshuffle', 'blosc:zstd:3:bitshuffle')
    >>> CodecSpec.parse("pcodec").label
    'PCodec level 8'
    """

    family: Family = "blosc"
    cname: BloscName | None = "zstd"
    clevel: int | None = 3
    shuffle: Shuffle | None = "shuffle"
    keepbits: int | None = None
    """Mantissa bits kept by a BitRound filter before the compressor (None: no filter, lossless)."""

    @classmethod
    def parse(cls, text: str) -> CodecSpec:
        """Parse ``none``, ``blosc[:CNAME[:LEVEL[:SHUFFLE]]]``, ``zstd[:LEVEL]``, ``gzip[:LEVEL]``
        or ``pcodec[:LEVEL]`` (0..12, default 8), optionally behind a filter:
        ``bitround:KEEPBITS+COMPRESSOR``.

        SHUFFLE is ``noshuffle|shuffle|bitshuffle`` (or ``no|byte|bit``); KEEPBITS is the
        number of float mantissa bits kept (0..52, numcodecs' BitRound).
        """
        head, plus, rest = text.partition("+")
        if plus:
            keepbits = _keepbits(head.strip().lower(), text)
            return dataclasses.replace(cls._parse_compressor(rest), keepbits=keepbits)
        return cls._parse_compressor(text)

    @classmethod
    def _parse_compressor(cls, text: str) -> CodecSpec:
        parts = [p.strip().lower() for p in text.split(":")]
        family = parts[0]
        hint = "use e.g. blosc:zstd:3:shuffle, blosc:lz4:5:bitshuffle, zstd:3, gzip:5, pcodec:8 or none"
        if family not in FAMILIES:
            raise AdvisorError(f"unknown codec {text!r}: {hint}")
        if family == "none":
            if len(parts) > 1:
                raise AdvisorError(f"codec 'none' takes no parameters, got {text!r}")
            return cls("none", None, None, None)
        if family == "blosc":
            if len(parts) > 4:
                raise AdvisorError(f"too many parts in codec {text!r}: {hint}")
            cname = parts[1] if len(parts) > 1 else "zstd"
            if cname not in BLOSC_NAMES:
                raise AdvisorError(
                    f"unknown Blosc compressor {cname!r} in {text!r}: use one of "
                    + ", ".join(BLOSC_NAMES)
                )
            level = _level(parts[2] if len(parts) > 2 else "3", family, text)
            shuffle = _SHUFFLE_ALIASES.get(parts[3], parts[3]) if len(parts) > 3 else "shuffle"
            if shuffle not in SHUFFLES:
                raise AdvisorError(
                    f"unknown shuffle {parts[3]!r} in {text!r}: use noshuffle, shuffle or bitshuffle"
                )
            return cls("blosc", cname, level, shuffle)
        if len(parts) > 2:
            raise AdvisorError(f"codec {family!r} takes only a level, got {text!r}: {hint}")
        level = _level(parts[1] if len(parts) > 1 else _DEFAULT_LEVELS[family], family, text)
        return cls(family, None, level, None)

    def __str__(self) -> str:
        head = "" if self.keepbits is None else f"bitround:{self.keepbits}+"
        return head + self.lossless

    @property
    def lossless(self) -> str:
        """The compressor alone, without the BitRound filter (the whole string when lossless)."""
        if self.family == "none":
            return "none"
        if self.family == "blosc":
            return f"blosc:{self.cname}:{self.clevel}:{self.shuffle}"
        return f"{self.family}:{self.clevel}"

    @property
    def label(self) -> str:
        """A short human name, e.g. ``Blosc zstd 3 shuffle``."""
        head = "" if self.keepbits is None else f"BitRound {self.keepbits} bits + "
        if self.family == "none":
            return head + "no compression"
        if self.family == "blosc":
            return head + f"Blosc {self.cname} {self.clevel} {self.shuffle}"
        name = "PCodec" if self.family == "pcodec" else self.family.capitalize()
        return head + f"{name} level {self.clevel}"

    def snippet(self, zarr_format: ZarrFormat) -> tuple[str, str]:
        """Python source that builds this codec: ``(import lines, compressor expression)``.

        The imports cover every entry of :meth:`encoding_entries` (the BitRound filter's and
        PCodec's too); the expression is the compressor alone ("" when there is none: no
        compression, or PCodec under zarr 3, where it is the serializer). Use
        :meth:`encoding_entries` for the whole encoding, filters included.

        Examples
        --------
        >>> CodecSpec.parse("blosc:lz4:5:bitshuffle").snippet(3)[1]
        'BloscCodec(cname="lz4", clevel=5, shuffle="bitshuffle")'
        >>> CodecSpec.parse("blosc:zstd:3:shuffle").snippet(2)[1]
        'Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE)'
        >>> print(CodecSpec.parse("bitround:7+zstd:3").snippet(2)[0])
        from numcodecs import BitRound, Zstd
        """
        imports, entries = self._snippet_parts(zarr_format)
        listed = entries["compressors"]
        compressor = listed[1:-1] if listed.startswith("[") else ""
        return "\n".join(imports), compressor

    def encoding_entries(self, zarr_format: ZarrFormat) -> dict[str, str]:
        """The ``encoding=`` entries of this codec as Python source, keyed by xarray's names:
        ``filters`` (the BitRound), ``serializer`` (PCodec under zarr 3), ``compressors``.

        Examples
        --------
        >>> CodecSpec.parse("bitround:7+blosc:zstd:3:bitshuffle").encoding_entries(3)
        {'filters': '[BitRound(keepbits=7)]', 'compressors': '[BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")]'}
        >>> CodecSpec.parse("pcodec:8").encoding_entries(3)
        {'serializer': 'PCodec(level=8)', 'compressors': 'None'}
        >>> CodecSpec.parse("pcodec:8").encoding_entries(2)
        {'compressors': '[PCodec(level=8)]'}
        """
        return self._snippet_parts(zarr_format)[1]

    def _snippet_parts(self, zarr_format: ZarrFormat) -> tuple[list[str], dict[str, str]]:
        imports: list[str] = []
        entries: dict[str, str] = {}
        wrapped = "zarr.codecs.numcodecs" if zarr_format == 3 else "numcodecs"
        if self.keepbits is not None:
            imports.append(f"from {wrapped} import BitRound")
            entries["filters"] = f"[BitRound(keepbits={self.keepbits})]"
        if self.family == "pcodec":
            imports.append(f"from {wrapped} import PCodec")
            if zarr_format == 3:
                entries["serializer"] = f"PCodec(level={self.clevel})"
                entries["compressors"] = "None"
            else:
                entries["compressors"] = f"[PCodec(level={self.clevel})]"
            return _merged(imports), entries
        if self.family == "none":  # None, not []: zarr 2 refuses an empty list
            entries["compressors"] = "None"
            return _merged(imports), entries
        if zarr_format == 3:
            names = {"blosc": "BloscCodec", "zstd": "ZstdCodec", "gzip": "GzipCodec"}
            name = names[self.family]
            imports.append(f"from zarr.codecs import {name}")
            if self.family == "blosc":
                expr = (
                    f'{name}(cname="{self.cname}", clevel={self.clevel}, shuffle="{self.shuffle}")'
                )
            else:
                expr = f"{name}(level={self.clevel})"
        else:
            name = {"blosc": "Blosc", "zstd": "Zstd", "gzip": "GZip"}[self.family]
            imports.append(f"from numcodecs import {name}")
            if self.family == "blosc":
                constant = {
                    "noshuffle": "NOSHUFFLE",
                    "shuffle": "SHUFFLE",
                    "bitshuffle": "BITSHUFFLE",
                }
                expr = (
                    f'{name}(cname="{self.cname}", clevel={self.clevel}, '
                    f"shuffle={name}.{constant[self.shuffle or 'shuffle']})"
                )
            else:
                expr = f"{name}(level={self.clevel})"
        entries["compressors"] = f"[{expr}]"
        return _merged(imports), entries


def _merged(imports: list[str]) -> list[str]:
    """``from M import A`` lines with one module merged into one line, names sorted."""
    names: dict[str, list[str]] = {}
    for line in imports:
        module, _, name = line.removeprefix("from ").partition(" import ")
        names.setdefault(module, []).append(name)
    return [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in names.items()]


DEFAULT_CODEC = CodecSpec()
"""Blosc zstd level 3 with byte shuffle: the workflow's choice and a good balance of ratio and speed."""


def _keepbits(head: str, whole: str) -> int:
    name, _, bits = head.partition(":")
    if name != "bitround":
        raise AdvisorError(
            f"unknown filter {name!r} in {whole!r}: use bitround:KEEPBITS+COMPRESSOR, "
            "e.g. bitround:7+blosc:zstd:3:bitshuffle"
        )
    try:
        keepbits = int(bits)
    except ValueError:
        raise AdvisorError(
            f"bitround needs the mantissa bits to keep, a whole number, in {whole!r}: "
            "e.g. bitround:7+blosc:zstd:3:bitshuffle"
        ) from None
    if not 0 <= keepbits <= 52:
        raise AdvisorError(f"bitround keepbits {keepbits} in {whole!r} is out of range: use 0..52")
    return keepbits


def _level(text: str, family: str, whole: str) -> int:
    try:
        level = int(text)
    except ValueError:
        raise AdvisorError(f"codec level {text!r} in {whole!r} is not a whole number") from None
    allowed = _LEVELS[family]
    if level not in allowed:
        raise AdvisorError(
            f"{family} level {level} in {whole!r} is out of range: use {allowed.start}..{allowed.stop - 1}"
        )
    return level
