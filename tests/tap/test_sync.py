"""tap-zoho as a real process against the emulator: discovery, full and incremental syncs."""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import run_tap, selecting, tap_config, write_json

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 5200


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with running_emulator("--records", str(RECORDS), "--concurrency", "0") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def catalog(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    server.reset()
    run = run_tap(tmp_path_factory.mktemp("discover"), tap_config(server), discover=True)
    assert run.returncode == 0, run.stderr
    stats = server.stats()
    modules = list(server.crm("GET", "settings/modules").json()["modules"])
    supported = sum(1 for module in modules if module["api_supported"])
    # Discovery reads the module list once and each readable module's fields once.
    assert stats["by_endpoint"]["GET /crm/{version}/settings/modules"] == 1
    assert stats["by_endpoint"]["GET /crm/{version}/settings/fields"] == supported
    discovered: dict[str, Any] = run.messages[0]
    return discovered


@pytest.fixture
def emulator(server: Emulator) -> Emulator:
    """The module's emulator, reset; its raw client takes a fresh token (tap runs each take
    one of their own, and Zoho keeps only fifteen alive)."""
    server.reset()
    server.forget_token()
    return server


def entry(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    return found


def raw_all(emulator: Emulator, module: str, fields: str) -> list[dict[str, Any]]:
    """Every live record by raw Get Records (converted and unapproved included)."""
    query = {"fields": fields, "converted": "both", "approved": "both"}
    records: list[dict[str, Any]] = []
    while True:
        response = emulator.crm("GET", module, params=query)
        if response.status_code == 204:
            return records
        body = response.json()
        records += body["data"]
        if not body["info"]["more_records"]:
            return records
        query = {**query, "page_token": body["info"]["next_page_token"]}


def utc(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).isoformat()


# -- discovery -----------------------------------------------------------------------------


def test_discovery_names_streams_and_types(catalog: dict[str, Any]) -> None:
    names = {e["tap_stream_id"] for e in catalog["streams"]}
    assert {"crm_leads", "crm_service_visits", "crm_price_tiers", "crm_users", "crm_org"} <= names
    assert "crm_reports" not in names  # the API does not serve it
    visits = entry(catalog, "crm_service_visits")
    props = visits["schema"]["properties"]
    assert len(props) > 150
    assert props["Serial_Number"]["type"] == ["string", "null"]  # bigint as a string
    assert props["Unit_Price"]["type"] == ["number", "null"]
    assert props["Discount"]["type"] == ["number", "null"]
    assert props["Quantity"]["type"] == ["integer", "null"]
    assert props["Visit_Date"]["format"] == "date"
    assert props["Visit_Start"]["format"] == "date-time"
    assert props["Account"]["type"] == ["object", "null"]
    assert props["Services"]["items"]["type"] == ["string", "null"]
    assert props["Visit_Items"]["items"]["type"] == ["object", "null"]
    assert props["Total_Amount"]["type"] == ["number", "null"]  # a formula returning double
    assert visits["key_properties"] == ["id"]
    assert visits["replication_key"] == "Modified_Time"
    by_field = {tuple(m["breadcrumb"]): m["metadata"] for m in visits["metadata"]}
    assert by_field[("properties", "Visit_Items")]["selected-by-default"] is False
    assert by_field[()]["schema-name"] == "Service_Visits"
    orders = entry(catalog, "crm_sales_orders")
    assert orders["schema"]["properties"]["Ordered_Items"]["items"]["type"] == ["object", "null"]
    by_field = {tuple(m["breadcrumb"]): m["metadata"] for m in orders["metadata"]}
    assert by_field[("properties", "Ordered_Items")]["selected-by-default"] is False
    tiers = entry(catalog, "crm_price_tiers")
    assert tiers["replication_method"] == "FULL_TABLE"
    assert tiers.get("replication_key") is None


def test_include_list_and_unknown_modules(emulator: Emulator, tmp_path: Path) -> None:
    config = tap_config(emulator, crm_modules=["leads", "PRICE_TIERS"])
    run = run_tap(tmp_path, config, discover=True)
    assert run.returncode == 0, run.stderr
    names = {e["tap_stream_id"] for e in run.messages[0]["streams"]}
    assert names == {"crm_leads", "crm_price_tiers", "crm_users", "crm_org"}
    wrong = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads", "Spaceships"]))
    assert wrong.returncode != 0
    assert "spaceships" in wrong.stderr
    assert "the org has:" in wrong.stderr


def test_a_catalog_spares_metadata_calls(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(emulator), catalog=selecting(catalog, "crm_price_tiers"))
    assert run.returncode == 0, run.stderr
    assert len(run.records("crm_price_tiers")) == 12
    endpoints = emulator.stats()["by_endpoint"]
    assert not [name for name in endpoints if "settings" in name]


def test_secrets_stay_out_of_the_output(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config = tap_config(emulator)
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_org", "crm_price_tiers"))
    text = run.stderr + json.dumps(run.messages)
    for secret in (config["client_secret"], config["refresh_token"], emulator.token()):
        assert secret not in text


def test_runs_in_a_row_share_one_access_token(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    """Zoho refreshes ten tokens per ten minutes: a Meltano run is two processes."""
    cache = tmp_path / "cache" / "zoho-singer"  # XDG_CACHE_HOME is the test's own
    chosen = selecting(catalog, "crm_price_tiers")
    before = emulator.stats()["token_refreshes"]
    for _ in range(3):
        assert run_tap(tmp_path, tap_config(emulator), catalog=chosen).returncode == 0
    assert emulator.stats()["token_refreshes"] == before + 1
    (kept,) = cache.glob("*.json")
    assert kept.stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o777 == 0o700
    text = kept.read_text()
    assert emulator.client_secret not in text
    assert emulator.refresh_token not in text
    assert emulator.client_id not in kept.name

    emulator.expire_tokens()  # the cached token is refused: refreshed once, cached again
    assert run_tap(tmp_path, tap_config(emulator), catalog=chosen).returncode == 0
    assert emulator.stats()["token_refreshes"] == before + 2

    off = tap_config(emulator, token_cache=False)
    for _ in range(2):
        assert run_tap(tmp_path, off, catalog=chosen).returncode == 0
    assert emulator.stats()["token_refreshes"] == before + 4


# -- full and incremental syncs ------------------------------------------------------------


def test_full_sync_of_5000_records_with_ties_within_budget(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(emulator), catalog=selecting(catalog, "crm_leads"))
    assert run.returncode == 0, run.stderr
    stats = emulator.stats()["by_endpoint"]
    records = run.records("crm_leads")
    live = [r for r in records if r.get("_sdc_deleted_at") is None]
    deleted = [r for r in records if r.get("_sdc_deleted_at") is not None]
    raw = raw_all(emulator, "Leads", "Last_Name")
    assert len(live) == len({r["id"] for r in live}) == len(raw) > 5000
    assert {r["id"] for r in live} == {r["id"] for r in raw}
    assert any(r["Converted__s"] for r in live)  # converted Leads are read too
    times = [r["Modified_Time"] for r in records]
    assert times == sorted(times)  # UTC text sorts as time does
    assert all(t.endswith("+00:00") for t in times)
    ties = collections.Counter(r["Modified_Time"] for r in live)
    assert sum(1 for count in ties.values() if count > 1) > 50
    seeded_deletions = emulator.crm("GET", "Leads/deleted").json()["data"]
    assert {r["id"] for r in deleted} == {e["id"] for e in seeded_deletions}
    # A count (under bulk_threshold: COQL), then 2,000 records a call (pages overlap by one)
    # in two chunks of 50 columns (48 fields and 3 lookups' names), plus the deletes.
    pages = 1 + math.ceil((len(records) - len(deleted) - 2000) / 1999)
    assert stats["POST /crm/{version}/coql"] == 2 * pages
    assert stats["GET /crm/{version}/{module}/actions/count"] == 1
    assert stats["GET /crm/{version}/{module}/deleted"] == 1
    assert "GET /crm/{version}/{module}" not in stats


def test_incremental_sync_reads_only_what_changed(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    selected = selecting(catalog, "crm_accounts")
    first = run_tap(tmp_path, tap_config(emulator), catalog=selected)
    assert first.returncode == 0, first.stderr
    bookmark = first.final_state["bookmarks"]["crm_accounts"]["replication_key_value"]
    accounts = [r for r in first.records("crm_accounts") if not r.get("_sdc_deleted_at")]
    updated = [r["id"] for r in accounts[:3]]
    removed = [r["id"] for r in accounts[3:5]]
    response = emulator.crm(
        "PUT", "Accounts", json={"data": [{"id": i, "Description": "touched"} for i in updated]}
    )
    assert response.status_code == 200
    assert emulator.crm("DELETE", "Accounts", params={"ids": ",".join(removed)}).ok
    created = emulator.crm("POST", "Accounts", json={"data": [{"Account_Name": "Nouvelle"}]})
    new_id = created.json()["data"][0]["details"]["id"]
    time.sleep(2)  # a run reads what was modified until a second before it starts
    second = run_tap(tmp_path, tap_config(emulator), catalog=selected, state=first.final_state)
    assert second.returncode == 0, second.stderr
    records = second.records("crm_accounts")
    # The bookmark's own second is read again (ties there are never lost); all else is new.
    changed = [r for r in records if r["Modified_Time"] > bookmark]
    assert {r["id"] for r in changed if not r.get("_sdc_deleted_at")} == {*updated, new_id}
    assert all(r["Description"] == "touched" for r in changed if r["id"] in updated)
    gone = [r for r in changed if r.get("_sdc_deleted_at")]
    assert {r["id"] for r in gone} == set(removed)
    assert all(set(r) == {"id", "Modified_Time", "_sdc_deleted_at"} for r in gone)
    assert all(r["_sdc_deleted_at"].endswith("+00:00") for r in gone)  # in UTC, as the rest
    assert len(records) - len(changed) < 20  # just the ties at the bookmark
    later = second.final_state["bookmarks"]["crm_accounts"]["replication_key_value"]
    assert later > bookmark


def test_deletes_can_be_turned_off(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config = tap_config(emulator, include_deletes=False)
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_deals"))
    assert run.returncode == 0, run.stderr
    assert not [r for r in run.records("crm_deals") if r.get("_sdc_deleted_at")]
    assert "GET /crm/{version}/{module}/deleted" not in emulator.stats()["by_endpoint"]


def test_start_date_is_honoured(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    everything = raw_all(emulator, "Contacts", "Modified_Time")
    times = sorted(utc(r["Modified_Time"]) for r in everything)
    start = times[len(times) * 3 // 4]
    config = tap_config(emulator, start_date=start, include_deletes=False)
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_contacts"))
    assert run.returncode == 0, run.stderr
    expected = {r["id"] for r in everything if utc(r["Modified_Time"]) >= start}
    got = {r["id"] for r in run.records("crm_contacts")}
    assert expected <= got
    assert all(r["Modified_Time"] >= start[:19] for r in run.records("crm_contacts"))


def test_every_field_of_a_wide_module_arrives(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    selected = selecting(catalog, "crm_service_visits")
    run = run_tap(tmp_path, tap_config(emulator, include_deletes=False), catalog=selected)
    assert run.returncode == 0, run.stderr
    calls = emulator.stats()["by_endpoint"]["POST /crm/{version}/coql"]
    records = run.records("crm_service_visits")
    schema = entry(catalog, "crm_service_visits")["schema"]["properties"]
    listed = set(schema) - {"Visit_Items", "Related_Accounts", "_sdc_deleted_at"}
    assert len(listed) > 150
    assert all(set(record) == listed for record in records)
    assert len(records) == len(raw_all(emulator, "Service_Visits", "Name"))
    for record in records[:: len(records) // 5]:
        raw = emulator.crm("GET", f"Service_Visits/{record['id']}").json()["data"][0]
        for name, value in record.items():
            expected = raw[name]
            if schema[name].get("format") == "date-time" and expected:
                expected = utc(expected)
            assert value == expected, name
    # four chunks of 50 columns (157 fields and two lookups' names) per 2,000 records
    assert calls == (1 + math.ceil((len(records) - 2000) / 1999)) * 4


@pytest.mark.parametrize(
    ("module", "subform"), [("Service_Visits", "Visit_Items"), ("Sales_Orders", "Ordered_Items")]
)
def test_subforms_come_when_selected(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path, module: str, subform: str
) -> None:
    stream = f"crm_{module.lower()}"
    selected = selecting(catalog, stream, **{stream: [subform]})
    config = tap_config(emulator, include_deletes=False, crm_modules=[module], n_concurrent=3)
    emulator.configure(concurrency=0, latency_ms=5)
    run = run_tap(tmp_path, config, catalog=selected)
    assert run.returncode == 0, run.stderr
    records = run.records(stream)
    with_items = [r for r in records if r[subform]]
    assert with_items
    assert all(item["Parent_Id"]["id"] == r["id"] for r in with_items for item in r[subform])
    stats = emulator.stats()
    singles = stats["by_endpoint"]["GET /crm/{version}/{module}/{record_id}"]
    assert singles == len(records)  # one call a record: why they are not selected by default
    assert stats["max_in_flight"] == min(3, len(records))  # n_concurrent of them at a time
    pages = stats["by_endpoint"]["POST /crm/{version}/coql"]
    summary = re.search(
        rf"Summary: {stream}: [\d,]+ records read by coql, ([\d,]+) API", run.stderr
    )
    assert summary, run.stderr
    # The threads' calls count for the stream (its metadata calls too).
    assert pages + singles <= int(summary[1].replace(",", "")) <= stats["requests"]


def test_module_without_modified_time_is_full_table(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(emulator), catalog=selecting(catalog, "crm_price_tiers"))
    assert run.returncode == 0, run.stderr
    assert len(run.records("crm_price_tiers")) == 12
    assert "replication_key_value" not in json.dumps(run.final_state["bookmarks"])


def test_forbidden_and_empty_modules_do_not_fail_the_run(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    selected = selecting(catalog, "crm_quotes", "crm_vendors", "crm_org")
    run = run_tap(tmp_path, tap_config(emulator), catalog=selected)
    assert run.returncode == 0, run.stderr
    assert run.records("crm_quotes") == []
    assert run.records("crm_vendors") == []
    assert len(run.records("crm_org")) == 1
    assert "crm_quotes skipped" in run.stderr
    assert "NO_PERMISSION" in run.stderr


def test_users_and_org(emulator: Emulator, catalog: dict[str, Any], tmp_path: Path) -> None:
    run = run_tap(
        tmp_path, tap_config(emulator), catalog=selecting(catalog, "crm_users", "crm_org")
    )
    users = run.records("crm_users")
    served = emulator.crm("GET", "users").json()["users"]
    assert [user["id"] for user in users] == [user["id"] for user in served]
    assert [set(user) for user in users] == [set(user) for user in served]  # no key dropped
    assert all(user["id"] and user["email"] for user in users)
    org = run.records("crm_org")[0]
    assert set(org) == set(emulator.crm("GET", "org").json()["org"][0])
    assert org["time_zone"] == "America/Los_Angeles"
    assert org["license_details"]["paid"] is True
    assert "not found in catalog schema" not in run.stderr


def test_an_interrupted_sync_resumes_from_its_last_state(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config_path = write_json(tmp_path / "config.json", tap_config(emulator, include_deletes=False))
    catalog_path = write_json(tmp_path / "catalog.json", selecting(catalog, "crm_leads"))
    command = [sys.executable, "-m", "tap_zoho", "--config", str(config_path)]
    process = subprocess.Popen(
        [*command, "--catalog", str(catalog_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first_ids: set[str] = set()
    state: dict[str, Any] | None = None
    for line in process.stdout:
        message = json.loads(line)
        if message["type"] == "RECORD":
            first_ids.add(message["record"]["id"])
        elif message["type"] == "STATE" and message["value"]["bookmarks"].get("crm_leads"):
            state = message["value"]
            if len(first_ids) >= 2000:
                break
    process.kill()
    process.wait()
    process.stdout.close()
    assert state is not None
    resumed = run_tap(
        tmp_path,
        tap_config(emulator, include_deletes=False),
        catalog=selecting(catalog, "crm_leads"),
        state=state,
    )
    assert resumed.returncode == 0, resumed.stderr
    second_ids = {r["id"] for r in resumed.records("crm_leads")}
    everything = {r["id"] for r in raw_all(emulator, "Leads", "Last_Name")}
    assert first_ids | second_ids == everything
    assert len(second_ids) < len(everything)  # it resumed, it did not start over


def test_about_documents_every_setting() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tap_zoho", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    )
    for setting in (
        "client_id",
        "client_secret",
        "refresh_token",
        "data_center",
        "accounts_url",
        "crm_url",
        "desk_url",
        "api_version",
        "start_date",
        "crm_modules",
        "page_size",
        "include_deletes",
    ):
        assert f"| {setting} |" in done.stdout, setting


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    """Discovery runs without the SDK's config validation: the tap names what is missing."""
    run = run_tap(tmp_path, {"data_center": "eu"}, discover=True)
    assert run.returncode != 0
    assert "missing settings: client_id, client_secret, refresh_token" in run.stderr
    assert "KeyError" not in run.stderr


def test_a_start_date_that_is_no_datetime_is_named(tmp_path: Path) -> None:
    config = {"client_id": "a", "client_secret": "b", "refresh_token": "c"}
    run = run_tap(tmp_path, {**config, "start_date": "yesterday"})
    assert run.returncode != 0
    assert "start_date 'yesterday' is no ISO 8601 datetime" in run.stderr
    assert "Traceback" not in run.stderr
