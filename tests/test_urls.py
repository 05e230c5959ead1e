"""URLs: the schemes the advisor cannot write or open get one clear line, never a local folder
named after them; a URL of a supported scheme that names nothing says so (on the loopback S3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error, run_cli


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["sample-data", "--out", "ftp://host/in", "--years", "2019", "--hours", "3"],
            "ftp:// is not a store the advisor opens",
        ),
        # the output is refused before the missing sample source would be generated
        (
            ["apply", "era5_2019", "--out", "https://host/out.zarr", "--chunks", "time=3"],
            "https:// is read-only",
        ),
        (["apply", "--dry-run", "sftp://host/in.zarr", "--out", "out.zarr"], "SOURCE sftp://"),
        (["report", "--out", "gs://bucket/reports"], "--out gs://"),
        (["calibrate", "--profile", "s3://bucket/profile.json"], "--profile s3://"),
        (["validate", "era5_2019", "--workdir", "https://host/w"], "https:// is read-only"),
    ],
)
def test_a_url_that_cannot_be_used_is_refused_and_nothing_is_written(
    args: list[str], named: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADVISOR_CATALOG", str(tmp_path / "catalog.yaml"))  # no sample to generate
    code, out, err = run_cli(args, capsys)
    assert_one_line_error(code, err)
    assert out == "" and named in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "{bucket}/missing.zarr", "--pattern", "map"],
        ["apply", "--dry-run", "{bucket}/missing.zarr", "--out", "out.zarr"],
        ["validate", "{bucket}/missing.zarr", "--pattern", "map"],
        ["recommend", "s3://no-such-bucket-anywhere/x.zarr"],
    ],
)
def test_a_url_that_names_no_store_says_so(
    args: list[str], s3, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli([a.format(bucket=s3.bucket) for a in args], capsys)
    assert_one_line_error(code, err)
    assert "cannot open s3://" in err and "as a Zarr store" in err
    assert os.listdir(tmp_path) == []


def test_a_url_without_credentials_is_one_line(s3, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()  # fsspec reuses a file system made with credentials
    code, _out, err = run_cli(["validate", f"{s3.bucket}/x.zarr"], capsys)
    assert_one_line_error(code, err)
    assert "cannot reach s3://" in err and "--anon" in err


def test_a_bad_storage_option_is_one_line(s3, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(
        ["validate", f"{s3.bucket}/x.zarr", "--storage-option", "requester_pays"], capsys
    )
    assert_one_line_error(code, err)
    assert "--storage-option 'requester_pays': give KEY=VALUE" in err


def test_a_url_whose_library_is_missing_names_the_extra(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from advisor.plan import location

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(location.LIBRARIES, "gs", ("no_such_gcs_library", "cloud"))
    code, _out, err = run_cli(["recommend", "gs://bucket/era5.zarr", "--pattern", "map"], capsys)
    assert_one_line_error(code, err)
    assert "needs no_such_gcs_library" in err and "pip install 'chunk-advisor[cloud]'" in err
    assert os.listdir(tmp_path) == []


def test_memory_urls_work_in_process(tmp_path: Path, capsys) -> None:
    import xarray as xr

    code, _, err = run_cli(
        ["sample-data", "--out", "memory://samples", "--years", "2019", "--hours", "24"], capsys
    )
    assert code == 0, err
    code, _out, err = run_cli(
        [
            "apply",
            "memory://samples/era5_2019.zarr",
            "--out",
            "memory://copies/a.zarr",
            "--chunks",
            "time=12",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    assert xr.open_zarr("memory://copies/a.zarr").cape.encoding["chunks"] == (12, 121, 161)
    assert os.listdir(tmp_path) == []


def test_https_sources_are_read_only_and_read(sample_store: Path, capsys) -> None:
    """A store served over HTTP on loopback: recommend reads its metadata; apply may read it."""
    import functools
    import http.server
    import json
    import threading

    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(sample_store.parent)
    )
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{sample_store.name}"
        code, out, err = run_cli(["recommend", url, "--pattern", "map", "--json"], capsys)
        assert code == 0, err
        assert json.loads(out)["source"] == url
        code, _, err = run_cli(["apply", url, "--out", f"{url}-copy", "--chunks", "time=8"], capsys)
        assert_one_line_error(code, err)
        assert "http:// is read-only" in err
    finally:
        server.shutdown()
        server.server_close()
