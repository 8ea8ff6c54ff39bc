"""The emulator's ASGI application: one server for OAuth, CRM, Desk and inspection."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from zoho_emulator.context import emulator_of
from zoho_emulator.crm import catalog as crm_catalog
from zoho_emulator.crm import routes as crm_routes
from zoho_emulator.desk import catalog as desk_catalog
from zoho_emulator.desk import routes as desk_routes
from zoho_emulator.emulator import Emulator
from zoho_emulator.errors import CrmError, DeskError
from zoho_emulator.oauth import token_endpoint
from zoho_emulator.traffic import TrafficMiddleware, product_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from starlette.requests import Request
    from starlette.types import Scope

    from zoho_emulator.settings import Settings

_log = logging.getLogger("zoho_emulator")
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def _stats(request: Request) -> JSONResponse:
    emulator = emulator_of(request)
    return JSONResponse(
        {
            **emulator.traffic.snapshot(),
            "token_refreshes": emulator.tokens.refreshes,
            "bulk_read": emulator.bulk_reads.stats(),
            "bulk_write": emulator.bulk_writes.stats(),
            "churn": emulator.churn.stats(),
        }
    )


async def _reset(request: Request) -> JSONResponse:
    emulator_of(request).reset()
    return JSONResponse({"status": "reset"})


async def _expire_tokens(request: Request) -> JSONResponse:
    emulator_of(request).tokens.expire_all()
    return JSONResponse({"status": "expired"})


async def _revoke_token(request: Request) -> JSONResponse:
    """Revoke the refresh token and its access tokens (``{"revoked": false}`` restores it)."""
    body = await request.body()
    revoked = bool(json.loads(body).get("revoked", True)) if body else True
    emulator_of(request).tokens.revoke(revoked=revoked)
    return JSONResponse({"status": "revoked" if revoked else "restored"})


async def _update_settings(request: Request) -> JSONResponse:
    settings = emulator_of(request).settings
    try:
        settings.update(await request.json())
    except (ValueError, TypeError, AttributeError) as error:
        return JSONResponse({"error": str(error)}, 400)
    return JSONResponse({"status": "updated"})


def _route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """The path template of the route a request matches (for per-endpoint counts)."""
    partial = None
    for route in routes:
        if not isinstance(route, Route):
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route.path
        if match == Match.PARTIAL and partial is None:
            partial = route.path
    return partial or scope["path"]


def _unknown_url(routes: list[BaseRoute]) -> Callable[[Request], Awaitable[Response]]:
    async def unknown(request: Request) -> Response:
        method_mismatch = any(
            route.matches(request.scope)[0] == Match.PARTIAL
            for route in routes
            if isinstance(route, Route) and "{rest:path}" not in route.path
        )
        if product_of(request.url.path) == "desk":
            if method_mismatch:
                raise DeskError(405, "METHOD_NOT_ALLOWED", "The HTTP method is not allowed.")
            raise DeskError(404, "URL_NOT_FOUND", "The URL you requested could not be found.")
        if method_mismatch:
            raise CrmError(
                400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        raise CrmError(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    return unknown


async def _zoho_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, CrmError | DeskError)
    return error.response()


async def _unexpected(request: Request, error: Exception) -> Response:
    _log.exception("emulator failure on %s %s", request.method, request.url.path)
    if product_of(request.url.path) == "desk":
        return DeskError(500, "INTERNAL_SERVER_ERROR", f"emulator failure: {error!r}").response()
    return CrmError(500, "INTERNAL_ERROR", f"emulator failure: {error!r}").response()


async def _http_error(request: Request, error: Exception) -> Response:
    """A path no route serves (outside /crm and /api/v1): Zoho's 404 (or 405) as JSON."""
    assert isinstance(error, HTTPException)
    try:
        return await _unknown_url(request.app.router.routes)(request)
    except (CrmError, DeskError) as zoho_error:
        return zoho_error.response()


@contextlib.asynccontextmanager
async def _background(app: Starlette) -> AsyncIterator[None]:
    """Run Bulk Read and Bulk Write jobs and churn in the background while the server serves."""
    emulator: Emulator = app.state.emulator
    bulk_reads, bulk_writes = emulator.bulk_reads, emulator.bulk_writes
    async with bulk_reads.running(), bulk_writes.running(), emulator.churn.running():
        yield


def create_app(settings: Settings) -> Starlette:
    """Build the emulator application for one org.

    Args:
        settings: The emulator settings.
    """
    crm_catalog.use_org(settings.org)
    desk_catalog.use_org(settings.org)
    if settings.source_id_field:
        crm_catalog.add_source_id_field(settings.source_id_field)
    emulator = Emulator(settings)
    routes: list[BaseRoute] = [
        Route("/oauth/v2/token", token_endpoint, methods=["POST"]),
        Route("/__emulator__/stats", _stats, methods=["GET"]),
        Route("/__emulator__/reset", _reset, methods=["POST"]),
        Route("/__emulator__/expire-tokens", _expire_tokens, methods=["POST"]),
        Route("/__emulator__/revoke-token", _revoke_token, methods=["POST"]),
        Route("/__emulator__/settings", _update_settings, methods=["PATCH"]),
        *crm_routes.ROUTES,
        *desk_routes.ROUTES,
    ]
    unknown = _unknown_url(routes)
    routes += [
        Route("/crm/{rest:path}", unknown, methods=_ALL_METHODS),
        Route("/api/v1/{rest:path}", unknown, methods=_ALL_METHODS),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                TrafficMiddleware,
                traffic=emulator.traffic,
                settings=settings,
                templates=lambda scope: _route_template(routes, scope),
            )
        ],
        exception_handlers={
            CrmError: _zoho_error,
            DeskError: _zoho_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=_background,
    )
    app.state.emulator = emulator
    return app


__all__ = ["Emulator", "create_app"]
