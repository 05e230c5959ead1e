"""What the requests of a layout cost on an object store: GETs per access, PUTs to write it.

Priced at list prices per 1,000 requests (:data:`~advisor.plan.requests.GET_PRICE_PER_1000`,
:data:`~advisor.plan.requests.PUT_PRICE_PER_1000`, overridable); only for a profile that is an
object store (:func:`~advisor.plan.requests.is_object_store`): a local disk bills nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.plan.policy.results import Layout
from advisor.plan.schema import Schema

if TYPE_CHECKING:
    from advisor.plan.policy.appends import AppendAdvice


@dataclass(frozen=True, slots=True)
class PatternRequestCost:
    """One pattern's GETs per access and their price."""

    name: str
    requests: float
    get_cost: float
    """US dollars per access (an append's: its GETs and PUTs, each at its price)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "requests": self.requests, "get_cost": self.get_cost}


@dataclass(frozen=True, slots=True)
class RequestCosts:
    """The request bill of a layout on an object store.

    Examples
    --------
    >>> from advisor.plan.policy.recommend import recommend
    >>> from advisor.plan.profile import PRESETS
    >>> s = Schema(("time", "x"), (8760, 1000), 4)
    >>> rec = recommend(s, ["map"], profile=PRESETS["object-store"])
    >>> costs = rec.request_costs
    >>> costs.puts, round(costs.put_cost, 9)  # 4 chunks, the array's and the group's zarr.json
    (6, 3e-05)
    >>> costs.patterns[0].requests, round(costs.patterns[0].get_cost, 12)
    (1.0, 4e-07)
    """

    get_price_per_1000: float
    put_price_per_1000: float
    patterns: tuple[PatternRequestCost, ...]
    objects: int
    """Stored objects of the copy: its chunks, or its shards when sharded (every variable)."""
    metadata_docs: int
    """Metadata documents written: one ``zarr.json`` per variable and the group's."""

    @property
    def puts(self) -> int:
        """PUTs to write the copy: one per stored object and metadata document."""
        return self.objects + self.metadata_docs

    @property
    def put_cost(self) -> float:
        """US dollars for the PUTs of writing the copy."""
        return self.puts * self.put_price_per_1000 / 1000

    def to_dict(self) -> dict[str, Any]:
        return {
            "get_price_per_1000": self.get_price_per_1000,
            "put_price_per_1000": self.put_price_per_1000,
            "patterns": [p.to_dict() for p in self.patterns],
            "objects": self.objects,
            "metadata_docs": self.metadata_docs,
            "puts": self.puts,
            "put_cost": self.put_cost,
        }


def stored_objects(schema: Schema, layout: Layout) -> int:
    """Objects one copy stores: per variable, one per shard (or chunk when unsharded).

    Examples
    --------
    >>> from advisor.plan.policy.results import Layout
    >>> s = Schema(("t", "x"), (10, 10), 4, variables=("a", "b"))
    >>> stored_objects(s, Layout("l", s.dims, (2, 5), 40, 10, True, 1.0, (), (4, 10)))
    6
    """
    per_variable = math.prod(
        -(-n // c) for n, c in zip(schema.shape, layout.stored_shape, strict=True)
    )
    return per_variable * max(1, len(schema.variables))


def request_costs(
    schema: Schema,
    layout: Layout,
    get_price: float,
    put_price: float,
    appends: Sequence[AppendAdvice] = (),
) -> RequestCosts:
    """The GETs per access of ``layout`` for each pattern and the PUTs of writing it, priced
    at ``get_price`` and ``put_price`` US dollars per 1,000 requests; an append's requests
    (``appends``) are its GETs at the GET price and its PUTs at the PUT price."""
    writes = {a.pattern: a.pick for a in appends}

    def price(name: str, requests: float) -> float:
        if name in writes:
            return (writes[name].gets * get_price + writes[name].puts * put_price) / 1000
        return requests * get_price / 1000

    return RequestCosts(
        get_price_per_1000=get_price,
        put_price_per_1000=put_price,
        patterns=tuple(
            PatternRequestCost(c.name, c.requests, price(c.name, c.requests)) for c in layout.costs
        ),
        objects=stored_objects(schema, layout),
        metadata_docs=max(1, len(schema.variables)) + 1,
    )
