"""Emulator settings: what the command-line flags set, some of them adjustable at run time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from zoho_emulator.crm import catalog

#: Settings a running emulator accepts through ``PATCH /__emulator__/settings``.
RUNTIME_SETTINGS = frozenset(
    {
        "latency_ms",
        "concurrency",
        "daily_credits",
        "crm_credits_header",
        "error_rate",
        "drop_rate",
        "slow_rate",
        "slow_ms",
        "token_lifetime",
        "refresh_limit",
        "refresh_window",
        "search_from_cap",
        "search_lag_seconds",
        "desk_fields_system_keys",
        "desk_ranges_inclusive",
        "bulk_job_seconds",
        "bulk_failure_rate",
        "bulk_page_rows",
        "bulk_write_job_seconds",
        "bulk_write_failure_rate",
        "churn_per_second",
        "churn_module",
        "churn_delete_share",
    }
)


def churn_module(name: str) -> str:
    """The API name of a module churn may change, matched as Zoho matches: in any case.

    Raises:
        ValueError: No module whose records the API serves.
    """
    module = catalog.lookup_module(name)
    if module is None or not module.api_supported:
        msg = f"{name!r} is no module of the API"
        raise ValueError(msg)
    return module.api_name


#: Run-time string settings, each with the check that canonicalises its value.
_STRING_CHECKS = {"churn_module": churn_module}


@dataclasses.dataclass
class Settings:
    """Everything that shapes one emulated Zoho org.

    Attributes:
        seed: Seed of the generated data and of the fault sequence.
        org: Which org this emulator plays: its record ids are its own, never another
            emulated org's (as Zoho's ids are unique across orgs).
        records: Records per main module (CRM Leads, Contacts, Accounts, Deals and the custom
            module; Desk contacts and tickets).
        client_id: The OAuth client id the token endpoint accepts.
        client_secret: The OAuth client secret the token endpoint accepts.
        refresh_token: The refresh token the token endpoint accepts.
        desk_org_id: The Desk ``orgId`` every Desk call must carry.
        scopes: Scopes granted to the refresh token's access tokens.
        time_zone: The org's (and API user's) time zone; CRM datetimes carry its offset.
        anchor: The day the generated data ends; the data spans the two years before it.
        latency_ms: Latency added to every API call.
        concurrency: Calls in flight at once before 429 TOO_MANY_REQUESTS (0: unlimited).
        daily_credits: API credits before 429 for the rest of the day (0: unlimited).
        crm_credits_header: Whether CRM answers tell the credits left
            (``X-API-CREDITS-REMAINING``) once half the day's are used, as third parties
            report; Zoho's pages do not say (off: a spent day's 429 is the concurrency one).
        error_rate: Share of API calls answered with a 500.
        drop_rate: Share of API calls whose connection is dropped without an answer.
        slow_rate: Share of API calls answered ``slow_ms`` late. The call's work is done
            first (a write is applied): only its answer is late, and a client that stops
            waiting does not undo it.
        slow_ms: How late a slowed answer comes, in milliseconds.
        token_lifetime: Seconds an access token lives.
        refresh_limit: Token refreshes allowed per refresh token in ``refresh_window``.
        refresh_window: Seconds of the refresh limit's window (Zoho's ten minutes).
        search_from_cap: Largest ``from`` a Desk search accepts (999 in the OAS, 4999 per
            secondary sources).
        search_lag_seconds: Seconds before a CRM write shows in search (Zoho's index lag).
        desk_fields_system_keys: Whether Desk's ``GET /fields`` lists system fields (the
            record times, AutoNumber and lookup ids); Zoho does not say (off: it does not).
        desk_ranges_inclusive: Whether Desk search time ranges include their bounds; Zoho
            does not say (off: both bounds are excluded).
        bulk_job_seconds: Least time a Bulk Read job takes from creation to completion.
        bulk_failure_rate: Share of Bulk Read jobs that end in FAILURE.
        bulk_page_rows: Records a Bulk Read page holds (Zoho's 200,000).
        bulk_write_job_seconds: Least time a Bulk Write job takes from its start to its
            completion (jobs run one at a time: the next one waits ADDED meanwhile).
        bulk_write_failure_rate: Share of Bulk Write jobs that end FAILED, none of their rows
            written.
        churn_per_second: Background changes a second to ``churn_module``'s records (0: off).
        churn_module: The module whose records churn changes.
        churn_delete_share: Share of churn events that delete a record instead of updating it.
        source_id_field: A unique custom text field added to every CRM module, as a user adds
            one before copying an org into this one (None: none).
    """

    seed: int = 42
    org: int = 0
    records: int = 2500
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    refresh_token: str = "emulator-refresh-token"
    desk_org_id: str = "emulator-org"
    scopes: tuple[str, ...] = (
        "ZohoCRM.modules.ALL",
        "ZohoCRM.settings.ALL",
        "ZohoCRM.users.READ",
        "ZohoCRM.org.READ",
        "ZohoCRM.coql.READ",
        "ZohoCRM.bulk.READ",
        "ZohoCRM.bulk.CREATE",
        "ZohoFiles.files.ALL",
        "ZohoSearch.securesearch.READ",
        "Desk.tickets.ALL",
        "Desk.contacts.ALL",
        "Desk.tasks.ALL",
        "Desk.calls.ALL",
        "Desk.events.ALL",
        "Desk.basic.READ",
        "Desk.settings.READ",
        "Desk.search.READ",
    )
    time_zone: str = "America/Los_Angeles"
    anchor: dt.date = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    latency_ms: float = 0.0
    concurrency: int = 10
    daily_credits: int = 0
    crm_credits_header: bool = True
    error_rate: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 0.0
    token_lifetime: int = 3600
    refresh_limit: int = 10
    refresh_window: float = 600.0
    search_from_cap: int = 999
    search_lag_seconds: float = 0.0
    desk_fields_system_keys: bool = True
    desk_ranges_inclusive: bool = True
    bulk_job_seconds: float = 1.0
    bulk_failure_rate: float = 0.0
    bulk_page_rows: int = 200_000
    bulk_write_job_seconds: float = 1.0
    bulk_write_failure_rate: float = 0.0
    churn_per_second: float = 0.0
    churn_module: str = "Leads"
    churn_delete_share: float = 0.0
    source_id_field: str | None = None

    def update(self, changes: dict[str, Any]) -> None:
        """Apply run-time changes, refusing settings that only a restart can change.

        Args:
            changes: Setting name to new value.

        Raises:
            ValueError: A setting is unknown, fixed at start, of the wrong type, or names no
                module of the API (``churn_module``).
        """
        for name, value in changes.items():
            if name not in RUNTIME_SETTINGS:
                msg = f"{name!r} cannot be changed at run time"
                raise ValueError(msg)
            current = getattr(self, name)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    msg = f"{name!r} must be true or false"
                    raise ValueError(msg)
                setattr(self, name, value)
                continue
            if isinstance(current, str):
                if not isinstance(value, str):
                    msg = f"{name!r} must be a string"
                    raise ValueError(msg)
                setattr(self, name, _STRING_CHECKS[name](value))
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                msg = f"{name!r} must be a number"
                raise ValueError(msg)
            setattr(self, name, type(current)(value))
