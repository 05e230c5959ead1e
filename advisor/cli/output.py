"""How every command prints: progress lines dimmed on stderr, then one JSON object or the tables."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import typer


class HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def visible(text: object) -> str:
    r"""``text`` with every control character written as its escape (``\x1b``, ``\r``), so
    that nothing a user named (a variable, a path, an attribute) moves the cursor or colours
    the terminal.

    >>> visible("cape\x1b[31m\r")
    'cape\\x1b[31m\\r'
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] == "C" else ch
        for ch in str(text)
    )


def inert(text: object) -> str:
    r"""``text`` for a rich string or table cell: control characters escaped (:func:`visible`)
    and rich's markup escaped, so ``[red]`` prints as typed.

    >>> inert("[red]x</td>")
    '\\[red]x</td>'
    """
    from rich.markup import escape

    return escape(visible(text))


def print_rows(rows: Sequence[tuple[str, str]], title: str) -> None:
    """``(label, value)`` rows as a two-column table on stdout, every value :func:`inert`."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(inert(label), inert(value))
    Console(soft_wrap=False).print(table)


def progress_printer(as_json: bool) -> Callable[[str], None] | None:
    """A callback printing progress lines dimmed on stderr; none with ``--json``."""
    if as_json:
        return None
    from rich.console import Console

    console = Console(stderr=True, soft_wrap=True)
    return lambda text: console.print(f"[dim]{inert(text)}[/dim]")


def emit(result: HasDict, as_json: bool, show: Callable[[], None]) -> None:
    """Print ``result`` as one indented JSON object with ``--json``, else call ``show``."""
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        show()
