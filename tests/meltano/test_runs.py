"""``meltano run`` end to end against the emulator: tap-zoho into target-jsonl and into
target-postgres on a real PostgreSQL, a full run then an incremental one with an update and a
delete, and the rows checked against Zoho's own counts."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.plugins import ROOT, emulator_env, meltano
from tests.postgres import Postgres, running_postgres
from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SELECTED = ["crm_leads.*", "crm_price_tiers.*", "desk_tickets.*", "desk_ticket_threads.*"]
TAP_ENV = {
    "TAP_ZOHO_CRM_MODULES": json.dumps(["Leads", "Price_Tiers"]),
    "TAP_ZOHO__SELECT": json.dumps(SELECTED),
}


@pytest.fixture
def org() -> Iterator[Emulator]:
    with running_emulator("--records", "700", "--concurrency", "0") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as cluster:
        cluster.query("create database zoho")
        yield cluster


def crm_count(emulator: Emulator, module: str) -> int:
    params = {"converted": "both", "approved": "both"}
    count: int = emulator.crm("GET", f"{module}/actions/count", params=params).json()["count"]
    return count


def desk_ticket_ids(emulator: Emulator) -> set[str]:
    ids: set[str] = set()
    first = 1
    while True:
        response = emulator.desk("GET", "tickets", params={"from": first, "limit": 100})
        if response.status_code == 204:
            return ids
        ids |= {row["id"] for row in response.json()["data"]}
        first += 100


def touch_and_delete_a_lead(emulator: Emulator) -> tuple[str, str]:
    """Rename one lead and delete another in Zoho; their ids."""
    page = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "per_page": 2}).json()
    renamed, deleted = (row["id"] for row in page["data"])
    update = emulator.crm("PUT", "Leads", json={"data": [{"id": renamed, "Last_Name": "Renamed"}]})
    assert update.status_code == 200, update.text
    removal = emulator.crm("DELETE", "Leads", params={"ids": deleted})
    assert removal.status_code == 200, removal.text
    return renamed, deleted


def run(workdir: Path, *args: str, env: dict[str, str]) -> str:
    done = meltano(workdir, "run", *args, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr


def test_meltano_run_tap_zoho_target_jsonl(org: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "jsonl"
    output.mkdir()
    env = {**emulator_env(org), **TAP_ENV, "TARGET_JSONL_DESTINATION_PATH": str(output)}
    log = run(tmp_path, "tap-zoho", "target-jsonl", env=env)
    assert "Summary: run total:" in log

    def rows(stream: str) -> list[dict[str, Any]]:
        path = output / f"{stream}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    leads = rows("crm_leads")
    live = {row["id"] for row in leads if not row.get("_sdc_deleted_at")}
    assert len(live) == crm_count(org, "Leads")
    assert len({row["id"] for row in rows("crm_price_tiers")}) == crm_count(org, "Price_Tiers")
    tickets = rows("desk_tickets")
    assert {row["id"] for row in tickets} == desk_ticket_ids(org)
    threads = {row["ticket_id"] for row in rows("desk_ticket_threads")}
    assert threads == {row["id"] for row in tickets if int(row["threadCount"])}

    # Meltano keeps the bookmark: the next run reads what changed since, deletes included.
    renamed, deleted = touch_and_delete_a_lead(org)
    run(tmp_path, "tap-zoho", "target-jsonl", env=env)
    since = rows("crm_leads")[len(leads) :]
    assert len(since) < 10  # the change, the delete, and ties at the bookmark's second
    assert {"id": renamed, "Last_Name": "Renamed"}.items() <= next(
        row for row in since if row["id"] == renamed
    ).items()
    assert any(row["id"] == deleted and row.get("_sdc_deleted_at") for row in since)


def test_meltano_run_tap_zoho_target_postgres(
    org: Emulator, postgres: Postgres, tmp_path: Path
) -> None:
    env = {
        **emulator_env(org),
        **TAP_ENV,
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_PORT": str(postgres.port),
        "TARGET_POSTGRES_PASSWORD": "unused (trust)",
    }
    run(tmp_path, "tap-zoho", "target-postgres", env=env)

    def query(sql: str) -> list[tuple[str, ...]]:
        return postgres.query(sql, database="zoho")

    def live(table: str) -> int:
        return int(query(f"select count(*) from zoho.{table} where _sdc_deleted_at is null")[0][0])

    assert live("crm_leads") == crm_count(org, "Leads")
    assert live("crm_price_tiers") == crm_count(org, "Price_Tiers")
    tickets = {row[0] for row in query("select id from zoho.desk_tickets")}
    assert tickets == desk_ticket_ids(org)
    threads = int(query("select count(*) from zoho.desk_ticket_threads")[0][0])
    expected = int(query('select sum("threadCount"::int) from zoho.desk_tickets')[0][0])
    assert threads == expected
    # Zoho's names and values arrive as they are: mixed case columns, unicode, nested objects.
    (owner,) = query("select \"Owner\"::json->>'id' from zoho.crm_leads limit 1")[0]
    assert owner.isdigit()

    renamed, deleted = touch_and_delete_a_lead(org)
    run(tmp_path, "tap-zoho", "target-postgres", env=env)
    assert query(f"select \"Last_Name\" from zoho.crm_leads where id = '{renamed}'") == [
        ("Renamed",)
    ]
    (marked,) = query(
        f"select _sdc_deleted_at is not null from zoho.crm_leads where id = '{deleted}'"
    )
    assert marked == ("t",)
    assert live("crm_leads") == crm_count(org, "Leads")


def test_the_demo_lands_what_zoho_holds(tmp_path: Path) -> None:
    """`make demo`'s script, smaller: it checks every table against the emulator itself."""
    done = subprocess.run(
        [sys.executable, "scripts/demo.py", "--records", "300", "--output", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo OK" in done.stdout
    assert "MISMATCH" not in done.stdout
