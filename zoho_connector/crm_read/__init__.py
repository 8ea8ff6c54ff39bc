"""Reading CRM records at Zoho's floor: one read, three ways to serve it.

- ``rest`` (:mod:`~zoho_connector.crm_read.rest`): Get Records, 200 records and 50 fields a
  call, for what COQL and Bulk Read cannot return.
- ``coql`` (:mod:`~zoho_connector.crm_read.coql`): 2,000 records and 50 columns a call for
  3 credits, several calls in flight.
- ``bulk`` (:mod:`~zoho_connector.crm_read.bulk`): Bulk Read jobs of up to 200,000 records
  for 50 credits each.

Every way yields the same records, shaped as Get Records returns them, and skips none when
others change during the read. ``auto`` picks Bulk Read for a full read of a module of more
than ``bulk_threshold`` records when it costs fewer credits than COQL, COQL for the rest,
and Get Records where a selected field has a type the other two cannot return
(:func:`zoho_connector.fields.queryable`).
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import TYPE_CHECKING

from zoho_connector import fields as zoho_fields
from zoho_connector.crm_read import bulk, coql
from zoho_connector.crm_read.request import (
    MAX_PER_PAGE,
    MODIFIED_TIME,
    REFUSED,
    SORT_FIELDS,
    PageRead,
)
from zoho_connector.crm_read.values import columns
from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

_log = logging.getLogger("zoho_connector")

__all__ = [
    "MAX_PER_PAGE",
    "MODIFIED_TIME",
    "REFUSED",
    "SORT_FIELDS",
    "PageRead",
    "Plan",
    "Strategy",
    "choose",
    "served",
]

#: Bulk Read serves no Notes, Attachments or Emails
#: (https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html).
NO_BULK_MODULES = frozenset({"Notes", "Attachments", "Emails"})
#: The most fields one Bulk Read job exports (as CData and AWS Glue document it).
MAX_BULK_COLUMNS = 200
#: Records above which ``auto`` reads a whole module with Bulk Read (see README's figures).
BULK_THRESHOLD = 10_000


class Strategy(enum.StrEnum):
    """How a read is served."""

    AUTO = "auto"
    REST = "rest"
    COQL = "coql"
    BULK = "bulk"


@dataclasses.dataclass(frozen=True)
class Plan:
    """The way chosen for a read, and why.

    Attributes:
        strategy: ``rest``, ``coql`` or ``bulk``.
        reason: Why, in words, for the log.
        total: The module's record count, when it was asked for.
    """

    strategy: Strategy
    reason: str
    total: int | None = None


def choose(
    requested: Strategy | str,
    read: PageRead,
    *,
    full: bool,
    count: Callable[[], int | None],
    threshold: int = BULK_THRESHOLD,
    ordered: bool = True,
) -> Plan:
    """The way to serve a read.

    ``bulk`` reads a whole module by Bulk Read whatever its size; an incremental read (a
    bookmark, a filter) goes by COQL, which Bulk Read only costs more for.

    Args:
        requested: ``auto``, or the way the user asked for.
        read: What to read.
        full: Whether the read is of the whole module since the beginning (no bookmark).
        count: The module's record count (one call; asked only when ``auto`` may pick
            Bulk Read); None when Zoho will not tell.
        threshold: Records above which ``auto`` picks Bulk Read for a full read, when it
            costs fewer credits than COQL would (a job ~60; COQL 3 a call of 2,000 records
            for each chunk of 50 columns).
        ordered: Whether the caller needs the records in order (Bulk Read's are not).
    """
    wanted = Strategy(requested)
    coql_gap = _not_queryable(read)
    if coql_gap:
        return Plan(Strategy.REST, f"COQL and Bulk Read cannot return {coql_gap}")
    if wanted == Strategy.BULK:
        return _asked_bulk(read, full=full)
    if wanted != Strategy.AUTO:
        return Plan(wanted, "as asked")
    return _automatic(read, full=full, count=count, threshold=threshold, ordered=ordered)


def _asked_bulk(read: PageRead, *, full: bool) -> Plan:
    """Bulk Read as asked, unless it cannot serve the read (then COQL)."""
    bulk_gap = _not_bulk(read)
    if bulk_gap:
        return Plan(Strategy.COQL, f"Bulk Read cannot serve it: {bulk_gap}")
    if not full:
        return Plan(Strategy.COQL, "an incremental read")
    return Plan(Strategy.BULK, "as asked")


def _automatic(
    read: PageRead, *, full: bool, count: Callable[[], int | None], threshold: int, ordered: bool
) -> Plan:
    """``auto``: COQL, unless a full read of many records costs fewer credits by Bulk Read."""
    obstacles = (
        (not full, "an incremental read"),
        (bool(read.filter), "a filtered read"),
        (ordered, "records wanted in order"),
    )
    obstacle = next((reason for applies, reason in obstacles if applies), "") or _not_bulk(read)
    if obstacle:
        return Plan(Strategy.COQL, obstacle)
    total = count()
    if total is None:
        return Plan(Strategy.COQL, "no count of the module to choose Bulk Read by")
    by_bulk = bulk.read_credits(total)
    by_coql = coql.read_credits(columns(read), read.order_by, total)
    costs = f"about {by_bulk:,} credits by Bulk Read, {by_coql:,} by COQL"
    cheaper = Strategy.BULK if total > threshold and by_bulk < by_coql else Strategy.COQL
    return Plan(cheaper, f"a full read of {total:,} records, {costs}", total)


def _not_queryable(read: PageRead) -> str:
    names = [
        name
        for name in read.listed_fields
        if not zoho_fields.queryable({**read.field(name), "api_name": name})
    ]
    return ", ".join(names)


def _not_bulk(read: PageRead) -> str:
    if read.module in NO_BULK_MODULES:
        return f"Bulk Read does not export {read.module}"
    if len(columns(read)) + 1 > MAX_BULK_COLUMNS:
        return f"more than {MAX_BULK_COLUMNS} columns"
    return ""


#: The ways to fall back to when Zoho refuses one.
FALLBACKS: dict[Strategy, tuple[Strategy, ...]] = {
    Strategy.BULK: (Strategy.BULK, Strategy.COQL, Strategy.REST),
    Strategy.COQL: (Strategy.COQL, Strategy.REST),
    Strategy.REST: (Strategy.REST,),
}


def served(
    ways: Sequence[Strategy],
    pages_by: Callable[[Strategy], Iterator[list[dict[str, Any]]]],
    module: str,
    on_fallback: Callable[[Strategy], None] = lambda _: None,
) -> Iterator[list[dict[str, Any]]]:
    """The pages of the first way Zoho does not refuse (at its first call; see REFUSED).

    Raises:
        ZohoError: The last way's refusal, or any other error.
    """
    for position, way in enumerate(ways):
        pages = pages_by(way)
        try:
            first = next(pages, None)
        except ZohoError as error:
            if position == len(ways) - 1 or error.code not in REFUSED:
                raise
            following = ways[position + 1]
            _log.warning(
                "%s: Zoho refuses to serve the read by %s (%s); reading by %s",
                module,
                way.value,
                error,
                following.value,
            )
            on_fallback(following)
            continue
        if first is not None:
            yield first
            yield from pages
        return
