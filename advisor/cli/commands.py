"""Import every command module so that each registers itself on the app."""

from advisor.cli import apply, calibrate, cluster_cmds, recommend, report, sample, validate  # noqa: F401
