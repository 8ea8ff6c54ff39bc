"""A stream's records held back until the records their lookups name are written.

A Contact whose account comes in a later stream, an Account whose parent comes in a later
batch: such a record waits, indexed by the records (module, source id) it waits for, and
goes once the run's copies have one of them, with the waiting records it points to (records
that point at each other go together, to be written as a batch writes them). The later
records of a waiting record's id wait behind it, so that the records of an id are written in
their order.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: A record held back, with the number of its input line.
Held = tuple[int, dict[str, Any]]


class Waiting:
    """The records of one stream waiting for the records their lookups name.

    Args:
        module: The module the stream's records are written to.
    """

    def __init__(self, module: str) -> None:
        self.module = module
        self._held: dict[int, Held] = {}  # in the order they came
        self._awaits: dict[int, list[tuple[str, str]]] = {}
        self._by_awaited: dict[tuple[str, str], set[int]] = {}
        self._by_id: dict[str, set[int]] = {}
        self._copies_seen: dict[str, int] = {}
        self._count = itertools.count()

    def __len__(self) -> int:
        return len(self._held)

    def holds_id(self, record: Mapping[str, Any]) -> bool:
        """Whether a record of the record's id waits (then it must wait behind it)."""
        return record.get("id") is not None and str(record["id"]) in self._by_id

    def ids(self) -> set[tuple[str, str]]:
        """The waiting records, as (module, source id)."""
        return {(self.module, record_id) for record_id in self._by_id}

    def add(self, held: Held, awaits: Iterable[tuple[str, str]]) -> None:
        """Hold a record back until one of the records it awaits is copied (or its id's turn)."""
        number = next(self._count)
        self._held[number] = held
        self._awaits[number] = list(awaits)
        for awaited in self._awaits[number]:
            self._by_awaited.setdefault(awaited, set()).add(number)
        record_id = held[1].get("id")
        if record_id is not None:
            self._by_id.setdefault(str(record_id), set()).add(number)

    def ready(self, copies: Mapping[str, Mapping[str, str]]) -> list[Held]:
        """Take out the records one of whose awaited records was copied since the last call.

        With them, the waiting records they point to and the other waiting records of their
        ids, in the order all came.

        Args:
            copies: Module → source id → its copy's id: the run's copies, which only grow.
        """
        numbers: set[int] = set()
        for module in {module for module, _ in self._by_awaited}:
            copied = copies.get(module, {})
            for source_id in itertools.islice(copied, self._copies_seen.get(module, 0), None):
                numbers |= self._by_awaited.get((module, source_id), set())
            self._copies_seen[module] = len(copied)
        frontier = list(numbers)
        while frontier:
            number = frontier.pop()
            record_id = self._held[number][1].get("id")
            related = set(self._by_id[str(record_id)]) if record_id is not None else set()
            for module, source_id in self._awaits[number]:
                if module == self.module:
                    related |= self._by_id.get(source_id, set())
            frontier += related - numbers
            numbers |= related
        return [self._take(number) for number in sorted(numbers)]

    def take_all(self) -> list[Held]:
        """Take out every waiting record, in the order they came."""
        return [self._take(number) for number in list(self._held)]

    def _take(self, number: int) -> Held:
        held = self._held.pop(number)
        for awaited in self._awaits.pop(number):
            waiting = self._by_awaited[awaited]
            waiting.discard(number)
            if not waiting:
                del self._by_awaited[awaited]
        record_id = held[1].get("id")
        if record_id is not None:
            same = self._by_id[str(record_id)]
            same.discard(number)
            if not same:
                del self._by_id[str(record_id)]
        return held
