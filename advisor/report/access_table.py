"""The access table: seconds per read of each pattern on each chunking of the same data.

The access benchmarks are recognised by their function and parameter names (the
contract with ``benchmarks/*.py``): ``time_read`` over params ``pattern`` and
``layout``, and optionally ``backend`` (``local`` when absent). A pattern read on
another backend than the local disk gets a column of its own, ``pattern (backend)``,
beside the local one: each column compares the layouts on one backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from advisor.report.asvresults import Record, measured

ADVISOR_LAYOUTS: tuple[str, ...] = ("advisor", "advisor-mix")
"""Access layouts that are the advisor's picks: per pattern, and the compromise for the mix."""

ACCESS_PARAMS = frozenset({"pattern", "layout"})
"""The parameters of an access benchmark."""

LOCAL = "local"
"""The backend of an access benchmark without a ``backend`` parameter: the local disk."""


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
    backends: Mapping[str, str] = field(default_factory=dict)
    """The backend of each column read elsewhere than on the local disk (column -> backend)."""

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


def column(pattern: str, backend: str = LOCAL) -> str:
    """The access table's column for ``pattern`` read on ``backend``.

    Examples
    --------
    >>> column("map"), column("map", "s3")
    ('map', 'map (s3)')
    """
    return pattern if backend == LOCAL else f"{pattern} ({backend})"


def access_table(records: Iterable[Record]) -> AccessTable | None:
    """The layout x pattern read times of the access benchmarks, or None without them.

    Columns come in the order the patterns are first seen, each pattern's local
    column before its other backends'.

    Examples
    --------
    >>> from advisor.report.asvresults import Benchmark, Run
    >>> from pathlib import Path
    >>> run = Run(Path("r.json"), "m", "c", "e", None, "3.11")
    >>> local = Benchmark("access.Access.time_read", "time", "seconds", ("pattern", "layout"))
    >>> s3 = Benchmark("access.S3Access.time_read", "time", "seconds",
    ...                ("backend", "pattern", "layout"))
    >>> records = [
    ...     Record(s3, (("backend", "s3"), ("pattern", "map"), ("layout", "a")), 0.2, "ok", run),
    ...     Record(local, (("pattern", "map"), ("layout", "a")), 0.1, "ok", run),
    ...     Record(local, (("pattern", "ml-batch"), ("layout", "a")), 0.1, "ok", run),
    ... ]
    >>> table = access_table(records)
    >>> table.patterns, table.seconds["a", "map (s3)"], table.backends
    (('map', 'map (s3)', 'ml-batch'), 0.2, {'map (s3)': 's3'})
    """
    seconds: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str], str] = {}
    first: dict[str, int] = {}
    for rec in records:
        if not is_access_record(rec):
            continue
        names = dict(rec.params)
        pattern, backend = str(names["pattern"]), str(names.get("backend", LOCAL))
        label = column(pattern, backend)
        key = (str(names["layout"]), label)
        seconds[key] = rec.value if rec.status == "ok" else None
        status[key] = rec.status
        first.setdefault(pattern, len(first))
        columns[pattern, backend] = label
    if not seconds:
        return None
    layouts = tuple(dict.fromkeys(k[0] for k in seconds))
    ranked = sorted(columns, key=lambda pb: (first[pb[0]], pb[1] != LOCAL, pb[1]))
    patterns = tuple(columns[pb] for pb in ranked)
    backends = {label: backend for (_, backend), label in columns.items() if backend != LOCAL}
    return AccessTable(layouts, patterns, seconds, status, backends)
