"""tap-zoho's progress lines and run summaries, checked against what the run emitted and the
emulator's own count of calls and credits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import run_tap, tap_config

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RECORDS = 1000
STREAMS = ("crm_leads", "crm_users", "desk_tickets", "desk_ticket_threads")
COUNT_ENDPOINT = "GET /crm/{version}/{module}/actions/count"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    flags = ("--records", str(RECORDS), "--concurrency", "0")
    with running_emulator(*flags) as server:
        yield server


def config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    return tap_config(
        emulator,
        desk_org_id=emulator.desk_org_id,
        desk_url=emulator.url,
        crm_modules=["Leads"],
        **extra,
    )


@pytest.fixture(scope="module")
def catalog(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_tap(tmp_path_factory.mktemp("discover"), config(emulator), discover=True)
    assert run.returncode == 0, run.stderr
    found: dict[str, Any] = run.messages[0]
    for entry in found["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = entry["tap_stream_id"] in STREAMS
    return found


def summaries(stderr: str) -> dict[str, tuple[int, int, int]]:
    """Records, calls and credits of each stream's summary line (and the run's, as "run")."""
    found = {}
    pattern = (
        r"Summary: (\S+)(?: total)?: ([\d,]+) records? read(?: by \w+)?, ([\d,]+) API calls?, "
        r"([\d,]+)"
    )
    for name, *numbers in re.findall(pattern, stderr):
        found[name] = tuple(int(number.replace(",", "")) for number in numbers)
    return found  # type: ignore[return-value]


def test_a_sync_reports_progress_and_what_each_stream_cost(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.reset()
    run = run_tap(tmp_path, config(emulator, progress_seconds=0), catalog=catalog)
    assert run.returncode == 0, run.stderr
    stats = emulator.stats()

    found = summaries(run.stderr)
    assert set(found) == {*STREAMS, "run"}
    for stream in STREAMS:
        emitted = len(run.records(stream))
        assert emitted > 0
        assert found[stream][0] == emitted, stream
    assert found["run"][0] == len([m for m in run.messages if m["type"] == "RECORD"])
    # The run's count of calls and credits is the emulator's; the streams' share is most of it.
    assert found["run"][1:] == (stats["requests"], stats["credits"])
    assert sum(found[stream][1] for stream in STREAMS) <= stats["requests"]
    assert found["crm_leads"][1] >= RECORDS // 200

    # A long full read learns its total from one count call, and says how far along it is.
    lines = re.findall(
        r"crm_leads: ([\d,]+) records? read of about ([\d,]+) \((\d+)%\)", run.stderr
    )
    done = [int(line[0].replace(",", "")) for line in lines]
    assert done == list(range(1, found["crm_leads"][0] + 1))  # a line a record: interval 0
    assert stats["by_endpoint"][COUNT_ENDPOINT] == 1
    params = {"converted": "both", "approved": "both"}
    count = emulator.crm("GET", "Leads/actions/count", params=params).json()["count"]
    assert {line[1] for line in lines} == {f"{count:,}"}
    assert re.search(r"desk_tickets: [\d,]+ records read of about [\d,]+", run.stderr)


def test_a_short_run_pays_nothing_for_progress(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.reset()
    run = run_tap(tmp_path, config(emulator), catalog=catalog)  # progress every 30 s
    assert run.returncode == 0, run.stderr
    assert "records read of about" not in run.stderr
    # The one count is the read strategy's (Bulk Read above bulk_threshold), not progress's.
    assert emulator.stats()["by_endpoint"][COUNT_ENDPOINT] == 1
    assert re.search(r"crm_leads: read by coql \(a full read of [\d,]+ records, ", run.stderr)
    assert summaries(run.stderr)["crm_leads"][0] == len(run.records("crm_leads"))
    incremental = run_tap(tmp_path, config(emulator), catalog=catalog, state=run.final_state)
    assert incremental.returncode == 0, incremental.stderr
    assert emulator.stats()["by_endpoint"][COUNT_ENDPOINT] == 1  # none for an incremental run


def test_a_failing_run_still_says_what_it_spent(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.reset()
    crm_only = [entry for entry in catalog["streams"] if entry["tap_stream_id"].startswith("crm")]
    first = run_tap(tmp_path, config(emulator), catalog={"streams": crm_only})
    assert first.returncode == 0, first.stderr
    crm_credits = emulator.stats()["credits"]
    emulator.reset()
    # Spent once the CRM streams are read (after Desk's check at the start: one credit).
    emulator.configure(daily_credits=crm_credits + 1)
    try:
        run = run_tap(tmp_path, config(emulator), catalog=catalog)
    finally:
        emulator.configure(daily_credits=0)
    assert run.returncode != 0
    assert "THRESHOLD_EXCEEDED" in run.stderr  # Desk's: not retried
    found = summaries(run.stderr)
    assert found["crm_leads"][0] == len(run.records("crm_leads")) > 0
    assert found["run"][2] == emulator.stats()["credits"] == crm_credits + 1
    assert "(the run failed: the figures are those up to the failure)" in run.stderr
