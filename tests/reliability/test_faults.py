"""The fault matrix, for tap-zoho and target-zoho: 5xx answers, dropped connections, answers
slower than the plugin's timeout, 429 storms, access tokens expiring mid-run, a refresh token
revoked mid-run and the org's API credits spent mid-run. Each run either completes with every
record (compared with the org itself) or stops loudly, non-zero, naming the cause, with a STATE
the next run resumes from without a loss (and, for the target, without a record twice)."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.harness import (
    Attempt,
    TapDelivery,
    bookmark_instant,
    calm,
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
    quiet,
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
        spend: The org's daily API credits run out after this share of what the run costs
            without a fault (counted by a clean run first).
    """

    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    hogs: int = 0
    during: Callable[[Emulator], None] | None = None
    stat: str | None = None
    refreshes: int = 0
    fatal: str | None = None
    spend: float | None = None

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
    # Zoho does a late call's work: the timed-out call is repeated only when that is harmless
    # (a read, the target's upsert on its key), so no record is written twice.
    "slow-answers": Fault(
        settings={"slow_rate": 0.1, "slow_ms": 3000}, config={"timeout": 1}, stat="answers_slowed"
    ),
    "token-expired-mid-run": Fault(settings={"latency_ms": 40}, during=expire, refreshes=2),
    "short-token-lifetime": Fault(settings={"token_lifetime": 1, "latency_ms": 60}, refreshes=2),
    "refresh-token-revoked": Fault(
        settings={"latency_ms": 40}, during=revoke, fatal="invalid_code"
    ),
    "credits-spent": Fault(
        stat="credits_exhausted", fatal="Zoho's API credits for the day are spent", spend=0.5
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
    # Spent credits are no record's failure: they stop the run even past failed records.
    "credits-spent": dataclasses.replace(FAULTS["credits-spent"], config={"allow_failures": True}),
}
TAP_STREAMS = ("crm_leads", "desk_contacts")


def settings_of(
    emulator: Emulator, fault: Fault, clean_run: Callable[[], Attempt]
) -> dict[str, Any]:
    """The emulator settings of a row; for spent credits, ``daily_credits`` from ``clean_run``.

    The clean run's cost is counted by the emulator; the org is then restored (what the run
    wrote is gone, the credits count from zero).
    """
    if fault.spend is None:
        return fault.settings
    before = emulator.stats()["credits"]
    clean = clean_run()
    assert clean.returncode == 0, clean.stderr[-3000:]
    cost = emulator.stats()["credits"] - before
    calm(emulator)
    return {**fault.settings, "daily_credits": max(1, int(cost * fault.spend))}


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

    def run(name: str, on_line: Callable[[int, Any], None] | None = None) -> Attempt:
        return run_process(
            tap_command(tmp_path / name, config, chosen), tmp_path / name, on_line=on_line
        )

    settings = settings_of(source, fault, lambda: run("clean"))
    source.token()
    before = source.stats()
    source.configure(**settings)
    during = once_after_state(fault.act(source)) if fault.during else None
    hogs = hogging(source, fault.hogs) if fault.hogs else contextlib.nullcontext()
    with hogs:
        attempt = run("run", during)
    met(source, fault, before)
    quiet(source)
    delivery = TapDelivery()
    delivery.absorb(attempt)
    if fault.fatal:
        assert attempt.returncode > 0, attempt.stderr[-3000:]
        assert fault.fatal in attempt.stderr, attempt.stderr[-3000:]
        assert delivery.state is not None, "no STATE before the fault"
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
    # Drains of 40 records (ROUNDS x n_concurrent x batch_size): faults come mid-run.
    config = people_target_config(blank, **{"n_concurrent": 4, "batch_size": 2, **fault.config})
    messages = people_input(records, 20)
    settings = settings_of(
        blank, fault, lambda: target_attempt(tmp_path / "clean", config, messages)
    )
    blank.token()
    before = blank.stats()
    blank.configure(**settings)
    during = once_after_state(fault.act(blank)) if fault.during else None
    attempt = target_attempt(tmp_path / "run", config, messages, on_line=during)
    met(blank, fault, before)
    quiet(blank)
    state = attempt.lines[-1] if attempt.lines else None
    stored = crm_emails(blank, "Contacts", f"{tag}.%")
    # Its last STATE promised the records before it.
    assert {r["email"] for r in records[: done_of(state)]} <= set(stored)
    if fault.fatal:
        assert attempt.returncode > 0, attempt.stderr[-3000:]
        assert fault.fatal in attempt.stderr, attempt.stderr[-3000:]
        assert 0 < done_of(state) < len(records), attempt.stderr[-3000:]
        resumed = target_attempt(tmp_path / "resume", config, people_input(records, 20, state))
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        state = resumed.lines[-1]
    else:
        assert attempt.returncode == 0, attempt.stderr[-3000:]
    assert done_of(state) == len(records)
    stored = crm_emails(blank, "Contacts", f"{tag}.%")
    assert sorted(stored) == sorted(r["email"] for r in records)  # none missing, none twice
