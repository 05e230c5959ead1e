"""The access table: seconds per read of each pattern on each chunking of the same data.

The access benchmarks are recognised by their function and parameter names (the
contract with ``benchmarks/*.py``): ``time_read`` over params ``pattern`` and
``layout``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from advisor.report.asvresults import Record, measured

ADVISOR_LAYOUTS: tuple[str, ...] = ("advisor", "advisor-mix")
"""Access layouts that are the advisor's picks: per pattern, and the compromise for the mix."""

ACCESS_PARAMS = frozenset({"pattern", "layout"})
"""The parameters of an access benchmark."""


def is_access_record(rec: Record) -> bool:
    """An access benchmark's read time of one pattern on one layout."""
    return rec.benchmark.method == "time_read" and ACCESS_PARAMS <= {k for k, _ in rec.params}


@dataclass(frozen=True, slots=True)
class AccessTable:
    """Seconds per read for each layout (rows) and pattern (columns); None: failed or skipped.

    Examples
    --------
    >>> t = AccessTable(("a", "b"), ("map",), {("a", "map"): 2.0, ("b", "map"): 0.5}, {})
    >>> t.best("map"), t.slowdown("a", "map")
    ('b', 4.0)
    """

    layouts: tuple[str, ...]
    patterns: tuple[str, ...]
    seconds: Mapping[tuple[str, str], float | None]
    status: Mapping[tuple[str, str], str]

    def best(self, pattern: str) -> str | None:
        """The fastest measured layout for ``pattern``."""
        column = [
            (s, layout)
            for layout in self.layouts
            if measured(s := self.seconds.get((layout, pattern)))
        ]
        return min(column)[1] if column else None

    def slowdown(self, layout: str, pattern: str) -> float | None:
        """Seconds of ``layout`` over the best layout's, for ``pattern`` (1.0 = the best)."""
        best = self.best(pattern)
        value = self.seconds.get((layout, pattern))
        fastest = self.seconds.get((best, pattern)) if best is not None else None
        if measured(value) and measured(fastest):
            return value / fastest
        return None

    def is_pick(self, layout: str) -> bool:
        """Whether ``layout`` is one of the advisor's picks."""
        return layout in ADVISOR_LAYOUTS


def access_table(records: Iterable[Record]) -> AccessTable | None:
    """The layout x pattern read times of the access benchmarks, or None without them."""
    seconds: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    for rec in records:
        if not is_access_record(rec):
            continue
        names = dict(rec.params)
        key = (str(names["layout"]), str(names["pattern"]))
        seconds[key] = rec.value if rec.status == "ok" else None
        status[key] = rec.status
    if not seconds:
        return None
    layouts = tuple(dict.fromkeys(k[0] for k in seconds))
    patterns = tuple(dict.fromkeys(k[1] for k in seconds))
    return AccessTable(layouts, patterns, seconds, status)
