"""The package's layers, read from its import graph (ast, every import at any depth).

- ``advisor.plan`` imports the standard library (none of its I/O modules), numpy and itself only;
- ``advisor.synth`` adds nothing but ``advisor.plan``;
- ``advisor.store`` never imports ``run``, ``api``, ``cli`` or ``report``; ``run`` never ``api``, ``cli``
  or ``report``; nothing but ``cli`` imports ``cli``;
- no import cycle (type-checking-only imports aside; importing ``a.b.c`` runs package ``a.b`` too);
- no module over 400 lines.

``docs/architecture.md`` is the prose of these rules.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "advisor"

MAX_LINES = 400

LAYERS: dict[str, frozenset[str]] = {
    # layer -> the advisor layers it may import (besides itself and advisor.errors)
    "plan": frozenset(),
    "synth": frozenset({"plan"}),
    "store": frozenset({"plan"}),
    "run": frozenset({"plan", "store", "synth"}),
    "api": frozenset({"plan", "store", "synth", "run"}),
    "report": frozenset({"plan", "store", "synth", "run", "api"}),
    "cli": frozenset({"plan", "store", "synth", "run", "api", "report"}),
}
"""Which layer may import which: each one only those below it."""

PURE = {"plan": frozenset({"numpy"}), "synth": frozenset({"numpy"})}
"""Layers that import the standard library and these third-party packages only."""

IO_MODULES = frozenset(
    {"os", "shutil", "subprocess", "socket", "tempfile", "glob", "urllib", "http", "asyncio",
     "threading", "multiprocessing", "sqlite3", "pickle", "ftplib", "ssl"}
)  # fmt: skip
"""Standard-library modules that do I/O or run things: the pure layers import none of them."""


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or the package a name came from)
    line: int
    runtime: bool  # False for imports under ``if TYPE_CHECKING:``


def modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: set[str]) -> list[Import]:
    """Every import in the module ``name``, resolved to modules of the package where it names one."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.append(base)  # ``from M import n`` runs M ...
            targets += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
        runtime = getattr(node, "lineno", 0) not in typing_only
        out += [Import(name, t, node.lineno, runtime) for t in dict.fromkeys(targets)]
    return out


def graph(root: Path) -> tuple[dict[str, Path], list[Import]]:
    mods = modules(root)
    return mods, [i for name, path in mods.items() for i in imports(name, path, set(mods))]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def violations(root: Path) -> list[str]:
    """Imports that break :data:`LAYERS` or :data:`PURE`, one line each."""
    top = root.name
    _, edges = graph(root)
    out: dict[tuple[str, int], str] = {}
    for edge in edges:
        layer = layer_of(edge.source)
        if layer is None or (edge.source, edge.line) in out:
            continue
        where = f"{edge.source}:{edge.line} imports {edge.target}"
        head = edge.target.split(".")[0]
        if head == top:
            allowed = LAYERS[layer] | {layer}
            target = layer_of(edge.target)
            if (target is None and edge.target != f"{top}.errors") or target not in allowed | {
                None
            }:
                out[edge.source, edge.line] = (
                    f"{where}: the {layer} layer may import {sorted(allowed)} only"
                )
            elif layer in PURE and target is None:
                out[edge.source, edge.line] = (
                    f"{where}: the {layer} layer is pure (import advisor.plan.errors)"
                )
        elif layer in PURE and head in IO_MODULES:
            out[edge.source, edge.line] = f"{where}: the {layer} layer does no I/O"
        elif layer in PURE and head not in sys.stdlib_module_names and head not in PURE[layer]:
            out[edge.source, edge.line] = (
                f"{where}: the {layer} layer imports the standard library and numpy only"
            )
    return list(out.values())


def cycles(root: Path) -> list[list[str]]:
    """The import cycles among the package's modules, from runtime imports (lazy ones included).

    ``from M import n`` runs M (and M.n when that is a module); ``import a.b.c`` and ``from a.b.c
    import n`` also run the packages ``a.b`` on the way, except the importer's own packages (which
    are running already) and the root's lazy facade.
    """
    mods, edges = graph(root)
    top = root.name
    deps: dict[str, set[str]] = {m: set() for m in mods}
    for edge in edges:
        if not edge.runtime or edge.target not in mods or edge.target == edge.source:
            continue
        deps[edge.source].add(edge.target)
        parts = edge.target.split(".")
        for i in range(
            2, len(parts)
        ):  # the packages it runs on the way (the root's lazy facade aside)
            parent = ".".join(parts[:i])
            if parent != top and parent in mods and not edge.source.startswith(parent + "."):
                deps[edge.source].add(parent)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(deps[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(deps):
        if node not in index:
            visit(node)
    return found


def oversized(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root.parent)}: {n} lines"
        for path in sorted(root.rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]


# ------------------------------------------------------------------ the package itself


def test_layers_import_only_what_is_below_them():
    assert violations(ROOT) == []


def test_no_import_cycles():
    assert cycles(ROOT) == []


def test_no_module_over_400_lines():
    assert oversized(ROOT) == []


def test_every_layer_is_there():
    present = {layer_of(m) for m in modules(ROOT)}
    assert set(LAYERS) <= present


# ------------------------------------------------------------------ the checks catch what they claim


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "advisor"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # the pure core reaching for a store, lazily inside a function
        (
            {
                "plan/__init__.py": "",
                "store/__init__.py": "",
                "store/open.py": "",
                "plan/cost.py": "def f():\n    from advisor.store import open\n",
            },
            "the plan layer may import",
        ),
        # the pure core importing a third-party library
        (
            {"plan/__init__.py": "", "plan/parse.py": "import pandas\n"},
            "standard library and numpy",
        ),
        # ... or the standard library's I/O
        ({"plan/__init__.py": "", "plan/fit.py": "import os.path\n"}, "does no I/O"),
        # a type-checking-only import still counts for the layers
        (
            {
                "plan/__init__.py": "",
                "run/__init__.py": "",
                "run/w.py": "",
                "plan/p.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from advisor.run import w\n",
            },
            "the plan layer may import",
        ),
        # the store layer reaching up into run
        (
            {
                "store/__init__.py": "",
                "run/__init__.py": "",
                "run/sample.py": "",
                "store/catalog.py": "from advisor.run.sample import x\n",
            },
            "the store layer may import",
        ),
        # a relative import resolved to its module
        (
            {
                "plan/__init__.py": "",
                "cli/__init__.py": "",
                "cli/app.py": "",
                "plan/x.py": "from ..cli import app\n",
            },
            "the plan layer may import",
        ),
    ],
)
def test_violations_are_found(tmp_path, files, expected):
    found = violations(_package(tmp_path, files))
    assert len(found) == 1 and expected in found[0], found


def test_allowed_imports_pass(tmp_path):
    root = _package(
        tmp_path,
        {
            "plan/__init__.py": "",
            "plan/a.py": "import math\nimport numpy as np\nfrom advisor.plan import b\n",
            "plan/b.py": "from advisor.plan.errors import E\n",
            "plan/errors.py": "",
            "store/__init__.py": "",
            "store/s.py": "import xarray\nfrom advisor.plan import a\n",
            "run/__init__.py": "",
            "run/r.py": "from advisor.store import s\nfrom advisor.errors import E\n",
            "errors.py": "from advisor.plan.errors import E\n",
        },
    )
    assert violations(root) == []
    assert cycles(root) == []


def test_cycles_are_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "cli/__init__.py": "from advisor.cli import commands\n",
            "cli/commands.py": "from advisor.cli import apply\n",
            "cli/apply.py": "def f():\n    from advisor.cli import app\n",  # lazy imports count
            "report/__init__.py": "from advisor.report.render import r\n",
            "report/render.py": "from advisor.report import plots\n",
            "report/plots.py": "",
        },
    )
    # cli: __init__ -> commands -> apply -> (package advisor.cli, lazily); report: render names the
    # package advisor.report, whose __init__ imports render
    assert cycles(root) == [
        ["advisor.cli", "advisor.cli.apply", "advisor.cli.commands"],
        ["advisor.report", "advisor.report.render"],
    ]


def test_type_checking_imports_make_no_cycle(tmp_path):
    root = _package(
        tmp_path,
        {
            "plan/__init__.py": "",
            "plan/a.py": "from advisor.plan import b\n",
            "plan/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from advisor.plan import a\n",
        },
    )
    assert cycles(root) == []


def test_oversized_modules_are_found(tmp_path):
    root = _package(
        tmp_path, {"big.py": "x = 1\n" * (MAX_LINES + 1), "ok.py": "x = 1\n" * MAX_LINES}
    )
    assert oversized(root) == [f"advisor/big.py: {MAX_LINES + 1} lines"]
