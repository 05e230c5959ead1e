"""The access-pattern section: the layout x pattern heatmap, and which chunking for which pattern."""

from __future__ import annotations

from html import escape

from advisor.plan.units import format_seconds
from advisor.report.access_table import AccessTable
from advisor.report.format import fmt_ratio
from advisor.report.markup import badge, status_cell, table_markup
from advisor.report.plots import heat_colours

LAYOUT_NOTES = {
    "source": "the sample's own chunks (744, 121, 161): a month of whole maps",
    "workflow": "the workflow's hand pick (32, 60, 80)",
    "dask-auto": 'dask\'s chunks="auto"',
    "zarr-guess": "zarr-python's default guess",
    "advisor": "the advisor's pick for the column's pattern alone",
    "advisor-mix": "the advisor's one compromise for all the patterns",
    "aligned-744": "whole maps, 31 days per chunk (aligned with days)",
    "aligned-168": "whole maps, a week per chunk (aligned with days)",
    "misaligned-1000": "whole maps, 1000 hours per chunk (days cut across chunks)",
}
"""What the benchmarks' layout names stand for."""


def _heat_cell(table_: AccessTable, layout: str, pattern: str) -> str:
    seconds = table_.seconds.get((layout, pattern))
    if seconds is None:
        return status_cell(table_.status.get((layout, pattern), "missing"))
    slow = table_.slowdown(layout, pattern)
    bg, fg = heat_colours(slow)
    pick = " pick" if table_.is_pick(layout) else ""
    slow_text = "best" if table_.best(pattern) == layout else f"{fmt_ratio(slow)} slower"
    return (
        f"<td class='cell{pick}' style='background:{bg};color:{fg}'>"
        f"{escape(format_seconds(seconds))}<span class='slow'>{escape(slow_text)}</span></td>"
    )


def access_heatmap(table_: AccessTable) -> str:
    """Layout x pattern read times coloured by slowdown against each pattern's best."""
    head = "<th>chunking \\ pattern</th>" + "".join(
        f"<th>{escape(p)}</th>" for p in table_.patterns
    )
    rows = []
    for layout in table_.layouts:
        note = LAYOUT_NOTES.get(layout, "")
        mark = badge("advisor", "advisor") if table_.is_pick(layout) else ""
        cells = "".join(_heat_cell(table_, layout, pattern) for pattern in table_.patterns)
        rows.append(
            f"<tr><th>{escape(layout)} {mark}<br><span class='muted'>{escape(note)}</span></th>"
            f"{cells}</tr>"
        )
    return table_markup(head, rows, "heatmap")


def access_section(table_: AccessTable | None) -> str:
    """The access patterns: the heatmap and how to read it (empty without measurements).

    Examples
    --------
    >>> access_section(None)
    ''
    """
    if table_ is None:
        return ""
    return (
        "<p>Seconds per read of each pattern (columns) on each chunking of the same data "
        "(rows), same codec. Colour and the second line give each cell's slowdown against the "
        "fastest chunking for that pattern; the advisor's picks are outlined."
        + (
            " A column <em>pattern (s3)</em> reads the same copies from an S3 API (moto on "
            "127.0.0.1, 20 ms a request; <code>access.S3Access</code>), so compare it with "
            "its local column beside it."
            if "s3" in table_.backends.values()
            else ""
        )
        + "</p>"
        + access_heatmap(table_)
    )


def glance_access(table_: AccessTable | None) -> str:
    """Which chunking for which pattern, and what the advisor's picks cost.

    Examples
    --------
    >>> t = AccessTable(("advisor", "source"), ("map",), {("advisor", "map"): 0.2,
    ...                 ("source", "map"): 0.1}, {})
    >>> print(glance_access(t))  # doctest: +NORMALIZE_WHITESPACE
    <ul><li><strong>map</strong>: <code>source</code> (100 ms)<br><span class='muted'>the
    advisor's picks take 2× (advisor) as long</span></li></ul>
    """
    if table_ is None:
        return "<p class='muted'>No access measurements yet.</p>"
    rows = []
    for pattern in table_.patterns:
        best = table_.best(pattern)
        if best is None:
            rows.append(f"<li><strong>{escape(pattern)}</strong>: no measurement</li>")
            continue
        picks = " and ".join(
            f"{escape(fmt_ratio(table_.slowdown(layout, pattern)))} ({escape(layout)})"
            for layout in table_.layouts
            if table_.is_pick(layout) and layout != best
        )
        rows.append(
            f"<li><strong>{escape(pattern)}</strong>: <code>{escape(best)}</code> "
            f"({escape(format_seconds(table_.seconds[best, pattern]))})"
            + (
                f"<br><span class='muted'>the advisor's picks take {picks} as long</span>"
                if picks
                else ""
            )
            + "</li>"
        )
    return f"<ul>{''.join(rows)}</ul>"
