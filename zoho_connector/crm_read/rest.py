"""Reading with Get Records (``GET /{module}``), where COQL and Bulk Read cannot serve.

Page tokens (and page numbers) continue at an offset into the sorted records: a record
updated or deleted while a client pages moves the rest by one, and one record is skipped (not
documented by Zoho: https://www.zoho.com/crm/developer/docs/api/v8/get-records.html describes
page tokens, not how writes move them; we assume offsets). So no read here follows them while
COQL can help:

- Ordered by Modified_Time, each call is the first page of the records modified after the
  last one read (``If-Modified-Since``), asking again for that last second and leaving out
  the records of it already given: a keyset that no update or delete can shift, and that has
  no 2,000 or 100,000 cap. A second holding more records than a page is read by COQL ids.
- Any other order, and filtered reads, find the records' ids with COQL keyed on the order
  and the id, then fetch the records by id.

Without COQL (a token without ``ZohoCRM.coql.READ``), those two fall back to page tokens,
with a warning: records deleted during such a read can shift the pages.

Get Records takes at most 50 fields: the first chunk drives the read and the others, each
with the order field, are fetched for the same ids, 100 ids a call. A record whose
Modified_Time differs between chunks changed meanwhile: it is left out, for the read that
finds it at its new place (the next one, with ``until``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from zoho_connector.conditions import coql_literal, coql_where, query_condition
from zoho_connector.crm_read.request import (
    MAX_FIELDS,
    MODIFIED_TIME,
    REFUSED,
    Call,
    PageRead,
    chunked,
)
from zoho_connector.errors import ZohoError
from zoho_connector.formats import crm_datetime, parse_datetime

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

_log = logging.getLogger("zoho_connector")
MAX_IDS = 100
COQL_PAGE = 2000


def rest_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    """Pages of complete records, in the read's order (see the module docstring)."""
    if read.order_by == MODIFIED_TIME and not read.filter:
        yield from _modified_pages(call, read)
        return
    by_ids = dataclasses.replace(read, filter=read.conditions(), since=None, until=None)
    given = False
    try:
        for ids in matching_ids(call, by_ids):
            for start in range(0, len(ids), read.per_page):
                given = True
                yield records_by_ids(call, read, ids[start : start + read.per_page])
    except ZohoError as error:
        if given or error.code not in REFUSED or read.filter:
            raise
        _log.warning("%s: no COQL (%s); paging Get Records by token", read.module, error)
        yield from _token_pages(call, read)


def _modified_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    chunks = _chunks(read)
    since = read.since
    given: set[tuple[str, str]] = set()  # (id, Modified_Time) given of the second asked again
    while True:
        headers = {"If-Modified-Since": crm_datetime(since)} if since else None
        body = call("GET", read.module, params=_list_params(read, chunks[0]), headers=headers)
        records = (body or {}).get("data") or []
        within = [record for record in records if read.within(record)]
        fresh = [record for record in within if _stamp(record) not in given]
        if fresh:
            yield _complete(call, read, fresh, chunks[1:])
        if len(within) < len(records) or not ((body or {}).get("info") or {}).get("more_records"):
            return
        seconds = {_second(record) for record in records}
        last = max(seconds)
        if len(seconds) == 1:
            # More records share this second than a page holds: read the rest of it by id.
            given |= {_stamp(record) for record in fresh}
            yield from _one_second(call, read, last, {record_id for record_id, _ in given})
            since, given = crm_datetime(last), set()
            continue
        # If-Modified-Since means "after": a second earlier asks for the last second again.
        since = crm_datetime(last - dt.timedelta(seconds=1))
        given = {_stamp(record) for record in records if _second(record) == last}


def _one_second(
    call: Call, read: PageRead, second: dt.datetime, given: set[str]
) -> Iterator[list[dict[str, Any]]]:
    """Every record modified in one second, but those already given, by COQL ids.

    A record changed after its id was listed comes at its new time: it is left for then.
    """
    at = query_condition(MODIFIED_TIME, "=", second, "datetime", utc=False)
    by_id = dataclasses.replace(read, order_by="id", filter=at, since=None, until=None)
    listed = False
    try:
        for ids in matching_ids(call, by_id):
            listed = True
            wanted = [record_id for record_id in ids if record_id not in given]
            for start in range(0, len(wanted), read.per_page):
                records = records_by_ids(call, read, wanted[start : start + read.per_page])
                yield [record for record in records if _second(record) == second]
    except ZohoError as error:
        if listed or error.code not in REFUSED:
            raise
        _log.warning("%s: no COQL (%s); paging one second by token", read.module, error)
        same = dataclasses.replace(read, since=crm_datetime(second - dt.timedelta(seconds=1)))
        for page in _token_pages(call, same):
            tied = [record for record in page if _second(record) == second]
            fresh = [record for record in tied if record["id"] not in given]
            if fresh:
                yield fresh
            if len(tied) < len(page):
                return


def _token_pages(call: Call, read: PageRead) -> Iterator[list[dict[str, Any]]]:
    """Get Records pages by page token: the only way without COQL, and an offset."""
    chunks = _chunks(read)
    params = _list_params(read, chunks[0])
    headers = {"If-Modified-Since": crm_datetime(read.since)} if read.since else None
    while True:
        body = call("GET", read.module, params=params, headers=headers) or {}
        records = [record for record in body.get("data") or [] if read.within(record)]
        if records:
            yield _complete(call, read, records, chunks[1:])
        info = body.get("info") or {}
        if not info.get("more_records") or not info.get("next_page_token"):
            return
        params = {**_list_params(read, chunks[0]), "page_token": info["next_page_token"]}


def _list_params(read: PageRead, fields: Sequence[str]) -> dict[str, Any]:
    return {
        "fields": ",".join(fields),
        "sort_by": read.order_by,
        "sort_order": "asc",
        "per_page": read.per_page,
        "converted": read.converted,
        "approved": read.approved,
    }


def _second(record: dict[str, Any]) -> dt.datetime:
    return parse_datetime(record[MODIFIED_TIME])


def _stamp(record: dict[str, Any]) -> tuple[str, str]:
    return record["id"], str(record.get(MODIFIED_TIME))


def matching_ids(call: Call, read: PageRead) -> Iterator[list[str]]:
    """Ids of the records the read's filter matches, in the read's order (ties by id).

    COQL keyed on the order and id: no 2,000 or 100,000 cap, and nothing skipped or repeated
    however many records share an order value or change meanwhile.
    """
    where = coql_where(list(read.filter)) if read.filter else "id is not null"
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
        after = keyset_after(order, rows[-1])


def keyset_after(order: str, last: dict[str, Any]) -> str:
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
    chunks = _chunks(read)
    return _complete(call, read, _by_ids(call, read, ids, chunks[0]), chunks[1:])


def _chunks(read: PageRead) -> list[list[str]]:
    """The read's listed fields in chunks of 50 as asked; the order field in every chunk.

    Get Records wants at least one field; ``id`` is one it takes (and always returns).
    """
    order = read.order_by
    if order == "id":
        chunks = chunked(read.listed_fields, size=MAX_FIELDS)
        return chunks if chunks[0] else [["id"]]
    names = read.listed_fields
    if order not in names[:MAX_FIELDS]:
        names = [order, *(name for name in names if name != order)]
    first, *rest = chunked(names, size=MAX_FIELDS)
    others = [name for chunk in rest for name in chunk]
    return [first, *([order, *part] for part in chunked(others, size=MAX_FIELDS - 1) if part)]


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
            "per_page": 200,
        }
        body = call("GET", read.module, params=params)
        for record in (body or {}).get("data") or []:
            found[record["id"]] = record
    return [found[record_id] for record_id in ids if record_id in found]


def _complete(
    call: Call, read: PageRead, records: list[dict[str, Any]], chunks: Sequence[Sequence[str]]
) -> list[dict[str, Any]]:
    """Records with the fields of every further chunk merged in by id.

    A record a chunk no longer returns, or returns with another Modified_Time, was deleted
    or changed meanwhile: it is left out (a changed one comes again at its new place).
    """
    if not chunks:
        return records
    order = read.order_by
    merged = {record["id"]: dict(record) for record in records}
    for fields in chunks:
        extras = {extra["id"]: extra for extra in _by_ids(call, read, list(merged), fields)}
        merged = {
            key: {**value, **extras[key]}
            for key, value in merged.items()
            if key in extras and (order == "id" or extras[key].get(order) == value.get(order))
        }
    return list(merged.values())
