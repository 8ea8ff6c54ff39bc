"""Churn: records of one module updated and deleted in the background while clients read."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.server import running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.server import Emulator

RECORDS = "300"


def snapshot(emulator: Emulator, module: str = "Leads") -> dict[str, dict[str, Any]]:
    """Every live record of a module: its Modified_Time, Modified_By and Description."""
    response = emulator.crm(
        "POST",
        "coql",
        json={
            "select_query": "select Modified_Time, Modified_By.full_name, Description"
            f" from {module} where id is not null limit 2000"
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body["info"]["more_records"]
    return {row["id"]: row for row in body["data"]}


def instant(row: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(row["Modified_Time"])


def recycled(emulator: Emulator, module: str = "Leads") -> set[str]:
    """The ids in a module's recycle bin."""
    response = emulator.crm("GET", f"{module}/deleted", params={"type": "recycle"})
    return (
        {entry["id"] for entry in response.json()["data"]} if response.status_code == 200 else set()
    )


def stop(emulator: Emulator) -> dict[str, int]:
    """Turn churn off and wait for it to notice; its counters then."""
    emulator.configure(churn_per_second=0)
    time.sleep(0.3)
    counts: dict[str, int] = emulator.stats()["churn"]
    return counts


@pytest.fixture
def churning() -> Iterator[Emulator]:
    """An emulator of its own, churning Leads: 40 events a second, a quarter of them deletes."""
    flags = ("--churn-per-second", "40", "--churn-delete-share", "0.25")
    with running_emulator("--records", RECORDS, "--seed", "7", *flags) as server:
        yield server


def test_churn_updates_and_deletes_records_as_the_api_would(churning: Emulator) -> None:
    churning.configure(churn_per_second=0)
    churning.reset()
    before, bin_before = snapshot(churning), recycled(churning)
    churning.configure(churn_per_second=40)
    time.sleep(1.5)
    counts = stop(churning)
    assert counts["updated"] >= 10
    assert counts["deleted"] >= 2
    after, bin_after = snapshot(churning), recycled(churning)
    gone = set(before) - set(after)
    assert set(after) <= set(before)
    assert len(gone) == counts["deleted"]
    assert bin_after - bin_before == gone
    moved = {
        record_id
        for record_id, row in after.items()
        if row["Modified_Time"] != before[record_id]["Modified_Time"]
    }
    assert 1 <= len(moved) <= counts["updated"]
    for record_id in moved:
        assert instant(after[record_id]) > instant(before[record_id])
        assert after[record_id]["Description"].startswith("Churn update ")
        assert after[record_id]["Modified_By.full_name"] == "Ada Ruiz"
    assert all(after[record_id] == before[record_id] for record_id in set(after) - moved)


def test_churn_settings_change_at_run_time(churning: Emulator) -> None:
    stop(churning)
    churning.reset()
    contacts = snapshot(churning, "Contacts")
    churning.configure(churn_module="contacts", churn_delete_share=0, churn_per_second=40)
    time.sleep(0.6)
    counts = stop(churning)
    assert counts["updated"] >= 3
    assert counts["deleted"] == 0
    changed = snapshot(churning, "Contacts")
    assert changed.keys() == contacts.keys()
    assert any(changed[key]["Description"] != contacts[key]["Description"] for key in contacts)
    url = f"{churning.url}/__emulator__/settings"
    for changes, message in (
        ({"churn_module": "Nope"}, "'Nope' is no module of the API"),
        ({"churn_module": "Home"}, "'Home' is no module of the API"),
        ({"churn_module": 3}, "'churn_module' must be a string"),
        ({"churn_per_second": "fast"}, "'churn_per_second' must be a number"),
    ):
        refused = requests.patch(url, json=changes, timeout=30)
        assert refused.status_code == 400
        assert refused.json() == {"error": message}


def test_reset_restores_the_seed_and_churn_goes_on(churning: Emulator) -> None:
    stop(churning)
    churning.reset()
    seeded = snapshot(churning)
    churning.configure(churn_per_second=40)
    time.sleep(0.5)
    assert snapshot(churning) != seeded
    churning.reset()
    time.sleep(0.5)
    assert churning.stats()["churn"]["updated"] >= 5
    stop(churning)
    churning.reset()
    assert snapshot(churning) == seeded
    assert churning.stats()["churn"] == {"updated": 0, "deleted": 0}


def test_the_same_seed_churns_the_same_records_in_the_same_order() -> None:
    orders = []
    for _ in range(2):
        with running_emulator("--records", RECORDS, "--churn-per-second", "50") as server:
            time.sleep(0.8)
            stop(server)
            rows = snapshot(server).items()
            updates = {
                int(row["Description"].rsplit(" ", 1)[1]): record_id
                for record_id, row in rows
                if (row["Description"] or "").startswith("Churn update ")
            }
            orders.append(updates)
    first, second = orders
    common = first.keys() & second.keys()
    assert len(common) >= 10
    assert {number: first[number] for number in common} == {
        number: second[number] for number in common
    }


def test_without_churn_nothing_changes(emulator: Emulator) -> None:
    before, bin_before = snapshot(emulator, "Tasks"), recycled(emulator, "Tasks")
    time.sleep(0.5)
    assert snapshot(emulator, "Tasks") == before
    assert recycled(emulator, "Tasks") == bin_before
    assert emulator.stats()["churn"] == {"updated": 0, "deleted": 0}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--churn-module", "Nope"), "--churn-module: 'Nope' is no module of the API"),
        (("--churn-per-second", "-1"), "--churn-per-second must not be negative"),
        (("--churn-delete-share", "1.5"), "--churn-delete-share must be between 0 and 1"),
    ],
)
def test_churn_flags_are_checked(flags: tuple[str, ...], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zoho_emulator", "serve", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert message in done.stderr
