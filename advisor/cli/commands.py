"""Every command module; importing one registers its command on :data:`advisor.cli.app.app`."""

from __future__ import annotations

from advisor.cli import apply, calibrate, cluster_cmds, recommend, report, sample, validate

__all__ = ["apply", "calibrate", "cluster_cmds", "recommend", "report", "sample", "validate"]
