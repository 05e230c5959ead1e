"""The report page's sections, one module each: pure ``-> str`` HTML, every user string escaped.

- :mod:`~advisor.report.sections.codecs`: the codec trade-off and its line at a glance;
- :mod:`~advisor.report.sections.save`: the save workload and what each choice costs;
- :mod:`~advisor.report.sections.access`: the access-pattern heatmap and its line at a glance;
- :mod:`~advisor.report.sections.advice`: one card per catalog dataset;
- :mod:`~advisor.report.sections.appendix`: other benchmarks, the environment, what is missing.

:func:`advisor.report.render.render_report` assembles them; this package
imports none of them, so importing one runs nothing else.
"""
