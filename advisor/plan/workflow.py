"""The workflow's vocabulary, shared by planning and running: statistics, flox's methods, the
workshop's own choices (its daily statistics and its hand-picked chunks)."""

from __future__ import annotations

from typing import Literal

Statistic = Literal["mean", "max", "min", "sum", "std"]
STATISTICS: tuple[Statistic, ...] = ("mean", "max", "min", "sum", "std")
FloxMethod = Literal["blockwise", "cohorts", "map-reduce"]

WORKFLOW_STATS: dict[str, Statistic] = {
    "cape": "max",
    "cin": "mean",
    "k_index": "mean",
    "blh": "max",
}
"""The workflow's daily statistics: daily max CAPE and BLH, daily mean CIN and K-index."""

WORKFLOW_CHUNKS: dict[str, int] = {"time": 32, "latitude": 60, "longitude": 80}
"""The chunking the workshop picks by hand for its daily ML copy."""
