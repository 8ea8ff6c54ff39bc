"""Desk lookups across orgs: tap-zoho's Desk streams piped into target-zoho, from one emulated
org into an empty one whose departments and agents have the same names and emails, other ids."""

from __future__ import annotations

import collections
import json
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, desk_ids, running_emulator
from tests.singer import (
    pipe,
    record_message,
    run_tap,
    run_target,
    schema_message,
    selecting,
    tap_config,
    write_json,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: In the order tap-zoho sends them: accounts, agents, contacts, departments, tickets.
STREAMS = ("desk_accounts", "desk_agents", "desk_contacts", "desk_departments", "desk_tickets")


@pytest.fixture(scope="module")
def source() -> Iterator[Emulator]:
    with running_emulator("--records", "60", "--concurrency", "0") as emulator:
        yield emulator


def desk_config(emulator: Emulator, **settings: Any) -> dict[str, Any]:
    return {
        **tap_config(emulator),
        "desk_url": emulator.url,
        "desk_org_id": emulator.desk_org_id,
        **settings,
    }


def records(emulator: Emulator, module: str) -> list[dict[str, Any]]:
    """Every full record of a module (one GET each: the test's reads, not the target's)."""
    return [
        emulator.desk("GET", f"{module}/{i}").json() for i in sorted(desk_ids(emulator, module))
    ]


def names(emulator: Emulator, module: str, key: str) -> dict[str, str]:
    """id → natural key of a listed or listable module."""
    rows = emulator.desk("GET", module, params={"from": 1, "limit": 200}).json()["data"]
    return {row["id"]: row[key] for row in rows}


def pointers(emulator: Emulator) -> dict[str, collections.Counter[tuple[Any, ...]]]:
    """Each record with its lookups as the natural keys they point at, counted."""
    accounts = {row["id"]: row["accountName"] for row in records(emulator, "accounts")}
    contacts = records(emulator, "contacts")
    emails = {row["id"]: row["email"] for row in contacts}
    agents = names(emulator, "agents", "emailId")
    departments = names(emulator, "departments", "name")
    return {
        "accounts": collections.Counter((name,) for name in accounts.values()),
        "contacts": collections.Counter(
            (row["email"], accounts.get(row["accountId"]), agents.get(row["ownerId"]))
            for row in contacts
        ),
        "tickets": collections.Counter(
            (
                row["subject"],
                emails[row["contactId"]],
                accounts.get(row["accountId"]),
                departments[row["departmentId"]],
                agents.get(row["assigneeId"]),
            )
            for row in records(emulator, "tickets")
        ),
    }


#: The tap's streams with tickets before the contacts and accounts they name (the source's
#: agents and departments still first: a lookup names them by their source records).
REORDERED = ("desk_agents", "desk_departments", "desk_tickets", "desk_contacts", "desk_accounts")


@pytest.mark.parametrize("order", [STREAMS, REORDERED], ids=["piped", "reordered"])
def test_a_desk_copy_points_at_the_copies_of_its_lookups(
    source: Emulator, destination: Emulator, tmp_path: Path, order: tuple[str, ...]
) -> None:
    """Piped in the tap's order, or reordered: tickets wait for their contacts and accounts."""
    # The empty org still has an account of its own (Desk seeds one a fifth of --records).
    initially = pointers(destination)
    destination.reset()  # nothing written yet: zeroes the counters of those reads
    discovered = run_tap(tmp_path, desk_config(source), discover=True).messages[0]
    catalog = selecting(discovered, *STREAMS)
    if order == STREAMS:
        tap = write_json(tmp_path / "tap.json", desk_config(source))
        target = write_json(tmp_path / "target.json", desk_config(destination))
        piped = pipe(
            [
                *(sys.executable, "-m", "tap_zoho", "--config", str(tap)),
                *("--catalog", str(write_json(tmp_path / "catalog.json", catalog))),
            ],
            [sys.executable, "-m", "target_zoho", "--config", str(target)],
        )
        returncode, stderr = piped.returncode, piped.stderr
    else:
        tapped = run_tap(tmp_path, desk_config(source), catalog=catalog)
        assert tapped.returncode == 0, tapped.stderr[-2000:]
        messages = sorted(
            (m for m in tapped.messages if m["type"] != "STATE"),
            key=lambda m: order.index(m["stream"]),
        )
        loaded = run_target(tmp_path, desk_config(destination), messages)
        returncode, stderr = loaded.returncode, loaded.stderr
    assert returncode == 0, stderr[-3000:]
    assert ", 0 rejected" in stderr.split("run total:")[1].splitlines()[0], stderr[-2000:]
    calls = destination.stats()["by_endpoint"]
    before, after = pointers(source), pointers(destination)
    assert sum(before["tickets"].values()) == 60
    # Every lookup at the copy (or the namesake) of the source's one.
    assert after == {kind: before[kind] + initially[kind] for kind in before}
    assert set(desk_ids(destination, "tickets")).isdisjoint(desk_ids(source, "tickets"))
    # Lookups by batch, never a call a record: departments and agents listed once a stream.
    assert calls.get("GET /api/v1/agents", 0) <= 2, calls
    assert calls.get("GET /api/v1/departments", 0) <= 1, calls
    # Searches of 50 values (a miss is asked again once its record may have come: more calls
    # when the tickets come first), never one a record: 60 tickets, 60 contacts.
    searches = sum(n for endpoint, n in calls.items() if endpoint.endswith("/search"))
    assert searches <= (4 if order == STREAMS else 6), calls


#: Tickets of a warehouse: the contact by the id of a contact the run writes, or by email, the
#: department by name, the assignee by email.
TICKETS = {
    "product": "desk",
    "module": "tickets",
    "action": "create",
    "fields": {
        "title": "subject",
        "who": "contactId",
        "team": "departmentId",
        "agent": "assigneeId",
    },
}
PEOPLE = {"product": "desk", "module": "contacts", "action": "create"}
TICKET_SCHEMA = {key: {"type": ["string", "null"]} for key in ("title", "who", "team", "agent")}
PEOPLE_SCHEMA = {key: {"type": "string"} for key in ("id", "email", "lastName")}
AGENT = "sam.lee@emulated-support.example"


def tickets_with(
    destination: Emulator, workdir: Path, tickets: list[dict[str, Any]], **settings: Any
) -> Any:
    """The tickets sent before the contacts they point at (the contacts' stream came first)."""
    workdir.mkdir()
    config = desk_config(
        destination,
        streams={"tickets": TICKETS, "people": PEOPLE},
        rejects_path=str(workdir / "rejects.jsonl"),
        **settings,
    )
    people = [
        {"id": f"src-{n}", "email": f"person.{n}@example.test", "lastName": f"P{n}"}
        for n in range(3)
    ]
    messages = [
        schema_message("people", PEOPLE_SCHEMA, ["id"]),
        schema_message("tickets", TICKET_SCHEMA, []),
        *(record_message("tickets", ticket) for ticket in tickets),
        *(record_message("people", person) for person in people),
    ]
    return run_target(workdir, config, messages)


def ticket(
    title: str, who: str, team: str = "Support", agent: str | None = AGENT
) -> dict[str, Any]:
    return {"title": title, "who": who, "team": team, "agent": agent}


def test_desk_lookups_by_natural_keys_and_the_unresolved(
    destination: Emulator, tmp_path: Path
) -> None:
    existing = [
        destination.desk(
            "POST", "contacts", json={"lastName": f"E{n}", "email": f"known.{n}@example.test"}
        ).json()["id"]
        for n in range(30)
    ]
    good = [ticket(f"Known {n}", f"known.{n}@example.test") for n in range(30)]
    good += [ticket(f"Copied {n}", f"src-{n}") for n in range(3)]
    lost = ticket("Lost contact", "nobody@example.test")
    ghost = ticket("Ghost agent", "known.0@example.test", agent="ghost@example.test")
    nowhere = ticket("No such department", "known.1@example.test", team="Moon Base")
    run = tickets_with(destination, tmp_path / "reject", [*good, lost, ghost, nowhere])
    assert run.returncode != 0
    rejects = [
        json.loads(line) for line in (tmp_path / "reject/rejects.jsonl").read_text().splitlines()
    ]
    by_title = {r["record"]["title"]: r for r in rejects}
    assert set(by_title) == {"Ghost agent", "No such department"}
    assert {r["code"] for r in rejects} == {"LOOKUP_NOT_FOUND"}
    # Lost's contact may come later in the input: it waits, and the run fails first.
    assert "1 record waiting for the records their lookups name not written" in run.stderr
    assert by_title["Ghost agent"]["details"] == {"field": "assigneeId"}
    assert "emailId = 'ghost@example.test'" in by_title["Ghost agent"]["message"]
    assert "name = 'Moon Base'" in by_title["No such department"]["message"]
    written = records(destination, "tickets")
    assert len(written) == 33
    contacts = {row["id"]: row["email"] for row in records(destination, "contacts")}
    agents = names(destination, "agents", "emailId")
    departments = names(destination, "departments", "name")
    for row in written:
        n = row["subject"].split()[-1]
        kind = "known" if row["subject"].startswith("Known") else "person"
        assert contacts[row["contactId"]] == f"{kind}.{n}@example.test"
        assert agents[row["assigneeId"]] == AGENT
        assert departments[row["departmentId"]] == "Support"
    assert {row["contactId"] for row in written} >= set(existing)
    calls = destination.stats()["by_endpoint"]
    # 31 contact emails in one search call (50 a call), the destination's ids in another.
    assert calls.get("GET /api/v1/contacts/search", 0) <= 3, calls

    never = tickets_with(destination, tmp_path / "never", [lost])
    assert never.returncode != 0
    (refused,) = map(json.loads, (tmp_path / "never/rejects.jsonl").read_text().splitlines())
    assert refused["record"]["title"] == "Lost contact"
    assert refused["details"] == {"field": "contactId"}
    assert "email = 'nobody@example.test'" in refused["message"]
    assert len(records(destination, "tickets")) == 33  # a ticket refused its contact: unwritten

    dropped = tickets_with(
        destination,
        tmp_path / "drop",
        [ghost, nowhere],
        unresolved_lookups="drop",
        default_department="Support",
    )
    assert dropped.returncode == 0, dropped.stderr[-2000:]
    assert "1 lookup matched nothing in the destination and was left out" in dropped.stderr
    unassigned = [row for row in records(destination, "tickets") if row["subject"] == "Ghost agent"]
    assert [row["assigneeId"] for row in unassigned] == [None]
    moved = [row for row in records(destination, "tickets") if row["subject"] == nowhere["title"]]
    assert [departments[row["departmentId"]] for row in moved] == ["Support"]


def test_desk_lookups_by_a_field_holding_the_source_id(
    destination: Emulator, tmp_path: Path
) -> None:
    """The stream's lookups setting: contacts matched on a field holding the source's id."""
    held = destination.desk(
        "POST", "contacts", json={"lastName": "Held", "phone": "311000020000000007"}
    ).json()["id"]
    mapped = {**TICKETS, "lookups": {"contactId": "phone"}}
    config = desk_config(destination, streams={"tickets": mapped}, allow_failures=True)
    found = ticket("Found by phone", "311000020000000007")
    missing = ticket("Missing", "311000020000000008")
    messages = [
        schema_message("tickets", TICKET_SCHEMA, []),
        *(record_message("tickets", t) for t in (found, missing)),
    ]
    run = run_target(tmp_path, config, messages)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "field contactId: LOOKUP_NOT_FOUND" in run.stderr
    assert "phone = '311000020000000008'" in run.stderr
    written = records(destination, "tickets")
    assert [(row["subject"], row["contactId"]) for row in written] == [(found["title"], held)]
    wrong = {**TICKETS, "lookups": {"subject": "phone"}}
    (tmp_path / "wrong").mkdir()
    refused = run_target(
        tmp_path / "wrong", desk_config(destination, streams={"tickets": wrong}), messages
    )
    assert refused.returncode != 0
    assert "lookups names what is no lookup of a Desk account, contact or ticket: subject" in (
        refused.stderr
    )
