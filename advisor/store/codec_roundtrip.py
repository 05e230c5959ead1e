"""One chunk through zarr's own codec pipeline: written to an in-memory array with a codec,
read back, timed on one thread (in CPU seconds: :data:`clock`), its stored bytes counted.

What ``advisor codecs`` measures: the filters and compressors of
:mod:`advisor.store.encoding`, the array made by ``zarr.create_array`` in a ``MemoryStore``
whose dict we hold, so the stored chunk's size is read off its key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.store.encoding import check_storable, compressors, filters, serializer

_METADATA = (".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json")


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One chunk encoded and decoded: seconds each way, stored bytes, the decoded values."""

    encode_seconds: float
    decode_seconds: float
    stored_bytes: int
    decoded: np.ndarray


clock = time.process_time
"""The round trips' clock: the CPU seconds of this process. The codec works on one thread,
so these are its seconds, and other programs on a busy machine do not stretch them (wall
seconds there varied by a factor of two between runs, more than the codecs differ)."""


@contextmanager
def one_thread() -> Iterator[None]:
    """Blosc on one thread while measuring (numcodecs' global), restored afterwards."""
    from numcodecs import blosc

    before = blosc.set_nthreads(1)
    try:
        yield
    finally:
        blosc.set_nthreads(before)


def round_trip(
    chunk: np.ndarray, spec: CodecSpec, zarr_format: ZarrFormat = 3, decodes: int = 1
) -> RoundTrip:
    """Write ``chunk`` as the one chunk of an in-memory zarr array with ``spec``, read it back
    (``decodes`` times: the fastest read's seconds count).

    Examples
    --------
    >>> x = np.arange(1000, dtype=np.float32).reshape(10, 100)
    >>> rt = round_trip(x, CodecSpec.parse("blosc:zstd:3:shuffle"))
    >>> bool(np.array_equal(rt.decoded, x)), rt.stored_bytes < x.nbytes
    (True, True)
    """
    import zarr
    from zarr.storage import MemoryStore

    check_storable(spec, chunk.dtype.itemsize)
    data: dict = {}
    store = MemoryStore(store_dict=data)
    arr = zarr.create_array(
        store,
        shape=chunk.shape,
        chunks=chunk.shape,
        dtype=chunk.dtype,
        filters=filters(spec, zarr_format),
        serializer=serializer(spec, zarr_format),
        compressors=compressors(spec, zarr_format, chunk.dtype.itemsize),
        zarr_format=zarr_format,
        config={"write_empty_chunks": True},
    )
    start = clock()
    arr[...] = chunk
    encode = clock() - start
    decode = float("inf")
    for _ in range(max(1, decodes)):
        began = clock()
        decoded = arr[...]
        decode = min(decode, clock() - began)
    stored = sum(len(v.to_bytes()) for k, v in data.items() if not k.endswith(_METADATA))
    return RoundTrip(encode, decode, stored, np.asarray(decoded))
