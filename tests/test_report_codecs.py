"""``advisor report --codecs FILE``: the user's own data's Pareto, from real ``advisor codecs --json``."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.conftest import assert_one_line_error, run_cli

HOSTILE = "<script>alert('x')</script>&"


@pytest.fixture(scope="module")
def codecs_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real ``advisor codecs --json`` of a tiny store; its source renamed to a hostile string."""
    root = tmp_path_factory.mktemp("report-codecs")
    t, y, x = np.meshgrid(
        np.arange(48), np.linspace(0, 4, 16), np.linspace(0, 4, 20), indexing="ij"
    )
    ds = xr.Dataset(
        {"t2m": (("time", "latitude", "longitude"), (280 + np.sin(y + t / 9) * x).astype("f4"))},
        coords={
            "time": pd.date_range("2019-01-01", periods=48, freq="h"),
            "latitude": np.linspace(45, 41, 16),
            "longitude": np.linspace(100, 105, 20),
        },
    )
    ds.to_zarr(root / "tiny.zarr", zarr_format=3)
    from advisor.api.codecs import codecs

    data = codecs(root / "tiny.zarr", seconds=0.5, count=2).to_dict()
    data["source"] = HOSTILE
    data["variables"][HOSTILE] = data["variables"].pop("t2m")
    path = root / "codecs.json"
    path.write_text(json.dumps(data))
    return path


def test_the_report_shows_the_users_pareto_with_the_pick_marked(
    codecs_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "results").mkdir()
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["report", "--results", str(tmp_path / "results"), "--codecs", str(codecs_json),
         "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    page = (out / "index.html").read_text()
    section = page[page.index("<section id='own-codecs'>".replace("'", '"')) :]
    section = section[: section.index("</section>")]
    assert "<script>" not in page and "&lt;script&gt;" in section  # every user string escaped
    pick = json.loads(codecs_json.read_text())["variables"][HOSTILE]["pick"]
    assert re.search(rf"<code>{re.escape(pick)}</code> <span class='badge balanced'>pick", section)
    assert "Pareto" in section and "95% CI" in section
    uri = re.search(r"src='data:image/png;base64,([^']+)'", section)
    assert uri is not None and base64.b64decode(uri.group(1)).startswith(b"\x89PNG")


def test_a_wrong_codecs_file_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"variables": {"a": {"pick": 1}}}')
    (tmp_path / "results").mkdir()
    for path in (bad, tmp_path / "missing.json"):
        code, _, err = run_cli(
            ["report", "--results", str(tmp_path / "results"), "--codecs", str(path),
             "--out", str(tmp_path / "out")],
            capsys,
        )  # fmt: skip
        assert_one_line_error(code, err)
        assert not (tmp_path / "out" / "index.html").exists()
