"""What every Desk call goes through before its handler's work, and Desk's answers.

:func:`admit` is the one preamble: token, scopes, ``orgId``, query parameters, body, credits.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from zoho_emulator.context import emulator_of
from zoho_emulator.desk.query import Page, Paging, Query
from zoho_emulator.errors import DeskError
from zoho_emulator.oauth import AuthError, has_scope

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from starlette.requests import Request

    from zoho_emulator.desk.org import DeskOrg

#: Scopes of a call: every group is needed, and any scope of a group will do.
Scopes = tuple[tuple[str, ...], ...]


def scopes(*groups: str | tuple[str, ...]) -> Scopes:
    """Scope groups from scopes (a single scope is a group of one)."""
    return tuple((group,) if isinstance(group, str) else group for group in groups)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """What an endpoint needs and costs.

    Attributes:
        scopes: The scopes it needs.
        params: Query parameters it accepts besides ``orgId``.
        paging: How it pages, for lists and searches (their credits depend on ``from``).
        org_bound: Whether ``orgId`` is required (all but the organization endpoints).
        body: Whether it takes a JSON body.
        cost: Its credits, or a function of the body giving them.
    """

    scopes: Scopes
    params: frozenset[str] = frozenset()
    paging: Paging | None = None
    org_bound: bool = True
    body: bool = False
    cost: int | Callable[[dict[str, Any]], int] = 1


@dataclasses.dataclass(frozen=True)
class Call:
    """An admitted call: the org it works on, its query, page (empty if it does not page), body."""

    org: DeskOrg
    query: Query
    page: Page
    body: dict[str, Any]


async def admit(request: Request, endpoint: Endpoint) -> Call:
    """Authenticate and check a call, then charge its credits.

    Raises:
        DeskError: 401 UNAUTHORIZED, INVALID_OAUTH, SCOPE_MISMATCH or OAUTH_ORG_MISMATCH; 422
            for a missing orgId or a bad query; 400, 415 or 422 for a bad body; 429 when the
            day's credits are spent.
    """
    emulator = emulator_of(request)
    try:
        token = emulator.tokens.check(request.headers.get("Authorization"))
    except AuthError as failure:
        if failure.missing:
            raise DeskError(
                401, "UNAUTHORIZED", "You are not authorized to perform this operation."
            ) from None
        raise DeskError(
            401, "INVALID_OAUTH", "The OAuth token is invalid or has expired."
        ) from None
    for group in endpoint.scopes:
        if not any(has_scope(token.scopes, scope) for scope in group):
            raise DeskError(
                401, "SCOPE_MISMATCH", f"The OAuth token lacks the scope {' or '.join(group)}."
            )
    if endpoint.org_bound:
        org_id = request.headers.get("orgId") or request.query_params.get("orgId")
        if not org_id:
            raise DeskError(
                422, "UNPROCESSABLE_ENTITY", "The header 'orgId' is missing in the input."
            )
        if org_id != emulator.settings.desk_org_id:
            raise DeskError(
                401, "OAUTH_ORG_MISMATCH", "The orgId does not match the OAuth token's org."
            )
    query = Query(request.query_params, endpoint.params)
    page = (
        query.page(endpoint.paging, emulator.settings.search_from_cap)
        if endpoint.paging
        else Page(start=0, limit=0, offset=0)
    )
    body = await _json_body(request) if endpoint.body else {}
    if endpoint.paging:
        cost = page.credits
    elif callable(endpoint.cost):
        cost = endpoint.cost(body)
    else:
        cost = endpoint.cost
    emulator.traffic.charge(request, cost)
    return Call(emulator.desk, query, page, body)


async def _json_body(request: Request) -> dict[str, Any]:
    """The JSON object a write sends.

    Raises:
        DeskError: 422 EMPTY_PAYLOAD, 415 UNSUPPORTED_MEDIA_TYPE, or 400 BAD_REQUEST.
    """
    raw = await request.body()
    if not raw.strip():
        raise DeskError(422, "EMPTY_PAYLOAD", "The payload is empty.")
    media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise DeskError(
            415, "UNSUPPORTED_MEDIA_TYPE", f"The Content-Type '{media}' is not supported."
        )
    try:
        body = json.loads(raw)
    except ValueError:
        raise DeskError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise DeskError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    if not body:
        raise DeskError(422, "EMPTY_PAYLOAD", "The payload is empty.")
    return body


def rows(data: Sequence[dict[str, Any]]) -> Response:
    """A list or search answer: ``{"data": [...]}``, or 204 with an empty body.

    As Zoho's OpenAPI files declare for every list and search.
    """
    if not data:
        return Response(status_code=204)
    return JSONResponse({"data": list(data)})


def window(selection: Sequence[int], page: Page, *, descending: bool) -> Sequence[int]:
    """The records of a page of an ascending selection, read from either end."""
    if not descending:
        return selection[page.start : page.start + page.limit]
    end = len(selection) - page.start
    return selection[max(end - page.limit, 0) : max(end, 0)][::-1]


def not_found() -> DeskError:
    """Desk's 404 for an unknown URL, and for an id that names no live record.

    URL_NOT_FOUND is Zoho's (its OpenAPI files); for a missing record it is not documented by
    Zoho: we assume it.
    """
    return DeskError(404, "URL_NOT_FOUND", "The URL you requested could not be found.")
