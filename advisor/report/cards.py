"""Recommendation cards: the advisor's output for each catalog dataset and the common patterns.

A card reads a store's metadata only (no data) and never generates data: an
entry whose store is missing gets a card naming the command that makes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.plan.errors import AdvisorError
from advisor.store.locations import Where

if TYPE_CHECKING:
    from advisor.plan.policy.results import Recommendation

logger = logging.getLogger(__name__)

CARD_PATTERNS: tuple[str, ...] = ("point-series", "map", "ml-batch")
"""The common patterns a card answers for, one by one and as an equally weighted mix."""

SHOWN_ATTRS: tuple[str, ...] = ("title", "institution", "source", "history", "comment")
"""Dataset attributes a card shows up front (all of them are in its details)."""


@dataclass(frozen=True, slots=True)
class VariableInfo:
    """A data variable as its attributes describe it."""

    name: str
    long_name: str = ""
    units: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """One catalog entry: its metadata and the advisor's recommendation, or why there is none."""

    entry: str
    description: str
    path: str
    attrs: tuple[tuple[str, str], ...] = ()
    variables: tuple[VariableInfo, ...] = ()
    recommendation: Recommendation | None = None
    make_command: str | None = None
    """The command that creates the missing store (no recommendation then)."""
    error: str | None = None
    """Why the store could not be read or advised on (one line)."""


def card_for_store(
    name: str,
    path: str | Where,
    description: str = "",
    patterns: Sequence[str] = CARD_PATTERNS,
) -> Card:
    """Read the metadata of the Zarr store at ``path`` and ask the advisor about ``patterns``.

    A store that cannot be opened, or that the advisor rejects, gives a card
    with :attr:`Card.error` set instead of an exception.
    """
    from advisor.plan.policy.recommend import recommend
    from advisor.run.workloads import open_for_reads
    from advisor.store.metadata import schema_from_dataset

    try:
        ds = open_for_reads(path)
    except Exception as exc:  # zarr and xarray raise many types for a non-store
        return Card(name, description, str(path), error=f"cannot open the store: {exc}")
    with ds:
        attrs = tuple((str(k), str(v)) for k, v in ds.attrs.items())
        variables = tuple(
            VariableInfo(
                str(v),
                str(ds[v].attrs.get("long_name", "")),
                str(ds[v].attrs.get("units", "")),
            )
            for v in ds.data_vars
        )
        try:
            schema = schema_from_dataset(ds, name=name)
            rec = recommend(schema, list(patterns))
        except AdvisorError as exc:
            return Card(name, description, str(path), attrs, variables, error=str(exc))
    logger.debug("card %s: chunks %s", name, rec.chunks)
    return Card(name, description, str(path), attrs, variables, rec)


def catalog_cards(catalog: str | Path | None = None) -> list[Card]:
    """One card per entry of the catalog (``None``: the default catalog), in name order."""
    from advisor.store.catalog import entry_names, get_entry

    cards = []
    for name in entry_names(catalog):
        entry = get_entry(name, catalog)
        if entry.exists:
            cards.append(card_for_store(name, entry.path, entry.description))
        elif entry.sample_year is not None:
            cards.append(
                Card(name, entry.description, str(entry.path), make_command=entry.make_command())
            )
        else:
            cards.append(
                Card(name, entry.description, str(entry.path), error="the store does not exist")
            )
    return cards
