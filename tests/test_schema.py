"""Schema parsing, role guessing and reading schemas from real datasets and stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import (
    parse_dims_map,
    parse_dtype,
    parse_duration,
    parse_shape,
    parse_size,
    parse_start,
    schema_from_shape,
)
from advisor.plan.schema import Schema, assign_roles, guess_role
from advisor.plan.units import human_readable_size
from advisor.store.metadata import load_schema, schema_from_dataset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "malformed shape"),  # nothing at all
        ("time", "malformed shape"),  # no size
        ("time=", "malformed shape"),  # empty size
        ("=8760", "malformed shape"),  # no name
        ("time=8760,,lat=3", "malformed shape"),  # empty part
        ("time=abc", "not a whole number"),  # not a number
        ("time=1.5", "not a whole number"),  # not whole
        ("time=0", "at least 1"),  # zero
        ("time=-5", "at least 1"),  # negative
        ("time=5,time=6", "twice"),  # repeated dim
    ],
)
def test_parse_shape_rejects(text: str, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        parse_shape(text)


def test_parse_shape_keeps_order() -> None:
    assert parse_shape(" member=10, time=24 ,level=37") == (
        ("member", "time", "level"),
        (10, 24, 37),
    )


@pytest.mark.parametrize("text", ["object", "U10", "datetime64[ns]", "bool_x", "bogus", ""])
def test_parse_dtype_rejects_non_numeric(text: str) -> None:
    with pytest.raises(AdvisorError, match="dtype"):
        parse_dtype(text)


@pytest.mark.parametrize(
    ("text", "itemsize"), [("float64", 8), ("int16", 2), ("uint8", 1), ("<f4", 4), ("complex64", 8)]
)
def test_parse_dtype_itemsize(text: str, itemsize: int) -> None:
    assert parse_dtype(text)[1] == itemsize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10MB", 10_000_000),
        ("1.5GB", 1_500_000_000),
        ("100 MiB", 100 * 2**20),
        ("2kB", 2000),
        ("123", 123),
        ("10e6", 10_000_000),
        ("512B", 512),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "ten MB", "-5MB", "5 XB", "0", "0.1"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(AdvisorError):
        parse_size(text)


def test_parse_duration_and_start() -> None:
    assert parse_duration("6h") == 21600
    assert parse_duration("15min") == 900
    assert parse_start("2019-03-01T06") == "2019-03-01T06:00:00"
    with pytest.raises(AdvisorError, match="time step"):
        parse_duration("hourly")
    with pytest.raises(AdvisorError, match="start time"):
        parse_start("yesterday")


def test_human_readable_size() -> None:
    assert human_readable_size(999) == "999 B"
    assert human_readable_size(10_000_000) == "10.0 MB"
    assert human_readable_size(134_217_728) == "134 MB"
    assert human_readable_size(2.5e12) == "2.50 TB"


@pytest.mark.parametrize(
    ("name", "attrs", "role"),
    [
        ("valid_time", None, "time"),
        ("lat", None, "latitude"),
        ("rlon", None, "longitude"),
        ("isobaricInhPa", None, "level"),
        ("number", None, "member"),
        ("dim_0", {"axis": "T"}, "time"),  # CF axis
        ("dim_1", {"standard_name": "projection_y_coordinate"}, "latitude"),  # CF standard name
        ("nav", {"units": "degrees_east"}, "longitude"),  # CF units
        ("p", {"units": "hPa"}, "level"),
        ("step", {"units": "hours since 2000-01-01"}, "time"),
        ("bnds", None, "other"),
    ],
)
def test_guess_role(name: str, attrs: dict | None, role: str) -> None:
    assert guess_role(name, attrs) == role


def test_assign_roles_user_map_wins_and_roles_are_unique() -> None:
    assert assign_roles(
        ["t", "a", "b"], dims_map={"time": "t", "latitude": "a", "longitude": "b"}
    ) == (
        "time",
        "latitude",
        "longitude",
    )
    # two dims look like latitude: the second is 'other'
    assert assign_roles(["lat", "y"]) == ("latitude", "other")
    with pytest.raises(AdvisorError, match="not a dimension"):
        assign_roles(["time", "lat"], dims_map={"time": "valid_time"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time", "malformed"),
        ("when=valid_time", "unknown role"),
        ("time=x,latitude=x", "two roles"),
    ],
)
def test_parse_dims_map_rejects(text: str, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        parse_dims_map(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dims": ("a", "b"), "shape": (1,), "itemsize": 4}, "sizes"),
        ({"dims": ("a", "a"), "shape": (1, 2), "itemsize": 4}, "repeat"),
        ({"dims": ("a",), "shape": (0,), "itemsize": 4}, "at least 1"),
        ({"dims": ("a",), "shape": (3,), "itemsize": 0}, "item size"),
        ({"dims": ("a",), "shape": (3,), "itemsize": 4, "chunks": (1, 1)}, "chunks"),
        ({"dims": (), "shape": (), "itemsize": 4}, "no dimensions"),
    ],
)
def test_schema_validates(kwargs: dict, message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        Schema(**kwargs)


def test_schema_from_shape_clips_chunks_and_maps_dims() -> None:
    s = schema_from_shape(
        "valid_time=48,y=10,x=20",
        "int16",
        dims_map={"time": "valid_time"},
        time_start="2020-02-28",
        chunks=(100, 5, 5),
    )
    assert s.roles == ("time", "latitude", "longitude")
    assert s.chunks == (48, 5, 5)
    assert (s.itemsize, s.dtype, s.time_start) == (2, "int16", "2020-02-28T00:00:00")


def _dataset() -> xr.Dataset:
    """4-D float64 + int16 on odd names, with a bounds variable and CF attributes."""
    times = pd.date_range("2021-06-01T06:00", periods=40, freq="3h")
    return xr.Dataset(
        {
            "t": (("when", "plev", "row", "col"), np.zeros((40, 3, 5, 7), "f8")),
            "q": (("when", "plev", "row", "col"), np.zeros((40, 3, 5, 7), "i2")),
            "when_bnds": (("when", "nb"), np.zeros((40, 2))),
        },
        coords={
            "when": ("when", times),
            "plev": ("plev", [1000, 850, 500], {"units": "hPa"}),
            "row": ("row", np.arange(5.0), {"standard_name": "latitude"}),
            "col": ("col", np.arange(7.0), {"axis": "X"}),
        },
    )


def test_schema_from_dataset_reads_roles_step_and_skips_bounds() -> None:
    s = schema_from_dataset(_dataset(), name="odd")
    assert s.dims == ("when", "plev", "row", "col")
    assert s.roles == ("time", "level", "latitude", "longitude")
    assert (s.itemsize, s.dtype) == (8, "float64")  # the widest variable
    assert (s.time_step, s.time_start) == (10800.0, "2021-06-01T06:00:00")
    assert s.variables == ("q", "t")
    assert s.skipped == ("when_bnds",)
    assert s.chunks is None  # in memory: no chunks


def test_schema_from_zarr_store_reads_current_chunks(tmp_path: Path) -> None:
    path = tmp_path / "odd.zarr"
    ds = _dataset()
    ds.to_zarr(path, encoding={"t": {"chunks": (8, 1, 5, 7)}, "q": {"chunks": (8, 1, 5, 7)}})
    s = load_schema(str(path))
    assert s.chunks == (8, 1, 5, 7)
    assert s.name == str(path)


def test_schema_from_dataset_with_user_dims_and_2d() -> None:
    ds = xr.Dataset({"v": (("a", "b"), np.zeros((30, 4), "f4"))})
    s = schema_from_dataset(ds, dims={"time": "a"})
    assert s.roles == ("time", "other")
    assert s.time_step is None


def test_load_schema_missing_source_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisorError, match="no Zarr store named 'nope', and no catalog at"):
        load_schema("nope", catalog=tmp_path / "missing.yaml")


def test_load_schema_rejects_a_non_store(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("not zarr")
    with pytest.raises(AdvisorError, match="cannot open"):
        load_schema(str(tmp_path / "file.txt"))
