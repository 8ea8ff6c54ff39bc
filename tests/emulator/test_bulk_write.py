"""Bulk Write as the emulator serves it: files, jobs, rows, limits."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.server import Emulator

#: The Bulk Write settings at their defaults, restored after every test.
DEFAULTS: dict[str, float] = {"bulk_write_job_seconds": 1.0, "bulk_write_failure_rate": 0.0}


@pytest.fixture
def bulk(emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator, reset, with quick jobs."""
    emulator.configure(bulk_write_job_seconds=0.05)
    yield emulator
    emulator.configure(**DEFAULTS)


def zipped(rows: list[list[str]], name: str = "rows.csv") -> bytes:
    """A ZIP holding one CSV of these rows."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.getvalue())
    return buffer.getvalue()


def send_file(emulator: Emulator, data: bytes, **headers: str) -> requests.Response:
    """``POST /crm/v8/upload`` with Zoho's headers (unless overridden)."""
    zgid = emulator.crm("GET", "org").json()["org"][0]["zgid"]
    sent = {
        "Authorization": f"Zoho-oauthtoken {emulator.token()}",
        "feature": "bulk-write",
        "X-CRM-ORG": zgid,
        **headers,
    }
    files = {"file": ("rows.zip", data, "application/zip")}
    return requests.post(f"{emulator.url}/crm/v8/upload", headers=sent, files=files, timeout=60)


def upload(emulator: Emulator, rows: list[list[str]]) -> str:
    """The file id of an uploaded CSV."""
    response = send_file(emulator, zipped(rows))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["code"]) == ("success", "FILE_UPLOAD_SUCCESS")
    file_id: str = body["details"]["file_id"]
    return file_id


def call(emulator: Emulator, method: str, path: str = "", **kwargs: Any) -> requests.Response:
    """A Bulk Write call, ``path`` relative to ``/crm/bulk/v8/write``."""
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    url = f"{emulator.url}/crm/bulk/v8/write{path}"
    return requests.request(method, url, headers=headers, timeout=60, **kwargs)


def job_body(operation: str, module: str, file_id: str, **resource: Any) -> dict[str, Any]:
    return {
        "operation": operation,
        "resource": [
            {"type": "data", "module": {"api_name": module}, "file_id": file_id, **resource}
        ],
    }


def create(emulator: Emulator, body: dict[str, Any]) -> str:
    response = call(emulator, "POST", json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["status"], answer["code"]) == ("success", "SUCCESS")
    job_id: str = answer["details"]["id"]
    return job_id


def wait(emulator: Emulator, job_id: str) -> tuple[dict[str, Any], list[str]]:
    """The job's details once it is COMPLETED or FAILED, and the states it went through."""
    states: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = call(emulator, "GET", f"/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if not states or states[-1] != job["status"]:
            states.append(job["status"])
        if job["status"] in ("COMPLETED", "FAILED"):
            return job, states
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never finished")


def results(emulator: Emulator, job: dict[str, Any]) -> list[dict[str, str]]:
    """The result CSV's rows by column."""
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    url = emulator.url + job["result"]["download_url"]
    response = requests.get(url, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        [name] = archive.namelist()
        text = archive.read(name).decode("utf-8")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert header[-3:] == ["STATUS", "RECORD_ID", "ERRORS"]
    return [dict(zip(header, row, strict=True)) for row in rows]


def run(emulator: Emulator, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A job's final details and its result rows."""
    job, _ = wait(emulator, create(emulator, body))
    assert job["status"] == "COMPLETED", job
    return job, results(emulator, job)


def counts(job: dict[str, Any]) -> tuple[int, int, int, int]:
    """Added, updated, skipped and total rows of a job's file."""
    file = job["resource"][0]["file"]
    return file["added_count"], file["updated_count"], file["skipped_count"], file["total_count"]


def coql(emulator: Emulator, query: str) -> list[dict[str, Any]]:
    response = emulator.crm("POST", "coql", json={"select_query": query})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def lead_count(emulator: Emulator) -> int:
    response = emulator.crm("GET", "Leads/actions/count")
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


# -- inserts, limits ------------------------------------------------------------------------

LEAD_HEADER = [
    "Last_Name",
    "Email",
    "No_of_Employees",
    "Email_Opt_Out",
    "Next_Contact_Date",
    "Preferred_Languages",
]


def lead_rows(start: int, count: int) -> list[list[str]]:
    return [
        [f"Bulk {n}", f"bulk{n}@example.test", str(n % 500), "TRUE", "03/31/2026", "English;日本語"]
        for n in range(start, start + count)
    ]


def test_inserts_30000_rows_in_two_files_and_refuses_25001(bulk: Emulator) -> None:
    before = lead_count(bulk)
    too_many = send_file(bulk, zipped([LEAD_HEADER, *lead_rows(0, 25_001)]))
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    first = upload(bulk, [LEAD_HEADER, *lead_rows(0, 25_000)])
    second = upload(bulk, [LEAD_HEADER, *lead_rows(25_000, 5_000)])
    jobs = [create(bulk, job_body("insert", "Leads", file_id)) for file_id in (first, second)]
    done = [wait(bulk, job_id)[0] for job_id in jobs]
    assert [counts(job) for job in done] == [(25_000, 0, 0, 25_000), (5_000, 0, 0, 5_000)]
    assert lead_count(bulk) == before + 30_000
    rows = results(bulk, done[1])
    assert [row["Email"] for row in rows] == [
        f"bulk{n}@example.test" for n in range(25_000, 30_000)
    ]
    assert {row["STATUS"] for row in rows} == {"ADDED"}
    assert {row["ERRORS"] for row in rows} == {""}
    record = bulk.crm("GET", f"Leads/{rows[7]['RECORD_ID']}").json()["data"][0]
    assert record["Last_Name"] == "Bulk 25007"
    assert record["No_of_Employees"] == 25_007 % 500
    assert record["Email_Opt_Out"] is True
    assert record["Next_Contact_Date"] == "2026-03-31"
    assert record["Preferred_Languages"] == ["English", "日本語"]
    [found] = coql(
        bulk, "select Last_Name, Email from Leads where Email = 'bulk29999@example.test'"
    )
    assert found["Last_Name"] == "Bulk 29999"
    stats = bulk.stats()
    assert stats["bulk_write"] == {
        "uploads": 2,
        "jobs_created": 2,
        "jobs_completed": 2,
        "jobs_failed": 0,
        "downloads": 1,
    }


# -- upsert and update ----------------------------------------------------------------------


def test_upsert_by_a_unique_field_updates_and_inserts(bulk: Emulator) -> None:
    listed = bulk.crm("GET", "Contacts", params={"fields": "Email,Modified_Time", "per_page": 3})
    existing = [row for row in listed.json()["data"] if row["Email"]]
    rows = [["Surname", "Mail", "Points", "Birthday", "Source"]]
    for n, row in enumerate(existing):
        rows.append([f"Upd {n}", row["Email"].upper(), "7", f"1990-01-0{n + 1}", "Cold Call"])
    rows += [[f"New {n}", f"new{n}@example.test", "", "", ""] for n in range(2)]
    mappings = [
        {"api_name": "Last_Name", "index": 0},
        {"api_name": "Email", "index": 1},
        {"api_name": "Loyalty_Points", "index": 2},
        {"api_name": "Date_of_Birth", "index": 3, "format": "yyyy-MM-dd"},
        {"api_name": "Lead_Source", "index": 4, "default_value": {"value": "Trade Show"}},
    ]
    body = job_body(
        "upsert", "Contacts", upload(bulk, rows), find_by="Email", field_mappings=mappings
    )
    job, outcome = run(bulk, body)
    assert counts(job) == (2, len(existing), 0, len(existing) + 2)
    assert [row["Surname"] for row in outcome] == [row[0] for row in rows[1:]]
    assert [row["STATUS"] for row in outcome] == ["UPDATED"] * len(existing) + ["ADDED"] * 2
    assert [row["RECORD_ID"] for row in outcome[: len(existing)]] == [row["id"] for row in existing]
    assert job["resource"][0]["find_by"] == "Email"
    for number, before in enumerate(existing):
        after = bulk.crm("GET", f"Contacts/{before['id']}").json()["data"][0]
        assert after["Last_Name"] == f"Upd {number}"
        assert after["Loyalty_Points"] == 7
        assert after["Date_of_Birth"] == f"1990-01-0{number + 1}"
        assert after["Lead_Source"] == "Cold Call"  # a cell with text: no default
        assert after["Modified_Time"] > before["Modified_Time"]
    new = coql(
        bulk, "select Last_Name, Lead_Source from Contacts where Email = 'new1@example.test'"
    )
    assert [(row["Last_Name"], row["Lead_Source"]) for row in new] == [("New 1", "Trade Show")]


def test_update_by_id_keeps_empty_cells_with_ignore_empty(bulk: Emulator) -> None:
    listed = bulk.crm("GET", "Accounts", params={"fields": "Account_Name,Phone", "per_page": 2})
    accounts = listed.json()["data"]
    missing = accounts[0]["id"][:-6] + "999999"
    rows = [["id", "Account_Name", "Phone"]]
    rows += [[row["id"], f"Renamed {n}", ""] for n, row in enumerate(accounts)]
    rows += [[missing, "Nobody", "1"], ["", "No key", "2"]]
    body = job_body("update", "Accounts", upload(bulk, rows), find_by="id")
    body["ignore_empty"] = True
    job, outcome = run(bulk, body)
    assert counts(job) == (0, 2, 2, 4)
    assert [(row["STATUS"], row["ERRORS"]) for row in outcome] == [
        ("UPDATED", ""),
        ("UPDATED", ""),
        ("SKIPPED", "RESOURCE_NOT_FOUND-id"),
        ("SKIPPED", "MANDATORY_NOT_FOUND-id"),
    ]
    for number, before in enumerate(accounts):
        after = bulk.crm("GET", f"Accounts/{before['id']}").json()["data"][0]
        assert (after["Account_Name"], after["Phone"]) == (f"Renamed {number}", before["Phone"])
    renamed = coql(bulk, "select Account_Name from Accounts where Account_Name = 'Renamed 1'")
    assert [row["id"] for row in renamed] == [accounts[1]["id"]]


# -- per-row errors -------------------------------------------------------------------------


def test_rows_fail_alone_with_zohos_codes(bulk: Emulator) -> None:
    taken = bulk.crm("GET", "Leads", params={"fields": "Email", "per_page": 1}).json()["data"]
    rows = [
        LEAD_HEADER,
        ["", "blank@example.test", "1", "false", "", ""],
        ["Count", "count@example.test", "many", "false", "", ""],
        ["Mail", "not an email", "1", "false", "", ""],
        ["Twice", taken[0]["Email"], "1", "false", "", ""],
        ["Day", "day@example.test", "1", "maybe", "2026-03-31", ""],
        ["Fine", "fine@example.test", "", "", "12/01/2026", ""],
        ["Again", "FINE@example.test", "", "", "", ""],
        ["X" * 81, "long@example.test", "", "", "", ""],
    ]
    before = lead_count(bulk)
    job, outcome = run(bulk, job_body("insert", "Leads", upload(bulk, rows)))
    assert counts(job) == (1, 0, 7, 8)
    assert [(row["STATUS"], row["ERRORS"]) for row in outcome] == [
        ("SKIPPED", "MANDATORY_NOT_FOUND-Last_Name"),
        ("SKIPPED", "INVALID_DATA-No_of_Employees"),
        ("SKIPPED", "INVALID_DATA-Email"),
        ("SKIPPED", "DUPLICATE_DATA-Email"),
        ("SKIPPED", "INVALID_DATA-Email_Opt_Out:INVALID_DATA-Next_Contact_Date"),
        ("ADDED", ""),
        ("SKIPPED", "DUPLICATE_DATA-Email"),  # the row before it took the address
        ("SKIPPED", "INVALID_DATA-Last_Name"),  # 81 characters, 80 at most
    ]
    assert all(row["RECORD_ID"] == "" for row in outcome if row["STATUS"] == "SKIPPED")
    assert lead_count(bulk) == before + 1


def test_sales_orders_rows_without_line_items_are_skipped(bulk: Emulator) -> None:
    """Line items come in a child file (not emulated): an upsert updates, never inserts."""
    listed = bulk.crm("GET", "Sales_Orders", params={"fields": "Subject", "per_page": 1})
    (order,) = listed.json()["data"]
    rows = [["Subject", "Status"], [order["Subject"], "Delivered"], ["Nouvelle commande", ""]]
    body = job_body("upsert", "Sales_Orders", upload(bulk, rows), find_by="Subject")
    job, outcome = run(bulk, body)
    assert counts(job) == (0, 1, 1, 2)
    assert [(row["STATUS"], row["ERRORS"]) for row in outcome] == [
        ("UPDATED", ""),
        ("SKIPPED", "MANDATORY_NOT_FOUND-Ordered_Items"),
    ]
    after = bulk.crm("GET", f"Sales_Orders/{order['id']}").json()["data"][0]
    assert after["Status"] == "Delivered"
    assert after["Ordered_Items"]  # the update kept them


def test_insert_with_find_by_skips_rows_it_finds(bulk: Emulator) -> None:
    taken = bulk.crm("GET", "Leads", params={"fields": "Email", "per_page": 1}).json()["data"][0]
    rows = [["Last_Name", "Email"], ["Known", taken["Email"]], ["Unknown", "unknown@example.test"]]
    job, outcome = run(bulk, job_body("insert", "Leads", upload(bulk, rows), find_by="Email"))
    assert counts(job) == (1, 0, 1, 2)
    known, unknown = outcome
    assert (known["STATUS"], known["RECORD_ID"]) == ("SKIPPED", taken["id"])
    assert known["ERRORS"] == "DUPLICATE_DATA-Email"
    assert unknown["STATUS"] == "ADDED"


# -- states, credits, failures --------------------------------------------------------------


def test_jobs_go_through_their_states_one_at_a_time(bulk: Emulator) -> None:
    bulk.configure(bulk_write_job_seconds=1.0)
    rows = [["Last_Name"], ["One"]]
    first = create(bulk, job_body("insert", "Leads", upload(bulk, rows)))
    second = create(bulk, job_body("insert", "Leads", upload(bulk, rows)))
    job, states = wait(bulk, second)
    assert states == ["ADDED", "IN PROGRESS", "COMPLETED"]  # ADDED while the first runs
    assert job["operation"] == "insert"
    assert job["character_encoding"] == "UTF-8"
    me = bulk.crm("GET", "users", params={"type": "CurrentUser"}).json()["users"][0]
    assert job["created_by"] == {"id": me["id"], "name": me["full_name"]}
    resource = job["resource"][0]
    assert (resource["status"], resource["type"], resource["code"]) == (
        "COMPLETED",
        "data",
        "SUCCESS",
    )
    assert resource["module"]["api_name"] == "Leads"
    assert resource["file"]["name"] == "rows.csv"
    assert resource["field_mappings"][0]["api_name"] == "Last_Name"
    domain = bulk.crm("GET", "org").json()["org"][0]["domain_name"]
    url = job["result"]["download_url"]
    assert url == f"/v8/crm/{domain}/bulk-write/{second}/{second}.zip"
    assert wait(bulk, first)[0]["status"] == "COMPLETED"


def test_credits_500_a_job_and_the_calls_counted(bulk: Emulator) -> None:
    rows = [["Last_Name"], ["One"]]
    for _ in range(2):
        run(bulk, job_body("insert", "Leads", upload(bulk, rows)))
    stats = bulk.stats()
    by_endpoint = stats["by_endpoint"]
    assert by_endpoint["POST /crm/{version}/upload"] == 2
    assert by_endpoint["POST /crm/bulk/{version}/write"] == 2
    polls = by_endpoint["GET /crm/bulk/{version}/write/{job_id}"]
    downloads = by_endpoint["GET /{version}/crm/{domain}/bulk-write/{job_id}/{name}"]
    assert downloads == 2
    org_calls = by_endpoint["GET /crm/{version}/org"]  # the test's own, for X-CRM-ORG
    assert stats["credits"] == 2 * 500 + 2 + polls + downloads + org_calls


def test_a_failed_job_writes_nothing(bulk: Emulator) -> None:
    bulk.configure(bulk_write_failure_rate=1.0)
    before = lead_count(bulk)
    job, states = wait(
        bulk, create(bulk, job_body("insert", "Leads", upload(bulk, [["Last_Name"], ["A"]])))
    )
    assert states[-1] == "FAILED"
    assert "result" not in job
    assert lead_count(bulk) == before
    assert bulk.stats()["bulk_write"]["jobs_failed"] == 1


# -- refused requests -----------------------------------------------------------------------


def test_uploads_refused(bulk: Emulator) -> None:
    good = zipped([["Last_Name"], ["A"]])
    for headers in ({"feature": "bulk-read"}, {"X-CRM-ORG": "1"}):
        refused = send_file(bulk, good, **headers)
        assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_REQUEST")
    not_zip = send_file(bulk, b"Last_Name\nA\n")
    assert (not_zip.status_code, not_zip.json()["code"]) == (400, "INVALID_FILE_FORMAT")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "Last_Name\nA\n")
        archive.writestr("b.csv", "Last_Name\nB\n")
    two = send_file(bulk, buffer.getvalue())
    assert (two.status_code, two.json()["code"]) == (400, "INVALID_FILE_FORMAT")
    large = send_file(bulk, b"\0" * (25 * 1024 * 1024 + 1))
    assert (large.status_code, large.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert bulk.stats()["bulk_write"]["uploads"] == 0


def test_jobs_refused_with_zohos_codes(bulk: Emulator) -> None:
    file_id = upload(bulk, [["Last_Name", "Email", "Bogus"], ["A", "a@example.test", "x"]])
    last_name = [{"api_name": "Last_Name", "index": 0}]
    cases: list[tuple[dict[str, Any], str]] = [
        (job_body("upsert", "Leads", file_id, field_mappings=last_name), "MANDATORY_NOT_FOUND"),
        (job_body("insert", "Leads", "1234"), "INVALID_FILE_ID"),
        (job_body("insert", "Leads", file_id), "INVALID_FIELD"),  # the Bogus header
        (
            job_body(
                "insert", "Leads", file_id, field_mappings=[{"api_name": "Email", "index": 1}]
            ),
            "MANDATORY_FIELDS_NOT_MAPPED",
        ),
        (
            job_body(
                "insert", "Leads", file_id, field_mappings=[{"api_name": "Last_Name", "index": 3}]
            ),
            "COLUMN_INDEX_NOT_FOUND",
        ),
        (
            job_body(
                "insert",
                "Leads",
                file_id,
                field_mappings=[*last_name, {"api_name": "Full_Name", "index": 1}],
            ),
            "INVALID_FIELD",
        ),
        (
            job_body(
                "insert",
                "Leads",
                file_id,
                field_mappings=[
                    *last_name,
                    {"api_name": "Next_Contact_Date", "index": 2, "format": "qq"},
                ],
            ),
            "INVALID_FORMAT",
        ),
        (job_body("insert", "Notes", file_id, field_mappings=last_name), "MODULE_NOT_AVAILABLE"),
        (
            {
                **job_body("insert", "Leads", file_id, field_mappings=last_name),
                "callback": {"url": "https://example.test/", "method": "get"},
            },
            "INVALID_CALLBACK_METHOD",
        ),
        (
            job_body("update", "Leads", file_id, field_mappings=last_name, find_by="Last_Name"),
            "INVALID_DATA",
        ),
    ]
    for body, code in cases:
        response = call(bulk, "POST", json=body)
        assert (response.status_code, response.json()["code"]) == (400, code), body
    assert bulk.stats()["credits"] == 1 + 1  # the upload and the org call: no job was made
    used = job_body("insert", "Leads", file_id, field_mappings=last_name)
    create(bulk, used)
    again = call(bulk, "POST", json=used)
    assert (again.status_code, again.json()["code"]) == (400, "INVALID_FILE_ID")  # one job a file
