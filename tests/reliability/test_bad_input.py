"""The bad-input corpus: one table of bad Singer input for target-zoho, and one of bad
config files for tap-zoho and target-zoho, each case run as a real process against the
emulator. Each exits non-zero with a line naming the culprit, and says nothing of a secret.

A bad line comes between good people records (25 before it, 20 after), and the good records
around it are accounted for, by one of two rules:

- A line the target refuses as it reads it (not UTF-8, not JSON, not a Singer message, a
  RECORD before its SCHEMA, an unknown stream, a value its schema refuses, a key missing)
  ends the run there, once the records before it are written: those, and only those, are
  in Zoho, and the last STATE before the line is given.
- A record refused when its batch is written (a field Zoho's module lacks, a value Zoho
  refuses: the wrong type, too long) fails the run after that batch: the records before it
  are in Zoho, some after it may be (the rest of its batch, a whole record each, the input
  read no further), no STATE covers the refused record or any after it, so a rerun from
  the last STATE writes them all.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest

from target_zoho.sinks import ROUNDS
from tests.reliability.harness import (
    PEOPLE_ROUTE,
    PEOPLE_STREAM,
    crm_emails,
    done_of,
    people,
    people_input,
    people_target_config,
    plugin_config,
    run_process,
    state_message,
    tap_command,
    target_attempt,
    target_command,
)
from tests.singer import error_line, record_message, schema_message, selecting

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.reliability.harness import Attempt
    from tests.server import Emulator

pytestmark = pytest.mark.reliability

#: Good records before the bad line, and after it; a STATE every this many of them.
BEFORE, AFTER, EVERY = 25, 20, 10
#: The bad record (where there is one): never written.
CULPRIT = "culprit@example.test"
#: The size of the long values.
TEN_MB = 10_000_000
#: Peak memory of a target run over this corpus, at most (a 10 MB line is held a few times
#: over: as bytes, parsed, as a write body; it was ~370 MB when errors copied the value).
PEAK_RSS_KIB = 192 * 1024
#: The stderr of a run, at most: a 10 MB value is named in a message, not copied into it.
STDERR_CHARS = 64 * 1024
#: People properties: ``title`` and ``points`` as loose as a tap's schema may be (the values
#: reach Zoho), ``visits`` strict (the schema refuses what is not an integer).
PROPERTIES = {
    "email": {"type": ["string", "null"]},
    "last": {"type": ["string", "null"]},
    "title": {"type": ["string", "number", "null"]},
    "points": {"type": ["integer", "string", "null"]},
    "visits": {"type": ["integer", "null"]},
}
ROUTE = {
    **PEOPLE_ROUTE,
    "fields": {
        "email": "Email",
        "last": "Last_Name",
        "title": "Title",
        "points": "Loyalty_Points",
        "visits": "Loyalty_Points",
    },
}
#: The tail of the error line of a line refused as it is read, and of a refused record.
READ_END = "; records before it were written: fix the input and rerun from the last STATE"
WRITE_END = "; set allow_failures to go on past them"
#: Runs target-zoho as ``python -m target_zoho`` does, and keeps its peak RSS at its exit:
#: Linux's VmHWM, its own (getrusage's maxrss counts the forking parent's).
MEASURED = (
    "import atexit, pathlib, re, runpy; "
    "atexit.register(lambda: pathlib.Path('peak_rss').write_text(re.search("
    "r'VmHWM:\\s*(\\d+) kB', pathlib.Path('/proc/self/status').read_text())[1])); "
    "runpy.run_module('target_zoho', run_name='__main__', alter_sys=True)"
)


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def culprit(**fields: Any) -> bytes:
    """A people RECORD line of the bad record."""
    return line(record_message(PEOPLE_STREAM, {"email": CULPRIT, "last": "Culprit", **fields}))


def non_utf8() -> tuple[bytes, int]:
    """A RECORD line with a byte that is no UTF-8 in a value, and its column (in characters:
    ë is two bytes)."""
    start = line(record_message(PEOPLE_STREAM, {"email": CULPRIT, "last": "Zoë"}))
    start = start[: start.index(b"\xc3\xab") + 2]  # ... "last": "Zoë
    return start + b'\xff"}}', len(start.decode()) + 1


@dataclasses.dataclass(frozen=True)
class BadLine:
    """One case of the input corpus.

    Attributes:
        line: The bad line, without its newline.
        names: What the run's error line names (after ``line <n>``, which it always names).
        at_write: Refused when its batch is written, not as it is read (the module docstring).
        also: More the error line names, further on.
    """

    line: bytes
    names: str
    at_write: bool = False
    also: tuple[str, ...] = ()


NON_UTF8, NON_UTF8_COLUMN = non_utf8()
LINES = {
    "malformed-json": BadLine(
        f'{{"type": "RECORD", "stream": "people", "record": {{"email": "{CULPRIT}",,}}}}'.encode(),
        ": not JSON (JSON is malformed: object keys must be strings (byte 82))",
    ),
    "truncated-line": BadLine(
        b'{"type": "RECORD", "stream": "people", "record": {"email": "culp',
        # Cut in a string: its newline is the character at fault.
        ": not JSON (JSON is malformed: invalid character (byte 64))",
    ),
    "non-utf8": BadLine(NON_UTF8, f": not UTF-8 (byte 0xff at column {NON_UTF8_COLUMN})"),
    "not-an-object": BadLine(b'["RECORD", "people"]', ": not a Singer message (not a JSON object)"),
    "unknown-message-type": BadLine(
        line({"type": "RECORDS", "stream": "people", "record": {"email": CULPRIT}}),
        f", stream people, record Email {CULPRIT}: unknown message type 'RECORDS' (Singer's "
        "are RECORD, SCHEMA, STATE,",
    ),
    "message-missing-a-key": BadLine(
        line({"type": "RECORD", "stream": "people"}),
        ', stream people: a RECORD message needs "record"',
    ),
    "record-before-schema": BadLine(
        line(record_message("later", {"email": CULPRIT})),
        f", stream later, record Email {CULPRIT}: a RECORD before its stream's SCHEMA (the tap "
        "must send the SCHEMA first)",
    ),
    "unknown-stream": BadLine(
        line(schema_message("mystery", PROPERTIES, ["email"])),
        ", stream mystery: stream 'mystery' has no mapping: name it crm_<module> or "
        "desk_<module>, or map it in the 'streams' setting",
    ),
    "schema-violation": BadLine(
        culprit(last=7),
        f", stream people, record Email {CULPRIT}, field last: 7 is not of type 'string', 'null'",
    ),
    "missing-key-property": BadLine(
        line(record_message(PEOPLE_STREAM, {"last": "Keyless"})),
        ', stream people, record without id: missing key property "email"',
    ),
    "10mb-string-for-an-integer": BadLine(
        culprit(visits="x" * TEN_MB),
        f", stream people, record Email {CULPRIT}, field visits: '{'x' * 99}... "
        f"({TEN_MB + 2:,} characters) is not of type 'integer', 'null'",
    ),
    "number-for-a-text-field": BadLine(
        culprit(title=7),
        f", stream people, record Email {CULPRIT}, field Title: INVALID_DATA: invalid data "
        '{"api_name": "Title", "expected_data_type": "string", ',
        at_write=True,
    ),
    "text-for-an-integer-field": BadLine(
        culprit(points="many"),
        f", stream people, record Email {CULPRIT}, field Loyalty_Points: INVALID_DATA: invalid "
        'data {"api_name": "Loyalty_Points", "expected_data_type": "integer", ',
        at_write=True,
    ),
    # Zoho refuses a value longer than its field (maximum_length, in the errors of
    # https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html).
    "10mb-value": BadLine(
        culprit(last="x" * TEN_MB),
        f", stream people, record Email {CULPRIT}, field Last_Name: INVALID_DATA: invalid data "
        '{"api_name": "Last_Name", ',
        at_write=True,
        also=('"maximum_length": 80}',),
    ),
    "10mb-key": BadLine(
        line(record_message(PEOPLE_STREAM, {"email": "x" * TEN_MB, "last": "Long"})),
        f", stream people, record Email {'x' * 94}... ({TEN_MB + 6:,} characters), field "
        'Email: INVALID_DATA: invalid data {"api_name": "Email", ',
        at_write=True,
        also=('"maximum_length": 100}',),
    ),
    "unknown-field": BadLine(
        culprit(nickname="Bo"),
        f", stream people, record Email {CULPRIT}, field nickname: INVALID_INPUT: nickname: is "
        "no field of Contacts",
        at_write=True,
    ),
}


def input_lines(records: list[dict[str, Any]], bad: bytes) -> tuple[list[bytes], int, int]:
    """The input: SCHEMA, the records before, the bad line, the records after (a STATE
    every EVERY records); the bad line's number, and the last STATE's ``done`` before it."""
    lines = [line(schema_message(PEOPLE_STREAM, PROPERTIES, ["email"]))]
    for number, record in enumerate(records, start=1):
        lines.append(line(record_message(PEOPLE_STREAM, record)))
        if number % EVERY == 0 or number == len(records):
            lines.append(line(state_message(number)))
        if number == BEFORE:
            lines.append(bad)
            bad_line = len(lines)
    return [text + b"\n" for text in lines], bad_line, BEFORE - BEFORE % EVERY


def measured(command: list[str]) -> list[str]:
    """``python -m target_zoho ...`` as MEASURED runs it."""
    assert command[1:3] == ["-m", "target_zoho"]
    return [command[0], "-c", MEASURED, *command[3:]]


@pytest.mark.parametrize("name", list(LINES))
def test_a_bad_line_is_named_and_the_good_records_around_it_accounted_for(
    blank: Emulator, tmp_path: Path, name: str
) -> None:
    case = LINES[name]
    records = people(BEFORE + AFTER, name)
    lines, bad_line, done_before = input_lines(records, case.line)
    config = people_target_config(blank, streams={PEOPLE_STREAM: ROUTE, "later": ROUTE})
    attempt = run_process(measured(target_command(tmp_path, config)), tmp_path, stdin_lines=lines)

    assert attempt.returncode > 0, attempt.stderr[-3000:]
    assert len(attempt.stderr) < STDERR_CHARS, attempt.stderr[:3000]
    assert int((tmp_path / "peak_rss").read_text()) < PEAK_RSS_KIB
    error = error_line(attempt.stderr)
    if case.at_write:
        assert f" records of stream people failed (first: line {bad_line}{case.names}" in error
        assert error.endswith(WRITE_END), error
    else:
        assert error.startswith(f"line {bad_line}{case.names}"), error
        assert error.endswith(READ_END), error
    for more in case.also:
        assert more in error, error

    stored = crm_emails(blank, "Contacts", f"{name}.%")
    before = [record["email"] for record in records[:BEFORE]]
    after = [record["email"] for record in records[BEFORE:]]
    state = attempt.lines[-1] if attempt.lines else None
    assert len(stored) == len(set(stored))  # none twice
    assert crm_emails(blank, "Contacts", "%culprit%") == []
    # Every record a STATE covers is in Zoho, and no STATE covers the bad line.
    assert set(before[: done_of(state)]) <= set(stored)
    assert done_of(state) <= done_before
    if case.at_write:
        # The records before it, and at most the rest of its batch (a drain holds
        # ROUNDS x n_concurrent x batch_size records), whole: the input is read no further.
        assert set(before) <= set(stored) <= set(before + after)
        capacity = ROUNDS * config["batch_size"] * config["n_concurrent"]
        assert len(set(stored) & set(after)) < capacity, stored
    else:
        # The records before it, past their last STATE too, and the STATE before it.
        assert sorted(stored) == sorted(before)
        assert done_of(state) == done_before


def test_keys_no_desk_field_takes_are_left_out_by_name(blank: Emulator, tmp_path: Path) -> None:
    """Desk refuses keys it does not know (422), and records read from Desk carry many (its
    webUrl...): the target leaves them out of the writes and names them, once a stream."""
    route = {"product": "desk", "module": "contacts", "sync_key": "email", "fields": {}}
    properties = {"email": {"type": "string"}, "lastName": {"type": "string"}, "nickname": {}}
    records = [
        {"email": f"desk.{n}@example.test", "lastName": f"Person {n}", "nickname": f"P{n}"}
        for n in range(12)
    ]
    config = people_target_config(
        blank, desk_org_id=blank.desk_org_id, desk_url=blank.url, streams={"customers": route}
    )
    messages = [
        schema_message("customers", properties, ["email"]),
        *(record_message("customers", record) for record in records),
        state_message(len(records)),
    ]
    attempt = target_attempt(tmp_path, config, messages)
    assert attempt.returncode == 0, attempt.stderr[-3000:]
    named = [text for text in attempt.stderr.splitlines() if "nickname" in text]
    assert len(named) == 1, named  # two batches, one warning
    assert "| WARNING " in named[0]
    assert named[0].endswith(
        "Not written, no writable field of Desk's contacts has their names (Desk computes "
        "them, or the stream's 'fields' mapping lacks them): nickname"
    )
    stored = blank.desk("GET", "contacts", params={"from": 1, "limit": 100}).json()["data"]
    assert sorted(row["email"] for row in stored) == sorted(r["email"] for r in records)
    assert done_of(attempt.lines[-1]) == len(records)


# -- config files ---------------------------------------------------------------------------

#: A client secret that is not the emulator's (never to be shown either).
WRONG_SECRET = "wrong-secret-0123456789abcdef"


@dataclasses.dataclass(frozen=True)
class BadConfig:
    """One case of the config corpus.

    Attributes:
        change: The settings changed, from the emulator (None: the setting removed).
        names: What one line of stderr names: the setting, and what to do.
        malformed: The file is the config's JSON cut short.
    """

    change: Callable[[Emulator], dict[str, Any]]
    names: tuple[str, ...]
    malformed: bool = False


CONFIGS = {
    "malformed-json": BadConfig(
        lambda _: {},
        ("Error: config file ", "is not JSON (", "at line 1, column ", "make it a JSON object"),
        malformed=True,
    ),
    "missing-setting": BadConfig(
        lambda _: {"refresh_token": None}, ("'refresh_token' is a required property",)
    ),
    "wrong-type": BadConfig(
        lambda _: {"n_concurrent": "ten"},
        ("'ten' is not of type 'integer'", "in config['n_concurrent']"),
    ),
    "near-miss-name": BadConfig(
        lambda _: {"n_concurent": 3},
        ("has no setting 'n_concurent': did you mean 'n_concurrent'?",),
    ),
    "wrong-client-secret": BadConfig(
        lambda _: {"client_secret": WRONG_SECRET},
        ("client_id / client_secret: Zoho CRM refused it (invalid_client", "check them"),
    ),
    "unknown-data-center": BadConfig(
        lambda _: {"data_center": "mars"},
        ("'mars' is not one of ['us', 'eu', ", "in config['data_center']"),
    ),
    "wrong-accounts-url": BadConfig(
        lambda emulator: {"accounts_url": f"{emulator.url}/nowhere"},
        ("Zoho CRM does not answer as Zoho", "check data_center, crm_url and accounts_url"),
    ),
    "wrong-desk-org-id": BadConfig(
        lambda _: {"desk_org_id": "123"},
        ("desk_org_id '123' is not an org of this token (OAUTH_ORG_MISMATCH): set it to one of",),
    ),
}


def bad_config(base: dict[str, Any], case: BadConfig, emulator: Emulator) -> dict[str, Any]:
    config = {**base, **case.change(emulator)}
    return {key: value for key, value in config.items() if value is not None}


def assert_refused(attempt: Attempt, case: BadConfig, emulator: Emulator) -> None:
    assert attempt.returncode > 0, attempt.stderr[-3000:]
    assert attempt.lines == []  # no RECORD, no STATE
    assert any(all(name in text for name in case.names) for text in attempt.stderr.splitlines()), (
        attempt.stderr[-3000:]
    )
    output = attempt.stderr + json.dumps(attempt.lines)
    for secret in (emulator.client_secret, emulator.refresh_token, WRONG_SECRET):
        assert secret not in output


def malform(path: Path, config: dict[str, Any]) -> None:
    """The config file as JSON cut short (its secrets still in it)."""
    path.write_text(json.dumps(config)[:-12])


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_bad_config_stops_the_tap_naming_the_setting(
    source: Emulator, source_catalog: dict[str, Any], tmp_path: Path, name: str
) -> None:
    case = CONFIGS[name]
    config = bad_config(plugin_config(source, crm_modules=["Leads"]), case, source)
    command = tap_command(tmp_path, config, selecting(source_catalog, "crm_leads", "desk_contacts"))
    if case.malformed:
        malform(tmp_path / "config.json", config)
    assert_refused(run_process(command, tmp_path), case, source)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_bad_config_stops_the_target_naming_the_setting(
    blank: Emulator, tmp_path: Path, name: str
) -> None:
    case = CONFIGS[name]
    base = people_target_config(blank, desk_org_id=blank.desk_org_id, desk_url=blank.url)
    config = bad_config(base, case, blank)
    command = target_command(tmp_path, config)
    if case.malformed:
        malform(tmp_path / "target.json", config)
    messages = people_input(people(3, name), 1)
    lines = [json.dumps(message) + "\n" for message in messages]
    assert_refused(run_process(command, tmp_path, stdin_lines=lines), case, blank)
    assert crm_emails(blank, "Contacts", f"{name}.%") == []
