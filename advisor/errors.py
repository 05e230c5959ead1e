"""The one error users see: :class:`AdvisorError` (defined in the pure core, :mod:`advisor.plan.errors`).

Every layer raises it for bad input; the CLI prints its message as one line
and exits with code 2.
"""

from __future__ import annotations

from advisor.plan.errors import AdvisorError

__all__ = ["AdvisorError"]
