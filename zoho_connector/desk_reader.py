"""Reading Zoho Desk records page by page: searches by modified time, and plain lists.

A read by modified time is a keyset read: every page is a search of ``modifiedTimeRange`` from
the latest modifiedTime given, sorted by modifiedTime, from offset 0, and the ids already given
at that instant are dropped. A record changed or deleted meanwhile shifts nothing (offset
pages skip a record for each one that moves behind them), the search's ``from`` cap (999 in
Zoho's OpenAPI files, 4,999 on some portals by third-party readings of the docs: Zoho is not
clear which holds) is never reached, and every page costs the cheapest credits (by third-party
summaries of Desk's credit table: not confirmed by Zoho). Only a run of more than a page of
records sharing one millisecond is paged by offsets, and read again until a pass finds none of
its records missed. Records changed during the read come again, later in the read. Empty
answers are 204.

Sources: https://desk.zoho.com/DeskAPIDocument (Search, Pagination) and Zoho's OpenAPI files,
https://github.com/zoho/zohodesk-oas (``v1.0/Search.json``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from zoho_connector.errors import ZohoError
from zoho_connector.formats import desk_datetime, parse_datetime

SEARCH_LIMIT = 100
LIST_LIMIT = 100
#: Desk's documented ``from`` cap of one search (the OAS says 999; some portals allow 4,999).
SEARCH_FROM_CAP = 999
#: The start of every full read: before any Desk portal existed.
EPOCH = "2000-01-01T00:00:00.000Z"
_MILLISECOND = dt.timedelta(milliseconds=1)

#: One API call: (method, path, params=..., json=...) -> Zoho's body or None.
Call = Callable[..., dict[str, Any] | None]


@dataclasses.dataclass
class SearchRead:
    """A read of one searchable module by modified time.

    Attributes:
        module: ``tickets``, ``contacts``, ``accounts``, ``tasks``, ``calls`` or ``events``.
        since: Only records modified at or after this instant (None: from the start).
        until: Only records modified at or before this instant (None: now).
        params: Further search parameters (``status``, ``departmentId``...).
        limit: Rows per call (at most 100).
        from_cap: The largest ``from`` the portal accepts.
    """

    module: str
    since: str | None = None
    until: str | None = None
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    limit: int = SEARCH_LIMIT
    from_cap: int = SEARCH_FROM_CAP


def search_pages(call: Call, read: SearchRead) -> Iterator[list[dict[str, Any]]]:
    """Pages of a search, ascending by modifiedTime, read by keyset (see the module docstring).

    Raises:
        ZohoError: More records share one modifiedTime than one search reaches
            (``FROM_CAP_EXCEEDED``), or a row has no modifiedTime.
    """
    key = _Keyset(read, _instant(read.since or EPOCH))
    until = _instant(read.until) if read.until else None
    # A millisecond past ``until``, as the range's start (see _Keyset.search).
    last = until or dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    end = desk_datetime(last + _MILLISECOND)
    while True:
        rows = key.search(call, end)
        ties, later = key.split(rows)
        if key.offset and (later or len(rows) < read.limit):
            ties += key.missed_ties(call, end)
        given = ties + [row for row in later if until is None or _modified(row) <= until]
        if given:
            yield given
        if len(rows) < read.limit:
            return
        key.advance(later)


@dataclasses.dataclass
class _Keyset:
    """Where a keyset read is: its floor, the ids given at it, the offset among its ties.

    Attributes:
        read: The read.
        floor: The latest modifiedTime given (the read's start before any).
        given: Ids of the records given whose modifiedTime is the floor.
        offset: ``from`` of the next page: 0 but inside a run of ties longer than a page.
    """

    read: SearchRead
    floor: dt.datetime
    given: set[str] = dataclasses.field(default_factory=set)
    offset: int = 0

    def search(self, call: Call, end: str, offset: int | None = None) -> list[dict[str, Any]]:
        """One page of records modified at or after the floor.

        Raises:
            ZohoError: The portal refuses the offset (``FROM_CAP_EXCEEDED``).
        """
        # Zoho's Search API page (desk.zoho.com/DeskAPIDocument, "Search Tickets") does not
        # say whether modifiedTimeRange includes its bounds: starting a millisecond early
        # holds the floor's records either way; split() drops those before it.
        since = desk_datetime(self.floor - _MILLISECOND)
        at = self.offset if offset is None else offset
        params = {
            **self.read.params,
            "modifiedTimeRange": f"{since},{end}",
            "sortBy": "modifiedTime",
            "from": at,
            "limit": self.read.limit,
        }
        try:
            return _rows(call("GET", f"{self.read.module}/search", params=params))
        except ZohoError as error:
            if not (at and _refuses_from(error)):
                raise
            self.read.from_cap = at - self.read.limit
            raise self._too_many_ties() from error

    def split(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A page's records at the floor not yet given (now marked given), and those after it."""
        ties = [r for r in rows if _modified(r) == self.floor and r["id"] not in self.given]
        later = [r for r in rows if _modified(r) > self.floor]
        self.given.update(row["id"] for row in ties)
        return ties, later

    def advance(self, later: list[dict[str, Any]]) -> None:
        """Move the floor to a full page's last modifiedTime, or page on among its ties.

        Raises:
            ZohoError: The ties reach past the ``from`` cap (``FROM_CAP_EXCEEDED``).
        """
        if later:
            self.floor = _modified(later[-1])
            self.given = {row["id"] for row in later if _modified(row) == self.floor}
            self.offset = 0
            return
        self.offset += self.read.limit
        if self.offset > self.read.from_cap:
            raise self._too_many_ties()

    def missed_ties(self, call: Call, end: str) -> list[dict[str, Any]]:
        """The floor's records that offset pages missed, read again until none are.

        A tie that changes while its run is paged by offsets leaves the run and shifts the
        others: one of them can fall between two pages.
        """
        missed: list[dict[str, Any]] = []
        while True:
            found: list[dict[str, Any]] = []
            offset = 0
            while True:
                rows = self.search(call, end, offset)
                found += self.split(rows)[0]
                if len(rows) < self.read.limit or _modified(rows[-1]) > self.floor:
                    break
                offset += self.read.limit
            if not found:
                return missed
            missed += found

    def _too_many_ties(self) -> ZohoError:
        read = self.read
        msg = f"more than {read.from_cap} {read.module} share one modifiedTime ({self.floor})"
        return ZohoError("FROM_CAP_EXCEEDED", msg)


def _instant(text: str) -> dt.datetime:
    """A Desk datetime at Desk's precision (milliseconds), for comparing."""
    return parse_datetime(desk_datetime(text))


def _modified(row: Mapping[str, Any]) -> dt.datetime:
    """A search row's modifiedTime.

    Raises:
        ZohoError: The row has none (the read's key).
    """
    value = row.get("modifiedTime")
    if not value:
        msg = f"a Desk search row has no modifiedTime (id {row.get('id')})"
        raise ZohoError("NO_MODIFIED_TIME", msg)
    return _instant(str(value))


def search_matches(
    call: Call, module: str, params: Mapping[str, str], *, from_cap: int = SEARCH_FROM_CAP
) -> Iterator[list[dict[str, Any]]]:
    """Pages of a plain search (no time window), as far as the ``from`` cap reaches.

    Raises:
        ZohoError: More matches than one search can reach.
    """
    offset = 0
    while True:
        query = {**params, "from": offset, "limit": SEARCH_LIMIT}
        rows = _rows(call("GET", f"{module}/search", params=query))
        if rows:
            yield rows
        if len(rows) < SEARCH_LIMIT:
            return
        offset += SEARCH_LIMIT
        if offset > from_cap:
            msg = f"more {module} match {dict(params)} than one Desk search reaches"
            raise ZohoError("FROM_CAP_EXCEEDED", msg)


def _refuses_from(error: ZohoError) -> bool:
    """Desk's 422 for a ``from`` beyond the portal's search cap.

    The message is that of Zoho's OpenAPI example; the exact trigger is not documented by Zoho:
    we assume this one.
    """
    return error.status == 422 and "'from'" in error.message


def list_pages(
    call: Call, path: str, params: Mapping[str, Any] | None = None, limit: int = LIST_LIMIT
) -> Iterator[list[dict[str, Any]]]:
    """Pages of a plain list until a short page or a 204.

    ``from`` counts from 1: Zoho's docs disagree on its base per endpoint, and we assume 1.
    """
    first = 1
    while True:
        rows = _rows(call("GET", path, params={**(params or {}), "from": first, "limit": limit}))
        if rows:
            yield rows
        if len(rows) < limit:
            return
        first += limit


def _rows(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((body or {}).get("data") or [])
