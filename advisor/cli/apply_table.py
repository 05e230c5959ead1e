"""``advisor apply TABLE --out DIR``: the table half of ``advisor apply`` (its hook calls this)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import typer

from advisor.cli.output import print_rows

LayoutOption = typer.Option(
    None,
    "--layout",
    help="For a table: a reference layout by its label, e.g. 'day partitions (the seed)' "
    "(default: the advisor's pick for --pattern, as `advisor recommend TABLE` gives it).",
)
MemoryOption = typer.Option(
    "2GiB", "--memory", help="For a table: the working memory the conversion may use, e.g. 512MB."
)


def is_table(sources: Sequence[str], catalog: Path | None) -> bool:
    """Whether ``sources`` is one table: a CSV, a Parquet file or folder, or a table entry."""
    from advisor.store.table_catalog import table_entry
    from advisor.store.table_sources import table_kind

    if len(sources) != 1:
        return False
    return table_kind(sources[0]) is not None or table_entry(sources[0], catalog) is not None


def apply_table_command(
    source: str,
    outs: Sequence[str],
    *,
    layout: str | None,
    memory: str,
    overwrite: bool,
    scheduler: str | None,
    catalog: Path | None,
    as_json: bool,
    patterns: Sequence[str] = (),
    profile: str | None = None,
) -> None:
    """Write the table, then print what was written (a table, or ``--json``)."""
    from advisor.api.table_apply import apply_table
    from advisor.plan.errors import AdvisorError

    if len(outs) != 1:
        raise AdvisorError("a table is written to one --out folder: give one --out")
    result = apply_table(
        source,
        outs[0],
        layout=layout,
        overwrite=overwrite,
        memory=memory,
        scheduler=scheduler,
        catalog=catalog,
        patterns=patterns,
        profile=profile,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        print_rows(result.rows_table(), "advisor apply: table written")
