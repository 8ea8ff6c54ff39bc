"""``ZohoCRM.bulk_write`` against a real emulator: files, jobs, results, credits, values."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

import pytest

from zoho_connector import ZohoCRM
from zoho_connector.errors import ZohoCreditsError, ZohoInputError
from zoho_connector.formats import parse_datetime

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.server import Emulator

UPLOAD = "POST /crm/{version}/upload"
CREATE = "POST /crm/bulk/{version}/write"
DEFAULTS: dict[str, float] = {"bulk_write_job_seconds": 1.0, "bulk_write_failure_rate": 0.0}


@pytest.fixture
def bulk(emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator, reset, with quick Bulk Write jobs."""
    emulator.configure(bulk_write_job_seconds=0.05)
    yield emulator
    emulator.configure(**DEFAULTS)


def connect(emulator: Emulator) -> ZohoCRM:
    """A client of the emulator on API v8, checking jobs often."""
    crm = ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        url=emulator.url,
        account_url=emulator.url,
        api_version="v8",
    )
    crm.bulk_write_poll = 0.05
    return crm


def calls(emulator: Emulator) -> collections.Counter[str]:
    """Calls so far, per endpoint."""
    return collections.Counter(emulator.stats()["by_endpoint"])


def test_30000_upserts_in_two_jobs_every_record_accounted_for(bulk: Emulator) -> None:
    crm = connect(bulk)
    existing = [
        record["Email"]
        for record in crm.read("Leads", fields=["Email"], strategy="coql").to_dicts()
        if record["Email"]
    ][:500]
    records: list[dict[str, Any]] = [
        {"Last_Name": f"Bulk {n}", "Email": f"bulk{n}@example.com", "Lead_Score": n}
        for n in range(30_000 - len(existing))
    ]
    records += [{"Last_Name": "Known", "Email": email} for email in existing]
    bad = {17: "Lead_Score", 24_999: "Email", 25_003: "Lead_Score"}
    records[17]["Lead_Score"] = "not a number"
    records[24_999]["Email"] = "not an email"
    records[25_003]["Lead_Score"] = "x"
    before_calls, before_credits = calls(bulk), bulk.stats()["credits"]
    counted_before = crm.http.ledger.total().credits

    results = crm.bulk_write("Leads", "integrate", records, sync_key="Email")

    spent = dict(calls(bulk) - before_calls)
    assert spent[UPLOAD] == 2
    assert spent[CREATE] == 2
    charged = bulk.stats()["credits"] - before_credits
    small = sum(count for endpoint, count in spent.items() if endpoint != CREATE)
    assert charged == 2 * 500 + small
    # The client's count (its cost function) agrees with Zoho's.
    assert crm.http.ledger.total().credits - counted_before == charged
    assert len(results) == len(records)
    failed = {n: r for n, r in enumerate(results) if not r.success}
    assert {n: (r.code, r.details.get("api_name")) for n, r in failed.items()} == {
        n: ("INVALID_DATA", field) for n, field in bad.items()
    }
    actions = collections.Counter(r.action for r in results if r.success)
    assert actions == {"insert": 30_000 - len(existing) - len(bad), "update": len(existing)}
    # In input order: each result's id is the record of that row's email.
    for number in (0, 18, 24_998, 25_004, 29_999):
        found = crm.find_ids("Leads", "Email", [records[number]["Email"]])
        assert found[records[number]["Email"]] == [results[number].details["id"]]
    assert bulk.stats()["bulk_write"]["jobs_completed"] == 2


def test_a_failed_job_fails_its_records_with_the_jobs_code(bulk: Emulator) -> None:
    bulk.configure(bulk_write_failure_rate=1)
    crm = connect(bulk)
    records = [{"Last_Name": f"F{n}", "Email": f"f{n}@example.com"} for n in range(30)]
    results = crm.bulk_write("Leads", "create", records)
    assert [(r.success, r.code) for r in results] == [(False, "FAILED")] * 30
    assert crm.find_ids("Leads", "Email", ["f0@example.com"]) == {"f0@example.com": []}


def test_a_refused_job_and_unwritable_values_fail_their_records(bulk: Emulator) -> None:
    crm = connect(bulk)
    # No Last_Name column: Zoho refuses the job (MANDATORY_FIELDS_NOT_MAPPED).
    nameless = crm.bulk_write("Leads", "create", [{"Email": f"n{n}@example.com"} for n in range(3)])
    assert [(r.success, r.code) for r in nameless] == [(False, "MANDATORY_FIELDS_NOT_MAPPED")] * 3
    records: list[dict[str, Any]] = [
        {"Last_Name": "Fine", "Email": "fine@example.com"},
        {"Last_Name": "No id", "Account_Name": {"name": "Acme"}},
    ]
    mixed = crm.bulk_write("Contacts", "create", records)
    assert (mixed[0].success, mixed[0].action) == (True, "insert")
    assert (mixed[1].success, mixed[1].code) == (False, "INVALID_DATA")
    assert mixed[1].details == {"api_name": "Account_Name"}


def test_spent_credits_end_the_write(bulk: Emulator) -> None:
    crm = connect(bulk)
    crm.bulk_write("Leads", "create", [{"Last_Name": "Paid", "Email": "p@example.com"}])
    # Credits for an upload, not a job; fewer than half the day's, so Zoho says how many.
    bulk.configure(daily_credits=bulk.stats()["credits"] + 100)
    try:
        with pytest.raises(ZohoCreditsError, match="credits for the day are spent"):
            crm.bulk_write("Leads", "create", [{"Last_Name": "Late", "Email": "l@example.com"}])
    finally:
        bulk.configure(daily_credits=0)
    assert bulk.stats()["bulk_write"]["jobs_created"] == 1


def test_values_round_trip(bulk: Emulator) -> None:
    crm = connect(bulk)
    account = next(crm.records("Accounts", fields=["Account_Name"], strategy="rest"))
    contacts = [
        {
            "Last_Name": "Lookup",
            "Email": "lookup@example.com",
            "Account_Name": {"id": account["id"]},
            "Date_of_Birth": "1990-02-28",
            "Email_Opt_Out": True,
        },
        {"Last_Name": "Plain", "Email": "plain@example.com", "Email_Opt_Out": False},
    ]
    leads = [
        {
            "Last_Name": "Dated",
            "Email": "dated@example.com",
            "Unsubscribed_Time": "2024-03-05T07:08:09+05:30",
            "Next_Contact_Date": "2024-12-31",
            "Preferred_Languages": ["English", "Français"],
            "Annual_Revenue": 1234.5,
        }
    ]
    written = crm.bulk_write("Contacts", "create", contacts)
    written += crm.bulk_write("Leads", "integrate", leads, sync_key="Email")
    assert [r.success for r in written] == [True, True, True], written
    contact = crm.request("GET", f"Contacts/{written[0].details['id']}")
    lead = crm.request("GET", f"Leads/{written[2].details['id']}")
    assert contact is not None
    assert lead is not None
    got = contact["data"][0]
    assert got["Account_Name"]["id"] == account["id"]
    assert (got["Date_of_Birth"], got["Email_Opt_Out"]) == ("1990-02-28", True)
    plain = crm.request("GET", f"Contacts/{written[1].details['id']}")
    assert plain is not None
    assert plain["data"][0]["Email_Opt_Out"] is False
    got = lead["data"][0]
    assert got["Next_Contact_Date"] == "2024-12-31"
    assert sorted(got["Preferred_Languages"]) == ["English", "Français"]
    assert got["Annual_Revenue"] == 1234.5
    assert _instant(got["Unsubscribed_Time"]) == _instant("2024-03-05T07:08:09+05:30")


def test_updates_by_id_and_records_without_an_id(bulk: Emulator) -> None:
    crm = connect(bulk)
    lead = next(crm.records("Leads", fields=["Last_Name"], strategy="rest"))
    results = crm.bulk_write(
        "Leads", "update", [{"Last_Name": "No id"}, {"id": lead["id"], "Last_Name": "Renamed"}]
    )
    assert (results[0].success, results[0].code) == (False, "MANDATORY_NOT_FOUND")
    assert (results[1].success, results[1].action) == (True, "update")
    got = crm.request("GET", f"Leads/{lead['id']}")
    assert got is not None
    assert got["data"][0]["Last_Name"] == "Renamed"


def test_refused_before_any_call(bulk: Emulator) -> None:
    crm = connect(bulk)
    before = calls(bulk)
    with pytest.raises(ZohoInputError, match="sync key"):
        crm.bulk_write("Leads", "integrate", [{"Last_Name": "A"}])
    with pytest.raises(ZohoInputError, match="insert, update or upsert"):
        crm.bulk_write("Leads", "delete", [{"id": "1"}])
    with pytest.raises(ZohoInputError, match="No_Such_Field"):
        crm.bulk_write("Leads", "create", [{"Last_Name": "A", "No_Such_Field": 1}])
    assert UPLOAD not in calls(bulk) - before


def _instant(value: str) -> float:
    return parse_datetime(value).timestamp()
