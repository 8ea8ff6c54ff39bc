"""What ZohoCRM and ZohoDesk share: construction, credentials, the HTTP stack, ``request``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from zoho_connector.auth import AccessToken
from zoho_connector.errors import ZohoError
from zoho_connector.http import HttpStack, raise_for_error

if TYPE_CHECKING:
    import requests

_log = logging.getLogger("zoho_connector")


class ZohoClient:
    """An authenticated client of one Zoho product.

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        url: The product's API host.
        account_url: The Zoho Accounts host of the same data center.
        n_concurrent: Calls in flight at once (Zoho's concurrency limit is per org).
        die_on_error: Raise on a failed record instead of reporting it.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless set to False (or a CA bundle path).
        cert: Client certificate for ``requests``.
        headers: Headers every call carries.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        url: str,
        account_url: str,
        *,
        n_concurrent: int = 4,
        die_on_error: bool = True,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        for name, value in (
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ):
            if not value or not isinstance(value, str):
                msg = f"{name} is required"
                raise ValueError(msg)
        self.url = url.rstrip("/")
        self.account_url = account_url.rstrip("/")
        self.die_on_error = die_on_error
        self.token = AccessToken.for_credentials(
            self.account_url,
            client_id,
            client_secret,
            refresh_token,
            timeout=timeout,
            verify=verify,
            cert=cert,
        )
        self.http = HttpStack(
            self.token,
            n_concurrent=n_concurrent,
            timeout=timeout,
            verify=verify,
            cert=cert,
            headers=headers,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, account_url={self.account_url!r})"

    @property
    def n_concurrent(self) -> int:
        """Calls in flight at once."""
        return self.http.n_concurrent

    def headers(self) -> dict[str, str]:
        """The OAuth header of a live access token."""
        return self.http.auth_headers()

    def endpoint(self, path: str) -> str:
        """The URL of an API path (relative to the product's API root, or absolute)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.api_root}/{path.lstrip('/')}"

    @property
    def api_root(self) -> str:
        """The root every relative path hangs from."""
        return self.url

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        """One API call: Zoho's JSON answer, or None for 204 and 304.

        Args:
            method: HTTP method.
            path: Path under the API root, or a full URL.
            headers: Extra headers.
            **kwargs: ``params`` and ``json``.

        Raises:
            ZohoError: Zoho answered an error (its code, message and details), except
                per-record write results, which are returned for the caller to read.
        """
        response = self.http.send(method, self.endpoint(path), headers=headers, **kwargs)
        return parse(response)


def parse(response: requests.Response) -> dict[str, Any] | None:
    """Zoho's JSON body; None for 204/304; per-record results (207, 400) as a body.

    Raises:
        ZohoError: A request-level error.
    """
    if response.status_code in (204, 304) or not response.content:
        if response.status_code >= 400:
            raise_for_error(response)
        return None
    try:
        body = response.json()
    except ValueError:
        raise_for_error(response)
        msg = f"Zoho answered HTTP {response.status_code} with a body that is not JSON"
        raise ZohoError("INVALID_RESPONSE", msg, status=response.status_code) from None
    if response.status_code >= 400 and not (
        isinstance(body, dict) and isinstance(body.get("data"), list)
    ):
        raise_for_error(response)
    if not isinstance(body, dict):
        return {"data": body}
    return body
