"""Every command module; importing one registers its command on :data:`advisor.cli.app.app`."""

from __future__ import annotations

from advisor.cli import (
    append,
    apply,
    calibrate,
    cluster_cmds,
    codecs,
    recommend,
    report,
    sample,
    validate,
)

__all__ = [
    "append",
    "apply",
    "calibrate",
    "cluster_cmds",
    "codecs",
    "recommend",
    "report",
    "sample",
    "validate",
]
