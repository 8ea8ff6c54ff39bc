"""Filters of Desk searches and list filters, and the selection of matching records.

Search values are comma-separated alternatives, matched case-insensitively and exactly, or
by prefix with a trailing ``*`` (and by suffix with a leading one); ``${empty}`` and
``${notempty}`` test for blank values. Different parameters are ANDed (Desk's API
documentation, its search APIs).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from zoho_emulator.desk.store import TIME_KEYS, ModuleStore, time_bound

EMPTY = "${empty}"
NOT_EMPTY = "${notempty}"

#: The current value of a (possibly virtual, e.g. ``contactName``) key of a record.
ValueOf = Callable[[int, str], Any]


@dataclasses.dataclass(frozen=True)
class Match:
    """A key equals one of several terms (search syntax when ``wildcards``)."""

    key: str
    terms: tuple[str, ...]
    wildcards: bool = True

    def accepts(self, value: Any) -> bool:
        """Whether a value matches any term."""
        blank = value is None or value in ("", [])
        text = "" if blank else str(value).casefold()
        for term in self.terms:
            if self.wildcards and term in (EMPTY, NOT_EMPTY):
                if blank == (term == EMPTY):
                    return True
            elif not blank and self._matches(text, term.casefold()):
                return True
        return False

    def _matches(self, text: str, term: str) -> bool:
        lead = self.wildcards and len(term) > 1 and term.startswith("*")
        trail = self.wildcards and term.endswith("*")
        core = term[1 if lead else 0 : len(term) - 1 if trail else len(term)]
        if lead and trail:
            return core in text
        if lead:
            return text.endswith(core)
        if trail:
            return text.startswith(core)
        return text == term


@dataclasses.dataclass(frozen=True)
class Contains:
    """Free text (``_all``) found in any of several keys."""

    keys: tuple[str, ...]
    text: str

    def accepts_any(self, values: Sequence[Any]) -> bool:
        """Whether the text occurs in any of the values."""
        wanted = self.text.casefold()
        return any(value is not None and wanted in str(value).casefold() for value in values)


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """A datetime key within ``[start, end]`` (epoch milliseconds), or ``(start, end)``."""

    key: str
    start: int
    end: int
    inclusive: bool = True

    def holds(self, millis: int) -> bool:
        """Whether an instant is within the range."""
        if self.inclusive:
            return self.start <= millis <= self.end
        return self.start < millis < self.end


Filter = Match | Contains | TimeRange


def accepts(flt: Filter, index: int, store: ModuleStore, value_of: ValueOf) -> bool:
    """Whether a record passes one filter."""
    if isinstance(flt, TimeRange):
        millis = store.time_ms(index, flt.key)
        return millis is not None and flt.holds(millis)
    if isinstance(flt, Contains):
        return flt.accepts_any([value_of(index, key) for key in flt.keys])
    return flt.accepts(value_of(index, flt.key))


def select(
    store: ModuleStore, sort: str, filters: Sequence[Filter], value_of: ValueOf
) -> Sequence[int]:
    """Live records passing every filter, ascending by ``sort``.

    A time range on the sort key itself is a slice of the sorted order (binary search);
    other filters are checked record by record.
    """
    order = store.order(sort)
    rest = list(filters)
    if sort in TIME_KEYS:
        window = next((f for f in rest if isinstance(f, TimeRange) and f.key == sort), None)
        if window is not None:
            rest.remove(window)

            def position(i: int) -> Any:
                return store.sort_key(i, sort)

            first = time_bound(window.start, upper=not window.inclusive)
            last = time_bound(window.end, upper=window.inclusive)
            if window.inclusive:
                low = bisect.bisect_left(order, first, key=position)
                high = bisect.bisect_right(order, last, key=position)
            else:
                low = bisect.bisect_right(order, first, key=position)
                high = bisect.bisect_left(order, last, key=position)
            order = order[low:high]
    if not rest:
        return order
    return [i for i in order if all(accepts(flt, i, store, value_of) for flt in rest)]
