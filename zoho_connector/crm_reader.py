"""Reading every record of a CRM module, page by page, past every Zoho limit.

- Get Records takes at most 50 fields: the first chunk of fields drives the paging and the
  other chunks are fetched for the same ids (page tokens are bound to ``fields``, so chunks
  cannot share a token; zoho-crm-api.md §18).
- Page numbers stop at 2,000 records; page tokens go on to 100,000 (§2). Sorted by
  Modified_Time, a read carries on past that with a new token chain from the last
  Modified_Time seen (If-Modified-Since one second earlier), skipping the records of that
  second it already gave: no gap and no duplicate at the seam.
- Filtered reads find the matching ids with COQL, keyed on the sort field and id (no 2,000 or
  100,000 cap, exact comparisons), then fetch the records like any page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from zoho_connector.conditions import Condition, coql_literal, coql_where, query_condition
from zoho_connector.errors import ZohoError
from zoho_connector.formats import crm_datetime, parse_datetime

MAX_FIELDS = 50
MAX_PER_PAGE = 200
MAX_IDS = 100
TOKEN_REACH = 100_000
COQL_PAGE = 2000
SORT_FIELDS = ("id", "Modified_Time", "Created_Time")

#: One API call: (method, path, params, json, headers) -> Zoho's body or None.
Call = Callable[..., dict[str, Any] | None]


@dataclasses.dataclass
class PageRead:
    """What to read from one module.

    Attributes:
        module: The module's API name.
        fields: The fields to return (id is always returned).
        order_by: ``id``, ``Modified_Time`` or ``Created_Time``, ascending.
        since: Only records modified after this ISO datetime (If-Modified-Since).
        filter: Conditions from :func:`~zoho_connector.conditions.query_condition`.
        per_page: Records per Get Records call (at most 200).
        converted: Zoho's ``converted`` (Leads): ``both`` reads converted Leads too.
        approved: Zoho's ``approved``: ``both`` reads records awaiting approval too.
    """

    module: str
    fields: Sequence[str]
    order_by: str = "id"
    since: str | None = None
    filter: Sequence[Condition] = ()
    per_page: int = MAX_PER_PAGE
    converted: str = "both"
    approved: str = "both"

    def chunks(self) -> list[list[str]]:
        """Fields in groups of at most 50, the sort field in the first."""
        fields = [name for name in dict.fromkeys(self.fields) if name != "id"]
        if self.order_by != "id" and self.order_by in fields:
            fields.remove(self.order_by)
        first_size = MAX_FIELDS - (self.order_by != "id")
        first = ([self.order_by] if self.order_by != "id" else []) + fields[:first_size]
        rest = fields[first_size:]
        # Get Records wants at least one field; ``id`` is one it takes (and always returns).
        return [first or ["id"]] + [
            rest[i : i + MAX_FIELDS] for i in range(0, len(rest), MAX_FIELDS)
        ]


def read_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    """Pages of complete records, in the read's order (see the module docstring)."""
    if read.filter:
        yield from _filtered_pages(call, read)
    else:
        yield from _sorted_pages(call, read)


def _sorted_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    chunks = read.chunks()
    base = {
        "fields": ",".join(chunks[0]),
        "sort_by": read.order_by,
        "sort_order": "asc",
        "per_page": read.per_page,
        "converted": read.converted,
        "approved": read.approved,
    }
    since = read.since
    seen_at_seam: set[str] = set()
    seam: str | None = None
    while True:  # one token chain; a new one past 100,000 records
        params: dict[str, Any] = dict(base)
        headers = {"If-Modified-Since": crm_datetime(since)} if since else None
        chain = 0
        last_time: str | None = None
        ids_at_last: set[str] = set()
        while True:
            body = call("GET", read.module, params=params, headers=headers)
            records = (body or {}).get("data") or []
            fresh = [
                record
                for record in records
                if record.get(read.order_by) != seam or record["id"] not in seen_at_seam
            ]
            if fresh:
                yield _complete(call, read, fresh, chunks[1:])
            chain += len(records)
            for record in records:
                stamp = record.get(read.order_by)
                if stamp != last_time:
                    last_time, ids_at_last = stamp, set()
                ids_at_last.add(record["id"])
            info = (body or {}).get("info") or {}
            if not info.get("more_records"):
                return
            if chain >= TOKEN_REACH:
                break
            params = {**base, "page_token": info["next_page_token"]}
        if read.order_by != "Modified_Time" or last_time is None:
            msg = (
                f"{read.module} has more than {TOKEN_REACH} records; Zoho's page tokens stop "
                "there. Read it ordered by Modified_Time to go on past them"
            )
            raise ZohoError("PAGINATION_LIMIT_EXCEEDED", msg)
        if last_time == seam:
            msg = f"more than {TOKEN_REACH} records of {read.module} share one Modified_Time"
            raise ZohoError("PAGINATION_LIMIT_EXCEEDED", msg)
        # If-Modified-Since means "after": one second earlier takes in the whole last second.
        moment = parse_datetime(last_time)
        since = crm_datetime(moment - dt.timedelta(seconds=1))
        seam, seen_at_seam = last_time, ids_at_last


def _filtered_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    if read.since:  # COQL has no If-Modified-Since: the same bound as one more condition
        after = query_condition("Modified_Time", ">", read.since, "datetime", utc=False)
        read = dataclasses.replace(read, filter=[*read.filter, *after])
    for ids in matching_ids(call, read):
        for start in range(0, len(ids), read.per_page):
            yield records_by_ids(call, read, ids[start : start + read.per_page])


def matching_ids(call: Call, read: PageRead) -> Iterator[list[str]]:
    """Ids of the records the read's filter matches, in the read's order (ties by id).

    COQL keyed on the sort field and id: no 2,000 or 100,000 cap, and no gap or duplicate
    however many records share a sort value.
    """
    where = coql_where(list(read.filter))
    order = read.order_by
    columns = "id" if order == "id" else f"id, {order}"
    sort = "id asc" if order == "id" else f"{order} asc, id asc"
    after = ""
    while True:
        clause = where if not after else f"({where}) and ({after})"
        query = (
            f"select {columns} from {read.module} where {clause} order by {sort} limit {COQL_PAGE}"
        )
        body = call("POST", "coql", json={"select_query": query}, idempotent=True)
        rows = (body or {}).get("data") or []
        if rows:
            yield [row["id"] for row in rows]
        if not rows or not (body or {}).get("info", {}).get("more_records"):
            return
        after = _after(order, rows[-1])


def _after(order: str, last: dict[str, Any]) -> str:
    """The COQL condition of the records after ``last`` in (order, id) order."""
    after_id = f"id > {last['id']}"
    if order == "id":
        return after_id
    value = last.get(order)
    if value is None:  # empty values sort first
        return f"(({order} is null) and ({after_id})) or ({order} is not null)"
    literal = coql_literal(str(value))
    return f"({order} > {literal}) or (({order} = {literal}) and ({after_id}))"


def records_by_ids(call: Call, read: PageRead, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Complete records of ``ids`` (every chunk of the read's fields), in the order of ``ids``."""
    chunks = read.chunks()
    return _complete(call, read, _by_ids(call, read, ids, chunks[0]), chunks[1:])


def _by_ids(
    call: Call, read: PageRead, ids: Sequence[str], fields: Sequence[str]
) -> list[dict[str, Any]]:
    """Records of ``ids`` with ``fields``, at most 100 ids a call, in the order of ``ids``."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), MAX_IDS):
        params = {
            "ids": ",".join(ids[start : start + MAX_IDS]),
            "fields": ",".join(fields),
            "converted": read.converted,
            "approved": read.approved,
            "per_page": MAX_PER_PAGE,
        }
        body = call("GET", read.module, params=params)
        for record in (body or {}).get("data") or []:
            found[record["id"]] = record
    return [found[record_id] for record_id in ids if record_id in found]


def _complete(
    call: Call, read: PageRead, records: list[dict[str, Any]], chunks: Sequence[Sequence[str]]
) -> list[dict[str, Any]]:
    """Records with the fields of every further chunk merged in by id."""
    if not chunks:
        return records
    merged = {record["id"]: dict(record) for record in records}
    ids = list(merged)
    for fields in chunks:
        for extra in _by_ids(call, read, ids, fields):
            merged[extra["id"]].update(extra)
    return [merged[record_id] for record_id in ids]
