"""Until object stores are supported, a URL gets one clear line, never a local folder named after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error, run_cli


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["sample-data", "--out", "s3://bucket/in", "--years", "2019", "--hours", "3"],
            "--out s3://",
        ),
        # the output is refused before the missing sample source would be generated
        (
            ["apply", "era5_2019", "--out", "s3://bucket/out.zarr", "--chunks", "time=3"],
            "--out s3://",
        ),
        (["apply", "--dry-run", "gs://bucket/in.zarr", "--out", "out.zarr"], "SOURCE gs://"),
        (["recommend", "s3://bucket/era5.zarr", "--pattern", "map"], "SOURCE s3://"),
        (["validate", "memory://x.zarr", "--pattern", "map"], "SOURCE memory://"),
        (["report", "--out", "gs://bucket/reports"], "--out gs://"),
        (["calibrate", "--profile", "s3://bucket/profile.json"], "--profile s3://"),
    ],
)
def test_a_url_is_refused_and_nothing_is_written(
    args: list[str], named: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADVISOR_CATALOG", str(tmp_path / "catalog.yaml"))  # no sample to generate
    code, out, err = run_cli(args, capsys)
    assert_one_line_error(code, err)
    assert out == "" and named in err and "not supported yet" in err
    assert os.listdir(tmp_path) == []
