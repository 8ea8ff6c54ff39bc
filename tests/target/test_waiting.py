"""The records waiting for the records their lookups name (pure logic)."""

from __future__ import annotations

from target_zoho.waiting import Waiting


def test_a_record_goes_once_a_record_it_awaits_is_copied() -> None:
    waiting = Waiting("Contacts")
    waiting.add((1, {"id": "c1"}), [("Accounts", "a1")])
    waiting.add((2, {"id": "c2"}), [("Accounts", "a2")])
    copies: dict[str, dict[str, str]] = {"Accounts": {"a0": "d0"}}
    assert waiting.ready(copies) == []
    copies["Accounts"]["a2"] = "d2"
    assert waiting.ready(copies) == [(2, {"id": "c2"})]
    assert len(waiting) == 1
    copies["Accounts"]["a1"] = "d1"
    assert waiting.ready(copies) == [(1, {"id": "c1"})]
    assert not waiting


def test_records_pointing_at_waiting_ones_of_the_module_go_with_them() -> None:
    """c1 waits for its account and c2 (which waits for c1): a cycle goes whole."""
    waiting = Waiting("Contacts")
    waiting.add((1, {"id": "c1"}), [("Accounts", "a1"), ("Contacts", "c2")])
    waiting.add((2, {"id": "c2"}), [("Contacts", "c1")])
    waiting.add((3, {"id": "c3"}), [("Contacts", "c9")])
    assert waiting.ready({"Accounts": {"a1": "d1"}}) == [(1, {"id": "c1"}), (2, {"id": "c2"})]
    assert waiting.ids() == {("Contacts", "c3")}


def test_records_of_a_waiting_id_wait_behind_it_and_go_in_order() -> None:
    waiting = Waiting("Accounts")
    waiting.add((1, {"id": "x"}), [("Accounts", "p")])
    assert waiting.holds_id({"id": "x"})
    assert not waiting.holds_id({"id": "y"})
    waiting.add((5, {"id": "x", "Rating": "Hot"}), [])
    waiting.add((6, {"id": "y"}), [("Accounts", "q")])
    assert waiting.ready({"Accounts": {"p": "d"}}) == [
        (1, {"id": "x"}),
        (5, {"id": "x", "Rating": "Hot"}),
    ]
    assert waiting.take_all() == [(6, {"id": "y"})]
    assert not waiting.holds_id({"id": "x"})
