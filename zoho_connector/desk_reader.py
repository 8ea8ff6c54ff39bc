"""Reading Zoho Desk records page by page: searches by modified time, and plain lists.

Desk search reaches only ``from`` ≤ 999 (some portals 4,999) in one query (zoho-desk-api.md
§3.1), so a long read is a series of windows of ``modifiedTimeRange``, sorted by modifiedTime:
when a window runs into the ``from`` cap, the next one starts at the last modifiedTime seen
(bounds are inclusive), skipping the records of that millisecond already given. Nothing is lost
at a window edge and nothing comes twice. Empty answers are 204 (§2.1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from zoho_connector.errors import ZohoError
from zoho_connector.formats import desk_datetime

SEARCH_LIMIT = 100
LIST_LIMIT = 100
#: Desk's documented ``from`` cap of one search (the OAS says 999; some portals allow 4,999).
SEARCH_FROM_CAP = 999
#: The start of every full read: before any Desk portal existed.
EPOCH = "2000-01-01T00:00:00.000Z"

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
    """Pages of a search, ascending by modifiedTime, in windows (see the module docstring)."""
    start = desk_datetime(read.since) if read.since else EPOCH
    end = desk_datetime(read.until or dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    edge: str | None = None
    given_at_edge: set[str] = set()
    while True:  # one window
        offset = 0
        last: str | None = None
        ids_at_last: set[str] = set()
        while True:  # one page of the window
            params = {
                **read.params,
                "modifiedTimeRange": f"{start},{end}",
                "sortBy": "modifiedTime",
                "from": offset,
                "limit": read.limit,
            }
            try:
                rows = _rows(call("GET", f"{read.module}/search", params=params))
            except ZohoError as error:
                if not (offset and _refuses_from(error)):
                    raise
                # The portal's cap is lower than assumed: this window ends here; remember it.
                read.from_cap = offset - read.limit
                break
            fresh = [
                row
                for row in rows
                if row.get("modifiedTime") != edge or row["id"] not in given_at_edge
            ]
            if fresh:
                yield fresh
            for row in rows:
                if row.get("modifiedTime") != last:
                    last, ids_at_last = row.get("modifiedTime"), set()
                ids_at_last.add(row["id"])
            if len(rows) < read.limit:
                return
            offset += read.limit
            if offset > read.from_cap:
                break
        if last is None or last == edge:
            msg = f"more than {read.from_cap} {read.module} share one modifiedTime ({last})"
            raise ZohoError("FROM_CAP_EXCEEDED", msg)
        start, edge, given_at_edge = last, last, ids_at_last


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
    """Desk's 422 for a ``from`` beyond the portal's search cap (§10.2)."""
    return error.status == 422 and "'from'" in error.message


def list_pages(
    call: Call, path: str, params: Mapping[str, Any] | None = None, limit: int = LIST_LIMIT
) -> Iterator[list[dict[str, Any]]]:
    """Pages of a plain list (``from`` counts from 1, §2.2) until a short page or a 204."""
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
