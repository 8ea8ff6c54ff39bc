"""Metadata and directory handlers: settings (modules, fields, layouts, tags), users, org.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html,
https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html,
https://www.zoho.com/crm/developer/docs/api/v7/get-users.html and
https://www.zoho.com/crm/developer/docs/api/v7/get-org-data.html.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from zoho_emulator.crm import catalog, metadata
from zoho_emulator.crm.calls import MAX_PER_PAGE, call, choice, ids_param, int_param
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.crm.catalog import Module


async def list_modules(request: Request) -> Response:
    """``GET /settings/modules``."""
    emulator = call(request, "ZohoCRM.settings.modules.READ")
    wanted = request.query_params.get("status")
    emulator.traffic.charge(request, 1)
    entries = [
        metadata.module_json(module, number) for number, module in enumerate(catalog.MODULES, 1)
    ]
    if wanted:
        statuses = set(wanted.split(","))
        entries = [entry for entry in entries if entry["status"] in statuses]
    return JSONResponse({"modules": entries})


def _module_param(request: Request, *, api_only: bool) -> Module:
    """The module a metadata call's ``module`` parameter names.

    Raises:
        CrmError: Missing (REQUIRED_PARAM_MISSING), or no module (INVALID_MODULE); with
            ``api_only``, also a module whose records the API does not serve.
    """
    name = request.query_params.get("module")
    if not name:
        raise CrmError(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_name": "module"},
        )
    module = catalog.lookup_module(name)
    if module is None or (api_only and not module.api_supported):
        raise CrmError(400, "INVALID_MODULE", "the module name given seems to be invalid", {})
    return module


async def list_fields(request: Request) -> Response:
    """``GET /settings/fields?module=``."""
    emulator = call(request, "ZohoCRM.settings.fields.READ")
    module = _module_param(request, api_only=False)
    kind = choice(request, "type", "used", ("used", "unused", "all"))
    emulator.traffic.charge(request, 1)
    if kind == "unused":
        return JSONResponse({"fields": []})
    fields = [metadata.field_json(module, field) for field in module.fields]
    if module.api_supported:
        fields.insert(0, metadata.id_field_json(module))
    return JSONResponse({"fields": fields})


async def list_layouts(request: Request) -> Response:
    """``GET /settings/layouts?module=``: the module's one layout, ``Standard``."""
    emulator = call(request, "ZohoCRM.settings.layouts.READ")
    module = _module_param(request, api_only=True)
    emulator.traffic.charge(request, 1)
    return JSONResponse({"layouts": [metadata.layout_json(module)]})


async def list_tags(request: Request) -> Response:
    """``GET /settings/tags?module=``: the tags records of the module may carry."""
    emulator = call(request, "ZohoCRM.settings.tags.READ")
    module = _module_param(request, api_only=True)
    emulator.traffic.charge(request, 1)
    tags = metadata.tags_json(module)
    info = {"count": len(tags), "allowed_count": metadata.TAG_LIMIT}
    return JSONResponse({"tags": tags, "info": info})


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
    """``GET /users``."""
    emulator = call(request, "ZohoCRM.users.READ")
    org = emulator.crm
    kind = choice(request, "type", "AllUsers", tuple(_USER_TYPES))
    per_page = int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    page = int_param(request, "page", 1, 1, 10**9)
    ids = ids_param(request)
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
    emulator = call(request, "ZohoCRM.users.READ")
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
    """``GET /org``."""
    emulator = call(request, "ZohoCRM.org.READ")
    emulator.traffic.charge(request, 1)
    return JSONResponse({"org": [emulator.crm.org_details()]})
