"""Secrets at DEBUG logging: a tap run and a target run (tokens expiring mid-run, a refresh
token revoked, a rejected record) with known secret values, grepped in stdout, stderr and every
file the runs wrote; the token cache alone holds the access token, in an owner-only file."""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.harness import (
    calm,
    discover,
    once_after_state,
    people,
    people_input,
    people_target_config,
    plugin_config,
    revoke_refresh_token,
    run_process,
    tap_command,
    target_attempt,
)
from tests.server import Emulator, running_emulator
from tests.singer import selecting

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.reliability

CLIENT_SECRET = "cs-7Hq2x9SECRET-client-secret-Zk4"
REFRESH_TOKEN = "1000.rt-SECRET-refresh-token.Mv8Qp3"
#: The files the test itself writes with the secrets in them: the plugins' inputs.
INPUTS = {"config.json", "target.json"}
DEBUG = {"TAP_ZOHO_LOGLEVEL": "DEBUG", "TARGET_ZOHO_LOGLEVEL": "DEBUG"}


@pytest.fixture(scope="module")
def org() -> Iterator[Emulator]:
    flags = ["--records", "300", "--concurrency", "0", "--latency-ms", "10"]
    flags += ["--client-secret", CLIENT_SECRET, "--refresh-token", REFRESH_TOKEN]
    with running_emulator(*flags) as emulator:
        yield emulator
        calm(emulator)


def cached_tokens(cache: Path) -> set[str]:
    return {json.loads(path.read_text())["access_token"] for path in cache.glob("*.json")}


def test_no_secret_reaches_output_or_files(org: Emulator, tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = tmp_path / "cache" / "zoho-singer"  # XDG_CACHE_HOME is the test's own
    env = {**DEBUG, "HOME": str(home), "TMPDIR": str(tmp_path / "tmp")}
    for folder in (home, tmp_path / "tmp"):
        folder.mkdir()
    tokens: set[str] = set()

    def expire() -> None:
        tokens.update(cached_tokens(cache))
        org.expire_tokens()

    config = plugin_config(org, crm_modules=["Leads"], include_deletes=True, page_size=100)
    catalog = selecting(discover(tmp_path / "discover", config), "crm_leads", "desk_contacts")
    runs = [
        run_process(
            tap_command(tmp_path / "tap", config, catalog),
            tmp_path / "tap",
            on_line=once_after_state(expire),
            env=env,
        )
    ]
    tokens.update(cached_tokens(cache))
    target_config = people_target_config(
        org,
        rejects_path=str(tmp_path / "target" / "rejects.jsonl"),
        allow_failures=True,
        n_concurrent=1,
    )
    records: list[dict[str, Any]] = people(100, "secrets")
    records[5]["email"] = "not an email"  # rejected: its failure is logged and kept
    org.configure(latency_ms=40)  # STATE before the load is over: tokens expire mid-load
    runs.append(
        target_attempt(
            tmp_path / "target",
            target_config,
            people_input(records, 10),
            on_line=once_after_state(expire),
            env=env,
        )
    )
    tokens.update(cached_tokens(cache))
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-3000:]
    assert (tmp_path / "target" / "rejects.jsonl").read_text()
    # The cache: one owner-only file in an owner-only folder, the access token once in it.
    (kept,) = cache.glob("*.json")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert kept.read_text().count(next(iter(cached_tokens(cache)))) == 1
    # Error paths at DEBUG: the refresh token revoked mid-run.
    revoke_refresh_token(org)
    runs.append(
        run_process(
            tap_command(tmp_path / "revoked", config, catalog), tmp_path / "revoked", env=env
        )
    )
    revoke_refresh_token(org, revoked=False)
    assert runs[-1].returncode > 0
    assert "invalid_code" in runs[-1].stderr
    assert len(tokens) >= 3  # the first, the one after the expiry, the target's after its own
    assert any("DEBUG" in run.stderr for run in runs)

    secrets = {CLIENT_SECRET, REFRESH_TOKEN, *tokens}
    for run in runs:
        text = run.stderr + json.dumps(run.lines)
        assert not [secret for secret in secrets if secret in text]
    written = [
        path
        for path in tmp_path.rglob("*")
        if path.is_file() and path.name not in INPUTS and path != kept
    ]
    assert {"stderr.log", "catalog.json", "rejects.jsonl"} <= {path.name for path in written}
    for path in written:
        text = path.read_bytes().decode("utf-8", "replace")
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (path, leaked)
