"""Your data's codecs: the Pareto of ``advisor codecs --json`` output, per variable, the pick marked."""

from __future__ import annotations

from html import escape

from advisor.report.format import fmt_ratio, fmt_speed
from advisor.report.markup import badge, figure, num_cell, table
from advisor.report.own_codecs import OwnCodecs, OwnVariable

SHOWN = 15
"""Candidates listed per variable: those measured on the most chunks first, then by objective
(the pick among them); the figure shows them all."""


def _variable(v: OwnVariable) -> str:
    front = set(v.pareto)
    rows = []
    for c in sorted(v.candidates, key=lambda c: (-c.chunks, c.objective_seconds))[:SHOWN]:
        marks = (badge("balanced", "pick") if c.codec == v.pick else "") + (
            badge("pareto", "Pareto") if c.codec in front else ""
        )
        rows.append(
            f"<tr><td><code>{escape(c.codec)}</code> {marks}</td>"
            + num_cell(f"{fmt_ratio(c.ratio)} ({c.ratio_low:.2f}-{c.ratio_high:.2f})")
            + num_cell(fmt_speed(c.encode_mb_s))
            + num_cell(fmt_speed(c.decode_mb_s))
            + num_cell(str(c.chunks))
            + num_cell(f"{c.objective_seconds:.3g}")
            + "</tr>"
        )
    notes = "".join(f"<li>{escape(n)}</li>" for n in v.notes)
    head = ("codec", "ratio (95% CI)", "encode MB/s", "decode MB/s", "chunks", "objective s")
    return (
        f"<h3>{escape(v.name)} <span class='muted'>({escape(v.kind)}, {escape(v.decision)})"
        f"</span></h3><p>pick: <code>{escape(v.pick)}</code> (<code>--codec</code> takes it)</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + f"<details open><summary>{escape(v.name)}: {min(SHOWN, len(v.candidates))} of the "
        f"{len(v.candidates)} candidates, the most refined and cheapest first</summary>"
        + table(head, rows)
        + "</details>"
    )


def own_codecs_section(own: OwnCodecs | None, plot_uri: str | None) -> str:
    """The user's measured codecs: what was sampled, the figure, each variable's table.

    Examples
    --------
    >>> own_codecs_section(None, None)
    ''
    >>> from advisor.report.own_codecs import OwnCodecs, OwnVariable
    >>> own = OwnCodecs("<s>.zarr", 3.0, "2 chunks", (OwnVariable("a&b", "zstd:3", "float",
    ...     "lossless", (), ()),))
    >>> "&lt;s&gt;.zarr" in own_codecs_section(own, None), "a&amp;b" in own_codecs_section(own, None)
    (True, True)
    """
    if own is None:
        return ""
    plot = (
        figure(plot_uri, "compression ratio against decode speed on your data") if plot_uri else ""
    )
    return (
        f"<p>Measured by <code>advisor codecs</code> on <code>{escape(own.source)}</code> in "
        f"{own.seconds:.1f} s: {escape(own.sample)}. Each candidate went through zarr's own "
        "codec pipeline on one thread; candidates with 0 chunks were measured on the screen "
        "slabs only (screened out before the refinement). The pick is the least storage plus read time of the patterns "
        "under the profile.</p>" + plot + "".join(_variable(v) for v in own.variables)
    )
