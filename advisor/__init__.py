"""chunk-advisor: pattern-aware chunking and compression advice for Zarr arrays.

Heavy libraries (xarray, dask) are imported lazily so that planning from a
bare shape stays fast; the public API below is loaded on first use.

>>> import advisor
>>> rec = advisor.recommend(advisor.Schema(("time", "x"), (1000, 50), 4), ["point-series"])
>>> rec.chunks
{'time': 1000, 'x': 50}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from advisor.api.append import append
    from advisor.api.apply import apply
    from advisor.api.calibrate import calibrate
    from advisor.api.recommend import recommend
    from advisor.api.validate import validate
    from advisor.plan.fit import Calibration
    from advisor.plan.patterns import Pattern
    from advisor.plan.policy.results import Recommendation
    from advisor.plan.profile import StorageProfile
    from advisor.plan.schema import Schema
    from advisor.plan.validation import Validation

__all__ = [
    "AdvisorError",
    "Calibration",
    "Pattern",
    "Recommendation",
    "Schema",
    "StorageProfile",
    "Validation",
    "__version__",
    "append",
    "apply",
    "calibrate",
    "recommend",
    "validate",
]
__version__ = "0.1.0"

_LAZY = {
    "append": "advisor.api.append",
    "apply": "advisor.api.apply",
    "calibrate": "advisor.api.calibrate",
    "recommend": "advisor.api.recommend",
    "validate": "advisor.api.validate",
    "Calibration": "advisor.plan.fit",
    "Validation": "advisor.plan.validation",
    "Recommendation": "advisor.plan.policy.results",
    "Schema": "advisor.plan.schema",
    "Pattern": "advisor.plan.patterns",
    "StorageProfile": "advisor.plan.profile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
