"""Codecs: every compressor x level x shuffle on a real chunk of each variable, PCodec, and
BitRound at the sample's keepbits.

The chunk is one the workflow stores (32, 60, 80: 600 kB of float32; (8, 30,
40) at the tiny scale) read from the sample. Encoding and decoding go straight
through the numcodecs codec that :class:`~advisor.plan.codecs.CodecSpec` builds
(zarr 3's Blosc, Zstd and Gzip codecs call the same libraries), so the times
are the codec's own, without Zarr or Dask around it. The lossy candidates
(:data:`LOSSY`) put numcodecs' BitRound in front, at the keepbits holding 99% of the
block's real information (:func:`advisor.plan.bitinfo.keepbits`), the filter's time
included; their ratio is checked against the rounded block, not the original.
"""

from __future__ import annotations

import dataclasses
import functools
import timeit

import numpy as np

from advisor.plan.bitinfo import keepbits
from advisor.plan.codecs import CodecSpec
from advisor.store.encoding import numcodecs_compressor
from advisor.synth.grid import VARIABLES

from .cache import block
from .scale import codec_grid, scale
from .suite import Interactive

SPEED_REPEATS = 5
"""Calls timed for each ``track_*_speed`` figure (the best one counts)."""

INFORMATION = "bitround:info"
"""The head of a lossy candidate: BitRound at the block's keepbits for 99% of its information."""

LOSSY = (f"{INFORMATION}+blosc:zstd:3:bitshuffle", f"{INFORMATION}+pcodec:8")
EXTRA = ("pcodec:8", *LOSSY)
"""Besides the sweep: PCodec, and the lossy candidates."""


@functools.cache
def block_keepbits(variable: str, shape: tuple[int, ...]) -> int:
    """The keepbits of ``variable``'s block at 0.99 of its information (once per process)."""
    return keepbits(block(variable, shape))


def spec_of(codec: str, variable: str) -> CodecSpec:
    """The spec of a parameter, the lossy head resolved to the variable's keepbits.

    Examples
    --------
    >>> spec_of("zstd:3", "cape")
    CodecSpec(family='zstd', cname=None, clevel=3, shuffle=None, keepbits=None)
    """
    head, plus, rest = codec.partition("+")
    if plus and head == INFORMATION:
        spec = CodecSpec.parse(rest)
        return dataclasses.replace(spec, keepbits=block_keepbits(variable, block_shape()))
    return CodecSpec.parse(codec)


def block_shape() -> tuple[int, int, int]:
    """The chunk the codecs work on at this scale."""
    return (8, 30, 40) if scale() == "tiny" else (32, 60, 80)


class Codecs(Interactive):
    """Encode and decode time, compression ratio and speed of each codec on each variable."""

    params = (codec_grid() + list(EXTRA), list(VARIABLES))
    param_names = ("codec", "variable")
    repeat = (3, 10, 0.5)
    warmup_time = 0.05

    def setup_cache(self) -> None:
        for variable in VARIABLES:
            block(variable, block_shape())

    def setup(self, codec: str, variable: str) -> None:
        import numcodecs

        self.data = block(variable, block_shape())
        spec = spec_of(codec, variable)
        self.codec = numcodecs_compressor(spec)
        self.filter = None if spec.keepbits is None else numcodecs.BitRound(spec.keepbits)
        self.expected = self._rounded()
        self.encoded = self._encode()

    def _rounded(self) -> np.ndarray:
        """The block through the filter (BitRound rounds in place, and hands back an int view)."""
        if self.filter is None:
            return self.data
        return np.asarray(self.filter.encode(self.data.copy())).view(self.data.dtype)

    def _encode(self) -> bytes:
        data = self._rounded()
        return data.tobytes() if self.codec is None else self.codec.encode(data)

    def _decode(self) -> np.ndarray:
        if self.codec is None:
            return np.frombuffer(bytearray(self.encoded), dtype=self.data.dtype)
        return self.codec.decode(self.encoded)  # BitRound's decode gives its input back

    def _speed(self, call) -> float:
        best = min(timeit.repeat(call, number=1, repeat=SPEED_REPEATS))
        return self.data.nbytes / 1e6 / best

    def time_encode(self, codec: str, variable: str) -> None:
        self._encode()

    def time_decode(self, codec: str, variable: str) -> None:
        self._decode()

    def track_ratio(self, codec: str, variable: str) -> float:
        decoded = np.frombuffer(self._decode(), dtype=self.data.dtype)
        if not np.array_equal(decoded, self.expected.reshape(-1), equal_nan=True):
            raise AssertionError(f"{codec} did not give back the {variable} block it encoded")
        return self.data.nbytes / len(self.encoded)

    track_ratio.unit = "ratio"

    def track_encode_speed(self, codec: str, variable: str) -> float:
        return self._speed(self._encode)

    track_encode_speed.unit = "MB/s"

    def track_decode_speed(self, codec: str, variable: str) -> float:
        return self._speed(self._decode)

    track_decode_speed.unit = "MB/s"
