"""What users named comes out inert in the terminal: rich's markup printed as typed, control
characters as their escapes (issue #16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.conftest import run_cli

HOSTILE = "[red]x<td><script>"  # no "/": zarr would nest it
CONTROL = "\x1b[31m\r"


@pytest.fixture()
def hostile_store(tmp_path: Path) -> Path:
    path = tmp_path / f"[bold]st{CONTROL}ore.zarr"  # a path may hold any of them
    time = pd.date_range("2019-01-01", periods=24, freq="h")
    data = np.zeros((24, 3, 4), dtype="float32")
    ds = xr.Dataset(
        {HOSTILE: (("time", "latitude", "longitude"), data, {"units": HOSTILE})},
        coords={"time": time, "latitude": np.arange(3.0), "longitude": np.arange(4.0)},
    )
    ds.to_zarr(path, zarr_format=2, consolidated=True)
    return path


@pytest.mark.parametrize("command", ["apply", "recommend"])
def test_names_with_markup_and_control_characters_print_inert(
    hostile_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    args = [command, str(hostile_store)]
    if command == "apply":
        args += ["--out", str(tmp_path / "out.zarr"), "--chunks", "time=24", "--dry-run"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    text = out + err
    assert "\x1b" not in text and "\r" not in text  # no escape sequence reaches the terminal
    if command == "apply":  # the plan names the variable: its markup is shown as typed
        assert HOSTILE in text.replace("\n", "").replace(" ", "")
    # a long tmp path wraps in its table cell: read the cells' text without the box and wrapping
    flat = text.replace("\n", "").replace(" ", "").replace("│", "")
    assert "[bold]st\\x1b[31m\\rore.zarr" in flat


def test_an_error_naming_control_characters_prints_them_as_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["recommend", str(tmp_path / f"no{CONTROL}such.zarr")], capsys)
    assert code == 2 and "\x1b" not in err and "no\\x1b[31m" in err
