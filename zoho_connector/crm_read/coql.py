"""Reading with COQL: 2,000 records a call, several calls in flight, nothing skipped.

A read goes in blocks keyed on (order field, id): each block starts after the last record of
the one before, so no query passes COQL's 100,000-record OFFSET cap and records tied on the
order field are never split (https://www.zoho.com/crm/developer/docs/api/v8/COQL-Limitations.html
gives the cap). Within a block, pages are fetched at
offsets, ``n_concurrent`` at a time, each starting on the last record of the page before:

- if that first record is the previous page's last, nothing moved in between;
- if it comes later, records were updated or deleted meanwhile and the offsets shifted: the
  records between the two are read again by key (usually one call), so none is skipped;
- if it comes earlier, the overlap is dropped.

Records read by Modified_Time are bounded by the read's ``until`` (a second before it started,
by Zoho's clock): an updated record moves past the bound, to the next read, never behind the
records already read. More than 50 columns go in chunks over the same key range, joined by
id; a record a chunk no longer returns has changed meanwhile and is left to that next read.

How many pages to fetch ahead comes from the number of records expected (a count, when the
caller can give one cheaply), so that a read of a few records costs one call.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import dataclasses
import math
from typing import TYPE_CHECKING, Any

from zoho_connector.conditions import coql_literal, coql_where
from zoho_connector.crm_read.request import Call, Key, PageRead, chunked

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

    from zoho_connector.crm_read.values import Completer

#: Records a COQL call returns at most; LIMIT plus OFFSET stops at 100,000.
LIMIT = 2000
MAX_ROWS = 100_000
MAX_COLUMNS = 50
#: Credits of a COQL call of LIMIT 2,000 (Zoho's COQL overview,
#: https://www.zoho.com/developer/docs/vertical-solutions/api/v4/COQL-Overview.html).
CALL_CREDITS = 3
#: Values (records times columns) fetched ahead of the reader at most: memory stays flat, a
#: wide module has fewer pages in flight than a narrow one.
MAX_VALUES_AHEAD = 400_000


def column_chunks(columns: Sequence[str], order: str) -> list[list[str]]:
    """Columns in chunks of 50; each chunk carries the order field, to join and page on it."""
    if order == "id":
        return chunked(columns, size=MAX_COLUMNS)
    rest = [column for column in columns if column != order]
    return [[order, *part] for part in chunked(rest, size=MAX_COLUMNS - 1)]


def read_credits(columns: Sequence[str], order: str, records: int) -> int:
    """The credits of reading ``records`` records by COQL: 3 a call of 2,000, a call a chunk."""
    pages = 1 + math.ceil(max(0, records - LIMIT) / (LIMIT - 1))
    return CALL_CREDITS * pages * len(column_chunks(columns, order))


@dataclasses.dataclass(frozen=True)
class _Bound:
    """A record's place, as COQL literals: its order value and id."""

    value: str | None
    id: str
    key: Key


@dataclasses.dataclass
class _Page:
    """One page: its records, and where its first call's first and last records stand."""

    rows: list[tuple[Key, dict[str, Any]]]
    more: bool
    size: int
    first: _Bound | None
    last: _Bound | None


class CoqlReader:
    """One read of a module through COQL (see the module docstring).

    Args:
        call: The client's API call.
        read: What to read.
        columns: The columns to select (``id`` aside): fields and dotted lookup names.
        complete: Turns a row into a record shaped as Get Records returns it.
        n_concurrent: Calls in flight at most.
        total: How many records the read will find, when the caller knows already.
        expected: How many records the read should find, if that can be learned cheaply;
            asked once, when a first full page shows there is more than one page.
        page_rows: Records a call (2,000, COQL's most; fewer costs fewer credits).
    """

    def __init__(
        self,
        call: Call,
        read: PageRead,
        columns: Sequence[str],
        complete: Completer,
        n_concurrent: int,
        *,
        total: int | None = None,
        expected: Callable[[], int | None] = lambda: None,
        page_rows: int | None = None,
    ) -> None:
        self.limit = max(2, min(LIMIT, page_rows or LIMIT))
        self.step = self.limit - 1
        self.last_page = (MAX_ROWS - self.limit) // self.step
        self.call = call
        self.read = read
        self.order = read.order_by
        self.chunks = column_chunks(columns, self.order)
        conditions = read.conditions()
        self.where = coql_where(conditions) if conditions else "id is not null"
        self.complete = complete
        width = 1 + sum(len(chunk) for chunk in self.chunks)
        self.n_concurrent = max(1, min(n_concurrent, MAX_VALUES_AHEAD // (self.limit * width)))
        self._expected = expected
        self._remaining = total
        self._asked = total is not None

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Pages of records in (order, id) order."""
        after: _Bound | None = None
        with concurrent.futures.ThreadPoolExecutor(self.n_concurrent) as pool:
            try:
                while True:
                    after, more = yield from self._block(pool, after)
                    if not more:
                        return
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise

    # -- one block of up to 100,000 records ---------------------------------------------

    def _block(
        self, pool: concurrent.futures.ThreadPoolExecutor, after: _Bound | None
    ) -> Generator[list[dict[str, Any]], None, tuple[_Bound | None, bool]]:
        """The pages of one block, in order; returns (last record read, whether more remain)."""
        where = self.where if after is None else f"({self.where}) and ({self._after(after)})"
        futures: dict[int, concurrent.futures.Future[_Page]] = {}  # fetched, not yet read
        submitted = 0

        def fetch_through(last: int) -> None:
            nonlocal submitted
            for number in range(submitted, min(last, self.last_page) + 1):
                futures[number] = pool.submit(
                    contextvars.copy_context().run, self._page, where, number
                )
                submitted = number + 1

        fetch_through(min(self._ahead(), self.n_concurrent) - 1)
        previous = after
        number = 0
        try:
            while True:
                page = futures.pop(number).result()
                if page.first is None or page.last is None:
                    # Empty after a full page: the records shrank meanwhile; the next block,
                    # keyed after the last record read, reads whatever is left.
                    return previous, number > 0
                if number and previous is not None:
                    yield from self._seam(previous, page.first, page.rows)
                elif page.rows:
                    yield [record for _, record in page.rows]
                previous = page.last
                self._learn(page)
                if not page.more:
                    return previous, False
                if number == self.last_page:
                    return previous, True
                fetch_through(number + min(self._ahead(), self.n_concurrent))
                number += 1
        finally:
            for future in futures.values():
                future.cancel()

    def _seam(
        self, previous: _Bound, first: _Bound, rows: list[tuple[Key, dict[str, Any]]]
    ) -> Iterator[list[dict[str, Any]]]:
        """A page after the first, checked against the last record of the page before."""
        if first.key > previous.key:  # the offsets shifted: read what lies between by key
            yield from self._between(previous, first)
        else:
            rows = [(key, record) for key, record in rows if key > previous.key]
        if rows:
            yield [record for _, record in rows]

    def _between(self, low: _Bound, high: _Bound) -> Iterator[list[dict[str, Any]]]:
        """The records strictly between two places, by key."""
        after = low
        while True:
            where = f"(({self.where}) and ({self._after(after)})) and ({self._before(high)})"
            rows, more = self._select(self.chunks[0], where)
            if rows:
                yield [record for _, record in self._joined(rows)]
            if not rows or not more:
                return
            after = self._bound(rows[-1])

    # -- calls -----------------------------------------------------------------------------

    def _page(self, where: str, number: int) -> _Page:
        """Page ``number`` of a block: the first chunk's rows, the other chunks joined in."""
        rows, more = self._select(self.chunks[0], where, number * self.step)
        first, last = (self._bound(rows[0]), self._bound(rows[-1])) if rows else (None, None)
        return _Page(self._joined(rows), more, len(rows), first, last)

    def _joined(self, rows: list[dict[str, Any]]) -> list[tuple[Key, dict[str, Any]]]:
        """Rows with the columns of every further chunk over the same key range, completed.

        Each comes with its key, taken before completion (which keeps only the fields asked
        for, maybe not the order field).
        """
        merged = {row["id"]: row for row in rows}
        if rows and len(self.chunks) > 1:
            low, high = self._bound(rows[0]), self._bound(rows[-1])
            span = f"(({self.where}) and ({self._from(low)})) and ({self._through(high)})"
            for columns in self.chunks[1:]:
                extras: dict[str, dict[str, Any]] = {}
                where = span
                while True:
                    found, more = self._select(columns, where)
                    extras.update((row["id"], row) for row in found)
                    if not found or not more:
                        break
                    where = f"({span}) and ({self._after(self._bound(found[-1]))})"
                merged = {
                    key: {**row, **extras[key]} for key, row in merged.items() if key in extras
                }
        return [(self.read.key(row), self.complete(row)) for row in merged.values()]

    def _select(
        self, columns: Sequence[str], where: str, offset: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        sort = "id asc" if self.order == "id" else f"{self.order} asc, id asc"
        select = ", ".join(columns) if columns else "id"
        query = f"select {select} from {self.read.module} where {where} order by {sort}"
        query += f" limit {self.limit}" + (f" offset {offset}" if offset else "")
        body = self.call("POST", "coql", json={"select_query": query}, idempotent=True) or {}
        return list(body.get("data") or []), bool((body.get("info") or {}).get("more_records"))

    # -- places in (order, id) order as COQL conditions ------------------------------------

    def _bound(self, row: dict[str, Any]) -> _Bound:
        value = None if self.order == "id" else row.get(self.order)
        return _Bound(None if value is None else str(value), str(row["id"]), self.read.key(row))

    def _after(self, bound: _Bound) -> str:
        return self._compare(bound, ">", ">")

    def _from(self, bound: _Bound) -> str:
        return self._compare(bound, ">", ">=")

    def _before(self, bound: _Bound) -> str:
        return self._compare(bound, "<", "<")

    def _through(self, bound: _Bound) -> str:
        return self._compare(bound, "<", "<=")

    def _compare(self, bound: _Bound, side: str, on_id: str) -> str:
        """Records on one side of a place in (order, id) order."""
        by_id = f"id {on_id} {bound.id}"
        if self.order == "id":
            return by_id
        if bound.value is None:  # empty values sort first
            tied = f"({self.order} is null) and ({by_id})"
            return f"({tied}) or ({self.order} is not null)" if side == ">" else tied
        literal = coql_literal(bound.value)
        return f"({self.order} {side} {literal}) or (({self.order} = {literal}) and ({by_id}))"

    # -- how far to fetch ahead ------------------------------------------------------------

    def _ahead(self) -> int:
        """Pages worth fetching after the current one: by the records expected, else one."""
        if self._remaining is None:
            return 1
        return max(1, math.ceil(self._remaining / self.step))

    def _learn(self, page: _Page) -> None:
        """Count down the records expected; ask for them once a page shows there are more."""
        if not self._asked and page.more:
            self._asked = True
            expected = self._expected()
            self._remaining = None if expected is None else expected
        if self._remaining is not None:
            self._remaining = max(0, self._remaining - page.size)
