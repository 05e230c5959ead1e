"""The typer app every command registers on, and the root options (``-v``)."""

from __future__ import annotations

import logging

import typer

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
        # (read at import, and inherited by local worker processes) so that neither worker
        # start-up chatter nor a failed task's traceback ("Compute Failed", once per chunk)
        # buries the command's output: the command says what failed, once, in one line
        import os

        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
        # after a store stops answering, zarr's concurrent reads that failed besides the first
        # log "Task exception was never retrieved": the command says it once
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
