"""The page's last sections: the other benchmarks, the environment, and what is missing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any

from advisor.report.environment import Fact
from advisor.report.format import fmt_value
from advisor.report.generic_table import GenericTable
from advisor.report.markup import num_cell, status_cell, table
from advisor.report.model import Missing


def _value_cell(value: float | None, status: str, unit: str) -> str:
    return num_cell(fmt_value(value, unit)) if status == "ok" else status_cell(status)


def _param_cells(values: Sequence[Any]) -> str:
    return "".join(f"<td><code>{escape(str(v))}</code></td>" for v in values)


def generic_table_html(t: GenericTable) -> str:
    """A benchmark's results: rows over all parameters but the last, the last as columns.

    Examples
    --------
    >>> t = GenericTable("m.f", "seconds", ("n",), (((1,), 0.5, "ok"), ((2,), None, "failed")))
    >>> "<td class='num'>500 ms</td>" in generic_table_html(t)
    True
    """
    if len(t.param_names) < 2:
        rows = [
            f"<tr>{_param_cells(params)}{_value_cell(value, status, t.unit)}</tr>"
            for params, value, status in t.rows
        ]
        return table((*t.param_names, t.unit), rows)
    columns = list(dict.fromkeys(params[-1] for params, _, _ in t.rows))
    grid: dict[tuple[Any, ...], dict[Any, tuple[float | None, str]]] = {}
    for params, value, status in t.rows:
        grid.setdefault(params[:-1], {})[params[-1]] = (value, status)
    rows = []
    for key, cells in grid.items():
        tds = _param_cells(key)
        for column in columns:
            value, status = cells.get(column, (None, "missing"))
            tds += _value_cell(value, status, t.unit)
        rows.append(f"<tr>{tds}</tr>")
    head = (*t.param_names[:-1], *(f"{t.param_names[-1]}={c}" for c in columns))
    return table(head, rows)


def others_section(tables: Sequence[GenericTable]) -> str:
    """The benchmarks the sections above do not use, each in a collapsed table."""
    parts = []
    for t in tables:
        counts = Counter(status for _, _, status in t.rows)
        tally = ", ".join(f"{n} {status}" for status, n in counts.items())
        parts.append(
            f"<details><summary><code>{escape(t.benchmark)}</code> ({escape(t.unit)}; "
            f"{escape(tally)})</summary>{generic_table_html(t)}</details>"
        )
    return "".join(parts)


def environment_section(facts: Sequence[Fact]) -> str:
    """What the measurements were made with, and where each value comes from."""
    rows = [
        f"<tr><th>{escape(f.label)}</th><td>{escape(f.value)}</td>"
        f"<td class='muted'>{escape(f.source)}</td></tr>"
        for f in facts
    ]
    return table(("", "value", "from"), rows, "env")


def missing_section(missing: Sequence[Missing], problems: Sequence[str]) -> str:
    """What the page lacks, with the command that produces it, and unreadable result files.

    Examples
    --------
    >>> missing_section([Missing("the <access> suite", "asv run")], [])
    "<ul class='missing-list'><li>the &lt;access&gt; suite: run <code>asv run</code></li></ul>"
    """
    parts = []
    if missing:
        items = "".join(
            f"<li>{escape(m.what)}: run <code>{escape(m.command)}</code></li>" for m in missing
        )
        parts.append(f"<ul class='missing-list'>{items}</ul>")
    if problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in problems)
        parts.append(f"<p>Left out:</p><ul class='problems'>{items}</ul>")
    return "".join(parts)
