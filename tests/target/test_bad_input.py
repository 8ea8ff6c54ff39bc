"""Bad input to target-zoho, run as a real process against the emulator: each bad line ends
the run naming its line (and stream, record, field), after the records before it are written
and STATE given for them; the summary counts created, updated, deleted and rejected apart."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.singer import record_message, run_target, schema_message, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import Emulator

PEOPLE = {
    "product": "crm",
    "module": "Contacts",
    "sync_key": "Email",
    "fields": {"email": "Email", "last": "Last_Name", "title": "Title"},
}
SCHEMA = schema_message(
    "people",
    {
        "email": {"type": ["string", "null"]},
        "last": {"type": ["string", "null"]},
        "title": {"type": ["string", "null"]},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    },
    ["email"],
)
STATE = {"type": "STATE", "value": {"bookmarks": {"people": {"done": 2}}}}


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def person(name: str, **fields: Any) -> bytes:
    record = {"email": f"{name}@bad-input.test", "last": name.title(), **fields}
    return line(record_message("people", record))


#: Lines 1 to 5 are good: the SCHEMA, ann and bob, the STATE after them, then cid (written,
#: but past the STATE). Line 6 is the case's.
GOOD = [line(SCHEMA), person("ann"), person("bob"), line(STATE), person("cid")]


def stored(emulator: Emulator) -> list[str]:
    query = "select Email from Contacts where Email like '%@bad-input.test'"
    response = emulator.crm("POST", "coql", json={"select_query": query})
    rows = response.json()["data"] if response.status_code == 200 else []
    return sorted(row["Email"] for row in rows)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            # The column counts characters: ë is two bytes.
            '{"type": "RECORD", "stream": "people", "record": {"last": "Zoë", "email": "d'.encode()
            + b'\xff@x"}}',
            "line 6: not UTF-8 (byte 0xff at column 77)",
        ),
        (b"\xc3(", "line 6: not UTF-8 (byte 0xc3 at column 1)"),
        (b'{"type": "RECORD", "stream": ', "line 6: not JSON (Input data was truncated)"),
        (b"[1, 2]", "line 6: not a Singer message (not a JSON object)"),
        (b'{"stream": "people"}', 'line 6, stream people: a Singer message needs "type"'),
        (
            b'{"type": "RECORD", "stream": "people"}',
            'line 6, stream people: a RECORD message needs "record"',
        ),
        (
            b'{"type": "NOTE", "stream": "people"}',
            "line 6, stream people: unknown message type 'NOTE' (Singer's are RECORD, SCHEMA, "
            "STATE,",
        ),
        (
            line(record_message("later", {"email": "e@x"})),
            "line 6, stream later: a RECORD before its stream's SCHEMA",
        ),
        (
            line(record_message("people", {"last": "Keyless", "title": "t"})),
            'line 6, stream people, record without id: missing key property "email"',
        ),
        (
            person("dan", title=7),
            "line 6, stream people, record Email dan@bad-input.test, field title: 7 is not of "
            "type 'string', 'null'",
        ),
        (
            line(schema_message("mystery", {"a": {"type": "string"}}, [])),
            "line 6, stream mystery: stream 'mystery' has no mapping",
        ),
    ],
    ids=[
        "non-utf8-in-a-string",
        "non-utf8-at-the-start",
        "malformed-json",
        "not-an-object",
        "no-type",
        "no-record",
        "unknown-type",
        "record-before-schema",
        "missing-key",
        "wrong-type",
        "unknown-stream",
    ],
)
def test_a_bad_line_is_named_after_the_records_before_it_are_written(
    emulator: Emulator, tmp_path: Path, bad: bytes, message: str
) -> None:
    config = {**tap_config(emulator), "streams": {"people": PEOPLE}}
    done = run_target(tmp_path, config, [*GOOD, bad, person("eve")])
    assert done.returncode != 0
    error = done.error_line
    assert error.startswith(message), error
    assert error.endswith(
        "; records before it were written: fix the input and rerun from the last STATE"
    )
    assert done.states() == [STATE["value"]]
    # Every record before the bad line is in Zoho (cid past the STATE too); none after it.
    assert stored(emulator) == [f"{name}@bad-input.test" for name in ("ann", "bob", "cid")]
    assert re.search(
        r"Summary: run total: 3 created, 0 updated, 0 deleted, 0 rejected, ", done.stderr
    )


def test_a_bad_line_after_records_zoho_refused_gives_no_state(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = {**tap_config(emulator), "streams": {"people": PEOPLE}}
    done = run_target(
        tmp_path, config, [*GOOD[:3], person("ted", title="T" * 101), line(STATE), b"\xff"]
    )
    assert done.returncode != 0
    error = done.error_line
    assert error.startswith(
        "line 6: not UTF-8 (byte 0xff at column 1); records before it were not all written "
        "(1 of 3 records of stream people failed (first: line 4, stream people, record Email "
        "ted@bad-input.test, field Title: INVALID_DATA"
    ), error
    assert done.messages == []  # the STATE covers a record that is not in Zoho
    assert stored(emulator) == ["ann@bad-input.test", "bob@bad-input.test"]


def test_the_summary_counts_created_updated_deleted_and_rejected(
    emulator: Emulator, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    config = {
        **tap_config(emulator),
        "streams": {"people": PEOPLE},
        "allow_failures": True,
        "rejects_path": str(rejects),
    }
    first = run_target(tmp_path, config, [line(SCHEMA), person("ann"), person("bob")])
    assert first.returncode == 0, first.stderr[-3000:]
    gone = "2026-11-01T00:00:00+00:00"
    second = run_target(
        tmp_path,
        config,
        [
            line(SCHEMA),
            person("ann", title="Again"),  # updated
            person("cid"),  # created
            person("bob", _sdc_deleted_at=gone),  # deleted
            b"",  # a blank line is passed over, and still counted as a line
            person("dan", title="T" * 101),  # rejected
        ],
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Summary: people: 1 created, 1 updated, 1 deleted, 1 rejected, " in second.stderr
    assert "Summary: run total: 1 created, 1 updated, 1 deleted, 1 rejected, " in second.stderr
    assert stored(emulator) == ["ann@bad-input.test", "cid@bad-input.test"]
    (reject,) = [json.loads(text) for text in rejects.read_text().splitlines()]
    assert (reject["line"], reject["record"]["email"]) == (6, "dan@bad-input.test")
    assert (
        "Rejected: line 6, stream people, record Email dan@bad-input.test, field Title: "
        "INVALID_DATA"
    ) in second.stderr
