"""The table figures of the note: each pattern's read seconds on each reference layout.

The same data and reads as :mod:`benchmarks.tables` (its cache, its queries), timed here with
the best of a few calls so the figure is one command::

    ADVISOR_BENCH_SCALE=full ADVISOR_BENCH_DASK=threads python -m benchmarks.table_figures

prints one Markdown table per reader: a row per layout, a column per pattern, seconds, plus the
files and row groups pyarrow opened (``files/row groups``) and the sum over the patterns; the
advisor's pick for each pattern alone (``advisor recommend TABLE --pattern P`` on the same sample,
:func:`advisor.api.tables.recommend_table`) is written and read beside the 13 reference layouts,
and a last table gives, per pattern, the advisor's seconds over the best measured and over the
seed's day partitions.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from advisor.plan.tables.layout import TableLayout
from advisor.run.table_workloads import query_for, read_dask, read_pyarrow

from .tables import KEY, LAYOUTS, PATTERNS, START, layout_table, patterns, sample_table

ADVISOR_PATTERNS = {
    "time-range": "time-range:days={days:g}",
    "key": "key:column=station",
    "scan": "scan:columns=cape,blh",
    "groupby": "groupby:by=station,columns=cape",
}
"""Each read of :data:`benchmarks.tables.PATTERNS` as ``advisor recommend TABLE --pattern`` takes it."""

SEED_LAYOUT = "day partitions (the seed)"


def advisor_layouts() -> dict[str, TableLayout]:
    """The advisor's pick for each pattern alone, on the sample table, by ``advisor for P``."""
    from advisor.api.tables import recommend_table

    days = patterns()["time-range"].days or 7.0
    return {
        f"advisor for {name}": recommend_table(sample_table(), [text.format(days=days)]).layout
        for name, text in ADVISOR_PATTERNS.items()
    }


def best_of(call: Callable[[], object], repeat: int) -> float:
    """The fewest seconds ``call`` took in ``repeat`` calls.

    Examples
    --------
    >>> best_of(lambda: None, 3) < 0.1
    True
    """
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    layouts = {**LAYOUTS, **advisor_layouts()}
    paths = {label: layout_table(label, layout) for label, layout in layouts.items()}
    for reader, read, repeat in (("pyarrow", read_pyarrow, 3), ("dask", read_dask, 2)):
        print(f"\n### read with {reader} (seconds, best of {repeat}; files/row groups opened)\n")
        print("| layout | " + " | ".join(PATTERNS) + " | sum |")
        print("| --- |" + " ---: |" * (len(PATTERNS) + 1))
        measured: dict[str, dict[str, float]] = {}
        for label, path in paths.items():
            cells, total = [], 0.0
            for pattern in PATTERNS:
                query = query_for(patterns()[pattern], layouts[label], start=START, key=KEY)
                seconds = best_of(lambda r=read, q=query, p=path: r(p, q), repeat)  # type: ignore[misc]
                measured.setdefault(label, {})[pattern] = seconds
                counted = read_pyarrow(path, query, count=True)
                total += seconds
                cells.append(f"{seconds:.3f} ({counted.files}/{counted.row_groups})")
            print(f"| {label} | " + " | ".join(cells) + f" | {total:.2f} |", flush=True)
        print(f"\n### the advisor's pick per pattern ({reader}): its seconds over the best of ")
        print(
            f"{len(measured) - len(ADVISOR_PATTERNS)} reference layouts and its own, and over the seed's\n"
        )
        print("| pattern | advisor's layout | vs best | best | vs the seed |")
        print("| --- | --- | ---: | --- | ---: |")
        for pattern in PATTERNS:
            ours = measured[f"advisor for {pattern}"][pattern]
            best = min(measured, key=lambda label: measured[label][pattern])
            pick = layouts[f"advisor for {pattern}"]
            print(
                f"| {pattern} | {_describe(pick)} | {ours / measured[best][pattern]:.2f} | "
                f"{best} | {ours / measured[SEED_LAYOUT][pattern]:.3f} |",
                flush=True,
            )


def _describe(layout: TableLayout) -> str:
    parts = [
        f"{layout.time_partition} partitions"
        if layout.time_partition != "none"
        else "no time partitions"
    ]
    if layout.key_buckets:
        parts.append(f"{layout.key_buckets} key buckets")
    if layout.sort_by:
        parts.append("sorted by " + ", ".join(layout.sort_by))
    parts.append(f"{layout.row_group_rows:,}-row groups")
    if layout.max_rows_per_file:
        parts.append(f"{layout.max_rows_per_file:,} rows per file")
    return "; ".join(parts)


if __name__ == "__main__":
    main()
