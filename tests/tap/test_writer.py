"""The tap's message writer: records in blocks, every record out by the STATE after it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_zoho.tap import FlushingStateWriter, StateFlushingWriter

if TYPE_CHECKING:
    import pytest


def written(capsysbinary: pytest.CaptureFixture[bytes]) -> list[dict[str, object]]:
    out = capsysbinary.readouterr().out.decode()
    return [json.loads(line) for line in out.splitlines()]


def test_records_wait_for_a_state_and_come_before_it(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    writer = StateFlushingWriter()
    writer.write_message(RecordMessage(stream="crm_leads", record={"id": "1"}))
    assert written(capsysbinary) == []
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    assert [message["type"] for message in written(capsysbinary)] == ["RECORD", "STATE"]


def test_records_after_a_state_that_repeats_come_out_too(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    writer = StateFlushingWriter()
    states = FlushingStateWriter(writer)
    state = {"bookmarks": {"crm_accounts": {"deletes_seen_at": "2026-12-03T06:29:44+00:00"}}}
    states.write_state(state)  # type: ignore[arg-type]
    writer.write_message(RecordMessage(stream="crm_accounts", record={"id": "7"}))
    states.write_state(state)  # type: ignore[arg-type]  # the SDK skips it: the same state
    assert [(m["type"], m.get("record")) for m in written(capsysbinary)] == [
        ("STATE", None),
        ("RECORD", {"id": "7"}),
    ]


def test_records_go_out_in_blocks(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    writer = StateFlushingWriter()
    for number in range(2000):
        writer.write_message(RecordMessage(stream="crm_leads", record={"id": str(number)}))
    out = written(capsysbinary)
    assert 0 < len(out) < 2000
    assert [message["record"] for message in out] == [{"id": str(n)} for n in range(len(out))]
