"""Desk reads by keyset against the emulator: records changed or deleted mid-read are not
skipped (an offset read of the same changes is), ties longer than a page, both range readings.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from zoho_connector import ZohoError
from zoho_connector.desk import ZohoDesk

if TYPE_CHECKING:
    from collections.abc import Iterator

RECORDS = 600
PAGE = 25
EVERYTHING = "2000-01-01T00:00:00.000Z,2100-01-01T00:00:00.000Z"
#: Zoho does not say whether modifiedTimeRange includes its bounds: both readings are played.
READINGS = [pytest.param(True, id="inclusive"), pytest.param(False, id="exclusive")]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with running_emulator("--records", str(RECORDS), "--concurrency", "0") as emulator:
        yield emulator


@pytest.fixture(params=READINGS)
def emulator(server: Emulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    server.reset()
    server.configure(desk_ranges_inclusive=request.param)
    yield server
    server.configure(desk_ranges_inclusive=True, search_from_cap=999)


def client(server: Emulator, **options: Any) -> ZohoDesk:
    return ZohoDesk(
        server.client_id,
        server.client_secret,
        server.refresh_token,
        url=server.url,
        account_url=server.url,
        **options,
    )


def listed_ids(server: Emulator, module: str) -> list[str]:
    """Every live id by the plain list endpoint (not search), oldest first."""
    ids: list[str] = []
    while True:
        params = {"from": len(ids) + 1, "limit": 100, "sortBy": "createdTime"}
        response = server.desk("GET", module, params=params)
        if response.status_code == 204:
            return ids
        ids += [row["id"] for row in response.json()["data"]]


class Changes:
    """What other users do to tickets between two pages: one already read is updated, another
    deleted, and one not yet read is updated (each moves the pages of an offset read)."""

    def __init__(self, server: Emulator, times: int) -> None:
        self.server = server
        self.left = times
        self.updated_after_read: set[str] = set()
        self.updated_before_read: set[str] = set()
        self.deleted: set[str] = set()
        self.at_start = listed_ids(server, "tickets")

    def after_page(self, read: list[str]) -> None:
        if not self.left:
            return
        self.left -= 1
        touched = self.updated_after_read | self.updated_before_read | self.deleted
        untouched = [i for i in read if i not in touched]
        ahead = next(i for i in self.at_start if i not in read and i not in touched)
        for record_id in (untouched[0], ahead):
            patch = self.server.desk("PATCH", f"tickets/{record_id}", json={"phone": "1"})
            assert patch.status_code == 200, patch.text
        self.updated_after_read.add(untouched[0])
        self.updated_before_read.add(ahead)
        trash = self.server.desk("POST", "tickets/moveToTrash", json={"ticketIds": [untouched[1]]})
        assert trash.status_code == 204, trash.text
        self.deleted.add(untouched[1])

    def never_gone(self) -> set[str]:
        """Records present from the read's start to its end."""
        return set(self.at_start) - self.deleted


def test_changes_during_a_keyset_read_skip_nothing(emulator: Emulator) -> None:
    desk = client(emulator, n_rows_read=PAGE)
    changes = Changes(emulator, times=10)
    given: list[dict[str, Any]] = []
    for page in desk.pages("tickets"):
        given += page
        changes.after_page([row["id"] for row in given])
    assert changes.deleted
    assert changes.updated_after_read
    ids = collections.Counter(row["id"] for row in given)
    assert changes.never_gone() <= set(ids)
    assert set(ids) == set(changes.at_start)  # the deleted ones were read before they went
    # A record changed after it was read comes again, in its new version; no other twice.
    assert {i for i, n in ids.items() if n > 1} == changes.updated_after_read
    assert max(ids.values()) == 2
    last = {row["id"]: row for row in given}
    assert all(last[i]["phone"] == "1" for i in changes.updated_after_read)
    times = [row["modifiedTime"] for row in given]
    assert times == sorted(times)


def test_the_same_changes_make_an_offset_read_skip(emulator: Emulator) -> None:
    """The control: paging by ``from`` under the same changes loses records."""
    changes = Changes(emulator, times=10)
    read: list[str] = []
    while True:
        params = {"modifiedTimeRange": EVERYTHING, "sortBy": "modifiedTime", "limit": PAGE}
        response = emulator.desk("GET", "tickets/search", params={**params, "from": len(read)})
        if response.status_code == 204:
            break
        read += [row["id"] for row in response.json()["data"]]
        changes.after_page(read)
    assert changes.never_gone() - set(read)


def test_a_keyset_read_starts_every_search_at_offset_zero(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = client(emulator, n_rows_read=100)
    offsets: list[int] = []
    request = desk.request

    def observed(method: str, path: str, **options: Any) -> dict[str, Any] | None:
        if path == "tickets/search":
            offsets.append(options["params"]["from"])
        return request(method, path, **options)

    monkeypatch.setattr(desk, "request", observed)
    spent = emulator.stats()["credits"]
    assert sum(len(page) for page in desk.pages("tickets")) == RECORDS
    assert set(offsets) == {0}  # no deep offset, however long the module (the cap is 999)
    assert len(offsets) <= RECORDS // 80 + 1  # a page re-reads only the ties at its start
    assert emulator.stats()["credits"] - spent == 3 * len(offsets)  # the cheapest pages


def _longest_tie(desk: ZohoDesk, module: str) -> tuple[str, list[str], set[str]]:
    """The modifiedTime most records of a module share, their ids, and the ids from it on."""
    by_time: dict[str, list[str]] = collections.defaultdict(list)
    for row in desk.records(module):
        by_time[row["modifiedTime"]].append(row["id"])
    moment, tied = max(by_time.items(), key=lambda item: len(item[1]))
    return moment, tied, {i for time, ids in by_time.items() if time >= moment for i in ids}


def test_ties_longer_than_a_page_are_read_again_when_one_moves(emulator: Emulator) -> None:
    desk = client(emulator, n_rows_read=5)
    moment, tied, expected = _longest_tie(desk, "contacts")
    assert len(tied) > 10  # the seed has runs of ties longer than two pages
    given: list[str] = []
    moved = ""
    for page in desk.pages("contacts", since=moment):
        given += [row["id"] for row in page]
        if not moved:  # inside the run: one tie leaves it, shifting the others' offsets
            moved = page[0]["id"]
            response = emulator.desk("PATCH", f"contacts/{moved}", json={"phone": "1"})
            assert response.status_code == 200, response.text
    assert moved in tied
    assert set(given) == expected
    assert given.count(moved) == 2
    assert len(given) == len(expected) + 1


def test_ties_past_the_from_cap_stop_loudly_and_teach_the_cap(emulator: Emulator) -> None:
    desk = client(emulator, n_rows_read=5, search_from_cap=999)
    moment, tied, _ = _longest_tie(desk, "contacts")
    cap = len(tied) // 2
    emulator.configure(search_from_cap=cap)
    with pytest.raises(ZohoError) as stopped:
        list(desk.pages("contacts", since=moment))
    assert stopped.value.code == "FROM_CAP_EXCEEDED"
    assert "share one modifiedTime" in stopped.value.message
    assert desk.search_from_cap <= cap
