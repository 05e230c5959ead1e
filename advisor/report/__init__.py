"""``advisor report``: one self-contained HTML page of the benchmark results and the advisor's advice.

Reading, rendering and writing are apart::

    from advisor.report import build_report, render_report, write_report

    report = build_report("results", "catalog.yaml")  # reads asv results and store metadata
    html = render_report(report)                       # pure: a str
    write_report(html, "reports")                      # -> reports/index.html
"""

from __future__ import annotations

from advisor.report.build import Missing, Report, build_report, write_report
from advisor.report.render import render_report

__all__ = ["Missing", "Report", "build_report", "render_report", "write_report"]
