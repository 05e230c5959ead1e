"""Any benchmark's records as one table: the benchmarks the report's own sections do not use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from advisor.report.asvresults import Record


@dataclass(frozen=True, slots=True)
class GenericTable:
    """Any benchmark's records as rows: parameter values, then the value with its unit."""

    benchmark: str
    unit: str
    param_names: tuple[str, ...]
    rows: tuple[tuple[tuple[Any, ...], float | None, str], ...]


def generic_tables(records: Iterable[Record]) -> list[GenericTable]:
    """One table per benchmark, in the order first seen."""
    grouped: dict[str, list[Record]] = {}
    for rec in records:
        grouped.setdefault(rec.benchmark.name, []).append(rec)
    tables = []
    for name, recs in grouped.items():
        names = tuple(k for k, _ in recs[0].params)
        rows = tuple((tuple(v for _, v in r.params), r.value, r.status) for r in recs)
        tables.append(GenericTable(name, recs[0].benchmark.unit, names, rows))
    return tables
