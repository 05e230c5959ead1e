"""The ``advisor`` entry point: run the app; bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from advisor.cli import commands  # noqa: F401  (registers every command)
from advisor.cli.app import app
from advisor.cli.output import visible
from advisor.errors import AdvisorError
from advisor.store.locations import close_clients

INTERRUPTED = 130
"""The exit code after Ctrl-C (128 + SIGINT, the shells' convention)."""

INTERRUPTED_LINE = (
    "advisor: interrupted: the write stopped and nothing was published (an existing output is "
    "as it was, temporary copies removed); rerun the command to start again"
)
"""The one line on stderr after Ctrl-C (every writer publishes only complete outputs)."""


def _one_line(text: str) -> str:
    """The message on one line, control characters a user typed written as escapes."""
    return visible(" ".join(text.split()))


def _interrupted() -> None:
    print(INTERRUPTED_LINE, file=sys.stderr)
    sys.exit(INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; bad input exits 2 with one line on stderr, no traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            rv = app(args=args, prog_name="advisor", standalone_mode=False)
        finally:
            close_clients()
    except KeyboardInterrupt:  # outside the command (typer turns one inside into its 130)
        _interrupted()
    except typer.Abort:
        print("advisor: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # typer's (vendored click's) usage and parameter errors
        if type(exc).__name__ == "NoArgsIsHelpError":
            print(exc.format_message())
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print(f"advisor: error: {_one_line(exc.format_message())}{hint}", file=sys.stderr)
        sys.exit(2)
    except AdvisorError as exc:
        print(f"advisor: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(2)
    if rv == INTERRUPTED:  # typer's return for a KeyboardInterrupt in the command (no command
        _interrupted()  # returns 130): the cleanup ran as the exception unwound the writers
    sys.exit(rv if isinstance(rv, int) else 0)
