"""target-zoho as a real process against emulators: round trips, rejects, deletes, faults,
and a killed run rerun from its last STATE."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from target_zoho.routes import READ_ONLY_STREAMS
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
from zoho_connector import fields as zoho_fields

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Owners and layouts are ids of the source org, unknown to the second one (which rejects them
#: as INVALID_DATA): copies leave them out and take the second org's defaults.
ORG_BOUND = ("Owner", "Layout")
PEOPLE = {
    "product": "crm",
    "module": "Contacts",
    "action": "upsert",
    "sync_key": "Email",
    "fields": {"email": "Email", "last": "Last_Name", "title": "Title"},
}
PEOPLE_SCHEMA = {
    "email": {"type": ["string", "null"]},
    "last": {"type": ["string", "null"]},
    "title": {"type": ["string", "null"]},
}


@pytest.fixture(scope="module")
def source() -> Iterator[Emulator]:
    with running_emulator("--records", "600", "--concurrency", "0") as emulator:
        yield emulator


def catalog_of(
    emulator: Emulator, workdir: Path, *streams: str, bound: tuple[str, ...] = ORG_BOUND
) -> dict[str, Any]:
    """The discovered catalog with only ``streams`` selected, less the ``bound`` fields."""
    catalog: dict[str, Any] = run_tap(workdir, tap_config(emulator), discover=True).messages[0]
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
            elif item["breadcrumb"][-1] in bound:
                item["metadata"]["selected"] = False
    return catalog


def coql(emulator: Emulator, query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = f"{query} limit 2000 offset {offset}"
        response = emulator.crm("POST", "coql", json={"select_query": page})
        if response.status_code == 204:
            return rows
        body = response.json()
        rows += body["data"]
        if not body["info"]["more_records"]:
            return rows
        offset += 2000


def writable(emulator: Emulator, module: str) -> list[dict[str, Any]]:
    fields = emulator.crm("GET", "settings/fields", params={"module": module}).json()["fields"]
    return [f for f in fields if zoho_fields.writable(f) and zoho_fields.in_lists(f)]


def same(field: dict[str, Any], left: Any, right: Any) -> bool:
    kind = zoho_fields.kind(field)
    if kind == zoho_fields.PICKLIST_ARRAY and not left and not right:
        return True  # an empty multi-select is [] or null: both mean none chosen
    if left is None or right is None:
        return bool(left == right)
    if kind == zoho_fields.DATETIME:
        return bool(dt.datetime.fromisoformat(left) == dt.datetime.fromisoformat(right))
    if kind == zoho_fields.LOOKUP:
        return bool(left["id"] == right["id"])
    return bool(left == right)


def people(count: int, *, bad_every: int = 0) -> list[dict[str, Any]]:
    """Contacts for the mapped stream; every ``bad_every``-th one invalid for Zoho."""
    records = []
    for number in range(count):
        record = {"email": f"person.{number}@example.test", "last": f"Person {number}"}
        if bad_every and number % bad_every == bad_every - 1:
            kind = (number // bad_every) % 3
            if kind == 0:
                record["title"] = "T" * 101  # longer than the field
            elif kind == 1:
                record["email"] = f"person-{number}-at-nowhere"  # not an email
            else:
                record["last"] = ""  # mandatory
        records.append(record)
    return records


def load_people(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        schema_message("people", PEOPLE_SCHEMA, []),
        *(record_message("people", record) for record in records),
        {"type": "STATE", "value": {"bookmarks": {"people": {"done": len(records)}}}},
    ]


def test_round_trip_into_a_second_org(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    catalog = catalog_of(source, tmp_path, "crm_leads", "crm_price_tiers")
    config = tap_config(source, include_deletes=False)
    target = pipe(
        [
            sys.executable,
            "-m",
            "tap_zoho",
            "--config",
            str(write_json(tmp_path / "t.json", config)),
            "--catalog",
            str(write_json(tmp_path / "catalog.json", catalog)),
        ],
        [
            sys.executable,
            "-m",
            "target_zoho",
            "--config",
            str(write_json(tmp_path / "target.json", tap_config(destination))),
        ],
    )
    assert target.returncode == 0, target.stderr[-3000:]
    assert json.loads(target.stdout.splitlines()[-1])["bookmarks"]["crm_leads"]
    fields = [f for f in writable(destination, "Leads") if f["api_name"] not in ORG_BOUND]
    names = ",".join(f["api_name"] for f in fields)
    before = {
        r["Email"]: r for r in coql(source, f"select {names} from Leads where id is not null")
    }
    after = {
        r["Email"]: r for r in coql(destination, f"select {names} from Leads where id is not null")
    }
    assert set(after) == set(before)
    assert len(before) > 500
    for email, record in before.items():
        for field in fields:
            name = field["api_name"]
            assert same(field, record[name], after[email][name]), (email, name)
    query = "select Name, Rate, Tier_Code from Price_Tiers where id is not null"
    copied = {r["Name"]: (r["Rate"], r["Tier_Code"]) for r in coql(destination, query)}
    for tier in coql(source, query):
        assert copied[tier["Name"]] == (tier["Rate"], tier["Tier_Code"])


def test_a_thousand_upserts_with_five_percent_invalid(
    destination: Emulator, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    config = {
        **tap_config(destination),
        "streams": {"people": PEOPLE},
        "rejects_path": str(rejects),
        "allow_failures": True,
        "progress_seconds": 0,  # a progress line after every batch
        # Write calls, drained every five rounds of n_concurrent calls of batch_size records
        # (Bulk Write batches are larger: tests/target/test_bulk_write.py).
        "bulk_write_min_records": 0,
        "n_concurrent": 1,
    }
    records = people(1000, bad_every=20)
    run = run_target(tmp_path, config, load_people(records))
    assert run.returncode == 0, run.stderr
    stats = destination.stats()
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    bad = [r for n, r in enumerate(records) if n % 20 == 19]
    assert [line["record"]["email"] for line in lines] == [r["email"] for r in bad]
    codes = {line["code"] for line in lines}
    assert codes == {"INVALID_DATA", "MANDATORY_NOT_FOUND"}
    assert {line["details"].get("api_name") for line in lines} == {"Title", "Email", "Last_Name"}
    assert all(line["stream"] == "people" and line["message"] for line in lines)
    # Record n is on line n + 2 of the input: the SCHEMA is line 1.
    assert [line["line"] for line in lines] == [n + 2 for n in range(1000) if n % 20 == 19]
    assert (
        "Rejected: line 21, stream people, record Email person.19@example.test, field Title: "
        "INVALID_DATA"
    ) in run.stderr
    stored = coql(destination, "select Email from Contacts where Email like 'person.%'")
    good = {r["email"] for n, r in enumerate(records) if n % 20 != 19}
    assert sorted(r["Email"] for r in stored) == sorted(good)
    assert run.final_state == {"bookmarks": {"people": {"done": 1000}}}
    assert stats["by_endpoint"]["POST /crm/{version}/{module}/upsert"] == 10  # batches of 100
    progress = re.findall(
        r"\| people: ([\d,]+) created, 0 updated, 0 deleted, ([\d,]+) rejected", run.stderr
    )
    assert progress[-1] == ("950", "50")
    assert len(progress) >= 2  # one per drain of 500 records
    summary = re.search(
        r"Summary: people: 950 created, 0 updated, 0 deleted, 50 rejected, ([\d,]+) API calls, "
        r"([\d,]+) credits",
        run.stderr,
    )
    assert summary, run.stderr[-2000:]
    total = re.search(
        r"Summary: run total: 950 created, 0 updated, 0 deleted, 50 rejected, ([\d,]+) API "
        r"calls, ([\d,]+) credits",
        run.stderr,
    )
    assert total, run.stderr[-2000:]
    # The run's own count of calls and credits is the emulator's (metadata calls included).
    assert (int(total[1]), int(total[2])) == (stats["requests"], stats["credits"])
    # Upserts cost a credit per 10 records (third-party summaries of Zoho's API limits page,
    # https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html).
    assert int(summary[2]) >= 100


def test_batch_size_sizes_the_write_calls(destination: Emulator, tmp_path: Path) -> None:
    config = {**tap_config(destination), "streams": {"people": PEOPLE}, "batch_size": 50}
    run = run_target(tmp_path, config, load_people(people(120)))
    assert run.returncode == 0, run.stderr
    assert destination.stats()["by_endpoint"]["POST /crm/{version}/{module}/upsert"] == 3


def test_failures_fail_the_run_unless_allowed(destination: Emulator, tmp_path: Path) -> None:
    config = {**tap_config(destination), "streams": {"people": PEOPLE}}
    run = run_target(tmp_path, config, load_people(people(40, bad_every=20)))
    assert run.returncode != 0
    assert "2 of 40 records of stream people failed (first: line 21, stream people" in run.stderr
    assert re.search(
        r"Summary: run total: 38 created, 0 updated, 0 deleted, 2 rejected, .* run failed",
        run.stderr,
    )
    assert "maximum_length" in run.stderr or "MANDATORY_NOT_FOUND" in run.stderr
    assert run.messages == []  # no STATE past records that failed


def test_deletes_by_sdc_deleted_at(source: Emulator, tmp_path: Path) -> None:
    source.reset()
    source.forget_token()
    accounts = source.crm("GET", "Accounts", params={"fields": "Account_Name"}).json()["data"]
    contacts = source.crm("GET", "Contacts", params={"fields": "Email"}).json()["data"]
    gone = "2026-11-01T00:00:00+00:00"
    schema = {
        "id": {"type": ["string"]},
        "Account_Name": {"type": ["string", "null"]},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    }
    emails = [c["Email"] for c in contacts if c["Email"]][:2]
    messages = [
        schema_message("crm_accounts", schema, ["id"]),
        *(
            record_message("crm_accounts", {"id": a["id"], "_sdc_deleted_at": gone})
            for a in accounts[:3]
        ),
        record_message("crm_accounts", {"id": accounts[3]["id"], "Account_Name": "Gardée"}),
        schema_message(
            "leavers",
            {"email": {"type": "string"}, "_sdc_deleted_at": schema["_sdc_deleted_at"]},
            [],
        ),
        *(record_message("leavers", {"email": e, "_sdc_deleted_at": gone}) for e in emails),
    ]
    config = {
        **tap_config(source),
        "streams": {
            "leavers": {
                "product": "crm",
                "module": "Contacts",
                "sync_key": "Email",
                "fields": {"email": "Email"},
            }
        },
    }
    run = run_target(tmp_path, config, messages)
    assert run.returncode == 0, run.stderr
    assert all(source.crm("GET", f"Accounts/{a['id']}").status_code == 204 for a in accounts[:3])
    assert source.crm("GET", f"Accounts/{accounts[3]['id']}").status_code == 200
    # not deleted: upserted on the default duplicate check, Account_Name (a new account here)
    assert coql(source, "select Account_Name from Accounts where Account_Name = 'Gardée'")
    for email in emails:
        found = source.crm("GET", "Contacts/search", params={"email": email})
        assert found.status_code == 204, email
    # A rerun (from an earlier STATE, or the tap's re-read of its bookmark's second) deletes
    # the same accounts again: already gone, so done.
    again = run_target(tmp_path, config, messages[:4])
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.count("ALREADY_DELETED") == 0  # not a failure, so not logged as one
    assert "Summary: crm_accounts: 0 created, 0 updated, 3 deleted, 0 rejected" in again.stderr


def test_429s_and_5xx_lose_and_duplicate_nothing(destination: Emulator, tmp_path: Path) -> None:
    destination.configure(error_rate=0.2, concurrency=2, latency_ms=20)
    config = {**tap_config(destination), "streams": {"people": PEOPLE}, "n_concurrent": 6}
    records = people(600)
    run = run_target(tmp_path, config, load_people(records))
    destination.configure(error_rate=0.0, concurrency=0, latency_ms=0)
    assert run.returncode == 0, run.stderr
    faults = destination.stats()["faults"]
    assert faults["errors_injected"] > 0
    assert faults["concurrency_exceeded"] > 0
    stored = [
        r["Email"]
        for r in coql(destination, "select Email from Contacts where Email like 'person.%'")
    ]
    assert sorted(stored) == sorted(r["email"] for r in records)


def test_a_killed_run_reruns_from_its_last_state(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    catalog = catalog_of(source, tmp_path, "crm_leads")
    tap_path = write_json(tmp_path / "tap.json", tap_config(source, include_deletes=False))
    catalog_path = write_json(tmp_path / "catalog.json", catalog)
    target_config = {**tap_config(destination), "state_interval_seconds": 0.5, "batch_size": 50}
    target_path = write_json(tmp_path / "target.json", target_config)
    destination.configure(latency_ms=150)
    tap = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tap_zoho",
            "--config",
            str(tap_path),
            "--catalog",
            str(catalog_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    target = subprocess.Popen(
        [sys.executable, "-m", "target_zoho", "--config", str(target_path)],
        stdin=tap.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert target.stdout is not None
    assert tap.stdout is not None
    state = json.loads(target.stdout.readline())
    target.kill()
    tap.kill()
    for process in (target, tap):
        process.wait()
    target.stdout.close()
    tap.stdout.close()
    destination.configure(latency_ms=0)
    partial = coql(destination, "select Email from Leads where id is not null")
    assert len(partial) > 0
    rerun = run_tap(
        tmp_path, tap_config(source, include_deletes=False), catalog=catalog, state=state
    )
    assert rerun.returncode == 0, rerun.stderr
    resumed = run_target(tmp_path, target_config, rerun.messages)
    assert resumed.returncode == 0, resumed.stderr
    expected = coql(source, "select Email from Leads where id is not null")
    stored = coql(destination, "select Email from Leads where id is not null")
    assert sorted(r["Email"] for r in stored) == sorted(r["Email"] for r in expected)
    assert len(rerun.records("crm_leads")) < len(expected)  # it resumed, not restarted


def test_bad_input_fails_clearly(destination: Emulator, tmp_path: Path) -> None:
    config = tap_config(destination)
    unknown = run_target(
        tmp_path, config, [schema_message("mystery", {"a": {"type": "string"}}, [])]
    )
    assert unknown.returncode != 0
    assert "stream 'mystery' has no mapping" in unknown.stderr
    wrong_type = run_target(
        tmp_path,
        {**config, "streams": {"people": PEOPLE}},
        [
            schema_message(
                "people", {"email": {"type": "string"}, "last": {"type": "integer"}}, []
            ),
            record_message("people", {"email": "x@example.test", "last": "not a number"}),
        ],
    )
    assert wrong_type.returncode != 0
    assert (
        "line 2, stream people, record Email x@example.test, field last: 'not a number' is not "
        "of type 'integer'; records before it were written"
    ) in wrong_type.stderr
    unknown_module = run_target(
        tmp_path,
        {**config, "streams": {"people": {**PEOPLE, "module": "Peoplez"}}},
        load_people(people(1)),
    )
    assert unknown_module.returncode != 0
    assert "stream 'people': unknown Zoho CRM module 'Peoplez'" in unknown_module.stderr
    no_field = run_target(
        tmp_path,
        {**config, "allow_failures": True, "rejects_path": str(tmp_path / "r.jsonl")},
        [
            schema_message(
                "crm_leads",
                {
                    "id": {"type": "string"},
                    "Nope": {"type": "string"},
                    "Modified_Time": {"type": "string", "format": "date-time"},
                },
                ["id"],
            ),
            record_message(
                "crm_leads", {"id": "1", "Nope": "lost?", "Modified_Time": "2024-12-08T08:03:47Z"}
            ),
        ],
    )
    assert no_field.returncode == 0
    reject = json.loads((tmp_path / "r.jsonl").read_text())
    assert reject["code"] == "INVALID_INPUT"
    assert reject["details"] == {"field": "Nope"}
    assert reject["record"]["Modified_Time"] == "2024-12-08T08:03:47+00:00"  # ISO, as sent
    update = run_target(
        tmp_path,
        {**config, "streams": {"people": {**PEOPLE, "action": "update"}}},
        load_people(people(1)),
    )
    assert update.returncode != 0
    assert "MANDATORY_NOT_FOUND" in update.stderr
    for _ in range(2):  # no Email to match on: rejected, not inserted again at each run
        keyless = run_target(
            tmp_path,
            {**config, "streams": {"people": PEOPLE}},
            load_people([{"email": None, "last": "Nobody"}]),
        )
        assert keyless.returncode != 0
        assert "MANDATORY_NOT_FOUND: a record to integrate needs Email" in keyless.stderr
    assert coql(destination, "select id from Contacts where Last_Name = 'Nobody'") == []
    malformed = subprocess.run(
        [
            sys.executable,
            "-m",
            "target_zoho",
            "--config",
            str(write_json(tmp_path / "c.json", config)),
        ],
        input='{"type": "SCHEMA", "stream": \n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert malformed.returncode != 0


def test_desk_upserts_by_a_sync_key(tmp_path: Path) -> None:
    with running_emulator("--records", "20", "--concurrency", "0") as desk:
        config = {
            **tap_config(desk),
            "desk_org_id": desk.desk_org_id,
            "desk_url": desk.url,
            "rejects_path": str(tmp_path / "rejects.jsonl"),
            "allow_failures": True,
            "streams": {
                "customers": {
                    "product": "desk",
                    "module": "contacts",
                    "sync_key": "email",
                    "fields": {"mail": "email", "name": "lastName"},
                }
            },
        }
        schema = {"mail": {"type": "string"}, "name": {"type": ["string", "null"]}}
        records: list[dict[str, Any]] = [
            {"mail": f"client.{n}@example.test", "name": f"Client {n}"} for n in range(10)
        ]
        records[4]["name"] = None  # Desk wants a lastName
        messages = [
            schema_message("customers", schema, []),
            *(record_message("customers", r) for r in records),
        ]
        first = run_target(tmp_path, config, messages)
        assert first.returncode == 0, first.stderr
        assert "Summary: customers: 9 created, 0 updated, 0 deleted, 1 rejected" in first.stderr
        again = run_target(tmp_path, config, messages)  # the same records: updates, not copies
        assert again.returncode == 0, again.stderr
        assert "Summary: customers: 0 created, 9 updated, 0 deleted, 1 rejected" in again.stderr
        count = desk.desk("GET", "contacts/count").json()["count"]
        assert count == 20 + 9
        rejects = [
            json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()
        ]
        assert [r["record"]["mail"] for r in rejects] == ["client.4@example.test"] * 2
        assert rejects[0]["details"]["errors"][0]["fieldName"] == "/lastName"


def test_a_whole_tap_run_loads_back_into_its_org(tmp_path: Path) -> None:
    """Every stream tap-zoho writes, CRM and Desk, into target-zoho as it is: the modules are
    written back (upserts, deletes already applied), the read-only streams passed over."""
    with running_emulator("--records", "60", "--concurrency", "0") as org:
        config = org.banner.plugin_config()
        read = run_tap(tmp_path, config)
        assert read.returncode == 0, read.stderr[-2000:]
        written = run_target(tmp_path, config, read.messages)
    assert written.returncode == 0, written.stderr[-3000:]
    tallies = {
        stream: tuple(int(n) for n in counts)
        for stream, *counts in re.findall(
            r"Summary: (\w+): (\d+) created, (\d+) updated, (\d+) deleted, (\d+) rejected",
            written.stderr,
        )
    }
    for stream in ("crm_leads", "crm_accounts", "crm_service_visits", "desk_tickets", "desk_calls"):
        records = read.records(stream)
        deleted = sum(1 for record in records if record.get("_sdc_deleted_at"))
        # Written back into the org they came from: updates, and deletes of tombstones.
        assert tallies[stream] == (0, len(records) - deleted, deleted, 0), stream
    for stream in READ_ONLY_STREAMS:
        count = len(read.records(stream))
        assert re.search(f"Stream {stream}: {count} records? not written", written.stderr), stream
    assert re.search(
        r"Summary: run total: 0 created, \d+ updated, \d+ deleted, 0 rejected, ", written.stderr
    )
