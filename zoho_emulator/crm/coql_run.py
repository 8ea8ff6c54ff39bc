"""Running a parsed COQL query over a module's records: its matches in ORDER BY order.

Two ways give the same matches in the same order. :func:`scan` tests every live record and
sorts them all. :func:`walk` serves queries ordered first by ``id``, ``Created_Time`` or
``Modified_Time`` ascending (no ORDER BY is ``id``), as keyset and probe queries are: it goes
through the records in that order from the low bound the WHERE clause sets on the column and
stops once a page has its matches, so a call costs its offset and limit, not the module's size;
where the WHERE clause is certain to hold on the column's value alone, it is not even tested.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

from zoho_emulator.crm import compare, coql
from zoho_emulator.crm.store import SORT_FIELDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from zoho_emulator.crm.coql import Column, CoqlQuery, Resolver
    from zoho_emulator.crm.store import ModuleStore


class Matches:
    """A query's matches in its order, found as far as the pages asked for so far need.

    Args:
        ordered: The matches, produced lazily or all at once.
    """

    def __init__(self, ordered: Iterable[int]) -> None:
        self._found: list[int] = []
        self._rest = iter(ordered)

    def page(self, offset: int, limit: int) -> tuple[list[int], bool]:
        """The matches of one page, and whether more follow it."""
        wanted = offset + limit + 1
        if len(self._found) < wanted:
            self._found.extend(itertools.islice(self._rest, wanted - len(self._found)))
        return self._found[offset : offset + limit], len(self._found) > offset + limit


def matches(store: ModuleStore, query: CoqlQuery, resolve: Resolver) -> Matches:
    """The matches of a query, walked when its order allows, else scanned."""
    walked = walk(store, query, resolve)
    return Matches(scan(store, query, resolve) if walked is None else walked)


def scan(store: ModuleStore, query: CoqlQuery, resolve: Resolver) -> list[int]:
    """Every match: each live record tested, in id order, then sorted by the ORDER BY."""
    matched = [
        index
        for index in store.live_indices()
        if query.where is None or query.where(functools.partial(store.get, index), resolve)
    ]
    _sort(matched, query.order_by, store, resolve)
    return matched


def walk(store: ModuleStore, query: CoqlQuery, resolve: Resolver) -> Iterator[int] | None:
    """The matches in the order of the first ORDER BY column, or None when it cannot walk.

    Records tied on that column are ordered as :func:`scan` orders them: by the other ORDER BY
    columns, then by id.
    """
    if not query.order_by:
        return _walked(store, query, resolve, "id", ())
    (column, descending), *rest = query.order_by
    sort_by = column.field.api_name if len(column.path) == 1 else ""
    if descending or sort_by not in SORT_FIELDS:
        return None
    # Ids are unique: no column after one breaks a tie, and a final ``id asc`` is the id
    # order each tied group starts from.
    for position, (later, later_descending) in enumerate(rest):
        if later.path == (compare.ID_FIELD,):
            rest = rest[: position + 1 if later_descending else position]
            break
    return _walked(store, query, resolve, sort_by, rest)


def _walked(
    store: ModuleStore,
    query: CoqlQuery,
    resolve: Resolver,
    sort_by: str,
    rest: Sequence[tuple[Column, bool]],
) -> Iterator[int]:
    low, high = query.ranges.get(sort_by, (None, None))
    certain = query.certain.get(sort_by)
    where = query.where
    for key, group in store.ascending(sort_by, low):
        if high is not None and key > high:
            return
        if certain is not None and _inside(key, certain):
            matched = group
        else:
            matched = [
                index
                for index in group
                if where is None or where(functools.partial(store.get, index), resolve)
            ]
        if len(matched) > 1:
            matched.sort()
            _sort(matched, rest, store, resolve)
        yield from matched


def _inside(key: Any, span: tuple[Any, Any]) -> bool:
    """Whether a key lies strictly inside an open interval (None ends unbounded)."""
    low, high = span
    return (low is None or key > low) and (high is None or key < high)


def _sort(
    indices: list[int],
    order: Sequence[tuple[Column, bool]],
    store: ModuleStore,
    resolve: Resolver,
) -> None:
    """Sort records given in id order: stable passes from the last ORDER BY column to the first.

    Ties keep id order, and empty values sort first ascending, last descending.
    """
    for column, descending in reversed(order):

        def key(index: int, column: Column = column) -> tuple[object, ...]:
            return coql.sort_key(
                coql.column_value(column, functools.partial(store.get, index), resolve)
            )

        indices.sort(key=key, reverse=descending)
