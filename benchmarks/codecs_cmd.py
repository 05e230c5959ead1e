"""``advisor codecs`` itself: the whole measurement on this scale's sample, reading included.

:func:`advisor.api.codecs.codecs` on the hourly sample, every variable, with the default
budget (10 s) and chunks sampled (8) at the small and full scales, lossless and with
``--lossy source``; the tiny scale (the tests) measures one variable's 2 chunks in a
half-second budget, lossless only. ``track_seconds`` is the run's own clock and
``track_ratio`` the mean ratio of the picks, so a faster run that picks worse shows.
"""

from __future__ import annotations

from typing import Any

from .cache import sample_store
from .scale import scale
from .suite import Pipeline


def _options() -> dict[str, Any]:
    if scale() == "tiny":
        return {"seconds": 0.5, "count": 2, "variables": ["cape"]}
    return {"seconds": 10.0, "count": 8}


class CodecsCommand(Pipeline):
    """Time ``advisor codecs`` on the sample, lossless and with ``--lossy source``."""

    params = (["none"] if scale() == "tiny" else ["none", "source"],)
    param_names = ("lossy",)

    def setup_cache(self) -> None:
        sample_store()

    def setup(self, lossy: str) -> None:
        self.store = sample_store()

    def _run(self, lossy: str) -> Any:
        from advisor.api.codecs import codecs

        return codecs(self.store, lossy=lossy, **_options())

    def time_codecs(self, lossy: str) -> None:
        self._run(lossy)

    def track_ratio(self, lossy: str) -> float:
        advice = self._run(lossy)
        picks = [v.pick.measure.ratio for v in advice.variables.values()]
        return sum(picks) / len(picks)

    track_ratio.unit = "ratio"
