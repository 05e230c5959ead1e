"""Advisor: how fast the advice comes.

- :class:`Recommend`: :func:`advisor.plan.policy.recommend.recommend` from a bare
  shape (a year of hourly 121 x 161 float32) and from a catalog entry (the
  sample of this scale: its metadata is read, then planned on);
- :class:`Cli`: the whole ``advisor recommend --shape ...`` process, start-up
  included (the goal: under 1 second);
- :class:`Score`: :func:`advisor.plan.cost.scores.score` of 100,000 candidate chunk shapes
  for every pattern kind (the goal: well under a second).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from .cache import cached, data_dir, sample_store
from .scale import SEED, YEAR, hours, scale
from .suite import Interactive, Suite, rng

SHAPE = "time=8760,latitude=121,longitude=161"
"""The workflow's year: 8760 hours on the 0.25° East Asia grid."""

ENTRY = "era5_2019"
"""The catalog entry the benchmarks plan from (pointing at this scale's sample)."""

ALL_KINDS = (
    "point-series",
    "region-series",
    "map",
    "ml-batch",
    "resample",
    "climatology",
    "full-scan",
)

CANDIDATES = 100_000


CATALOG = """\
# intake catalog of the benchmarks: {entry} is the hourly sample of the {scale} scale.
metadata: {{version: 1}}
sources:
  {entry}:
    description: ERA5-like hourly sample, 2019, {hours} hours (cape, cin, k_index, blh)
    driver: zarr
    metadata: {{sample: {{year: {year}, seed: {seed}, hours: {hours}}}}}
    args: {{urlpath: "{path}", consolidated: true}}
"""


def bench_catalog() -> Path:
    """An intake catalog whose entry ``era5_2019`` is this scale's sample store."""
    store = sample_store().resolve()

    def make(tmp: Path) -> None:
        tmp.mkdir()
        text = CATALOG.format(
            entry=ENTRY, scale=scale(), hours=hours(), year=YEAR, seed=SEED, path=store.as_posix()
        )
        (tmp / "catalog.yaml").write_text(text)

    return cached(data_dir() / "catalog", make) / "catalog.yaml"


class Recommend(Suite):
    """Seconds for a recommendation of the default mix (point series, map, ML batch)."""

    params = (["shape", "catalog"],)
    param_names = ("source",)
    warmup_time = 0.1
    timeout = 120

    def setup_cache(self) -> str:
        return str(bench_catalog())

    def setup(self, catalog: str, source: str) -> None:
        from advisor.plan.policy.recommend import DEFAULT_PATTERNS

        self.patterns = DEFAULT_PATTERNS

    def time_recommend(self, catalog: str, source: str) -> None:
        from advisor.plan.parse import schema_from_shape
        from advisor.plan.policy.recommend import recommend
        from advisor.store.metadata import load_schema

        if source == "shape":
            schema = schema_from_shape(SHAPE, "float32", time_step=3600.0)
        else:
            schema = load_schema(ENTRY, catalog=catalog)
        recommend(schema, self.patterns)


class Cli(Interactive):
    """Seconds for the whole ``advisor recommend --shape ...`` process, start-up included."""

    def time_recommend_shape(self) -> None:
        command = [
            sys.executable,
            "-m",
            "advisor",
            "recommend",
            "--shape",
            SHAPE,
            "--time-step",
            "1h",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")


class Score(Interactive):
    """Seconds to score 100,000 candidate chunk shapes for every pattern kind."""

    warmup_time = 0.1

    def setup(self) -> None:
        from advisor.plan.parse import schema_from_shape

        self.schema = schema_from_shape(SHAPE, "float32", time_step=3600.0)
        draw = rng("score")
        self.candidates = np.stack(
            [draw.integers(1, n + 1, size=CANDIDATES) for n in self.schema.shape], axis=1
        )

    def time_score(self) -> None:
        from advisor.plan.cost.scores import score

        score(self.schema, self.candidates, ALL_KINDS)
