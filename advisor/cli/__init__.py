"""The ``advisor`` command line: a thin typer app over the library.

Each command lives in a module of its own in this package and registers itself
on :data:`app`; command modules import heavy libraries inside the command
body only, so ``advisor recommend --shape ...`` never imports dask or xarray.

Errors are reported as a single line on stderr with exit code 2: typer's usage
errors (unknown option, bad value) and :class:`advisor.errors.AdvisorError`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import typer

from advisor.errors import AdvisorError

app = typer.Typer(
    name="advisor",
    help="Pattern-aware chunking and compression advice for Zarr arrays.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log the advisor's decisions."),
) -> None:
    """Pattern-aware chunking and compression advice for Zarr arrays."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # distributed configures its own loggers when imported; quiet them through its config
        # (read at import) so that worker start-up chatter does not bury the command's output
        import os

        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; bad input exits 2 with one line on stderr, no traceback."""
    from advisor.cli import commands  # noqa: F401  (registers the commands)

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=args, prog_name="advisor", standalone_mode=False)
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
    sys.exit(rv if isinstance(rv, int) else 0)
