"""How every command prints: progress lines dimmed on stderr, then one JSON object or the tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

import typer


class HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def progress_printer(as_json: bool) -> Callable[[str], None] | None:
    """A callback printing progress lines dimmed on stderr; none with ``--json``."""
    if as_json:
        return None
    from rich.console import Console

    console = Console(stderr=True, soft_wrap=True)
    return lambda text: console.print(f"[dim]{text}[/dim]")


def emit(result: HasDict, as_json: bool, show: Callable[[], None]) -> None:
    """Print ``result`` as one indented JSON object with ``--json``, else call ``show``."""
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        show()
