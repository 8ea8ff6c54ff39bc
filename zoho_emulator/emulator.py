"""The state of one emulated Zoho org: settings, tokens, traffic counters, CRM and Desk data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.crm.org import CrmOrg
from zoho_emulator.desk.org import DeskOrg
from zoho_emulator.oauth import TokenAuthority
from zoho_emulator.traffic import Traffic

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.settings import Settings


class Emulator:
    """Everything a running emulator holds; handlers reach it as ``request.app.state.emulator``.

    Args:
        settings: The emulator settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = TokenAuthority(settings)
        self.traffic = Traffic(settings)
        self.crm = CrmOrg(settings)
        self.desk = DeskOrg(settings)

    def reset(self) -> None:
        """Restore the seeded data and zero the counters; issued access tokens stay valid."""
        self.crm = CrmOrg(self.settings)
        self.desk = DeskOrg(self.settings)
        self.traffic.reset()
        self.tokens.reset_throttle()

    @staticmethod
    def base_url(request: Request) -> str:
        """The URL this emulator is reached at, returned as the token's ``api_domain``."""
        return str(request.base_url).rstrip("/")
