"""Zoho Accounts: the refresh-token grant, access-token checks and scopes.

Sources: https://www.zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html and
https://www.zoho.com/crm/developer/docs/api/v8/token-validity.html.
"""

from __future__ import annotations

import collections
import dataclasses
import secrets
import urllib.parse
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from zoho_emulator import timefmt

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.settings import Settings

#: Zoho keeps at most this many live access tokens per refresh token; the next evicts the oldest.
ACTIVE_TOKENS_PER_REFRESH_TOKEN = 15
_THROTTLED = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again after "
    "some time.",
}


@dataclasses.dataclass(frozen=True)
class AccessToken:
    """A live access token."""

    value: str
    expires_at: float
    scopes: tuple[str, ...]


class AuthError(Exception):
    """A call's token is missing, unknown or expired.

    Args:
        missing: True when no usable Authorization header was sent at all.
    """

    def __init__(self, *, missing: bool) -> None:
        super().__init__("missing token" if missing else "invalid token")
        self.missing = missing


def has_scope(granted: tuple[str, ...], required: str) -> bool:
    """Whether granted scopes cover a required one.

    A granted scope covers every scope below it: ``ZohoCRM.modules.ALL`` covers
    ``ZohoCRM.modules.leads.READ``; ``ALL`` covers every operation.

    Args:
        granted: Scopes of the access token.
        required: The scope a call needs, e.g. ``ZohoCRM.modules.leads.READ``.
    """
    *need_path, need_op = required.lower().split(".")
    for scope in granted:
        *path, operation = scope.lower().split(".")
        if need_path[: len(path)] == path and operation in ("all", need_op):
            return True
    return False


class TokenAuthority:
    """Issues and checks access tokens for the one refresh token the emulated org has.

    Args:
        settings: The emulator settings (credentials, token lifetime, refresh throttle).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._live: collections.OrderedDict[str, AccessToken] = collections.OrderedDict()
        self._refresh_times: collections.deque[float] = collections.deque()
        self.refreshes = 0
        self.revoked = False

    def reset_throttle(self) -> None:
        """Forget past refreshes (the emulator's reset), keeping live tokens valid."""
        self._refresh_times.clear()
        self.refreshes = 0

    def expire_all(self) -> None:
        """Expire every live access token, as an hour passing would."""
        self._live.clear()

    def revoke(self, *, revoked: bool = True) -> None:
        """Revoke the refresh token (or restore it), as its owner removing the client would.

        A revoked refresh token's access tokens are refused (INVALID_TOKEN, Desk's
        INVALID_OAUTH), and refreshing it answers ``invalid_code``.
        """
        self.revoked = revoked
        if revoked:
            self._live.clear()

    def grant(self, params: dict[str, str], api_domain: str) -> tuple[int, dict[str, object]]:
        """Answer a token request.

        Failures carry an ``error`` key; Zoho's status for them varies, and which one it sends
        today is not documented by Zoho: we assume 400, as recent third-party clients see.

        Args:
            params: The request's form and query parameters.
            api_domain: This emulator's base URL, returned as ``api_domain``.

        Returns:
            The HTTP status and the JSON body.
        """
        settings = self._settings
        if params.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if (
            params.get("client_id") != settings.client_id
            or params.get("client_secret") != settings.client_secret
        ):
            return 400, {"error": "invalid_client"}
        if params.get("refresh_token") != settings.refresh_token or self.revoked:
            return 400, {"error": "invalid_code"}
        moment = timefmt.now()
        while self._refresh_times and moment - self._refresh_times[0] > settings.refresh_window:
            self._refresh_times.popleft()
        if len(self._refresh_times) >= settings.refresh_limit:
            return 400, dict(_THROTTLED)
        self._refresh_times.append(moment)
        self.refreshes += 1
        token = AccessToken(
            value=f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
            expires_at=moment + settings.token_lifetime,
            scopes=settings.scopes,
        )
        self._live[token.value] = token
        while len(self._live) > ACTIVE_TOKENS_PER_REFRESH_TOKEN:
            self._live.popitem(last=False)
        return 200, {
            "access_token": token.value,
            "scope": " ".join(token.scopes),
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": settings.token_lifetime,
        }

    def check(self, authorization: str | None) -> AccessToken:
        """The live token an Authorization header carries.

        Zoho documents ``Zoho-oauthtoken <token>``; ``Bearer`` is accepted in practice.

        Raises:
            AuthError: No such header, or the token is unknown or expired.
        """
        scheme, _, value = (authorization or "").partition(" ")
        if scheme not in ("Zoho-oauthtoken", "Bearer") or not value:
            raise AuthError(missing=True)
        token = self._live.get(value.strip())
        if token is None or token.expires_at <= timefmt.now():
            raise AuthError(missing=False)
        return token


async def token_endpoint(request: Request) -> JSONResponse:
    """``POST /oauth/v2/token``: parameters in a url-encoded form or the query string."""
    params = dict(request.query_params)
    params.update(urllib.parse.parse_qsl((await request.body()).decode("utf-8", "replace")))
    emulator = request.app.state.emulator
    status, body = emulator.tokens.grant(params, emulator.base_url(request))
    return JSONResponse(body, status)
