"""Import every command module so that each registers itself on the app."""

from advisor.cli import cluster_cmds  # noqa: F401
