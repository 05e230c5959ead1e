"""Gather a report: read the asv results and the catalog's store metadata into a :class:`Report`.

:func:`build_report` does all the reading and returns an immutable
:class:`~advisor.report.model.Report`; :func:`advisor.report.render.render_report`
turns it into HTML without I/O; :func:`advisor.report.writer.write_report` writes it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from advisor.report.access_table import access_table, is_access_record
from advisor.report.asvresults import ResultSet, class_of, read_results
from advisor.report.cards import catalog_cards
from advisor.report.codec_table import codec_table, is_codec_record
from advisor.report.environment import DATE_FORMAT, environment
from advisor.report.generic_table import generic_tables
from advisor.report.model import Missing, Report
from advisor.report.own_codecs import read_own_codecs
from advisor.report.save_table import save_tables

logger = logging.getLogger(__name__)

RUN_COMMAND = "ADVISOR_BENCH_SCALE=small asv run --set-commit-hash=$(git rev-parse HEAD)"
"""The asv run that produces every result the report reads (docs/benchmarks.md; tiny|small|full)."""

SUITES: dict[str, tuple[str, str]] = {
    "codecs": ("the codec trade-off (compressors suite)", "compressors"),
    "save": ("the save workload (save suite)", "save"),
    "access": ("the access patterns (access suite)", "access"),
}
"""Each results section: what it shows and the asv ``--bench`` pattern of the suite behind it."""


def missing_results(present: dict[str, object], results: ResultSet | None) -> list[Missing]:
    """The sections of :data:`SUITES` without results (``present[key]`` falsy), with their command.

    Examples
    --------
    >>> [m.what for m in missing_results({}, None)]
    ['benchmark results (every section above the recommendations)']
    """
    if results is None or not results.records:
        return [Missing("benchmark results (every section above the recommendations)", RUN_COMMAND)]
    return [
        Missing(what, f"{RUN_COMMAND} --bench {suite}")
        for key, (what, suite) in SUITES.items()
        if not present[key]
    ]


def build_report(
    results_dir: str | Path | None,
    catalog: str | Path | None = None,
    *,
    cards: bool = True,
    own_codecs: str | Path | None = None,
) -> Report:
    """Read the asv results under ``results_dir`` (None or missing: none yet) and the catalog.

    Only the most recent run of each benchmark on the most recently measured
    machine is used. Cards read store metadata only and never generate data.
    ``own_codecs`` is a file of ``advisor codecs --json`` output: the user's own data's
    Pareto section.

    Examples
    --------
    >>> report = build_report(None, cards=False)
    >>> report.source, [m.command for m in report.missing] == [RUN_COMMAND]
    ('no benchmark results', True)
    """
    own = None if own_codecs is None else read_own_codecs(own_codecs)
    results = None
    if results_dir is not None and Path(results_dir).is_dir():
        results = read_results(results_dir).latest()
    records = results.records if results else ()
    codecs = codec_table(records)
    saves = tuple(save_tables(records))
    access = access_table(records)
    used = {
        class_of(r.benchmark.name) for r in records if is_codec_record(r) or is_access_record(r)
    }
    used |= {cls for t in saves for cls in t.classes}
    others = tuple(generic_tables(r for r in records if class_of(r.benchmark.name) not in used))
    card_list = tuple(catalog_cards(catalog)) if cards else ()
    complete_codecs = codecs is not None and any(p.complete for p in codecs.points)
    missing = missing_results({"codecs": complete_codecs, "save": saves, "access": access}, results)
    missing += [
        Missing(f"the data of catalog entry {c.entry}", c.make_command)
        for c in card_list
        if c.make_command
    ]
    source = (
        f"the asv results in {results.root.resolve()}"
        if results and records
        else "no benchmark results"
    )
    logger.debug(
        "report: %d records, %d cards, %d missing", len(records), len(card_list), len(missing)
    )
    return Report(
        source=source,
        generated=datetime.now(UTC).strftime(DATE_FORMAT),
        results=results,
        codecs=codecs,
        saves=saves,
        access=access,
        others=others,
        own_codecs=own,
        cards=card_list,
        environment=tuple(environment(results)),
        missing=tuple(missing),
        problems=results.problems if results else (),
    )
