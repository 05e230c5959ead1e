"""The table advice's pure core: the pattern and description parsers, the cost model against
pyarrow's own row-group statistics, the verified downcasts, the policy's invariants."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import StorageProfile
from advisor.plan.tables.cost import Grid, table_cost
from advisor.plan.tables.dtypes import check_columns, check_float
from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.parse import (
    parse_table_pattern,
    resolve_pattern,
    schema_from_description,
)
from advisor.plan.tables.patterns import TablePattern
from advisor.plan.tables.policy import FILE_CAP, FILE_FLOOR, MAX_PARTITIONS, recommend_table
from advisor.plan.tables.schema import TableColumn, TableSchema

# --- the parsers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("time-range", TablePattern("time-range")),
        ("time-range:days=7", TablePattern("time-range", days=7.0)),
        ("time-range:days=1.5,weight=2", TablePattern("time-range", weight=2.0, days=1.5)),
        ("key:column=station@3", TablePattern("key", weight=3.0, column="station")),
        ("scan:columns=cape,blh", TablePattern("scan", columns=("cape", "blh"))),
        # a list first, then another parameter
        ("scan:columns=cape,blh,weight=0.5", TablePattern("scan", 0.5, columns=("cape", "blh"))),
        (
            "groupby:by=station,columns=cape",
            TablePattern("groupby", by="station", columns=("cape",)),
        ),
        ("append:every=1h", TablePattern("append", every="1h")),
        ("append", TablePattern("append", every="1D")),  # a day by default
        (" key ", TablePattern("key")),
    ],
)
def test_patterns_parse(text: str, expected: TablePattern) -> None:
    assert parse_table_pattern(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("keys", "'keys'"),  # an unknown kind
        ("scan:by=station", "'by'"),  # a parameter of another kind
        ("time-range:days=0", "days '0'"),
        ("time-range:days=x", "days 'x'"),
        ("key@-1", "weight '-1'"),
        ("key:weight=2@3", "weight twice"),
        ("append:every=1X", "'1X'"),
        ("scan:columns", "malformed"),
    ],
)
def test_bad_patterns_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(AdvisorError) as exc:
        parse_table_pattern(text)
    message = str(exc.value)
    assert named in message and "\n" not in message


def test_description_finds_time_and_key() -> None:
    s = schema_from_description("24000", "time:timestamp[us],id:int32:1000,cape:f4,ok:bool")
    assert (s.time_column, s.key_column, s.rows) == ("time", "id", 24_000)
    assert s.column("cape").dtype == "float32" and s.column("time").dtype == "timestamp[us]"
    assert s.bytes_per_row == 8 + 4 + 4 + 1
    assert s.time_span_s == 24 * 3600  # 24 hourly steps per key
    # no cardinality: the name marks the key
    assert schema_from_description(10, "station:string,time:datetime64[ns]").key_column == "station"
    assert schema_from_description(10, "a:float64").time_column is None


@pytest.mark.parametrize(
    ("rows", "columns", "named"),
    [
        ("0", "a:float64", "--rows '0'"),
        ("ten", "a:float64", "--rows 'ten'"),
        (10, "a", "malformed column 'a'"),
        (10, "a:float64,a:int8", "names a twice"),
        (10, "a:string:11", "cardinality '11'"),
        (10, "a:complex128", "unknown dtype 'complex128'"),
    ],
)
def test_bad_descriptions(rows: object, columns: str, named: str) -> None:
    with pytest.raises(AdvisorError) as exc:
        schema_from_description(rows, columns)  # type: ignore[arg-type]
    assert named in str(exc.value)


def test_resolve_refuses_missing_columns() -> None:
    s = schema_from_description(100, "cape:float64")
    with pytest.raises(AdvisorError, match="needs a timestamp column"):
        resolve_pattern(parse_table_pattern("time-range"), s)
    with pytest.raises(AdvisorError, match="needs a key column"):
        resolve_pattern(parse_table_pattern("key"), s)


# --- the cost model against pyarrow's statistics ---------------------------------------------

KEYS, STEPS = 6, 96  # 6 stations x 4 days of hours
START = np.datetime64("2019-01-01T00:00", "s")


def _schema(sorted_by: tuple[str, ...] = ()) -> TableSchema:
    return TableSchema(
        "t",
        KEYS * STEPS,
        (
            TableColumn("time", "timestamp[s]", STEPS),
            TableColumn("station", "string", KEYS),
            TableColumn("cape", "float64"),
        ),
        time_column="time",
        key_column="station",
        time_span_s=STEPS * 3600.0,
        sorted_by=sorted_by,
    )


def _write(layout: TableLayout, root: Path, shuffle: bool) -> list[Path]:
    """Write the layout by hand with pyarrow: Hive day folders, key buckets, sorted files."""
    k, t = np.meshgrid(np.arange(KEYS), np.arange(STEPS), indexing="ij")
    k, t = k.ravel(), t.ravel()
    rng = np.random.default_rng(7)
    paths = []
    day = t // 24 if layout.time_partition == "day" else np.zeros_like(t)
    bucket = k % layout.key_buckets if layout.key_buckets else np.zeros_like(k)
    for d in np.unique(day):
        for b in np.unique(bucket):
            sel = (day == d) & (bucket == b)
            kk, tt = k[sel], t[sel]
            if layout.sort_by[:1] == ("time",):
                order = np.lexsort((kk, tt))
            elif layout.sort_by[:1] == ("station",):
                order = np.lexsort((tt, kk))
            else:
                order = rng.permutation(len(kk)) if shuffle else np.arange(len(kk))
            kk, tt = kk[order], tt[order]
            table = pa.table(
                {
                    "time": pa.array(START + tt.astype("timedelta64[h]"), pa.timestamp("s")),
                    "station": [f"st{i:03d}" for i in kk],
                    "cape": rng.random(len(kk)),
                }
            )
            folder = root / f"day={d}" / f"bucket={b}"
            folder.mkdir(parents=True)
            rows = layout.max_rows_per_file or len(kk)
            for i, lo in enumerate(range(0, len(kk), rows)):
                path = folder / f"part-{i}.parquet"
                pq.write_table(table.slice(lo, rows), path, row_group_size=layout.row_group_rows)
                paths.append(path)
    return paths


def _stats(paths: list[Path], column: str) -> list[tuple[object, object]]:
    """Every row group's [min, max] of ``column``, as pyarrow's statistics give them."""
    out = []
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        j = meta.schema.names.index(column)
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(j).statistics
            out.append((stats.min, stats.max))
    return out


def _oracle_time_range(paths: list[Path], r: int) -> float:
    """Row groups whose time statistics meet [s, s + r) averaged over every start s."""
    stats = [(np.datetime64(lo, "s"), np.datetime64(hi, "s")) for lo, hi in _stats(paths, "time")]
    hits = []
    for s in range(STEPS - r + 1):
        a = START + np.timedelta64(s, "h")
        b = START + np.timedelta64(s + r - 1, "h")
        hits.append(sum(lo <= b and hi >= a for lo, hi in stats))
    return float(np.mean(hits))


def _oracle_key(paths: list[Path], buckets: int = 0) -> float:
    """Row groups whose station statistics hold the key, in the key's bucket's files only (the
    reader filters on the bucket too), averaged over every key."""
    hits = []
    for i in range(KEYS):
        mine = [p for p in paths if not buckets or p.parent.name == f"bucket={i % buckets}"]
        key = f"st{i:03d}"
        hits.append(sum(lo <= key <= hi for lo, hi in _stats(mine, "station")))
    return float(np.mean(hits))


@pytest.mark.parametrize(
    "layout",
    [
        TableLayout("time sorted", sort_by=("time", "station"), row_group_rows=50),
        TableLayout("key sorted", sort_by=("station", "time"), row_group_rows=50),
        TableLayout("key sorted, big groups", sort_by=("station", "time"), row_group_rows=200),
        TableLayout(
            "day, key sorted", time_partition="day", sort_by=("station",), row_group_rows=30
        ),
        TableLayout("day, time sorted", time_partition="day", sort_by=("time",), row_group_rows=7),
        TableLayout("buckets", key_buckets=4, sort_by=("time", "station"), row_group_rows=40),
        TableLayout("files", sort_by=("station", "time"), row_group_rows=64, max_rows_per_file=200),
        TableLayout("unsorted, one group", row_group_rows=10_000),
    ],
    ids=lambda layout: layout.label,
)
@pytest.mark.parametrize("days", [1, 2.5 / 24])
def test_row_groups_read_match_pyarrow_statistics(
    layout: TableLayout, days: float, tmp_path: Path
) -> None:
    paths = _write(layout, tmp_path, shuffle=False)
    schema = _schema()
    profile = StorageProfile()
    r = math.ceil(days * 24)  # a range of 2.5 h meets 3 hourly steps
    cost = table_cost(layout, parse_table_pattern(f"time-range:days={days}"), schema, profile)
    assert cost.row_groups_read == pytest.approx(_oracle_time_range(paths, r))
    key = table_cost(layout, parse_table_pattern("key"), schema, profile)
    assert key.row_groups_read == pytest.approx(_oracle_key(paths, layout.key_buckets))
    scan = table_cost(layout, parse_table_pattern("scan"), schema, profile)
    assert scan.row_groups_read == sum(pq.ParquetFile(p).metadata.num_row_groups for p in paths)
    assert scan.files_opened == len(paths)
    assert scan.rows_read == KEYS * STEPS


def test_unsorted_row_groups_hold_every_key_and_time(tmp_path: Path) -> None:
    # shuffled rows in groups of 144: each group holds the first and last key and time
    layout = TableLayout("shuffled", row_group_rows=144)
    paths = _write(layout, tmp_path, shuffle=True)
    schema = _schema()
    key = table_cost(layout, parse_table_pattern("key"), schema, StorageProfile())
    assert key.row_groups_read == _oracle_key(paths) == 4
    cost = table_cost(layout, parse_table_pattern("time-range:days=1"), schema, StorageProfile())
    assert cost.row_groups_read == pytest.approx(_oracle_time_range(paths, 24))


def test_grid_of_a_schema() -> None:
    assert Grid.of(_schema()) == Grid(KEYS, STEPS, 3600.0)


# --- verified downcasts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "target"),
    [
        (-128, 127, "int8"),  # int8's own edges
        (-129, 127, "int16"),
        (-128, 128, "int16"),
        (0, 255, "uint8"),  # unsigned from min >= 0
        (0, 256, "uint16"),
        (-32768, 32767, "int16"),
        (0, 65535, "uint16"),
        (0, 65536, "uint32"),
        (-(2**31), 2**31 - 1, "int32"),
        (-(2**31) - 1, 0, "int64"),
        (0, 2**32 - 1, "uint32"),
        (0, 2**32, "uint64"),
    ],
)
def test_integer_downcasts_are_exact_at_the_edges(lo: int, hi: int, target: str) -> None:
    values = np.array([lo, hi, (lo + hi) // 2], dtype=np.int64 if hi < 2**63 else np.uint64)
    schema = TableSchema("t", 3, (TableColumn("n", values.dtype.name),))
    (check,) = check_columns(schema, {"n": values})
    assert check.target == (target if np.dtype(target).itemsize < 8 else values.dtype.name)
    if check.verdict == "downcast":
        assert np.array_equal(values.astype(check.target).astype(values.dtype), values)
        assert check.bytes_saved == 3 * (8 - np.dtype(check.target).itemsize)


def test_integer_range_from_statistics_wins_over_a_sample() -> None:
    # the sample holds 0..10, the statistics of the whole column say 0..70,000
    schema = TableSchema("t", 10**6, (TableColumn("n", "int64", minimum=0, maximum=70_000),))
    (check,) = check_columns(schema, {"n": np.arange(11)})
    assert check.target == "uint32" and "statistics" in check.reason


@pytest.mark.parametrize(
    ("values", "target", "refusal"),
    [
        # the seed's float16 for 2 m temperature: 300.125 K lands halfway, error 0.125 K
        (np.array([270.0, 300.125, 330.0]), "float32", "float16: max error 0.125"),
        # pressure in Pa: float32 rounds 1e5 to 0.0039 Pa, within 1e-6 of the 10 kPa spread
        (np.array([95_000.0, 100_000.3, 105_000.0]), "float32", "float16: 3 value(s) overflow"),
        (np.array([65504.0, 1.0]), "float16", None),  # float16's largest finite value
        (np.array([65520.0, 1.0]), "float32", "float16: 1 value(s) overflow"),
        (np.array([1e-8, 1.0]), "float32", "float16: 1 nonzero value(s) underflow"),
        (np.array([3.0e38, 1.0]), "float32", "float16: 1 value(s) overflow"),
        (np.array([3.5e38 * 10, 1.0]), "float64", "float32: 1 value(s) overflow"),
        (np.array([1e-46, 1.0]), "float64", "float32: 1 nonzero value(s) underflow"),
        # a large offset over a small spread: float32 spaces values near 1e6 by 0.0625
        (np.array([1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.3]), "float64", "float32: max error"),
        (np.array([0.0, 0.5, np.nan, np.inf]), "float16", None),  # nan and inf survive
    ],
)
def test_float_downcasts_at_the_edges(values: np.ndarray, target: str, refusal: str | None) -> None:
    check = check_float("x", values)
    assert check.target == target
    if refusal is not None:
        assert any(r.startswith(refusal) for r in check.refused), check.refused
    if check.verdict == "downcast":
        back = values.astype(check.target).astype(np.float64)
        ok = np.isfinite(values)
        assert np.abs(back[ok] - values[ok]).max() <= check.tolerance
        assert np.array_equal(np.isnan(back), np.isnan(values))


def test_a_user_tolerance_per_column() -> None:
    t2m = np.array([270.0, 300.125, 330.0])
    assert check_float("t2m", t2m, tolerance=0.2).target == "float16"
    schema = TableSchema("t", 3, (TableColumn("t2m", "float64"),))
    (check,) = check_columns(schema, {"t2m": t2m}, {"t2m": 0.2})
    assert check.target == "float16" and check.bytes_saved == 3 * 6


def test_dictionary_for_few_distinct_strings() -> None:
    schema = TableSchema(
        "t",
        1000,
        (TableColumn("station", "string", 100), TableColumn("note", "string", 900)),
    )
    verdicts = [c.verdict for c in check_columns(schema)]
    assert verdicts == ["dictionary", "keep"]


# --- the policy ------------------------------------------------------------------------------

SAMPLE = (
    "time:timestamp,station:string:1000,latitude:float64,longitude:float64,cape:float64,"
    "cin:float64,k_index:float64,blh:float64"
)


def test_the_sample_tables_advice_beats_the_seeds_day_partitions() -> None:
    schema = schema_from_description(8_760_000, SAMPLE)
    rec = recommend_table(schema, ["key", "time-range:days=7", "scan:columns=cape,blh"])
    seed = next(a for a in rec.alternatives if a.layout.label == "day partitions (the seed)")
    assert seed.n_files == 365 and seed.file_bytes < FILE_FLOOR  # the issue's ~1 MB files
    assert rec.pick.seconds < seed.seconds
    assert FILE_FLOOR <= rec.pick.file_bytes <= FILE_CAP
    # a station's year: the seed opens every day's file, the pick far fewer
    assert seed.costs[0].files_opened == 365 and rec.pick.costs[0].files_opened < 365
    assert rec.dtypes[1].verdict == "dictionary" and rec.layout.dictionary == ("station",)
    assert "ds.write_dataset(" in rec.pyarrow_snippet and "to_parquet(" in rec.dask_snippet
    data = rec.to_dict()
    assert data["layout"]["row_group_rows"] == rec.layout.row_group_rows
    assert len(data["alternatives"]) == 13 and data["binding"] == rec.binding


def test_key_queries_sort_by_key_and_time_ranges_by_time() -> None:
    schema = schema_from_description(8_760_000, SAMPLE)
    assert recommend_table(schema, ["key"]).layout.sort_by[0] == "station"
    by_time = recommend_table(schema, ["time-range:days=1"]).layout
    assert by_time.sort_by[:1] == ("time",) or by_time.time_partition != "none"


def test_a_small_table_is_one_file() -> None:
    rec = recommend_table(schema_from_description(10_000, SAMPLE), ["key", "time-range"])
    assert rec.pick.n_files == 1 and rec.binding == "table-size"
    assert "below the 20.0 MB floor" in rec.binding_constraint


def test_float_values_are_downcast_only_when_verified() -> None:
    schema = schema_from_description(24_000, "time:timestamp,station:string:1000,t2m:float64")
    t2m = np.linspace(270.0, 330.0, 481)
    rec = recommend_table(schema, ["scan"], values={"t2m": t2m})
    assert rec.layout.dtypes == {"t2m": "float32"}
    assert rec.bytes_saved == 24_000 * 4 + 24_000 * 12  # the float, the dictionary


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    rows=st.integers(1_000, 10**8),
    keys=st.integers(1, 100_000),
    weights=st.lists(st.floats(0.1, 10), min_size=3, max_size=3),
)
def test_policy_invariants(rows: int, keys: int, weights: list[float]) -> None:
    keys = min(keys, rows)
    schema = schema_from_description(rows, f"time:timestamp,id:int32:{keys},x:float32")
    patterns = [
        f"key@{weights[0]}",
        f"time-range:days=3@{weights[1]}",
        f"scan:columns=x@{weights[2]}",
    ]
    rec = recommend_table(schema, patterns)
    assert rec.pick.n_partitions <= MAX_PARTITIONS
    assert 1 <= rec.layout.row_group_rows <= 1024 * 1024  # at most pyarrow's default
    assert rec.pick.n_files >= rec.pick.n_partitions
    for cost in rec.pick.costs:
        assert 0 <= cost.files_opened <= rec.pick.n_files + 1e-9
        assert cost.rows_read <= rows * 1.0000001 and cost.seconds > 0
    # the pick is never slower than any reference layout inside the band
    for alt in rec.alternatives:
        if alt.n_partitions <= MAX_PARTITIONS and FILE_FLOOR <= alt.file_bytes <= FILE_CAP:
            assert rec.pick.seconds <= alt.seconds * (1 + 1e-9) or rec.binding == "table-size"


def test_small_row_groups_only_where_a_filter_prunes() -> None:
    schema = schema_from_description(8_760_000, SAMPLE)
    assert (
        recommend_table(schema, ["scan:columns=cape", "groupby"]).layout.row_group_rows >= 100_000
    )
    assert recommend_table(schema, ["key"]).layout.row_group_rows < 100_000  # a station's rows
