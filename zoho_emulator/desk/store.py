"""One Desk module's records: the seeded ones, computed on demand, under an overlay of API writes.

API writes happen "now", after every seeded timestamp, so a written record sorts after the
seeded ones by modifiedTime. Every sorted view is a cached order of the seeded records (a
compact array) with the few written records spliced in by binary search.
"""

from __future__ import annotations

import array
import bisect
import collections
import functools
from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt
from zoho_emulator.desk import catalog

if TYPE_CHECKING:
    from collections.abc import Sequence

    from zoho_emulator.desk.catalog import Module
    from zoho_emulator.desk.generator import Seeded, Times

#: Keys whose values are Desk datetimes (sorted as instants).
TIME_KEYS = frozenset(
    {"createdTime", "modifiedTime", "customerResponseTime", "dueDate", "startTime", "recentThread"}
)
#: Search's default order: fixed for a given seed but meaningless, so nobody may rely on it.
RELEVANCE = "relevance"
_ORDER_CACHE_SIZE = 8
_BASE_ORDERS: dict[tuple[Any, ...], array.array[int]] = {}


def now_ms() -> int:
    """The emulator's clock in epoch milliseconds: when API writes happen."""
    return int(timefmt.now() * 1000)


def scramble(index: int) -> int:
    """A 32-bit bijection of record indexes: breaks ties without following id order."""
    return (index * 0x9E3779B1) & 0xFFFFFFFF


def time_bound(millis: int, *, upper: bool) -> int:
    """The lowest (or highest) time sort key at an instant, for range searches."""
    return (millis << 32) | (0xFFFFFFFF if upper else 0)


class ModuleStore:
    """The records of one module.

    Args:
        module: The module.
        seeded: The org's seeded data.
    """

    def __init__(self, module: Module, seeded: Seeded) -> None:
        self.module = module
        self.seeded = seeded
        self.base_size = seeded.size(module)
        self.overlay: dict[int, dict[str, Any]] = {}
        self.trashed: set[int] = set()
        self.created = 0
        self.version = 0
        self._orders: collections.OrderedDict[tuple[int, str], Sequence[int]] = (
            collections.OrderedDict()
        )

    # -- reading ---------------------------------------------------------------------------

    @functools.cached_property
    def times(self) -> Times:
        """Created and modified times of the seeded records (computed on first use)."""
        return self.seeded.times(self.module)

    def exists(self, index: int) -> bool:
        """Whether a record of that index is live (created and not trashed)."""
        return 0 <= index < self.base_size + self.created and index not in self.trashed

    def find(self, record_id: object) -> int | None:
        """The index of a live record by id."""
        index = catalog.parse_id(record_id, self.module.code)
        return index if index is not None and self.exists(index) else None

    def live_count(self) -> int:
        """How many live records there are."""
        return self.base_size + self.created - len(self.trashed)

    def stored(self, index: int) -> dict[str, Any]:
        """Every stored key of a record (derived keys are added by :mod:`shapes`)."""
        written = self.overlay.get(index)
        return dict(written) if written is not None else self.seeded.record(self.module, index)

    def value(self, index: int, key: str) -> Any:
        """The current value of one stored key."""
        written = self.overlay.get(index)
        if written is not None:
            return written.get(key)
        return self.seeded.value(self.module, index, key)

    def time_ms(self, index: int, key: str) -> int | None:
        """A datetime key of a record as epoch milliseconds."""
        if index < self.base_size and index not in self.overlay:
            if key == "createdTime":
                return self.times.created[index]
            if key == "modifiedTime":
                return self.times.modified[index]
        if key == "recentThread":
            if index < self.base_size:
                return self.seeded.recent_thread_ms(index)
            return self.time_ms(index, "createdTime")
        value = self.value(index, key)
        return None if value is None else timefmt.parse_desk_datetime(value)

    def sort_key(self, index: int, key: str) -> Any:
        """A record's position key in the order by ``key``; ties break by :func:`scramble`."""
        if key == RELEVANCE:
            return scramble(index)
        if key in TIME_KEYS:
            millis = self.time_ms(index, key)
            return ((-1 if millis is None else millis) << 32) | scramble(index)
        value = self.value(index, key)
        text = "" if value is None else str(value).casefold()
        return (value is not None, text, scramble(index))

    def order(self, key: str) -> Sequence[int]:
        """Live records ascending by ``key``, cached until the next write."""
        cache_key = (self.version, key)
        cached = self._orders.get(cache_key)
        if cached is not None:
            self._orders.move_to_end(cache_key)
            return cached
        base = self._base_order(key)
        result: Sequence[int] = base
        if self.overlay or self.trashed:
            result = self._splice(base, key)
        self._orders[cache_key] = result
        while len(self._orders) > _ORDER_CACHE_SIZE:
            self._orders.popitem(last=False)
        return result

    def _base_order(self, key: str) -> array.array[int]:
        """Seeded records sorted by ``key`` (a pure function of the seed, cached per process)."""
        cache_key = (self.seeded.fingerprint, self.module.code, key)
        order = _BASE_ORDERS.get(cache_key)
        if order is None:
            if key == "createdTime":
                order = array.array("q", range(self.base_size))  # ids are given in time order
            elif key == "modifiedTime":
                column = self.times.modified
                ranked = sorted(
                    range(self.base_size), key=lambda i: (column[i] << 32) | scramble(i)
                )
                order = array.array("q", ranked)
            else:
                pristine = ModuleStore(self.module, self.seeded)
                ranked = sorted(range(self.base_size), key=lambda i: pristine.sort_key(i, key))
                order = array.array("q", ranked)
            _BASE_ORDERS[cache_key] = order
        return order

    def _splice(self, base: array.array[int], key: str) -> array.array[int]:
        """The seeded order without written or trashed records, written ones put in place."""
        moved = self.overlay.keys() | self.trashed
        kept = array.array("q", (index for index in base if index not in moved))
        written = sorted(
            (index for index in self.overlay if index not in self.trashed),
            key=lambda index: self.sort_key(index, key),
        )
        result = array.array("q")
        start = 0
        for index in written:
            position = bisect.bisect_left(
                kept, self.sort_key(index, key), key=lambda i: self.sort_key(i, key)
            )
            result.extend(kept[start:position])
            result.append(index)
            start = position
        result.extend(kept[start:])
        return result

    # -- writing ---------------------------------------------------------------------------

    def create(self, values: dict[str, Any]) -> int:
        """Store a new record (its ``id`` is assigned here); returns its index."""
        index = self.base_size + self.created
        self.created += 1
        self.overlay[index] = {"id": catalog.record_id(self.module.code, index), **values}
        self.version += 1
        return index

    def update(self, index: int, values: dict[str, Any]) -> None:
        """Change stored keys of a live record."""
        record = self.overlay.get(index)
        if record is None:
            record = self.seeded.record(self.module, index)
            self.overlay[index] = record
        record.update(values)
        self.version += 1

    def trash(self, indexes: Sequence[int]) -> None:
        """Move records to the Recycle Bin: they leave lists, search and single GETs."""
        self.trashed.update(indexes)
        self.version += 1
