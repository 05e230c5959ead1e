"""Import every command module so that each registers itself on the app."""

from advisor.cli import apply, cluster_cmds, recommend, sample  # noqa: F401
