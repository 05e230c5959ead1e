"""Gather a report (read results and catalog metadata), then write the rendered page.

:func:`build_report` does the reading and returns an immutable :class:`Report`;
:func:`advisor.report.render.render_report` turns it into HTML without I/O;
:func:`write_report` checks the output folder and writes ``index.html``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from advisor import __version__
from advisor.plan.errors import AdvisorError
from advisor.report.asvresults import ResultSet, read_results
from advisor.report.cards import Card, catalog_cards
from advisor.report.environment import Fact, environment
from advisor.report.tables import (
    AccessTable,
    CodecTable,
    GenericTable,
    SaveTable,
    access_table,
    class_of,
    codec_table,
    generic_tables,
    is_access_record,
    is_codec_record,
    save_tables,
)

logger = logging.getLogger(__name__)

RUN_COMMAND = "ADVISOR_BENCH_SCALE=small asv run --set-commit-hash=$(git rev-parse HEAD)"
"""The asv run that produces every result the report reads (docs/benchmarks.md; tiny|small|full)."""

SUITES: dict[str, tuple[str, str]] = {
    "codecs": ("the codec trade-off (compressors suite)", "compressors"),
    "save": ("the save workload (save suite)", "save"),
    "access": ("the access patterns (access suite)", "access"),
}
"""Each results section: what it shows and the asv ``--bench`` pattern of the suite behind it."""

INDEX = "index.html"


@dataclass(frozen=True, slots=True)
class Missing:
    """A part of the report without results, and the command that produces them."""

    what: str
    command: str


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the page shows, read once; rendering it does no I/O."""

    source: str
    generated: str
    results: ResultSet | None = None
    codecs: CodecTable | None = None
    saves: tuple[SaveTable, ...] = ()
    access: AccessTable | None = None
    others: tuple[GenericTable, ...] = ()
    cards: tuple[Card, ...] = ()
    environment: tuple[Fact, ...] = ()
    missing: tuple[Missing, ...] = ()
    problems: tuple[str, ...] = ()
    title: str = "chunk-advisor report"
    version: str = __version__


def _missing(report_parts: dict[str, object], results: ResultSet | None) -> list[Missing]:
    if results is None or not results.records:
        return [Missing("benchmark results (every section above the recommendations)", RUN_COMMAND)]
    return [
        Missing(what, f"{RUN_COMMAND} --bench {suite}")
        for key, (what, suite) in SUITES.items()
        if not report_parts[key]
    ]


def build_report(
    results_dir: str | Path | None,
    catalog: str | Path | None = None,
    *,
    cards: bool = True,
) -> Report:
    """Read the asv results under ``results_dir`` (None or missing: none yet) and the catalog.

    Only the most recent run of each benchmark on the most recently measured
    machine is used. Cards read store metadata only and never generate data.
    """
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
    missing = _missing({"codecs": complete_codecs, "save": saves, "access": access}, results)
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
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        results=results,
        codecs=codecs,
        saves=saves,
        access=access,
        others=others,
        cards=card_list,
        environment=tuple(environment(results)),
        missing=tuple(missing),
        problems=results.problems if results else (),
    )


def check_out_dir(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """The path of ``index.html`` in ``out_dir``, after checking it may be written.

    An existing ``index.html`` is replaced only if this command wrote it (its
    generator tag says so) or ``overwrite`` is set.
    """
    from advisor.report.render import GENERATOR

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AdvisorError(f"--out {out} is a file, not a folder: pass a folder such as reports/")
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AdvisorError(f"cannot write to {parent}: pass --out a folder you can write to")
    index = out / INDEX
    if index.exists() and not overwrite:
        head = index.read_text(encoding="utf-8", errors="replace")[:2000]
        if f'<meta name="generator" content="{GENERATOR}">' not in head:
            raise AdvisorError(
                f"{index} exists and was not written by advisor report: pass --overwrite to replace it"
            )
    return index


def write_report(html: str, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``html`` to ``out_dir/index.html`` (atomically) and return the path."""
    index = check_out_dir(out_dir, overwrite=overwrite)
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp = index.with_name(f".{INDEX}.{os.getpid()}.tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(index)
    except OSError as exc:
        raise AdvisorError(
            f"cannot write {index}: {exc.strerror}; pass --out a writable folder"
        ) from None
    return index
