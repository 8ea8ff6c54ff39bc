"""Lookups and owners across orgs: tap-zoho piped into target-zoho, from one emulated org into
an empty one whose ids and users' ids are its own (its users have the same emails)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

from target_zoho.lookup_base import UNRESOLVED
from tests.server import Emulator, running_emulator
from tests.singer import (
    pipe,
    record_message,
    run_tap,
    run_target,
    schema_message,
    tap_config,
    write_json,
)
from tests.target.test_load import catalog_of, coql

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def source() -> Iterator[Emulator]:
    with running_emulator("--records", "300", "--concurrency", "0") as emulator:
        yield emulator


def copy_streams(source: Emulator, destination: Emulator, workdir: Path, **settings: Any) -> str:
    """``tap-zoho | target-zoho`` of Accounts, Contacts, Deals and Service_Visits (with their
    owners, layouts, module lookups and a user lookup); the target's stderr.
    """
    workdir.mkdir()
    # Owners (matched by email) and layouts (by name) are written too.
    streams = ("crm_accounts", "crm_contacts", "crm_deals", "crm_service_visits")
    catalog = catalog_of(source, workdir, *streams, bound=())
    config = tap_config(destination, **settings)
    target = pipe(
        [
            sys.executable,
            "-m",
            "tap_zoho",
            "--config",
            str(write_json(workdir / "tap.json", tap_config(source, include_deletes=False))),
            "--catalog",
            str(write_json(workdir / "catalog.json", catalog)),
        ],
        [
            sys.executable,
            "-m",
            "target_zoho",
            "--config",
            str(write_json(workdir / "t.json", config)),
        ],
    )
    assert target.returncode == 0, target.stderr[-3000:]
    return target.stderr


def by_name(emulator: Emulator, query: str, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in coql(emulator, query)}


def account_names(emulator: Emulator) -> dict[str, str]:
    """Account id → name (COQL gives a lookup's id alone)."""
    query = "select Account_Name from Accounts where id is not null"
    return {row["id"]: row["Account_Name"] for row in coql(emulator, query)}


def named(lookup: dict[str, Any] | None, names: dict[str, str]) -> str | None:
    """The name of the account a lookup points at (None for none)."""
    return None if lookup is None else names[lookup["id"]]


def test_a_copy_resolves_lookups_and_owners_in_the_destination(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    stderr = copy_streams(source, destination, tmp_path / "first")
    assert "run total: 1,193 created, 0 updated, 0 deleted, 0 rejected" in stderr, stderr[-2000:]
    calls = destination.stats()["by_endpoint"]
    # Lookups by batch, never a call a record: ~1,200 records, a few dozen COQL reads at most.
    assert calls.get("POST /crm/{version}/coql", 0) <= 30, calls
    # Parents that point at each other (the seed has a few): written, then updated.
    assert calls["PUT /crm/{version}/{module}"] >= 1, calls
    accounts = "select Account_Name, Parent_Account, Owner from Accounts where id is not null"
    contacts = "select Email, Account_Name, Owner from Contacts where id is not null"
    before = by_name(source, accounts, "Account_Name")
    after = by_name(destination, accounts, "Account_Name")
    assert set(after) == set(before)
    users = {user["id"]: user["email"] for user in source.crm("GET", "users").json()["users"]}
    their = {user["id"]: user["email"] for user in destination.crm("GET", "users").json()["users"]}
    names, copied_names = account_names(source), account_names(destination)
    parents = 0
    for name, account in before.items():
        copied = after[name]
        assert copied["Owner"]["id"] != account["Owner"]["id"]  # the destination's own user
        assert their[copied["Owner"]["id"]] == users[account["Owner"]["id"]]
        parent = named(account["Parent_Account"], names)
        assert named(copied["Parent_Account"], copied_names) == parent, name
        parents += parent is not None
    assert parents >= 100
    source_contacts = by_name(source, contacts, "Email")
    copied_contacts = by_name(destination, contacts, "Email")
    assert set(copied_contacts) == set(source_contacts)
    companies = 0
    for email, contact in source_contacts.items():
        company = named(contact["Account_Name"], names)
        assert named(copied_contacts[email]["Account_Name"], copied_names) == company, email
        companies += company is not None
    assert companies >= 100


def test_accounts_wait_for_parents_in_later_batches(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    """Drains of 20 records: most accounts' parents come in a later batch of the stream. Such
    an account waits for its parent, and is written with it once the parent is in."""
    stderr = copy_streams(source, destination, tmp_path / "small", batch_size=4, n_concurrent=1)
    assert "run total: 1,193 created, 0 updated, 0 deleted, 0 rejected" in stderr, stderr[-2000:]
    accounts = "select Account_Name, Parent_Account from Accounts where id is not null"
    before = by_name(source, accounts, "Account_Name")
    after = by_name(destination, accounts, "Account_Name")
    assert set(after) == set(before)
    names, copied_names = account_names(source), account_names(destination)
    linked = 0
    for name, account in before.items():
        parent = named(account["Parent_Account"], names)
        assert named(after[name]["Parent_Account"], copied_names) == parent, name
        linked += parent is not None
    assert linked >= 100


@pytest.mark.parametrize("unresolved", UNRESOLVED)
def test_records_before_the_records_they_look_up_wait_for_them(
    source: Emulator, destination: Emulator, tmp_path: Path, unresolved: str
) -> None:
    """The tap's output reordered: Contacts, Deals and visits before the Accounts they name.
    Each waits for its account and is written once it is in: no reject, every lookup set
    (none dropped), and the tap's last STATE given once all are."""
    streams = ("crm_accounts", "crm_contacts", "crm_deals", "crm_service_visits")
    tapped = run_tap(
        tmp_path,
        tap_config(source, include_deletes=False),
        catalog=catalog_of(source, tmp_path, *streams, bound=()),
    )
    assert tapped.returncode == 0, tapped.stderr[-2000:]
    order = ("crm_contacts", "crm_deals", "crm_service_visits", "crm_accounts")
    messages = sorted(
        (m for m in tapped.messages if m["type"] != "STATE"), key=lambda m: order.index(m["stream"])
    )
    last_state = [m for m in tapped.messages if m["type"] == "STATE"][-1]
    config = tap_config(destination, unresolved_lookups=unresolved)
    loaded = run_target(tmp_path, config, [*messages, last_state])
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "run total: 1,193 created, 0 updated, 0 deleted, 0 rejected" in loaded.stderr
    assert "left out" not in loaded.stderr, loaded.stderr[-3000:]
    assert loaded.messages[-1]["value"] == last_state["value"]
    names, copied_names = account_names(source), account_names(destination)
    for module, key in (("Contacts", "Email"), ("Deals", "Deal_Name")):
        query = f"select {key}, Account_Name from {module} where id is not null"
        before, after = by_name(source, query, key), by_name(destination, query, key)
        assert set(after) == set(before)
        linked = 0
        for name, record in before.items():
            account = named(record["Account_Name"], names)
            assert named(after[name]["Account_Name"], copied_names) == account, (module, name)
            linked += account is not None
        assert linked >= 100, module
    # Waiting costs no update: only records whose lookups point at each other get one (the
    # copy in order makes 3 update calls), where writing ~900 records without their account
    # and linking them after would take at least 9.
    calls = destination.stats()["by_endpoint"]
    assert calls.get("PUT /crm/{version}/{module}", 0) <= 3, loaded.stderr


#: A mapped stream of Contacts whose Account_Name lookup names the account by an id of the
#: source, held in the destination's Ticker_Symbol.
MAPPED = {
    "product": "crm",
    "module": "Contacts",
    "action": "integrate",
    "sync_key": "Email",
    "fields": {"email": "Email", "last": "Last_Name", "company": "Account_Name"},
    "lookups": {"Account_Name": "Ticker_Symbol"},
}
SCHEMA = {
    "email": {"type": "string"},
    "last": {"type": "string"},
    "company": {"type": ["object", "null"], "properties": {"id": {"type": "string"}}},
    "Owner": {"type": ["object", "null"], "properties": {"email": {"type": "string"}}},
}


def people_with(
    destination: Emulator, workdir: Path, records: list[dict[str, Any]], **settings: Any
) -> Any:
    workdir.mkdir()
    config = {**tap_config(destination), "streams": {"people": MAPPED}, **settings}
    messages = [
        schema_message("people", SCHEMA, []),
        *(record_message("people", r) for r in records),
    ]
    return run_target(workdir, config, messages)


def test_lookups_by_an_external_id_owners_by_email_and_the_unresolved(
    destination: Emulator, tmp_path: Path
) -> None:
    created = destination.crm(
        "POST", "Accounts", json={"data": [{"Account_Name": "Kiwi Ltd", "Ticker_Symbol": "SRC-1"}]}
    ).json()["data"][0]["details"]["id"]
    owner = {"email": "dana.kim@example.test"}
    good = {"email": "a@example.test", "last": "A", "company": {"id": "SRC-1"}, "Owner": owner}
    lost = {"email": "b@example.test", "last": "B", "company": {"id": "SRC-404"}}
    stranger = {"email": "c@example.test", "last": "C", "Owner": {"email": "who@example.test"}}
    refused = people_with(destination, tmp_path / "reject", [good, lost, stranger])
    assert refused.returncode != 0
    assert "field Owner: LOOKUP_NOT_FOUND" in refused.stderr
    # lost's account may be in a later stream: it waits, and the run fails before its end.
    assert "1 record waiting for the records their lookups name not written" in refused.stderr
    contacts = by_name(
        destination, "select Email, Account_Name, Owner from Contacts where id is not null", "Email"
    )
    assert contacts["a@example.test"]["Account_Name"]["id"] == created
    emails = {user["id"]: user["email"] for user in destination.crm("GET", "users").json()["users"]}
    assert emails[contacts["a@example.test"]["Owner"]["id"]] == "dana.kim@example.test"
    assert set(contacts) == {"a@example.test"}

    never = people_with(destination, tmp_path / "never", [lost])
    assert never.returncode != 0
    assert "field Account_Name: LOOKUP_NOT_FOUND" in never.stderr
    assert "Ticker_Symbol = 'SRC-404'" in never.stderr
    contacts = by_name(destination, "select Email from Contacts where id is not null", "Email")
    assert set(contacts) == {"a@example.test"}  # a record refused a lookup is not written

    dropped = people_with(
        destination,
        tmp_path / "drop",
        [lost, stranger],
        unresolved_lookups="drop",
        default_owner="emile.laurent@example.test",
    )
    assert dropped.returncode == 0, dropped.stderr[-2000:]
    assert "1 lookup matched nothing in the destination and was left out" in dropped.stderr
    contacts = by_name(
        destination, "select Email, Account_Name, Owner from Contacts where id is not null", "Email"
    )
    assert contacts["b@example.test"]["Account_Name"] is None
    assert emails[contacts["c@example.test"]["Owner"]["id"]] == "emile.laurent@example.test"
