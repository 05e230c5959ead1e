"""The rates the cost model's seconds are linear in: one per profile constant it uses.

Every price (:func:`~advisor.plan.cost.scores.score`, :mod:`~advisor.plan.cost.appends`) is
``terms @ rates(profile)``; :mod:`advisor.plan.fit` fits the rates to measurements.
"""

from __future__ import annotations

import numpy as np

from advisor.plan.profile import StorageProfile

TERMS: tuple[str, ...] = (
    "request_overhead",
    "latency",
    "bandwidth",
    "decode_speed",
    "task_overhead",
    "combine_speed",
    "compute_overhead",
    "reduce_speed",
    "group_overhead",
    "block_speed",
)
"""The profile constants the seconds are linear in (speeds through their inverse)."""


def rates(profile: StorageProfile) -> np.ndarray:
    """Seconds per unit of each of :data:`TERMS`: overheads as they are, speeds inverted.

    Examples
    --------
    >>> rates(StorageProfile(bandwidth=2e9)).tolist()[:3]
    [0.00025, 0.0001, 5e-10]
    """
    return np.array(
        [
            profile.request_overhead,
            profile.latency,
            1 / profile.bandwidth,
            1 / profile.decode_speed,
            profile.task_overhead,
            1 / profile.combine_speed,
            profile.compute_overhead,
            1 / profile.reduce_speed,
            profile.group_overhead,
            1 / profile.block_speed,
        ]
    )
