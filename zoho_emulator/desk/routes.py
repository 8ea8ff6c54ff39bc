"""Desk HTTP handlers: organizations, departments, agents, field metadata and module records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zoho_emulator.desk import includes, metadata, searches, shapes
from zoho_emulator.desk.calls import Call, Endpoint, Scopes, admit, not_found, rows, scopes, window
from zoho_emulator.desk.catalog import (
    ACCOUNTS,
    ACTIVITIES,
    CONTACTS,
    DAY_MS,
    MODULES,
    MODULES_BY_NAME,
    TICKETS,
    Module,
)
from zoho_emulator.desk.org import DeskOrg
from zoho_emulator.desk.query import Paging, Query, invalid
from zoho_emulator.desk.store import now_ms
from zoho_emulator.desk.writes import trash_ids

if TYPE_CHECKING:
    from zoho_emulator.desk.criteria import Filter

Handler = Callable[[Request], Awaitable[Response]]

#: Organizations, departments and agents (Desk's API documentation also lists
#: Desk.settings.READ).
BASIC = scopes(("Desk.basic.READ", "Desk.settings.READ"))
FIELDS = scopes(("Desk.basic.READ", "Desk.fields.READ", "Desk.settings.READ"))
SEARCH = ("Desk.search.READ",)
PAGING = frozenset({"from", "limit"})
#: Credits of moving one record to the Recycle Bin (bulk delete, 6 a record: not confirmed by
#: Zoho, a third-party summary of Desk's credit table, which we assume).
TRASH_CREDITS = 6
_LIST_DEFAULT_LIMIT = {TICKETS.name: 25}
_DIRECTORY_PAGING = Paging(default_limit=10, max_limit=200)
_SEARCH_PAGING = Paging(default_limit=10, max_limit=100, search=True)
_CHAT_STATUSES = ("AVAILABLE", "DISABLED", "NOT_CREATED", "${UNAVAILABLE}")
_PERMISSIONS = ("AgentPublic", "AgentPersonal", "AgentTeamPersonal", "Admin", "Light", "Custom")
_AGENT_SORT_FIELDS = ("name", "firstName", "lastName", "emailId")


def _scopes(module: Module, operation: str) -> Scopes:
    return scopes(tuple(f"Desk.{area}.{operation}" for area in module.scopes))


def _page(items: list[dict[str, Any]], call: Call) -> list[dict[str, Any]]:
    return items[call.page.start : call.page.start + call.page.limit]


# -- organizations ---------------------------------------------------------------------------

_ORGANIZATIONS = Endpoint(BASIC, org_bound=False)


async def organizations(request: Request) -> Response:
    """``GET /organizations`` and ``/accessibleOrganizations``: the one org (no orgId needed)."""
    call = await admit(request, _ORGANIZATIONS)
    return rows([call.org.organization])


async def organization(request: Request) -> Response:
    """``GET /organizations/{organizationId}``."""
    call = await admit(request, _ORGANIZATIONS)
    if str(call.org.organization["id"]) != request.path_params["organizationId"]:
        raise not_found()
    return JSONResponse(call.org.organization)


# -- departments and agents --------------------------------------------------------------------

_DEPARTMENT_FILTERS = frozenset({"isEnabled", "searchStr", "chatStatus"})
_AGENT_FILTERS = frozenset(
    {"status", "departmentIds", "profileIds", "roleIds", "rolePermissionType"}
    | {"isConfirmed", "isLightAgent", "searchStr"}
)


def _departments(call: Call) -> list[dict[str, Any]]:
    query = call.query
    enabled = query.boolean("isEnabled")
    text = (query.text("searchStr") or "").casefold()
    chat = query.choice("chatStatus", _CHAT_STATUSES)
    return [
        department
        for department in call.org.departments
        if (enabled is None or department["isEnabled"] == enabled)
        and text in department["name"].casefold()
        and chat in (None, department["chatStatus"])
    ]


def _agents(call: Call) -> list[dict[str, Any]]:
    query = call.query
    status = query.choice("status", ("ACTIVE", "DISABLED"))
    departments = set(query.ids("departmentIds", max_items=50) or ())
    profiles = set(query.ids("profileIds", max_items=50) or ())
    roles = set(query.ids("roleIds", max_items=50) or ())
    permission = query.choice("rolePermissionType", _PERMISSIONS)
    confirmed = query.boolean("isConfirmed")
    light = query.boolean("isLightAgent")
    text = (query.text("searchStr") or "").casefold()
    return [
        agent
        for agent in call.org.agents
        if status in (None, agent["status"])
        and (not departments or departments & set(agent["associatedDepartmentIds"]))
        and (not profiles or agent["profileId"] in profiles)
        and (not roles or agent["roleId"] in roles)
        and permission in (None, agent["rolePermissionType"])
        and confirmed in (None, agent["isConfirmed"])
        and light in (None, agent["rolePermissionType"] == "Light")
        and (text in agent["name"].casefold() or text in agent["emailId"].casefold())
    ]


def _directory_handlers(
    name: str,
    select: Callable[[Call], list[dict[str, Any]]],
    find: Callable[[DeskOrg, str], dict[str, Any] | None],
    filters: frozenset[str],
    *,
    list_params: frozenset[str] = frozenset(),
    list_includes: tuple[str, ...] = (),
    detail_includes: tuple[str, ...] = (),
) -> list[Route]:
    """List, count and single GET of departments or agents."""
    list_endpoint = Endpoint(BASIC, filters | list_params | PAGING, _DIRECTORY_PAGING)
    count_endpoint = Endpoint(BASIC, filters)
    detail_endpoint = Endpoint(BASIC, frozenset({"include"} if detail_includes else ()))

    async def listing(request: Request) -> Response:
        call = await admit(request, list_endpoint)
        chosen = _ordered(select(call), call.query)
        names = call.query.values("include", options=list_includes)
        return rows([includes.apply(call.org, dict(row), names) for row in _page(chosen, call)])

    async def count(request: Request) -> Response:
        call = await admit(request, count_endpoint)
        return JSONResponse({"count": len(select(call))})

    async def detail(request: Request) -> Response:
        call = await admit(request, detail_endpoint)
        names = call.query.values("include", options=detail_includes)
        found = find(call.org, request.path_params["recordId"])
        if found is None:
            raise not_found()
        return JSONResponse(includes.apply(call.org, dict(found), names))

    return [
        Route(f"/api/v1/{name}", listing, methods=["GET"]),
        Route(f"/api/v1/{name}/count", count, methods=["GET"]),
        Route(f"/api/v1/{name}/{{recordId}}", detail, methods=["GET"]),
    ]


def _ordered(items: list[dict[str, Any]], query: Query) -> list[dict[str, Any]]:
    """Agents sorted by ``fieldName`` and ``sortOrder`` when asked; else by id."""
    field = query.choice("fieldName", _AGENT_SORT_FIELDS)
    order = query.choice("sortOrder", ("asc", "desc"))
    if field is None and order is None:
        return items
    key = field or "name"
    return sorted(items, key=lambda row: str(row[key]).casefold(), reverse=order == "desc")


# -- field metadata ----------------------------------------------------------------------------

_FIELD_ENDPOINT = Endpoint(
    FIELDS, frozenset({"module", "apiNames", "filter", "associatedDepartments"})
)
_LEGACY_FIELD_ENDPOINT = Endpoint(FIELDS, frozenset({"module", "apiNames", "departmentId"}))


def _described(call: Call, departments_param: str) -> list[dict[str, Any]]:
    """Field metadata of the ``module`` a call names, narrowed by ``apiNames``."""
    query = call.query
    module = MODULES_BY_NAME.get(query.required("module"))
    if module is None:
        raise invalid("module")
    for department in query.ids(departments_param) or ():
        if call.org.department(department) is None:
            raise invalid(departments_param)
    wanted = query.values("apiNames", max_items=300)
    described = metadata.fields(
        module,
        call.org.seeded.start_ms - 100 * DAY_MS,
        system_keys=call.org.settings.desk_fields_system_keys,
    )
    return [meta for meta in described if wanted is None or meta["apiName"] in wanted]


async def fields(request: Request) -> Response:
    """``GET /fields?module=...``: field metadata."""
    call = await admit(request, _FIELD_ENDPOINT)
    described = _described(call, "associatedDepartments")
    expression = call.query.text("filter")
    if expression is not None:
        conditions = metadata.parse_filter(expression)
        if conditions is None:
            raise invalid("filter")
        described = [m for m in described if all(m[k] == v for k, v in conditions.items())]
    return rows(described)


async def organization_fields(request: Request) -> Response:
    """``GET /organizationFields?module=...``: the deprecated field metadata API."""
    call = await admit(request, _LEGACY_FIELD_ENDPOINT)
    return rows([metadata.legacy(meta) for meta in _described(call, "departmentId")])


# -- module records ----------------------------------------------------------------------------


def _list_params(module: Module) -> frozenset[str]:
    if module is TICKETS:
        return searches.ticket_list_params()
    extra = {"include"} if module is not ACCOUNTS else set()
    if module in ACTIVITIES:
        extra |= searches.activity_list_params()
    return frozenset(extra) | searches.PAGING_PARAMS


def _list_includes(module: Module) -> tuple[str, ...]:
    if module is TICKETS:
        return includes.TICKET_LIST
    if module is CONTACTS:
        return includes.CONTACT
    return includes.activity_list(module.name)


def _detail_includes(module: Module) -> tuple[str, ...]:
    if module is TICKETS:
        return includes.TICKET_DETAIL
    if module is CONTACTS:
        return includes.CONTACT
    if module is ACCOUNTS:
        return includes.ACCOUNT
    return includes.activity_detail(module.name)


def _list_filters(module: Module, query: Query) -> tuple[Filter, ...]:
    if module is TICKETS:
        return searches.ticket_list_filters(query, now_ms())
    if module in ACTIVITIES:
        return searches.activity_list_filters(query)
    return ()


def _list(module: Module) -> Handler:
    paging = Paging(default_limit=_LIST_DEFAULT_LIMIT.get(module.name, 10), max_limit=100)
    endpoint = Endpoint(_scopes(module, "READ"), _list_params(module), paging)

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        sort, descending = call.query.sort(module.list_sorts, "createdTime")
        names = call.query.values("include", options=_list_includes(module))
        selection = call.org.select(module, sort, _list_filters(module, call.query))
        return rows(
            [
                includes.apply(
                    call.org, shapes.list_row(module, call.org.record(module, index)), names
                )
                for index in window(selection, call.page, descending=descending)
            ]
        )

    return handler


def _search(module: Module) -> Handler:
    needed = (*_scopes(module, "READ"), SEARCH)
    endpoint = Endpoint(needed, searches.search_params(module), _SEARCH_PAGING)

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        sort, descending = call.query.sort(searches.search_sorts(module), "relevance")
        inclusive = call.org.settings.desk_ranges_inclusive
        filters = searches.search_filters(module, call.query, inclusive=inclusive)
        selection = call.org.select(module, sort, filters)
        return rows(
            [
                shapes.search_row(module, call.org.record(module, index))
                for index in window(selection, call.page, descending=descending)
            ]
        )

    return handler


def _count(module: Module) -> Handler:
    if module is TICKETS:
        params = frozenset({"departmentId", "status", "assigneeId", "channel"})
    elif module in ACTIVITIES:
        params = searches.activity_list_params()
    else:
        params = frozenset()
    endpoint = Endpoint(_scopes(module, "READ"), params, cost=module.count_cost)

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        filters = _list_filters(module, call.query)
        count = len(call.org.select(module, "createdTime", filters))
        # ticketsCount sends the count as a string (as public clients read it; not documented
        # by Zoho, we assume it).
        return JSONResponse({"count": str(count) if module is TICKETS else count})

    return handler


def _found(call: Call, module: Module, request: Request) -> int:
    index = call.org.store(module).find(request.path_params["recordId"])
    if index is None:
        raise not_found()
    return index


def _detail(module: Module) -> Handler:
    endpoint = Endpoint(_scopes(module, "READ"), frozenset({"include"}))

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        names = call.query.values("include", options=_detail_includes(module))
        record = call.org.record(module, _found(call, module, request))
        return JSONResponse(includes.apply(call.org, record, names))

    return handler


def _create(module: Module) -> Handler:
    endpoint = Endpoint(_scopes(module, "CREATE"), body=True)

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        index = call.org.writer.create(module, call.body)
        return JSONResponse(call.org.record(module, index))

    return handler


def _update(module: Module) -> Handler:
    endpoint = Endpoint(_scopes(module, "UPDATE"), body=True)

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        index = _found(call, module, request)
        call.org.writer.update(module, index, call.body)
        return JSONResponse(call.org.record(module, index))

    return handler


def _trash(module: Module) -> Handler:
    endpoint = Endpoint(
        _scopes(module, "DELETE"),
        body=True,
        cost=lambda body: TRASH_CREDITS * max(1, len(trash_ids(body, module))),
    )

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        call.org.writer.trash(module, call.body)
        return Response(status_code=204)

    return handler


def _children(
    children: Callable[[DeskOrg, int], list[dict[str, Any]]],
    sort_key: str,
    max_limit: int,
    *,
    newest_first: bool,
) -> Handler:
    """``GET /tickets/{id}/threads`` or ``/comments``."""
    endpoint = Endpoint(
        _scopes(TICKETS, "READ"),
        frozenset({"sortBy"}) | PAGING,
        Paging(default_limit=10, max_limit=max_limit),
    )

    async def handler(request: Request) -> Response:
        call = await admit(request, endpoint)
        _, descending = call.query.sort((sort_key,), sort_key, descending_default=newest_first)
        index = _found(call, TICKETS, request)
        found = children(call.org, index)
        ordered = sorted(found, key=lambda row: str(row[sort_key]), reverse=descending)
        return rows(_page(ordered, call))

    return handler


def _module_routes(module: Module) -> list[Route]:
    base = f"/api/v1/{module.name}"
    routes = [
        Route(base, _list(module), methods=["GET"]),
        Route(base, _create(module), methods=["POST"]),
        Route(f"{base}/search", _search(module), methods=["GET"]),
        Route(f"{base}/moveToTrash", _trash(module), methods=["POST"]),
    ]
    if module is not TICKETS:
        routes.append(Route(f"{base}/count", _count(module), methods=["GET"]))
    return [
        *routes,
        Route(f"{base}/{{recordId}}", _detail(module), methods=["GET"]),
        Route(f"{base}/{{recordId}}", _update(module), methods=["PATCH"]),
    ]


ROUTES: list[Route] = [
    Route("/api/v1/organizations", organizations, methods=["GET"]),
    Route("/api/v1/accessibleOrganizations", organizations, methods=["GET"]),
    Route("/api/v1/organizations/{organizationId}", organization, methods=["GET"]),
    *_directory_handlers("departments", _departments, DeskOrg.department, _DEPARTMENT_FILTERS),
    *_directory_handlers(
        "agents",
        _agents,
        DeskOrg.agent,
        _AGENT_FILTERS,
        list_params=frozenset({"include", "fieldName", "sortOrder"}),
        list_includes=includes.AGENT_LIST,
        detail_includes=includes.AGENT_DETAIL,
    ),
    Route("/api/v1/fields", fields, methods=["GET"]),
    Route("/api/v1/organizationFields", organization_fields, methods=["GET"]),
    Route("/api/v1/ticketsCount", _count(TICKETS), methods=["GET"]),
    Route(
        "/api/v1/tickets/{recordId}/threads",
        _children(DeskOrg.threads, "sendDateTime", 200, newest_first=True),
        methods=["GET"],
    ),
    Route(
        "/api/v1/tickets/{recordId}/comments",
        _children(DeskOrg.comments, "commentedTime", 100, newest_first=False),
        methods=["GET"],
    ),
    *(route for module in MODULES for route in _module_routes(module)),
]
