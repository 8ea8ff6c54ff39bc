"""ZohoDesk against the emulator: keyset reads, counts, children, writes and load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
import requests

from tests.server import Emulator, desk_ids, running_emulator
from zoho_connector import ZohoAuthError, ZohoCreditsError, ZohoError, ZohoInputError
from zoho_connector.data_centers import data_center
from zoho_connector.desk import ZohoDesk

if TYPE_CHECKING:
    from collections.abc import Iterator

RECORDS = 1500
#: A small search cap, so windows turn over many times in a small org.
FROM_CAP = 199


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = ("--records", str(RECORDS), "--concurrency", "0", "--search-from-cap", str(FROM_CAP))
    with running_emulator(*flags) as emulator:
        yield emulator


@pytest.fixture
def desk(server: Emulator) -> ZohoDesk:
    server.reset()
    return client(server)


def client(server: Emulator, **options: Any) -> ZohoDesk:
    return ZohoDesk(
        server.client_id,
        server.client_secret,
        server.refresh_token,
        url=server.url,
        account_url=server.url,
        **{"search_from_cap": FROM_CAP, **options},
    )


def test_connects_and_pings(desk: ZohoDesk, server: Emulator) -> None:
    assert desk.ping()
    assert desk.headers()["Authorization"].startswith("Zoho-oauthtoken ")
    assert server.client_secret not in repr(desk)
    assert desk.api_root == f"{server.url}/api/v1"


def test_wrong_org_is_refused_on_construction(server: Emulator) -> None:
    with pytest.raises(ZohoAuthError) as refused:
        ZohoDesk(
            server.client_id,
            server.client_secret,
            server.refresh_token,
            url=server.url,
            org_id="another-org",
            account_url=server.url,
        )
    assert refused.value.code == "OAUTH_ORG_MISMATCH"


def test_data_centers_name_every_desk_host() -> None:
    assert data_center("eu").desk_url == "https://desk.zoho.eu"
    assert data_center("CA").desk_url == "https://desk.zohocloud.ca"
    assert data_center("au").accounts_url == "https://accounts.zoho.com.au"
    with pytest.raises(ValueError, match="expected one of"):
        data_center("mars")


def test_tickets_read_by_keyset_past_the_from_cap(desk: ZohoDesk, server: Emulator) -> None:
    frame = desk.read("tickets")
    ids = frame["id"].to_list()
    assert len(ids) == len(set(ids)) == desk.count("tickets") == RECORDS
    assert set(ids) == desk_ids(server, "tickets")
    times = frame["modifiedTime"].to_list()
    assert times == sorted(times)
    searches = server.stats()["by_endpoint"]["GET /api/v1/tickets/search"]
    assert RECORDS / 100 < searches <= RECORDS / 80 + 1  # pages of 100, ties re-read only
    assert "cf.cf_serial_number" in frame.columns


def test_pages_keep_ties_at_their_edges(server: Emulator) -> None:
    desk = client(server, n_rows_read=50)
    pages = list(desk.pages("contacts"))
    ids = [row["id"] for page in pages for row in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == desk_ids(server, "contacts")


def test_since_reads_only_recent_changes(desk: ZohoDesk) -> None:
    everything = desk.read("accounts")
    times = sorted(everything["modifiedTime"].to_list())
    since = times[len(times) // 2]
    recent = list(desk.records("accounts", since=since))
    expected = {
        row["id"] for row in everything.iter_rows(named=True) if row["modifiedTime"] >= since
    }
    assert {row["id"] for row in recent} == expected


def test_every_module_reads_completely(desk: ZohoDesk, server: Emulator) -> None:
    for module in ("contacts", "accounts", "tasks", "calls", "events", "agents", "departments"):
        frame = desk.read(module)
        assert frame.height == desk.count(module), module
        assert frame["id"].n_unique() == frame.height, module
    assert desk.read("agents", fields=["emailId"]).columns == ["id", "emailId"]


def test_children_of_a_ticket(desk: ZohoDesk, server: Emulator) -> None:
    with_threads = next(
        row
        for row in desk.read("tickets", limit=100).iter_rows(named=True)
        if int(row["threadCount"]) > 1
    )
    threads = [row for page in desk.children(with_threads["id"], "threads") for row in page]
    assert len(threads) == int(with_threads["threadCount"])
    with pytest.raises(ZohoInputError):
        desk.children(with_threads["id"], "attachments")


def test_retrieve_and_unknown_module(desk: ZohoDesk) -> None:
    ticket_id = desk.read("tickets", limit=1)["id"][0]
    full = desk.retrieve("tickets", ticket_id)
    assert full is not None
    assert full["id"] == ticket_id
    assert "description" in full
    assert desk.retrieve("tickets", "311000030999999999") is None
    with pytest.raises(ZohoInputError, match="unknown Zoho Desk module"):
        desk.read("spaceships")
    with pytest.raises(ZohoInputError, match="unknown Zoho Desk module"):
        desk.records("spaceships")  # at once, not at the first record


def test_create_update_delete_integrate(desk: ZohoDesk, server: Emulator) -> None:
    created = desk.create("contacts", {"lastName": "Neuer", "email": "neuer@example.test"})
    # The seed's forms give the record Desk answered: a dict for a record, a list for a list.
    assert isinstance(created, dict)
    assert created["lastName"] == "Neuer"
    new_id = created["id"]
    updated = desk.update("contacts", {"id": new_id, "firstName": "Ana"})
    assert isinstance(updated, dict)
    assert updated["firstName"] == "Ana"
    assert (desk.retrieve("contacts", new_id) or {})["firstName"] == "Ana"
    merged = desk.integrate(
        "contacts", [{"lastName": "Neuest", "email": "neuer@example.test"}], "email"
    )
    assert isinstance(merged, list)
    assert merged[0] is not None
    assert merged[0]["id"] == new_id
    inserted = desk.integrate(
        "contacts", {"lastName": "Autre", "email": "autre@example.test"}, "email"
    )
    assert isinstance(inserted, dict)
    assert inserted["id"] != new_id
    assert desk.delete("contacts", new_id) == {"id": new_id}
    assert desk.retrieve("contacts", new_id) is None
    assert desk.count("contacts") == RECORDS + 1


def test_failed_write_raises_or_reports(desk: ZohoDesk, server: Emulator) -> None:
    with pytest.raises(ZohoError) as raised:
        desk.create("contacts", {"email": "no-last-name@example.test"})
    assert raised.value.code == "INVALID_DATA"
    assert "/lastName" in str(raised.value)
    lenient = client(server, die_on_error=False)
    answer = lenient.create("contacts", [{"lastName": "Bon"}, {"email": "missing@example.test"}])
    assert isinstance(answer, list)
    assert [entry is not None for entry in answer] == [True, False]
    results = lenient.write("contacts", "create", [{"email": "missing@example.test"}])
    assert results[0].code == "INVALID_DATA"
    assert results[0].details["errors"][0]["fieldName"] == "/lastName"


def test_spent_credits_raise_whatever_die_on_error(desk: ZohoDesk, server: Emulator) -> None:
    lenient = client(server, die_on_error=False)
    server.configure(daily_credits=server.stats()["credits"])  # spent
    try:
        with pytest.raises(ZohoCreditsError, match="they come back in"):
            lenient.create("contacts", [{"lastName": "Unpaid 1"}, {"lastName": "Unpaid 2"}])
        frame = pl.DataFrame({"lastName": ["Unpaid 3", "Unpaid 4"]})
        with pytest.raises(ZohoCreditsError):
            lenient.load("contacts", frame, "CREATE", die_on_error=False)
    finally:
        server.configure(daily_credits=0)
    # No record's failure: each write stopped at its first refused call.
    assert server.stats()["faults"]["credits_exhausted"] == 2


def test_load_reports_every_row(desk: ZohoDesk, server: Emulator) -> None:
    rows = [
        {"lastName": f"Charge {n}", "email": f"charge.{n}@example.test"}
        if n % 10
        else {"email": f"charge.{n}@example.test"}
        for n in range(60)
    ]
    frame = pl.DataFrame(rows)
    loaded = desk.load("contacts", frame, "CREATE", n_rows_write=7, die_on_error=False)
    assert loaded.height == 60
    assert loaded["email"].to_list() == frame["email"].to_list()
    failed = loaded.filter(~pl.col("success"))
    assert failed.height == 6
    assert all(
        "INVALID_DATA" in message and "/lastName" in message for message in failed["message"]
    )
    assert desk.count("contacts") == RECORDS + 54
    upserts = pl.DataFrame([{"email": "charge.1@example.test", "lastName": "Changé"}])
    again = desk.load("contacts", upserts, "INTEGRATE", sync_key="email")
    assert again["success"].to_list() == [True]
    assert desk.count("contacts") == RECORDS + 54
    no_ids = pl.DataFrame({"lastName": ["x"]})
    requests_before = server.stats()["requests"]
    with pytest.raises(ZohoInputError, match="needs the column"):
        desk.load("contacts", no_ids, "UPDATE")
    assert server.stats()["requests"] == requests_before


def test_reads_survive_faults_and_token_expiry(server: Emulator) -> None:
    server.reset()
    desk = client(server)
    expected = set(desk.read("tasks")["id"].to_list())
    server.configure(error_rate=0.2)
    try:
        expired = False

        def expire(progress: dict[str, Any]) -> None:
            nonlocal expired
            if not expired and progress["rows_done"] >= 100:
                requests.post(f"{server.url}/__emulator__/expire-tokens", timeout=30)
                expired = True

        frame = desk.read("tasks", n_rows_read=50, callback=expire)
    finally:
        server.configure(error_rate=0.0)
    assert expired
    assert set(frame["id"].to_list()) == expected
    assert frame.height == len(expected)
    stats = server.stats()
    assert stats["faults"]["errors_injected"] > 0
    assert stats["token_refreshes"] == 1  # the shared token was refreshed once, on expiry


def test_find_ids_asks_for_many_values_a_search(desk: ZohoDesk, server: Emulator) -> None:
    """Comma-separated values are Desk's OR: 50 a call; a value Desk would split is not asked."""
    contacts = list(desk.records("contacts"))[:120]
    emails = {str(row["email"]) for row in contacts if row.get("email")}
    asked = {email.upper() for email in emails} | {"nobody@example.test", "a,b@example.test"}
    before = server.stats()["by_endpoint"].get("GET /api/v1/contacts/search", 0)
    found = desk.find_ids("contacts", "email", asked)
    calls = server.stats()["by_endpoint"]["GET /api/v1/contacts/search"] - before
    assert calls == -(-(len(asked) - 1) // 50)  # the comma's value is never sent
    assert found["nobody@example.test"] == []
    assert found["a,b@example.test"] == []
    for row in contacts:
        if row.get("email"):
            assert str(row["id"]) in found[str(row["email"]).casefold()]
    with pytest.raises(ZohoInputError, match="cannot search agents"):
        desk.find_ids("agents", "emailId", ["x@example.test"])
