"""Stores with absurd or inconsistent metadata, and damaged chunks: one line naming the array,
exit 2, nothing written (issue #16). The metadata is written by hand where zarr would refuse
to make it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from advisor.store.publish import leftovers
from tests.conftest import run_cli


def _store(path: Path, zarr_format: int) -> Path:
    time = pd.date_range("2019-01-01", periods=48, freq="h")
    data = np.random.default_rng(0).random((48, 6, 8)).astype("float32")
    ds = xr.Dataset(
        {"cape": (("time", "latitude", "longitude"), data)},
        coords={"time": time, "latitude": np.arange(6.0), "longitude": np.arange(8.0)},
    )
    ds.to_zarr(
        path, zarr_format=zarr_format, consolidated=True, encoding={"cape": {"chunks": (24, 6, 8)}}
    )
    return path


def _edit(path: Path, zarr_format: int, change: dict) -> None:
    """Change cape's array metadata, in its own file and in the consolidated copy."""
    if zarr_format == 2:
        meta = path / "cape" / ".zarray"
        doc = json.loads(meta.read_text())
        doc.update(change)
        meta.write_text(json.dumps(doc))
        root = path / ".zmetadata"
        whole = json.loads(root.read_text())
        whole["metadata"]["cape/.zarray"].update(change)
        root.write_text(json.dumps(whole))
    else:
        meta = path / "cape" / "zarr.json"
        doc = json.loads(meta.read_text())
        doc.update(change)
        meta.write_text(json.dumps(doc))
        root = path / "zarr.json"
        whole = json.loads(root.read_text())
        whole["consolidated_metadata"]["metadata"]["cape"].update(change)
        root.write_text(json.dumps(whole))


def _chunks(fmt: int, chunks: list[int]) -> dict:
    if fmt == 2:
        return {"chunks": chunks}
    return {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}}}


CASES = {
    "shape 2**60": lambda fmt: {"shape": [2**60, 6, 8]},
    "chunk 0": lambda fmt: _chunks(fmt, [0, 6, 8]),
    "chunks larger than the shape": lambda fmt: _chunks(fmt, [4800, 60, 80]),
    "unknown codec": lambda fmt: (
        {"compressor": {"id": "no-such-codec"}}
        if fmt == 2
        else {"codecs": [{"name": "bytes"}, {"name": "no-such-codec"}]}
    ),
    "object dtype": lambda fmt: {"dtype": "|O"} if fmt == 2 else {"data_type": "object"},
}


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["recommend", "apply"])
def test_absurd_metadata_is_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zarr_format: int, case: str, command: str
) -> None:
    store = _store(tmp_path / "src.zarr", zarr_format)
    _edit(store, zarr_format, CASES[case](zarr_format))
    out = tmp_path / "out.zarr"
    args = [command, str(store)] + (
        ["--out", str(out), "--chunks", "time=24"] if command == "apply" else []
    )
    code, stdout, err = run_cli(args, capsys)
    if code == 0:  # zarr may accept it (chunks larger than the shape are legal): then it worked
        assert case == "chunks larger than the shape", (case, stdout)
        return
    _one_error_line(code, err, stdout)
    assert "cape" in err.strip().splitlines()[-1]  # the array is named
    assert not out.exists() and not leftovers(out)


def _one_error_line(code: int, err: str, stdout: str) -> None:
    """Exit 2, no traceback, and one error line, the last (after any cluster announcement)."""
    assert code == 2 and "Traceback" not in stdout + err, err
    errors = [line for line in err.splitlines() if line.startswith("advisor: error:")]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
