"""A real ``zoho-emulator serve`` process for tests, and a small client for talking to it."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import requests

from zoho_emulator.process import Banner, serve

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator


@dataclasses.dataclass
class Emulator:
    """A running emulator: its URL, credentials, and helpers for raw calls."""

    url: str
    client_id: str
    client_secret: str
    refresh_token: str
    desk_org_id: str
    process: subprocess.Popen[str]
    _token: str | None = None

    @property
    def banner(self) -> Banner:
        """What the emulator printed when it started."""
        return Banner(
            self.url, self.client_id, self.client_secret, self.refresh_token, self.desk_org_id
        )

    def refresh(self, **overrides: str) -> requests.Response:
        """One call to the token endpoint, with the emulator's credentials unless overridden."""
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            **overrides,
        }
        return requests.post(f"{self.url}/oauth/v2/token", data=form, timeout=30)

    def token(self) -> str:
        """An access token (refreshed once per emulator, as a well-behaved client would)."""
        if self._token is None:
            response = self.refresh()
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def forget_token(self) -> None:
        """Drop the cached access token (after a test expired every token)."""
        self._token = None

    def crm(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A CRM v8 call, ``path`` relative to ``/crm/v8``."""
        headers = {"Authorization": f"Zoho-oauthtoken {self.token()}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.url}/crm/v8/{path.lstrip('/')}", headers=headers, timeout=120, **kwargs
        )

    def desk(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A Desk call, ``path`` relative to ``/api/v1``, with the orgId header."""
        headers = {
            "Authorization": f"Zoho-oauthtoken {self.token()}",
            "orgId": self.desk_org_id,
            **kwargs.pop("headers", {}),
        }
        return requests.request(
            method, f"{self.url}/api/v1/{path.lstrip('/')}", headers=headers, timeout=120, **kwargs
        )

    def stats(self) -> dict[str, Any]:
        """``GET /__emulator__/stats``."""
        stats: dict[str, Any] = requests.get(f"{self.url}/__emulator__/stats", timeout=30).json()
        return stats

    def expire_tokens(self) -> None:
        """Expire every access token, as if an hour had passed."""
        requests.post(f"{self.url}/__emulator__/expire-tokens", timeout=30).raise_for_status()
        self.forget_token()

    def reset(self) -> None:
        """Restore the seeded data and zero the counters."""
        requests.post(f"{self.url}/__emulator__/reset", timeout=60).raise_for_status()

    def configure(self, **changes: float | str) -> None:
        """Change run-time settings (latency, limits, fault rates, churn, ...)."""
        response = requests.patch(f"{self.url}/__emulator__/settings", json=changes, timeout=30)
        response.raise_for_status()


@contextlib.contextmanager
def running_emulator(*flags: str) -> Iterator[Emulator]:
    """Start ``zoho-emulator serve --port 0`` with extra flags; stop it afterwards."""
    with serve(*flags) as (banner, process):
        yield Emulator(process=process, **dataclasses.asdict(banner))


def desk_ids(emulator: Emulator, module: str) -> set[str]:
    """Every record id of a Desk module, by the plain list endpoint (not the tap's search)."""
    found: set[str] = set()
    first = 1
    while True:
        response = emulator.desk("GET", module, params={"from": first, "limit": 100})
        if response.status_code == 204:
            return found
        response.raise_for_status()
        found |= {row["id"] for row in response.json()["data"]}
        first += 100
