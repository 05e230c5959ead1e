"""``advisor recommend TABLE``: the Parquet layout (partitions, row groups, sort order, dtypes)
that serves the table patterns, with each pattern's cost beside the usual alternatives.

Reached from ``advisor recommend`` (:mod:`advisor.cli.recommend`) when the source is a
``.parquet`` file or folder or a ``.csv`` / ``.csv.gz``, or ``--rows`` / ``--columns`` are given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from advisor.cli.output import emit, inert

if TYPE_CHECKING:
    from advisor.plan.tables.results import TableRecommendation


def recommend_table_cmd(
    source: str | None,
    patterns: list[str],
    rows: str | None,
    columns: str | None,
    profile: str | None,
    as_json: bool,
) -> None:
    """Recommend a layout for the table and print it (``--json``: one object)."""
    from advisor.api.tables import recommend_table
    from advisor.store.profiles import find_profile

    rec = recommend_table(
        source,
        patterns,
        find_profile(profile),
        rows=rows,
        columns=columns,
    )
    emit(rec, as_json, lambda: _show(rec))


def _show(rec: TableRecommendation) -> None:
    """The pick, the binding constraint, layouts x patterns, the pick's costs, dtypes, snippets."""
    from rich.console import Console
    from rich.table import Table

    from advisor.plan.units import format_seconds
    from advisor.plan.units import human_readable_size as size

    console = Console(highlight=False)
    schema = rec.schema
    names = ", ".join(f"{c.name}:{c.dtype}" for c in schema.columns)
    console.print(f"[bold]{inert(schema.name)}[/bold]: {schema.rows:,} rows; {inert(names)}")
    console.print(
        f"[bold]time column[/bold]: {inert(schema.time_column or '-')}  "
        f"[bold]key column[/bold]: {inert(schema.key_column or '-')}"
    )
    layout = rec.layout
    console.print(f"[bold green]recommended layout[/bold green]: {inert(rec.pick.describe())}")
    partition = layout.time_partition if layout.time_partition != "none" else "no time folders"
    buckets = f", {layout.key_buckets} key buckets" if layout.key_buckets else ""
    console.print(
        f"  partitions: {partition}{buckets} ({rec.pick.n_partitions:,}); files: "
        f"{rec.pick.n_files:,} of about {size(rec.pick.file_bytes)}; row groups of "
        f"{layout.row_group_rows:,} rows; sort: {inert(', '.join(layout.sort_by) or 'as read')}"
    )
    codec = layout.compression + (
        f" level {layout.compression_level}" if layout.compression_level else ""
    )
    dictionary = ", ".join(layout.dictionary) or "none"
    console.print(f"  codec: {codec}; dictionary: {inert(dictionary)}")
    console.print(f"[bold]binding constraint[/bold]: {inert(rec.binding_constraint)}")
    console.print(f"[bold]profile[/bold]: {inert(rec.profile_name)} ({rec.candidates} candidates)")

    grid = Table(title="seconds per access, and slowdown vs each pattern's best candidate")
    grid.add_column("layout")
    grid.add_column("files", justify="right")
    grid.add_column("file size", justify="right")
    for cost in rec.pick.costs:
        grid.add_column(inert(cost.name), justify="right")
    for item in (rec.pick, *rec.alternatives):
        label = "advisor" if item is rec.pick else item.layout.label
        grid.add_row(
            inert(label),
            f"{item.n_files:,}",
            size(item.file_bytes),
            *(
                f"{format_seconds(c.seconds)} x{s:.2f}"
                for c, s in zip(item.costs, item.slowdowns, strict=True)
            ),
            style="bold green" if item is rec.pick else None,
        )
    console.print(grid)

    detail = Table(title="the recommended layout, per access")
    for column in ("pattern", "weight", "files", "row groups", "rows", "read", "seconds"):
        detail.add_column(column, justify="left" if column == "pattern" else "right")
    for cost in rec.pick.costs:
        append = cost.files_written > 0
        detail.add_row(
            inert(cost.name),
            f"{cost.weight:g}",
            f"{cost.files_written:.3g} written" if append else f"{cost.files_opened:.3g}",
            "-" if append else f"{cost.row_groups_read:.3g}",
            f"{cost.rows_read:,.0f}",
            size(cost.bytes_read) + (" written" if append else ""),
            format_seconds(cost.seconds),
        )
    console.print(detail)

    dtypes = Table(title="dtypes (verified on the values read)")
    for column in ("column", "dtype", "advice", "why", "saved"):
        dtypes.add_column(column, justify="right" if column == "saved" else "left")
    for check in rec.dtypes:
        advice = {"downcast": f"-> {check.target}", "dictionary": "dictionary"}.get(
            check.verdict, "keep"
        )
        why = check.reason + (f"; refused {'; '.join(check.refused)}" if check.refused else "")
        saved = size(check.bytes_saved) if check.bytes_saved else ""
        dtypes.add_row(inert(check.column), check.dtype, advice, inert(why), saved)
    console.print(dtypes)
    if rec.codecs:
        codecs = Table(title="Parquet codecs measured on the sample (one thread, in memory)")
        for column in ("codec", "ratio", "encode", "decode"):
            codecs.add_column(column, justify="left" if column == "codec" else "right")
        for m in rec.codecs:
            picked = (m.compression, m.level) == (layout.compression, layout.compression_level)
            codecs.add_row(
                m.label,
                f"{m.ratio:.3g}",
                f"{size(m.encode_speed)}/s",
                f"{size(m.decode_speed)}/s",
                style="bold green" if picked else None,
            )
        console.print(codecs)
    for note in rec.notes:
        console.print(f"[yellow]note[/yellow]: {inert(note)}")
    console.print("[bold]paste-ready (pyarrow)[/bold]:")
    typer.echo(rec.pyarrow_snippet)
    console.print("[bold]paste-ready (dask)[/bold]:")
    typer.echo(rec.dask_snippet)
