"""CRM HTTP handlers: records, search, COQL, count, deleted records, metadata, users, org."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zoho_emulator import timefmt
from zoho_emulator.context import emulator_of
from zoho_emulator.crm import catalog, coql, metadata
from zoho_emulator.crm.criteria import search_predicate
from zoho_emulator.crm.store import SORT_FIELDS, Filters, ModuleStore
from zoho_emulator.crm.writes import Writer, check_batch, check_triggers
from zoho_emulator.errors import CrmError, crm_invalid_param
from zoho_emulator.oauth import AuthError, has_scope
from zoho_emulator.traffic import credits_for_records

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.requests import Request

    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.emulator import Emulator

VERSIONS = frozenset({"v7", "v8"})
MAX_FIELDS = 50
MAX_PER_PAGE = 200
#: Page numbers reach only the first 2,000 records; page tokens reach 100,000 (§2).
DISCRETE_LIMIT = 2_000
TOKEN_LIMIT = 100_000
SEARCH_LIMIT = 2_000
_FLAG_VALUES = frozenset({"true", "false", "both"})
_LIMIT_CLAUSE = re.compile(r"\s+limit\s+[\d\s,]+(offset\s+\d+\s*)?;?$", re.IGNORECASE)


# -- the preamble of every call ----------------------------------------------------------


def _call(request: Request, *scopes: str) -> Emulator:
    """Check version, token and scopes of a CRM call; the emulator serving it.

    Raises:
        CrmError: Unknown API version (404), no or bad token (401), or a missing scope (401).
    """
    if request.path_params.get("version") not in VERSIONS:
        raise CrmError(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )
    emulator = emulator_of(request)
    try:
        token = emulator.tokens.check(request.headers.get("Authorization"))
    except AuthError as failure:
        if failure.missing:
            raise CrmError(401, "AUTHENTICATION_FAILURE", "Authentication failed") from None
        raise CrmError(401, "INVALID_TOKEN", "invalid oauth token") from None
    for scope in scopes:
        if not has_scope(token.scopes, scope):
            raise CrmError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
    return emulator


def _module_call(
    request: Request, operation: str, *extra_scopes: str
) -> tuple[Emulator, ModuleStore]:
    """:func:`_call` for a module's records: also resolves the module and its permission."""
    emulator = _call(request)
    store = emulator.crm.store(request.path_params["module"])
    module = store.module
    _call(request, f"ZohoCRM.modules.{module.api_name.lower()}.{operation}", *extra_scopes)
    if module.restricted:
        raise CrmError(
            403,
            "NO_PERMISSION",
            "permission denied",
            {"permissions": [f"Crm_Implied_View_{module.api_name}"]},
        )
    return emulator, store


# -- parameters --------------------------------------------------------------------------


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise crm_invalid_param(name) from None
    if not low <= value <= high:
        raise crm_invalid_param(name)
    return value


def _choice(
    request: Request, name: str, default: str, allowed: Sequence[str] | frozenset[str]
) -> str:
    value = request.query_params.get(name, default)
    if value not in allowed:
        raise crm_invalid_param(name)
    return value


def _fields(module: Module, raw: str | None, *, required: bool) -> list[Field]:
    """The fields a ``fields`` parameter asks for.

    Raises:
        CrmError: Missing when required (REQUIRED_PARAM_MISSING), more than 50
            (LIMIT_EXCEEDED), or naming a field the module lacks (INVALID_DATA).
    """
    if not raw:
        if required:
            raise CrmError(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "fields"},
            )
        return list(module.fields)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_FIELDS:
        raise CrmError(
            400,
            "LIMIT_EXCEEDED",
            "the number of fields exceeds the limit",
            {"param_name": "fields", "limit": MAX_FIELDS},
        )
    fields = []
    for name in names:
        if name in ("id", "$approval_state"):
            continue
        field = module.field(name)
        if field is None:
            raise CrmError(
                400, "INVALID_DATA", "invalid data", {"param_name": "fields", "api_name": name}
            )
        fields.append(field)
    return fields


def _modified_since(request: Request) -> float | None:
    header = request.headers.get("If-Modified-Since")
    if header is None:
        return None
    try:
        return timefmt.parse_loose_datetime(header)
    except ValueError:
        raise CrmError(
            400, "INVALID_DATA", "invalid data", {"header_name": "If-Modified-Since"}
        ) from None


def _ids(request: Request, limit: int = 100) -> list[str] | None:
    raw = request.query_params.get("ids")
    if raw is None:
        return None
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise crm_invalid_param("ids")
    if len(ids) > limit:
        raise CrmError(
            400,
            "LIMIT_EXCEEDED",
            "the number of ids exceeds the limit",
            {"param_name": "ids", "limit": limit},
        )
    return ids


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise CrmError(400, "UNABLE_TO_PARSE_DATA_TYPE", "the body is not valid JSON", {}) from None
    if not isinstance(body, dict):
        raise CrmError(400, "INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject"})
    return body


def _no_content(modified_since: float | None) -> Response:
    """204 for nothing to return; 304 when If-Modified-Since found nothing newer."""
    return Response(status_code=304 if modified_since is not None else 204)


# -- records -----------------------------------------------------------------------------


async def list_records(request: Request) -> Response:
    """``GET /{module}``: Get Records (§2)."""
    emulator, store = _module_call(request, "READ")
    org, module, params = emulator.crm, store.module, request.query_params
    fields = _fields(module, params.get("fields"), required=True)
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(request, "page", 1, 1, 10**9)
    token = params.get("page_token")
    if token is not None and "page" in params:
        raise CrmError(
            400,
            "AMBIGUITY_DURING_PROCESSING",
            "page and page_token cannot be given together",
            {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
        )
    sortable = [name for name in SORT_FIELDS if name == "id" or name in module.field_map]
    sort_by = _choice(request, "sort_by", "id", sortable)
    descending = _choice(request, "sort_order", "desc", ("asc", "desc")) == "desc"
    if "cvid" in params:
        raise crm_invalid_param("cvid", "the custom view id given seems to be invalid")
    since = _modified_since(request)
    filters = Filters(
        converted=_choice(request, "converted", "false", _FLAG_VALUES),
        approved=_choice(request, "approved", "true", _FLAG_VALUES),
        modified_since=since,
    )
    emulator.traffic.charge(request, 1)
    selection = store.select(sort_by, descending=descending, filters=filters)
    ids = _ids(request)
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
        return _no_content(since)
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
    """``GET /{module}/{id}``: one record, with subforms and multi-select lookups (§3)."""
    emulator, store = _module_call(request, "READ")
    fields = _fields(store.module, request.query_params.get("fields"), required=False)
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
    """``POST /{module}``: insert up to 100 records (§8)."""
    emulator, store = _module_call(request, "CREATE")
    body = await _body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    return _write_response(Writer(emulator.crm, store.module).insert(records), 201)


async def update_records(request: Request) -> Response:
    """``PUT /{module}`` and ``PUT /{module}/{id}``: update records (§8)."""
    emulator, store = _module_call(request, "UPDATE")
    body = await _body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    record_id = request.path_params.get("record_id")
    if record_id is not None and len(records) != 1:
        raise CrmError(400, "LIMIT_EXCEEDED", "only one record can be updated by id", {"limit": 1})
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    return _write_response(Writer(emulator.crm, store.module).update(records, record_id), 200)


async def upsert_records(request: Request) -> Response:
    """``POST /{module}/upsert``: update by duplicate-check fields, else insert (§8)."""
    emulator, store = _module_call(request, "CREATE")
    _call(request, f"ZohoCRM.modules.{store.module.api_name.lower()}.UPDATE")
    body = await _body(request)
    records = check_batch(body.get("data"))
    check_triggers(body.get("trigger"))
    emulator.traffic.charge(request, credits_for_records(len(records), 10))
    writer = Writer(emulator.crm, store.module)
    return _write_response(writer.upsert(records, body.get("duplicate_check_fields")), 200)


async def delete_records(request: Request) -> Response:
    """``DELETE /{module}?ids=`` and ``DELETE /{module}/{id}`` (§8)."""
    emulator, store = _module_call(request, "DELETE")
    record_id = request.path_params.get("record_id")
    ids = [record_id] if record_id is not None else _ids(request)
    if not ids:
        raise CrmError(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": "ids"},
        )
    emulator.traffic.charge(request, credits_for_records(len(ids), 100))
    return _write_response(Writer(emulator.crm, store.module).delete(ids), 200)


async def deleted_records(request: Request) -> Response:
    """``GET /{module}/deleted``: the recycle bin and permanent deletions (§9)."""
    emulator, store = _module_call(request, "READ")
    kind = request.query_params.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise CrmError(
            400,
            "PATTERN_NOT_MATCHED",
            "Please check whether the input values are correct",
            {"param_name": "type"},
        )
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(request, "page", 1, 1, 10**9)
    since = _modified_since(request)
    emulator.traffic.charge(request, 1)
    entries = [
        entry
        for entry in store.deleted_entries(emulator.crm.users)
        if (kind == "all" or entry["type"] == kind)
        and (since is None or entry["_deleted_ts"] > since)
    ]
    chosen = entries[(page - 1) * per_page : page * per_page]
    if not chosen:
        return _no_content(since)
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


# -- search, count, COQL -----------------------------------------------------------------


def _searchable(org: CrmOrg, store: ModuleStore, request: Request) -> list[int]:
    """Records matching a search's criteria/email/phone/word, in id order, newest first."""
    predicate = search_predicate(request.query_params, store.module)
    filters = Filters(
        converted=_choice(request, "converted", "false", _FLAG_VALUES),
        approved=_choice(request, "approved", "true", _FLAG_VALUES),
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
            # Zoho's search index lags behind writes (§5).
            if not (lag and store.written_at.get(index, 0.0) > fresh_after)
            and predicate(functools.partial(store.get, index))
        ]

    if lag:
        return scan()  # what is visible changes with the clock, not only with writes
    return store.cached_query(("search", terms, filters), scan)


async def search_records(request: Request) -> Response:
    """``GET /{module}/search`` (§5): at most 2,000 records reachable."""
    emulator, store = _module_call(request, "READ", "ZohoSearch.securesearch.READ")
    fields = _fields(store.module, request.query_params.get("fields"), required=False)
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(request, "page", 1, 1, 10**9)
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
    """``GET /{module}/actions/count`` (§7)."""
    emulator, store = _module_call(request, "READ", "ZohoSearch.securesearch.READ")
    params = request.query_params
    if "cvid" in params:
        raise crm_invalid_param("cvid", "the custom view id given seems to be invalid")
    emulator.traffic.charge(request, 1)
    if any(name in params for name in ("criteria", "email", "phone", "word")):
        total = len(_searchable(emulator.crm, store, request))
    else:
        filters = Filters(
            converted=_choice(request, "converted", "false", _FLAG_VALUES),
            approved=_choice(request, "approved", "true", _FLAG_VALUES),
        )
        total = len(store.select("id", descending=True, filters=filters))
    return JSONResponse({"count": total})


async def coql_query(request: Request) -> Response:
    """``POST /coql`` (§6)."""
    emulator = _call(request, "ZohoCRM.coql.READ")
    body = await _body(request)
    text = body.get("select_query")
    if not isinstance(text, str) or not text.strip():
        raise CrmError(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": "select_query"},
        )
    query = coql.parse_coql(text)
    org = emulator.crm
    store = org.store(query.module.api_name)
    _call(request, f"ZohoCRM.modules.{store.module.api_name.lower()}.READ")
    if store.module.restricted:
        raise CrmError(403, "NO_PERMISSION", "permission denied", {})
    emulator.traffic.charge(request, query.credits)
    resolve = org.resolve_lookup

    def run() -> list[int]:
        matched = [
            index
            for index in store.live_indices()
            if query.where is None or query.where(functools.partial(store.get, index), resolve)
        ]
        for column, descending in reversed(query.order_by):
            matched.sort(
                key=lambda index: coql.sort_key(
                    coql.column_value(column, functools.partial(store.get, index), resolve)
                ),
                reverse=descending,
            )
        return matched

    # Pages of one query differ only in their trailing LIMIT/OFFSET clause.
    unpaged = _LIMIT_CLAUSE.sub("", text.strip())
    matched = store.cached_query(("coql", unpaged), run)
    chosen = matched[query.offset : query.offset + query.limit]
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
    more = query.offset + query.limit < len(matched)
    return JSONResponse({"data": rows, "info": {"count": len(rows), "more_records": more}})


# -- metadata, users, org ----------------------------------------------------------------


async def list_modules(request: Request) -> Response:
    """``GET /settings/modules`` (§4.1)."""
    emulator = _call(request, "ZohoCRM.settings.modules.READ")
    wanted = request.query_params.get("status")
    emulator.traffic.charge(request, 1)
    entries = [
        metadata.module_json(module, number) for number, module in enumerate(catalog.MODULES, 1)
    ]
    if wanted:
        statuses = set(wanted.split(","))
        entries = [entry for entry in entries if entry["status"] in statuses]
    return JSONResponse({"modules": entries})


async def list_fields(request: Request) -> Response:
    """``GET /settings/fields?module=`` (§4.2)."""
    emulator = _call(request, "ZohoCRM.settings.fields.READ")
    name = request.query_params.get("module")
    if not name:
        raise CrmError(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": "module"},
        )
    module = catalog.lookup_module(name)
    if module is None:
        raise CrmError(400, "INVALID_MODULE", "the module name given seems to be invalid", {})
    kind = _choice(request, "type", "used", ("used", "unused", "all"))
    emulator.traffic.charge(request, 1)
    if kind == "unused":
        return JSONResponse({"fields": []})
    fields = [metadata.field_json(module, field) for field in module.fields]
    if module.api_supported:
        fields.insert(0, metadata.id_field_json(module))
    return JSONResponse({"fields": fields})


_UserFilter = Callable[[dict[str, Any], dict[str, Any]], bool]
_USER_TYPES: dict[str, _UserFilter] = {
    "AllUsers": lambda user, me: True,
    "ActiveUsers": lambda user, me: user["status"] == "active",
    "DeactiveUsers": lambda user, me: user["status"] == "disabled",
    "ConfirmedUsers": lambda user, me: user["confirm"],
    "NotConfirmedUsers": lambda user, me: not user["confirm"],
    "DeletedUsers": lambda user, me: user["status"] == "deleted",
    "ActiveConfirmedUsers": lambda user, me: user["status"] == "active" and user["confirm"],
    "AdminUsers": lambda user, me: user["profile"]["name"] == "Administrator",
    "ActiveConfirmedAdmins": lambda user, me: (
        user["profile"]["name"] == "Administrator" and user["status"] == "active"
    ),
    "CurrentUser": lambda user, me: user is me,
}


async def list_users(request: Request) -> Response:
    """``GET /users`` (§10.1)."""
    emulator = _call(request, "ZohoCRM.users.READ")
    org = emulator.crm
    kind = _choice(request, "type", "AllUsers", tuple(_USER_TYPES))
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(request, "page", 1, 1, 10**9)
    ids = _ids(request)
    emulator.traffic.charge(request, 1)
    users = [user for user in org.users if _USER_TYPES[kind](user, org.current_user)]
    if ids is not None:
        users = [user for user in users if user["id"] in ids]
    chosen = users[(page - 1) * per_page : page * per_page]
    if not chosen:
        return Response(status_code=204)
    info = {
        "per_page": per_page,
        "count": len(chosen),
        "page": page,
        "more_records": page * per_page < len(users),
    }
    return JSONResponse({"users": chosen, "info": info})


async def get_user(request: Request) -> Response:
    """``GET /users/{id}``."""
    emulator = _call(request, "ZohoCRM.users.READ")
    emulator.traffic.charge(request, 1)
    user = emulator.crm.user(request.path_params["user_id"])
    if user is None:
        raise CrmError(
            400,
            "INVALID_DATA",
            "the id given seems to be invalid",
            {"id": request.path_params["user_id"]},
        )
    return JSONResponse({"users": [user]})


async def get_org(request: Request) -> Response:
    """``GET /org`` (§10.2)."""
    emulator = _call(request, "ZohoCRM.org.READ")
    emulator.traffic.charge(request, 1)
    return JSONResponse({"org": [emulator.crm.org_details()]})


_V = "/crm/{version}"
ROUTES = [
    Route(f"{_V}/settings/modules", list_modules, methods=["GET"]),
    Route(f"{_V}/settings/fields", list_fields, methods=["GET"]),
    Route(f"{_V}/users", list_users, methods=["GET"]),
    Route(f"{_V}/users/{{user_id}}", get_user, methods=["GET"]),
    Route(f"{_V}/org", get_org, methods=["GET"]),
    Route(f"{_V}/coql", coql_query, methods=["POST"]),
    Route(f"{_V}/{{module}}/search", search_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/actions/count", count_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/deleted", deleted_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/upsert", upsert_records, methods=["POST"]),
    Route(f"{_V}/{{module}}/{{record_id}}", get_record, methods=["GET"]),
    Route(f"{_V}/{{module}}/{{record_id}}", update_records, methods=["PUT"]),
    Route(f"{_V}/{{module}}/{{record_id}}", delete_records, methods=["DELETE"]),
    Route(f"{_V}/{{module}}", list_records, methods=["GET"]),
    Route(f"{_V}/{{module}}", insert_records, methods=["POST"]),
    Route(f"{_V}/{{module}}", update_records, methods=["PUT"]),
    Route(f"{_V}/{{module}}", delete_records, methods=["DELETE"]),
]
