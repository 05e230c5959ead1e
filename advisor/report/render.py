"""The report page: the sections' pure ``-> str`` HTML, assembled by a jinja2 template.

Every string that comes from data, attributes or results goes through
:func:`html.escape` in the sections (:mod:`advisor.report.sections`), or
through jinja2's autoescaping (the template); the sections are handed to the
template as :class:`markupsafe.Markup`. The stylesheet is package data, read
once. Nothing here reads or writes files other than the package's own
template and CSS.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from advisor.report.model import GENERATOR, Report
from advisor.report.plots import codec_tradeoff, own_codec_tradeoff, save_tradeoff
from advisor.report.sections.access import access_section, glance_access
from advisor.report.sections.advice import cards_section
from advisor.report.sections.appendix import environment_section, missing_section, others_section
from advisor.report.sections.codecs import codec_section, glance_codecs
from advisor.report.sections.own_codecs import own_codecs_section
from advisor.report.sections.save import glance_costs, save_section

if TYPE_CHECKING:
    import jinja2

PACKAGE = "advisor.report"
"""The package whose data holds the template (``templates/``) and the stylesheet (``static/``)."""


@cache
def stylesheet() -> str:
    """The page's CSS (package data, read once)."""
    return files(PACKAGE).joinpath("static", "style.css").read_text(encoding="utf-8")


@cache
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(PACKAGE, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def sections(report: Report) -> dict[str, str]:
    """Each of the template's sections as HTML, by the name the template gives it."""
    codec_plot = codec_tradeoff(report.codecs) if report.codecs else None
    codec_save = next((t for t in report.saves if "codec" in t.param_names), None)
    save_plot = save_tradeoff(codec_save) if codec_save else None
    own_plot = own_codec_tradeoff(report.own_codecs) if report.own_codecs else None
    return {
        "glance_codecs": glance_codecs(report.codecs),
        "glance_access": glance_access(report.access),
        "glance_costs": glance_costs(report.saves, report.codecs),
        "codecs": codec_section(report.codecs, codec_plot),
        "own_codecs": own_codecs_section(report.own_codecs, own_plot),
        "save": save_section(report.saves, save_plot),
        "access": access_section(report.access),
        "cards": cards_section(report.cards),
        "others": others_section(report.others),
        "environment": environment_section(report.environment),
        "missing": missing_section(report.missing, report.problems),
    }


def render_report(report: Report) -> str:
    """The whole page as one self-contained HTML string (pure: no files read but package data).

    Examples
    --------
    >>> page = render_report(Report(source="no benchmark results", generated="today"))
    >>> page.startswith("<!DOCTYPE html>"), f'content="{GENERATOR}"' in page
    (True, True)
    """
    from markupsafe import Markup

    return _template().render(
        report=report,
        css=Markup(stylesheet()),
        generator=GENERATOR,
        **{k: Markup(v) for k, v in sections(report).items()},
    )
