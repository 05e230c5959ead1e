"""The codec trade-off section: the picks per variable and goal, the figure, every codec."""

from __future__ import annotations

from html import escape

from advisor.report.codec_table import BALANCE_BANDWIDTH, FASTEST_MIN_RATIO, CodecTable, Goal
from advisor.report.format import fmt_ratio, fmt_speed
from advisor.report.markup import badge, figure, num_cell, table, table_markup

GOAL_NOTES: dict[Goal, str] = {
    "smallest": "the highest compression ratio",
    "fastest": "the fastest encode + decode among the codecs with a ratio of at least "
    f"{FASTEST_MIN_RATIO:g}",
    "balanced": "the least time to encode, store, fetch and decode a MB with storage at "
    f"{BALANCE_BANDWIDTH:g} MB/s",
}
"""What each codec pick optimises (:func:`advisor.report.codec_table.pick_codecs`)."""


def _codec_summary(table_: CodecTable, variable: str, codec: str | None) -> str:
    point = table_.point(variable, codec)
    if point is None:
        return "<td class='na'>—</td>"
    return (
        f"<td><code>{escape(point.codec)}</code><br><span class='muted'>"
        f"{escape(fmt_ratio(point.ratio))} · enc {escape(fmt_speed(point.encode))} · "
        f"dec {escape(fmt_speed(point.decode))}</span></td>"
    )


def codec_picks(table_: CodecTable) -> str:
    """Variable x goal: the recommended codec with its ratio and speeds."""
    rows = []
    for variable in table_.variables:
        picks = table_.picks.get(variable, {})
        cells = "".join(_codec_summary(table_, variable, picks.get(g)) for g in GOAL_NOTES)
        rows.append(f"<tr><th>{escape(variable)}</th>{cells}</tr>")
    head = "<th>variable</th>" + "".join(f"<th>{badge(g)}</th>" for g in GOAL_NOTES)
    return table_markup(head, rows, "picks")


def codec_details(table_: CodecTable) -> str:
    """Every codec of every variable, sorted by ratio, in collapsed sections."""
    parts = []
    for variable in table_.variables:
        picks = table_.picks.get(variable, {})
        rows = []
        points = sorted(table_.of(variable), key=lambda p: -(p.ratio or 0))
        for p in points:
            marks = "".join(badge(g) for g, c in picks.items() if c == p.codec)
            marks += badge("pareto", "Pareto") if p.pareto else ""
            rows.append(
                f"<tr><td><code>{escape(p.codec)}</code> {marks}</td>"
                + num_cell(fmt_ratio(p.ratio))
                + num_cell(fmt_speed(p.encode))
                + num_cell(fmt_speed(p.decode))
                + "</tr>"
            )
        parts.append(
            f"<details><summary>{escape(variable)}: all {len(points)} codecs</summary>"
            + table(("codec", "ratio", "encode", "decode"), rows)
            + "</details>"
        )
    return "".join(parts)


def codec_section(table_: CodecTable | None, plot_uri: str | None) -> str:
    """The codec trade-off: picks, the figure and the full tables (empty without measurements).

    Examples
    --------
    >>> codec_section(None, None)
    ''
    """
    if table_ is None:
        return ""
    notes = "".join(f"<li>{badge(g)} {escape(text)}</li>" for g, text in GOAL_NOTES.items())
    plot = figure(plot_uri, "compression ratio against encode and decode speed") if plot_uri else ""
    return (
        "<p>Each codec compresses and decompresses a real chunk of each variable. Points on the "
        "Pareto front are those no other codec beats on ratio, encode and decode speed at once.</p>"
        f"<ul>{notes}</ul>{codec_picks(table_)}{plot}{codec_details(table_)}"
    )


def glance_codecs(table_: CodecTable | None) -> str:
    """Which codec for which variable, in one line each.

    Examples
    --------
    >>> glance_codecs(None)
    "<p class='muted'>No codec measurements yet.</p>"
    """
    if table_ is None:
        return "<p class='muted'>No codec measurements yet.</p>"
    rows = []
    for variable in table_.variables:
        picks = table_.picks.get(variable, {})
        balanced = table_.point(variable, picks.get("balanced"))
        if balanced is None:
            rows.append(f"<li><strong>{escape(variable)}</strong>: no complete measurement</li>")
            continue
        others = ", ".join(
            f"{g} <code>{escape(str(picks.get(g)))}</code>"
            for g in ("smallest", "fastest")
            if picks.get(g) and picks.get(g) != balanced.codec
        )
        rows.append(
            f"<li><strong>{escape(variable)}</strong>: <code>{escape(balanced.codec)}</code> "
            f"({escape(fmt_ratio(balanced.ratio))}, enc {escape(fmt_speed(balanced.encode))}, "
            f"dec {escape(fmt_speed(balanced.decode))})"
            + (f"<br><span class='muted'>{others}</span>" if others else "")
            + "</li>"
        )
    return f"<ul>{''.join(rows)}</ul>"
