"""The reliability suite's tools: plugin processes killed at chosen points, what a Singer
pipeline would have kept of their output, and the ground truth read from the emulator itself.

Delivery follows Singer's rules: a tap's records count as delivered only once a STATE
follows them (a target commits up to a STATE), and a resumed run starts from the last STATE
delivered. A target's STATE promises that every record before it in the input is in Zoho.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import requests

from tests.singer import record_message, schema_message, tap_config, write_json

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from pathlib import Path

    from tests.server import Emulator

#: The emulator's run-time settings as the suite's emulators start (restored after each test).
CALM: dict[str, float | str] = {
    "latency_ms": 0,
    "concurrency": 0,
    "daily_credits": 0,
    "error_rate": 0.0,
    "drop_rate": 0.0,
    "slow_rate": 0.0,
    "slow_ms": 0,
    "token_lifetime": 3600,
    "refresh_limit": 10,
    "refresh_window": 600.0,
    "churn_per_second": 0,
    "churn_delete_share": 0.0,
    "churn_module": "Leads",
    "bulk_job_seconds": 0.2,
}
#: A run of a plugin process never takes longer than this in the suite.
RUN_TIMEOUT = 120


# -- the emulator --------------------------------------------------------------------------


def quiet(emulator: Emulator) -> None:
    """Faults, latency, limits and churn off, the refresh token restored; data and counters kept.

    What a run after a fault meets: the org as the faulty run left it, credits back.
    """
    emulator.configure(**CALM)
    revoke_refresh_token(emulator, revoked=False)


def calm(emulator: Emulator) -> None:
    """Faults, latency, limits and churn off; data, counters and the refresh token restored."""
    quiet(emulator)
    time.sleep(0.05)  # churn's loop notices within its tick
    emulator.reset()
    emulator.forget_token()


def revoke_refresh_token(emulator: Emulator, *, revoked: bool = True) -> None:
    """Revoke the emulator's refresh token and its access tokens (or restore it)."""
    response = requests.post(
        f"{emulator.url}/__emulator__/revoke-token", json={"revoked": revoked}, timeout=30
    )
    response.raise_for_status()
    emulator.forget_token()


def crm_truth(emulator: Emulator, module: str) -> dict[str, str]:
    """Every live record of a CRM module, id to Modified_Time, by raw Get Records.

    Converted and unapproved records included, as the tap reads them.
    """
    query: dict[str, str] = {
        "fields": "Modified_Time",
        "converted": "both",
        "approved": "both",
        "per_page": "200",
    }
    found: dict[str, str] = {}
    while True:
        response = emulator.crm("GET", module, params=query)
        if response.status_code == 204:
            return found
        response.raise_for_status()
        body = response.json()
        found.update({row["id"]: row["Modified_Time"] for row in body["data"]})
        if not body["info"]["more_records"]:
            return found
        query = {**query, "page_token": body["info"]["next_page_token"]}


def desk_newest(emulator: Emulator, module: str) -> dt.datetime:
    """The latest modifiedTime of a Desk module's records (list rows carry none: by search)."""
    params = {"from": 0, "limit": 1, "sortBy": "-modifiedTime"}
    response = emulator.desk("GET", f"{module}/search", params=params)
    response.raise_for_status()
    return instant(response.json()["data"][0]["modifiedTime"])


def crm_newest(truth: Mapping[str, str]) -> dt.datetime:
    """The latest Modified_Time of a module's records (``crm_truth``'s answer)."""
    return max(map(instant, truth.values()))


def crm_emails(emulator: Emulator, module: str, like: str) -> list[str]:
    """The Email of every record of a CRM module whose Email is like ``like`` (duplicates kept)."""
    emails: list[str] = []
    offset = 0
    while True:
        query = f"select Email from {module} where Email like '{like}' limit 2000 offset {offset}"
        response = emulator.crm("POST", "coql", json={"select_query": query})
        if response.status_code == 204:
            return emails
        response.raise_for_status()
        body = response.json()
        emails += [row["Email"] for row in body["data"]]
        if not body["info"]["more_records"]:
            return emails
        offset += 2000


def instant(text: str) -> dt.datetime:
    """A Zoho or Singer datetime as an aware datetime (``Z`` or an offset)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- catalogs ------------------------------------------------------------------------------


def discover(workdir: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """The tap's discovered catalog (the run must succeed)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tap_zoho",
            "--discover",
            "--config",
            str(config_file(workdir, config)),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def plugin_config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    """A tap-zoho or target-zoho config for an emulator, CRM and Desk."""
    return tap_config(emulator, desk_org_id=emulator.desk_org_id, desk_url=emulator.url, **extra)


def config_file(workdir: Path, config: Mapping[str, Any], name: str = "config.json") -> Path:
    """Write a config (or catalog, or state) into the work directory; its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    return write_json(workdir / name, config)


# -- one process, killed or not ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Kill:
    """When to SIGKILL a process: after so many lines of its output, or so many seconds."""

    after_lines: int | None = None
    after_seconds: float | None = None

    @classmethod
    def drawn(cls, rng: random.Random, *, lines: int, seconds: float) -> Kill:
        """A kill at a seeded point: half the time by output lines, else by time."""
        if rng.random() < 0.5:
            return cls(after_lines=rng.randint(1, lines))
        return cls(after_seconds=rng.uniform(0.05, seconds))


@dataclasses.dataclass
class Attempt:
    """One run of a plugin process: the lines it wrote (parsed), its stderr and exit code."""

    lines: list[Any]
    stderr: str
    returncode: int

    @property
    def killed(self) -> bool:
        """Whether the run ended by SIGKILL."""
        return self.returncode == -9


def run_process(
    command: list[str],
    workdir: Path,
    *,
    kill: Kill | None = None,
    stdin_lines: Iterable[str | bytes] = (),
    on_line: Callable[[int, Any], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> Attempt:
    """Run a plugin process to its end, or SIGKILL it at ``kill``.

    Args:
        command: The command line.
        workdir: Where stderr is kept (and the process's working directory).
        kill: When to kill it; None to let it finish.
        stdin_lines: Lines fed to its stdin (by a thread: the process may die meanwhile);
            bytes go as they are, UTF-8 or not.
        on_line: Called with each line's number (from 1) and parsed JSON as it arrives.
        env: Extra environment variables.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "stderr.log").open("w+") as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=workdir,
            env={**os.environ, **(env or {})},
        )
        assert process.stdin is not None
        assert process.stdout is not None
        feeder = threading.Thread(target=_feed, args=(process.stdin, stdin_lines), daemon=True)
        feeder.start()
        timer = None
        if kill is not None and kill.after_seconds is not None:
            timer = threading.Timer(kill.after_seconds, process.kill)
            timer.start()
        watchdog = threading.Timer(RUN_TIMEOUT, process.kill)
        watchdog.start()
        lines: list[Any] = []
        try:
            for text in process.stdout:
                # A line without its newline is one a SIGKILL cut short: never delivered.
                if not text.strip() or not text.endswith("\n"):
                    continue
                lines.append(json.loads(text))
                if on_line is not None:
                    on_line(len(lines), lines[-1])
                if kill is not None and kill.after_lines == len(lines):
                    process.kill()
                    break
            process.wait()
        finally:
            watchdog.cancel()
            if timer is not None:
                timer.cancel()
            process.stdout.close()
            feeder.join(timeout=10)
        stderr.seek(0)
        return Attempt(lines, stderr.read(), process.returncode)


def _feed(pipe: Any, lines: Iterable[str | bytes]) -> None:
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        for line in lines:
            if isinstance(line, bytes):  # as it is, UTF-8 or not
                pipe.flush()
                pipe.buffer.write(line)
            else:
                pipe.write(line)
        pipe.close()


def tap_command(
    workdir: Path,
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
) -> list[str]:
    """``python -m tap_zoho`` with its config, catalog and (when given) state files."""
    command = [
        sys.executable,
        "-m",
        "tap_zoho",
        "--config",
        str(config_file(workdir, config)),
        "--catalog",
        str(config_file(workdir, catalog, "catalog.json")),
    ]
    if state is not None:
        command += ["--state", str(config_file(workdir, state, "state.json"))]
    return command


def target_command(workdir: Path, config: Mapping[str, Any]) -> list[str]:
    """``python -m target_zoho`` with its config file."""
    return [
        sys.executable,
        "-m",
        "target_zoho",
        "--config",
        str(config_file(workdir, config, "target.json")),
    ]


# -- what a pipeline keeps of a tap's runs ---------------------------------------------------


@dataclasses.dataclass
class TapDelivery:
    """What a target would hold after a tap's runs: records followed by a STATE, and that STATE.

    Attributes:
        records: Stream to record id to the last record delivered.
        tombstones: Stream to the ids delivered as deleted.
        state: The last STATE delivered (what the next run resumes from).
        attempts: Every run, in order.
    """

    records: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)
    tombstones: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    state: dict[str, Any] | None = None
    attempts: list[Attempt] = dataclasses.field(default_factory=list)

    def absorb(self, attempt: Attempt) -> None:
        """Keep a run's records up to its last STATE (all of them if it finished)."""
        self.attempts.append(attempt)
        pending: list[dict[str, Any]] = []
        for message in attempt.lines:
            if message["type"] == "RECORD":
                pending.append(message)
            elif message["type"] == "STATE":
                self._commit(pending)
                pending = []
                self.state = message["value"]
        if attempt.returncode == 0:
            self._commit(pending)

    def _commit(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            stream, record = message["stream"], message["record"]
            if record.get("_sdc_deleted_at"):
                self.tombstones.setdefault(stream, set()).add(record["id"])
                self.records.get(stream, {}).pop(record["id"], None)
            else:
                self.records.setdefault(stream, {})[record["id"]] = record
                self.tombstones.get(stream, set()).discard(record["id"])

    def ids(self, stream: str) -> set[str]:
        """The ids of a stream's live records delivered."""
        return set(self.records.get(stream, {}))

    def stderr(self) -> str:
        """Every run's stderr, last lines of each, for assertion messages."""
        return "\n---\n".join(attempt.stderr[-2000:] for attempt in self.attempts)


def tap_runs(
    workdir: Path,
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    kills: Iterable[Kill] = (),
    *,
    delivery: TapDelivery | None = None,
    env: Mapping[str, str] | None = None,
) -> TapDelivery:
    """Run the tap once for each kill (each resuming from the last STATE delivered), then once
    to its end; what a pipeline would hold.

    A kill that comes after the run has ended leaves a finished run: the next ones still run.
    """
    delivery = delivery or TapDelivery()
    for number, kill in enumerate([*kills, None]):
        rundir = workdir / f"run{number}"
        command = tap_command(rundir, config, catalog, delivery.state)
        attempt = run_process(command, rundir, kill=kill, env=env)
        assert attempt.killed or attempt.returncode == 0, attempt.stderr[-3000:]
        delivery.absorb(attempt)
    return delivery


def bookmark_instant(state: Mapping[str, Any] | None, stream: str) -> dt.datetime | None:
    """A stream's replication key value in STATE, or None."""
    value = ((state or {}).get("bookmarks", {}).get(stream) or {}).get("replication_key_value")
    return instant(value) if value else None


# -- a target's input and what it promised ------------------------------------------------

#: The mapped stream the target trials write: CRM Contacts, upserted on Email.
PEOPLE_STREAM = "people"
PEOPLE_ROUTE = {
    "product": "crm",
    "module": "Contacts",
    "action": "upsert",
    "sync_key": "Email",
    "fields": {"email": "Email", "last": "Last_Name"},
}
PEOPLE_SCHEMA = {"email": {"type": "string"}, "last": {"type": "string"}}


def people(count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` Contacts with unique Emails ``<tag>.<n>@example.test``."""
    return [
        {"email": f"{tag}.{number}@example.test", "last": f"Person {number}"}
        for number in range(count)
    ]


def people_input(
    records: list[dict[str, Any]], every: int, state: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """SCHEMA, then the records with a STATE ``{"done": n}`` after every ``every`` of them.

    From ``state`` on (what a tap resumed from that STATE would send) when one is given.
    """
    messages = [schema_message(PEOPLE_STREAM, PEOPLE_SCHEMA, [])]
    for number in range(done_of(state) + 1, len(records) + 1):
        messages.append(record_message(PEOPLE_STREAM, records[number - 1]))
        if number % every == 0 or number == len(records):
            messages.append(state_message(number))
    return messages


def state_message(done: int) -> dict[str, Any]:
    """The STATE a tap of people would send after ``done`` records."""
    return {"type": "STATE", "value": {"bookmarks": {PEOPLE_STREAM: {"done": done}}}}


def done_of(state: Mapping[str, Any] | None) -> int:
    """Records before a people STATE (0 for none)."""
    return int(((state or {}).get("bookmarks", {}).get(PEOPLE_STREAM) or {}).get("done", 0))


def as_lines(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """Singer messages as JSON lines."""
    return [json.dumps(message) + "\n" for message in messages]


def people_target_config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    """target-zoho writing the people stream into an emulator, small batches, STATE often."""
    return {
        **tap_config(emulator),
        "streams": {PEOPLE_STREAM: PEOPLE_ROUTE},
        "batch_size": 10,
        "n_concurrent": 2,
        "state_interval_seconds": 0.2,
        **extra,
    }


def target_attempt(
    workdir: Path,
    config: Mapping[str, Any],
    messages: list[dict[str, Any]],
    kill: Kill | None = None,
    *,
    on_line: Callable[[int, Any], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> Attempt:
    """One run of the target over ``messages``; its lines are the STATE values it emitted."""
    return run_process(
        target_command(workdir, config),
        workdir,
        kill=kill,
        stdin_lines=as_lines(messages),
        on_line=on_line,
        env=env,
    )


# -- faults ------------------------------------------------------------------------------


@contextlib.contextmanager
def hogging(emulator: Emulator, clients: int, *, pause: float = 0.06) -> Iterator[None]:
    """Other clients of the org calling it in a loop (with ``pause`` between calls) meanwhile.

    Zoho's concurrency limit is the org's: other integrations' calls count against it. The
    pause leaves the run's calls a free slot most of the time even on a loaded machine (where
    the emulator's answers slow down): with clients holding every slot, a call would be
    refused past its retries (a storm no client rides out, not what the fault tests).
    """
    stop = threading.Event()

    def hog() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                with contextlib.suppress(requests.RequestException):
                    session.get(f"{emulator.url}/crm/v8/org", headers=headers, timeout=30)
                stop.wait(pause)

    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    threads = [threading.Thread(target=hog, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def once_after_state(action: Callable[[], None]) -> Callable[[int, Any], None]:
    """An ``on_line`` hook calling ``action`` once, at the first STATE line seen."""
    done = threading.Event()

    def hook(_number: int, line: Any) -> None:
        is_state = not isinstance(line, dict) or line.get("type", "STATE") == "STATE"
        if is_state and not done.is_set():
            done.set()
            action()

    return hook
