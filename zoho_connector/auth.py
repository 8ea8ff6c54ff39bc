"""OAuth: one access token per refresh token, shared by every client, thread and process.

Zoho mints at most ten access tokens per refresh token in ten minutes and keeps fifteen alive
(https://www.zoho.com/crm/developer/docs/api/v8/token-validity.html), so a token is refreshed
once, under a lock (across processes when a :class:`TokenCache` is given), and reused until it
is about to expire or Zoho calls it invalid. When Zoho refuses a refresh for that limit, the
refresh waits for the window to pass (up to ``refresh_wait``) instead of failing the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from typing import Any, ClassVar

import requests

from zoho_connector.errors import ZohoAuthError, ZohoRefreshLimitError
from zoho_connector.formats import time_of_day_in
from zoho_connector.token_cache import CachedToken, TokenCache

_log = logging.getLogger("zoho_connector")
#: Refresh this long before Zoho's expiry (at most a tenth of the token's life), so no call
#: leaves with a dying token.
EXPIRY_MARGIN = 60.0
#: Seconds a refresh refused for Zoho's refresh limit waits for it, by default: its window.
REFRESH_WAIT = 600.0
_REFRESH_ATTEMPTS = 4
#: Zoho Accounts' error for too many refreshes of one refresh token.
_THROTTLED = "Access Denied"
#: Seconds between two tries of a throttled refresh.
_THROTTLED_PAUSE = 30.0
_HINTS = {
    "invalid_client": "Check client_id and client_secret, and that the accounts URL belongs to "
    "the data center the client was registered in (data_center / accounts_url)",
    "invalid_code": "The refresh token is wrong, revoked, or from another data center; "
    "generate a new one",
    _THROTTLED: "Zoho refreshes a refresh token at most ten times in ten minutes, and other "
    "processes or apps on the same refresh token took them; raise token_refresh_wait, or give "
    "each pipeline a refresh token of its own",
}


class AccessToken:
    """The live access token of one refresh token; get it with :meth:`for_credentials`.

    Args:
        accounts_url: The Zoho Accounts host, e.g. ``https://accounts.zoho.eu``.
        client_id: The OAuth client id.
        client_secret: The OAuth client secret.
        refresh_token: The refresh token.
        timeout: Seconds to wait for the token endpoint.
        verify: TLS verification (``requests``' ``verify``).
        cert: Client certificate (``requests``' ``cert``).
        cache: Where tokens are kept between processes (none: in this process only).
        refresh_wait: Seconds a refresh refused for Zoho's refresh limit keeps trying.
    """

    _shared: ClassVar[dict[str, AccessToken]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        timeout: float = 60,
        verify: bool | str | None = None,
        cert: Any = None,
        cache: TokenCache | None = None,
        refresh_wait: float = REFRESH_WAIT,
    ) -> None:
        self.accounts_url = accounts_url.rstrip("/")
        self._key = _key(self.accounts_url, client_id, client_secret, refresh_token)
        self._cache = cache
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._timeout = timeout
        self._verify = True if verify is None else verify
        self._cert = cert
        self.refresh_wait = refresh_wait
        self._lock = threading.Lock()
        self._value: str | None = None
        self._refresh_at = 0.0
        self.api_domain: str | None = None
        self.refreshes = 0

    @classmethod
    def for_credentials(
        cls,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        **options: Any,
    ) -> AccessToken:
        """The process-wide token of these credentials, created on first use."""
        key = _key(accounts_url.rstrip("/"), client_id, client_secret, refresh_token)
        with cls._shared_lock:
            token = cls._shared.get(key)
            if token is None:
                token = cls(accounts_url, client_id, client_secret, refresh_token, **options)
                cls._shared[key] = token
            return token

    def __repr__(self) -> str:
        return f"AccessToken(accounts_url={self.accounts_url!r}, client_id=<redacted>)"

    def get(self) -> str:
        """A live access token, renewed first when missing or about to expire.

        Raises:
            ZohoRefreshLimitError: Zoho refused to refresh for its limit past ``refresh_wait``.
            ZohoAuthError: Zoho refused to refresh.
        """
        with self._lock:
            if self._value is None or time.monotonic() >= self._refresh_at:
                return self._renew()
            return self._value

    def invalidate(self, rejected: str) -> None:
        """Forget a token Zoho called invalid, unless another thread already replaced it."""
        with self._lock:
            if self._value == rejected:
                self._value = None
            if self._cache is not None:
                self._cache.discard(self._key, rejected)

    def _take(self, value: str, renew_in: float, api_domain: str | None) -> None:
        self._value = value
        self._refresh_at = time.monotonic() + renew_in
        self.api_domain = api_domain

    def _adopt(self) -> bool:
        """Take the cached token if another process renewed it meanwhile and it is fresh."""
        cached = self._cache.load(self._key) if self._cache else None
        if cached is None or not cached.fresh(EXPIRY_MARGIN):
            return False
        self._take(cached.value, cached.renewal(EXPIRY_MARGIN) - time.time(), cached.api_domain)
        return True

    def _renew(self) -> str:
        """The cached token, or a new one refreshed while holding the cache's lock.

        The cache is read again once the lock is held: of processes renewing at once, one
        refreshes and the others take its token. A refresh refused for Zoho's limit is tried
        again every half minute, lock held, until ``refresh_wait`` has passed.
        """
        if self._adopt():
            return str(self._value)
        lock = self._cache.locked(self._key) if self._cache else contextlib.nullcontext()
        with lock:
            give_up = time.monotonic() + self.refresh_wait
            while not self._adopt():
                try:
                    return self._refresh()
                except ZohoRefreshLimitError:
                    left = give_up - time.monotonic()
                    if left <= 0:
                        raise
                    pause = min(_THROTTLED_PAUSE, left)
                    _log.warning(
                        "Zoho Accounts refuses new access tokens for now (at most ten per "
                        "refresh token in ten minutes, shared with other processes): trying "
                        "again at %s, giving up at %s (token_refresh_wait)",
                        time_of_day_in(pause),
                        time_of_day_in(left),
                    )
                    time.sleep(pause)
            return str(self._value)

    def _refresh(self) -> str:
        form = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "refresh_token": self._refresh_token,
        }
        url = f"{self.accounts_url}/oauth/v2/token"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = requests.post(
                    url, data=form, timeout=self._timeout, verify=self._verify, cert=self._cert
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == _REFRESH_ATTEMPTS:
                    msg = f"cannot reach {url}: {type(error).__name__}"
                    raise ZohoAuthError("CONNECTION_FAILED", msg) from None
            else:
                if response.status_code < 500 or attempt == _REFRESH_ATTEMPTS:
                    return self._accept(response)
            time.sleep(2 ** (attempt - 1))

    def _accept(self, response: requests.Response) -> str:
        """Take a token answer; Zoho reports failures by an ``error`` key, whatever the status."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict) or "access_token" not in body:
            error = str(body.get("error", "no access_token")) if isinstance(body, dict) else "?"
            description = body.get("error_description") if isinstance(body, dict) else None
            kind = ZohoRefreshLimitError if error == _THROTTLED else ZohoAuthError
            raise kind(
                error,
                str(description or "Zoho Accounts refused to refresh the access token"),
                status=response.status_code,
                hint=_HINTS.get(error),
            )
        # Zoho's legacy answers give expires_in in milliseconds beside expires_in_sec
        # (https://www.zoho.com/writer/help/api/v1/oauth-step4.html shows that form).
        seconds = float(body.get("expires_in_sec") or body.get("expires_in") or 3600)
        value = str(body["access_token"])
        renew_in = seconds - min(EXPIRY_MARGIN, seconds / 10)
        self._take(value, renew_in, body.get("api_domain"))
        self.refreshes += 1
        if self._cache is not None:
            now = time.time()
            token = CachedToken(value, now + seconds, self.api_domain, now + renew_in)
            self._cache.store(self._key, token)
        return value


def _key(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    """A name for a set of credentials that reveals none of them.

    Every credential is in it: a client with a mistyped secret gets a token of its own, which
    fails, and never borrows another client's good one.
    """
    secret = f"{accounts_url}\0{client_id}\0{client_secret}\0{refresh_token}"
    return hashlib.sha256(secret.encode()).hexdigest()
