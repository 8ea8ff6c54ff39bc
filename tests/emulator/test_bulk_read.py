"""Bulk Read as the emulator serves it: jobs, their CSV, limits, errors.

As https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html and the pages it
links describe them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.conftest import SHARED_RECORDS
from tests.emulator.test_crm_read import fields_of, read_all
from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The Bulk Read settings at their defaults, restored after every test.
DEFAULTS: dict[str, float] = {
    "bulk_job_seconds": 1.0,
    "bulk_failure_rate": 0.0,
    "bulk_page_rows": 200_000,
}
DETAIL_ONLY = ("subform", "multiselectlookup")


@pytest.fixture
def bulk(emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator, reset, with quick jobs."""
    emulator.configure(bulk_job_seconds=0.05)
    yield emulator
    emulator.configure(**DEFAULTS)


def call(
    emulator: Emulator, method: str, path: str = "", version: str = "v8", **kwargs: Any
) -> requests.Response:
    """A Bulk Read call, ``path`` relative to ``/crm/bulk/{version}/read``."""
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}", **kwargs.pop("headers", {})}
    url = f"{emulator.url}/crm/bulk/{version}/read{path}"
    return requests.request(method, url, headers=headers, timeout=120, **kwargs)


def create(emulator: Emulator, query: dict[str, Any], version: str = "v8") -> str:
    response = call(emulator, "POST", version=version, json={"query": query})
    assert response.status_code == 201, response.text
    job_id: str = response.json()["data"][0]["details"]["id"]
    return job_id


def wait(emulator: Emulator, job_id: str, version: str = "v8") -> dict[str, Any]:
    """The job's details once it is COMPLETED or FAILURE."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = call(emulator, "GET", f"/{job_id}", version=version)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["data"][0]
        if job["state"] in ("COMPLETED", "FAILURE"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never finished")


def download(emulator: Emulator, job_id: str) -> list[list[str]]:
    """The rows of a completed job's CSV, header first."""
    response = call(emulator, "GET", f"/{job_id}/result")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [f"{job_id}.csv"]
        text = archive.read(f"{job_id}.csv").decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def export(
    emulator: Emulator, query: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A job's details and its rows by column, once it completed."""
    job_id = create(emulator, query)
    job = wait(emulator, job_id)
    assert job["state"] == "COMPLETED", job
    header, *rows = download(emulator, job_id)
    assert header[0] == "Id"
    return job, [dict(zip(header, row, strict=True)) for row in rows]


def cell(value: Any, data_type: str = "text") -> str:
    """A Get Records value as the CSV should write it, by its field's type (README's list)."""
    if value is None:
        return ""
    if data_type in ("lookup", "ownerlookup", "userlookup", "layout"):
        return str(value["id"])
    if data_type == "boolean":
        return {True: "true", False: "false"}[value]
    if data_type == "multiselectpicklist":
        return ";".join(value)
    if data_type == "text" and isinstance(value, list):  # Tag: the names
        return ",".join(tag["name"] for tag in value)
    return str(value)


def everything(emulator: Emulator, module: str, fields: list[str]) -> dict[str, dict[str, Any]]:
    """Every record of a module Get Records returns, converted and unapproved ones too."""
    records: dict[str, dict[str, Any]] = {}
    for start in range(0, len(fields), 50):
        chunk = ",".join(fields[start : start + 50])
        rows, _ = read_all(emulator, module, chunk, converted="both", approved="both")
        for row in rows:
            records.setdefault(row["id"], {}).update(row)
    return records


# -- the round trip ------------------------------------------------------------------------


def test_create_poll_download(bulk: Emulator) -> None:
    bulk.configure(bulk_job_seconds=0.5)
    started = time.monotonic()
    response = call(
        bulk,
        "POST",
        json={
            "callback": {"url": "https://example.test/hook", "method": "post"},
            "query": {"module": {"api_name": "Leads"}, "fields": ["Last_Name", "Email", "id"]},
            "file_type": "csv",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["info"] == {}
    [added] = body["data"]
    assert (added["status"], added["code"], added["message"]) == (
        "success",
        "ADDED_SUCCESSFULLY",
        "Added successfully.",
    )
    details = added["details"]
    assert details["operation"] == "read"
    assert details["state"] == "ADDED"
    assert len(details["id"]) == 19
    assert details["id"].isdigit()
    me = bulk.crm("GET", "users", params={"type": "CurrentUser"}).json()["users"][0]
    assert details["created_by"] == {"id": me["id"], "name": me["full_name"]}
    assert dt.datetime.fromisoformat(details["created_time"]).utcoffset() is not None
    job_id = details["id"]
    states = []
    while True:
        job = call(bulk, "GET", f"/{job_id}").json()["data"][0]
        states.append(job["state"])
        if job["state"] == "COMPLETED":
            break
        time.sleep(0.02)
    assert time.monotonic() - started >= 0.5
    assert states[0] in ("QUEUED", "IN PROGRESS")
    assert set(states) <= {"QUEUED", "IN PROGRESS", "COMPLETED"}
    assert job["operation"] == "read"
    assert job["file_type"] == "csv"
    assert job["created_by"] == details["created_by"]
    assert job["query"]["module"]["api_name"] == "Leads"
    assert job["query"]["module"]["id"].isdigit()
    assert job["query"]["page"] == 1
    assert job["query"]["fields"] == ["Last_Name", "Email", "id"]
    result = job["result"]
    assert result["page"] == 1
    assert result["per_page"] == 200_000
    assert result["download_url"] == f"/crm/bulk/v8/read/{job_id}/result"
    assert result["more_records"] is False
    assert result["next_page_token"] is None
    header, *rows = download(bulk, job_id)
    assert header == ["Id", "Last_Name", "Email"]  # a requested id is the Id column
    assert len(rows) == result["count"]
    leads = everything(bulk, "Leads", ["Last_Name", "Email"])
    assert {row[0] for row in rows} == set(leads)  # converted and unapproved Leads too
    ids = [int(row[0]) for row in rows]
    assert ids != sorted(ids)
    assert ids != sorted(ids, reverse=True)
    for record_id, last_name, email in rows:
        assert (last_name, email) == (
            cell(leads[record_id]["Last_Name"]),
            cell(leads[record_id]["Email"]),
        )


def test_rows_equal_get_records_for_every_field_type(bulk: Emulator) -> None:
    metadata = [field for field in fields_of(bulk, "Service_Visits") if field["api_name"] != "id"]
    listed = [field["api_name"] for field in metadata if field["data_type"] not in DETAIL_ONLY]
    job, rows = export(bulk, {"module": {"api_name": "Service_Visits"}})
    assert list(rows[0]) == ["Id", *listed]  # no fields: every field a list call returns
    assert job["result"]["count"] == len(rows)
    records = everything(bulk, "Service_Visits", listed)
    assert {row["Id"] for row in rows} == set(records)
    seen: set[str] = set()
    for row in rows:
        record = records[row["Id"]]
        for field in metadata:
            name = field["api_name"]
            if field["data_type"] in DETAIL_ONLY:
                continue
            assert row[name] == cell(record[name], field["data_type"]), (row["Id"], name)
            if row[name]:
                seen.add(field["data_type"])
    every_type = {field["data_type"] for field in metadata} - set(DETAIL_ONLY)
    assert seen == every_type
    assert any("\n" in row["Summary"] and "," in row["Summary"] for row in rows)


def test_dotted_fields_read_the_lookup_target(bulk: Emulator) -> None:
    fields = ["Account_Name.Account_Name", "Owner.email", "Owner.full_name", "Account_Name"]
    _, rows = export(bulk, {"module": {"api_name": "Contacts"}, "fields": fields})
    assert list(rows[0]) == ["Id", *fields]
    contacts = everything(bulk, "Contacts", ["Account_Name", "Owner"])
    users = {user["id"]: user for user in bulk.crm("GET", "users").json()["users"]}
    assert any(row["Account_Name"] for row in rows)
    for row in rows:
        contact = contacts[row["Id"]]
        account = contact["Account_Name"]
        assert row["Account_Name"] == (account["id"] if account else "")
        assert row["Account_Name.Account_Name"] == (account["name"] if account else "")
        owner = users[contact["Owner"]["id"]]
        assert (row["Owner.email"], row["Owner.full_name"]) == (owner["email"], owner["full_name"])


def test_version_7_and_its_download_url(bulk: Emulator) -> None:
    job_id = create(bulk, {"module": {"api_name": "Accounts"}, "fields": ["Account_Name"]}, "v7")
    job = wait(bulk, job_id, "v7")
    assert job["result"]["download_url"] == f"/crm/bulk/v7/read/{job_id}/result"


# -- criteria ------------------------------------------------------------------------------


def test_criteria_on_time_ranges_and_a_picklist(bulk: Emulator) -> None:
    leads = everything(bulk, "Leads", ["Created_Time", "Modified_Time", "Lead_Source"])
    created = sorted(dt.datetime.fromisoformat(lead["Created_Time"]) for lead in leads.values())
    low, high = created[len(created) // 4], created[len(created) // 2]
    modified = sorted(dt.datetime.fromisoformat(lead["Modified_Time"]) for lead in leads.values())
    recent = modified[len(modified) * 3 // 4]
    criteria = {
        "group_operator": "or",
        "group": [
            {
                "group_operator": "and",
                "group": [
                    {
                        "field": {"api_name": "Created_Time"},
                        "comparator": "between",
                        "value": [low.isoformat(), high.isoformat()],
                    },
                    {
                        "field": {"api_name": "Lead_Source"},
                        "comparator": "in",
                        "value": ["Web Download", "cold call"],  # text compares case-insensitively
                    },
                ],
            },
            {
                "field": {"api_name": "Modified_Time"},
                "comparator": "greater_than",
                "value": recent.astimezone(dt.UTC).isoformat(),  # any offset is the same instant
            },
        ],
    }
    fields = ["Created_Time", "Modified_Time", "Lead_Source"]
    job, rows = export(
        bulk, {"module": {"api_name": "Leads"}, "fields": fields, "criteria": criteria}
    )
    assert job["query"]["criteria"] == criteria

    def matches(lead: dict[str, Any]) -> bool:
        born = dt.datetime.fromisoformat(lead["Created_Time"])
        touched = dt.datetime.fromisoformat(lead["Modified_Time"])
        source = lead["Lead_Source"] in ("Web Download", "Cold Call")
        return (low <= born <= high and source) or touched > recent

    expected = {record_id for record_id, lead in leads.items() if matches(lead)}
    assert expected
    assert {row["Id"] for row in rows} == expected
    assert job["result"]["count"] == len(expected)


def test_negative_and_empty_criteria(bulk: Emulator) -> None:
    deals = everything(bulk, "Deals", ["Stage", "Lead_Source", "Amount"])
    query = {
        "module": {"api_name": "Deals"},
        "fields": ["Stage"],
        "criteria": {
            "group_operator": "and",
            "group": [
                {"field": {"api_name": "Stage"}, "comparator": "not_equal", "value": "Closed Won"},
                {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "${EMPTY}"},
                {"field": {"api_name": "Amount"}, "comparator": "greater_equal", "value": 50_000},
            ],
        },
    }
    _, rows = export(bulk, query)
    expected = {
        record_id
        for record_id, deal in deals.items()
        if deal["Stage"] != "Closed Won"
        and deal["Lead_Source"] is None
        and deal["Amount"] is not None
        and deal["Amount"] >= 50_000
    }
    assert expected
    assert {row["Id"] for row in rows} == expected


# -- pages ---------------------------------------------------------------------------------


def test_pages_and_page_tokens(bulk: Emulator) -> None:
    bulk.configure(bulk_page_rows=1000)
    query = {"module": {"api_name": "Accounts"}, "fields": ["Account_Name"]}
    first, first_rows = export(bulk, query)
    assert first["result"]["count"] == 1000
    assert first["result"]["per_page"] == 1000
    assert first["result"]["more_records"] is True
    token = first["result"]["next_page_token"]
    assert token
    second, second_rows = export(bulk, {**query, "page_token": token})
    assert second["query"]["page"] == 2
    assert second["result"]["count"] == 1000
    third, third_rows = export(bulk, {**query, "page": 3})
    assert third["result"]["more_records"] is False
    assert third["result"]["next_page_token"] is None
    ids = [row["Id"] for row in first_rows + second_rows + third_rows]
    assert len(ids) == len(set(ids))
    accounts, _ = read_all(bulk, "Accounts", "Account_Name")
    assert set(ids) == {account["id"] for account in accounts}
    assert SHARED_RECORDS * 0.98 < len(ids) <= SHARED_RECORDS

    other = call(bulk, "POST", json={"query": {**query, "fields": ["Phone"], "page_token": token}})
    assert other.status_code == 400
    assert other.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    both = call(bulk, "POST", json={"query": {**query, "page": 2, "page_token": token}})
    assert both.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    bogus = call(bulk, "POST", json={"query": {**query, "page_token": "nope"}})
    assert bogus.json()["details"] == {"param_name": "page_token"}


# -- refusals ------------------------------------------------------------------------------

LEADS = {"api_name": "Leads"}


def condition(api_name: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": api_name}, "comparator": comparator, "value": value}


@pytest.mark.parametrize(
    ("body", "status", "code", "details"),
    [
        ({}, 400, "REQUIRED_PARAM_MISSING", {"param_name": "query"}),
        (
            {"query": {"fields": ["Last_Name"]}},
            400,
            "REQUIRED_PARAM_MISSING",
            {"param_name": "module"},
        ),
        (
            {"query": {"module": {"api_name": "Spaceships"}}},
            400,
            "INVALID_MODULE",
            {"api_name": "Spaceships"},
        ),
        (
            {"query": {"module": {"api_name": "Reports"}}},
            400,
            "INVALID_MODULE",
            {"api_name": "Reports"},
        ),
        ({"query": {"module": {"api_name": "Notes"}}}, 400, "NOT_SUPPORTED", {"api_name": "Notes"}),
        (
            {"query": {"module": {"api_name": "Quotes"}}},
            403,
            "NO_PERMISSION",
            {"permissions": ["Crm_Implied_View_Quotes"]},
        ),
        ({"query": {"module": LEADS, "cvid": "1"}}, 400, "INVALID_DATA", {"param_name": "cvid"}),
        (
            {"query": {"module": LEADS}, "file_type": "ics"},
            400,
            "INVALID_DATA",
            {"param_name": "file_type"},
        ),
        (
            {"query": {"module": LEADS, "fields": ["Nope"]}},
            400,
            "INVALID_DATA",
            {"api_name": "Nope"},
        ),
        (
            {"query": {"module": LEADS, "fields": ["Owner.nope"]}},
            400,
            "INVALID_DATA",
            {"api_name": "Owner.nope"},
        ),
        (
            {"query": {"module": LEADS, "fields": ["Last_Name.x"]}},
            400,
            "INVALID_DATA",
            {"api_name": "Last_Name.x"},
        ),
        (
            {"query": {"module": {"api_name": "Service_Visits"}, "fields": ["Visit_Items"]}},
            400,
            "INVALID_DATA",
            {"api_name": "Visit_Items"},
        ),
        (
            {"query": {"module": {"api_name": "Service_Visits"}, "fields": ["Related_Accounts"]}},
            400,
            "INVALID_DATA",
            {"api_name": "Related_Accounts"},
        ),
        ({"query": {"module": LEADS, "page": 0}}, 400, "INVALID_DATA", {"param_name": "page"}),
        ({"query": {"module": LEADS, "page": "2"}}, 400, "INVALID_DATA", {"param_name": "page"}),
        (
            {"query": {"module": LEADS, "criteria": condition("Nope", "equal", "x")}},
            400,
            "INVALID_QUERY",
            {"api_name": "Nope"},
        ),
        (
            {"query": {"module": LEADS, "criteria": condition("Lead_Score", "contains", "1")}},
            400,
            "INVALID_QUERY",
            {"api_name": "Lead_Score", "comparator": "contains"},
        ),
        (
            {"query": {"module": LEADS, "criteria": condition("Email_Opt_Out", "not_equal", True)}},
            400,
            "INVALID_QUERY",
            {"api_name": "Email_Opt_Out", "comparator": "not_equal"},
        ),
        (
            {"query": {"module": LEADS, "criteria": condition("Lead_Score", "equal", "many")}},
            400,
            "INVALID_QUERY",
            {"api_name": "Lead_Score", "comparator": "equal"},
        ),
        (
            {
                "query": {
                    "module": LEADS,
                    "criteria": condition("Created_Time", "greater_than", "2024-05-10T01:10:47"),
                }
            },
            400,
            "INVALID_QUERY",
            {"api_name": "Created_Time", "comparator": "greater_than"},
        ),
        (
            {
                "query": {
                    "module": LEADS,
                    "criteria": condition(
                        "Created_Time", "less_than", "2024-05-10T01:10:47.120-07:00"
                    ),
                }
            },
            400,
            "INVALID_QUERY",
            {"api_name": "Created_Time", "comparator": "less_than"},
        ),
        (
            {
                "query": {
                    "module": LEADS,
                    "criteria": condition("Created_Time", "between", ["2024-05-10T01:10:47-07:00"]),
                }
            },
            400,
            "INVALID_QUERY",
            {"api_name": "Created_Time", "comparator": "between"},
        ),
        (
            {"query": {"module": LEADS, "criteria": condition("Description", "contains", "x")}},
            400,
            "INVALID_QUERY",
            {"api_name": "Description"},
        ),
        (
            {"query": {"module": LEADS, "criteria": {"group_operator": "xor", "group": []}}},
            400,
            "INVALID_QUERY",
            {"group_operator": "xor"},
        ),
    ],
)
def test_create_refusals(
    emulator: Emulator, body: dict[str, Any], status: int, code: str, details: dict[str, Any]
) -> None:
    response = call(emulator, "POST", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["status"] == "error"
    assert details.items() <= response.json()["details"].items()
    assert emulator.stats()["credits"] == 0
    assert emulator.stats()["bulk_read"]["jobs_created"] == 0


def test_content_type_field_and_criteria_limits(emulator: Emulator) -> None:
    plain = call(
        emulator,
        "POST",
        data='{"query": {"module": {"api_name": "Leads"}}}',
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 415
    assert plain.json()["code"] == "MEDIA_TYPE_NOT_SUPPORTED"
    visits = [field["api_name"] for field in fields_of(emulator, "Service_Visits")]
    names = [name for name in visits if name not in ("id", "Visit_Items", "Related_Accounts")]
    for lookup, module in (("Account", "Accounts"), ("Contact", "Contacts")):
        names += [f"{lookup}.{field['api_name']}" for field in fields_of(emulator, module)]
    assert len(names) > 200
    for fields, status in ((names[:200], 201), (names[:201], 400)):
        query = {"module": {"api_name": "Service_Visits"}, "fields": fields}
        response = call(emulator, "POST", json={"query": query})
        assert response.status_code == status, response.text
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    conditions = [condition("Lead_Score", "greater_than", n) for n in range(26)]
    criteria = {"group_operator": "and", "group": conditions}
    response = call(emulator, "POST", json={"query": {"module": LEADS, "criteria": criteria}})
    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    criteria["group"] = conditions[:25]
    assert (
        call(emulator, "POST", json={"query": {"module": LEADS, "criteria": criteria}}).status_code
        == 201
    )


def test_bulk_scope_is_needed() -> None:
    scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL"
    with running_emulator("--records", "10", "--scopes", scopes) as server:
        response = call(server, "POST", json={"query": {"module": LEADS}})
        assert response.status_code == 401
        assert response.json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_unknown_unfinished_and_reset_jobs(bulk: Emulator) -> None:
    missing = call(bulk, "GET", "/4876876095999999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "RESOURCE_NOT_FOUND"
    assert call(bulk, "GET", "/4876876095999999999/result").status_code == 404
    bulk.configure(bulk_job_seconds=30)
    job_id = create(bulk, {"module": LEADS, "fields": ["Last_Name"]})
    early = call(bulk, "GET", f"/{job_id}/result")
    assert early.status_code == 400
    assert early.json()["code"] == "INVALID_REQUEST"
    assert "result" not in call(bulk, "GET", f"/{job_id}").json()["data"][0]
    bulk.reset()
    assert call(bulk, "GET", f"/{job_id}").status_code == 404
    assert bulk.stats()["bulk_read"]["jobs_created"] == 0


# -- limits, faults and stats --------------------------------------------------------------


def test_ten_downloads_a_minute(bulk: Emulator) -> None:
    job_id = create(bulk, {"module": {"api_name": "Vendors"}, "fields": ["Vendor_Name"]})
    assert wait(bulk, job_id)["result"]["count"] == 0
    assert download(bulk, job_id) == [["Id", "Vendor_Name"]]
    for _ in range(9):
        assert call(bulk, "GET", f"/{job_id}/result").status_code == 200
    refused = call(bulk, "GET", f"/{job_id}/result")
    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert refused.json()["status"] == "error"
    assert bulk.stats()["bulk_read"]["downloads"] == 10


def test_failures_at_the_configured_rate(bulk: Emulator) -> None:
    bulk.configure(bulk_failure_rate=1)
    job_id = create(bulk, {"module": LEADS, "fields": ["Last_Name"]})
    job = wait(bulk, job_id)
    assert job["state"] == "FAILURE"
    assert job["result"] == {
        "error_message": {
            "status": "error",
            "code": "INTERNAL_SERVER_ERROR",
            "message": "Internal server error occurred.",
            "details": {},
        }
    }
    failed = call(bulk, "GET", f"/{job_id}/result")
    assert failed.status_code == 400
    assert failed.json()["code"] == "INVALID_REQUEST"
    assert bulk.stats()["bulk_read"]["jobs_failed"] == 1


def test_credits_and_stats(bulk: Emulator) -> None:
    job_id = create(bulk, {"module": LEADS, "fields": ["Last_Name"]})
    assert bulk.stats()["credits"] == 50
    while call(bulk, "GET", f"/{job_id}").json()["data"][0]["state"] != "COMPLETED":
        time.sleep(0.02)
    polls = bulk.stats()["by_endpoint"]["GET /crm/bulk/{version}/read/{job_id}"]
    download(bulk, job_id)
    stats = bulk.stats()
    assert stats["credits"] == 50 + polls + 1
    assert stats["by_endpoint"]["POST /crm/bulk/{version}/read"] == 1
    assert stats["by_endpoint"]["GET /crm/bulk/{version}/read/{job_id}/result"] == 1
    assert stats["bulk_read"] == {
        "jobs_created": 1,
        "jobs_completed": 1,
        "jobs_failed": 0,
        "downloads": 1,
    }


# -- size ----------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.slow
def test_a_200000_record_export_streams() -> None:
    with running_emulator("--records", "200000", "--bulk-job-seconds", "0") as server:
        job_id = create(server, {"module": LEADS})
        peak, stop = [rss_mib(server.process.pid)], threading.Event()

        def sample() -> None:
            while not stop.wait(0.05):
                peak.append(rss_mib(server.process.pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            slowest = 0.0
            while True:
                started = time.monotonic()
                job = call(server, "GET", f"/{job_id}").json()["data"][0]
                slowest = max(slowest, time.monotonic() - started)  # others are answered meanwhile
                if job["state"] in ("COMPLETED", "FAILURE"):
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            sampler.join()
        assert job["state"] == "COMPLETED"
        assert slowest < 1.0
        assert max(peak) < 400, peak
        count = job["result"]["count"]
        assert 200_000 * 0.98 < count <= 200_000
        response = call(server, "GET", f"/{job_id}/result", stream=True)
        assert response.status_code == 200
        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "result.zip"
            with archive.open("wb") as target:
                for chunk in response.iter_content(1 << 20):
                    target.write(chunk)
            with zipfile.ZipFile(archive) as zipped, zipped.open(f"{job_id}.csv") as member:
                reader = csv.reader(io.TextIOWrapper(member, encoding="utf-8", newline=""))
                header = next(reader)
                assert header[0] == "Id"
                assert sum(1 for _ in reader) == count
