"""tap-zoho's Desk streams as a real process against an emulator playing the pessimistic
readings: ``GET /fields`` without system fields, search ranges without their bounds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, desk_ids, running_emulator
from tests.singer import run_tap, selecting
from tests.tap.test_desk_sync import desk_config

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 600
MODULES = ("tickets", "contacts", "accounts", "tasks", "calls", "events")


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = (
        *("--records", str(RECORDS), "--concurrency", "0", "--search-from-cap", "199"),
        *("--no-desk-fields-system-keys", "--no-desk-ranges-inclusive"),
    )
    with running_emulator(*flags) as emulator:
        yield emulator


def discover(emulator: Emulator, workdir: Path) -> dict[str, Any]:
    run = run_tap(workdir, desk_config(emulator), discover=True)
    assert run.returncode == 0, run.stderr
    found: dict[str, Any] = run.messages[0]
    return found


@pytest.fixture(scope="module")
def catalog(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return discover(server, tmp_path_factory.mktemp("pessimistic"))


def streams(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["tap_stream_id"]: entry for entry in catalog["streams"]}


def test_schemas_do_not_hang_on_fields_listing_system_keys(
    server: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    fields = server.desk("GET", "fields", params={"module": "tickets"}).json()["data"]
    assert "modifiedTime" not in {field["apiName"] for field in fields}  # the reading holds
    server.configure(desk_fields_system_keys=True)
    try:
        listing_them = streams(discover(server, tmp_path))
    finally:
        server.configure(desk_fields_system_keys=False)
    for module in MODULES:
        entry = streams(catalog)[f"desk_{module}"]
        assert entry["replication_key"] == "modifiedTime", module
        assert entry["schema"] == listing_them[f"desk_{module}"]["schema"], module


def test_sync_and_incremental_sync(
    server: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    server.reset()
    selected = selecting(catalog, "desk_tickets", "desk_contacts")
    first = run_tap(tmp_path, desk_config(server), catalog=selected)
    assert first.returncode == 0, first.stderr
    tickets = first.records("desk_tickets")
    assert {t["id"] for t in tickets} == desk_ids(server, "tickets")
    assert len(tickets) == RECORDS
    for key in ("modifiedTime", "createdTime", "departmentId", "contactId", "ticketNumber"):
        assert all(t[key] for t in tickets), key
    assert {c["id"] for c in first.records("desk_contacts")} == desk_ids(server, "contacts")
    bookmarks = first.final_state["bookmarks"]
    bookmark = bookmarks["desk_tickets"]["replication_key_value"]
    assert bookmark == max(t["modifiedTime"] for t in tickets)

    changed = [t["id"] for t in tickets[:3]]
    for ticket_id in changed:
        patch = server.desk("PATCH", f"tickets/{ticket_id}", json={"priority": "High"})
        assert patch.status_code == 200, patch.text
    second = run_tap(tmp_path, desk_config(server), catalog=selected, state=first.final_state)
    assert second.returncode == 0, second.stderr
    again = second.records("desk_tickets")
    assert {t["id"] for t in again if t["modifiedTime"] > bookmark} == set(changed)
    assert all(t["modifiedTime"] >= bookmark for t in again)
    assert len(again) - len(changed) < 15  # the bookmark's own millisecond only
    latest = second.final_state["bookmarks"]["desk_tickets"]["replication_key_value"]
    assert latest == max(t["modifiedTime"] for t in again)
    assert latest > bookmark
