"""Codecs: every compressor x level x shuffle on a real chunk of each variable.

The chunk is one the workflow stores (32, 60, 80: 600 kB of float32; (8, 30,
40) at the tiny scale) read from the sample. Encoding and decoding go straight
through the numcodecs codec that :class:`~advisor.plan.codecs.CodecSpec` builds
(zarr 3's Blosc, Zstd and Gzip codecs call the same libraries), so the times
are the codec's own, without Zarr or Dask around it.
"""

from __future__ import annotations

import timeit

import numpy as np

from advisor.plan.codecs import CodecSpec
from advisor.store.encoding import numcodecs_compressor
from advisor.synth.grid import VARIABLES

from .cache import block
from .scale import codec_grid, scale
from .suite import Interactive

SPEED_REPEATS = 5
"""Calls timed for each ``track_*_speed`` figure (the best one counts)."""


def block_shape() -> tuple[int, int, int]:
    """The chunk the codecs work on at this scale."""
    return (8, 30, 40) if scale() == "tiny" else (32, 60, 80)


class Codecs(Interactive):
    """Encode and decode time, compression ratio and speed of each codec on each variable."""

    params = (codec_grid(), list(VARIABLES))
    param_names = ("codec", "variable")
    repeat = (3, 10, 0.5)
    warmup_time = 0.05

    def setup_cache(self) -> None:
        for variable in VARIABLES:
            block(variable, block_shape())

    def setup(self, codec: str, variable: str) -> None:
        self.data = block(variable, block_shape())
        self.codec = numcodecs_compressor(CodecSpec.parse(codec))
        self.encoded = self._encode()

    def _encode(self) -> bytes:
        return self.data.tobytes() if self.codec is None else self.codec.encode(self.data)

    def _decode(self) -> np.ndarray:
        if self.codec is None:
            return np.frombuffer(bytearray(self.encoded), dtype=self.data.dtype)
        return self.codec.decode(self.encoded)

    def _speed(self, call) -> float:
        best = min(timeit.repeat(call, number=1, repeat=SPEED_REPEATS))
        return self.data.nbytes / 1e6 / best

    def time_encode(self, codec: str, variable: str) -> None:
        self._encode()

    def time_decode(self, codec: str, variable: str) -> None:
        self._decode()

    def track_ratio(self, codec: str, variable: str) -> float:
        decoded = np.frombuffer(self._decode(), dtype=self.data.dtype)
        if not np.array_equal(decoded, self.data.reshape(-1), equal_nan=True):
            raise AssertionError(f"{codec} did not give back the {variable} block it encoded")
        return self.data.nbytes / len(self.encoded)

    track_ratio.unit = "ratio"

    def track_encode_speed(self, codec: str, variable: str) -> float:
        return self._speed(self._encode)

    track_encode_speed.unit = "MB/s"

    def track_decode_speed(self, codec: str, variable: str) -> float:
        return self._speed(self._decode)

    track_decode_speed.unit = "MB/s"
