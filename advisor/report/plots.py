"""The report's figures, drawn with matplotlib's object API and embedded as PNG ``data:`` URIs.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, so no
global state and no GUI backend), saved to bytes and base64-encoded: the page
needs no network and no files next to it.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from advisor.report.codec_table import CodecTable, Goal
    from advisor.report.own_codecs import OwnCodecs
    from advisor.report.save_table import SaveTable

DPI = 100
"""Pixels per inch of the embedded PNGs (a 10-inch figure is 1000 px wide)."""

PALETTE = ("#1f6fb2", "#c77700", "#1b7f3b", "#b3261e", "#6a3d9a", "#00838f", "#795548", "#5b6570")
"""Colours of categories (codec families) in the figures."""

GOAL_STYLE: dict[Goal, dict[str, str]] = {
    "smallest": {"marker": "^", "color": "#1f6fb2"},
    "fastest": {"marker": "s", "color": "#c77700"},
    "balanced": {"marker": "*", "color": "#1b7f3b"},
}
"""How each pick is marked (the page's badges use the same colours)."""


def png_data_uri(fig: Figure) -> str:
    """``data:image/png;base64,...`` of ``fig``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> png_data_uri(Figure(figsize=(1, 1))).startswith("data:image/png;base64,iVBOR")
    True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heat_colours(value: float | None, low: float = 1.0, high: float = 10.0) -> tuple[str, str]:
    """Background and text colour for a slowdown ``value`` on a log scale from ``low`` to ``high``.

    Pale yellow is the best; the slower, the hotter (matplotlib's ``YlOrRd``).

    Examples
    --------
    >>> heat_colours(1.0)
    ('#fffcc5', '#000000')
    >>> heat_colours(None)
    ('transparent', 'inherit')
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if value is None or not math.isfinite(value):
        return "transparent", "inherit"
    span = math.log(high / low)
    x = min(max(math.log(max(value, low) / low) / span, 0.0), 1.0)
    rgba = colormaps["YlOrRd"](0.02 + 0.88 * x)
    luminance = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
    return to_hex(rgba), "#000000" if luminance > 0.45 else "#ffffff"


def _front_2d(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points no other beats on both axes (higher is better), in x order: a staircase."""
    pairs = sorted(zip(xs, ys, strict=True), key=lambda p: (-p[0], -p[1]))
    front: list[tuple[float, float]] = []
    best_y = -math.inf
    for x, y in pairs:
        if y > best_y:
            front.append((x, y))
            best_y = y
    front.reverse()
    return [p[0] for p in front], [p[1] for p in front]


def codec_tradeoff(table: CodecTable) -> str | None:
    """Ratio against encode and decode MB/s, one row per variable, fronts and picks marked.

    Variables without a complete measurement (ratio and both speeds) are left
    out; None when no variable has one.
    """
    from matplotlib.figure import Figure

    variables = [v for v in table.variables if any(p.complete for p in table.of(v))]
    if not variables:
        return None
    fig = Figure(figsize=(10, 2.9 * len(variables) + 0.4), layout="constrained")
    axes = fig.subplots(len(variables), 2, squeeze=False, sharey="row")
    for row, variable in enumerate(variables):
        figures = {p.codec: f for p in table.of(variable) if (f := p.figures) is not None}
        on_front = [figures[p.codec] for p in table.of(variable) if p.pareto and p.codec in figures]
        picks = table.picks.get(variable, {})
        for col, (attr, label) in enumerate((("encode", "encode"), ("decode", "decode"))):
            ax = axes[row][col]
            axis = 1 if attr == "encode" else 2  # CodecPoint.figures: (ratio, encode, decode)
            xs = [f[axis] for f in figures.values()]
            ys = [f[0] for f in figures.values()]
            ax.scatter(xs, ys, s=14, color="#9aa5b1", label="codec", zorder=2)
            fx, fy = _front_2d(xs, ys)
            ax.step(fx, fy, where="post", color="#5b6570", lw=1, zorder=1, label="Pareto front")
            ax.scatter(
                [f[axis] for f in on_front],
                [f[0] for f in on_front],
                s=18,
                facecolors="none",
                edgecolors="#1d232b",
                lw=0.8,
                zorder=3,
                label="Pareto (ratio, encode, decode)",
            )
            for goal, style in GOAL_STYLE.items():
                pick = table.point(variable, picks.get(goal))
                if pick is None:
                    continue
                ax.scatter(
                    [getattr(pick, attr)],
                    [pick.ratio],
                    s=110,
                    zorder=4,
                    label=goal,
                    edgecolors="white",
                    lw=0.8,
                    **style,
                )
                ax.annotate(
                    pick.codec,
                    (getattr(pick, attr), pick.ratio),
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize=7.5,
                    color=style["color"],
                )
            if xs and min(xs) > 0:
                ax.set_xscale("log")
            ax.margins(x=0.08, y=0.15)
            ax.set_xlabel(f"{label} MB/s (log)")
            ax.grid(True, which="both", alpha=0.25)
            if col == 0:
                ax.set_ylabel("compression ratio")
            ax.set_title(f"{variable}: ratio vs {label} speed", fontsize=10, loc="left")
    handles, labels = axes[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=6, fontsize=8)
    return png_data_uri(fig)


def save_tradeoff(table: SaveTable) -> str | None:
    """Compression ratio against save time, one marker per codec and zarr format.

    None when no setting has both figures.
    """
    from matplotlib.figure import Figure

    rows = [
        (r, t, q) for r in table.rows if (t := r.time) is not None and (q := r.ratio) is not None
    ]
    if not rows:
        return None
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.subplots()
    families: dict[str, str] = {}
    markers = {"2": "o", "3": "D"}
    for row, seconds, ratio in rows:
        codec = row.setting.get("codec", row.label)
        key = ":".join(codec.split(":")[:2]) if codec.startswith("blosc:") else codec.split(":")[0]
        colour = families.setdefault(key, PALETTE[len(families) % len(PALETTE)])
        ax.scatter(
            seconds,
            ratio,
            color=colour,
            s=22,
            alpha=0.85,
            marker=markers.get(row.setting.get("zarr_format", "3"), "o"),
        )
    for key, colour in families.items():
        ax.scatter([], [], color=colour, label=key, s=22)
    for fmt, marker in markers.items():
        ax.scatter([], [], color="#1d232b", marker=marker, label=f"zarr format {fmt}", s=22)
    ax.set_xlabel("save time (s)")
    ax.set_ylabel("compression ratio of the store")
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=8, ncols=2, loc="best")
    ax.set_title("the save step: compression ratio against time", fontsize=10, loc="left")
    return png_data_uri(fig)


def own_codec_tradeoff(own: OwnCodecs) -> str | None:
    """The user's own data: ratio against decode MB/s per variable, the front and the pick.

    None when no variable has a candidate.
    """
    from matplotlib.figure import Figure

    variables = [v for v in own.variables if v.candidates]
    if not variables:
        return None
    cols = min(2, len(variables))
    rows = math.ceil(len(variables) / cols)
    fig = Figure(figsize=(10, 3.2 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel()[len(variables) :]:
        ax.set_visible(False)
    for ax, v in zip(axes.ravel(), variables, strict=False):
        xs = [c.decode_mb_s for c in v.candidates]
        ys = [c.ratio for c in v.candidates]
        ax.scatter(xs, ys, s=14, color="#9aa5b1", label="candidate", zorder=2)
        fx, fy = _front_2d(xs, ys)
        ax.step(fx, fy, where="post", color="#5b6570", lw=1, zorder=1, label="Pareto front")
        picked = v.picked
        if picked is not None:
            ax.errorbar(
                [picked.decode_mb_s],
                [picked.ratio],
                yerr=[[picked.ratio - picked.ratio_low], [picked.ratio_high - picked.ratio]],
                fmt="*",
                ms=13,
                color=GOAL_STYLE["balanced"]["color"],
                mec="white",
                zorder=4,
                label="pick (95% CI of the ratio)",
            )
            ax.annotate(
                picked.codec,
                (picked.decode_mb_s, picked.ratio),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=7.5,
                color=GOAL_STYLE["balanced"]["color"],
            )
        if xs and min(xs) > 0:
            ax.set_xscale("log")
        ax.margins(x=0.08, y=0.15)
        ax.set_xlabel("decode MB/s, one thread (log)")
        ax.set_ylabel("compression ratio")
        ax.grid(True, which="both", alpha=0.25)
        ax.set_title(f"{v.name}: ratio vs decode speed", fontsize=10, loc="left")
    handles, labels = axes[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=3, fontsize=8)
    return png_data_uri(fig)
