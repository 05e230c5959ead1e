"""Small HTML pieces the sections share: badges, cells, tables, definition lists, figures.

Every piece is a pure ``-> str`` function; every text it is given goes
through :func:`html.escape` (rows handed to :func:`table` are ready markup).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


def badge(kind: str, text: str | None = None) -> str:
    """A coloured label, e.g. for a pick or a failed measurement.

    Examples
    --------
    >>> badge("balanced")
    "<span class='badge balanced'>balanced</span>"
    """
    return f"<span class='badge {escape(kind)}'>{escape(text or kind)}</span>"


def status_cell(status: str) -> str:
    """The table cell of a measurement that has no value (failed or skipped).

    Examples
    --------
    >>> status_cell("missing")
    "<td class='na'>—</td>"
    """
    return f"<td class='na'>{badge(status) if status in ('failed', 'skipped') else '—'}</td>"


def num_cell(text: str) -> str:
    """A right-aligned table cell of escaped text.

    Examples
    --------
    >>> num_cell("<1 s")
    "<td class='num'>&lt;1 s</td>"
    """
    return f"<td class='num'>{escape(text)}</td>"


def table(head: Iterable[str], rows: Iterable[str], cls: str = "") -> str:
    """A table from header texts (escaped here) and ready ``<tr>`` rows."""
    return table_markup("".join(f"<th>{escape(h)}</th>" for h in head), rows, cls)


def table_markup(head: str, rows: Iterable[str], cls: str = "") -> str:
    """A table from a ready header row (``<th>`` cells) and ready ``<tr>`` rows, scrollable.

    Examples
    --------
    >>> table_markup("<th>a</th>", ["<tr><td>1</td></tr>"], "compact")
    "<div class='table-wrap'><table class='compact'><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table></div>"
    """
    klass = f" class='{escape(cls)}'" if cls else ""
    return (
        f"<div class='table-wrap'><table{klass}><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def definition_list(items: Iterable[tuple[str, str]]) -> str:
    """``<dl>`` of escaped terms and values.

    Examples
    --------
    >>> definition_list([("a&b", "<x>")])
    '<dl><dt>a&amp;b</dt><dd>&lt;x&gt;</dd></dl>'
    """
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<dl>{body}</dl>"


def figure(uri: str, alt: str) -> str:
    """An embedded image (a ``data:`` URI made by :mod:`advisor.report.plots`)."""
    if not uri.startswith("data:image/"):
        raise ValueError("figures must be embedded as data: URIs")
    return f"<img class='plot' src='{escape(uri)}' alt='{escape(alt)}'>"
