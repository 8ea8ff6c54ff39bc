"""Slow answers (``slow_rate``, ``slow_ms``): late, counted, and their work done all the same."""

from __future__ import annotations

import pytest
import requests

from tests.server import Emulator, running_emulator


def test_a_slow_answer_comes_late_after_its_write_is_applied(emulator: Emulator) -> None:
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    body = {"data": [{"Last_Name": "Slow-Answer 1"}]}
    emulator.configure(slow_rate=1.0, slow_ms=1500)
    try:
        # The client waits a third of the delay: the answer is not there yet.
        with pytest.raises(requests.ReadTimeout):
            requests.post(f"{emulator.url}/crm/v8/Leads", json=body, headers=headers, timeout=0.5)
    finally:
        emulator.configure(slow_rate=0.0, slow_ms=0)
    assert emulator.stats()["faults"]["answers_slowed"] == 1
    query = "select id from Leads where Last_Name = 'Slow-Answer 1'"
    found = emulator.crm("POST", "coql", json={"select_query": query})
    assert len(found.json()["data"]) == 1  # as Zoho would: only the answer was late


def test_slow_rate_slows_a_seeded_share_of_calls_which_still_answer() -> None:
    flags = ("--records", "10", "--seed", "7", "--slow-rate", "0.4", "--slow-ms", "50")
    with running_emulator(*flags) as server:
        statuses = [server.crm("GET", "org").status_code for _ in range(20)]
        slowed = server.stats()["faults"]["answers_slowed"]
    assert statuses == [200] * 20
    assert 2 <= slowed <= 16


def test_no_answer_is_slowed_by_default(emulator: Emulator) -> None:
    for _ in range(10):
        assert emulator.crm("GET", "org").ok
    assert "answers_slowed" not in emulator.stats()["faults"]
