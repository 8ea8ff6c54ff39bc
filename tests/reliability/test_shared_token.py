"""One refresh token shared by plugin processes at once, and Zoho's refresh limit.

Zoho mints at most ten access tokens per refresh token in ten minutes and answers the next
refresh ``Access Denied``. Taps and targets on one refresh token share its access token
through the token cache (a file, and a lock beside it), so that together they refresh once per
expiry; a refresh refused for the limit is tried again until ``token_refresh_wait`` has passed,
and then the run stops, naming the limit, with a STATE the next run goes on from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import math
import re
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.reliability.harness import (
    Attempt,
    TapDelivery,
    bookmark_instant,
    crm_emails,
    crm_newest,
    crm_truth,
    desk_newest,
    done_of,
    once_after_state,
    people,
    people_input,
    people_target_config,
    plugin_config,
    run_process,
    tap_command,
    tap_runs,
    target_attempt,
)
from tests.server import desk_ids
from tests.singer import selecting
from zoho_connector.auth import EXPIRY_MARGIN

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from pathlib import Path

    from tests.server import Emulator

pytestmark = pytest.mark.reliability

TAP_STREAMS = ("crm_leads", "desk_contacts")
#: Taps reading the source org at once, and as many targets writing the blank org.
PROCESSES = 3
#: Seconds an access token lives in the concurrent trial.
LIFETIME = 2
#: Seconds a plugin uses a token before it is due for renewal (auth's margin, a tenth of its
#: life): processes that share refresh at most once in this time.
RENEWAL = LIFETIME - min(EXPIRY_MARGIN, LIFETIME / 10)
#: Seconds Zoho Accounts takes to mint a token in the concurrent trial (the emulator's token
#: endpoint answers at once): processes due for a token together race for this long.
MINTING = 0.15
#: Zoho's error for a refresh past its limit, and the plugins' log of waiting for the window.
THROTTLED = "Access Denied"
WAITING = re.compile(
    r"refuses new access tokens for now .*: trying again at \d\d:\d\d:\d\d UTC, "
    r"giving up at \d\d:\d\d:\d\d UTC \(token_refresh_wait\)"
)


@dataclasses.dataclass(frozen=True)
class Timed:
    """A run, and when it started and ended (``time.monotonic``)."""

    attempt: Attempt
    started: float
    ended: float


def concurrently(jobs: Mapping[str, Callable[[], Attempt]]) -> dict[str, Timed]:
    """Run the jobs at once, each in a thread of its own; their runs by name."""
    done: dict[str, Timed] = {}

    def run(name: str, job: Callable[[], Attempt]) -> None:
        started = time.monotonic()
        attempt = job()
        done[name] = Timed(attempt, started, time.monotonic())

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(done) == set(jobs), "a run raised"
    return done


def span(runs: Iterable[Timed]) -> float:
    """Seconds from the first run's start to the last one's end."""
    chosen = list(runs)
    return max(run.ended for run in chosen) - min(run.started for run in chosen)


@contextlib.contextmanager
def slow_accounts(emulator: Emulator, seconds: float) -> Iterator[str]:
    """The emulator's token endpoint answering in ``seconds``, as Zoho Accounts does; its URL.

    A relay: each request waits, then goes on to the emulator, whose answer comes back.
    """

    class Relay(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(seconds)
            kind = {"Content-Type": self.headers.get("Content-Type") or ""}
            answer = requests.post(emulator.url + self.path, data=body, headers=kind, timeout=30)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def refreshes(emulator: Emulator) -> int:
    """Access tokens the emulator has minted since its last reset."""
    count: int = emulator.stats()["token_refreshes"]
    return count


def spend_refresh_limit(emulator: Emulator) -> None:
    """Refresh the org's refresh token until Zoho refuses, as other apps on it would."""
    for _ in range(100):
        if emulator.refresh().json().get("error") == THROTTLED:
            return
    pytest.fail("the emulator never refused a refresh")


def take_refreshes(emulator: Emulator, count: int) -> None:
    """Take ``count`` refreshes of the org's refresh token, the first since its reset."""
    for _ in range(count):
        emulator.refresh().raise_for_status()
    assert refreshes(emulator) == count


def relax(emulator: Emulator) -> None:
    """Long-lived tokens and no latency, to read what the runs left."""
    emulator.configure(token_lifetime=3600, latency_ms=0)
    emulator.forget_token()


def delivered(*attempts: Attempt) -> TapDelivery:
    """What a pipeline holds after the tap's runs."""
    delivery = TapDelivery()
    for attempt in attempts:
        delivery.absorb(attempt)
    return delivery


@dataclasses.dataclass(frozen=True)
class SourceTruth:
    """What the source org holds of the tap's streams: ids, and the newest record's time."""

    leads: set[str]
    leads_newest: dt.datetime
    contacts: set[str]
    contacts_newest: dt.datetime

    @classmethod
    def of(cls, source: Emulator) -> SourceTruth:
        """Read from the org itself."""
        leads = crm_truth(source, "Leads")
        contacts = desk_ids(source, "contacts")
        return cls(set(leads), crm_newest(leads), contacts, desk_newest(source, "contacts"))

    def assert_delivered(self, delivery: TapDelivery) -> None:
        """Every record delivered, and the bookmarks at the newest (the next run reads on)."""
        assert delivery.ids("crm_leads") == self.leads, delivery.stderr()
        assert delivery.ids("desk_contacts") == self.contacts, delivery.stderr()
        assert bookmark_instant(delivery.state, "crm_leads") == self.leads_newest
        assert bookmark_instant(delivery.state, "desk_contacts") == self.contacts_newest


def assert_written_once(blank: Emulator, records: list[dict[str, Any]], tag: str) -> None:
    """Every record of a tag is in Zoho, none twice."""
    stored = crm_emails(blank, "Contacts", f"{tag}.%")
    assert sorted(stored) == sorted(r["email"] for r in records)


def test_taps_and_targets_on_one_refresh_token_share_its_tokens(
    source: Emulator, blank: Emulator, source_catalog: dict[str, Any], tmp_path: Path
) -> None:
    # Zoho's own limit and window (ten in ten minutes): the whole trial is in one window. A
    # refresh refused for it fails the run at once (token_refresh_wait 0): none may be.
    batches = {f"shared{n}": people(300, f"shared{n}") for n in range(PROCESSES)}
    chosen = selecting(source_catalog, *TAP_STREAMS)
    for emulator in (source, blank):
        emulator.configure(token_lifetime=LIFETIME, latency_ms=60)
    before = {"source": refreshes(source), "blank": refreshes(blank)}
    with (
        slow_accounts(source, MINTING) as source_accounts,
        slow_accounts(blank, MINTING) as blank_accounts,
    ):
        tap_config = plugin_config(
            source,
            accounts_url=source_accounts,
            include_deletes=False,
            read_strategy="rest",
            page_size=20,
            token_refresh_wait=0,
        )
        # Each target's people are a tag of their own; one write call at a time, so that the
        # load outlives a few tokens.
        target_config = people_target_config(
            blank, accounts_url=blank_accounts, batch_size=5, n_concurrent=1, token_refresh_wait=0
        )

        def tap(name: str) -> Callable[[], Attempt]:
            workdir = tmp_path / name
            return lambda: run_process(tap_command(workdir, tap_config, chosen), workdir)

        def target(tag: str) -> Callable[[], Attempt]:
            messages = people_input(batches[tag], 20)
            return lambda: target_attempt(tmp_path / tag, target_config, messages)

        jobs = {f"tap{n}": tap(f"tap{n}") for n in range(PROCESSES)}
        jobs.update({tag: target(tag) for tag in batches})
        runs = concurrently(jobs)
    made = {
        "source": refreshes(source) - before["source"],
        "blank": refreshes(blank) - before["blank"],
    }
    relax(source)
    relax(blank)

    for name, run in runs.items():
        stderr = run.attempt.stderr
        assert run.attempt.returncode == 0, (name, stderr[-3000:])
        assert THROTTLED not in stderr, (name, stderr[-3000:])
        assert not WAITING.search(stderr), (name, stderr[-3000:])
    truth = SourceTruth.of(source)
    for name, run in runs.items():
        if name.startswith("tap"):
            truth.assert_delivered(delivered(run.attempt))
        else:
            assert done_of(run.attempt.lines[-1]) == len(batches[name])
            assert_written_once(blank, batches[name], name)
    # Processes that share refresh once per expiry: from the first one's start to the last
    # one's end, a token at first and one a RENEWAL after it, and one more for a token Zoho
    # finds expired in flight. Each refreshing for itself would take about PROCESSES times as
    # many (and pass Zoho's ten); at least three tokens show the runs outlived two.
    for org, prefix in (("source", "tap"), ("blank", "shared")):
        seconds = span(run for name, run in runs.items() if name.startswith(prefix))
        bound = math.floor(seconds / RENEWAL) + 2
        assert 3 <= made[org] <= bound, (org, made[org], bound, seconds)


def test_a_spent_refresh_limit_is_waited_out_and_the_runs_complete(
    source: Emulator, blank: Emulator, source_catalog: dict[str, Any], tmp_path: Path
) -> None:
    # Other apps took the window's ten refreshes just before; no token is cached. The runs
    # wait longer than the window (a try now, then one as the wait ends: 30 s apart at most).
    window, wait = 3, 6
    for emulator in (source, blank):
        emulator.configure(refresh_window=window)
        spend_refresh_limit(emulator)
    before = {"source": refreshes(source), "blank": refreshes(blank)}
    tap_config = plugin_config(
        source, include_deletes=False, read_strategy="rest", token_refresh_wait=wait
    )
    chosen = selecting(source_catalog, *TAP_STREAMS)
    target_config = people_target_config(blank, token_refresh_wait=wait)
    records = people(100, "waited")
    runs = concurrently(
        {
            "tap": lambda: run_process(
                tap_command(tmp_path / "tap", tap_config, chosen), tmp_path / "tap"
            ),
            "target": lambda: target_attempt(
                tmp_path / "target", target_config, people_input(records, 20)
            ),
        }
    )
    made = {
        "source": refreshes(source) - before["source"],
        "blank": refreshes(blank) - before["blank"],
    }
    relax(source)
    relax(blank)

    for name, run in runs.items():
        stderr = run.attempt.stderr
        assert run.attempt.returncode == 0, (name, stderr[-3000:])
        assert WAITING.search(stderr), (name, stderr[-3000:])  # it waits, and says till when
    # Each took one token once the window had passed (the tap's CRM and Desk clients share).
    assert made == {"source": 1, "blank": 1}
    SourceTruth.of(source).assert_delivered(delivered(runs["tap"].attempt))
    assert done_of(runs["target"].attempt.lines[-1]) == len(records)
    assert_written_once(blank, records, "waited")


def test_a_refresh_limit_outlasting_the_wait_stops_the_runs_with_a_state_to_resume(
    source: Emulator, blank: Emulator, source_catalog: dict[str, Any], tmp_path: Path
) -> None:
    # Zoho's limit and window, and a wait of a second. Other apps took nine of the window's ten
    # refreshes: each run takes the last, and at its first STATE its token expires.
    for emulator in (source, blank):
        take_refreshes(emulator, 9)
        emulator.configure(latency_ms=60)
    tap_config = plugin_config(
        source, include_deletes=False, read_strategy="rest", page_size=50, token_refresh_wait=1
    )
    chosen = selecting(source_catalog, *TAP_STREAMS)
    target_config = people_target_config(blank, n_concurrent=1, token_refresh_wait=1)
    records = people(150, "refused")
    runs = concurrently(
        {
            "tap": lambda: run_process(
                tap_command(tmp_path / "tap", tap_config, chosen),
                tmp_path / "tap",
                on_line=once_after_state(source.expire_tokens),
            ),
            "target": lambda: target_attempt(
                tmp_path / "target",
                target_config,
                people_input(records, 20),
                on_line=once_after_state(blank.expire_tokens),
            ),
        }
    )
    for emulator in (source, blank):
        emulator.configure(refresh_window=0.001)  # the ten minutes pass
        relax(emulator)

    for name, run in runs.items():
        stderr = run.attempt.stderr
        assert run.attempt.returncode > 0, (name, stderr[-3000:])
        assert WAITING.search(stderr), (name, stderr[-3000:])
        # The run's last line is why it stopped: the refresh limit, and what to do.
        last = stderr.splitlines()[-1]
        assert THROTTLED in last, (name, stderr[-3000:])
        assert "at most ten times in ten minutes" in last, (name, last)
        assert "raise token_refresh_wait" in last, (name, last)
        assert "refused the credentials" not in stderr, (name, stderr[-3000:])
    # The tap gives a STATE as it stops; the next run, from there, delivers the rest.
    assert runs["tap"].attempt.lines[-1]["type"] == "STATE"
    delivery = delivered(runs["tap"].attempt)
    tap_runs(tmp_path / "resume", tap_config, chosen, delivery=delivery)
    SourceTruth.of(source).assert_delivered(delivery)
    # The target's last STATE promised the records before it; the rerun from it writes the
    # rest, none twice.
    state = runs["target"].attempt.lines[-1]
    assert done_of(state) < len(records)
    stored = crm_emails(blank, "Contacts", "refused.%")
    assert {r["email"] for r in records[: done_of(state)]} <= set(stored)
    rerun = target_attempt(tmp_path / "rerun", target_config, people_input(records, 20, state))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert done_of(rerun.lines[-1]) == len(records)
    assert_written_once(blank, records, "refused")


def test_a_refresh_limit_outlasting_the_wait_rejects_no_record(
    blank: Emulator, tmp_path: Path
) -> None:
    take_refreshes(blank, 9)  # the run takes the window's last refresh
    blank.configure(latency_ms=60)
    rejects = tmp_path / "rejects.jsonl"
    config = people_target_config(
        blank, n_concurrent=1, token_refresh_wait=0, allow_failures=True, rejects_path=str(rejects)
    )
    records = people(60, "unrejected")
    attempt = target_attempt(
        tmp_path / "run",
        config,
        people_input(records, 20),
        on_line=once_after_state(blank.expire_tokens),
    )
    blank.configure(refresh_window=0.001)
    relax(blank)
    # No record is at fault: none is rejected, and the run stops with the STATE of those in Zoho.
    assert not rejects.exists(), rejects.read_text()[:2000]
    assert attempt.returncode > 0, attempt.stderr[-3000:]
    stored = crm_emails(blank, "Contacts", "unrejected.%")
    assert {r["email"] for r in records[: done_of(attempt.lines[-1])]} <= set(stored)
