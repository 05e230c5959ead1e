"""The ``advisor`` command line: a thin typer app over the library.

Each command lives in a module of its own in this package and registers itself
on :data:`app`; command modules import heavy libraries inside the command
body only, so ``advisor recommend --shape ...`` never imports dask or xarray.

Errors are reported as a single line on stderr with exit code 2: typer's usage
errors (unknown option, bad value) and :class:`advisor.errors.AdvisorError`. The app is in
:mod:`advisor.cli.app`, the entry point in :mod:`advisor.cli.main`.
"""
