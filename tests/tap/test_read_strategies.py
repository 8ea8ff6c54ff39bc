"""tap-zoho's read strategies as a real process: the same records whichever way, a Bulk Read
backfill killed and resumed, changes during the export read after it, and ``max_credits``."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import SingerRun, run_tap, selecting, tap_config, write_json
from tests.tap.test_sync import raw_all

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 3000
BULK_CREATE = "POST /crm/bulk/{version}/read"


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = ("--records", str(RECORDS), "--concurrency", "0", "--bulk-job-seconds", "0.2")
    with running_emulator(*flags) as emulator:
        yield emulator


@pytest.fixture
def emulator(server: Emulator) -> Iterator[Emulator]:
    server.configure(bulk_page_rows=200_000, bulk_job_seconds=0.2, churn_per_second=0)
    server.reset()
    server.forget_token()
    yield server
    server.configure(bulk_page_rows=200_000, bulk_job_seconds=0.2, churn_per_second=0)


@pytest.fixture(scope="module")
def catalog(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    config = tap_config(server, crm_modules=["Leads", "Service_Visits", "Accounts"])
    run = run_tap(tmp_path_factory.mktemp("discover"), config, discover=True)
    assert run.returncode == 0, run.stderr
    found: dict[str, Any] = run.messages[0]
    return found


def records_by_id(run: Any, stream: str) -> dict[str, str]:
    return {
        record["id"]: json.dumps(record, sort_keys=True)
        for record in run.records(stream)
        if not record.get("_sdc_deleted_at")
    }


@pytest.mark.parametrize("stream", ["crm_service_visits", "crm_leads"])
def test_every_read_strategy_gives_the_same_records(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path, stream: str
) -> None:
    chosen = selecting(catalog, stream)
    by_way = {}
    for way in ("rest", "coql", "bulk"):
        config = tap_config(emulator, read_strategy=way, include_deletes=False)
        run = run_tap(tmp_path, config, catalog=chosen)
        assert run.returncode == 0, run.stderr
        assert f"records read by {way}" in run.stderr
        by_way[way] = records_by_id(run, stream)
    assert len(by_way["rest"]) > 2000
    for way in ("coql", "bulk"):
        assert by_way[way].keys() == by_way["rest"].keys(), way
        different = [rid for rid, text in by_way["rest"].items() if by_way[way][rid] != text]
        assert not different, (way, by_way["rest"][different[0]], by_way[way][different[0]])


def test_a_bulk_backfill_reads_on_by_coql_and_then_incrementally(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    chosen = selecting(catalog, "crm_leads")
    config = tap_config(emulator, read_strategy="bulk")
    first = run_tap(tmp_path, config, catalog=chosen)
    assert first.returncode == 0, first.stderr
    assert "crm_leads: read by bulk (as asked)" in first.stderr
    state = first.final_state["bookmarks"]["crm_leads"]
    assert "bulk_backfill" not in state
    # The recycle bin's records come too, after the backfill, at the bookmark's time at least.
    seeded = {entry["id"] for entry in emulator.crm("GET", "Leads/deleted").json()["data"]}
    tombstones = [r for r in first.records("crm_leads") if r.get("_sdc_deleted_at")]
    assert {r["id"] for r in tombstones} == seeded
    assert all(r["Modified_Time"] >= state["replication_key_value"] for r in tombstones)
    by_endpoint = emulator.stats()["by_endpoint"]
    assert by_endpoint[BULK_CREATE] == 1
    # The bookmark is the job's creation time: the stream read on from it, by COQL.
    assert by_endpoint["POST /crm/{version}/coql"] >= 1
    second = run_tap(tmp_path, config, catalog=chosen, state=first.final_state)
    assert second.returncode == 0, second.stderr
    assert "crm_leads: read by coql (an incremental read)" in second.stderr
    assert emulator.stats()["by_endpoint"][BULK_CREATE] == 1


def test_what_changes_during_a_bulk_export_is_read_after_it(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.configure(bulk_job_seconds=3)
    chosen = selecting(catalog, "crm_accounts")
    config = tap_config(emulator, read_strategy="bulk", include_deletes=False)
    command = tap_command(tmp_path, config, chosen)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as tap:
        while not emulator.stats()["bulk_read"]["jobs_created"]:
            time.sleep(0.05)
        ids = [row["id"] for row in coql(emulator, "select id from Accounts where id is not null")]
        touched = ids[:5]
        body = {
            "data": [{"id": rid, "Description": "changed during the export"} for rid in touched]
        }
        assert emulator.crm("PUT", "Accounts", json=body).status_code == 200
        output, _ = tap.communicate(timeout=300)
    assert tap.returncode == 0
    messages = [json.loads(line) for line in output.splitlines() if line.strip()]
    last: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            last[message["record"]["id"]] = message["record"]
    assert all(last[rid]["Description"] == "changed during the export" for rid in touched)


def test_a_killed_bulk_backfill_resumes_without_losing_records(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.configure(bulk_job_seconds=0.5)
    chosen = selecting(catalog, "crm_leads")
    config = tap_config(emulator, read_strategy="bulk", include_deletes=False)
    seen: set[str] = set()
    states: list[dict[str, Any]] = []
    # Windows of 500 records instead of 190,000: the backfill is read in six, one by one.
    command = [*small_windows(), *tap_command(tmp_path, config, chosen)[3:]]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as tap:
        assert tap.stdout is not None
        for line in tap.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD":
                seen.add(message["record"]["id"])
            if message["type"] == "STATE":
                states.append(message["value"])
                backfill = message["value"]["bookmarks"]["crm_leads"].get("bulk_backfill")
                if backfill and backfill["done"] >= 2:
                    os.kill(tap.pid, signal.SIGKILL)
                    break
        tap.wait()
    made = emulator.stats()["by_endpoint"][BULK_CREATE]
    backfill = states[-1]["bookmarks"]["crm_leads"]["bulk_backfill"]
    assert 2 <= backfill["done"] < len(backfill["windows"])
    write_json(tmp_path / "state.json", states[-1])
    finished = subprocess.run(
        [*command, "--state", str(tmp_path / "state.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    resumed = SingerRun(
        [json.loads(line) for line in finished.stdout.splitlines() if line.strip()],
        finished.stderr,
        finished.returncode,
    )
    assert "resuming the backfill in STATE" in resumed.stderr
    everyone = {row["id"] for row in coql(emulator, "select id from Leads where id is not null")}
    assert seen | {record["id"] for record in resumed.records("crm_leads")} == everyone
    # Windows already read are not read again; their jobs are not made again.
    again = collections.Counter(record["id"] for record in resumed.records("crm_leads"))
    assert len(again) < len(everyone)
    assert emulator.stats()["by_endpoint"][BULK_CREATE] >= made
    assert "bulk_backfill" not in resumed.final_state["bookmarks"]["crm_leads"]


def test_max_credits_stops_the_run_with_state_and_the_next_run_goes_on(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    chosen = selecting(catalog, "crm_leads")
    config = tap_config(emulator, read_strategy="rest", include_deletes=False, max_credits=8)
    stopped = run_tap(tmp_path, config, catalog=chosen)
    assert stopped.returncode != 0
    assert "stopped before passing max_credits (8)" in stopped.stderr
    assert emulator.stats()["credits"] <= 8
    bookmark = stopped.final_state["bookmarks"]["crm_leads"]["replication_key_value"]
    assert bookmark
    first = {record["id"] for record in stopped.records("crm_leads")}
    assert first
    del config["max_credits"]
    rest = run_tap(tmp_path, config, catalog=chosen, state=stopped.final_state)
    assert rest.returncode == 0, rest.stderr
    everyone = {row["id"] for row in coql(emulator, "select id from Leads where id is not null")}
    assert first | {record["id"] for record in rest.records("crm_leads")} == everyone


@pytest.mark.parametrize("credits_header", [True, False], ids=["credits-told", "bare-429"])
def test_the_orgs_spent_credits_stop_the_run_with_state_and_the_next_run_goes_on(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path, credits_header: bool
) -> None:
    chosen = selecting(catalog, "crm_leads")
    config = tap_config(emulator, read_strategy="rest", include_deletes=False)
    emulator.configure(daily_credits=8, crm_credits_header=credits_header)
    try:
        stopped = run_tap(tmp_path, config, catalog=chosen)
    finally:
        emulator.configure(daily_credits=0, crm_credits_header=True)
    assert stopped.returncode != 0
    if credits_header:  # told apart from concurrency: no retries
        assert "Zoho's API credits for the day are spent" in stopped.stderr
        assert emulator.stats()["faults"]["credits_exhausted"] == 1
    else:
        assert "the day's API credits are spent" in stopped.stderr
    bookmark = stopped.final_state["bookmarks"]["crm_leads"]["replication_key_value"]
    assert bookmark
    first = {record["id"] for record in stopped.records("crm_leads")}
    assert first
    rest = run_tap(tmp_path, config, catalog=chosen, state=stopped.final_state)
    assert rest.returncode == 0, rest.stderr
    everyone = {row["id"] for row in coql(emulator, "select id from Leads where id is not null")}
    assert first | {record["id"] for record in rest.records("crm_leads")} == everyone


def test_a_deletion_the_last_run_missed_comes_in_order(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    chosen = selecting(catalog, "crm_accounts")
    config = tap_config(emulator)
    first = run_tap(tmp_path, config, catalog=chosen)
    assert first.returncode == 0, first.stderr
    state = first.final_state
    looked = state["bookmarks"]["crm_accounts"]["deletes_seen_at"]
    assert looked
    # A record deleted after the last look at the recycle bin, but before a bookmark that
    # moved past it (a record changed later was read in the same run).
    victim = next(r["id"] for r in first.records("crm_accounts") if not r.get("_sdc_deleted_at"))
    assert emulator.crm("DELETE", "Accounts", params={"ids": victim}).ok
    time.sleep(2.5)  # a read ends a second before it starts (Date's whole seconds): before it
    state["bookmarks"]["crm_accounts"]["replication_key_value"] = "2999-01-01T00:00:00+00:00"
    second = run_tap(tmp_path, config, catalog=chosen, state=state)
    assert second.returncode == 0, second.stderr
    tombstones = [r for r in second.records("crm_accounts") if r.get("_sdc_deleted_at")]
    assert [r["id"] for r in tombstones] == [victim]
    assert tombstones[0]["Modified_Time"] == "2999-01-01T00:00:00+00:00"


def small_windows() -> list[str]:
    """A tap process whose Bulk Read windows hold 500 records (Zoho's jobs hold 200,000)."""
    code = (
        "import zoho_connector.crm_read.bulk as bulk; bulk.WINDOW = 500; "
        "from tap_zoho.tap import TapZoho; TapZoho.cli()"
    )
    return [sys.executable, "-c", code]


def tap_command(tmp_path: Path, config: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tap_zoho",
        "--config",
        str(write_json(tmp_path / "config.json", config)),
        "--catalog",
        str(write_json(tmp_path / "catalog.json", catalog)),
    ]


def coql(emulator: Emulator, query: str) -> list[dict[str, Any]]:
    """Every row of a query, keyed on id past COQL's 2,000 a call."""
    rows: list[dict[str, Any]] = []
    after = "0"
    while True:
        text = query.replace("where id is not null", f"where id > {after}")
        response = emulator.crm(
            "POST", "coql", json={"select_query": f"{text} order by id asc limit 2000"}
        )
        if response.status_code == 204:
            return rows
        page = response.json()["data"]
        rows += page
        if not response.json()["info"]["more_records"]:
            return rows
        after = page[-1]["id"]


def test_a_token_without_bulk_or_coql_scopes_reads_by_get_records(tmp_path: Path) -> None:
    scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"
    flags = ("--records", "500", "--concurrency", "0", "--scopes", scopes)
    with running_emulator(*flags) as emulator:
        config = tap_config(emulator, crm_modules=["Accounts"], read_strategy="bulk")
        discovered = run_tap(tmp_path, config, discover=True)
        assert discovered.returncode == 0, discovered.stderr
        chosen = selecting(discovered.messages[0], "crm_accounts")
        run = run_tap(tmp_path, config, catalog=chosen)
        assert run.returncode == 0, run.stderr
        assert "Bulk Read failed (OAUTH_SCOPE_MISMATCH" in run.stderr
        assert "Zoho refuses to serve the read by coql (OAUTH_SCOPE_MISMATCH" in run.stderr
        assert "records read by rest" in run.stderr
        live = {r["id"] for r in run.records("crm_accounts") if not r.get("_sdc_deleted_at")}
        assert live == {record["id"] for record in raw_all(emulator, "Accounts", "Account_Name")}
