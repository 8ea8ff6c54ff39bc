"""The preamble and parameters of every CRM call: version, token, scopes, module, params."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from zoho_emulator import timefmt
from zoho_emulator.context import emulator_of
from zoho_emulator.errors import CrmError, crm_invalid_param, crm_missing_param
from zoho_emulator.oauth import AuthError, has_scope

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.requests import Request

    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.crm.store import ModuleStore
    from zoho_emulator.emulator import Emulator

VERSIONS = frozenset({"v7", "v8"})
MAX_FIELDS = 50
MAX_PER_PAGE = 200
#: Values of the ``converted`` and ``approved`` parameters.
FLAG_VALUES = frozenset({"true", "false", "both"})


# -- the preamble of every call ----------------------------------------------------------


def call(request: Request, *scopes: str) -> Emulator:
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


def module_call(
    request: Request, operation: str, *extra_scopes: str
) -> tuple[Emulator, ModuleStore]:
    """:func:`call` for a module's records: also resolves the module and its permission."""
    emulator = call(request)
    store = emulator.crm.store(request.path_params["module"])
    module_access(request, store.module, operation, *extra_scopes)
    return emulator, store


def module_access(request: Request, module: Module, operation: str, *extra_scopes: str) -> None:
    """Refuse a call on a module's records without its scope or its profile's permission."""
    call(request, f"ZohoCRM.modules.{module.api_name.lower()}.{operation}", *extra_scopes)
    if module.restricted:
        raise CrmError(
            403,
            "NO_PERMISSION",
            "permission denied",
            {"permissions": [f"Crm_Implied_View_{module.api_name}"]},
        )


# -- parameters --------------------------------------------------------------------------


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``low``..``high`` (400 INVALID_DATA otherwise)."""
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


def choice(
    request: Request, name: str, default: str, allowed: Sequence[str] | frozenset[str]
) -> str:
    """A query parameter among allowed values (400 INVALID_DATA otherwise)."""
    value = request.query_params.get(name, default)
    if value not in allowed:
        raise crm_invalid_param(name)
    return value


def fields_param(module: Module, raw: str | None, *, required: bool) -> list[Field]:
    """The fields a ``fields`` parameter asks for.

    Raises:
        CrmError: Missing when required (REQUIRED_PARAM_MISSING), more than 50
            (LIMIT_EXCEEDED), or naming a field the module lacks (INVALID_DATA).
    """
    if not raw:
        if required:
            raise crm_missing_param("fields")
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


def modified_since(request: Request) -> float | None:
    """The If-Modified-Since header as epoch seconds, if sent (400 INVALID_DATA if malformed)."""
    header = request.headers.get("If-Modified-Since")
    if header is None:
        return None
    try:
        return timefmt.parse_loose_datetime(header)
    except ValueError:
        raise CrmError(
            400, "INVALID_DATA", "invalid data", {"header_name": "If-Modified-Since"}
        ) from None


def ids_param(request: Request, limit: int = 100) -> list[str] | None:
    """The ``ids`` parameter: at most ``limit`` ids (400 LIMIT_EXCEEDED beyond)."""
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


async def json_body(request: Request, *, strict_type: bool = False) -> dict[str, Any]:
    """The JSON object of a write body (400 UNABLE_TO_PARSE_DATA_TYPE otherwise).

    Args:
        request: The call.
        strict_type: Refuse a body not sent as ``application/json`` (415), as the Bulk APIs
            do.
    """
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if strict_type and media_type != "application/json":
        raise CrmError(
            415,
            "MEDIA_TYPE_NOT_SUPPORTED",
            "the media type given is not supported; send Content-Type: application/json",
            {"header_name": "Content-Type"},
        )
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise CrmError(400, "UNABLE_TO_PARSE_DATA_TYPE", "the body is not valid JSON", {}) from None
    if not isinstance(body, dict):
        raise CrmError(400, "INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject"})
    return body


def no_content(modified_since: float | None) -> Response:
    """204 for nothing to return; 304 when If-Modified-Since found nothing newer."""
    return Response(status_code=304 if modified_since is not None else 204)
