"""tap-zoho's config, checked before the first record: each product's org and credentials
(one call each), unknown settings, and the timeout."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import SingerRun, run_tap, selecting, tap_config, write_json

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CRM_CHECK = "GET /crm/{version}/org"
DESK_CHECK = "GET /api/v1/departments/count"


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with running_emulator("--records", "60", "--concurrency", "0") as emulator:
        yield emulator


def both(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    """A config of CRM (one small module) and Desk."""
    settings = {
        "desk_org_id": emulator.desk_org_id,
        "desk_url": emulator.url,
        "crm_modules": ["Price_Tiers"],
        **extra,
    }
    return tap_config(emulator, **settings)


@pytest.fixture(scope="module")
def catalog(server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_tap(tmp_path_factory.mktemp("checks"), both(server), discover=True)
    assert run.returncode == 0, run.stderr
    found: dict[str, Any] = run.messages[0]
    return found


@pytest.fixture
def emulator(server: Emulator) -> Emulator:
    server.reset()
    server.configure(latency_ms=0)
    return server


def all_records(run: SingerRun) -> list[dict[str, Any]]:
    return [message for message in run.messages if message["type"] == "RECORD"]


def test_each_product_is_checked_once_before_the_first_record(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    chosen = selecting(catalog, "crm_price_tiers", "desk_tickets", "desk_ticket_threads")
    run = run_tap(tmp_path, both(emulator), catalog=chosen)
    assert run.returncode == 0, run.stderr
    assert run.records("crm_price_tiers")
    assert run.records("desk_tickets")
    calls = emulator.stats()["by_endpoint"]
    assert calls[CRM_CHECK] == 1
    assert calls[DESK_CHECK] == 1
    assert run.stderr.index("Zoho Desk answers at") < run.stderr.index("crm_price_tiers")


@pytest.mark.parametrize(
    ("stream", "checked", "unchecked"),
    [("crm_price_tiers", CRM_CHECK, DESK_CHECK), ("desk_departments", DESK_CHECK, CRM_CHECK)],
)
def test_only_the_products_read_are_checked(
    emulator: Emulator,
    catalog: dict[str, Any],
    tmp_path: Path,
    stream: str,
    checked: str,
    unchecked: str,
) -> None:
    run = run_tap(tmp_path, both(emulator), catalog=selecting(catalog, stream))
    assert run.returncode == 0, run.stderr
    calls = emulator.stats()["by_endpoint"]
    assert calls[checked] == 1
    assert unchecked not in calls


def test_a_wrong_desk_org_id_fails_before_crm_is_read(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    chosen = selecting(catalog, "crm_price_tiers", "desk_tickets")
    run = run_tap(tmp_path, both(emulator, desk_org_id="123"), catalog=chosen)
    assert run.returncode != 0
    assert all_records(run) == []
    assert (
        "desk_org_id '123' is not an org of this token (OAUTH_ORG_MISMATCH): "
        f"set it to one of {emulator.desk_org_id} (" in run.stderr
    )
    assert "Traceback" not in run.stderr
    assert emulator.client_secret not in run.stderr
    # The checks and the list of the token's orgs, nothing read.
    assert set(emulator.stats()["by_endpoint"]) == {
        CRM_CHECK,
        DESK_CHECK,
        "GET /api/v1/organizations",
    }


def test_wrong_credentials_name_the_setting(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config = both(emulator, refresh_token="1000.not-a-token")
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_price_tiers"))
    assert run.returncode != 0
    assert "refresh_token: Zoho CRM refused it (invalid_code" in run.stderr
    assert "Traceback" not in run.stderr
    assert emulator.stats()["requests"] == 0


def test_a_refresh_limit_at_the_start_is_named_and_blames_no_setting(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    emulator.configure(refresh_limit=1)
    try:
        emulator.refresh().raise_for_status()  # another app took the window's refresh
        config = both(emulator, token_cache=False, token_refresh_wait=0)
        run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_price_tiers"))
    finally:
        emulator.configure(refresh_limit=10)
    assert run.returncode != 0
    assert all_records(run) == []
    assert run.stderr.splitlines()[-1].endswith(
        "Access Denied: You have made too many requests continuously. Please try again after "
        "some time. (HTTP 400). Zoho refreshes a refresh token at most ten times in ten "
        "minutes, and other processes or apps on the same refresh token took them; raise "
        "token_refresh_wait, or give each pipeline a refresh token of its own"
    )
    assert "refused the credentials" not in run.stderr
    assert "Config validation failed" not in run.stderr


def test_a_desk_scope_missing_names_the_refresh_token(tmp_path: Path) -> None:
    scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,Desk.tickets.READ"
    with running_emulator("--records", "5", "--scopes", scopes) as narrow:
        run = run_tap(tmp_path, both(narrow))  # discovery, then every stream
        assert run.returncode != 0
        assert "refresh_token lacks a scope Zoho Desk needs (SCOPE_MISMATCH" in run.stderr
        assert "needs Desk.basic.READ" in run.stderr
        assert all_records(run) == []


def test_a_typo_in_a_setting_is_refused_before_any_call(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config = both(emulator, n_concurent=1)
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_price_tiers"))
    assert run.returncode != 0
    assert "tap-zoho has no setting 'n_concurent': did you mean 'n_concurrent'?" in run.stderr
    assert emulator.stats()["requests"] == 0


def test_other_unknown_settings_are_warned_by_name(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path
) -> None:
    # A config shared with target-zoho: its settings are no typos of the tap's.
    config = both(emulator, batch_size=50, rejects_path="rejects.jsonl", stream_maps={})
    run = run_tap(tmp_path, config, catalog=selecting(catalog, "crm_price_tiers"))
    assert run.returncode == 0, run.stderr
    assert "tap-zoho has no setting 'batch_size': it is ignored" in run.stderr
    assert "tap-zoho has no setting 'rejects_path': it is ignored" in run.stderr
    assert "'stream_maps'" not in run.stderr  # the SDK's own settings are known


@pytest.mark.parametrize(
    ("stream", "check"),
    [("crm_price_tiers", CRM_CHECK), ("desk_departments", DESK_CHECK)],
)
def test_an_answer_slower_than_timeout_is_abandoned_and_retried(
    emulator: Emulator, catalog: dict[str, Any], tmp_path: Path, stream: str, check: str
) -> None:
    """Zoho answers in 2.5 s, the tap waits 1 s: the check is retried until Zoho speeds up."""
    emulator.configure(latency_ms=2500)
    command = [
        sys.executable,
        "-m",
        "tap_zoho",
        "--config",
        str(write_json(tmp_path / "config.json", both(emulator, timeout=1))),
        "--catalog",
        str(write_json(tmp_path / "catalog.json", selecting(catalog, stream))),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as tap:
        deadline = time.monotonic() + 30
        while emulator.stats()["by_endpoint"].get(check, 0) < 2:
            assert time.monotonic() < deadline, "no call was retried: the timeout is not honoured"
            time.sleep(0.1)
        emulator.configure(latency_ms=0)
        _, stderr = tap.communicate(timeout=120)
    assert tap.returncode == 0, stderr
    assert "ReadTimeout; retry 1/" in stderr
