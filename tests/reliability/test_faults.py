"""The fault matrix, for tap-zoho and target-zoho: 5xx answers, dropped connections, 429
storms, access tokens expiring mid-run and a refresh token revoked mid-run. Each run either
completes with every record (compared with the org itself) or stops loudly, non-zero, naming
the cause, with a STATE the next run resumes from without a loss."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.harness import (
    TapDelivery,
    bookmark_instant,
    crm_emails,
    crm_newest,
    crm_truth,
    desk_newest,
    done_of,
    hogging,
    once_after_state,
    people,
    people_input,
    people_target_config,
    plugin_config,
    revoke_refresh_token,
    run_process,
    tap_command,
    tap_runs,
    target_attempt,
)
from tests.server import desk_ids
from tests.singer import selecting

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.server import Emulator

pytestmark = pytest.mark.reliability


@dataclasses.dataclass(frozen=True)
class Fault:
    """One row of the matrix.

    Attributes:
        settings: Emulator settings for the run.
        config: Plugin settings for the run.
        hogs: Other clients calling the org meanwhile (its concurrency limit is shared).
        during: Done to the emulator at the run's first STATE.
        stat: The emulator counter (under ``faults``) proving the fault was met, if any.
        refreshes: Token refreshes the run must have made, at least.
        fatal: The run must stop, non-zero, with this in its stderr.
    """

    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    hogs: int = 0
    during: Callable[[Emulator], None] | None = None
    stat: str | None = None
    refreshes: int = 0
    fatal: str | None = None

    def act(self, emulator: Emulator) -> Callable[[], None]:
        """``during`` bound to an emulator."""
        during = self.during
        assert during is not None
        return lambda: during(emulator)


def expire(emulator: Emulator) -> None:
    emulator.expire_tokens()


def revoke(emulator: Emulator) -> None:
    revoke_refresh_token(emulator)


FAULTS = {
    "5xx": Fault(settings={"error_rate": 0.15}, stat="errors_injected"),
    "dropped-connections": Fault(settings={"drop_rate": 0.1}, stat="connections_dropped"),
    "token-expired-mid-run": Fault(settings={"latency_ms": 40}, during=expire, refreshes=2),
    "short-token-lifetime": Fault(settings={"token_lifetime": 1, "latency_ms": 60}, refreshes=2),
    "refresh-token-revoked": Fault(
        settings={"latency_ms": 40}, during=revoke, fatal="invalid_code"
    ),
}
TAP_FAULTS = {
    **FAULTS,
    "429-storm": Fault(
        settings={"concurrency": 2, "latency_ms": 30}, hogs=2, stat="concurrency_exceeded"
    ),
}
TARGET_FAULTS = {
    **FAULTS,
    # One write call at a time, so that the load outlives a token.
    "short-token-lifetime": dataclasses.replace(
        FAULTS["short-token-lifetime"], config={"n_concurrent": 1}
    ),
    "429-storm": Fault(
        settings={"concurrency": 2, "latency_ms": 20},
        config={"n_concurrent": 8},
        stat="concurrency_exceeded",
    ),
}
TAP_STREAMS = ("crm_leads", "desk_contacts")


def met(emulator: Emulator, fault: Fault, before: dict[str, Any]) -> None:
    """Assert the run met the fault (counted by the emulator, not by the plugin)."""
    stats = emulator.stats()
    if fault.stat:
        assert stats["faults"].get(fault.stat, 0) > 0, stats["faults"]
    assert stats["token_refreshes"] - before["token_refreshes"] >= fault.refreshes, stats


@pytest.mark.parametrize("name", list(TAP_FAULTS))
def test_the_tap_under_a_fault(
    source: Emulator, source_catalog: dict[str, Any], tmp_path: Path, name: str
) -> None:
    fault = TAP_FAULTS[name]
    config = plugin_config(
        source, include_deletes=False, read_strategy="rest", page_size=100, **fault.config
    )
    chosen = selecting(source_catalog, *TAP_STREAMS)
    source.token()
    before = source.stats()
    source.configure(**fault.settings)
    during = once_after_state(fault.act(source)) if fault.during else None
    hogs = hogging(source, fault.hogs) if fault.hogs else contextlib.nullcontext()
    with hogs:
        attempt = run_process(
            tap_command(tmp_path / "run", config, chosen), tmp_path / "run", on_line=during
        )
    met(source, fault, before)
    source.configure(error_rate=0, drop_rate=0, concurrency=0, latency_ms=0, token_lifetime=3600)
    delivery = TapDelivery()
    delivery.absorb(attempt)
    if fault.fatal:
        assert attempt.returncode > 0, attempt.stderr[-3000:]
        assert fault.fatal in attempt.stderr, attempt.stderr[-3000:]
        revoke_refresh_token(source, revoked=False)
        # The STATE it left: the next run, from there, delivers the rest.
        tap_runs(tmp_path / "resume", config, chosen, delivery=delivery)
    else:
        assert attempt.returncode == 0, attempt.stderr[-3000:]
    leads = crm_truth(source, "Leads")
    assert delivery.ids("crm_leads") == set(leads)
    assert delivery.ids("desk_contacts") == desk_ids(source, "contacts")
    assert bookmark_instant(delivery.state, "crm_leads") == crm_newest(leads)
    assert bookmark_instant(delivery.state, "desk_contacts") == desk_newest(source, "contacts")


@pytest.mark.parametrize("name", list(TARGET_FAULTS))
def test_the_target_under_a_fault(blank: Emulator, tmp_path: Path, name: str) -> None:
    fault = TARGET_FAULTS[name]
    tag = f"fault-{name}"
    records = people(200, tag)
    config = people_target_config(blank, **{"n_concurrent": 4, **fault.config})
    blank.token()
    before = blank.stats()
    blank.configure(**fault.settings)
    during = once_after_state(fault.act(blank)) if fault.during else None
    attempt = target_attempt(tmp_path / "run", config, people_input(records, 20), on_line=during)
    met(blank, fault, before)
    blank.configure(error_rate=0, drop_rate=0, concurrency=0, latency_ms=0, token_lifetime=3600)
    state = attempt.lines[-1] if attempt.lines else None
    if fault.fatal:
        revoke_refresh_token(blank, revoked=False)
    stored = crm_emails(blank, "Contacts", f"{tag}.%")
    # Its last STATE promised the records before it.
    assert {r["email"] for r in records[: done_of(state)]} <= set(stored)
    if fault.fatal:
        assert attempt.returncode > 0, attempt.stderr[-3000:]
        assert fault.fatal in attempt.stderr, attempt.stderr[-3000:]
        assert done_of(state) < len(records)
        resumed = target_attempt(tmp_path / "resume", config, people_input(records, 20, state))
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        state = resumed.lines[-1]
    else:
        assert attempt.returncode == 0, attempt.stderr[-3000:]
    assert done_of(state) == len(records)
    stored = crm_emails(blank, "Contacts", f"{tag}.%")
    assert sorted(stored) == sorted(r["email"] for r in records)  # none missing, none twice
