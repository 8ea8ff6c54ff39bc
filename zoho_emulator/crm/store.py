"""One CRM module's records: the seeded ones, computed on demand, under an overlay of API writes.

Writes happen "now", after every seeded timestamp (the data ends the day before the anchor,
which is never later than today), so a written record always sorts after the seeded ones by
Modified_Time, and a created one after them by id and Created_Time too. That keeps the sorted
views cheap: a cached order of the seeded records plus a short sorted tail.
"""

from __future__ import annotations

import array
import bisect
import collections
import dataclasses
import heapq
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog
from zoho_emulator.crm.generator import (
    CONVERTED,
    PERMANENTLY_DELETED,
    SEED_DELETED,
    UNAPPROVED,
    Generator,
)

if TYPE_CHECKING:
    from zoho_emulator.crm.catalog import Field, Module

SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
T = TypeVar("T")
_LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup", "multi_module_lookup"})
_SELECTION_CACHE_SIZE = 8
#: The current name of a lookup's target: (record id, name as seeded) -> name.
NameResolver = Callable[[str, str | None], str | None]


@dataclasses.dataclass(frozen=True)
class Deletion:
    """A record deleted through the API."""

    deleted_time: float
    display_name: str | None
    created_by: dict[str, Any] | None
    deleted_by: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Filters:
    """What Get Records filters on besides the sort: Zoho's ``converted``/``approved`` flags.

    Attributes:
        converted: ``false`` (Zoho's default), ``true`` or ``both``.
        approved: ``true`` (Zoho's default), ``false`` or ``both``.
        modified_since: Only records modified after this instant (If-Modified-Since).
    """

    converted: str = "false"
    approved: str = "true"
    modified_since: float | None = None


class ModuleStore:
    """The records of one module.

    Args:
        module: The module.
        generator: The org's seeded data.
    """

    def __init__(self, module: Module, generator: Generator) -> None:
        self.module = module
        self.gen = generator
        self.base_size = generator.size(module)
        self.times = generator.times(module)
        self.overlay: dict[int, dict[str, Any]] = {}
        self.written_at: dict[int, float] = {}
        self.deleted: dict[int, Deletion] = {}
        self.created = 0
        self.version = 0
        self._selections: collections.OrderedDict[tuple[Any, ...], array.array[int]] = (
            collections.OrderedDict()
        )
        self._value_indexes: dict[str, dict[Any, set[int]]] = {}
        self._query_results: collections.OrderedDict[tuple[Any, ...], object] = (
            collections.OrderedDict()
        )
        self._tails: dict[str, tuple[int, list[tuple[float, int]]]] = {}

    # -- reading ---------------------------------------------------------------------------

    def exists(self, index: int) -> bool:
        """Whether a record of that index is live."""
        if index < 0 or index >= self.base_size + self.created or index in self.deleted:
            return False
        return index >= self.base_size or not self.times.flags[index] & SEED_DELETED

    def get(self, index: int, field: Field) -> Any:
        """The current wire value of one field; ``id`` answers the record id."""
        if field.api_name == "id":
            return catalog.record_id(self.module.code, index)
        written = self.overlay.get(index)
        if written is not None:
            return written.get(field.api_name)
        return self.gen.value(self.module, index, field)

    def modified_ts(self, index: int) -> float:
        """Modified_Time of a record, as epoch seconds."""
        written = self.overlay.get(index)
        if written is not None and "Modified_Time" in written:
            return timefmt.parse_crm_datetime(written["Modified_Time"])
        return self.times.modified[index]

    def is_converted(self, index: int) -> bool:
        """Whether a Lead was converted."""
        return index < self.base_size and bool(self.times.flags[index] & CONVERTED)

    def is_approved(self, index: int) -> bool:
        """Whether a record is approved (unapproved ones are hidden by default)."""
        return index >= self.base_size or not self.times.flags[index] & UNAPPROVED

    def display_name(self, index: int) -> str | None:
        """The name lookups to this record show."""
        name_field = self.module.name_field
        return self.get(index, self.module.field_map[name_field]) if name_field else None

    def record(
        self, index: int, fields: Iterable[Field], *, detail: bool, names: NameResolver
    ) -> dict[str, Any]:
        """A record as Zoho sends it: ``id``, the fields asked for, and ``$`` meta keys.

        Args:
            index: The record.
            fields: The fields to include.
            detail: A single-record GET, which alone returns subforms and multi-select lookups.
            names: Current names of lookup targets.
        """
        row: dict[str, Any] = {"id": catalog.record_id(self.module.code, index)}
        for field in fields:
            if field.api_name == "id":
                continue
            if field.data_type in catalog.DETAIL_ONLY_TYPES and not detail:
                continue
            value = self.get(index, field)
            if field.data_type in _LOOKUP_TYPES and isinstance(value, dict):
                value = {**value, "name": names(value["id"], value.get("name"))}
                if field.data_type == "multi_module_lookup":
                    row["$se_module"] = field.lookup
            row[field.api_name] = value
        approved = self.is_approved(index)
        row.update(
            {
                "$approval_state": "approved" if approved else "approval_process_pending",
                "$editable": True,
                "$in_merge": False,
                "$process_flow": False,
                "$review": None,
            }
        )
        if any(field.data_type == "currency" for field in self.module.fields):
            row["$currency_symbol"] = "$"
        if detail:
            row["$has_more"] = {
                field.api_name: False
                for field in self.module.fields
                if field.data_type in catalog.DETAIL_ONLY_TYPES
            }
        return row

    def select(self, sort_by: str, *, descending: bool, filters: Filters) -> Sequence[int]:
        """Live records in Get Records order, cached until the next write.

        Ties on the sort key come in a fixed but arbitrary order (not by id): clients must not
        assume one.
        """
        since = filters.modified_since
        if since is not None and sort_by == "Modified_Time" and not descending:
            # The records modified after a moment are a tail of the Modified_Time order: found
            # by bisection, so a client asking again after each page does not scan each time.
            every = self.select(
                sort_by, descending=False, filters=dataclasses.replace(filters, modified_since=None)
            )
            start = bisect.bisect_right(every, since, key=self.modified_ts)
            return every[start:]
        key = (self.version, sort_by, descending, filters)
        cached = self._selections.get(key)
        if cached is not None:
            self._selections.move_to_end(key)
            return cached
        chosen = self._compute_selection(sort_by, filters)
        if descending:
            chosen.reverse()
        self._selections[key] = chosen
        while len(self._selections) > _SELECTION_CACHE_SIZE:
            self._selections.popitem(last=False)
        return chosen

    def cached_query(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """What a search or COQL query matched, computed once per data version.

        A query scans every record; paging through its results must not scan again.
        """
        full_key = (self.version, *key)
        cached = self._query_results.get(full_key)
        if cached is None:
            cached = compute()
            self._query_results[full_key] = cached
            while len(self._query_results) > _SELECTION_CACHE_SIZE:
                self._query_results.popitem(last=False)
        return cast("T", cached)

    def ascending(self, sort_by: str, low: Any = None) -> Iterator[tuple[Any, list[int]]]:
        """Live records by ascending ``sort_by`` (one of :data:`SORT_FIELDS`), in tied groups.

        Costs what it yields, not the module's size: seeded records come from their cached
        order, records written since from a short sorted tail.

        Args:
            sort_by: ``id``, ``Created_Time`` or ``Modified_Time``.
            low: Start at the first group whose key is at least this.

        Yields:
            Each key (the record id as an int, or epoch seconds) with its records, unordered.
        """
        total = self.base_size + self.created
        if sort_by == "id":
            first = int(catalog.record_id(self.module.code, 0))
            start = 0 if low is None else max(0, low - first)
            for index in range(start, total):
                if self.exists(index):
                    yield first + index, [index]
            return
        by_modified = sort_by == "Modified_Time"
        column = self.times.modified if by_modified else self.times.created
        order = _base_order(self.gen, self.module, sort_by)
        start = 0 if low is None else bisect.bisect_left(order, low, key=column.__getitem__)
        # A written record's Modified_Time leaves its seeded place for the tail's.
        moved = self.overlay if by_modified else {}
        flags, deleted = self.times.flags, self.deleted
        seeded = (
            (column[index], index)
            for index in (order[position] for position in range(start, len(order)))
            if not (flags[index] & SEED_DELETED or index in deleted or index in moved)
        )
        tail = self._tail(sort_by)
        first_tail = 0 if low is None else bisect.bisect_left(tail, low, key=_KEY)
        merged = heapq.merge(seeded, itertools.islice(tail, first_tail, None))
        for key, group in itertools.groupby(merged, key=_KEY):
            yield key, [index for _, index in group]

    def _tail(self, sort_by: str) -> list[tuple[float, int]]:
        """Written records by (time, index), sorted once per data version.

        Modified_Time: every written record; Created_Time: created ones (an update keeps a
        seeded record's Created_Time, so its seeded place).
        """
        cached = self._tails.get(sort_by)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        written: Iterable[int] = (
            self.overlay
            if sort_by == "Modified_Time"
            else range(self.base_size, self.base_size + self.created)
        )
        tail = sorted(
            (timefmt.parse_crm_datetime(self.overlay[index][sort_by]), index)
            for index in written
            if self.exists(index)
        )
        self._tails[sort_by] = (self.version, tail)
        return tail

    def _compute_selection(self, sort_by: str, filters: Filters) -> array.array[int]:
        by_modified = sort_by == "Modified_Time"
        # A written record moves to the tail when sorting by Modified_Time (its new time is
        # after every seeded one); otherwise it keeps its seeded place.
        skipped = set(self.deleted)
        if by_modified:
            skipped.update(self.overlay)
        flags = self.times.flags
        hide = SEED_DELETED
        if self.module.api_name == "Leads" and filters.converted != "both":
            hide |= CONVERTED if filters.converted == "false" else 0
        if filters.approved == "true":
            hide |= UNAPPROVED
        since = filters.modified_since
        modified = self.times.modified
        chosen = array.array("q")
        for index in _base_order(self.gen, self.module, sort_by):
            if flags[index] & hide or index in skipped:
                continue
            if since is not None and (
                self.modified_ts(index) <= since
                if index in self.overlay
                else modified[index] <= since
            ):
                continue
            chosen.append(index)
        if filters.converted == "true" and self.module.api_name == "Leads":
            chosen = array.array("q", (index for index in chosen if self.is_converted(index)))
        if filters.approved == "false":
            chosen = array.array("q", (index for index in chosen if not self.is_approved(index)))
        tail = [
            index
            for index in (
                self.overlay
                if by_modified
                else range(self.base_size, self.base_size + self.created)
            )
            if self.exists(index)
            and (since is None or self.modified_ts(index) > since)
            and (filters.approved != "false")
            and (filters.converted != "true" or self.is_converted(index))
        ]
        tail.sort(
            key=lambda index: (self.modified_ts(index), _tie(index)) if by_modified else index
        )
        chosen.extend(tail)
        return chosen

    def deleted_entries(self, users: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every deleted record Zoho still remembers, newest deletion first."""
        entries = []
        flags, deleted_at = self.times.flags, self.times.deleted_at
        now = timefmt.now()
        for index in _seed_deleted(self.gen, self.module):
            permanent = bool(flags[index] & PERMANENTLY_DELETED)
            creator = self.gen.value(self.module, index, self.module.field_map["Created_By"])
            entries.append(
                self._deleted_entry(
                    index,
                    deleted_at[index],
                    permanent=permanent,
                    name=self.gen.display_name(self.module, index),
                    created_by=creator,
                    deleted_by=Generator.owner_value(users[0], with_email=False),
                )
            )
        for index, deletion in self.deleted.items():
            entries.append(
                self._deleted_entry(
                    index,
                    deletion.deleted_time,
                    permanent=False,
                    name=deletion.display_name,
                    created_by=deletion.created_by,
                    deleted_by=deletion.deleted_by,
                )
            )
        retention = {"recycle": 60 * 86_400, "permanent": 120 * 86_400}
        entries = [
            entry for entry in entries if now - entry["_deleted_ts"] <= retention[entry["type"]]
        ]
        entries.sort(key=lambda entry: (-entry["_deleted_ts"], entry["id"]))
        return entries

    def _deleted_entry(
        self,
        index: int,
        when: float,
        *,
        permanent: bool,
        name: str | None,
        created_by: dict[str, Any] | None,
        deleted_by: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "deleted_by": None if permanent else deleted_by,
            "id": catalog.record_id(self.module.code, index),
            "display_name": None if permanent else name,
            "type": "permanent" if permanent else "recycle",
            "created_by": None
            if permanent
            else created_by
            and {
                "name": created_by["name"],
                "id": created_by["id"],
            },
            "deleted_time": timefmt.crm_datetime(when, self.gen.zone),
            "_deleted_ts": when,
        }

    # -- value look-ups (unique fields, upsert duplicate checks) ----------------------------

    def find(self, field: Field, value: Any) -> list[int]:
        """Live records whose field equals ``value`` (strings compared case-insensitively)."""
        index = self._value_indexes.get(field.api_name)
        if index is None:
            index = collections.defaultdict(set)
            for record in self.live_indices():
                index[_normal(self.get(record, field))].add(record)
            self._value_indexes[field.api_name] = index
        return sorted(index.get(_normal(value), ()))

    def live_indices(self) -> Iterable[int]:
        """Every live record, in id order."""
        return (i for i in range(self.base_size + self.created) if self.exists(i))

    # -- writing ---------------------------------------------------------------------------

    def materialize(self, index: int) -> dict[str, Any]:
        """The writable copy of a record, created from its seeded values on first write."""
        written = self.overlay.get(index)
        if written is None:
            written = {
                field.api_name: self.gen.value(self.module, index, field)
                for field in self.module.fields
            }
            self.overlay[index] = written
        return written

    def put(self, index: int, values: dict[str, Any]) -> None:
        """Store a record's new values, keeping the value look-ups current."""
        record = self.materialize(index) if index < self.base_size else self.overlay[index]
        self._unindex(index)
        record.update(values)
        self._reindex(index)
        self.written_at[index] = timefmt.now()
        self.version += 1

    def add(self, values: dict[str, Any]) -> int:
        """Store a new record; returns its index."""
        index = self.base_size + self.created
        self.created += 1
        self.overlay[index] = values
        self._reindex(index)
        self.written_at[index] = timefmt.now()
        self.version += 1
        return index

    def remove(self, index: int, deletion: Deletion) -> None:
        """Delete a record into the recycle bin."""
        self._unindex(index)
        self.deleted[index] = deletion
        self.version += 1

    def _unindex(self, index: int) -> None:
        for name, values in self._value_indexes.items():
            values.get(_normal(self.get(index, self.module.field_map[name])), set()).discard(index)

    def _reindex(self, index: int) -> None:
        for name, values in self._value_indexes.items():
            values.setdefault(_normal(self.get(index, self.module.field_map[name])), set()).add(
                index
            )


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, dict):
        return value.get("id")
    if isinstance(value, list):
        return None
    return value


_KEY = operator.itemgetter(0)


def _tie(index: int) -> int:
    return (index * 2654435761) & 0xFFFFF


_ORDER_CACHE: dict[tuple[int, int, int, int, str], array.array[int]] = {}


def _base_order(gen: Generator, module: Module, sort_by: str) -> array.array[int]:
    """Seeded records sorted ascending by a sort key (a pure function of the seed)."""
    size = gen.size(module)
    key = (gen.seed, size, module.code, gen.start, sort_by)
    order = _ORDER_CACHE.get(key)
    if order is None:
        times = gen.times(module)
        if sort_by == "id":
            order = array.array("q", range(size))
        else:
            column = times.modified if sort_by == "Modified_Time" else times.created
            order = array.array("q", sorted(range(size), key=lambda i: (column[i] << 20) | _tie(i)))
        _ORDER_CACHE[key] = order
    return order


def _seed_deleted(gen: Generator, module: Module) -> list[int]:
    flags = gen.times(module).flags
    return [index for index, flag in enumerate(flags) if flag & SEED_DELETED]
