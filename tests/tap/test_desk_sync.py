"""tap-zoho's Desk streams as a real process: windows past the from cap, incremental runs,
children, custom fields, and a resumed sync."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, desk_ids, running_emulator
from tests.singer import run_tap, selecting, tap_config, write_json

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 1200
#: A small search cap, so each module needs several windows.
FROM_CAP = 199


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = ("--records", str(RECORDS), "--concurrency", "0", "--search-from-cap", str(FROM_CAP))
    with running_emulator(*flags) as emulator:
        yield emulator


def desk_config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    return tap_config(
        emulator,
        desk_org_id=emulator.desk_org_id,
        desk_url=emulator.url,
        crm_modules=["Price_Tiers"],
        **extra,
    )


@pytest.fixture(scope="module")
def catalog(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_tap(tmp_path_factory.mktemp("desk"), desk_config(server), discover=True)
    assert run.returncode == 0, run.stderr
    found: dict[str, Any] = run.messages[0]
    return found


@pytest.fixture
def emulator(server: Emulator) -> Emulator:
    server.reset()
    server.forget_token()
    return server


def test_discovery_types_custom_fields(catalog: dict[str, Any]) -> None:
    streams = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert {
        "desk_tickets",
        "desk_contacts",
        "desk_accounts",
        "desk_tasks",
        "desk_calls",
        "desk_events",
        "desk_agents",
        "desk_departments",
        "desk_ticket_threads",
        "desk_ticket_comments",
    } <= set(streams)
    cf = streams["desk_tickets"]["schema"]["properties"]["cf"]["properties"]
    assert cf["cf_units"]["type"] == ["integer", "null"]
    assert cf["cf_severity_pct"]["type"] == ["number", "null"]
    assert cf["cf_is_vip"]["type"] == ["boolean", "null"]
    assert cf["cf_warranty_until"]["format"] == "date"
    assert streams["desk_tickets"]["replication_key"] == "modifiedTime"


def test_full_read_crosses_the_from_cap_in_windows(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    run = run_tap(tmp_path, desk_config(emulator), catalog=selecting(catalog, "desk_tickets"))
    assert run.returncode == 0, run.stderr
    tickets = run.records("desk_tickets")
    ids = [t["id"] for t in tickets]
    assert len(ids) == len(set(ids)) == RECORDS
    assert set(ids) == desk_ids(emulator, "tickets")
    times = [t["modifiedTime"] for t in tickets]
    assert times == sorted(times)
    searches = emulator.stats()["by_endpoint"]["GET /api/v1/tickets/search"]
    assert searches > RECORDS / (FROM_CAP + 1)  # several windows
    typed = [t["cf"] for t in tickets if t["cf"]["cf_units"] is not None]
    assert typed
    assert all(isinstance(cf["cf_units"], int) for cf in typed)
    assert all(cf["cf_is_vip"] in (True, False, None) for cf in typed)


def test_incremental_run_reads_changes_and_their_children(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    selected = selecting(catalog, "desk_tickets", "desk_ticket_threads", "desk_contacts")
    first = run_tap(tmp_path, desk_config(emulator), catalog=selected)
    assert first.returncode == 0, first.stderr
    threads = first.records("desk_ticket_threads")
    by_ticket: dict[str, int] = {}
    for thread in threads:
        by_ticket[thread["ticket_id"]] = by_ticket.get(thread["ticket_id"], 0) + 1
    counts = {t["id"]: int(t["threadCount"]) for t in first.records("desk_tickets")}
    assert by_ticket == {ticket: n for ticket, n in counts.items() if n}
    # One SCHEMA a stream, not one a ticket: targets flush on SCHEMA.
    schemas = [m["stream"] for m in first.messages if m["type"] == "SCHEMA"]
    assert sorted(schemas) == ["desk_contacts", "desk_ticket_threads", "desk_tickets"]
    assert "Beginning sync of 'desk_ticket_threads'" not in first.stderr  # not once a ticket
    assert "Beginning sync of 'desk_tickets'" in first.stderr
    bookmark = first.final_state["bookmarks"]["desk_tickets"]["replication_key_value"]
    with_threads = [t for t in first.records("desk_tickets") if int(t["threadCount"])][:2]
    for ticket in with_threads:
        patch = emulator.desk("PATCH", f"tickets/{ticket['id']}", json={"priority": "High"})
        assert patch.status_code == 200, patch.text
    created = emulator.desk("POST", "contacts", json={"lastName": "Nouvelle"}).json()["id"]
    second = run_tap(tmp_path, desk_config(emulator), catalog=selected, state=first.final_state)
    assert second.returncode == 0, second.stderr
    changed = [t for t in second.records("desk_tickets") if t["modifiedTime"] > bookmark]
    assert {t["id"] for t in changed} == {t["id"] for t in with_threads}
    assert all(t["priority"] == "High" for t in changed)
    assert len(second.records("desk_tickets")) - len(changed) < 5  # ties at the bookmark only
    again = {t["ticket_id"] for t in second.records("desk_ticket_threads")}
    assert again == {t["id"] for t in second.records("desk_tickets") if int(t["threadCount"])}
    assert created in {c["id"] for c in second.records("desk_contacts")}


def test_small_lists_and_comments(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    selected = selecting(catalog, "desk_agents", "desk_departments", "desk_ticket_comments")
    run = run_tap(tmp_path, desk_config(emulator), catalog=selected)
    assert run.returncode == 0, run.stderr
    assert len(run.records("desk_agents")) == emulator.desk("GET", "agents/count").json()["count"]
    assert len(run.records("desk_departments")) == 3
    comments = run.records("desk_ticket_comments")
    assert comments
    assert all(c["ticket_id"] and c["id"] and "content" in c for c in comments)
    assert not run.records("desk_tickets")  # a deselected parent is read, not emitted


def test_an_interrupted_desk_sync_resumes(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config_path = write_json(tmp_path / "config.json", desk_config(emulator))
    catalog_path = write_json(tmp_path / "catalog.json", selecting(catalog, "desk_contacts"))
    command = [sys.executable, "-m", "tap_zoho", "--config", str(config_path)]
    process = subprocess.Popen(
        [*command, "--catalog", str(catalog_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first: set[str] = set()
    state: dict[str, Any] | None = None
    for line in process.stdout:
        message = json.loads(line)
        if message["type"] == "RECORD":
            first.add(message["record"]["id"])
        elif message["type"] == "STATE" and message["value"]["bookmarks"].get("desk_contacts"):
            state = message["value"]
            break
    process.kill()
    process.wait()
    process.stdout.close()
    assert state is not None
    resumed = run_tap(
        tmp_path, desk_config(emulator), catalog=selecting(catalog, "desk_contacts"), state=state
    )
    assert resumed.returncode == 0, resumed.stderr
    second = {c["id"] for c in resumed.records("desk_contacts")}
    assert first | second == desk_ids(emulator, "contacts")
    assert len(second) < RECORDS


def test_a_catalog_without_tickets_has_no_ticket_children(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    """A catalog made before Desk was turned on: the CRM streams run, no Desk stream does."""
    crm_only = selecting(catalog, "crm_price_tiers")
    crm_only["streams"] = [
        entry for entry in crm_only["streams"] if not entry["tap_stream_id"].startswith("desk_")
    ]
    run = run_tap(tmp_path, desk_config(emulator), catalog=crm_only)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("crm_price_tiers")
    assert not [m for m in run.messages if m.get("stream", "").startswith("desk_")]
