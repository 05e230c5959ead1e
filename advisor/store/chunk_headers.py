"""The header guard: read stored Blosc chunk headers back and confirm the shuffle and typesize.

numcodecs before 0.16 silently dropped Blosc's shuffle under zarr 3; a copy written with
the wrong shuffle or typesize compresses worse and nothing else tells. A Blosc chunk
begins with a 16-byte header: version, version of the compressor format, **flags** (bit 0:
byte shuffle, bit 1: stored uncompressed, bit 2: bitshuffle) and **typesize**; this module
reads a few stored chunks of each variable and compares them with the
:class:`~advisor.plan.codecs.CodecSpec` asked for. Apply's verification calls
:func:`check_blosc_headers` after its writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.plan.codecs import CodecSpec, Shuffle
from advisor.plan.errors import AdvisorError


@dataclass(frozen=True, slots=True)
class BloscHeader:
    """What a Blosc chunk's header says: its shuffle, typesize, whether stored uncompressed."""

    shuffle: Shuffle
    typesize: int
    memcpyed: bool


def blosc_header(raw: bytes) -> BloscHeader:
    """Read the header of one Blosc-compressed chunk.

    Examples
    --------
    >>> import numcodecs
    >>> x = np.arange(1000, dtype="f4")
    >>> blosc_header(numcodecs.Blosc("zstd", 3, numcodecs.Blosc.BITSHUFFLE).encode(x))
    BloscHeader(shuffle='bitshuffle', typesize=4, memcpyed=False)
    """
    if len(raw) < 16:
        raise AdvisorError(f"a stored chunk of {len(raw)} bytes is no Blosc chunk (16-byte header)")
    flags, typesize = raw[2], raw[3]
    shuffle: Shuffle = "bitshuffle" if flags & 0x4 else ("shuffle" if flags & 0x1 else "noshuffle")
    return BloscHeader(shuffle, typesize, bool(flags & 0x2))


def _chunk_indices(grid: Sequence[int], count: int) -> list[tuple[int, ...]]:
    """``count`` chunk indices spread along the grid: the first, the last and between."""
    steps = np.linspace(0, 1, count)
    return list(dict.fromkeys(tuple(round(float(s) * (g - 1)) for g in grid) for s in steps))


def check_blosc_headers(
    store: str | Path | Any, variables: Sequence[str], codec: CodecSpec, count: int = 3
) -> int:
    """Confirm that stored chunks of ``variables`` carry ``codec``'s shuffle and their dtype's
    typesize; return the number of headers read (0 when ``codec`` is not Blosc or the
    arrays are sharded: the chunks sit inside shards there). A mismatch raises
    :class:`AdvisorError` naming the variable, what was asked and what was stored.

    ``store`` is anything ``zarr.open_group`` opens (a path or a zarr store).
    """
    if codec.family != "blosc":
        return 0
    import zarr
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.sync import sync

    group = zarr.open_group(store, mode="r")
    read = 0
    for name in variables:
        arr = group[name]
        assert isinstance(arr, zarr.Array)
        if arr.shards is not None:
            continue
        grid = [-(-s // c) for s, c in zip(arr.shape, arr.chunks, strict=True)]
        for index in _chunk_indices(grid, count):
            key = arr.metadata.encode_chunk_key(index)
            key = f"{arr.path}/{key}" if arr.path else key
            buf = sync(arr.store.get(key, default_buffer_prototype()))
            if buf is None:  # an empty chunk zarr did not write
                continue
            header = blosc_header(buf.to_bytes())
            if header.memcpyed:  # stored as it came: Blosc writes no shuffle of its own then
                continue
            itemsize = arr.dtype.itemsize
            if header.shuffle != codec.shuffle or header.typesize != itemsize:
                raise AdvisorError(
                    f"{name}: chunk {index} is stored with {header.shuffle}, typesize "
                    f"{header.typesize}, but {codec} with typesize {itemsize} was asked: the "
                    "installed numcodecs/zarr dropped the setting; upgrade numcodecs to 0.16+ "
                    "and apply again with --overwrite"
                )
            read += 1
    return read
