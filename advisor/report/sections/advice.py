"""The advice section: one card per catalog dataset, its metadata and the advisor's recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from advisor.report.cards import SHOWN_ATTRS, Card
from advisor.report.format import NOT_MEASURED, fmt_bytes, fmt_chunks, fmt_ratio
from advisor.report.markup import badge, definition_list, num_cell, table

if TYPE_CHECKING:
    from advisor.plan.policy.results import Layout, Recommendation


def _layout_row(layout: Layout, patterns: Sequence[str], is_pick: bool) -> str:
    mark = badge("advisor", "advisor's pick") if is_pick else ""
    mark += "" if layout.in_band else badge("skipped", "outside the band")
    costs = {c.name: c for c in layout.costs}
    cells = "".join(
        num_cell(fmt_ratio(costs[p].slowdown) if p in costs else NOT_MEASURED) for p in patterns
    )
    return (
        f"<tr{' class=best' if is_pick else ''}><td>{escape(layout.label)} {mark}</td>"
        f"<td class='mono'>{escape(fmt_chunks(layout.dims, layout.chunks))}</td>"
        + num_cell(fmt_bytes(layout.chunk_bytes))
        + cells
        + num_cell(fmt_ratio(layout.objective))
        + "</tr>"
    )


def _variables(card: Card) -> str:
    items = "".join(
        f"<li><code>{escape(v.name)}</code>"
        + (f" — {escape(v.long_name)}" if v.long_name else "")
        + (f" ({escape(v.units)})" if v.units else "")
        + "</li>"
        for v in card.variables
    )
    return f"<ul>{items}</ul>" if items else ""


def recommendation_html(rec: Recommendation) -> str:
    """The advisor's pick for a card's patterns: the layouts compared, the binding sentence, the encoding."""
    names = [c.name for c in rec.costs]
    rows = [_layout_row(rec.pick, names, True)]
    rows += [_layout_row(a, names, False) for a in rec.alternatives]
    head_cells = ("layout", "chunks", "chunk size", *names, "mean slowdown")
    body = (
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
    return body + (
        f"<details><summary>encoding (zarr 3)</summary><pre>{escape(rec.encoding(3))}</pre>"
        "</details>"
    )


def card_html(card: Card) -> str:
    """One catalog dataset: its metadata and the advisor's advice, or the command that makes it.

    Examples
    --------
    >>> print(card_html(Card("era5", "", "data/era5.zarr", make_command="advisor sample-data")))
    <article class='card missing'><h3>era5</h3><p>No data yet at <code>data/era5.zarr</code>. Make it with:</p><pre class='command'>advisor sample-data</pre></article>
    """
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
    body = definition_list(facts) + _variables(card)
    if card.error:
        body += f"<p class='notice'>{escape(card.error)}</p>"
    if rec is not None:
        body += recommendation_html(rec)
    if card.attrs:
        body += (
            f"<details><summary>all {len(card.attrs)} attributes</summary>"
            + definition_list(card.attrs)
            + "</details>"
        )
    kind = "card advice" if rec is not None else "card"
    return f"<article class='{kind}'>{head}{body}</article>"


def cards_section(cards: Sequence[Card]) -> str:
    """Every catalog dataset's card.

    Examples
    --------
    >>> cards_section(())
    '<p>The catalog has no entries.</p>'
    """
    if not cards:
        return "<p>The catalog has no entries.</p>"
    return "<div class='cards'>" + "".join(card_html(c) for c in cards) + "</div>"
