"""chunk-advisor: pattern-aware chunking and compression advice for Zarr arrays.

Heavy libraries (xarray, dask) are imported lazily so that planning from a
bare shape stays fast.
"""

from __future__ import annotations

from advisor.errors import AdvisorError

__all__ = ["AdvisorError", "__version__"]
__version__ = "0.1.0"
