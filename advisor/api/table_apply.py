"""``advisor.apply_table``: write a table (CSV or Parquet) in a layout, verified, published.

The one function behind ``advisor apply TABLE --out DIR``. It resolves the source (a path, or a
table entry of the catalog), the layout (a :class:`TableLayout`, a reference layout's label, or
None: the advisor's pick for the patterns given), the memory allowed, and the Dask
cluster when a scheduler is named, then calls :func:`advisor.run.table_write.write_layout`.

Examples
--------
>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> with tempfile.TemporaryDirectory() as tmp:
...     t = pa.table({"time": pa.array([0, 3600], pa.timestamp("s")), "station": ["b", "a"]})
...     pq.write_table(t, f"{tmp}/t.parquet")
...     done = apply_table(f"{tmp}/t.parquet", f"{tmp}/out")
...     done.layout.label, done.rows, sorted(p.name for p in (Path(tmp) / "out").iterdir())
('advisor', 2, ['part-0.parquet'])
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError
from advisor.plan.parse import parse_size
from advisor.plan.profile import StorageProfile
from advisor.plan.tables.layout import TableLayout
from advisor.plan.tables.references import reference_layouts
from advisor.plan.tables.schema import TableSchema
from advisor.plan.units import human_readable_size
from advisor.run.table_write import DEFAULT_MEMORY, WriteResult, write_layout
from advisor.store.publish import refuse_url
from advisor.store.table_catalog import table_entry
from advisor.store.table_sources import table_kind

if TYPE_CHECKING:
    pass

DEFAULT_LAYOUT = "month partitions, sorted by key"
"""The reference layout :func:`resolve_layout` gives for None (``apply_table`` writes the
advisor's pick then)."""


@dataclass(frozen=True, slots=True)
class TableApplyResult:
    """What ``apply_table`` wrote, and how long it took."""

    source: Path
    written: WriteResult
    seconds: float

    @property
    def layout(self) -> TableLayout:
        return self.written.layout

    @property
    def rows(self) -> int:
        return self.written.rows

    def to_dict(self) -> dict[str, Any]:
        w = self.written
        return {
            "source": str(self.source),
            "out": str(w.out),
            "layout": w.layout.label,
            "rows": w.rows,
            "files": w.files,
            "partitions": w.partitions,
            "bytes": w.bytes,
            "seconds": round(self.seconds, 3),
            "verified": {"rows": w.digest.rows, "columns": sorted(w.digest.sums)},
        }

    def rows_table(self) -> list[tuple[str, str]]:
        """The result as (what, value) rows for the CLI's table."""
        w = self.written
        return [
            ("source", str(self.source)),
            ("out", str(w.out)),
            ("layout", w.layout.label),
            ("rows", f"{w.rows:,}"),
            ("files / partitions", f"{w.files} / {w.partitions}"),
            ("size on disk", human_readable_size(w.bytes)),
            ("seconds", f"{self.seconds:.1f}"),
            ("verified", f"{w.digest.rows:,} rows, {len(w.digest.sums)} column checksums"),
        ]


def resolve_layout(layout: TableLayout | str | None, schema: TableSchema) -> TableLayout:
    """The layout to write: as given, a reference layout by label, or :data:`DEFAULT_LAYOUT`.

    Examples
    --------
    >>> s = TableSchema("t", 0, (), time_column="time", key_column="station")
    >>> resolve_layout(None, s).sort_by
    ('station', 'time')
    >>> resolve_layout("nope", s)
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: no reference layout 'nope': choose one of 'day partitions \
(the seed)', 'pyarrow defaults (one file)', 'one file, sorted by key, time', 'one file, sorted by \
time, key', 'one file, sorted by key, 100k-row groups', 'month partitions', 'month partitions, \
sorted by key', 'year partitions, sorted by key', 'day partitions, sorted by key', '16 key \
buckets, sorted by time', 'one file, sorted by key, 10k-row groups', 'week partitions, sorted by \
key', 'one file, sorted by key, dictionary key'
    """
    if isinstance(layout, TableLayout):
        return layout
    label = DEFAULT_LAYOUT if layout is None else layout
    references = {ref.label: ref for ref in reference_layouts(schema)}
    if label not in references:
        known = ", ".join(repr(k) for k in references)
        raise AdvisorError(f"no reference layout {label!r}: choose one of {known}")
    return references[label]


def resolve_table(source: str | Path, catalog: str | Path | None = None) -> Path:
    """A table source's path: a CSV or Parquet path as given, or a table entry's file."""
    if table_kind(source) is not None:
        return Path(source).expanduser()
    entry = table_entry(str(source), catalog)
    if entry is None:
        raise AdvisorError(
            f"{source} is not a table: give a .csv, .csv.gz or .parquet file, a folder of "
            ".parquet files, or a table entry of the catalog"
        )
    if not entry.path.exists():
        raise AdvisorError(
            f"catalog entry {entry.name!r} has no data yet at {entry.path}: "
            f"run `{entry.make_command()}`"
        )
    return entry.path


def apply_table(
    source: str | Path,
    out: str | Path,
    *,
    layout: TableLayout | str | None = None,
    overwrite: bool = False,
    memory: int | str = DEFAULT_MEMORY,
    scheduler: str | None = None,
    catalog: str | Path | None = None,
    patterns: Sequence[str] = (),
    profile: StorageProfile | str | None = None,
) -> TableApplyResult:
    """Write the table ``source`` to the folder ``out`` in ``layout``, verified and published.

    Parameters
    ----------
    source
        A CSV (``.csv``, ``.csv.gz``), a Parquet file or folder, or a table entry of ``catalog``.
    layout
        A :class:`TableLayout`, a reference layout's label, or None: the advisor's pick for
        ``patterns`` under ``profile`` (:func:`advisor.api.tables.recommend_table`, verified
        downcasts included).
    memory
        The working memory allowed (bytes, or a size such as ``512MB``): the CSV block, the row
        group being buffered and the partition being sorted stay within it.
    scheduler
        A Dask scheduler's address: the partitions are finished on that cluster.
    """
    refuse_url(out, "--out")
    budget = parse_size(memory) if isinstance(memory, str) else int(memory)
    if budget < 2**20:
        raise AdvisorError(f"--memory {memory} is under 1 MiB: allow more, e.g. --memory 512MB")
    path = resolve_table(source, catalog)
    target = Path(out).expanduser()
    if target.exists() and not overwrite:
        raise AdvisorError(f"{target} already exists: pass --overwrite to replace it")
    if layout is None:
        from advisor.api.tables import recommend_table

        rec = recommend_table(path, patterns, profile)
        schema, chosen = rec.schema, rec.layout
    else:
        from advisor.store.table_schema import read_table_source

        schema = read_table_source(path).schema  # the time and key columns, as recommend finds them
        chosen = resolve_layout(layout, schema)
    start = time.perf_counter()
    with _client(scheduler) as client:
        written = write_layout(
            path,
            target,
            chosen,
            time_column=schema.time_column,
            key_column=schema.key_column,
            memory=budget,
            overwrite=overwrite,
            client=client,
        )
    return TableApplyResult(path, written, time.perf_counter() - start)


def _client(scheduler: str | None) -> contextlib.AbstractContextManager[Any]:
    if scheduler is None:
        return contextlib.nullcontext()
    from advisor.run.cluster import dask_client

    return dask_client(scheduler, quiet=True)
