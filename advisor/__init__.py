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
    from advisor.api.recommend import recommend
    from advisor.plan.patterns import Pattern
    from advisor.plan.policy.results import Recommendation
    from advisor.plan.profile import StorageProfile
    from advisor.plan.schema import Schema

__all__ = [
    "AdvisorError",
    "Pattern",
    "Recommendation",
    "Schema",
    "StorageProfile",
    "__version__",
    "recommend",
]
__version__ = "0.1.0"

_LAZY = {
    "recommend": "advisor.api.recommend",
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
