"""The state of one emulated Zoho org: settings, tokens, traffic counters, CRM and Desk data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.crm.bulk_jobs import BulkReads
from zoho_emulator.crm.bulk_write_jobs import BulkWrites
from zoho_emulator.crm.churn import Churn
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
        self.bulk_reads = BulkReads(settings)
        self.bulk_writes = BulkWrites(settings)
        self.churn = Churn(settings, lambda: self.crm)

    def reset(self) -> None:
        """Restore the seeded data, drop Bulk jobs and uploads, zero counters; tokens stay valid.

        A revoked refresh token is restored. Churn goes on (with its draws restarted) over the
        restored data.
        """
        self.crm = CrmOrg(self.settings)
        self.desk = DeskOrg(self.settings)
        self.bulk_reads.reset()
        self.bulk_writes.reset()
        self.churn.reset()
        self.traffic.reset()
        self.tokens.reset_throttle()
        self.tokens.revoke(revoked=False)

    @staticmethod
    def base_url(request: Request) -> str:
        """The URL this emulator is reached at, returned as the token's ``api_domain``."""
        return str(request.base_url).rstrip("/")
