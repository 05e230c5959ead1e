"""The save workload section: one table per save suite, the time/size figure, and the costs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from advisor.plan.units import format_seconds
from advisor.report.codec_table import CodecTable
from advisor.report.format import fmt_bytes, fmt_ratio
from advisor.report.markup import badge, figure, num_cell, table
from advisor.report.save_table import SaveRow, SaveTable, save_choices

SAVE_COLUMNS = {"time": "time", "peak": "peak memory", "stored": "stored", "ratio": "ratio"}
"""The figures a save table shows, by :class:`~advisor.report.save_table.SaveRow` field."""

_SAVE_FORMAT: dict[str, Callable[[float | None], str]] = {
    "time": format_seconds,
    "peak": fmt_bytes,
    "stored": fmt_bytes,
    "ratio": fmt_ratio,
}

LARGE_TABLE = 12
"""A save table of more settings than this is collapsed."""


def _save_cells(row: SaveRow, metrics: Sequence[str]) -> str:
    return "".join(num_cell(_SAVE_FORMAT[m](getattr(row, m))) for m in metrics)


def save_table_html(table_: SaveTable) -> str:
    """One save table: settings, then the figures measured (time, peak memory, stored, ratio)."""
    best_time, smallest = table_.best("time"), table_.smallest()
    metrics = table_.metrics
    rows = []
    for row in table_.rows:
        marks = (badge("fastest", "fastest save") if row is best_time else "") + (
            badge("smallest", "smallest store") if row is smallest else ""
        )
        settings = "".join(f"<td><code>{escape(v)}</code></td>" for v in row.setting.values())
        rows.append(f"<tr>{settings}{_save_cells(row, metrics)}<td>{marks}</td></tr>")
    head = (*table_.param_names, *(SAVE_COLUMNS[m] for m in metrics), "")
    return table(head, rows)


def save_section(tables: Sequence[SaveTable], plot_uri: str | None) -> str:
    """The save workload: one table per save benchmark class, and the time/size figure.

    Examples
    --------
    >>> save_section((), None)
    ''
    """
    if not tables:
        return ""
    parts = [
        "<p>The workflow's save step (rechunk, <code>to_zarr</code> with the codec and "
        "consolidated metadata). Peak memory is the whole benchmark process's.</p>"
    ]
    if plot_uri:
        parts.append(figure(plot_uri, "compression ratio against save time"))
    for t in tables:
        rows = len(t.rows)
        body = save_table_html(t)
        title = f"{escape(t.name)} ({rows} settings; <code>{escape(', '.join(t.classes))}</code>)"
        parts.append(
            f"<details><summary>{title}</summary>{body}</details>"
            if rows > LARGE_TABLE
            else f"<h3>{title}</h3>{body}"
        )
    return "".join(parts)


def glance_costs(saves: Sequence[SaveTable], codecs: CodecTable | None) -> str:
    """What each choice costs at the save step: the figures measured for any choice.

    Examples
    --------
    >>> glance_costs((), None)
    "<p class='muted'>No save measurements yet.</p>"
    """
    choices = save_choices(saves, codecs)
    if not choices:
        return "<p class='muted'>No save measurements yet.</p>"
    metrics = [m for m in SAVE_COLUMNS if any(m in t.metrics for t in saves)]
    rows = [
        f"<tr><td>{escape(label)}<br><code>{escape(row.label)}</code></td>"
        f"{_save_cells(row, metrics)}</tr>"
        for label, row in choices
    ]
    return table(("choice", *(SAVE_COLUMNS[m] for m in metrics)), rows, "compact")
