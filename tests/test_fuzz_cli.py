"""Fuzz every ``advisor`` command with hostile option values (issue #16).

Invariants: exit 0 or 2, no traceback, nothing written in the worktree,
and an exit 0 of ``recommend --shape --json`` gives parseable JSON whose
chunks lie in 1..dim size.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from tests.fuzz_corpus import CLI_CORPUS
from tests.fuzz_strategies import HOSTILE, hostile, patterns, shapes, sizes

REPO = Path(__file__).resolve().parents[1]
TRIED: Counter[str] = Counter()
SEEN: set[tuple[str, ...]] = set()

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every option of every command, the value strategy it gets.
OPTIONS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "apply": {
        "--pattern": patterns,
        "--chunks": hostile,
        "--resample": hostile,
        "--stat": hostile,
        "--codec": hostile,
        "--zarr-format": hostile,
        "--profile": hostile,
        "--min-size": sizes,
        "--max-size": sizes,
        "--catalog": hostile,
        "--storage-option": hostile,
    },
    "append": {"--catalog": hostile, "--storage-option": hostile},
    "sample-data": {
        "--years": hostile,
        "--hours": hostile,
        "--seed": hostile,
        "--zarr-format": hostile,
        "--storage-option": hostile,
    },
    "report": {"--results": hostile, "--catalog": hostile},
    # --store and --profile name any path: a hostile one is valid and starts a whole
    # calibration (20 s); paths are fuzzed as the other commands' SOURCE, --out and --results
    "calibrate": {
        "--repeats": hostile,
        "--hours": hostile,
        "--codec": hostile,
        "--storage-option": hostile,
    },
    "validate": {
        "--pattern": patterns,
        "--top": hostile,
        "--layout": hostile,
        "--spread": hostile,
        "--hours": hostile,
        "--variable": hostile,
        "--repeats": hostile,
        "--seed": hostile,
        "--min-size": sizes,
        "--max-size": sizes,
        "--profile": hostile,
        "--catalog": hostile,
        "--storage-option": hostile,
    },
    # no empty address (that starts a LocalCluster) and no free text (it may resolve and wait)
    "cluster-info": {"--scheduler": st.sampled_from([h for h in HOSTILE if h.strip()])},
}


def _git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def clean_tree() -> object:
    before = _git_status()
    yield
    assert _git_status() == before, "a fuzz input wrote into the worktree"


def _run(args: list[str], capsys: pytest.CaptureFixture[str], command: str) -> tuple[int, str]:
    TRIED[command] += 1
    SEEN.add((command, *args))
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            code, out, err = run_cli(args, capsys)
        finally:
            os.chdir(old)
    assert code in (0, 2), (args, code, out, err)
    assert "Traceback" not in out + err, (args, out, err)
    return code, out


def _check_recommend(args: list[str], code: int, out: str) -> None:
    if code != 0:
        return
    result = json.loads(out)
    for dim, size in zip(result["dims"], result["shape"], strict=True):
        assert 1 <= result["chunks"][dim] <= size, (args, result["chunks"])


@st.composite
def recommend_args(draw: st.DrawFn) -> list[str]:
    args = ["recommend", "--shape", draw(shapes()), "--json"]
    for pattern in draw(st.lists(patterns, max_size=3)):
        args += ["--pattern", pattern]
    optional = {
        "--min-size": sizes,
        "--max-size": sizes,
        "--dtype": st.sampled_from(["float32", "int8", "complex128", "object", "U3", "<f8"])
        | hostile,
        "--dims": hostile,
        "--time-step": st.sampled_from(["1h", "1D", "15min"]) | hostile,
        "--start": st.sampled_from(["2019-01-01"]) | hostile,
        "--top": st.sampled_from(["0", "2"]) | hostile,
        "--worker-memory": sizes,
        "--threads": hostile,
        "--zarr-format": st.sampled_from(["2", "3"]) | hostile,
        "--profile": hostile,
        "--price-per-1000-gets": hostile,
        "--storage-option": hostile,
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), max_size=3, unique=True)):
        args += [name, draw(optional[name])]
    if draw(st.booleans()):
        args.append("--shards")
    return args


@settings(FUZZ, max_examples=150)
@given(args=recommend_args())
def test_fuzz_recommend(
    args: list[str], capsys: pytest.CaptureFixture[str], clean_tree: object
) -> None:
    code, out = _run(args, capsys, "recommend")
    _check_recommend(args, code, out)


@st.composite
def command_args(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    args = [command]
    if command not in ("report", "cluster-info", "calibrate"):
        args.append(draw(hostile.filter(lambda s: not s.startswith("-"))))
    options = OPTIONS[command]
    for name in draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3)):
        args += [name, draw(options[name])]
    if command in ("apply", "append"):
        args += ["--dry-run"]
    return args


@settings(FUZZ, max_examples=75)
@given(args=command_args())
def test_fuzz_commands(
    args: list[str], capsys: pytest.CaptureFixture[str], clean_tree: object
) -> None:
    _run(args, capsys, args[0])


@pytest.mark.parametrize("args", CLI_CORPUS)
def test_fuzz_corpus(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(args, capsys, "corpus:" + args[0])
    if args[0] == "recommend" and "--json" in args:
        _check_recommend(args, code, out)


def test_fuzz_count() -> None:
    """Runs last in this module: at least 200 distinct generated inputs were tried."""
    print("\nfuzz inputs tried per command:", dict(sorted(TRIED.items())), "distinct:", len(SEEN))
    assert len(SEEN) >= 200
