"""``advisor report``: one self-contained HTML page of the benchmark results and the advisor's advice.

Reading, rendering and writing are apart::

    from advisor.report.build import build_report
    from advisor.report.render import render_report
    from advisor.report.writer import write_report

    report = build_report("results", "catalog.yaml")  # reads asv results and store metadata
    html = render_report(report)                       # pure: a str
    write_report(html, "reports")                      # -> reports/index.html

The modules, from the bottom up: :mod:`~advisor.report.asvresults` reads asv's
files; :mod:`~advisor.report.codec_table`, :mod:`~advisor.report.save_table`,
:mod:`~advisor.report.access_table` and :mod:`~advisor.report.generic_table`
derive the tables; :mod:`~advisor.report.cards` and
:mod:`~advisor.report.environment` gather the advice and the environment;
:mod:`~advisor.report.model` holds the :class:`~advisor.report.model.Report`;
:mod:`~advisor.report.build` fills it; :mod:`~advisor.report.sections` and
:mod:`~advisor.report.render` turn it into HTML (:mod:`~advisor.report.format`
and :mod:`~advisor.report.markup` are their small pieces, :mod:`~advisor.report.plots`
their figures); :mod:`~advisor.report.writer` publishes the page.

This package module imports none of them: importing any module of the report
runs this file, so a re-export here would make every module import back up the
chain.
"""
