"""Record handlers: Get Records, single records, insert, update, upsert, delete, deleted.

Sources: Zoho's pages of these APIs,
https://www.zoho.com/crm/developer/docs/api/v8/get-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/update-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/upsert-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/delete-records.html and
https://www.zoho.com/crm/developer/docs/api/v8/get-deleted-records.html.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from zoho_emulator.crm import catalog
from zoho_emulator.crm.calls import (
    FLAG_VALUES,
    MAX_PER_PAGE,
    call,
    choice,
    fields_param,
    ids_param,
    int_param,
    json_body,
    modified_since,
    module_call,
    no_content,
)
from zoho_emulator.crm.store import SORT_FIELDS, Filters, ModuleStore
from zoho_emulator.crm.writes import Writer, check_batch, check_triggers
from zoho_emulator.errors import CrmError, crm_invalid_param, crm_missing_param
from zoho_emulator.traffic import credits_for_records

if TYPE_CHECKING:
    from starlette.requests import Request


#: Page numbers reach only the first 2,000 records; page tokens reach 100,000 (Get Records).
DISCRETE_LIMIT = 2_000
TOKEN_LIMIT = 100_000


async def list_records(request: Request) -> Response:
    """``GET /{module}``: Get Records."""
    emulator, store = module_call(request, "READ")
    org, module, params = emulator.crm, store.module, request.query_params
    fields = fields_param(module, params.get("fields"), required=True)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**9)
    token = params.get("page_token")
    if token is not None and "page" in params:
        raise CrmError(
            400,
            "AMBIGUITY_DURING_PROCESSING",
            "page and page_token cannot be given together",
            {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
        )
    sortable = [name for name in SORT_FIELDS if name == "id" or name in module.field_map]
    sort_by = choice(request, "sort_by", "id", sortable)
    descending = choice(request, "sort_order", "desc", ("asc", "desc")) == "desc"
    if "cvid" in params:
        raise crm_invalid_param("cvid", "the custom view id given seems to be invalid")
    since = modified_since(request)
    filters = Filters(
        converted=choice(request, "converted", "false", FLAG_VALUES),
        approved=choice(request, "approved", "true", FLAG_VALUES),
        modified_since=since,
    )
    emulator.traffic.charge(request, 1)
    selection = store.select(sort_by, descending=descending, filters=filters)
    ids = ids_param(request)
    if ids is not None:
        wanted = {catalog.parse_id(value) for value in ids}
        selection = [index for index in selection if (module.code, index) in wanted]
    query = (
        module.api_name,
        tuple(sorted((k, v) for k, v in params.multi_items() if k not in ("page", "page_token"))),
        request.headers.get("If-Modified-Since"),
    )
    if token is not None:
        offset = org.redeem_page_token(token, query)
        if offset >= TOKEN_LIMIT:
            raise CrmError(
                400,
                "PAGINATION_LIMIT_EXCEEDED",
                f"records beyond {TOKEN_LIMIT} cannot be fetched",
                {"limit": TOKEN_LIMIT},
            )
    else:
        if page * per_page > DISCRETE_LIMIT:
            raise CrmError(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                f"records beyond {DISCRETE_LIMIT} cannot be fetched with page; use page_token",
                {"limit": DISCRETE_LIMIT},
            )
        offset = (page - 1) * per_page
    chosen = selection[offset : offset + per_page]
    if not chosen:
        return no_content(since)
    more = offset + per_page < len(selection)
    next_token, expiry = org.issue_page_token(query, offset + per_page) if more else (None, None)
    previous = org.issue_page_token(query, offset - per_page)[0] if offset >= per_page else None
    rows = [store.record(index, fields, detail=False, names=org.current_name) for index in chosen]
    info = {
        "call": False,
        "per_page": per_page,
        "next_page_token": next_token,
        "count": len(rows),
        "sort_by": sort_by,
        "page": page,
        "previous_page_token": previous,
        "page_token_expiry": expiry,
        "sort_order": "desc" if descending else "asc",
        "email": False,
        "more_records": more,
    }
    return JSONResponse({"data": rows, "info": info})


async def get_record(request: Request) -> Response:
    """``GET /{module}/{id}``: one record, with subforms and multi-select lookups."""
    emulator, store = module_call(request, "READ")
    fields = fields_param(store.module, request.query_params.get("fields"), required=False)
    emulator.traffic.charge(request, 1)
    index = _record_index(store, request.path_params["record_id"])
    if index is None:
        return Response(status_code=204)
    row = store.record(index, fields, detail=True, names=emulator.crm.current_name)
    return JSONResponse({"data": [row]})


def _record_index(store: ModuleStore, record_id: str) -> int | None:
    if not record_id.isdigit():
        raise CrmError(400, "INVALID_DATA", "the id given seems to be invalid", {"id": record_id})
    parsed = catalog.parse_id(record_id)
    if parsed is None or parsed[0] != store.module.code or not store.exists(parsed[1]):
        return None
    return parsed[1]


def _write_response(results: list[dict[str, Any]], success_status: int) -> JSONResponse:
    """Zoho's status for a write: all good, 207 for a mix, 400 when every record failed."""
    failures = sum(result["status"] == "error" for result in results)
    if failures == len(results):
        status = 400
    elif failures:
        status = 207
    else:
        status = success_status
    return JSONResponse({"data": results}, status)


async def insert_records(request: Request) -> Response:
    """``POST /{module}``: insert up to 100 records."""
    emulator, store = module_call(request, "CREATE")
    body = await json_body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    return _write_response(Writer(emulator.crm, store.module).insert(records), 201)


async def update_records(request: Request) -> Response:
    """``PUT /{module}`` and ``PUT /{module}/{id}``: update records."""
    emulator, store = module_call(request, "UPDATE")
    body = await json_body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    record_id = request.path_params.get("record_id")
    if record_id is not None and len(records) != 1:
        raise CrmError(400, "LIMIT_EXCEEDED", "only one record can be updated by id", {"limit": 1})
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    return _write_response(Writer(emulator.crm, store.module).update(records, record_id), 200)


async def upsert_records(request: Request) -> Response:
    """``POST /{module}/upsert``: update by duplicate-check fields, else insert."""
    emulator, store = module_call(request, "CREATE")
    call(request, f"ZohoCRM.modules.{store.module.api_name.lower()}.UPDATE")
    body = await json_body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    writer = Writer(emulator.crm, store.module)
    return _write_response(writer.upsert(records, body.get("duplicate_check_fields")), 200)


async def delete_records(request: Request) -> Response:
    """``DELETE /{module}?ids=`` and ``DELETE /{module}/{id}``."""
    emulator, store = module_call(request, "DELETE")
    record_id = request.path_params.get("record_id")
    ids = [record_id] if record_id is not None else ids_param(request)
    if not ids:
        raise crm_missing_param("ids")
    emulator.traffic.charge(request, credits_for_records(len(ids), 100))
    return _write_response(Writer(emulator.crm, store.module).delete(ids), 200)


async def deleted_records(request: Request) -> Response:
    """``GET /{module}/deleted``: the recycle bin and permanent deletions."""
    emulator, store = module_call(request, "READ")
    kind = request.query_params.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise CrmError(
            400,
            "PATTERN_NOT_MATCHED",
            "Please check whether the input values are correct",
            {"param_name": "type"},
        )
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**9)
    since = modified_since(request)
    emulator.traffic.charge(request, 1)
    entries = [
        entry
        for entry in store.deleted_entries(emulator.crm.users)
        if (kind == "all" or entry["type"] == kind)
        and (since is None or entry["_deleted_ts"] > since)
    ]
    chosen = entries[(page - 1) * per_page : page * per_page]
    if not chosen:
        return no_content(since)
    rows = [
        {key: value for key, value in entry.items() if key != "_deleted_ts"} for entry in chosen
    ]
    info = {
        "per_page": per_page,
        "count": len(rows),
        "page": page,
        "more_records": page * per_page < len(entries),
    }
    return JSONResponse({"data": rows, "info": info})
