"""A user's mistake, run as a real tap-zoho or target-zoho process against the emulator: the run
ends with exit code 1 and one line on stderr naming the culprit, its last; the traceback only
with debug logging (``TAP_ZOHO_LOGLEVEL`` / ``TARGET_ZOHO_LOGLEVEL``, as singer-sdk reads it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.singer import (
    SingerRun,
    record_message,
    run_tap,
    run_target,
    schema_message,
    selecting,
    tap_config,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.server import Emulator

PEOPLE = {"product": "crm", "module": "Contacts", "sync_key": "Email"}
SCHEMA = schema_message(
    "people", {"Email": {"type": "string"}, "Last_Name": {"type": "string"}}, []
)


def prices(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    """A tap config of one small CRM module."""
    return tap_config(emulator, crm_modules=["Price_Tiers"], **extra)


def missing_setting(emulator: Emulator, workdir: Path, env: dict[str, str]) -> SingerRun:
    config = prices(emulator)
    del config["refresh_token"]
    return run_tap(workdir, config, env=env)


def wrong_client_secret(emulator: Emulator, workdir: Path, env: dict[str, str]) -> SingerRun:
    return run_tap(workdir, prices(emulator, client_secret="not-the-secret"), env=env)


def unknown_data_center(emulator: Emulator, workdir: Path, env: dict[str, str]) -> SingerRun:
    config = tap_config(emulator, data_center="mars", streams={"people": PEOPLE})
    return run_target(workdir, config, [SCHEMA], env=env)


def malformed_input_line(emulator: Emulator, workdir: Path, env: dict[str, str]) -> SingerRun:
    config = tap_config(emulator, streams={"people": PEOPLE})
    person = record_message("people", {"Email": "ann@mistakes.test", "Last_Name": "Ann"})
    return run_target(workdir, config, [SCHEMA, person, b'{"type": "RECORD", "str'], env=env)


def renamed(stream: str, name: str) -> Callable[[Emulator, Path, dict[str, str]], SingerRun]:
    """The mistake of a discovered catalog whose ``stream`` is renamed ``name``."""

    def run(emulator: Emulator, workdir: Path, env: dict[str, str]) -> SingerRun:
        config = prices(emulator, desk_url=emulator.url, desk_org_id=emulator.desk_org_id)
        found = run_tap(workdir, config, discover=True)
        assert found.returncode == 0, found.stderr[-3000:]
        catalog = selecting(found.messages[0], stream)
        (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == stream]
        entry["tap_stream_id"] = entry["stream"] = name
        return run_tap(workdir, config, catalog=catalog, env=env)

    return run


MISTAKES: dict[str, tuple[str, Callable[[Emulator, Path, dict[str, str]], SingerRun], str]] = {
    "missing setting": ("tap-zoho", missing_setting, "'refresh_token' is a required property"),
    "wrong client secret": (
        "tap-zoho",
        wrong_client_secret,
        "client_id / client_secret: Zoho CRM refused it (invalid_client: Zoho Accounts refused "
        "to refresh the access token): check them, and that data_center (or accounts_url) is "
        "the data center the client was registered in",
    ),
    "unknown data center": (
        "target-zoho",
        unknown_data_center,
        "'mars' is not one of ['us', 'eu', 'in', 'au', 'cn', 'jp', 'ca', 'sa'] in "
        "config['data_center']",
    ),
    "malformed input line": (
        "target-zoho",
        malformed_input_line,
        "line 3: not JSON (JSON is malformed: invalid character (byte 23)); records before it "
        "were written: fix the input and rerun from the last STATE",
    ),
    "renamed catalog stream": (
        "tap-zoho",
        renamed("crm_price_tiers", "crm_leads"),  # Leads is a module too
        "catalog stream 'crm_leads' names module Price_Tiers (schema-name), whose stream is "
        "'crm_price_tiers': keep the stream names --discover gives (rename streams with "
        "stream_maps)",
    ),
    "renamed desk stream": (
        "tap-zoho",
        renamed("desk_contacts", "desk_customers"),
        "catalog stream 'desk_customers' names no Desk module (Desk's streams: desk_tickets, "
        "desk_contacts, desk_accounts, desk_tasks, desk_calls, desk_events)",
    ),
}


@pytest.mark.parametrize("debug", [False, True], ids=["default", "debug"])
@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_mistake_ends_in_one_line_naming_it(
    emulator: Emulator, tmp_path: Path, mistake: str, debug: bool
) -> None:
    plugin, make, message = MISTAKES[mistake]
    level = f"{plugin.upper().replace('-', '_')}_LOGLEVEL"
    run = make(emulator, tmp_path, {level: "debug" if debug else "info"})
    assert run.returncode == 1, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines[-1] == f"{plugin}: {message}"
    assert [line for line in lines if line.startswith(f"{plugin}: ")] == [lines[-1]]
    assert ("Traceback (most recent call last)" in run.stderr) is debug, run.stderr[-3000:]
    assert emulator.client_secret not in run.stderr
    assert not [message for message in run.messages if message["type"] == "RECORD"]
