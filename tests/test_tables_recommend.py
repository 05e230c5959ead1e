"""``advisor recommend TABLE``: real Parquet files, datasets and CSVs written with pyarrow in
``tmp_path``; the schema read from them; the table and ``--json``; one-line errors."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import advisor.store.table_schema as table_schema
from advisor.api.tables import recommend_table
from advisor.plan.errors import AdvisorError
from advisor.store.table_paths import is_table_source
from advisor.store.table_schema import read_table_source
from tests.conftest import assert_one_line_error, run_cli

KEYS, STEPS = 50, 24 * 40  # 50 stations x 40 days of hours


def _table(order: str = "time") -> pa.Table:
    k, t = np.meshgrid(np.arange(KEYS), np.arange(STEPS), indexing="xy")  # time-major rows
    k, t = k.ravel(), t.ravel()
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "time": pa.array(np.datetime64("2019-01-01T00", "s") + t.astype("timedelta64[h]")),
            "station": [f"st{i:04d}" for i in k],
            "cape": rng.gamma(1.0, 500.0, len(k)),
            "t2m": 270.0 + 60.0 * rng.random(len(k)),
            "count": rng.integers(0, 300, len(k)),
        }
    )
    if order == "key":
        table = table.sort_by([("station", "ascending"), ("time", "ascending")])
    return table


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tables")
    table = _table()
    out = {"parquet": root / "stations.parquet", "csv": root / "stations.csv"}
    pq.write_table(table, out["parquet"], row_group_size=10_000)
    pq.write_table(_table("key"), root / "by_key.parquet", row_group_size=10_000)
    out["by_key"] = root / "by_key.parquet"
    pacsv.write_csv(table, out["csv"])
    out["gz"] = root / "stations.csv.gz"
    with out["csv"].open("rb") as src, gzip.open(out["gz"], "wb") as dst:
        shutil.copyfileobj(src, dst)
    days = table.append_column("day", pa.array(np.arange(len(table)) // (24 * KEYS)))
    out["dataset"] = root / "dataset"
    ds.write_dataset(days, out["dataset"], format="parquet", partitioning=["day"],
                     partitioning_flavor="hive")  # fmt: skip
    return out


# --- the schema read from files --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["parquet", "csv", "gz", "dataset"])
def test_schema_of_real_tables(files: dict[str, Path], kind: str) -> None:
    source = read_table_source(files[kind])
    schema = source.schema
    assert schema.rows == KEYS * STEPS and source.exact_rows
    assert [c.name for c in schema.columns] == ["time", "station", "cape", "t2m", "count"]
    assert (schema.time_column, schema.key_column) == ("time", "station")
    assert schema.column("station").cardinality == KEYS
    # from sorted runs in the sampled files (a day each in the dataset: its edges unseen)
    assert schema.column("time").cardinality == pytest.approx(STEPS, rel=0.05)
    assert schema.time_span_s == pytest.approx(STEPS * 3600.0)
    assert schema.sorted_by == ("time", "station")
    assert set(source.values) == {"cape", "t2m", "count"}
    if kind in ("parquet", "dataset"):  # the whole column's range, from the statistics
        count = schema.column("count")
        assert (count.minimum, count.maximum) == (0, 299)


def test_a_key_sorted_file_is_known_sorted_by_key(files: dict[str, Path]) -> None:
    schema = read_table_source(files["by_key"]).schema
    assert schema.sorted_by == ("station", "time")
    assert schema.column("station").cardinality == KEYS  # scaled from the spread sample


@pytest.mark.parametrize("kind", ["csv", "gz"])
def test_a_csv_is_read_from_a_bounded_head(
    files: dict[str, Path], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table_schema, "CSV_SAMPLE_BYTES", 200_000)  # a tenth of the file
    source = read_table_source(files[kind])
    assert not source.exact_rows and source.sample_rows < KEYS * STEPS / 5
    assert source.schema.rows == pytest.approx(KEYS * STEPS, rel=0.15)
    assert source.schema.column("station").cardinality == KEYS
    assert source.schema.time_span_s == pytest.approx(STEPS * 3600.0, rel=0.15)


def test_what_names_a_table(files: dict[str, Path], tmp_path: Path) -> None:
    assert is_table_source(files["dataset"]) and is_table_source(str(files["gz"]))
    zarr = tmp_path / "store.zarr"
    zarr.mkdir()
    (zarr / "zarr.json").write_text("{}")
    assert not is_table_source(zarr) and not is_table_source(tmp_path / "none")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.parquet", None, "does not exist"),
        ("broken.parquet", b"not parquet at all", "cannot read"),
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"a,b\n", "has a header and no rows"),
        ("broken.csv.gz", b"not gzip", "cannot read"),
    ],
)
def test_unreadable_tables_are_one_line(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AdvisorError, match=message) as exc:
        read_table_source(path)
    assert "\n" not in str(exc.value)


def test_api_from_a_file_verifies_the_dtypes(files: dict[str, Path]) -> None:
    rec = recommend_table(files["parquet"], ["key", "time-range:days=7"], "local")
    checks = {c.column: c for c in rec.dtypes}
    assert checks["t2m"].target == "float32"
    assert any(r.startswith("float16: max error") for r in checks["t2m"].refused)
    assert checks["count"].target == "uint16" and "statistics" in checks["count"].reason
    assert rec.layout.dtypes == {"cape": "float32", "t2m": "float32", "count": "uint16"}
    with pytest.raises(AdvisorError, match="not both"):
        recommend_table(files["parquet"], rows=10, columns="a:float64")


# --- the command -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["parquet", "csv", "dataset"])
def test_json_for_a_file(
    files: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["recommend", str(files[kind]), "-p", "key@2", "-p", "time-range:days=7", "--json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    data = json.loads(out)  # stdout holds the JSON object alone
    assert data["rows"] == KEYS * STEPS and data["key_column"] == "station"
    assert [p["name"] for p in data["patterns"]] == ["key:column=station", "time-range:days=7"]
    assert data["patterns"][0]["weight"] == 2
    for key in ("files_opened", "row_groups_read", "bytes_read", "seconds"):
        assert all(p[key] > 0 for p in data["patterns"])
    labels = [a["label"] for a in data["alternatives"]]
    assert labels[:2] == ["day partitions (the seed)", "pyarrow defaults (one file)"]
    assert data["binding"] == "table-size" and data["files"] == 1  # a 2 MB table: one file
    assert data["layout"]["sort_by"][0] == "station"  # the key query weighs double
    assert "ds.write_dataset(" in data["snippets"]["pyarrow"]


def test_tables_for_people(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["recommend", str(files["parquet"]), "-p", "scan:columns=cape"], capsys
    )
    assert code == 0, err
    for text in ("recommended layout", "binding constraint", "day partitions (the seed)",
                 "dtypes", "-> float32", "paste-ready (pyarrow)", "df.to_parquet("):  # fmt: skip
        assert text in out, text


def test_a_bare_description(capsys: pytest.CaptureFixture[str]) -> None:
    columns = "time:timestamp,station:string:1000,cape:float64,blh:float64"
    args = ["recommend", "--rows", "8760000", "--columns", columns, "-p", "key", "--json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["partitions"] <= 10_000 and 20e6 <= data["file_bytes"] <= 1e9
    seed = data["alternatives"][0]
    assert seed["files"] == 365 and seed["patterns"][0]["files_opened"] == 365


@pytest.mark.parametrize(
    "args",
    [
        ["--rows", "10"],  # no --columns
        ["--rows", "x", "--columns", "a:float64"],
        ["--rows", "10", "--columns", "a:float65"],
        ["--rows", "10", "--columns", "time:timestamp", "-p", "keys"],
        ["--rows", "10", "--columns", "time:timestamp", "-p", "key"],  # no key column
        ["--rows", "10", "--columns", "time:timestamp", "-p", "scan:columns=nope"],
        ["MISSING.parquet"],
    ],
)
def test_bad_input_is_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["recommend", *args], capsys)
    assert_one_line_error(code, err)
    assert out == ""


def test_a_broken_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 then nothing")
    code, _, err = run_cli(["recommend", str(path)], capsys)
    assert_one_line_error(code, err)
    assert "cannot read" in err


def test_the_codec_is_measured_on_the_sample(files: dict[str, Path]) -> None:
    from advisor.plan.profile import StorageProfile
    from advisor.plan.tables.codecs import read_seconds_per_byte

    rec = recommend_table(files["csv"], ["scan"], "object-store")
    labels = [m.label for m in rec.codecs]
    assert labels == ["zstd:1", "zstd:3", "zstd:9", "snappy", "lz4", "gzip:6"]
    assert all(m.ratio > 1 and m.decode_speed > 0 for m in rec.codecs)
    profile = StorageProfile.preset("object-store")
    best = min(rec.codecs, key=lambda m: read_seconds_per_byte(m, profile))
    assert (rec.layout.compression, rec.layout.compression_level) == (best.compression, best.level)
    # the sorted station ids compress far better than random floats
    assert best.column_ratios["station"] > 10 * best.column_ratios["cape"]
    bare = recommend_table(rows=1000, columns="a:float64")
    assert bare.codecs == () and bare.layout.compression == "zstd"


@pytest.mark.parametrize("tool", ["pyarrow", "dask"])
def test_the_snippets_write_the_layout(files: dict[str, Path], tmp_path: Path, tool: str) -> None:
    from advisor.plan.tables.layout import TableLayout
    from advisor.plan.tables.snippet import dask_snippet, pyarrow_snippet

    schema = read_table_source(files["parquet"]).schema
    layout = TableLayout(
        "x",
        time_partition="month",
        key_buckets=4,
        sort_by=("station", "time"),
        row_group_rows=5_000,
        dtypes={"cape": "float32", "count": "uint16"},
        dictionary=("station",),
        compression="zstd",
        compression_level=3,
    )
    text = pyarrow_snippet(layout, schema, 8) if tool == "pyarrow" else dask_snippet(layout, schema)
    out = tmp_path / "out"
    exec(text.replace('"SOURCE"', f'"{files["parquet"]}"').replace('"OUT"', f'"{out}"'), {})
    written = ds.dataset(out, format="parquet", partitioning="hive")
    assert written.count_rows() == KEYS * STEPS
    assert len(written.files) == 2 * 4  # January and February (40 days) x 4 buckets
    assert str(written.schema.field("cape").type) == "float" and "uint16" in str(written.schema)
    meta = pq.ParquetFile(written.files[0]).metadata
    assert meta.row_group(0).num_rows <= 5_000 and meta.row_group(0).column(0).compression == "ZSTD"
    one = written.to_table(filter=ds.field("station") == "st0005")
    assert len(set(one["bucket"].to_pylist())) == 1  # a key lives in one bucket
    for path in written.files:  # each file sorted by station, then time
        table = pq.read_table(path)
        pairs = list(zip(table["station"].to_pylist(), table["time"].to_pylist(), strict=True))
        assert pairs == sorted(pairs)
