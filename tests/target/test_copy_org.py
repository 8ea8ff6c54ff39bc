"""scripts/copy_org.py, as README shows it: one emulated org copied into an empty one.

The destination has the source id field README's "Copying an org" asks for
(``--source-id-field``); its few records seeded even at ``--records 0`` are deleted first.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, desk_ids, running_emulator
from tests.singer import record_message, run_target, schema_message, tap_config, write_json
from tests.target.test_load import coql
from tests.target.test_subforms import ROW_SYSTEM, detailed

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ID = "Source_Id"
#: What README's "Copying an org" runs, read from README itself.
README = (ROOT / "README.md").read_text()
COPY_COMMAND = re.search(r"^python scripts/copy_org\.py .*$", README, re.MULTILINE)
PIPE_COMMAND = re.search(
    r"^tap-zoho --config tap\.json --catalog catalog\.json \| .*$", README, re.M
)
#: The CRM modules the emulated source has records of, each copied (Quotes, which the API
#: user may not read, is passed over by the tap; Vendors has none).
CRM_MODULES = (
    "Accounts",
    "Contacts",
    "Deals",
    "Leads",
    "Service_Visits",
    "Tasks",
    "Products",
    "Price_Tiers",
    "Sales_Orders",
)
DESK_MODULES = {"accounts": "accountIds", "contacts": "contactIds", "tickets": "ticketIds"}


@pytest.fixture(scope="module")
def source() -> Iterator[Emulator]:
    with running_emulator("--records", "300", "--concurrency", "0") as emulator:
        yield emulator


@contextlib.contextmanager
def empty_org(*flags: str) -> Iterator[Emulator]:
    """An org with the source id field in every CRM module and no CRM or Desk record."""
    with running_emulator(
        *("--records", "0", "--seed", "7", "--org", "1", "--concurrency", "0"),
        *("--source-id-field", SOURCE_ID, *flags),
    ) as org:
        for module in CRM_MODULES:
            ids = [row["id"] for row in coql(org, f"select id from {module} where id is not null")]
            for start in range(0, len(ids), 100):
                deleted = org.crm("DELETE", module, params={"ids": ",".join(ids[start:][:100])})
                deleted.raise_for_status()
        for module, key in DESK_MODULES.items():
            ids = sorted(desk_ids(org, module))
            if ids:
                org.desk("POST", f"{module}/moveToTrash", json={key: ids}).raise_for_status()
        yield org


def readme_copy(
    source: Emulator, destination: Emulator, workdir: Path, *, desk: bool, **settings: Any
) -> list[str]:
    """README's copy command, to run in ``workdir``, where it finds the configs it names."""
    workdir.mkdir(exist_ok=True)
    desk_settings = {"desk_url": source.url, "desk_org_id": source.desk_org_id} if desk else {}
    write_json(workdir / "tap.json", tap_config(source, include_deletes=False, **desk_settings))
    target = tap_config(destination, source_id_field=SOURCE_ID, **settings)
    if desk:
        target |= {"desk_url": destination.url, "desk_org_id": destination.desk_org_id}
    write_json(workdir / "target.json", target)
    assert COPY_COMMAND, "README shows no 'python scripts/copy_org.py' line"
    program, script, *arguments = shlex.split(COPY_COMMAND[0])
    assert (program, script) == ("python", "scripts/copy_org.py")
    return [sys.executable, str(ROOT / script), *arguments]


def copied(command: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )


def lookups_of(org: Emulator, module: str) -> list[str]:
    """The module's lookup and owner fields a write sets (not Created_By, Converted_Deal...)."""
    fields = org.crm("GET", "settings/fields", params={"module": module}).json()["fields"]
    kinds = ("lookup", "multi_module_lookup", "ownerlookup", "userlookup")
    return [
        field["api_name"]
        for field in fields
        if field["data_type"] in kinds and field["operation_type"]["api_create"]
    ]


def rows_of(org: Emulator, module: str, *fields: str) -> list[dict[str, Any]]:
    """Every record of a module: its id, the fields named and its lookups."""
    names = ", ".join(["id", *fields, *lookups_of(org, module)])
    return coql(org, f"select {names} from {module} where id is not null")


def assert_a_copy(source: Emulator, destination: Emulator) -> None:
    """Each source record has one copy, by its source id; lookups point at the copies,
    owners and user lookups at the users of the same email."""
    emails = {u["id"]: u["email"] for u in source.crm("GET", "users").json()["users"]}
    their = {u["id"]: u["email"] for u in destination.crm("GET", "users").json()["users"]}
    originals = {module: rows_of(source, module) for module in CRM_MODULES}
    copies = {module: rows_of(destination, module, SOURCE_ID) for module in CRM_MODULES}
    source_of = {row["id"]: row[SOURCE_ID] for rows in copies.values() for row in rows}
    checked = 0
    for module in CRM_MODULES:
        by_source = {row[SOURCE_ID]: row for row in copies[module]}
        assert len(by_source) == len(copies[module]), module  # no source record twice
        assert set(by_source) == {row["id"] for row in originals[module]}, module
        for original in originals[module]:
            copy = by_source[original["id"]]
            for field in lookups_of(destination, module):
                was, now = original.get(field), copy.get(field)
                if was is None or now is None:
                    assert was is now is None, (module, field, original, copy)
                elif field in ("Owner", "Technician"):  # the users
                    assert their[now["id"]] == emails[was["id"]], (module, field, copy)
                else:
                    assert source_of[now["id"]] == was["id"], (module, field, copy)
                    checked += 1
    # Every module lookup of the seed: Account_Name, Parent_Account, Reporting_To, What_Id...
    assert checked > 1000, checked
    assert_rows_copied(source, destination, source_of)


def subforms_of(org: Emulator, module: str) -> list[str]:
    fields = org.crm("GET", "settings/fields", params={"module": module}).json()["fields"]
    return [field["api_name"] for field in fields if field["data_type"] == "subform"]


def comparable(row: dict[str, Any], source_of: dict[str, str]) -> dict[str, Any]:
    """A subform row without what Zoho sets, each lookup (a product) as its source's id."""
    return {
        key: source_of.get(value["id"], value["id"]) if isinstance(value, dict) else value
        for key, value in row.items()
        if key not in ROW_SYSTEM and not key.startswith("$")
    }


def assert_rows_copied(source: Emulator, destination: Emulator, source_of: dict[str, str]) -> None:
    """Each copy's subform rows (a sales order's line items...) are its original's, their
    lookups pointing at the copies (a line item's product at the copied product)."""
    rows = collections.Counter[str]()
    for module in CRM_MODULES:
        subforms = subforms_of(source, module)
        if not subforms:
            continue
        copies = {row[SOURCE_ID]: row for row in detailed(destination, module)}
        for original in detailed(source, module):
            copy = copies[original["id"]]
            for name in subforms:
                copied = [comparable(row, source_of) for row in copy[name] or []]
                assert copied == [comparable(row, {}) for row in original[name] or []], (
                    module,
                    name,
                    original["id"],
                )
                assert all(row["Parent_Id"]["id"] == copy["id"] for row in copy[name] or [])
                rows[module] += len(copied)
    # Every sales order has a line item (Zoho requires one), each of a product.
    orders = coql(source, "select id from Sales_Orders where id is not null")
    assert rows["Sales_Orders"] >= len(orders) > 0, rows
    assert rows["Service_Visits"] > 0, rows


def test_copy_org_copies_every_crm_module_with_its_lookups(
    source: Emulator, tmp_path: Path
) -> None:
    with empty_org() as destination:
        command = readme_copy(source, destination, tmp_path, desk=False)
        run = copied(command, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:] + run.stdout
        assert ", 0 updated, 0 deleted, 0 rejected" in run.stderr, run.stderr[-2000:]
        for module in CRM_MODULES:
            assert re.search(rf"^{module}: source (\d+), destination \1$", run.stdout, re.M), (
                run.stdout
            )
        assert_a_copy(source, destination)
        # README's pipe, as printed, in the same folder (the catalog is the copy's): every
        # record is found again by its source id and updated, none created.
        assert PIPE_COMMAND, "README shows no 'tap-zoho ... | target-zoho ...' line"
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        again = subprocess.run(
            ["bash", "-o", "pipefail", "-c", PIPE_COMMAND[0]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "PATH": path},
        )
        assert again.returncode == 0, again.stderr[-3000:]
        assert re.search(
            r"run total: 0 created, [\d,]+ updated, 0 deleted, 0 rejected", again.stderr
        )
        assert_a_copy(source, destination)


def test_a_copy_killed_mid_load_and_rerun_leaves_nothing_missing_or_twice(
    source: Emulator, tmp_path: Path
) -> None:
    with empty_org() as destination:
        # The source answers slowly, so that the tap's streams come over some seconds, and a
        # STATE every 2 s (the target drains when input comes) finds the copy mid-load. Not
        # much less: a drain that cuts Accounts in two rejects the accounts whose
        # Parent_Account comes after the cut (the target defers a lookup only within a batch).
        command = readme_copy(source, destination, tmp_path, desk=False, state_interval_seconds=2)
        log = tmp_path / "killed.log"
        source.configure(latency_ms=150)
        try:
            with log.open("w") as errors:  # the copy's stderr (the child holds its own handle)
                copy = subprocess.Popen(
                    command,
                    cwd=tmp_path,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    start_new_session=True,
                )
            state = tmp_path / "copy-state.json"
            deadline = time.monotonic() + 120
            while not state.exists():
                assert copy.poll() is None, log.read_text()[-3000:]  # ended before a STATE
                assert time.monotonic() < deadline, "no STATE came"
                time.sleep(0.05)
            os.killpg(copy.pid, signal.SIGKILL)
            assert copy.wait() == -signal.SIGKILL
        finally:
            source.configure(latency_ms=0)
        written = sum(
            len(coql(destination, f"select id from {m} where id is not null")) for m in CRM_MODULES
        )
        total = sum(
            len(coql(source, f"select id from {m} where id is not null")) for m in CRM_MODULES
        )
        assert 0 < written < total  # killed mid-load
        rerun = copied(command, tmp_path)
        assert rerun.returncode == 0, rerun.stderr[-3000:] + rerun.stdout
        summary = re.search(
            r"run total: ([\d,]+) created, ([\d,]+) updated, 0 deleted, 0 rejected", rerun.stderr
        )
        assert summary, rerun.stderr[-3000:]
        # What the kill left out is created; what came again since the last STATE, updated.
        assert int(summary[1].replace(",", "")) == total - written
        assert int(summary[2].replace(",", "")) < written  # it went on from the STATE
        assert_a_copy(source, destination)


def test_copy_org_copies_desk_contacts_accounts_and_tickets(
    source: Emulator, tmp_path: Path
) -> None:
    """Needs Desk lookups across orgs (accountId, contactId, ownerId, departmentId: branch
    i15-desk): fails until they are merged, passes with them (tried on a trial merge)."""
    with empty_org() as destination:
        run = copied(readme_copy(source, destination, tmp_path, desk=True), tmp_path)
        for module in DESK_MODULES:
            assert re.search(rf"^desk {module}: source (\d+), destination \1$", run.stdout, re.M), (
                run.stdout
            )
        assert run.returncode == 0, run.stderr[-3000:]
        # Desk has no source id field: a contact's copy is the one of its name and email.
        names = {row["id"]: row.get("accountName") for row in desk_rows(source, "accounts")}
        their = {row["id"]: row.get("accountName") for row in desk_rows(destination, "accounts")}
        originals = collections.Counter(map(person, sources := desk_rows(source, "contacts")))
        copies = collections.Counter(map(person, copied_rows := desk_rows(destination, "contacts")))
        assert copies == originals
        copy_of = {person(row): row for row in copied_rows}
        checked = 0
        for contact in sources:
            if contact.get("accountId") and originals[person(contact)] == 1:
                account = their[copy_of[person(contact)]["accountId"]]
                assert account == names[contact["accountId"]], contact
                checked += 1
        assert checked > 100, checked


def person(contact: dict[str, Any]) -> tuple[Any, ...]:
    """What tells a Desk contact from another, but its id."""
    return contact.get("firstName"), contact.get("lastName"), contact.get("email")


def desk_rows(org: Emulator, module: str) -> list[dict[str, Any]]:
    return [
        org.desk("GET", f"{module}/{record_id}").json()
        for record_id in sorted(desk_ids(org, module))
    ]


def test_a_destination_without_the_source_id_field_is_refused_at_schema(
    destination: Emulator, tmp_path: Path
) -> None:
    config = tap_config(destination, source_id_field=SOURCE_ID)
    schema = schema_message("crm_leads", {"id": {"type": "string"}}, ["id"])
    run = run_target(tmp_path, config, [schema, record_message("crm_leads", {"id": "1"})])
    assert run.returncode != 0
    assert f"source_id_field {SOURCE_ID} is no field of Leads" in run.stderr, run.stderr[-2000:]
