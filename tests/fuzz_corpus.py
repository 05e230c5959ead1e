"""Inputs the fuzz tests found failing, replayed as plain cases (each names its bug)."""

from __future__ import annotations

CLI_CORPUS: list[list[str]] = [
    # placeholder: the bare shape with nothing wrong (kept as the smoke case)
    ["recommend", "--shape", "time=4,latitude=3,longitude=2", "--json"],
    # bug: a malformed scheduler address leaked distributed's ValueError as a traceback
    ["cluster-info", "--scheduler", " "],
    ["cluster-info", "--scheduler", "ftp://host/x"],
]
