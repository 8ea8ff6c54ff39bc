"""target-zoho's config, checked before the first write: the products the config names (one
call each, at start), unknown settings, and the timeout."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import record_message, run_target, schema_message, tap_config, write_json
from zoho_plugin.checks import unknown_settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CRM_CHECK = "GET /crm/{version}/org"
DESK_CHECK = "GET /api/v1/departments/count"
PEOPLE = {"product": "crm", "module": "Contacts", "sync_key": "Email"}
CUSTOMERS = {"product": "desk", "module": "contacts", "sync_key": "email"}


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with running_emulator("--records", "10", "--concurrency", "0") as emulator:
        yield emulator


@pytest.fixture
def emulator(server: Emulator) -> Emulator:
    server.reset()
    server.configure(latency_ms=0)
    return server


def config_of(emulator: Emulator, streams: dict[str, Any], **extra: Any) -> dict[str, Any]:
    settings = {
        "desk_org_id": emulator.desk_org_id,
        "desk_url": emulator.url,
        "streams": streams,
        **extra,
    }
    return tap_config(emulator, **settings)


def people(n: int) -> list[dict[str, Any]]:
    schema = {"Email": {"type": "string"}, "Last_Name": {"type": "string"}}
    return [
        schema_message("people", schema, []),
        *(
            record_message("people", {"Email": f"p{i}@example.test", "Last_Name": f"P{i}"})
            for i in range(n)
        ),
    ]


def customers(n: int) -> list[dict[str, Any]]:
    schema = {"email": {"type": "string"}, "lastName": {"type": "string"}}
    return [
        schema_message("customers", schema, []),
        *(
            record_message("customers", {"email": f"c{i}@example.test", "lastName": f"C{i}"})
            for i in range(n)
        ),
    ]


def writes(emulator: Emulator) -> list[str]:
    return [call for call in emulator.stats()["by_endpoint"] if not call.startswith("GET ")]


def test_each_product_is_checked_once(emulator: Emulator, tmp_path: Path) -> None:
    config = config_of(emulator, {"people": PEOPLE, "customers": CUSTOMERS})
    run = run_target(tmp_path, config, [*people(150), *customers(3)])
    assert run.returncode == 0, run.stderr
    calls = emulator.stats()["by_endpoint"]
    assert calls[CRM_CHECK] == 1
    assert calls[DESK_CHECK] == 1
    assert writes(emulator)


def test_desk_alone_checks_only_desk(emulator: Emulator, tmp_path: Path) -> None:
    run = run_target(tmp_path, config_of(emulator, {"customers": CUSTOMERS}), customers(2))
    assert run.returncode == 0, run.stderr
    calls = emulator.stats()["by_endpoint"]
    assert calls[DESK_CHECK] == 1
    assert CRM_CHECK not in calls


def test_a_wrong_desk_org_id_fails_before_any_write(emulator: Emulator, tmp_path: Path) -> None:
    """CRM's records come first: none is written when Desk's org is wrong."""
    config = config_of(emulator, {"people": PEOPLE, "customers": CUSTOMERS}, desk_org_id="123")
    run = run_target(tmp_path, config, [*people(150), *customers(3)])
    assert run.returncode != 0
    assert (
        "desk_org_id '123' is not an org of this token (OAUTH_ORG_MISMATCH): "
        f"set it to one of {emulator.desk_org_id} (" in run.stderr
    )
    assert "Traceback" not in run.stderr
    assert emulator.client_secret not in run.stderr
    assert writes(emulator) == []
    assert run.states() == []


def test_a_typo_in_a_setting_is_refused_before_any_call(emulator: Emulator, tmp_path: Path) -> None:
    config = config_of(emulator, {"people": PEOPLE}, batch_sise=10)
    run = run_target(tmp_path, config, people(1))
    assert run.returncode != 0
    assert "target-zoho has no setting 'batch_sise': did you mean 'batch_size'?" in run.stderr
    assert emulator.stats()["requests"] == 0


def settings_of(package: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", package, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout)["settings"]["properties"])


def test_one_plugins_settings_are_no_typos_of_the_others() -> None:
    """A config file shared by tap and target is warned about, never refused."""
    tap, target = settings_of("tap_zoho"), settings_of("target_zoho")
    assert "timeout" in tap & target
    for plugin, known, given in (("tap-zoho", tap, target), ("target-zoho", target, tap)):
        typos, others = unknown_settings(plugin, dict.fromkeys(given), known)
        assert typos == []
        assert len(others) == len(given - known)


def test_an_answer_slower_than_timeout_is_abandoned_and_retried(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Zoho answers in 2.5 s, the target waits 1 s: its check is retried until Zoho speeds up."""
    emulator.configure(latency_ms=2500)
    config = config_of(emulator, {"people": PEOPLE}, desk_org_id=None, timeout=1)
    command = [
        sys.executable,
        "-m",
        "target_zoho",
        "--config",
        str(write_json(tmp_path / "target.json", config)),
    ]
    lines = "".join(json.dumps(message) + "\n" for message in people(2))
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as target:
        deadline = time.monotonic() + 30
        while emulator.stats()["by_endpoint"].get(CRM_CHECK, 0) < 2:
            assert time.monotonic() < deadline, "no call was retried: the timeout is not honoured"
            time.sleep(0.1)
        emulator.configure(latency_ms=0)
        _, stderr = target.communicate(lines, timeout=120)
    assert target.returncode == 0, stderr
    assert "ReadTimeout; retry 1/" in stderr
