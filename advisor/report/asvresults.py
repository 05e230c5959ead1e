"""Read airspeed velocity's result files into tidy records, one per benchmark and parameter set.

asv (0.6) keeps ``results/benchmarks.json`` (what each benchmark is: its type,
unit, ``param_names`` and ``params``) and one file per machine, commit and
environment, ``results/<machine>/<commit>-<env>.json``. In a result file each
benchmark is a row aligned with ``result_columns`` (``result``, ``params``,
``version``, ``started_at``, ``duration``, ``stats_*``, ...); a parameterised
benchmark's ``result`` is flat, in the order of ``itertools.product(*params)``;
parameter values are stored as their ``repr``; ``null`` marks a failed run and
``NaN`` a skipped one (``NotImplementedError`` in ``setup``), and the numbers
may be the non-standard JSON tokens ``NaN``, ``Infinity`` and ``-Infinity``.

The reader is ours rather than ``asv.results.Results`` so that reports need
only the package's own dependencies, and so that one damaged file becomes a
"problem" line in the report instead of an error.
"""

from __future__ import annotations

import ast
import itertools
import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeGuard

from advisor.plan.errors import AdvisorError

logger = logging.getLogger(__name__)

Status = Literal["ok", "failed", "skipped"]
"""``ok``: a number; ``failed``: asv stored ``null``; ``skipped``: asv stored ``NaN``."""

Kind = Literal["time", "peakmemory", "memory", "track"]

_PREFIX_KIND: dict[str, tuple[Kind, str]] = {
    "time_": ("time", "seconds"),
    "timeraw_": ("time", "seconds"),
    "peakmem_": ("peakmemory", "bytes"),
    "mem_": ("memory", "bytes"),
    "track_": ("track", "unit"),
}
API_VERSION = 2
"""The result and ``benchmarks.json`` format version of asv 0.5 and 0.6."""

_SPECIAL_FILES = frozenset({"benchmarks.json", "machine.json"})


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One benchmark as ``benchmarks.json`` (or, without it, a result file) describes it.

    Examples
    --------
    >>> b = Benchmark("codecs.Codecs.track_ratio", "track", "ratio", ("variable",), (("'cape'",),))
    >>> b.suite, b.method
    ('codecs', 'track_ratio')
    """

    name: str
    kind: Kind
    unit: str
    param_names: tuple[str, ...] = ()
    params: tuple[tuple[str, ...], ...] = ()

    @property
    def suite(self) -> str:
        """The module the benchmark lives in (``benchmarks/<suite>.py``)."""
        return self.name.split(".")[0]

    @property
    def method(self) -> str:
        """The benchmark function's own name, e.g. ``time_encode``."""
        return self.name.rsplit(".", 1)[-1]


def class_of(name: str) -> str:
    """The benchmark class (or module, for a function) of a full benchmark name.

    Examples
    --------
    >>> class_of("save.SaveCodecs.time_save")
    'save.SaveCodecs'
    """
    return name.rsplit(".", 1)[0]


def measured(value: float | None) -> TypeGuard[float]:
    """Whether ``value`` is a finite number (not failed, skipped or infinite).

    Examples
    --------
    >>> measured(1.5), measured(None), measured(float("nan"))
    (True, False, False)
    """
    return value is not None and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class Run:
    """One result file: a machine, a commit and an environment."""

    path: Path
    machine: str
    commit: str
    env_name: str
    date: datetime | None
    python: str
    machine_info: Mapping[str, str] = field(default_factory=dict)
    env_vars: Mapping[str, str] = field(default_factory=dict)
    requirements: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Record:
    """One measurement: a benchmark at one parameter set in one run (tidy data)."""

    benchmark: Benchmark
    params: tuple[tuple[str, Any], ...]
    value: float | None
    status: Status
    run: Run
    started_at: datetime | None = None
    q25: float | None = None
    q75: float | None = None

    def param(self, name: str, default: Any = None) -> Any:
        """The value of parameter ``name`` (decoded from asv's repr)."""
        return dict(self.params).get(name, default)


@dataclass(frozen=True, slots=True)
class ResultSet:
    """Everything read from a results folder; ``problems`` lists what could not be read."""

    root: Path
    benchmarks: Mapping[str, Benchmark]
    runs: tuple[Run, ...]
    records: tuple[Record, ...]
    problems: tuple[str, ...] = ()

    def latest(self) -> ResultSet:
        """Keep one machine (the most recent run's) and, per benchmark, its most recent run."""
        if not self.records:
            return self
        newest = max(self.records, key=_when)
        machine = newest.run.machine
        per_bench: dict[str, Record] = {}
        for rec in self.records:
            if rec.run.machine != machine:
                continue
            best = per_bench.get(rec.benchmark.name)
            if best is None or _when(rec) > _when(best):
                per_bench[rec.benchmark.name] = rec
        keep = {(name, rec.run.path) for name, rec in per_bench.items()}
        records = tuple(r for r in self.records if (r.benchmark.name, r.run.path) in keep)
        runs = tuple(run for run in self.runs if any(r.run is run for r in records))
        logger.debug(
            "choosing machine %s: %d of %d records", machine, len(records), len(self.records)
        )
        return ResultSet(self.root, self.benchmarks, runs, records, self.problems)

    def suite(self, name: str) -> list[Record]:
        """The records of benchmarks in ``benchmarks/<name>.py``."""
        return [r for r in self.records if r.benchmark.suite == name]


def _when(rec: Record) -> tuple[float, float]:
    started = rec.started_at.timestamp() if rec.started_at else 0.0
    date = rec.run.date.timestamp() if rec.run.date else 0.0
    return (started, date)


def decode_param(text: str) -> Any:
    """A parameter value from the ``repr`` asv stored; text that is no Python literal stays text.

    Examples
    --------
    >>> decode_param("'blosc:zstd:3:shuffle'"), decode_param("(32, 60, 80)"), decode_param("5")
    ('blosc:zstd:3:shuffle', (32, 60, 80), 5)
    >>> decode_param("<class 'float'>")
    'float'
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        match = re.fullmatch(r"<class '(.+)'>", text)
        return match.group(1) if match else text


def load_json(path: Path) -> dict[str, Any]:
    """Parse one asv JSON file; Python's parser accepts ``NaN``, ``Infinity`` and ``-Infinity``.

    Raises ``ValueError`` with the reason when the file is not a JSON object.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _status(value: Any) -> tuple[float | None, Status]:
    number = _number(value)
    if number is None:
        return None, "failed"
    if math.isnan(number):
        return None, "skipped"
    return number, "ok"


def _from_ms(value: Any) -> datetime | None:
    number = _number(value)
    if number is None or not math.isfinite(number):
        return None
    return datetime.fromtimestamp(number / 1000, tz=UTC)


def _infer_benchmark(name: str, row: Mapping[str, Any]) -> Benchmark:
    method = name.rsplit(".", 1)[-1]
    kind, unit = next(
        (k for prefix, k in _PREFIX_KIND.items() if method.startswith(prefix)), ("track", "unit")
    )
    params = tuple(tuple(str(v) for v in axis) for axis in row.get("params") or [])
    names = tuple(f"param{i + 1}" for i in range(len(params)))
    return Benchmark(name, kind, unit, names, params)


def read_benchmarks(path: Path) -> dict[str, Benchmark]:
    """The benchmarks described by ``benchmarks.json`` (raises ``ValueError`` when unreadable)."""
    data = load_json(path)
    out: dict[str, Benchmark] = {}
    for name, info in data.items():
        if not isinstance(info, dict):  # the "version" key
            continue
        kind = info.get("type", "track")
        out[name] = Benchmark(
            name=name,
            kind=kind if kind in ("time", "peakmemory", "memory", "track") else "track",
            unit=str(info.get("unit", "unit")),
            param_names=tuple(str(p) for p in info.get("param_names") or ()),
            params=tuple(tuple(str(v) for v in axis) for axis in info.get("params") or ()),
        )
    return out


def _run_of(path: Path, data: Mapping[str, Any], machine_dir: str) -> Run:
    info = data.get("params") or {}
    return Run(
        path=path,
        machine=str(info.get("machine") or machine_dir),
        commit=str(data.get("commit_hash") or path.stem.split("-")[0]),
        env_name=str(data.get("env_name") or ""),
        date=_from_ms(data.get("date")),
        python=str(data.get("python") or info.get("python") or ""),
        machine_info={str(k): str(v) for k, v in info.items()},
        env_vars={str(k): str(v) for k, v in (data.get("env_vars") or {}).items()},
        requirements={str(k): str(v) for k, v in (data.get("requirements") or {}).items()},
    )


def _records_of(
    run: Run, data: Mapping[str, Any], benchmarks: Mapping[str, Benchmark]
) -> Iterator[Record | str]:
    """The records of one result file; a string is a problem with one benchmark."""
    if data.get("version", API_VERSION) != API_VERSION:
        yield (
            f"{run.path}: asv result format {data.get('version')}, not {API_VERSION}: "
            "run `asv update` with asv 0.6"
        )
        return
    columns = data.get("result_columns")
    results = data.get("results")
    if not isinstance(columns, list) or not isinstance(results, dict):
        yield f"{run.path}: no result_columns/results (not an asv 0.6 result file)"
        return
    for name, row_values in results.items():
        if not isinstance(row_values, list):
            yield f"{run.path}: benchmark {name} has no result row"
            continue
        row = dict(zip(columns, row_values, strict=False))
        bench = benchmarks.get(name) or _infer_benchmark(name, row)
        axes = [list(axis) for axis in (row.get("params") or [])] or [list(a) for a in bench.params]
        combos = list(itertools.product(*axes)) if axes else [()]
        result = row.get("result")
        values = [None] * len(combos) if result is None else result
        if not isinstance(values, list) or len(values) != len(combos):
            yield (
                f"{run.path}: benchmark {name} has {len(values) if isinstance(values, list) else 0} "
                f"results for {len(combos)} parameter sets"
            )
            continue
        names = bench.param_names
        if len(names) != len(axes):
            names = tuple(f"param{i + 1}" for i in range(len(axes)))
        q25 = row.get("stats_q_25") or [None] * len(combos)
        q75 = row.get("stats_q_75") or [None] * len(combos)
        started = _from_ms(row.get("started_at"))
        for i, (combo, raw) in enumerate(zip(combos, values, strict=True)):
            value, status = _status(raw)
            yield Record(
                benchmark=bench,
                params=tuple(zip(names, (decode_param(str(v)) for v in combo), strict=True)),
                value=value,
                status=status,
                run=run,
                started_at=started,
                q25=_number(q25[i]) if i < len(q25) else None,
                q75=_number(q75[i]) if i < len(q75) else None,
            )


def result_files(root: Path) -> Iterable[Path]:
    """The result files under ``root`` (``<machine>/*.json`` except ``machine.json``), sorted."""
    return sorted(p for p in root.glob("*/*.json") if p.name not in _SPECIAL_FILES and p.is_file())


def read_results(root: str | Path) -> ResultSet:
    """Read every asv result file under ``root`` (asv's ``results_dir``) into tidy records.

    A missing ``root`` is an :class:`AdvisorError`; files that cannot be read
    are listed in :attr:`ResultSet.problems` and left out.

    Examples
    --------
    >>> import tempfile
    >>> read_results(tempfile.mkdtemp()).records
    ()
    """
    root = Path(root)
    if not root.is_dir():
        raise AdvisorError(
            f"no asv results folder at {root}: pass --results DIR (asv's results_dir) "
            "or run the benchmarks first (see docs/benchmarks.md)"
        )
    problems: list[str] = []
    benchmarks: dict[str, Benchmark] = {}
    bench_file = root / "benchmarks.json"
    if bench_file.is_file():
        try:
            benchmarks = read_benchmarks(bench_file)
        except ValueError as exc:
            problems.append(str(exc))
    runs: list[Run] = []
    records: list[Record] = []
    for path in result_files(root):
        try:
            data = load_json(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        run = _run_of(path, data, path.parent.name)
        runs.append(run)
        for item in _records_of(run, data, benchmarks):
            if isinstance(item, str):
                problems.append(item)
            else:
                records.append(item)
    logger.debug("read %d records from %d result files under %s", len(records), len(runs), root)
    return ResultSet(root, benchmarks, tuple(runs), tuple(records), tuple(problems))
