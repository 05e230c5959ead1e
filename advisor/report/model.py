"""What the report page shows, read once: the :class:`Report` and its parts, and the page's names.

:func:`advisor.report.build.build_report` fills a :class:`Report`;
:func:`advisor.report.render.render_report` turns it into HTML and
:func:`advisor.report.writer.write_report` writes that. This module imports
only the table and card types it holds, so each of those may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.report.access_table import AccessTable
from advisor.report.asvresults import ResultSet
from advisor.report.cards import Card
from advisor.report.codec_table import CodecTable
from advisor.report.environment import Fact, installed_version
from advisor.report.generic_table import GenericTable
from advisor.report.own_codecs import OwnCodecs
from advisor.report.save_table import SaveTable

GENERATOR = "chunk-advisor report"
"""The page's ``<meta name="generator">``: marks a file this command may replace."""

DISTRIBUTION = "chunk-advisor"
"""The distribution whose installed version the page's footer names."""

INDEX = "index.html"
"""The page's file name in the output folder."""


@dataclass(frozen=True, slots=True)
class Missing:
    """A part of the report without results, and the command that produces them.

    Examples
    --------
    >>> Missing("the access patterns", "asv run --bench access").command
    'asv run --bench access'
    """

    what: str
    command: str


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the page shows, read once; rendering it does no I/O.

    Examples
    --------
    >>> report = Report(source="no benchmark results", generated="2026-01-01 00:00 UTC")
    >>> report.title, report.cards, report.missing
    ('chunk-advisor report', (), ())
    """

    source: str
    generated: str
    results: ResultSet | None = None
    codecs: CodecTable | None = None
    saves: tuple[SaveTable, ...] = ()
    access: AccessTable | None = None
    others: tuple[GenericTable, ...] = ()
    own_codecs: OwnCodecs | None = None
    """The user's own data's codecs (``advisor report --codecs FILE``), if given."""
    cards: tuple[Card, ...] = ()
    environment: tuple[Fact, ...] = ()
    missing: tuple[Missing, ...] = ()
    problems: tuple[str, ...] = ()
    title: str = "chunk-advisor report"
    version: str = installed_version(DISTRIBUTION)
