"""The table figures of the note: each pattern's read seconds on each reference layout.

The same data and reads as :mod:`benchmarks.tables` (its cache, its queries), timed here with
the best of a few calls so the figure is one command::

    ADVISOR_BENCH_SCALE=full ADVISOR_BENCH_DASK=threads python -m benchmarks.table_figures

prints one Markdown table per reader: a row per layout, a column per pattern, seconds, plus the
files and row groups pyarrow opened (``files/row groups``) and the sum over the patterns.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from advisor.run.table_workloads import read_dask, read_pyarrow

from .tables import LAYOUTS, PATTERNS, _query, layout_table


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
    paths = {label: layout_table(label) for label in LAYOUTS}
    for reader, read, repeat in (("pyarrow", read_pyarrow, 3), ("dask", read_dask, 2)):
        print(f"\n### read with {reader} (seconds, best of {repeat}; files/row groups opened)\n")
        print("| layout | " + " | ".join(PATTERNS) + " | sum |")
        print("| --- |" + " ---: |" * (len(PATTERNS) + 1))
        for label, path in paths.items():
            cells, total = [], 0.0
            for pattern in PATTERNS:
                query = _query(pattern, label)
                seconds = best_of(lambda r=read, q=query, p=path: r(p, q), repeat)  # type: ignore[misc]
                counted = read_pyarrow(path, query, count=True)
                total += seconds
                cells.append(f"{seconds:.3f} ({counted.files}/{counted.row_groups})")
            print(f"| {label} | " + " | ".join(cells) + f" | {total:.2f} |", flush=True)


if __name__ == "__main__":
    main()
