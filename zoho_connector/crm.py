"""``ZohoCRM``: Zoho CRM's records, metadata and writes, over the shared HTTP stack."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

import polars as pl
from typing_extensions import override

from zoho_connector import conditions as zoho_conditions
from zoho_connector import crm_read
from zoho_connector import fields as zoho_fields
from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.client import ZohoClient, per_record
from zoho_connector.conditions import Condition, query_condition
from zoho_connector.crm_read import PageRead, Plan, Strategy, rest
from zoho_connector.crm_read.bulk import Backfill, BulkReader
from zoho_connector.crm_read.coql import CoqlReader
from zoho_connector.crm_read.values import References, columns, completer
from zoho_connector.data_centers import DATA_CENTERS, DataCenter
from zoho_connector.data_centers import data_center as find_data_center
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.formats import crm_datetime
from zoho_connector.frames import to_frame
from zoho_connector.load import (
    Action,
    BatchSender,
    Progress,
    RowResult,
)
from zoho_connector.usage import in_parallel, read_ahead
from zoho_connector.wire import to_wire

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import requests

    from zoho_connector.token_cache import TokenCache
    from zoho_connector.usage import Budget

DEFAULT_URL = DATA_CENTERS["us"].crm_url
DEFAULT_ACCOUNTS = DATA_CENTERS["us"].accounts_url
#: At most 100 records per write call (zoho-crm-api.md §8).
MAX_WRITE = 100


class ZohoCRM(ZohoClient):
    """A Zoho CRM org: authenticated on construction.

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        url: The CRM API host; the token's ``api_domain`` wins unless this is set.
        account_url: The Zoho Accounts host.
        api_version: ``v7`` or ``v8``.
        n_rows_read: Records per read call (at most 200).
        n_rows_write: Records per write call (at most 100).
        n_concurrent: Calls in flight at once.
        die_on_error: Raise on a failed record instead of reporting it.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless False (or a CA bundle path).
        cert: Client certificate for ``requests``.
        data_center: ``us``, ``eu``, ``in``, ``au``, ``cn``, ``jp``, ``ca`` or ``sa``: sets
            ``url`` and ``account_url`` unless they are given.
        token_cache: A folder where access tokens outlive the process (see
            :mod:`zoho_connector.token_cache`); none by default.
        refresh_wait: Seconds a token refresh refused for Zoho's refresh limit keeps trying.
        budget: API credits the client may spend (shared with other clients); no limit by
            default.
        bulk_threshold: Records above which a full :meth:`read` uses Bulk Read.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        url: str = DEFAULT_URL,
        account_url: str = DEFAULT_ACCOUNTS,
        api_version: str = "v7",
        n_rows_read: int = 200,
        n_rows_write: int = 100,
        n_concurrent: int = 4,
        die_on_error: bool = True,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        *,
        data_center: str | None = None,
        token_cache: TokenCache | None = None,
        refresh_wait: float = REFRESH_WAIT,
        budget: Budget | None = None,
        bulk_threshold: int = crm_read.BULK_THRESHOLD,
    ) -> None:
        explicit_url = url != DEFAULT_URL
        if data_center is not None:
            region: DataCenter = find_data_center(data_center)
            url = url if explicit_url else region.crm_url
            account_url = account_url if account_url != DEFAULT_ACCOUNTS else region.accounts_url
        _check_range("n_rows_read", n_rows_read, 1, crm_read.MAX_PER_PAGE)
        _check_range("n_rows_write", n_rows_write, 1, MAX_WRITE)
        if api_version not in ("v7", "v8"):
            msg = f"api_version must be v7 or v8, not {api_version!r}"
            raise ValueError(msg)
        super().__init__(
            client_id,
            client_secret,
            refresh_token,
            url,
            account_url,
            n_concurrent=n_concurrent,
            die_on_error=die_on_error,
            timeout=timeout,
            verify=verify,
            cert=cert,
            cost=crm_credits,
            token_cache=token_cache,
            refresh_wait=refresh_wait,
            budget=budget,
        )
        self.api_version = api_version
        self.n_rows_read = n_rows_read
        self.n_rows_write = n_rows_write
        self._follow_api_domain = not explicit_url
        self._metadata_lock = threading.Lock()
        self._modules: list[dict[str, Any]] | None = None
        self._fields: dict[str, list[dict[str, Any]]] = {}
        self.bulk_threshold = bulk_threshold
        self.references = References(self.request)
        self.connect()

    @property
    def api_root(self) -> str:
        """``{url}/crm/{api_version}``."""
        return f"{self.url}/crm/{self.api_version}"

    @property
    def bulk_root(self) -> str:
        """Where Bulk Read jobs live: ``{url}/crm/bulk/{api_version}/read``."""
        return f"{self.url}/crm/bulk/{self.api_version}/read"

    # -- connection ----------------------------------------------------------------------

    probe = "org"
    max_write = MAX_WRITE

    @override
    def connect(self) -> Self:
        """Refresh the access token, follow its ``api_domain``, and check that CRM answers.

        The token's ``api_domain`` is followed unless ``url`` was given.

        Raises:
            ZohoAuthError: Zoho refused the credentials or the token.
            ZohoError: CRM refused the call.
        """
        self.token.get()
        if self._follow_api_domain and self.token.api_domain:
            self.url = self.token.api_domain.rstrip("/")
        return super().connect()

    # -- metadata ------------------------------------------------------------------------

    def modules(self) -> list[dict[str, Any]]:
        """``settings/modules``, fetched once per client."""
        with self._metadata_lock:
            if self._modules is None:
                body = self.request("GET", "settings/modules") or {}
                self._modules = list(body.get("modules", []))
            return self._modules

    def module(self, name: str) -> dict[str, Any]:
        """The metadata of a module the API serves, matched case-insensitively.

        Raises:
            ZohoInputError: No such module, or one the API does not serve.
        """
        for module in self.modules():
            if module["api_name"].lower() == name.lower():
                if not module.get("api_supported", True):
                    msg = f"Zoho CRM's API does not serve the module {module['api_name']!r}"
                    raise ZohoInputError(msg)
                return module
        known = ", ".join(sorted(m["api_name"] for m in self.modules() if m.get("api_supported")))
        msg = f"unknown Zoho CRM module {name!r}; the org has: {known}"
        raise ZohoInputError(msg)

    def fields(self, module: str) -> list[dict[str, Any]]:
        """``settings/fields`` of a module, fetched once per client."""
        name = self.module(module)["api_name"]
        with self._metadata_lock:
            if name not in self._fields:
                body = self.request("GET", "settings/fields", params={"module": name}) or {}
                self._fields[name] = list(body.get("fields", []))
            return self._fields[name]

    def _field_names(self, module: str, fields: Sequence[str] | None) -> list[str]:
        """The fields to read: all (that a list call returns) or the ones asked, checked.

        Raises:
            ZohoInputError: A field the module lacks.
        """
        known = {field["api_name"]: field for field in self.fields(module)}
        if fields is None:
            return [
                name
                for name, field in known.items()
                if name != "id" and zoho_fields.in_lists(field)
            ]
        unknown = [name for name in fields if name not in known and name != "id"]
        if unknown:
            msg = f"{module} has no field(s) {', '.join(unknown)}"
            raise ZohoInputError(msg)
        return [name for name in fields if name != "id"]

    # -- reading -------------------------------------------------------------------------

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
        _check_range("n_rows_read", per_page, 1, crm_read.MAX_PER_PAGE)
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
            filter=_conditions(filter),
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
                self.request,
                self.download,
                self.bulk_root,
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
        """Records deleted (recycle bin and permanently) after ``since``, newest first (§9)."""
        headers = {"If-Modified-Since": crm_datetime(since)} if since else None
        return self._numbered(f"{module}/deleted", "data", {"type": "all"}, headers)

    def users(self) -> Iterator[dict[str, Any]]:
        """Every user of the org, of every type (§10.1)."""
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
        """The org's details (§10.2)."""
        return list((self.request("GET", "org") or {}).get("org") or [])

    def records(self, module: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every matching record, one at a time (options as :meth:`pages`).

        Raises:
            ZohoInputError: At once, as :meth:`pages` does, not at the first record.
        """
        return itertools.chain.from_iterable(self.pages(module, **options))

    def read(
        self,
        module: str,
        filter: Sequence[Any] | None = None,
        fields: Sequence[str] | None = None,
        order_by: str = "id",
        limit: int | None = None,
        n_rows_read: int | None = None,
        callback: Progress | None = None,
        strategy: Strategy | str = Strategy.AUTO,
    ) -> pl.DataFrame:
        """Every matching record as a DataFrame, nested objects as ``Owner.id`` columns.

        Records come in ``order_by`` order, ties by id, filtered or not. Lists of objects
        (``Tag``) are JSON text; when nothing matches, the frame still has the columns: ``id``
        and the fields (lookups as ``.name``/``.id``).

        Args:
            module: The module's API name.
            filter: Conditions from :meth:`query_condition` (all must hold).
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
        _check_range("n_rows_read", per_page, 1, crm_read.MAX_PER_PAGE)
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

    def count(self, module: str, filter: Sequence[Any] | None = None) -> int:
        """How many records match (converted Leads and records awaiting approval included).

        Without a filter this is Zoho's count (which may lag writes by minutes, §7); with a
        filter, the matches of the same COQL query :meth:`read` runs.
        """
        name = self.module(module)["api_name"]
        conditions = _conditions(filter)
        if not conditions:
            return self.total(name)
        read = PageRead(module=name, fields=[], filter=conditions)
        return sum(len(ids) for ids in rest.matching_ids(self.request, read))

    def total(self, module: str) -> int:
        """Zoho's count of a module's records (``module`` is its API name: no metadata call).

        Converted Leads and records awaiting approval are counted; the count may lag writes
        by minutes (§7).
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

    # -- writing -------------------------------------------------------------------------

    def create(
        self,
        module: str,
        data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        trigger: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """Insert up to 100 records; Zoho's answer, one result per record.

        Raises:
            ZohoInputError: Before any call: unknown module or field, no or too many records.
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        return self._raising(self._send(Action.CREATE, name, records, trigger=trigger))

    def update(
        self,
        module: str,
        data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        id: str | None = None,
    ) -> dict[str, Any] | None:
        """Update records by the ``id`` each carries, or one record by ``id``.

        Raises:
            ZohoInputError: Before any call: unknown module or field, a record without id.
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        if id is not None:
            return self._raising(self.request("PUT", f"{name}/{id}", json={"data": records}))
        missing = [number for number, record in enumerate(records) if not record.get("id")]
        if missing:
            msg = f"update of {name}: record(s) {missing} carry no id"
            raise ZohoInputError(msg)
        return self._raising(self._send(Action.UPDATE, name, records))

    def delete(self, module: str, id: str | Sequence[str]) -> dict[str, Any] | None:
        """Delete records by id (at most 100)."""
        ids = [id] if isinstance(id, str) else list(id)
        if not ids or len(ids) > MAX_WRITE:
            msg = f"delete takes 1 to {MAX_WRITE} ids, not {len(ids)}"
            raise ZohoInputError(msg)
        name = self.module(module)["api_name"]
        return self._raising(self._send(Action.DELETE, name, [{"id": i} for i in ids]))

    def integrate(
        self,
        module: str,
        data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        sync_key: str | Sequence[str] | None,
        trigger: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """Upsert: update the record whose ``sync_key`` field matches, else insert.

        With ``sync_key`` None, Zoho matches on the module's default duplicate-check fields
        (Email for Leads and Contacts, Account_Name for Accounts..., zoho-crm-api.md §8.1).

        Raises:
            ZohoInputError: Before any call: unknown module or field (sync keys too).
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        keys = [sync_key] if isinstance(sync_key, str) else list(sync_key or [])
        self._check_fields(name, keys)
        return self._raising(self._send(Action.INTEGRATE, name, records, keys, trigger))

    @override
    def _load_target(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> str:
        name: str = self.module(module)["api_name"]
        if action == Action.INTEGRATE and sync_key not in self._known_fields(name):
            msg = f"sync_key {sync_key!r} is not a field of {name}"
            raise ZohoInputError(msg)
        return name

    @override
    def _check_rows(self, module: str, action: Action, rows: list[dict[str, Any]]) -> None:
        """Zoho CRM silently drops keys that are no field: refuse them instead."""
        if action in (Action.CREATE, Action.UPDATE, Action.INTEGRATE):
            self._check_fields(module, {key for row in rows for key in row})

    #: :func:`~zoho_connector.conditions.query_condition`, as the issue's API names it.
    query_condition = staticmethod(query_condition)

    # -- internals -----------------------------------------------------------------------

    def _known_fields(self, module: str) -> set[str]:
        return {field["api_name"] for field in self.fields(module)} | {"id"}

    def _check_fields(self, module: str, keys: Iterable[str]) -> None:
        """Refuse keys that are no field of the module: Zoho would drop them without a word.

        Raises:
            ZohoInputError: The unknown keys (``$`` meta keys are let through).
        """
        known = self._known_fields(module)
        unknown = sorted({key for key in keys if key not in known and not key.startswith("$")})
        if unknown:
            msg = f"{module} has no field(s) {', '.join(unknown)}"
            raise ZohoInputError(msg)

    def _checked(
        self, module: str, data: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Records to write: 1 to 100, fields of the module, values as Zoho's JSON takes them."""
        records = _records(data)
        self._check_fields(module, {key for record in records for key in record})
        return [{key: to_wire(value) for key, value in record.items()} for record in records]

    def _send(
        self,
        action: Action,
        module: str,
        rows: list[dict[str, Any]],
        sync_keys: Sequence[str] = (),
        trigger: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """One write call of checked rows (at most 100); Zoho's answer, one entry a row.

        An upsert without ``sync_keys`` matches on the module's default duplicate check.
        """
        if action == Action.DELETE:
            ids = ",".join(str(row["id"]) for row in rows)
            return self.request("DELETE", module, params={"ids": ids})
        body = {"data": rows} | _trigger(trigger)
        if action == Action.UPDATE:
            return self.request("PUT", module, json=body)
        if action == Action.INTEGRATE:
            keys = {"duplicate_check_fields": list(sync_keys)} if sync_keys else {}
            return self.request("POST", f"{module}/upsert", json=body | keys, idempotent=True)
        return self.request("POST", module, json=body)

    def _raising(self, answer: dict[str, Any] | None) -> dict[str, Any] | None:
        """Zoho's answer to a write; with ``die_on_error``, a failed record raises."""
        if self.die_on_error:
            for number, entry in enumerate((answer or {}).get("data") or []):
                if entry.get("status") == "error":
                    raise ZohoError(
                        str(entry.get("code")),
                        f"record {number}: {entry.get('message')}",
                        entry.get("details"),
                    )
        return answer

    @override
    def _batch_sender(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> BatchSender:
        def send(rows: list[dict[str, Any]]) -> list[RowResult]:
            if action == Action.RETRIEVE:
                return self._retrieve_batch(module, rows)
            answer = self._send(action, module, rows, [sync_key], trigger)
            return [RowResult.from_zoho(entry) for entry in (answer or {}).get("data") or []]

        return send

    def _retrieve_batch(self, module: str, rows: list[dict[str, Any]]) -> list[RowResult]:
        ids = [str(row["id"]) for row in rows]
        fields = self._field_names(module, None)
        read = PageRead(module=module, fields=fields)
        found = {record["id"]: record for record in rest.records_by_ids(self.request, read, ids)}
        return [
            RowResult(True, _json(found[record_id]))
            if record_id in found
            else RowResult(False, f"NOT_FOUND: no {module} record has the id {record_id}")
            for record_id in ids
        ]


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        msg = f"{name} must be between {low} and {high}, not {value!r}"
        raise ValueError(msg)


def _conditions(filter: Sequence[Any] | None) -> list[Condition]:
    """Conditions from a filter: a list of conditions, or of lists as query_condition gives."""
    if isinstance(filter, str) and not isinstance(filter, Condition):
        msg = f"filter items come from query_condition(), not the text {filter!r}"
        raise ZohoInputError(msg)
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


def _records(data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    records = [dict(data)] if isinstance(data, Mapping) else [dict(item) for item in data]
    if not records or len(records) > MAX_WRITE:
        msg = f"a write takes 1 to {MAX_WRITE} records, not {len(records)}"
        raise ZohoInputError(msg)
    return records


def _trigger(trigger: Sequence[str] | None) -> dict[str, Any]:
    return {} if trigger is None else {"trigger": list(trigger)}


def _json(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


#: A Bulk Read job costs 50 credits, whatever it exports (zoho-crm-api.md §14.1).
BULK_READ_CREDITS = 50
_BULK_READ = re.compile(r"/crm/bulk/v\d+/read$")
_COQL_LIMIT = re.compile(r"\blimit\s+(?:\d+\s*,\s*)?(\d+)", re.IGNORECASE)


def crm_credits(method: str, url: str, params: Any, json: Any, response: requests.Response) -> int:
    """The API credits a CRM call spent (zoho-crm-api.md §14.1).

    Writes cost one credit per ten records, even when Zoho refused every record; COQL 1, 2 or
    3 by its LIMIT; a Bulk Read job 50; the rest one. A call refused as a whole (bad request,
    no permission) spends nothing.
    """
    del params  # part of the signature every cost function has
    refused = response.status_code >= 400
    records = json.get("data") if isinstance(json, Mapping) else None
    if method in ("POST", "PUT") and isinstance(records, list):
        if refused and not _answered_per_record(response):
            return 0
        return max(1, math.ceil(len(records) / 10))
    if refused:
        return 0
    path = urllib.parse.urlsplit(url).path
    if method == "POST" and _BULK_READ.search(path):
        return BULK_READ_CREDITS
    if path.endswith("/coql") and isinstance(json, Mapping):
        found = _COQL_LIMIT.search(str(json.get("select_query", "")))
        limit = int(found.group(1)) if found else 200
        return 1 if limit <= 200 else 2 if limit <= 1000 else 3
    return 1


def _answered_per_record(response: requests.Response) -> bool:
    try:
        return per_record(response.json())
    except ValueError:
        return False
