"""target-zoho as a process writing large batches by Bulk Write, against an emulator."""

from __future__ import annotations

import collections
import json
import re
from typing import TYPE_CHECKING, Any

from tests.server import running_emulator
from tests.singer import run_target, tap_config
from tests.target.test_load import PEOPLE, coql, load_people, people

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import Emulator

UPLOAD = "POST /crm/{version}/upload"
CREATE_JOB = "POST /crm/bulk/{version}/write"
JOB_STATUS = "GET /crm/bulk/{version}/write/{job_id}"
UPSERT = "POST /crm/{version}/{module}/upsert"
COUNT = 300


def by_endpoint(emulator: Emulator) -> collections.Counter[str]:
    """Calls so far, per endpoint."""
    return collections.Counter(emulator.stats()["by_endpoint"])


def test_a_large_batch_goes_by_bulk_write(destination: Emulator, tmp_path: Path) -> None:
    destination.configure(bulk_write_job_seconds=0.05)
    rejects = tmp_path / "rejects.jsonl"
    config: dict[str, Any] = {
        **tap_config(destination),
        "streams": {"people": PEOPLE},
        "rejects_path": str(rejects),
        "allow_failures": True,
        "bulk_write_min_records": 50,
    }
    records = people(COUNT, bad_every=20)
    bad = [n for n in range(COUNT) if n % 20 == 19]

    run = run_target(tmp_path, config, load_people(records))

    assert run.returncode == 0, run.stderr
    calls = by_endpoint(destination)
    assert (calls[UPLOAD], calls[CREATE_JOB]) == (1, 1)
    assert calls[JOB_STATUS] >= 1
    assert UPSERT not in calls
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [line["line"] for line in lines] == [n + 2 for n in bad]  # the SCHEMA is line 1
    assert [line["record"]["email"] for line in lines] == [records[n]["email"] for n in bad]
    assert {(line["code"], line["details"].get("api_name")) for line in lines} == {
        ("INVALID_DATA", "Title"),
        ("INVALID_DATA", "Email"),
        ("MANDATORY_NOT_FOUND", "Last_Name"),
    }
    assert all(line["stream"] == "people" for line in lines)
    # Zoho's verdicts, from the job's result rows (SKIPPED, with their ERRORS).
    assert all("skipped (" in line["message"] for line in lines), lines
    assert "Rejected: line 21, stream people, record Email person.19@example.test" in run.stderr
    good = sorted(r["email"] for n, r in enumerate(records) if n not in bad)
    query = "select Email from Contacts where Email like 'person.%'"
    assert sorted(r["Email"] for r in coql(destination, query)) == good
    assert run.final_state == {"bookmarks": {"people": {"done": COUNT}}}
    created = f"{COUNT - len(bad)} created, 0 updated, 0 deleted, {len(bad)} rejected"
    summary = re.search(
        rf"Summary: people: {created}, ([\d,]+) API calls, ([\d,]+) credits", run.stderr
    )
    assert summary, run.stderr[-2000:]
    assert int(summary[2].replace(",", "")) >= 500  # the job's credits, counted by the target

    # Again: every upsert finds its record; each person is in Zoho once.
    rejects.unlink()
    again = run_target(tmp_path, config, load_people(records))
    assert again.returncode == 0, again.stderr
    updated = f"0 created, {COUNT - len(bad)} updated, 0 deleted, {len(bad)} rejected"
    assert f"Summary: people: {updated}" in again.stderr
    assert sorted(r["Email"] for r in coql(destination, query)) == good
    assert by_endpoint(destination)[CREATE_JOB] == 2
    assert again.final_state == {"bookmarks": {"people": {"done": COUNT}}}


def test_a_batch_below_the_threshold_goes_by_write_calls(
    destination: Emulator, tmp_path: Path
) -> None:
    config: dict[str, Any] = {
        **tap_config(destination),
        "streams": {"people": PEOPLE},
        "bulk_write_min_records": COUNT + 1,
    }
    run = run_target(tmp_path, config, load_people(people(COUNT)))
    assert run.returncode == 0, run.stderr
    calls = by_endpoint(destination)
    assert CREATE_JOB not in calls
    assert calls[UPSERT] == COUNT // 100
    assert run.final_state == {"bookmarks": {"people": {"done": COUNT}}}


def rejects_of(emulator: Emulator, workdir: Path, **settings: Any) -> set[tuple[str, str, str]]:
    """The (record's email, code, field) of each reject of ``people(COUNT, bad_every=20)``."""
    workdir.mkdir()
    rejects = workdir / "rejects.jsonl"
    config: dict[str, Any] = {
        **tap_config(emulator),
        "streams": {"people": PEOPLE},
        "rejects_path": str(rejects),
        "allow_failures": True,
        **settings,
    }
    run = run_target(workdir, config, load_people(people(COUNT, bad_every=20)))
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    return {
        (line["record"]["email"], line["code"], line["details"].get("api_name")) for line in lines
    }


def test_bulk_write_and_write_calls_reject_the_same_rows_alike(
    destination: Emulator, tmp_path: Path
) -> None:
    destination.configure(bulk_write_job_seconds=0.05)
    by_bulk_write = rejects_of(destination, tmp_path / "bulk", bulk_write_min_records=50)
    assert by_endpoint(destination)[CREATE_JOB] == 1
    with running_emulator("--records", "0", "--org", "2", "--concurrency", "0") as other:
        by_calls = rejects_of(other, tmp_path / "calls")
        assert CREATE_JOB not in by_endpoint(other)
    assert len(by_bulk_write) == COUNT // 20
    assert by_calls == by_bulk_write
