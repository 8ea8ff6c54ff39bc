"""Query handlers: search, count and COQL.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/search-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/module_record_count.html and
https://www.zoho.com/crm/developer/docs/api/v8/Get-Records-through-COQL-Query.html.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog, coql, coql_run
from zoho_emulator.crm.calls import (
    FLAG_VALUES,
    MAX_PER_PAGE,
    call,
    choice,
    fields_param,
    int_param,
    json_body,
    module_access,
    module_call,
)
from zoho_emulator.crm.criteria import search_predicate
from zoho_emulator.crm.store import Filters, ModuleStore
from zoho_emulator.errors import CrmError, crm_invalid_param, crm_missing_param

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.crm.org import CrmOrg

#: Search reaches only the first 2,000 records.
SEARCH_LIMIT = 2_000
_LIMIT_CLAUSE = re.compile(r"\s+limit\s+[\d\s,]+(offset\s+\d+\s*)?;?$", re.IGNORECASE)


def _searchable(org: CrmOrg, store: ModuleStore, request: Request) -> list[int]:
    """Records matching a search's criteria/email/phone/word, in id order, newest first."""
    predicate = search_predicate(request.query_params, store.module)
    filters = Filters(
        converted=choice(request, "converted", "false", FLAG_VALUES),
        approved=choice(request, "approved", "true", FLAG_VALUES),
    )
    lag = org.settings.search_lag_seconds
    terms = tuple(
        (name, request.query_params.get(name)) for name in ("criteria", "email", "phone", "word")
    )

    def scan() -> list[int]:
        fresh_after = timefmt.now() - lag
        return [
            index
            for index in store.select("id", descending=True, filters=filters)
            # Zoho's search index lags behind writes (its Search Records page says so).
            if not (lag and store.written_at.get(index, 0.0) > fresh_after)
            and predicate(functools.partial(store.get, index))
        ]

    if lag:
        return scan()  # what is visible changes with the clock, not only with writes
    return store.cached_query(("search", terms, filters), scan)


async def search_records(request: Request) -> Response:
    """``GET /{module}/search``: at most 2,000 records reachable."""
    emulator, store = module_call(request, "READ", "ZohoSearch.securesearch.READ")
    fields = fields_param(store.module, request.query_params.get("fields"), required=False)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**9)
    if page * per_page > SEARCH_LIMIT:
        raise CrmError(
            400,
            "LIMIT_REACHED",
            f"search can fetch only the first {SEARCH_LIMIT} records",
            {"limit": SEARCH_LIMIT},
        )
    matched = _searchable(emulator.crm, store, request)
    emulator.traffic.charge(request, 1)
    chosen = matched[(page - 1) * per_page : page * per_page]
    if not chosen:
        return Response(status_code=204)
    org = emulator.crm
    rows = [store.record(index, fields, detail=False, names=org.current_name) for index in chosen]
    info = {
        "per_page": per_page,
        "count": len(rows),
        "page": page,
        "more_records": page * per_page < len(matched),
    }
    return JSONResponse({"data": rows, "info": info})


async def count_records(request: Request) -> Response:
    """``GET /{module}/actions/count``."""
    emulator, store = module_call(request, "READ", "ZohoSearch.securesearch.READ")
    params = request.query_params
    if "cvid" in params:
        raise crm_invalid_param("cvid", "the custom view id given seems to be invalid")
    emulator.traffic.charge(request, 1)
    if any(name in params for name in ("criteria", "email", "phone", "word")):
        total = len(_searchable(emulator.crm, store, request))
    else:
        filters = Filters(
            converted=choice(request, "converted", "false", FLAG_VALUES),
            approved=choice(request, "approved", "true", FLAG_VALUES),
        )
        total = len(store.select("id", descending=True, filters=filters))
    return JSONResponse({"count": total})


async def coql_query(request: Request) -> Response:
    """``POST /coql``."""
    emulator = call(request, "ZohoCRM.coql.READ")
    body = await json_body(request)
    text = body.get("select_query")
    if not isinstance(text, str) or not text.strip():
        raise crm_missing_param("select_query")
    query = coql.parse_coql(text)
    org = emulator.crm
    store = org.store(query.module.api_name)
    module_access(request, store.module, "READ")
    emulator.traffic.charge(request, query.credits)
    resolve = org.resolve_lookup
    # Pages of one query differ only in their trailing LIMIT/OFFSET clause.
    unpaged = _LIMIT_CLAUSE.sub("", text.strip())
    found = store.cached_query(("coql", unpaged), lambda: coql_run.matches(store, query, resolve))
    chosen, more = found.page(query.offset, query.limit)
    if not chosen:
        return Response(status_code=204)
    rows = [
        coql.row(
            query,
            catalog.record_id(store.module.code, index),
            functools.partial(store.get, index),
            resolve,
        )
        for index in chosen
    ]
    return JSONResponse({"data": rows, "info": {"count": len(rows), "more_records": more}})
