"""Write the rendered page: check the output folder, then publish ``index.html`` atomically.

Publishing goes through :func:`advisor.store.publish.write_text`, the project's
one write-then-rename mechanism: a run killed mid-write leaves the old page.
"""

from __future__ import annotations

import os
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.report.model import GENERATOR, INDEX
from advisor.store.publish import refuse_url, write_text


def check_out_dir(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """The path of ``index.html`` in ``out_dir``, after checking it may be written.

    An existing ``index.html`` is replaced only if this command wrote it (its
    generator tag says so) or ``overwrite`` is set.

    Examples
    --------
    >>> import shutil, tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> check_out_dir(tmp / "new").name
    'index.html'
    >>> _ = (tmp / INDEX).write_text("<html>someone else's</html>")
    >>> check_out_dir(tmp)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: ...index.html exists and was not written by advisor report: pass --overwrite to replace it
    >>> shutil.rmtree(tmp)
    """
    refuse_url(out_dir, "--out")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AdvisorError(f"--out {out} is a file, not a folder: pass a folder such as reports/")
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AdvisorError(f"cannot write to {parent}: pass --out a folder you can write to")
    index = out / INDEX
    if index.exists() and not overwrite:
        head = index.read_text(encoding="utf-8", errors="replace")[:2000]
        if f'<meta name="generator" content="{GENERATOR}">' not in head:
            raise AdvisorError(
                f"{index} exists and was not written by advisor report: pass --overwrite to replace it"
            )
    return index


def write_report(html: str, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``html`` to ``out_dir/index.html`` (atomically) and return the path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_report("<p>hi</p>", Path(tmp) / "reports").relative_to(tmp).as_posix()
    'reports/index.html'
    """
    index = check_out_dir(out_dir, overwrite=overwrite)
    return write_text(index, html, what="the report", hint="pass --out a writable folder")
