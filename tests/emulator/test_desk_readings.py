"""The Desk emulator's pessimistic readings of what Zoho leaves unsaid: ``GET /fields``
without system fields, and search time ranges without their bounds (flags and run time)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
import requests

from tests.server import Emulator, running_emulator
from zoho_connector.formats import desk_datetime, parse_datetime
from zoho_emulator.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

SYSTEM = {"createdTime", "modifiedTime", "ticketNumber", "customerResponseTime"}
LOOKUPS = {"departmentId", "contactId", "accountId", "assigneeId", "teamId", "productId"}


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = ("--records", "100", "--no-desk-fields-system-keys", "--no-desk-ranges-inclusive")
    with running_emulator(*flags) as emulator:
        yield emulator


def listed(server: Emulator, path: str, module: str) -> set[str]:
    response = server.desk("GET", path, params={"module": module})
    assert response.status_code == 200, response.text
    return {field["apiName"] for field in response.json()["data"]}


def test_fields_leave_system_fields_out(server: Emulator) -> None:
    for path in ("fields", "organizationFields"):
        names = listed(server, path, "tickets")
        assert not names & (SYSTEM | LOOKUPS), path
        assert {"subject", "status", "dueDate", "cf_units"} <= names, path
    assert not listed(server, "fields", "contacts") & {"createdTime", "modifiedTime", "accountId"}
    server.configure(desk_fields_system_keys=True)
    try:
        assert listed(server, "fields", "tickets") >= SYSTEM | LOOKUPS
    finally:
        server.configure(desk_fields_system_keys=False)


def _search(server: Emulator, start: str, end: str) -> set[str]:
    params = {"modifiedTimeRange": f"{start},{end}", "limit": 100}
    response = server.desk("GET", "accounts/search", params=params)
    if response.status_code == 204:
        return set()
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


def test_ranges_without_their_bounds(server: Emulator) -> None:
    row = server.desk("GET", "accounts/search", params={"limit": 1}).json()["data"][0]
    moment = row["modifiedTime"]
    before = desk_datetime(parse_datetime(moment) - dt.timedelta(milliseconds=1))
    after = desk_datetime(parse_datetime(moment) + dt.timedelta(milliseconds=1))
    assert row["id"] not in _search(server, moment, moment)
    assert row["id"] not in _search(server, moment, after)
    assert row["id"] not in _search(server, before, moment)
    assert row["id"] in _search(server, before, after)
    server.configure(desk_ranges_inclusive=True)
    try:
        assert row["id"] in _search(server, moment, moment)
    finally:
        server.configure(desk_ranges_inclusive=False)


def test_the_readings_are_true_or_false() -> None:
    settings = Settings()
    assert settings.desk_fields_system_keys
    assert settings.desk_ranges_inclusive
    with pytest.raises(ValueError, match="true or false"):
        settings.update({"desk_ranges_inclusive": 0})
    settings.update({"desk_ranges_inclusive": False})
    assert not settings.desk_ranges_inclusive


def test_a_run_time_reading_must_be_a_boolean(server: Emulator) -> None:
    response = requests.patch(
        f"{server.url}/__emulator__/settings", json={"desk_fields_system_keys": "no"}, timeout=30
    )
    assert response.status_code == 400, response.text
