"""The whole CRM state of one emulated org: module stores, users, org details, page tokens."""

from __future__ import annotations

import dataclasses
import secrets
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog
from zoho_emulator.crm.generator import Generator
from zoho_emulator.crm.store import ModuleStore
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.settings import Settings

#: Page tokens expire after a day (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html).
PAGE_TOKEN_LIFETIME = 86_400


@dataclasses.dataclass(frozen=True)
class PageToken:
    """Where a page token continues, bound to the query that produced it."""

    query: tuple[Any, ...]
    offset: int
    expires_at: float


class CrmOrg:
    """The CRM data of one org: seeded on demand, changed by writes for the process's life.

    Args:
        settings: The emulator settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.time_zone)
        self.gen = Generator(settings.seed, settings.records, self.zone, settings.anchor)
        self.users = self.gen.users
        self.current_user = self.users[0]
        self.stores = {
            module.api_name: ModuleStore(module, self.gen) for module in catalog.iter_api_modules()
        }
        self._page_tokens: dict[str, PageToken] = {}
        self._row_ids = 0

    def module(self, name: str) -> Module:
        """The API module of that name (case-insensitive, as Zoho matches).

        Raises:
            CrmError: No such module, or one whose records the API does not serve.
        """
        module = catalog.lookup_module(name)
        if module is None or not module.api_supported:
            raise CrmError(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                {"resource_path_index": 0},
            )
        return module

    def store(self, name: str) -> ModuleStore:
        """The records of an API module (see :meth:`module` for errors)."""
        return self.stores[self.module(name).api_name]

    def locate(self, record_id: str) -> tuple[ModuleStore, int] | None:
        """The store and index of a live record id, in any module."""
        parsed = catalog.parse_id(record_id)
        if parsed is None:
            return None
        module = catalog.MODULES_BY_CODE.get(parsed[0])
        store = self.stores.get(module.api_name) if module else None
        if store is None or not store.exists(parsed[1]):
            return None
        return store, parsed[1]

    def user(self, user_id: str) -> dict[str, Any] | None:
        """The user of that id."""
        return next((user for user in self.users if user["id"] == str(user_id)), None)

    def resolve_lookup(self, value: Any, field: Field) -> Any:
        """A field of the record (or user) a lookup value points at; None when it is gone."""
        if not isinstance(value, dict) or "id" not in value:
            return None
        user = self.user(value["id"])
        if user is not None:
            return user.get(field.api_name)
        located = self.locate(value["id"])
        if located is None:
            return None
        store, index = located
        return store.get(index, field) if field.api_name in store.module.field_map else None

    def current_name(self, record_id: str, seeded_name: str | None) -> str | None:
        """The name a lookup shows now: a written target's new name, else the seeded one."""
        located = self.locate(record_id)
        if located is None:
            return seeded_name
        store, index = located
        return store.display_name(index) if index in store.overlay else seeded_name

    def now(self) -> str:
        """The current time as CRM writes it."""
        return timefmt.crm_datetime(timefmt.now(), self.zone)

    def next_row_id(self) -> str:
        """A fresh id for a subform or linking row."""
        self._row_ids += 1
        return catalog.record_id(catalog.SUBFORM_ROW_CODE, 900_000_000 + self._row_ids)

    def org_details(self) -> dict[str, Any]:
        """``GET /org`` (https://www.zoho.com/crm/developer/docs/api/v7/get-org-data.html)."""
        admin = self.current_user
        return {
            "id": catalog.record_id(catalog.METADATA_CODE, 1),
            "company_name": "Emulated Zoho Org (Zürich), Ltd",
            "domain_name": "org808232144",
            "zgid": "808232144",
            "primary_zuid": admin["zuid"],
            "primary_email": admin["email"],
            "type": "production",
            "time_zone": self.zone.key,
            "country_code": "US",
            "iso_code": "USD",
            "currency": "US Dollar - USD",
            "currency_symbol": "$",
            "currency_locale": "USD",
            "mc_status": False,
            "hipaa_compliance_enabled": False,
            "privacy_settings": False,
            "gapps_enabled": False,
            "translation_enabled": False,
            "lite_users_enabled": False,
            "employee_count": str(len(self.users)),
            "license_details": {
                "paid": True,
                "paid_type": "enterprise",
                "paid_expiry": None,
                "users_license_purchased": 10,
                "trial_type": None,
                "trial_expiry": None,
                "portal_users_license_purchased": 0,
            },
            "hierarchy_preferences": {"type": "Role_Hierarchy"},
            "deletable_org_account": False,
            "photo_id": None,
            "zia_portal_id": "814461734",
            "created_time": admin["created_time"],
        }

    # -- page tokens (Zoho's Get Records page) ---------------------------------------------

    def issue_page_token(self, query: tuple[Any, ...], offset: int) -> tuple[str, str]:
        """A token continuing ``query`` at ``offset``, and its expiry as CRM writes it."""
        value = secrets.token_hex(16)
        expires_at = timefmt.now() + PAGE_TOKEN_LIFETIME
        self._page_tokens[value] = PageToken(query, offset, expires_at)
        return value, timefmt.crm_datetime(expires_at, self.zone)

    def redeem_page_token(self, value: str, query: tuple[Any, ...]) -> int:
        """The offset a page token continues at.

        Raises:
            CrmError: Unknown (INVALID_DATA), expired (EXPIRED_VALUE) or issued for another
                query (TOKEN_BOUND_DATA_MISMATCH).
        """
        token = self._page_tokens.get(value)
        if token is None:
            raise CrmError(400, "INVALID_DATA", "invalid data", {"param_name": "page_token"})
        if token.expires_at <= timefmt.now():
            raise CrmError(
                400, "EXPIRED_VALUE", "the page token has expired", {"param_name": "page_token"}
            )
        if token.query != query:
            raise CrmError(
                400,
                "TOKEN_BOUND_DATA_MISMATCH",
                "the page token is bound to other parameters",
                {"param_name": "page_token"},
            )
        return token.offset
