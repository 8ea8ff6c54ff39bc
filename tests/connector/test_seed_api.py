"""The seed's API, exactly: every method called with the seed's positional arguments.

The connector design the project started from fixes ``ZohoCRM``'s and ``ZohoDesk``'s
signatures (Desk's class extends CRM's); the project's additions are keyword-only. These tests
call each seed method as code written against that design would, against the emulator.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from zoho_connector import ZohoCRM, ZohoDesk
from zoho_connector.errors import ZohoInputError

if TYPE_CHECKING:
    from tests.server import Emulator

#: The seed's positional parameters of both classes, in order.
SEED_PARAMETERS = [
    "client_id",
    "client_secret",
    "refresh_token",
    "url",
    "account_url",
    "api_version",
    "n_rows_read",
    "n_rows_write",
    "n_concurrent",
    "die_on_error",
    "timeout",
    "verify",
    "cert",
]
#: The seed's methods and their positional parameters (after ``self``).
SEED_METHODS = {
    "connect": [],
    "ping": [],
    "headers": [],
    "request": ["method", "path", "headers"],
    "read": ["module", "filter", "fields", "order_by", "limit", "n_rows_read", "callback"],
    "retrieve": ["module", "id"],
    "count": ["module", "filter"],
    "create": ["module", "data", "trigger"],
    "update": ["module", "data", "id"],
    "delete": ["module", "id"],
    "integrate": ["module", "data", "sync_key", "trigger"],
    "load": [
        "module",
        "data",
        "action",
        "sync_key",
        "transform",
        "picklist",
        "n_rows_write",
        "n_concurrent",
        "die_on_error",
        "trigger",
        "callback",
    ],
    "query_condition": ["field", "operator", "value", "format", "utc"],
}


def positional(function: Any) -> list[str]:
    """The names of a callable's positional parameters, ``self`` left out."""
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD and name != "self"
    ]


@pytest.mark.parametrize("cls", [ZohoCRM, ZohoDesk])
def test_signatures_are_the_seeds_with_additions_keyword_only(cls: type[ZohoCRM]) -> None:
    assert positional(cls.__init__) == SEED_PARAMETERS
    for method, parameters in SEED_METHODS.items():
        assert positional(getattr(cls, method)) == parameters, method


def test_desk_is_a_crm_client() -> None:
    assert issubclass(ZohoDesk, ZohoCRM)


def test_crm_seed_calls(emulator: Emulator) -> None:
    url = emulator.url
    crm = ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        url,
        url,
        "v8",
        200,
        100,
        2,
        True,
        30,
        None,
        None,
    )
    assert crm.connect() is crm
    assert crm.ping() is True
    assert crm.headers()["Authorization"].startswith("Zoho-oauthtoken ")
    assert (crm.request("GET", "org", None) or {})["org"]

    condition = ZohoCRM.query_condition("Last_Name", "starts_with", "O", "text", True)
    pages: list[dict[str, Any]] = []
    frame = crm.read("Leads", condition, ["Last_Name"], "id", 5, 200, pages.append)
    assert frame.height == 5
    assert all(name.startswith("O") for name in frame["Last_Name"])
    assert pages[-1] == {"rows_done": 5}
    # A criteria string reads the same records as the condition it is the text of.
    assert crm.read("Leads", str(condition[0]), ["Last_Name"], "id", 5).equals(frame)
    assert crm.count("Leads", condition) == crm.count("Leads", "(Last_Name:starts_with:O)") > 5

    created = crm.create("Leads", {"Last_Name": "Seed", "Email": "seed@example.test"}, None)
    assert isinstance(created, dict)
    record_id = created["id"]
    updated = crm.update("Leads", {"City": "Kō"}, record_id)
    assert isinstance(updated, dict)
    assert updated["id"] == record_id
    upserted = crm.integrate(
        "Leads", {"Last_Name": "Seed 2", "Email": "seed@example.test"}, "Email", None
    )
    assert isinstance(upserted, dict)
    assert upserted["id"] == record_id
    assert (crm.retrieve("Leads", record_id) or {})["Last_Name"] == "Seed 2"
    assert crm.delete("Leads", record_id) == {"id": record_id}
    assert crm.retrieve("Leads", record_id) is None

    rows = pl.DataFrame({"Last_Name": ["Load 1", "Load 2"], "Email": ["l1@x.test", "l2@x.test"]})
    done: list[dict[str, Any]] = []
    loaded = crm.load(
        "Leads", rows, "INTEGRATE", "Email", None, None, 100, 2, True, None, done.append
    )
    assert loaded["success"].to_list() == [True, True]
    assert done[-1]["rows_done"] == 2


def test_desk_seed_calls(emulator: Emulator) -> None:
    url = emulator.url
    # No org id: the one organization the token sees.
    desk = ZohoDesk(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        url,
        url,
        "v1",
        100,
        100,
        2,
        True,
        30,
        None,
        None,
    )
    assert desk.org_id == emulator.desk_org_id
    assert desk.connect() is desk
    assert desk.ping() is True
    assert desk.headers()["Authorization"].startswith("Zoho-oauthtoken ")
    assert (desk.request("GET", "departments", None) or {})["data"]

    frame = desk.read("tickets", "status=Open", None, "id", 5, 50, None)
    assert 0 < frame.height <= 5
    assert set(frame["status"]) == {"Open"}
    assert frame.equals(desk.read("tickets", {"status": "Open"}, None, "id", 5))
    assert desk.count("contacts", None) == desk.count("contacts", {})

    created = desk.create("contacts", {"lastName": "Seed", "email": "seed@example.test"}, None)
    assert isinstance(created, dict)
    record_id = created["id"]
    updated = desk.update("contacts", {"firstName": "Ana"}, record_id)
    assert isinstance(updated, dict)
    assert updated["firstName"] == "Ana"
    merged = desk.integrate(
        "contacts", {"lastName": "Seed 2", "email": "seed@example.test"}, "email", None
    )
    assert isinstance(merged, dict)
    assert merged["id"] == record_id
    assert (desk.retrieve("contacts", record_id) or {})["lastName"] == "Seed 2"
    assert desk.delete("contacts", record_id) == {"id": record_id}
    assert desk.retrieve("contacts", record_id) is None

    rows = pl.DataFrame({"lastName": ["Load 1"], "email": ["desk.l1@x.test"]})
    loaded = desk.load("contacts", rows, "INTEGRATE", "email", None, None, 100, 2, True, None)
    assert loaded["success"].to_list() == [True]

    with pytest.raises(ZohoInputError, match="workflow triggers"):
        desk.create("contacts", {"lastName": "x"}, ["workflow"])
    with pytest.raises(ZohoInputError, match="Zoho Desk has no counterpart"):
        desk.deleted("contacts")
