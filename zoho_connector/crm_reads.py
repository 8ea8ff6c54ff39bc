"""Zoho CRM's reads: pages by Get Records, COQL or Bulk Read; ``read``, ``retrieve``, ``count``.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/get-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/COQL-Overview.html,
https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/overview.html
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

import polars as pl

from zoho_connector import conditions as zoho_conditions
from zoho_connector import crm_read
from zoho_connector import fields as zoho_fields
from zoho_connector.conditions import Condition, parse_criteria, query_condition
from zoho_connector.crm_metadata import CrmMetadata
from zoho_connector.crm_read import PageRead, Plan, Strategy, rest
from zoho_connector.crm_read.bulk import Backfill, BulkApi, BulkReader
from zoho_connector.crm_read.coql import CoqlReader
from zoho_connector.crm_read.values import References, columns, completer
from zoho_connector.crm_types import condition_format
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.formats import crm_datetime
from zoho_connector.frames import to_frame
from zoho_connector.usage import in_parallel, read_ahead

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from pathlib import Path

    from zoho_connector.load import Progress


class CrmReads(CrmMetadata):
    """A Zoho CRM client's reads."""

    n_rows_read: int
    bulk_threshold: int
    references: References

    @property
    def bulk_root(self) -> str:
        """Where Bulk Read jobs live: ``{url}/crm/bulk/{api_version}/read``."""
        return f"{self.url}/crm/bulk/{self.api_version}/read"

    api_version: str

    def pages(
        self,
        module: str,
        *,
        filter: Sequence[Sequence[Condition]] | Sequence[Condition] | None = None,
        fields: Sequence[str] | None = None,
        order_by: str = "id",
        since: str | dt.datetime | None = None,
        n_rows_read: int | None = None,
        strategy: Strategy | str = Strategy.AUTO,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every matching record, page by page, in constant memory (see ``crm_read``).

        Args:
            module: The module's API name.
            filter: Conditions from :meth:`query_condition` (all must hold).
            fields: Fields to return; all a list call can return by default.
            order_by: ``id``, ``Modified_Time`` or ``Created_Time`` (ascending).
            since: Only records modified after this datetime (ISO text or a datetime; naive is
                UTC).
            n_rows_read: Records per Get Records call (at most 200).
            strategy: ``auto`` (COQL, or Get Records for fields COQL cannot return),
                ``rest``, ``coql`` or ``bulk`` (whose pages come in Zoho's export order).

        Raises:
            ZohoInputError: At once, before any record call: unknown module, field, order or
                strategy, a ``since`` that is no datetime or a module without Modified_Time.
        """
        read = self._page_read(module, filter, fields, order_by, since, n_rows_read)
        plan = self.plan(read, strategy, ordered=True)
        return self.scan(read, plan.strategy, total=plan.total)

    def _page_read(
        self,
        module: str,
        filter: Sequence[Any] | None,
        fields: Sequence[str] | None,
        order_by: str,
        since: str | dt.datetime | None,
        n_rows_read: int | None,
    ) -> PageRead:
        """A read checked against the module's metadata (see :meth:`pages`)."""
        name = self.module(module)["api_name"]
        if order_by not in crm_read.SORT_FIELDS:
            msg = f"order_by must be one of {', '.join(crm_read.SORT_FIELDS)}, not {order_by!r}"
            raise ZohoInputError(msg)
        known = self._known_fields(name)
        if order_by not in known:
            msg = f"{name} has no {order_by} to order by; read it ordered by id"
            raise ZohoInputError(msg)
        if since is not None and "Modified_Time" not in known:
            msg = f"{name} has no Modified_Time to read the records modified since {since}"
            raise ZohoInputError(msg)
        if since is not None:
            try:
                since = crm_datetime(since)
            except (TypeError, ValueError):
                msg = f"since must be an ISO datetime, not {since!r}"
                raise ZohoInputError(msg) from None
        per_page = n_rows_read or self.n_rows_read
        check_range("n_rows_read", per_page, 1, crm_read.MAX_PER_PAGE)
        # Ordered by Modified_Time, a read takes what was modified until a second before it
        # starts: what changes meanwhile moves past it, never behind records already read.
        until = None
        if order_by == crm_read.MODIFIED_TIME:
            until = crm_datetime(self.server_now() - dt.timedelta(seconds=1))
        return PageRead(
            module=name,
            fields=self._field_names(name, fields),
            order_by=order_by,
            since=since,
            until=until,
            filter=self._conditions(name, filter),
            per_page=per_page,
            metadata={field["api_name"]: field for field in self.fields(name)},
        )

    def plan(self, read: PageRead, strategy: Strategy | str, *, ordered: bool) -> Plan:
        """How to serve a read (see :func:`zoho_connector.crm_read.choose`).

        Raises:
            ZohoInputError: An unknown strategy.
        """
        try:
            wanted = Strategy(strategy)
        except ValueError:
            known = ", ".join(choice.value for choice in Strategy)
            msg = f"strategy must be one of {known}, not {strategy!r}"
            raise ZohoInputError(msg) from None
        return crm_read.choose(
            wanted,
            read,
            full=read.since is None,
            count=lambda: self.total_if_told(read.module),
            threshold=self.bulk_threshold,
            ordered=ordered,
        )

    def scan(
        self,
        read: PageRead,
        strategy: Strategy | str = Strategy.REST,
        *,
        total: int | None = None,
        backfill: Backfill | None = None,
        on_progress: Callable[[Backfill], None] | None = None,
        page_rows: int | None = None,
        fallback: bool = True,
        on_fallback: Callable[[Strategy], None] | None = None,
        ahead: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a read whose module and fields the caller already knows (from a catalog).

        Unlike :meth:`pages`, nothing is checked against Zoho's metadata, so no metadata call
        is made: the tap runs its catalog this way.

        Args:
            read: What to read (with the fields' metadata, for COQL and Bulk Read).
            strategy: ``rest``, ``coql`` or ``bulk``.
            total: The records the read will find, if known (sizes the calls ahead).
            backfill: For Bulk Read: where a stopped read got to.
            on_progress: For Bulk Read: called whenever the backfill moves.
            page_rows: For COQL: records a call, when fewer than 2,000 will do.
            fallback: When Zoho refuses Bulk Read or COQL at the first call (no scope, an
                edition or module without it), read the next way: COQL, then Get Records.
            on_fallback: Called with the way read instead.
            ahead: For Get Records: fetch the next pages while the caller works on one, for a
                caller that will take them all (the calls are made even if it stops).
        """
        chosen = Strategy.REST if strategy == Strategy.AUTO else Strategy(strategy)
        ways = crm_read.FALLBACKS[chosen] if fallback else (chosen,)

        def pages_by(
            way: Strategy, read: PageRead = read, total: int | None = total
        ) -> Iterator[list[dict[str, Any]]]:
            if way == Strategy.REST:
                pages = rest.rest_pages(self.request, read)
                return read_ahead(pages) if ahead else pages
            selected = columns(read)
            complete = completer(read, self.references)
            if way == Strategy.COQL:
                reader = CoqlReader(
                    self.request,
                    read,
                    selected,
                    complete,
                    self.n_concurrent,
                    total=total,
                    expected=lambda: self._matching(read),
                    page_rows=page_rows,
                )
                return reader.pages()
            bulk = BulkReader(
                BulkApi(self.request, self.download, self.bulk_root),
                read,
                selected,
                complete,
                total=total,
                backfill=backfill,
                on_progress=on_progress or (lambda _: None),
                coql_pages=lambda window: pages_by(Strategy.COQL, window, None),
            )
            # Not read ahead: a window is done (its progress reported for STATE) only once
            # the caller has taken its records.
            return bulk.pages()

        return crm_read.served(ways, pages_by, read.module, on_fallback or (lambda _: None))

    def _matching(self, read: PageRead) -> int | None:
        """Zoho's count of the records a read matches (by search, which may lag writes)."""
        params = {"converted": read.converted, "approved": read.approved}
        conditions = read.conditions()
        try:
            if conditions:
                params["criteria"] = zoho_conditions.criteria(conditions)
            body = self.request("GET", f"{read.module}/actions/count", params=params) or {}
        except (ZohoError, ZohoInputError):
            return None
        return int(body.get("count", 0))

    def download(self, url: str, destination: Path) -> None:
        """Save the body of a GET (a Bulk Read result: a path from the API host) to a file."""
        self.save(
            url if url.startswith(("http://", "https://")) else f"{self.url}{url}", destination
        )

    def deleted(self, module: str, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Records deleted (recycle bin and permanently) after ``since``, newest first."""
        headers = {"If-Modified-Since": crm_datetime(since)} if since else None
        return self._numbered(f"{module}/deleted", "data", {"type": "all"}, headers)

    def users(self) -> Iterator[dict[str, Any]]:
        """Every user of the org, of every type."""
        return self._numbered("users", "users", {"type": "AllUsers"})

    def _numbered(
        self,
        path: str,
        key: str,
        params: dict[str, str],
        headers: dict[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The ``key`` items of every page of a call paged by page number."""
        page = 1
        while True:
            query = {**params, "page": page, "per_page": crm_read.MAX_PER_PAGE}
            body = self.request("GET", path, headers=headers, params=query) or {}
            yield from body.get(key) or []
            if not body.get("info", {}).get("more_records"):
                return
            page += 1

    def org(self) -> list[dict[str, Any]]:
        """The org's details."""
        return list((self.request("GET", "org") or {}).get("org") or [])

    def records(self, module: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every matching record, one at a time (options as :meth:`pages`).

        Raises:
            ZohoInputError: At once, as :meth:`pages` does, not at the first record.
        """
        return itertools.chain.from_iterable(self.pages(module, **options))

    def find_ids(self, module: str, field: str, values: Iterable[str]) -> dict[str, list[str]]:
        """The ids of the records whose ``field`` has each value, by the value casefolded.

        One COQL ``in`` read (50 values a call); every value asked is a key, with ``[]`` when
        no record has it. Text matches as Zoho's COQL matches it: whatever the case.
        """
        asked = sorted({str(value) for value in values})
        found: dict[str, list[str]] = {value.casefold(): [] for value in asked}
        if not asked:
            return found
        condition = query_condition(field, "in", asked)
        fields = [] if field == "id" else [field]
        for record in self.records(module, filter=condition, fields=fields):
            found.setdefault(str(record[field]).casefold(), []).append(str(record["id"]))
        return found

    def read(
        self,
        module: str,
        filter: Sequence[Any] | str | None = None,
        fields: Sequence[str] | None = None,
        order_by: str = "id",
        limit: int | None = None,
        n_rows_read: int | None = None,
        callback: Progress | None = None,
        *,
        strategy: Strategy | str = Strategy.AUTO,
    ) -> pl.DataFrame:
        """Every matching record as a DataFrame, nested objects as ``Owner.id`` columns.

        Records come in ``order_by`` order, ties by id, filtered or not. Lists of objects
        (``Tag``) are JSON text; when nothing matches, the frame still has the columns: ``id``
        and the fields (lookups as ``.name``/``.id``).

        Args:
            module: The module's API name.
            filter: Conditions from :meth:`query_condition` (all must hold), or Zoho's
                criteria text joining conditions with ``and``
                (``((Last_Name:equals:Burns)and(City:starts_with:K))``).
            fields: Fields to return; all a list call can return by default.
            order_by: ``id``, ``Modified_Time`` or ``Created_Time`` (ascending).
            limit: At most this many records.
            n_rows_read: Records per Get Records call (at most 200).
            callback: Called after each page with ``{"rows_done": n}``.
            strategy: ``auto`` (Bulk Read for all of a module of more than
                ``bulk_threshold`` records, else COQL, or Get Records for fields the others
                cannot return), ``rest``, ``coql`` or ``bulk``.

        Raises:
            ZohoInputError: Before any call: unknown module, field, order or strategy, a bad
                limit.
        """
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            msg = f"limit must be a whole number of records, not {limit!r}"
            raise ZohoInputError(msg)
        per_page = n_rows_read or self.n_rows_read
        check_range("n_rows_read", per_page, 1, crm_read.MAX_PER_PAGE)
        if limit is not None:
            per_page = max(1, min(per_page, limit))  # no call fetches more than the limit
        read = self._page_read(module, filter, fields, order_by, None, per_page)
        plan = self.plan(read, strategy, ordered=limit is not None)
        pages = self.scan(read, plan.strategy, total=plan.total, page_rows=limit)
        collected: list[dict[str, Any]] = []
        while limit is None or len(collected) < limit:
            page = next(pages, None)
            if page is None:
                break
            collected += page[: None if limit is None else limit - len(collected)]
            if callback is not None:
                callback({"rows_done": len(collected)})
        if not collected:
            return self._empty_frame(module, fields)
        if plan.strategy == Strategy.BULK:  # Bulk Read exports in no particular order
            collected.sort(key=read.key)
        return to_frame(collected)

    def _empty_frame(self, module: str, fields: Sequence[str] | None) -> pl.DataFrame:
        """No records, but the columns a read of them would have had: ``id``, ``Owner.id``..."""
        known = {field["api_name"]: field for field in self.fields(module)}
        columns: dict[str, Any] = {"id": pl.String}
        for name in self._field_names(module, fields):
            field = known.get(name, {})
            if zoho_fields.kind(field) == zoho_fields.LOOKUP:
                owner = field.get("data_type") == "ownerlookup"
                keys = ("name", "id", "email") if owner else ("name", "id")
                columns.update({f"{name}.{key}": pl.String for key in keys})
            else:
                columns[name] = pl.Null
        return pl.DataFrame(schema=columns)

    def retrieve(self, module: str, id: str) -> dict[str, Any] | None:
        """One record with every field (subforms and multi-select lookups too), or None."""
        body = self.request("GET", f"{self.module(module)['api_name']}/{id}")
        return body["data"][0] if body and body.get("data") else None

    def retrieve_many(self, module: str, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """:meth:`retrieve` of each id, in order, ``n_concurrent`` calls in flight."""
        return in_parallel(
            lambda record_id: self.retrieve(module, record_id), ids, self.n_concurrent
        )

    def count(self, module: str, filter: Sequence[Any] | str | None = None) -> int:
        """How many records match (converted Leads and records awaiting approval included).

        Without a filter this is Zoho's count (which may lag writes by minutes); with a filter
        (conditions or criteria text, as :meth:`read` takes), the matches of the same COQL
        query :meth:`read` runs.
        """
        name = self.module(module)["api_name"]
        conditions = self._conditions(name, filter)
        if not conditions:
            return self.total(name)
        read = PageRead(module=name, fields=[], filter=conditions)
        return sum(len(ids) for ids in rest.matching_ids(self.request, read))

    def total(self, module: str) -> int:
        """Zoho's count of a module's records (``module`` is its API name: no metadata call).

        Converted Leads and records awaiting approval are counted; the count may lag writes
        by minutes.
        """
        params = {"converted": "both", "approved": "both"}
        body = self.request("GET", f"{module}/actions/count", params=params) or {}
        return int(body.get("count", 0))

    def total_if_told(self, module: str) -> int | None:
        """:meth:`total`, or None when Zoho refuses to count (no search scope, say)."""
        try:
            return self.total(module)
        except ZohoError as error:
            if error.code in crm_read.REFUSED:
                return None
            raise

    def _conditions(self, module: str, filter: Sequence[Any] | str | None) -> list[Condition]:
        """A filter's conditions: from conditions, lists of them, or criteria text."""
        if isinstance(filter, str) and not isinstance(filter, Condition):
            fields = self.fields(module)
            return parse_criteria(filter, {f["api_name"]: condition_format(f) for f in fields})
        items: Sequence[Any] = [filter] if isinstance(filter, Condition) else filter or ()
        flat: list[Condition] = []
        for item in items:
            group = item if isinstance(item, list | tuple) else [item]
            for condition in group:
                if not isinstance(condition, Condition):
                    msg = f"filter items come from query_condition(), not {condition!r}"
                    raise ZohoInputError(msg)
                flat.append(condition)
        return flat


def check_range(name: str, value: int, low: int, high: int) -> None:
    """Refuse a setting outside its bounds.

    Raises:
        ValueError: It is outside them.
    """
    if not isinstance(value, int) or not low <= value <= high:
        msg = f"{name} must be between {low} and {high}, not {value!r}"
        raise ValueError(msg)
