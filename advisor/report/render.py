"""The report page: pure ``-> str`` HTML pieces, assembled by a jinja2 template.

Every string that comes from data, attributes or results goes through
:func:`html.escape` here (the pieces), or through jinja2's autoescaping (the
template); the pieces are handed to the template as :class:`markupsafe.Markup`.
The stylesheet is package data, read once. Nothing here reads or writes files
other than the package's own template and CSS.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from html import escape
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from advisor.plan.units import human_readable_size
from advisor.report import plots
from advisor.report.cards import SHOWN_ATTRS
from advisor.report.plots import heat_colours
from advisor.report.tables import BALANCE_BANDWIDTH, FASTEST_MIN_RATIO, Goal, save_choices

if TYPE_CHECKING:
    from advisor.plan.policy.results import Layout
    from advisor.report.build import Missing, Report
    from advisor.report.cards import Card
    from advisor.report.environment import Fact
    from advisor.report.tables import AccessTable, CodecTable, GenericTable, SaveRow, SaveTable

GENERATOR = "chunk-advisor report"
"""The page's ``<meta name="generator">``: marks a file this command may replace."""

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

GOAL_NOTES: dict[Goal, str] = {
    "smallest": "the highest compression ratio",
    "fastest": "the fastest encode + decode among the codecs with a ratio of at least "
    f"{FASTEST_MIN_RATIO:g}",
    "balanced": "the least time to encode, store, fetch and decode a MB with storage at "
    f"{BALANCE_BANDWIDTH:g} MB/s",
}
"""What each codec pick optimises (:func:`advisor.report.tables.pick_codecs`)."""


# ----------------------------------------------------------------------------- numbers (plain text)

_TIME_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def fmt_seconds(value: float | None) -> str:
    """Seconds with a unit a person reads at a glance.

    Examples
    --------
    >>> fmt_seconds(0.000_0123), fmt_seconds(0.0123), fmt_seconds(12.3), fmt_seconds(None)
    ('12.3 µs', '12.3 ms', '12.3 s', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    unit, scale = next((u, s) for u, s in _TIME_UNITS if abs(value) >= s or u == "ns")
    number = value / scale
    return f"{number:.3g} {unit}" if number < 1000 else f"{number:,.0f} {unit}"


def fmt_bytes(value: float | None) -> str:
    """Bytes in decimal units, or a dash.

    Examples
    --------
    >>> fmt_bytes(1_513_260), fmt_bytes(None)
    ('1.51 MB', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    return human_readable_size(value)


def fmt_speed(value: float | None) -> str:
    """MB/s with three significant digits (thousands grouped).

    Examples
    --------
    >>> fmt_speed(1234.5), fmt_speed(45.67), fmt_speed(float("inf"))
    ('1,234 MB/s', '45.7 MB/s', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.0f} MB/s" if value >= 100 else f"{value:.3g} MB/s"


def fmt_ratio(value: float | None) -> str:
    """A ratio such as a compression ratio or a slowdown: ``2.31×``.

    Examples
    --------
    >>> fmt_ratio(2.3149), fmt_ratio(None)
    ('2.31×', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3g}×"


def fmt_value(value: float | None, unit: str) -> str:
    """A benchmark value in its asv unit."""
    if unit == "seconds":
        return fmt_seconds(value)
    if unit == "bytes":
        return fmt_bytes(value)
    if unit == "MB/s":
        return fmt_speed(value)
    if unit == "ratio":
        return fmt_ratio(value)
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.4g} {unit}"


def fmt_chunks(dims: Sequence[str], sizes: Sequence[int]) -> str:
    """``time=744, latitude=121``.

    Examples
    --------
    >>> fmt_chunks(("time", "lat"), (24, 121))
    'time=24, lat=121'
    """
    return ", ".join(f"{d}={int(n)}" for d, n in zip(dims, sizes, strict=True))


# ----------------------------------------------------------------------------- small pieces


def badge(kind: str, text: str | None = None) -> str:
    """A coloured label, e.g. for a pick or a failed measurement.

    Examples
    --------
    >>> badge("balanced")
    "<span class='badge balanced'>balanced</span>"
    """
    return f"<span class='badge {escape(kind)}'>{escape(text or kind)}</span>"


def status_cell(status: str) -> str:
    """The table cell of a measurement that has no value (failed or skipped)."""
    return f"<td class='na'>{badge(status) if status in ('failed', 'skipped') else '—'}</td>"


def num_cell(text: str) -> str:
    """A right-aligned table cell of escaped text."""
    return f"<td class='num'>{escape(text)}</td>"


def table(head: Iterable[str], rows: Iterable[str], cls: str = "") -> str:
    """A table from escaped header texts and ready ``<tr>`` rows."""
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    klass = f" class='{escape(cls)}'" if cls else ""
    return f"<div class='table-wrap'><table{klass}><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def definition_list(items: Iterable[tuple[str, str]]) -> str:
    """``<dl>`` of escaped terms and values."""
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<dl>{body}</dl>"


def figure(uri: str, alt: str) -> str:
    """An embedded image (a ``data:`` URI made by :mod:`advisor.report.plots`)."""
    if not uri.startswith("data:image/"):
        raise ValueError("figures must be embedded as data: URIs")
    return f"<img class='plot' src='{escape(uri)}' alt='{escape(alt)}'>"


# ----------------------------------------------------------------------------- sections


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
    head = "".join(f"<th>{badge(g)}</th>" for g in GOAL_NOTES)
    return (
        f"<div class='table-wrap'><table class='picks'><thead><tr><th>variable</th>{head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


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
    """The codec trade-off: picks, the figure and the full tables."""
    if table_ is None:
        return ""
    notes = "".join(f"<li>{badge(g)} {escape(text)}</li>" for g, text in GOAL_NOTES.items())
    plot = figure(plot_uri, "compression ratio against encode and decode speed") if plot_uri else ""
    return (
        "<p>Each codec compresses and decompresses a real chunk of each variable. Points on the "
        "Pareto front are those no other codec beats on ratio, encode and decode speed at once.</p>"
        f"<ul>{notes}</ul>{codec_picks(table_)}{plot}{codec_details(table_)}"
    )


SAVE_COLUMNS = {"time": "time", "peak": "peak memory", "stored": "stored", "ratio": "ratio"}
_SAVE_FORMAT = {"time": fmt_seconds, "peak": fmt_bytes, "stored": fmt_bytes, "ratio": fmt_ratio}


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
    """The save workload: one table per save benchmark class, and the time/size figure."""
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
            if rows > 12
            else f"<h3>{title}</h3>{body}"
        )
    return "".join(parts)


def access_heatmap(table_: AccessTable) -> str:
    """Layout x pattern read times coloured by slowdown against each pattern's best."""
    head = "".join(f"<th>{escape(p)}</th>" for p in table_.patterns)
    rows = []
    for layout in table_.layouts:
        note = LAYOUT_NOTES.get(layout, "")
        mark = badge("advisor", "advisor") if table_.is_pick(layout) else ""
        cells = []
        for pattern in table_.patterns:
            seconds = table_.seconds.get((layout, pattern))
            if seconds is None:
                cells.append(status_cell(table_.status.get((layout, pattern), "missing")))
                continue
            slow = table_.slowdown(layout, pattern)
            bg, fg = heat_colours(slow)
            pick = " pick" if table_.is_pick(layout) else ""
            slow_text = "best" if table_.best(pattern) == layout else f"{fmt_ratio(slow)} slower"
            cells.append(
                f"<td class='cell{pick}' style='background:{bg};color:{fg}'>"
                f"{escape(fmt_seconds(seconds))}<span class='slow'>{escape(slow_text)}</span></td>"
            )
        rows.append(
            f"<tr><th>{escape(layout)} {mark}<br><span class='muted'>{escape(note)}</span></th>"
            f"{''.join(cells)}</tr>"
        )
    return (
        "<div class='table-wrap'><table class='heatmap'><thead><tr><th>chunking \\ pattern</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def access_section(table_: AccessTable | None) -> str:
    """The access patterns: the heatmap and how to read it."""
    if table_ is None:
        return ""
    return (
        "<p>Seconds per read of each pattern (columns) on each chunking of the same data "
        "(rows), same codec. Colour and the second line give each cell's slowdown against the "
        "fastest chunking for that pattern; the advisor's picks are outlined.</p>"
        + access_heatmap(table_)
    )


def _layout_row(layout: Layout, patterns: Sequence[str], is_pick: bool) -> str:
    mark = badge("advisor", "advisor's pick") if is_pick else ""
    mark += "" if layout.in_band else badge("skipped", "outside the band")
    costs = {c.name: c for c in layout.costs}
    cells = "".join(num_cell(fmt_ratio(costs[p].slowdown) if p in costs else "—") for p in patterns)
    return (
        f"<tr{' class=best' if is_pick else ''}><td>{escape(layout.label)} {mark}</td>"
        f"<td class='mono'>{escape(fmt_chunks(layout.dims, layout.chunks))}</td>"
        + num_cell(fmt_bytes(layout.chunk_bytes))
        + cells
        + num_cell(fmt_ratio(layout.objective))
        + "</tr>"
    )


def card_html(card: Card) -> str:
    """One catalog dataset: its metadata and the advisor's advice, or the command that makes it."""
    head = f"<h3>{escape(card.entry)}</h3>"
    if card.description:
        head += f"<p class='muted'>{escape(card.description)}</p>"
    if card.make_command:
        return (
            f"<article class='card missing'>{head}<p>No data yet at <code>{escape(card.path)}</code>."
            f" Make it with:</p><pre class='command'>{escape(card.make_command)}</pre></article>"
        )
    attrs = dict(card.attrs)
    facts = [(k, attrs[k]) for k in SHOWN_ATTRS if k in attrs]
    facts.append(("store", card.path))
    rec = card.recommendation
    if rec is not None:
        s = rec.schema
        facts += [
            ("shape", fmt_chunks(s.dims, s.shape)),
            ("dtype", s.dtype),
            ("stored chunks", fmt_chunks(s.dims, s.chunks) if s.chunks else "unknown"),
        ]
    variables = "".join(
        f"<li><code>{escape(v.name)}</code>"
        + (f" — {escape(v.long_name)}" if v.long_name else "")
        + (f" ({escape(v.units)})" if v.units else "")
        + "</li>"
        for v in card.variables
    )
    body = definition_list(facts) + (f"<ul>{variables}</ul>" if variables else "")
    if card.error:
        body += f"<p class='notice'>{escape(card.error)}</p>"
    if rec is not None:
        names = [c.name for c in rec.costs]
        rows = [_layout_row(rec.pick, names, True)]
        rows += [_layout_row(a, names, False) for a in rec.alternatives]
        head_cells = ("layout", "chunks", "chunk size", *names, "mean slowdown")
        body += (
            f"<p>For {escape(', '.join(names))} together: <strong class='mono'>"
            f"{escape(fmt_chunks(rec.pick.dims, rec.pick.chunks))}</strong> "
            f"({escape(fmt_bytes(rec.chunk_bytes))} per chunk). Each pattern's expected time "
            "against its best chunking within the chunk-size band of "
            f"{escape(fmt_bytes(rec.min_size))} to {escape(fmt_bytes(rec.max_size))} (1× = that "
            "best; chunkings outside the band may be faster but break it):</p>"
            + table(head_cells, rows)
            + f"<p class='muted'>{escape(rec.binding_constraint)}</p>"
        )
        if rec.notes:
            body += "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in rec.notes) + "</ul>"
        body += (
            f"<details><summary>encoding (zarr 3)</summary><pre>{escape(rec.encoding(3))}</pre>"
            "</details>"
        )
    if card.attrs:
        body += (
            f"<details><summary>all {len(card.attrs)} attributes</summary>"
            + definition_list(card.attrs)
            + "</details>"
        )
    kind = "card advice" if rec is not None else "card"
    return f"<article class='{kind}'>{head}{body}</article>"


def cards_section(cards: Sequence[Card]) -> str:
    """Every catalog dataset's card."""
    if not cards:
        return "<p>The catalog has no entries.</p>"
    return "<div class='cards'>" + "".join(card_html(c) for c in cards) + "</div>"


def environment_section(facts: Sequence[Fact]) -> str:
    """What the measurements were made with, and where each value comes from."""
    rows = [
        f"<tr><th>{escape(f.label)}</th><td>{escape(f.value)}</td>"
        f"<td class='muted'>{escape(f.source)}</td></tr>"
        for f in facts
    ]
    return table(("", "value", "from"), rows, "env")


def missing_section(missing: Sequence[Missing], problems: Sequence[str]) -> str:
    """What the page lacks, with the command that produces it, and unreadable result files."""
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


def generic_table_html(t: GenericTable) -> str:
    """A benchmark's results: rows over all parameters but the last, the last as columns."""
    unit = t.unit
    if len(t.param_names) < 2:
        rows = [
            "<tr>"
            + "".join(f"<td><code>{escape(str(v))}</code></td>" for v in params)
            + (num_cell(fmt_value(value, unit)) if status == "ok" else status_cell(status))
            + "</tr>"
            for params, value, status in t.rows
        ]
        return table((*t.param_names, t.unit), rows)
    columns = list(dict.fromkeys(params[-1] for params, _, _ in t.rows))
    grid: dict[tuple[Any, ...], dict[Any, tuple[float | None, str]]] = {}
    for params, value, status in t.rows:
        grid.setdefault(params[:-1], {})[params[-1]] = (value, status)
    rows = []
    for key, cells in grid.items():
        tds = "".join(f"<td><code>{escape(str(v))}</code></td>" for v in key)
        for column in columns:
            value, status = cells.get(column, (None, "missing"))
            tds += num_cell(fmt_value(value, unit)) if status == "ok" else status_cell(status)
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


# ----------------------------------------------------------------------------- at a glance


def glance_codecs(table_: CodecTable | None) -> str:
    """Which codec for which variable, in one line each."""
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


def glance_access(table_: AccessTable | None) -> str:
    """Which chunking for which pattern, and what the advisor's picks cost."""
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
            f"({escape(fmt_seconds(table_.seconds[best, pattern]))})"
            + (
                f"<br><span class='muted'>the advisor's picks take {picks} as long</span>"
                if picks
                else ""
            )
            + "</li>"
        )
    return f"<ul>{''.join(rows)}</ul>"


def glance_costs(saves: Sequence[SaveTable], codecs: CodecTable | None) -> str:
    """What each choice costs at the save step: the figures measured for any choice."""
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


# ----------------------------------------------------------------------------- the page


@cache
def stylesheet() -> str:
    """The page's CSS (package data, read once)."""
    return files("advisor.report").joinpath("static", "style.css").read_text(encoding="utf-8")


@cache
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("advisor.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def render_report(report: Report) -> str:
    """The whole page as one self-contained HTML string (pure: no files read but package data)."""
    from markupsafe import Markup

    codec_plot = plots.codec_tradeoff(report.codecs) if report.codecs else None
    codec_save = next((t for t in report.saves if "codec" in t.param_names), None)
    save_plot = plots.save_tradeoff(codec_save) if codec_save else None
    sections = {
        "glance_codecs": glance_codecs(report.codecs),
        "glance_access": glance_access(report.access),
        "glance_costs": glance_costs(report.saves, report.codecs),
        "codecs": codec_section(report.codecs, codec_plot),
        "save": save_section(report.saves, save_plot),
        "access": access_section(report.access),
        "cards": cards_section(report.cards),
        "others": others_section(report.others),
        "environment": environment_section(report.environment),
        "missing": missing_section(report.missing, report.problems),
    }
    return _template().render(
        report=report,
        css=Markup(stylesheet()),
        generator=GENERATOR,
        **{k: Markup(v) for k, v in sections.items()},
    )
