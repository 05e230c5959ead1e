"""Bit information and keepbits (Klöwer et al. 2021), the lossy check, the candidate grid."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.plan.bitinfo import bit_information, free_entropy, keepbits
from advisor.plan.codec_grid import kind_of, lossless_grid, smaller_dtype
from advisor.plan.codecs import CodecSpec
from advisor.plan.lossy_check import check


def _field(n_time: int = 24, ny: int = 60, nx: int = 80) -> np.ndarray:
    """A smooth float32 field (a temperature-like 280 K plus waves), no noise."""
    t, y, x = np.meshgrid(
        np.linspace(0, 1, n_time), np.linspace(0, 6, ny), np.linspace(0, 6, nx), indexing="ij"
    )
    return (280 + 10 * np.sin(y + t) * np.cos(x) + 2 * t).astype(np.float32)


def _round(data: np.ndarray, bits: int) -> np.ndarray:
    """``data`` rounded to nearest on ``bits`` mantissa bits (float32)."""
    m, e = np.frexp(data.astype(np.float64))
    return np.ldexp(np.round(m * 2.0 ** (bits + 1)) / 2.0 ** (bits + 1), e).astype(np.float32)


def test_data_of_known_precision_keep_no_more_bits_than_they_have() -> None:
    rounded = _round(_field(), 7)
    assert keepbits(rounded) <= 7


def test_a_smooth_field_keeps_more_bits_than_white_noise() -> None:
    # neighbours of a smooth field share their leading mantissa bits (real information);
    # white noise shares none, so its mantissa holds no real information at all
    rng = np.random.default_rng(0)
    noise = (280 + rng.standard_normal((24, 60, 80))).astype(np.float32)
    assert keepbits(_field()) > 7
    assert keepbits(noise) < 3


def test_insignificant_information_is_zero_and_nans_are_left_out() -> None:
    data = _field()
    data[:, :10, :10] = np.nan  # land
    info = bit_information(data)
    assert info.shape == (32,) and np.isfinite(info).all()
    assert info[-1] == 0.0
    assert 0 < free_entropy(1000) < free_entropy(100) < 1


def test_keepbits_refuses_integers_and_a_bad_level() -> None:
    with pytest.raises(AdvisorError, match="float"):
        keepbits(np.arange(10))
    with pytest.raises(AdvisorError, match="level"):
        keepbits(_field(), level=1.5)


def test_the_lossy_check_catches_a_lost_nan_a_flipped_sign_and_a_new_inf() -> None:
    x = np.array([1.0, -2.0, 0.0, np.nan, 3.0], dtype=np.float32)
    assert check(x, x.copy(), 5).ok
    assert not check(x, np.array([1.0, -2.0, 0.0, 0.0, 3.0], dtype=np.float32), 5).nan_same
    assert not check(x, np.array([1.0, 2.0, 0.0, np.nan, 3.0], dtype=np.float32), 5).signs_kept
    assert not check(x, np.array([1, -2, 0, np.nan, np.inf], dtype=np.float32), 5).no_new_inf
    assert not check(x, np.array([1.5, -2, 0, np.nan, 3], dtype=np.float32), 5).ok  # 50% off


def test_grid_kinds_and_smaller_dtypes() -> None:
    assert all(s.shuffle != "shuffle" for s in lossless_grid(1))  # no byte shuffle of bytes
    assert len({str(s) for s in lossless_grid(4)}) == len(lossless_grid(4))
    assert kind_of(np.dtype("f4"), np.array([0, 1, np.nan], dtype="f4")) == "flag"
    assert kind_of(np.dtype("f4"), _field().ravel()) == "float"
    assert smaller_dtype(np.dtype("i4"), np.array([-3, 100])) == "int8"
    assert smaller_dtype(np.dtype("f8"), _field().astype("f8").ravel()) == "float32"
    assert smaller_dtype(np.dtype("f8"), np.array([0.1, np.nan])) is None


@pytest.mark.parametrize(
    "text",
    [
        "bitround:7+blosc:zstd:3:bitshuffle",
        "bitround:0+zstd:3",
        "bitround:23+gzip:5",
    ],
)
def test_a_filtered_codec_string_round_trips(text: str) -> None:
    assert str(CodecSpec.parse(text)) == text


@pytest.mark.parametrize(
    "text, match",
    [
        ("round:7+zstd:3", "unknown filter"),  # not a filter we know
        ("bitround:x+zstd:3", "whole number"),
        ("bitround:60+zstd:3", "out of range"),
        ("bitround:7+lz4", "unknown codec"),
    ],
)
def test_a_bad_filter_is_one_line(text: str, match: str) -> None:
    with pytest.raises(AdvisorError, match=match):
        CodecSpec.parse(text)
