"""How a table is read: the access patterns of the Parquet advice, as values. Pure.

The parser of what users type (``time-range:days=7``, ``key:column=station``,
``scan:columns=cape,blh``, ``groupby:by=station``, ``append:every=1D``, each with an optional
``weight=W``) lives beside this in the planning core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TablePatternKind = Literal["time-range", "key", "scan", "groupby", "append"]


@dataclass(frozen=True, slots=True)
class TablePattern:
    """One way a table is read, with its weight among the user's patterns.

    - ``time-range``: every row in ``days`` consecutive days (all columns, or ``columns``).
    - ``key``: one key's rows (``column``, default the table's key column, e.g. one station).
    - ``scan``: every row of ``columns`` (empty: all columns).
    - ``groupby``: every row, grouped by ``by`` (default the key column), of ``columns``.
    - ``append``: new rows arrive every ``every`` (a pandas frequency such as ``1D``, ``1h``).
    """

    kind: TablePatternKind
    weight: float = 1.0
    days: float | None = None
    column: str | None = None
    columns: tuple[str, ...] = ()
    by: str | None = None
    every: str | None = None
