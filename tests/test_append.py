"""``advisor append`` on real stores: appending N steps then M equals writing N+M at once
(values, chunks, shards, codec, attributes) for zarr 2 and 3, sharded and not; each refusal is
one line and leaves the store byte for byte as it was; the lock refuses a live appender and
takes over a dead one's."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr

from advisor.api.append import append
from advisor.run.append import APPENDED_AT, LAST_TIME
from advisor.store.append_lock import LOCK, Holder
from tests.conftest import assert_one_line_error, run_cli

HOURS = 40

LAYOUTS = {
    "zarr2": (2, {"chunks": (8, 3, 4)}),
    "zarr3": (3, {"chunks": (8, 3, 4)}),
    "zarr3-sharded": (3, {"chunks": (4, 3, 4), "shards": (8, 6, 8)}),
}


def dataset(hours: int = HOURS, seed: int = 0) -> xr.Dataset:
    """Two variables on a 6 x 8 grid, hourly from 2019-01-01, with attributes."""
    rng = np.random.default_rng(seed)
    dims = ("time", "latitude", "longitude")
    return xr.Dataset(
        {
            "t2m": (dims, rng.random((hours, 6, 8), dtype="f4"), {"units": "K"}),
            "tp": (dims, rng.random((hours, 6, 8), dtype="f4"), {"units": "m"}),
        },
        coords={
            "time": pd.date_range("2019-01-01", periods=hours, freq="h"),
            "latitude": np.linspace(60, 50, 6),
            "longitude": np.linspace(0, 10, 8),
        },
        attrs={"title": "test"},
    )


def write(ds: xr.Dataset, path: Path, layout: str, **enc: object) -> Path:
    fmt, encoding = LAYOUTS[layout]
    ds.to_zarr(
        path,
        zarr_format=fmt,
        consolidated=True,
        encoding={v: {**encoding, **enc} for v in ds.data_vars},
    )
    return path


def digest(path: Path) -> str:
    """Every file under ``path`` with its bytes: equal digests, an untouched store."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def assert_same_store(got: Path, want: Path) -> None:
    """The same values and coordinates, and per variable the same stored layout."""
    a, b = xr.open_zarr(got), xr.open_zarr(want)
    xr.testing.assert_identical(a.drop_attrs(deep=False), b.drop_attrs(deep=False))
    ga, gb = zarr.open_group(got, mode="r"), zarr.open_group(want, mode="r")
    for name in b.data_vars:
        x, y = ga[str(name)], gb[str(name)]
        assert isinstance(x, zarr.Array) and isinstance(y, zarr.Array)
        assert (x.shape, x.chunks, x.shards, x.dtype) == (y.shape, y.chunks, y.shards, y.dtype)
        assert x.metadata.to_dict() == y.metadata.to_dict()
        np.testing.assert_array_equal(x[:], y[:])
    assert {k: v for k, v in a.attrs.items() if not k.startswith("advisor_")} == b.attrs


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_appending_n_then_m_steps_equals_writing_them_at_once(
    layout: str, tmp_path: Path, local_client
) -> None:
    ds = dataset()
    want = write(ds, tmp_path / "whole.zarr", layout)
    store = write(ds.isel(time=slice(0, 11)), tmp_path / "store.zarr", layout)
    for first, last in ((11, 18), (18, HOURS)):  # each append completes a partial chunk first
        source = write(ds.isel(time=slice(first, last)), tmp_path / f"new-{first}.zarr", layout)
        outcome = append(str(source), str(store), client=local_client, quiet=True)
        assert outcome.result is not None
        assert outcome.plan.length == first and outcome.plan.new == last - first
    assert_same_store(store, want)
    attrs = xr.open_zarr(store).attrs
    assert attrs[LAST_TIME] == "2019-01-02T15:00:00"
    assert APPENDED_AT in attrs
    assert not (store / LOCK).exists()
    # readers that use the consolidated metadata see the whole store too
    assert dict(xr.open_zarr(store, consolidated=True).sizes)["time"] == HOURS


def test_a_folder_of_arriving_netcdf_files_is_appended(tmp_path: Path, local_client) -> None:
    ds = dataset()
    want = write(ds, tmp_path / "whole.zarr", "zarr2")
    store = write(ds.isel(time=slice(0, 12)), tmp_path / "store.zarr", "zarr2")
    arrivals = tmp_path / "arrivals"
    arrivals.mkdir()
    for first in range(12, HOURS, 14):
        ds.isel(time=slice(first, first + 14)).to_netcdf(arrivals / f"{first:04d}.nc")
    append(str(arrivals), str(store), client=local_client, quiet=True)
    assert_same_store(store, want)


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path, capsys) -> None:
    ds = dataset()
    store = write(ds.isel(time=slice(0, 11)), tmp_path / "store.zarr", "zarr3")
    source = write(ds.isel(time=slice(11, 30)), tmp_path / "new.zarr", "zarr3")
    before = digest(store)
    code, out, err = run_cli(
        ["append", str(source), "--to", str(store), "--dry-run", "--json"], capsys
    )
    assert code == 0, err
    plan = json.loads(out)["plan"]
    assert (plan["length"], plan["new"], plan["first_time"]) == (11, 19, "2019-01-01T11:00:00")
    assert plan["blocks"]["t2m"] == {"block": 8, "chunks": [5, 8, 6], "written": 3}
    assert digest(store) == before
    code, out, err = run_cli(["append", str(source), "--to", str(store), "--dry-run"], capsys)
    assert code == 0 and "nothing written" in out and "2019-01-01T11:00:00" in out


def _refusals(tmp_path: Path) -> dict[str, tuple[xr.Dataset, dict[str, object], str]]:
    ds = dataset()
    new = ds.isel(time=slice(11, 20))
    return {
        "overlap": (ds.isel(time=slice(9, 20)), {}, "2 step(s) overlap"),
        "gap": (ds.isel(time=slice(14, 20)), {}, "3 step(s) after the store's last"),
        "step": (ds.isel(time=slice(11, 30, 2)), {}, "step is 2 h, the store's 1 h"),
        "variables": (new.drop_vars("tp"), {}, "variables differ"),
        "dtype": (new.astype("f8"), {}, "is float64"),
        "size": (ds.isel(time=slice(11, 20), latitude=slice(0, 5)), {}, "latitude=5"),
        "chunks": (new, {"chunks": (4, 3, 4)}, "has chunks (4, 3, 4)"),
        "backwards": (
            xr.concat([new.isel(time=[1]), new.isel(time=[0])], "time"),
            {},
            "go backwards",
        ),
    }


@pytest.mark.parametrize(
    "case", ["overlap", "gap", "step", "variables", "dtype", "size", "chunks", "backwards"]
)
def test_each_refusal_is_one_line_and_leaves_the_store_untouched(
    case: str, tmp_path: Path, capsys
) -> None:
    store = write(dataset().isel(time=slice(0, 11)), tmp_path / "store.zarr", "zarr2")
    ds, enc, message = _refusals(tmp_path)[case]
    source = tmp_path / "new.zarr"
    if case == "backwards":  # a store cannot hold these: arriving files can
        source.mkdir()
        for i in range(2):
            ds.isel(time=[i]).to_netcdf(source / f"{i}.nc")
        message = "overlap in time"  # the files are joined in time order and found to repeat
        (source / "1.nc").unlink()
        ds.isel(time=[0]).to_netcdf(source / "1.nc")
    else:
        write(ds, source, "zarr2", **enc)
    before = digest(store)
    code, _, err = run_cli(["append", str(source), "--to", str(store)], capsys)
    assert_one_line_error(code, err)
    assert message in err
    assert digest(store) == before


def test_a_gap_is_appended_with_allow_gap(tmp_path: Path, local_client) -> None:
    ds = dataset()
    store = write(ds.isel(time=slice(0, 11)), tmp_path / "store.zarr", "zarr3")
    source = write(ds.isel(time=slice(14, 20)), tmp_path / "new.zarr", "zarr3")
    outcome = append(str(source), str(store), allow_gap=True, client=local_client, quiet=True)
    assert outcome.plan.gap_steps == 3
    got = xr.open_zarr(store)
    assert got.sizes["time"] == 17
    xr.testing.assert_identical(
        got.isel(time=slice(11, None)).drop_attrs(deep=False),
        xr.open_zarr(source).drop_attrs(deep=False),
    )


def test_relayout_writes_a_differently_chunked_source_in_the_stores_layout(
    tmp_path: Path, local_client
) -> None:
    ds = dataset()
    want = write(ds, tmp_path / "whole.zarr", "zarr3")
    store = write(ds.isel(time=slice(0, 11)), tmp_path / "store.zarr", "zarr3")
    source = write(ds.isel(time=slice(11, HOURS)), tmp_path / "new.zarr", "zarr2", chunks=(1, 6, 8))
    append(str(source), str(store), relayout=True, client=local_client, quiet=True)
    assert_same_store(store, want)


def test_the_target_must_be_an_existing_store(tmp_path: Path, capsys) -> None:
    source = write(dataset(), tmp_path / "new.zarr", "zarr2")
    code, _, err = run_cli(["append", str(source), "--to", str(tmp_path / "none.zarr")], capsys)
    assert_one_line_error(code, err)
    assert "is not a Zarr store" in err and "advisor apply" in err


def test_a_live_appenders_lock_refuses_and_a_dead_ones_is_taken_over(
    tmp_path: Path, capsys, local_client
) -> None:
    ds = dataset()
    store = write(ds.isel(time=slice(0, 11)), tmp_path / "store.zarr", "zarr2")
    source = write(ds.isel(time=slice(11, 20)), tmp_path / "new.zarr", "zarr2")
    live = Holder.me()  # this very process holds it: alive
    (store / LOCK).write_bytes(live.encode())
    before = digest(store)
    code, _, err = run_cli(["append", str(source), "--to", str(store)], capsys)
    assert_one_line_error(code, err)
    assert f"another append to {store} is running (pid {os.getpid()}" in err
    assert digest(store) == before
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = Holder(int(dead.stdout), live.host, live.started, "gone")
    (store / LOCK).write_bytes(gone.encode())
    append(str(source), str(store), client=local_client, quiet=True)
    assert xr.open_zarr(store).sizes["time"] == 20
    assert not (store / LOCK).exists()


def test_an_icechunk_repository_gets_one_commit_per_append(
    tmp_path: Path, capsys, local_client
) -> None:
    from advisor.store.icechunk_repo import open_repository

    ds = dataset()
    first = write(ds.isel(time=slice(0, 11)), tmp_path / "first.zarr", "zarr3")
    repo_path = tmp_path / "repo"
    code, _, err = run_cli(
        ["apply", str(first), "--out", str(repo_path), "--icechunk", "--chunks",
         "time=8,latitude=3,longitude=4", "--codec", "zstd:0", "--json"], capsys,
    )  # fmt: skip
    assert code == 0, err
    repo = open_repository(repo_path, create=False)
    assert repo is not None
    before = [s.id for s in repo.ancestry(branch="main")]
    source = write(ds.isel(time=slice(11, HOURS)), tmp_path / "new.zarr", "zarr3")
    outcome = append(
        str(source), str(repo_path), icechunk=True, relayout=True, client=local_client, quiet=True
    )
    assert outcome.result is not None and outcome.plan.new == HOURS - 11
    after = [s.id for s in repo.ancestry(branch="main")]
    assert len(after) == len(before) + 1 and after[1:] == before  # one commit on top
    got = xr.open_zarr(repo.readonly_session("main").store, consolidated=False)
    assert got.attrs[LAST_TIME] == "2019-01-02T15:00:00"
    for name in ("t2m", "tp"):
        np.testing.assert_array_equal(got[name].values, ds[name].values)
    # the same steps again overlap the new end: refused, nothing committed
    code, _, err = run_cli(
        ["append", str(source), "--to", str(repo_path), "--icechunk", "--relayout"], capsys
    )
    assert_one_line_error(code, err)
    assert "overlap" in err
    assert [s.id for s in repo.ancestry(branch="main")] == after
