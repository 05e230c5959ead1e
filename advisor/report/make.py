"""The whole ``advisor report`` in one call: check the output, gather, render and write the page."""

from __future__ import annotations

from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.report.build import build_report
from advisor.report.model import Report
from advisor.report.render import render_report
from advisor.report.writer import check_out_dir, write_report

DEFAULT_RESULTS = Path("results")
"""asv's ``results_dir`` in the project's ``asv.conf.json``, relative to where asv runs."""


def make_report(
    results: str | Path | None = None,
    catalog: str | Path | None = None,
    out: str | Path = "reports",
    *,
    overwrite: bool = False,
    codecs: str | Path | None = None,
) -> tuple[Path, Report]:
    """Write ``out/index.html`` from the asv ``results`` and the ``catalog``; the path and the report.

    ``results`` None reads :data:`DEFAULT_RESULTS`, and its absence means no
    results yet; a folder given that is missing is an error. The output folder
    is checked before anything is read. ``codecs`` is a file of ``advisor codecs --json``
    output: its Pareto per variable gets a section.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     make_report(Path(tmp) / "nope", out=tmp)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --results ... is not a folder: pass asv's results_dir, e.g. --results results
    """
    if results is not None and not Path(results).is_dir():
        raise AdvisorError(
            f"--results {results} is not a folder: pass asv's results_dir, e.g. --results results"
        )
    check_out_dir(out, overwrite=overwrite)
    report = build_report(
        results if results is not None else DEFAULT_RESULTS, catalog, own_codecs=codecs
    )
    return write_report(render_report(report), out, overwrite=overwrite), report
