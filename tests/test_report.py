"""``advisor report``: the asv reader, the derived tables, the page and the command."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor.report.asvresults import decode_param, read_results
from advisor.report.build import build_report
from advisor.report.codec_table import CodecPoint, dominates, pareto_front, pick_codecs
from advisor.report.model import GENERATOR
from advisor.report.render import render_report
from advisor.report.writer import write_report
from tests.conftest import assert_one_line_error, run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "asv-tiny"
"""Real asv results of the suites at the tiny scale (results/<machine>/*.json, benchmarks.json)."""

SCRIPT = "<script>alert(1)</script>"

needs_fixture = pytest.mark.skipif(
    not (FIXTURE / "benchmarks.json").is_file(), reason=f"no asv fixture at {FIXTURE}"
)


class Page(HTMLParser):
    """The elements of a page: tags with their attributes, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def assert_self_contained(html: str) -> Page:
    """No scripts, no external resources, images as data: URIs, under 2 MB."""
    page = Page(html)
    assert len(html.encode()) < 2_000_000
    assert page.all("script") == []
    assert page.all("link") == []
    assert page.all("iframe") == []
    for img in page.all("img"):
        assert (img.get("src") or "").startswith("data:image/png;base64,")
    return page


# ----------------------------------------------------------------------------- asv files


def write_asv(
    root: Path,
    results: dict[str, list],
    benchmarks: dict[str, dict],
    *,
    machine: str = "box",
    commit: str = "0123456789abcdef",
    date: int = 1_700_000_000_000,
    name: str | None = None,
) -> Path:
    """A results folder as asv 0.6 writes it (compact rows aligned with ``result_columns``)."""
    folder = root / machine
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "machine": machine,
        "cpu": "test cpu",
        "num_cpu": "2",
        "ram": str(8 * 2**30),
        "arch": "x86_64",
        "os": "Linux",
    }
    (folder / "machine.json").write_text(json.dumps({**info, "version": 1}))
    (root / "benchmarks.json").write_text(json.dumps({**benchmarks, "version": 2}))
    data = {
        "commit_hash": commit,
        "env_name": "existing-py",
        "date": date,
        "params": {**info, "python": "3.11"},
        "python": "3.11",
        "requirements": {},
        "env_vars": {},
        "result_columns": [
            "result",
            "params",
            "version",
            "started_at",
            "duration",
            "stats_ci_99_a",
            "stats_ci_99_b",
            "stats_q_25",
            "stats_q_75",
            "stats_number",
            "stats_repeat",
            "samples",
            "profile",
        ],
        "results": results,
        "durations": {},
        "version": 2,
    }
    path = folder / (name or f"{commit[:8]}-existing-py.json")
    # json.dumps writes NaN and Infinity as asv does (Python's non-standard tokens)
    path.write_text(json.dumps(data))
    return path


def bench(name: str, kind: str, unit: str, params: list[list[str]], names: list[str]) -> dict:
    return {
        name: {
            "name": name,
            "type": kind,
            "unit": unit,
            "params": params,
            "param_names": names,
            "version": "1",
        }
    }


CODEC_PARAMS = [["'none'", "'blosc:zstd:3:shuffle'"], ["'cape'", "'cin'"]]
CODEC_NAMES = ["codec", "variable"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'blosc:zstd:3:shuffle'", "blosc:zstd:3:shuffle"),  # strings are stored as their repr
        ("(32, 60, 80)", (32, 60, 80)),  # tuples stay tuples
        ("3", 3),
        ("None", None),
        ("<class 'float'>", "float"),  # asv's class reprs become the class name
        ("not a literal", "not a literal"),  # anything else stays as written
    ],
)
def test_decode_param(text: str, value: object) -> None:
    assert decode_param(text) == value


def test_reader_handles_failed_skipped_and_infinite_values(tmp_path: Path) -> None:
    metas = bench(
        "compressors.Codecs.track_ratio", "track", "ratio", CODEC_PARAMS, ["codec", "variable"]
    )
    metas |= bench(
        "compressors.Codecs.time_encode", "time", "seconds", CODEC_PARAMS, ["codec", "variable"]
    )
    path = write_asv(
        tmp_path,
        {
            # product order: (none, cape), (none, cin), (zstd, cape), (zstd, cin)
            "compressors.Codecs.track_ratio": [
                [1.0, None, math.inf, math.nan],
                CODEC_PARAMS,
                "1",
                1_700_000_001_000,
                1.0,
            ],
            "compressors.Codecs.time_encode": [
                [0.001, 0.002, 0.003, 0.004],
                CODEC_PARAMS,
                "1",
                1_700_000_002_000,
                1.0,
                [0.0009, None, 0.002, 0.003],
                [0.0011, None, -math.inf, 0.005],
                [0.00095, 0.0019, 0.0029, 0.0039],
                [0.00105, 0.0021, 0.0031, 0.0041],
            ],
        },
        metas,
    )
    text = path.read_text()
    assert "NaN" in text and "Infinity" in text and "null" in text
    results = read_results(tmp_path)
    assert results.problems == ()
    ratio = {
        (r.param("codec"), r.param("variable")): r
        for r in results.suite("compressors")
        if r.benchmark.method == "track_ratio"
    }
    assert (ratio["none", "cape"].value, ratio["none", "cape"].status) == (1.0, "ok")
    assert (ratio["none", "cin"].value, ratio["none", "cin"].status) == (None, "failed")
    assert ratio["blosc:zstd:3:shuffle", "cape"].value == math.inf
    assert ratio["blosc:zstd:3:shuffle", "cin"].status == "skipped"
    timed = [r for r in results.records if r.benchmark.method == "time_encode"]
    assert [r.value for r in timed] == [0.001, 0.002, 0.003, 0.004]
    assert [r.q25 for r in timed] == [0.00095, 0.0019, 0.0029, 0.0039]
    assert timed[0].benchmark.unit == "seconds" and timed[0].run.machine == "box"
    assert timed[0].run.machine_info["num_cpu"] == "2"


def test_reader_lists_unreadable_files_and_keeps_the_rest(tmp_path: Path) -> None:
    metas = bench(
        "access.Access.time_read",
        "time",
        "seconds",
        [["'map'"], ["'source'", "'advisor'"]],
        ["pattern", "layout"],
    )
    write_asv(
        tmp_path,
        {
            "access.Access.time_read": [[0.5, 0.1], [["'map'"], ["'source'", "'advisor'"]]],
            "access.Access.broken": [[1.0, 2.0, 3.0], [["1", "2"]]],  # 3 results for 2 params
        },
        metas,
    )
    (tmp_path / "box" / "deadbeef-existing-py.json").write_text('{"results": {')
    results = read_results(tmp_path)
    assert len(results.records) == 2
    assert len(results.problems) == 2
    assert any("deadbeef" in p for p in results.problems)
    assert any("access.Access.broken" in p and "3 results for 2" in p for p in results.problems)


def test_a_build_failure_marks_every_parameter_set_failed(tmp_path: Path) -> None:
    params = [["'map'", "'point-series'"], ["'source'"]]
    write_asv(
        tmp_path,
        {"access.Access.time_read": [None, params]},
        bench("access.Access.time_read", "time", "seconds", params, ["pattern", "layout"]),
    )
    assert [r.status for r in read_results(tmp_path).records] == ["failed", "failed"]


def test_latest_keeps_one_machine_and_the_newest_run(tmp_path: Path) -> None:
    params = [["'map'"], ["'source'"]]
    metas = bench("access.Access.time_read", "time", "seconds", params, ["pattern", "layout"])
    row = lambda value, started: [[value], params, "1", started]  # noqa: E731
    write_asv(tmp_path, {"access.Access.time_read": row(1.0, 1_000)}, metas, commit="aaaa" * 4)
    write_asv(tmp_path, {"access.Access.time_read": row(2.0, 3_000)}, metas, commit="bbbb" * 4)
    write_asv(tmp_path, {"access.Access.time_read": row(9.0, 2_000)}, metas, machine="other")
    latest = read_results(tmp_path).latest()
    assert [(r.value, r.run.commit[:4]) for r in latest.records] == [(2.0, "bbbb")]
    assert {run.machine for run in latest.runs} == {"box"}


def test_missing_results_folder_is_an_advisor_error(tmp_path: Path) -> None:
    from advisor.plan.errors import AdvisorError

    with pytest.raises(AdvisorError, match=r"asv run|benchmarks"):
        read_results(tmp_path / "nope")


# ----------------------------------------------------------------------------- codec choices


points = st.lists(st.tuples(*(st.integers(0, 6) for _ in range(3))), min_size=1, max_size=12)


@given(points)
def test_pareto_front_matches_brute_force(pts: list[tuple[int, int, int]]) -> None:
    front = pareto_front(pts)
    for p, on_front in zip(pts, front, strict=True):
        # oracle: p is on the front iff no point is >= everywhere and > somewhere
        beaten = any(all(x >= y for x, y in zip(q, p, strict=True)) and q != p for q in pts)
        assert on_front == (not beaten)
    # every point off the front is dominated by a point on it
    for p, on_front in zip(pts, front, strict=True):
        if not on_front:
            assert any(dominates(q, p) for q, f in zip(pts, front, strict=True) if f)


@given(st.lists(st.tuples(st.floats(1, 10), st.floats(1, 1e4), st.floats(1, 1e4)), min_size=1))
def test_picks_are_extremes_of_their_goal(rows: list[tuple[float, float, float]]) -> None:
    pts = [CodecPoint("v", f"c{i}", *row) for i, row in enumerate(rows)]
    picks = pick_codecs(pts)
    chosen = {
        goal: next(p for p in pts if p.codec == codec)
        for goal, codec in picks.items()
        if codec is not None
    }
    assert chosen["smallest"].ratio == max(p.ratio for p in pts)
    assert chosen["balanced"].seconds_per_mb() == min(p.seconds_per_mb() for p in pts)
    compressing = [p for p in pts if p.ratio >= 1.1]
    assert ("fastest" in chosen) == bool(compressing)
    if compressing:
        assert chosen["fastest"].speed == max(p.speed for p in compressing)


def test_no_compression_is_never_the_fastest_pick() -> None:
    pts = [CodecPoint("v", "none", 1.0, 9000, 9000), CodecPoint("v", "lz4", 1.5, 800, 1500)]
    assert pick_codecs(pts)["fastest"] == "lz4"


# ----------------------------------------------------------------------------- the page


@needs_fixture
def test_report_from_real_tiny_results(tmp_path: Path, catalog_copy: Path) -> None:
    from advisor.synth.grid import VARIABLES

    report = build_report(FIXTURE, catalog_copy)
    assert report.codecs is not None and report.access is not None and report.saves
    # every variable gets a codec for each goal, chosen among its measured codecs
    for variable in VARIABLES:
        picks = report.codecs.picks[variable]
        assert picks["smallest"] and picks["balanced"]
        assert report.codecs.point(variable, picks["balanced"]).complete
    # the access table: every pattern has a best layout at 1x, the others slower
    for pattern in report.access.patterns:
        best = report.access.best(pattern)
        assert report.access.slowdown(best, pattern) == 1.0
        for layout in report.access.layouts:
            slow = report.access.slowdown(layout, pattern)
            assert slow is None or slow >= 1.0
    html = render_report(report)
    page = assert_self_contained(html)
    text = page.plain
    for needle in (
        "Codec trade-off",
        "The save workload",
        "Access patterns",
        "Environment",
        *VARIABLES,
        *report.access.patterns,
        "balanced",
        "smallest",
        "fastest",
    ):
        assert needle in text, needle
    # the two figures (codecs; save time vs size) are embedded
    assert len(page.all("img")) == 2
    # the heatmap outlines the advisor's picks
    assert "cell pick" in html
    # environment: versions and the machine from the results
    env = {f.label: f for f in report.environment}
    assert env["cores"].source == "results" and env["commit"].value
    # the catalog copy has no data: each card names its command, listed as missing too
    assert "advisor sample-data --out" in text
    assert all("sample-data" in m.command for m in report.missing)


@needs_fixture
def test_partial_results_show_what_they_have_and_list_the_rest(
    tmp_path: Path, catalog_copy: Path
) -> None:
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    for path in results.glob("*/*.json"):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        data["results"] = {k: v for k, v in data["results"].items() if k.startswith("compressors.")}
        path.write_text(json.dumps(data))
    report = build_report(results, catalog_copy)
    assert report.codecs is not None and report.access is None and not report.saves
    missing = {m.what: m.command for m in report.missing}
    assert any("save" in what and cmd.endswith("--bench save") for what, cmd in missing.items())
    assert any("access" in what and cmd.endswith("--bench access") for what, cmd in missing.items())
    text = assert_self_contained(render_report(report)).plain
    assert "Codec trade-off" in text and "Access patterns" not in text
    assert "--bench access" in text and "--bench save" in text


def test_without_results_the_page_says_which_command_makes_them(
    tmp_path: Path, catalog_copy: Path
) -> None:
    report = build_report(tmp_path / "results", catalog_copy)
    assert report.codecs is None and report.access is None
    assert report.missing[0].command.startswith("ADVISOR_BENCH_SCALE=")
    assert "asv run" in report.missing[0].command
    text = assert_self_contained(render_report(report)).plain
    assert "asv run --set-commit-hash" in text
    assert "Environment" in text and "xarray" in text  # versions of this process, said so
    assert "this process" in text


def _store_with_script(path: Path) -> None:
    """A tiny ERA5-like store whose attributes hold markup."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    ds = xr.Dataset(
        {
            "cape": (
                ("time", "latitude", "longitude"),
                np.ones((48, 5, 6), "f4"),
                {"long_name": SCRIPT, "units": "J kg-1"},
            )
        },
        coords={
            "time": pd.date_range("2019-01-01", periods=48, freq="h"),
            "latitude": np.linspace(45, 15, 5),
            "longitude": np.linspace(100, 140, 6),
        },
        attrs={"title": SCRIPT, f"note{SCRIPT}": "<b>bold</b> & <img src=x onerror=alert(2)>"},
    )
    ds.to_zarr(path, zarr_format=2, consolidated=True)


def test_markup_in_dataset_attributes_shows_as_text(tmp_path: Path, catalog_copy: Path) -> None:
    _store_with_script(tmp_path / "data" / "era5_2019.zarr")
    report = build_report(None, catalog_copy)
    card = next(c for c in report.cards if c.entry == "era5_2019")
    assert card.recommendation is not None, card.error
    html = render_report(report)
    page = assert_self_contained(html)
    assert page.all("script") == [] and page.all("b") == []
    assert all(attrs.get("onerror") is None for _, attrs in page.tags)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT in page.plain  # the reader sees the text itself
    assert "<b>bold</b> & <img src=x onerror=alert(2)>" in page.plain


# ----------------------------------------------------------------------------- the command


def test_cli_writes_the_page_and_says_where(
    tmp_path: Path, catalog_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    args = ["report", "--catalog", str(catalog_copy), "--out", str(out)]
    if (FIXTURE / "benchmarks.json").is_file():
        args += ["--results", str(FIXTURE)]
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    index = out / "index.html"
    assert str(index) in stdout
    assert_self_contained(index.read_text())
    assert "sample-data" in err  # the catalog copy's missing data is named, with its command
    # a second run replaces its own page
    code, _, err = run_cli(args, capsys)
    assert code == 0, err


def test_cli_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, catalog_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", "--catalog", str(catalog_copy)]
    out = tmp_path / "out"
    code, _, err = run_cli([*base, "--results", str(tmp_path / "nope"), "--out", str(out)], capsys)
    assert_one_line_error(code, err)
    assert "--results" in err and not out.exists()

    a_file = tmp_path / "file"
    a_file.write_text("keep")
    code, _, err = run_cli([*base, "--out", str(a_file)], capsys)
    assert_one_line_error(code, err)
    assert a_file.read_text() == "keep"

    out.mkdir()
    (out / "index.html").write_text("<html>someone else's page</html>")
    code, _, err = run_cli([*base, "--out", str(out)], capsys)
    assert_one_line_error(code, err)
    assert "--overwrite" in err
    assert (out / "index.html").read_text() == "<html>someone else's page</html>"
    code, _, err = run_cli([*base, "--out", str(out), "--overwrite"], capsys)
    assert code == 0, err
    assert GENERATOR in (out / "index.html").read_text()

    code, _, err = run_cli(
        [*base[:1], "--catalog", str(tmp_path / "no.yaml"), "--out", str(out)], capsys
    )
    assert_one_line_error(code, err)


def test_write_report_is_atomic_and_returns_the_path(tmp_path: Path) -> None:
    index = write_report(f'<meta name="generator" content="{GENERATOR}">x', tmp_path / "a" / "b")
    assert index == tmp_path / "a" / "b" / "index.html"
    assert [p.name for p in index.parent.iterdir()] == ["index.html"]


def test_every_product_order_value_lands_on_its_parameters(tmp_path: Path) -> None:
    axes = [["'a'", "'b'", "'c'"], ["1", "2"], ["(1, 2)", "None"]]
    combos = list(itertools.product(*axes))
    values = [float(i) for i in range(len(combos))]
    write_asv(
        tmp_path,
        {"s.C.track_x": [values, axes]},
        bench("s.C.track_x", "track", "unit", axes, ["p", "q", "r"]),
    )
    records = read_results(tmp_path).records
    for rec, combo, value in zip(records, combos, values, strict=True):
        assert rec.value == value
        assert rec.params == tuple(zip("pqr", map(decode_param, combo), strict=True))


def test_results_of_another_asv_format_are_left_out_with_a_reason(tmp_path: Path) -> None:
    params = [["'map'"], ["'source'"]]
    path = write_asv(
        tmp_path,
        {"access.Access.time_read": [[1.0], params]},
        bench("access.Access.time_read", "time", "seconds", params, ["pattern", "layout"]),
    )
    path.write_text(path.read_text().replace('"version": 2', '"version": 1'))
    results = read_results(tmp_path)
    assert results.records == ()
    assert "asv update" in results.problems[0]


def test_save_figures_of_several_classes_meet_in_one_row_per_setting(tmp_path: Path) -> None:
    from advisor.report.save_table import save_tables

    params = [["'none'", "'zstd:3'"], ["2", "3"]]
    names = ["codec", "zarr_format"]
    metas = bench("save.SaveCodecs.time_save", "time", "seconds", params, names)
    metas |= bench("save.CodecStorage.track_stored_bytes", "track", "bytes", params, names)
    metas |= bench("save.CodecStorage.track_ratio", "track", "ratio", params, names)
    metas |= bench(
        "compressors.Codecs.track_ratio", "track", "ratio", CODEC_PARAMS, ["codec", "variable"]
    )
    write_asv(
        tmp_path,
        {
            "save.SaveCodecs.time_save": [[1.0, 2.0, 3.0, None], params],
            "save.CodecStorage.track_stored_bytes": [[100, 110, 40, 45], params],
            "save.CodecStorage.track_ratio": [[1.0, 0.9, 2.5, 2.2], params],
            "compressors.Codecs.track_ratio": [[1.0, 1.0, 3.0, 3.0], CODEC_PARAMS],
        },
        metas,
    )
    (table,) = save_tables(read_results(tmp_path).records)
    assert table.name == "save: codec x zarr_format"
    assert table.classes == ("save.SaveCodecs", "save.CodecStorage")
    rows = {(r.setting["codec"], r.setting["zarr_format"]): r for r in table.rows}
    assert len(rows) == 4
    assert (rows["zstd:3", "2"].time, rows["zstd:3", "2"].stored) == (3.0, 40)
    assert rows["zstd:3", "3"].time is None and rows["zstd:3", "3"].ratio == 2.2
    assert table.best("stored") is rows["zstd:3", "2"]
    assert table.best("time") is rows["none", "2"]
    assert table.metrics == ("time", "stored", "ratio")  # no peak memory measured here


def test_environment_prefers_what_the_results_recorded(tmp_path: Path) -> None:
    from advisor.report.environment import environment

    axes = [["'tiny'"], ["'3.11.7'"], ["'2026.9.0'"], ["'2026.8.0'"], ["'3.1.6'"], ["'0.16.6'"]]
    names = ["scale", "python", "xarray", "dask", "zarr", "numcodecs"]
    write_asv(
        tmp_path,
        {"environment.Environment.track_hours": [[96], axes]},
        bench("environment.Environment.track_hours", "track", "hours", axes, names),
    )
    facts = {f.label: f for f in environment(read_results(tmp_path).latest())}
    assert (facts["benchmark scale"].value, facts["benchmark scale"].source) == ("tiny", "results")
    assert (facts["xarray"].value, facts["xarray"].source) == ("2026.9.0", "results")
    assert facts["python"].value == "3.11.7"
    assert (facts["cores"].value, facts["memory"].value) == ("2", "8.0 GiB")
    assert facts["commit"].value == "0123456789ab"


def test_markup_in_results_shows_as_text(tmp_path: Path, catalog_copy: Path) -> None:
    evil = "'<script>alert(3)</script>'"
    access = [["'map'", evil], ["'source'", evil]]
    codecs = [[evil], [evil]]
    metas = bench("access.Access.time_read", "time", "seconds", access, ["pattern", "layout"])
    metas |= bench("compressors.Codecs.track_ratio", "track", "ratio", codecs, CODEC_NAMES)
    metas |= bench("x.<b>Y</b>.track_z", "track", "<i>unit</i>", codecs, ["p", "q"])
    write_asv(
        tmp_path / "results",
        {
            "access.Access.time_read": [[0.1, 0.2, 0.3, None], access],
            "compressors.Codecs.track_ratio": [[2.0], codecs],
            "x.<b>Y</b>.track_z": [[1.0], codecs],
        },
        metas,
    )
    report = build_report(tmp_path / "results", catalog_copy)
    assert report.access is not None and report.codecs is not None and report.others
    html = render_report(report)
    page = assert_self_contained(html)
    assert page.all("b") == [] and page.all("i") == []
    assert "<script>alert(3)</script>" in page.plain and "<b>Y</b>" in page.plain


def test_the_page_writes_seconds_with_the_projects_one_formatter() -> None:
    # the report had its own formatter ("95 s"); advisor.plan.units.format_seconds also has min and h
    from advisor.plan.units import format_seconds
    from advisor.report.access_table import AccessTable
    from advisor.report.save_table import SaveRow, SaveTable
    from advisor.report.sections.access import access_heatmap
    from advisor.report.sections.save import save_table_html

    saves = SaveTable("save", ("codec",), (SaveRow({"codec": "zstd"}, time=95.0),))
    assert "<td class='num'>1.58 min</td>" in save_table_html(saves)
    reads = AccessTable(("source",), ("map",), {("source", "map"): 7200.0}, {})
    assert format_seconds(7200.0) == "2 h" and ">2 h<" in access_heatmap(reads)


@needs_fixture
def test_markup_in_asv_parameter_strings_shows_as_text(tmp_path: Path, catalog_copy: Path) -> None:
    """A parameter value of the asv results (here a codec name) holding markup is escaped."""
    results = tmp_path / "results"
    shutil.copytree(FIXTURE, results)
    hostile = "<img src=x onerror=alert(3)>"
    for path in results.glob("*/*.json"):
        if path.name != "machine.json":
            text = path.read_text().replace(
                "'blosc:lz4:1:shuffle'", json.dumps(f"'{hostile}'")[1:-1]
            )
            path.write_text(text)
    report = build_report(results, catalog_copy)
    html = render_report(report)
    page = assert_self_contained(html)
    assert all(attrs.get("onerror") is None for _, attrs in page.tags)
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    assert hostile in page.plain
