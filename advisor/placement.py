"""Putting a finished store where the user asked for it, without ever leaving half of one.

Writers (``advisor sample-data``, ``advisor apply``) build a store in a
temporary sibling folder and call :func:`move_into_place` once it is complete,
so a run killed at any moment leaves the old store intact or, for a new one,
no store at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from advisor.errors import AdvisorError


def move_into_place(temp: Path, target: Path, *, overwrite: bool, aside: Path) -> None:
    """Rename the finished ``temp`` to ``target``; with ``overwrite``, swap out the old ``target``.

    A new ``target`` appears in one atomic rename. Replacing one takes two: the
    old store is renamed to ``aside``, ``temp`` to ``target``, then ``aside`` is
    deleted. A kill between the two renames (a window of two system calls)
    leaves no ``target`` and the old store, intact, at ``aside``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     tmp = Path(tmp)
    ...     (tmp / "new").mkdir(); (tmp / "out").mkdir(); _ = (tmp / "out" / "old").write_text("")
    ...     move_into_place(tmp / "new", tmp / "out", overwrite=True, aside=tmp / "aside")
    ...     sorted(p.name for p in tmp.iterdir()), list((tmp / "out").iterdir())
    (['out'], [])
    """
    if not (target.exists() or target.is_symlink()):
        os.rename(temp, target)
        return
    if not overwrite:
        raise AdvisorError(
            f"{target} appeared while writing: the finished copy is kept at {temp}; "
            "move it yourself or run again with --overwrite"
        )
    os.rename(target, aside)
    os.rename(temp, target)
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside)
    else:
        aside.unlink()
