"""``ZohoDesk``: Zoho Desk's records and writes, on the same stack and ``load`` as CRM.

Desk writes one record a call (create ``POST``, update ``PATCH``), deletes by moving records
to the recycle bin, and has no upsert: ``integrate`` looks a record up by its sync key, then
updates or creates it.

Sources: https://desk.zoho.com/DeskAPIDocument and Zoho's OpenAPI files of it,
https://github.com/zoho/zohodesk-oas (``v1.0/``).
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Self

from typing_extensions import override

from zoho_connector import desk_reader
from zoho_connector.auth import REFRESH_WAIT
from zoho_connector.crm import ZohoCRM
from zoho_connector.data_centers import DATA_CENTERS
from zoho_connector.errors import RUN_ERRORS, ZohoError, ZohoInputError
from zoho_connector.formats import desk_datetime
from zoho_connector.frames import to_frame
from zoho_connector.load import (
    Action,
    BatchSender,
    Progress,
    RowResult,
)

if TYPE_CHECKING:
    import polars as pl
    import requests

    from zoho_connector.crm_writes import Data, Written
    from zoho_connector.data_centers import DataCenter
    from zoho_connector.token_cache import TokenCache
    from zoho_connector.usage import Budget

DEFAULT_URL = DATA_CENTERS["us"].desk_url
DEFAULT_ACCOUNTS = DATA_CENTERS["us"].accounts_url
#: Modules searchable by modified time, and the id key of their ``moveToTrash``: Zoho documents
#: the first three; ``entityIds`` for activities is not documented by Zoho: we assume it, as
#: public clients (n8n's Zoho Desk node) send it.
SEARCHABLE = {
    "tickets": "ticketIds",
    "contacts": "contactIds",
    "accounts": "accountIds",
    "tasks": "entityIds",
    "calls": "entityIds",
    "events": "entityIds",
}
#: Modules read as plain lists (small, no modified-time search).
LISTED = ("agents", "departments")
#: Search parameters that match a field of the same name (Desk's Search API); others go as
#: customFieldN.
_DIRECT_KEYS = {
    "tickets": {"id", "ticketNumber", "subject", "email", "phone", "contactId", "accountId"},
    "contacts": {"id", "firstName", "lastName", "email", "phone", "mobile"},
    "accounts": {"id", "accountName"},
}
_COUNT_PATHS = {"tickets": "ticketsCount"}
#: Values one search asks for at once (comma-separated); Desk documents no limit of them, so we
#: assume 50 keep the URL short enough.
FIND_BATCH = 50
#: Modules whose count costs one credit; the activities' cost 50 (not documented by Zoho: a
#: third-party reading of Desk's credit table, which we assume).
CHEAP_COUNTS = frozenset({"tickets", "contacts", "accounts"})


class ZohoDesk(ZohoCRM):
    """A Zoho Desk organization: authenticated on construction; a :class:`ZohoCRM` for Desk.

    The parameters are ZohoCRM's, for Desk (the seed's), and these keyword-only ones:

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        url: The Desk host of the data center (``https://desk.zoho.eu``...).
        account_url: The Zoho Accounts host.
        api_version: ``v1``.
        n_rows_read: Rows per read call (at most 100).
        n_rows_write: Records per load batch.
        n_concurrent: Calls in flight at once.
        die_on_error: Raise on a failed record instead of reporting it.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless False (or a CA bundle path).
        cert: Client certificate for ``requests``.
        org_id: The Desk organization id, sent as ``orgId`` on every call; by default the
            one organization the token sees.
        data_center: Sets ``url`` and ``account_url`` unless they are given.
        search_from_cap: The largest ``from`` the portal's search accepts.
        token_cache: A folder where access tokens outlive the process (see
            :mod:`zoho_connector.token_cache`); none by default.
        refresh_wait: Seconds a token refresh refused for Zoho's refresh limit keeps trying.
        budget: API credits the client may spend (shared with other clients); no limit by
            default.
    """

    api_versions = ("v1",)
    max_read = desk_reader.SEARCH_LIMIT
    probe = "departments/count"  # cheap, and bound to the org: checks token and orgId
    follows_api_domain = False
    wire_datetime = staticmethod(desk_datetime)

    @staticmethod
    @override
    def credits(method: str, url: str, params: Any, json: Any, response: requests.Response) -> int:
        return desk_credits(method, url, params, json, response)

    @staticmethod
    @override
    def value_of(record: Mapping[str, Any], field: str) -> Any:
        return field_value(record, field)

    def __init__(  # noqa: PLR0913 -- the seed's signature
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        url: str = DEFAULT_URL,
        account_url: str = DEFAULT_ACCOUNTS,
        api_version: str = "v1",
        n_rows_read: int = 100,
        n_rows_write: int = 100,
        n_concurrent: int = 4,
        die_on_error: bool = True,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        *,
        org_id: str | None = None,
        data_center: str | None = None,
        search_from_cap: int = desk_reader.SEARCH_FROM_CAP,
        token_cache: TokenCache | None = None,
        refresh_wait: float = REFRESH_WAIT,
        budget: Budget | None = None,
    ) -> None:
        self.org_id = str(org_id) if org_id else ""
        self.search_from_cap = search_from_cap
        super().__init__(
            client_id,
            client_secret,
            refresh_token,
            url,
            account_url,
            api_version,
            n_rows_read,
            n_rows_write,
            n_concurrent,
            die_on_error,
            timeout,
            verify,
            cert,
            data_center=data_center,
            token_cache=token_cache,
            refresh_wait=refresh_wait,
            budget=budget,
        )

    @staticmethod
    @override
    def default_host(region: DataCenter) -> str:
        return region.desk_url

    @override
    def connect(self) -> Self:
        """Refresh the access token, find the org (unless given) and check that Desk answers.

        Raises:
            ZohoAuthError: Zoho refused the credentials, the token or the org.
            ZohoInputError: No org given, and the token sees none or several.
        """
        if not self.org_id:
            self.token.get()
            self.org_id = self._only_org()
        self.http.set_header("orgId", self.org_id)
        return super().connect()

    def _only_org(self) -> str:
        """The id of the one organization the token sees (``GET /organizations``)."""
        orgs = (self.request("GET", "organizations") or {}).get("data") or []
        if len(orgs) == 1:
            return str(orgs[0]["id"])
        seen = ", ".join(f"{org['id']} ({org.get('companyName', '')})" for org in orgs)
        msg = f"the token sees {len(orgs)} Zoho Desk organizations{': ' + seen if seen else ''}"
        raise ZohoInputError(msg + "; say which with org_id")

    @property
    @override
    def api_root(self) -> str:
        """``{url}/api/{api_version}``."""
        return f"{self.url}/api/{self.api_version}"

    # -- metadata ------------------------------------------------------------------------

    @override
    def modules(self) -> list[dict[str, Any]]:
        """The Desk modules the client reads and writes, as ``{"api_name": ...}``."""
        return [{"api_name": name, "api_supported": True} for name in (*SEARCHABLE, *LISTED)]

    @override
    def module(self, name: str) -> dict[str, Any]:
        return {"api_name": _module(name), "api_supported": True}

    @override
    def fields(self, module: str) -> list[dict[str, Any]]:
        """Desk's field metadata of a module (custom ``cf_`` fields included)."""
        body = self.request("GET", "fields", params={"module": _module(module)}) or {}
        return list(body.get("data", []))

    # -- reading -------------------------------------------------------------------------

    @override
    def pages(  # type: ignore[override]  # Desk filters by search parameters, not conditions
        self,
        module: str,
        *,
        filter: Mapping[str, str] | str | None = None,
        since: str | None = None,
        until: str | None = None,
        n_rows_read: int | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every matching record, page by page, in constant memory.

        Searchable modules come ascending by modifiedTime, read by keyset (see
        ``desk_reader``); agents and departments come as plain lists.

        Args:
            module: A Desk module (``tickets``, ``contacts``, ``accounts``, ``tasks``,
                ``calls``, ``events``, ``agents``, ``departments``).
            filter: Further Desk search parameters (``{"status": "Open"}``, or as a query
                string: ``status=Open&channel=Email``).
            since: Only records modified at or after this ISO datetime.
            until: Only records modified at or before this ISO datetime.
            n_rows_read: Rows per call (at most 100).
        """
        name = _module(module)
        limit = n_rows_read or self.n_rows_read
        if name in LISTED:
            if filter or since or until:
                msg = f"{name} cannot be filtered or read by modified time"
                raise ZohoInputError(msg)
            return desk_reader.list_pages(self.request, name, limit=limit)
        read = desk_reader.SearchRead(
            name, since, until, _parameters(filter), limit, self.search_from_cap
        )
        return self._searched(read)

    def _searched(self, read: desk_reader.SearchRead) -> Iterator[list[dict[str, Any]]]:
        """A search's pages; a lower ``from`` cap it meets holds for the client's next ones."""
        try:
            yield from desk_reader.search_pages(self.request, read)
        finally:
            self.search_from_cap = min(self.search_from_cap, read.from_cap)

    def children(self, ticket_id: str, kind: str) -> Iterator[list[dict[str, Any]]]:
        """A ticket's ``threads`` or ``comments``, page by page."""
        if kind not in ("threads", "comments"):
            msg = f"a ticket's children are threads or comments, not {kind!r}"
            raise ZohoInputError(msg)
        return desk_reader.list_pages(self.request, f"tickets/{ticket_id}/{kind}")

    @override
    def read(  # type: ignore[override]  # Desk filters by search parameters, not conditions
        self,
        module: str,
        filter: Mapping[str, str] | str | None = None,
        fields: Sequence[str] | None = None,
        order_by: str = "modifiedTime",
        limit: int | None = None,
        n_rows_read: int | None = None,
        callback: Progress | None = None,
    ) -> pl.DataFrame:
        """Every matching record as a DataFrame, nested objects as dotted columns.

        Args:
            module: A Desk module.
            filter: Further Desk search parameters (a mapping or a query string).
            fields: Keep only these keys (and ``id``).
            order_by: ``modifiedTime`` (the read order) or ``id``.
            limit: At most this many records.
            n_rows_read: Rows per call (at most 100).
            callback: Called after each page with ``{"rows_done": n}``.
        """
        if order_by not in ("modifiedTime", "id"):
            msg = f"order_by must be modifiedTime or id, not {order_by!r}"
            raise ZohoInputError(msg)
        collected: list[dict[str, Any]] = []
        for page in self.pages(module, filter=filter, n_rows_read=n_rows_read):
            collected += page
            if callback is not None:
                callback({"rows_done": len(collected)})
            if limit is not None and len(collected) >= limit:
                collected = collected[:limit]
                break
        if fields is not None:
            keep = {"id", *fields}
            collected = [{k: v for k, v in row.items() if k in keep} for row in collected]
        if order_by == "id":
            collected.sort(key=lambda row: int(row["id"]))
        return to_frame(collected)

    @override
    def retrieve(self, module: str, id: str) -> dict[str, Any] | None:
        """One full record, or None when Desk does not know the id."""
        try:
            return self.request("GET", f"{_module(module)}/{id}")
        except ZohoError as error:
            if error.status == 404:
                return None
            raise

    @override
    def count(  # type: ignore[override]  # Desk filters by search parameters, not conditions
        self, module: str, filter: Mapping[str, str] | str | None = None
    ) -> int:
        """How many records Desk counts (``/ticketsCount`` or ``/{module}/count``)."""
        name = _module(module)
        path = _COUNT_PATHS.get(name, f"{name}/count")
        body = self.request("GET", path, params=_parameters(filter)) or {}
        return int(body.get("count", 0))

    @override
    def total(self, module: str) -> int:
        return self.count(module)

    @override
    def users(self) -> Iterator[dict[str, Any]]:
        """The portal's agents."""
        return self.records("agents")

    @override
    def org(self) -> list[dict[str, Any]]:
        """The organization's details."""
        return [self.request("GET", f"organizations/{self.org_id}") or {}]

    @override
    def scan(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _crm_only("scan")

    @override
    def plan(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _crm_only("plan")

    @override
    def deleted(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _crm_only("deleted")

    # -- writing -------------------------------------------------------------------------

    @override
    def create(self, module: str, data: Data, trigger: Sequence[str] | None = None) -> Written:
        """Create records, one call each: each the record Desk made (a list for a list).

        Raises:
            ZohoInputError: Workflow triggers, which Desk writes do not take.
            ZohoError: With ``die_on_error``, a record Desk refused.
        """
        name = self._load_target(module, Action.CREATE, "", trigger)
        write = functools.partial(self._write_one, Action.CREATE, name)
        return self._written(data, self._each(data, lambda record: _success(write(record))))

    @override
    def update(self, module: str, data: Data, id: str | None = None) -> Written:
        """Update records by the ``id`` each carries (or ``id``), one ``PATCH`` each."""
        name = _module(module)
        return self._written(
            data,
            self._each(
                data, lambda record: _success(self._patch(name, id or record.get("id"), record))
            ),
        )

    @override
    def delete(self, module: str, id: str | Sequence[str]) -> Written:
        """Move records to the recycle bin (Desk has no DELETE for records)."""
        ids = [id] if isinstance(id, str) else [str(item) for item in id]
        self._trash(_module(module), ids)
        answer = {"data": [_success({"id": record_id}) for record_id in ids]}
        return self._written(id, answer)

    @override
    def integrate(
        self,
        module: str,
        data: Data,
        sync_key: str | Sequence[str] | None,
        trigger: Sequence[str] | None = None,
    ) -> Written:
        """Update the record whose ``sync_key`` matches, else create it (Desk has no upsert).

        Raises:
            ZohoInputError: No single sync key, or workflow triggers.
            ZohoError: With ``die_on_error``, a record Desk refused.
        """
        if not isinstance(sync_key, str):
            msg = "a Desk integrate matches on one sync key (a field name)"
            raise ZohoInputError(msg)
        name = self._load_target(module, Action.INTEGRATE, sync_key, trigger)
        return self._written(
            data,
            self._each(data, lambda record: _success(*self._integrate_one(name, record, sync_key))),
        )

    @override
    def _load_target(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> str:
        if trigger is not None:
            msg = "Zoho Desk writes take no workflow triggers"
            raise ZohoInputError(msg)
        return _module(module)

    @override
    def _check_rows(self, module: str, action: Action, rows: list[dict[str, Any]]) -> None:
        """Nothing to check: Desk refuses unknown keys itself (422), each row for itself."""

    # -- internals -----------------------------------------------------------------------

    def _trash(self, module: str, ids: list[str]) -> None:
        """Move records to the recycle bin, in one call.

        Raises:
            ZohoInputError: A module Desk cannot delete from.
        """
        key = SEARCHABLE.get(module)
        if key is None:
            msg = f"Desk cannot delete {module}"
            raise ZohoInputError(msg)
        self.request("POST", f"{module}/moveToTrash", json={key: ids}, idempotent=True)

    def _each(
        self,
        data: Data,
        write: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """One call per record, ``write`` giving its Zoho-style result.

        The first failure raises with die_on_error; spent API credits always do.
        """
        records = [data] if isinstance(data, Mapping) else list(data)
        results = []
        for record in records:
            try:
                results.append(write(record))
            except RUN_ERRORS:
                raise  # the load's end, no row's failure
            except (ZohoError, ZohoInputError) as error:
                if self.die_on_error:
                    raise
                results.append(_failure(error))
        return {"data": results}

    def _integrate_one(
        self, module: str, record: Mapping[str, Any], sync_key: str
    ) -> tuple[dict[str, Any] | None, str]:
        """Update the record matching on ``sync_key``, else create it.

        Returns:
            Desk's answer, and which it was: ``update`` or ``insert``.
        """
        value = field_value(record, sync_key)
        if value in (None, ""):
            msg = f"the record has no {sync_key} to match on"
            raise ZohoInputError(msg)
        if sync_key == "id":  # by id: read it (a 404 means create), no search needed
            found = self.retrieve(module, str(value))
        else:
            found = self.find_one(module, sync_key, str(value))
        if found is not None:
            return self._patch(module, found["id"], record), "update"
        return self.request("POST", module, json=_without_id(record)), "insert"

    def _patch(
        self, module: str, record_id: str | None, record: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if not record_id:
            msg = f"update of {module}: a record carries no id"
            raise ZohoInputError(msg)
        return self.request("PATCH", f"{module}/{record_id}", json=_without_id(record))

    def _write_one(
        self, action: Action, module: str, record: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """One record created, or updated by its id."""
        if action == Action.UPDATE:
            return self._patch(module, record.get("id"), record)
        return self.request("POST", module, json=dict(record))

    def find_one(self, module: str, field: str, value: str) -> dict[str, Any] | None:
        """The one record whose ``field`` equals ``value``, or None.

        Raises:
            ZohoError: DUPLICATE_DATA when more than one has it.
        """
        matches = self.find(module, field, value)
        if len(matches) > 1:
            ids = ", ".join(match["id"] for match in matches[:5])
            msg = f"{len(matches)} {module} have {field} = {value!r} ({ids})"
            raise ZohoError("DUPLICATE_DATA", msg, {"field": field})
        return matches[0] if matches else None

    def find(self, module: str, field: str, value: str) -> list[dict[str, Any]]:
        """Records whose ``field`` equals ``value`` exactly, by Desk search."""
        if any(char in value for char in ",*"):
            msg = (
                f"{field} value {value!r} has a comma or *, which Desk search reads as OR/wildcard"
            )
            raise ZohoInputError(msg)
        found = []
        pages = desk_reader.search_matches(
            self.request,
            module,
            _search_params(module, field, value),
            from_cap=self.search_from_cap,
        )
        for page in pages:
            found += [row for row in page if field_value(row, field) == value]
        return found

    @override
    def find_ids(self, module: str, field: str, values: Iterable[str]) -> dict[str, list[str]]:
        """The ids of the records whose ``field`` has each value, by the value casefolded.

        By Desk search, ``FIND_BATCH`` values a call joined by commas, which Desk reads as OR
        (https://desk.zoho.com/DeskAPIDocument, Search). Every value asked is a key, with
        ``[]`` when no record has it, or when it holds a comma or ``*`` (Desk would read it
        as several values or a wildcard). Case is ignored, as Desk search ignores it (not
        documented by Zoho: we assume it).

        Raises:
            ZohoInputError: A module Desk cannot search (agents, departments).
        """
        name = _module(module)
        if name not in SEARCHABLE:
            msg = f"Desk cannot search {name}: read them in full"
            raise ZohoInputError(msg)
        asked = sorted({str(value) for value in values})
        found: dict[str, list[str]] = {value.casefold(): [] for value in asked}
        searchable = [value for value in asked if value and not any(c in value for c in ",*")]
        for start in range(0, len(searchable), FIND_BATCH):
            terms = ",".join(searchable[start : start + FIND_BATCH])
            params = _search_params(name, field, terms)
            for page in desk_reader.search_matches(
                self.request, name, params, from_cap=self.search_from_cap
            ):
                for row in page:
                    value = field_value(row, field)
                    if value not in (None, "") and str(value).casefold() in found:
                        found[str(value).casefold()].append(str(row["id"]))
        return found

    @override
    def _batch_sender(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> BatchSender:
        def send(rows: list[dict[str, Any]]) -> list[RowResult]:
            if action == Action.DELETE:
                return self._delete_batch(module, rows, sync_key)
            return [self._row(module, action, sync_key, row) for row in rows]

        return send

    def _delete_batch(
        self, module: str, rows: list[dict[str, Any]], sync_key: str
    ) -> list[RowResult]:
        """Rows moved to the recycle bin in one call; those without an id found by sync key."""
        ids: list[str | RowResult] = []
        for row in rows:
            try:
                ids.append(str(row.get("id") or self._id_by(module, sync_key, row)))
            except RUN_ERRORS:
                raise  # the load's end, no row's failure
            except (ZohoError, ZohoInputError) as error:
                ids.append(RowResult.failed(error))
        known = [record_id for record_id in ids if isinstance(record_id, str)]
        gone = RowResult(True, "SUCCESS: moved to the recycle bin", "SUCCESS")
        if known:
            try:
                self._trash(module, known)
            except RUN_ERRORS:
                raise
            except (ZohoError, ZohoInputError) as error:
                gone = RowResult.failed(error)
        return [gone if isinstance(record_id, str) else record_id for record_id in ids]

    def _id_by(self, module: str, sync_key: str, row: Mapping[str, Any]) -> str:
        """The id of the one record whose ``sync_key`` has the row's value.

        Raises:
            ZohoError: NOT_FOUND when none has it, DUPLICATE_DATA when several do.
        """
        value = str(field_value(row, sync_key))
        found = self.find_one(module, sync_key, value)
        if found is None:
            msg = f"no {module} record has {sync_key} = {value!r}"
            raise ZohoError("NOT_FOUND", msg, {"field": sync_key})
        return str(found["id"])

    def _row(self, module: str, action: Action, sync_key: str, row: dict[str, Any]) -> RowResult:
        try:
            if action == Action.RETRIEVE:
                found = self.retrieve(module, str(row["id"]))
                if found is None:
                    return RowResult(False, f"URL_NOT_FOUND: no {module} record {row['id']}")
                return RowResult(True, json.dumps(found, ensure_ascii=False, sort_keys=True))
            done = ""
            if action == Action.INTEGRATE:
                answer, done = self._integrate_one(module, row, sync_key)
            else:
                answer = self._write_one(action, module, row)
        except RUN_ERRORS:
            raise  # the load's end, no row's failure
        except (ZohoError, ZohoInputError) as error:
            return RowResult.failed(error)
        record_id = (answer or {}).get("id")
        message = f"SUCCESS: {record_id}" if record_id else "SUCCESS"
        details = {"id": str(record_id)} if record_id else {}
        return RowResult(True, message, "SUCCESS", details, action=done)


def _module(name: str) -> str:
    """A Desk module name, checked.

    Raises:
        ZohoInputError: Not a Desk module.
    """
    lowered = name.lower()
    if lowered in SEARCHABLE or lowered in LISTED:
        return lowered
    known = ", ".join([*SEARCHABLE, *LISTED])
    msg = f"unknown Zoho Desk module {name!r}; expected one of {known}"
    raise ZohoInputError(msg)


def _search_params(module: str, field: str, value: str) -> dict[str, str]:
    """The Desk search parameter matching ``field`` with ``value`` (comma-separated: OR)."""
    if field in _DIRECT_KEYS.get(module, ()):
        return {field: value}
    prefix = "customField" if module in _DIRECT_KEYS else "field"
    return {f"{prefix}1": f"{field}:{value}"}


def field_value(row: Mapping[str, Any], field: str) -> Any:
    """A Desk record's value of a field; custom ``cf_`` fields sit under ``cf``."""
    if field.startswith("cf_"):
        return (row.get("cf") or {}).get(field)
    return row.get(field)


def _parameters(filter: Mapping[str, str] | str | None) -> dict[str, str]:
    """Desk search parameters, from a mapping or a query string (``status=Open&...``).

    Raises:
        ZohoInputError: A query string that is not one.
    """
    if not isinstance(filter, str):
        return dict(filter or {})
    try:
        return dict(urllib.parse.parse_qsl(filter, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        msg = f"a Desk filter is a mapping or a query string (status=Open&...), not {filter!r}"
        raise ZohoInputError(msg) from None


def _crm_only(method: str) -> ZohoInputError:
    """The error of a ZohoCRM method that Zoho Desk has nothing like."""
    return ZohoInputError(f"{method} is Zoho CRM's; Zoho Desk has no counterpart")


def _without_id(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "id"}


def _success(record: Mapping[str, Any] | None, action: str = "") -> dict[str, Any]:
    """A Zoho-style result of success; ``action`` as an upsert's (``insert``, ``update``)."""
    entry = {"code": "SUCCESS", "details": dict(record or {}), "message": "", "status": "success"}
    return {**entry, "action": action} if action else entry


def _failure(error: ZohoError | ZohoInputError) -> dict[str, Any]:
    if isinstance(error, ZohoInputError):
        return {"code": "INVALID_INPUT", "details": {}, "message": str(error), "status": "error"}
    return {
        "code": error.code,
        "details": error.details,
        "message": error.message,
        "status": "error",
    }


def desk_credits(method: str, url: str, params: Any, json: Any, response: requests.Response) -> int:
    """The API credits a Desk call spent, as Desk's ``X-Rate-Limit-Request-Weight-v3`` reports them.

    Zoho documents API credits
    (https://help.zoho.com/portal/en/kb/desk/developer-space/apidashboard/articles/working-with-api-credits);
    the header's name is what public clients read, not documented by Zoho: we assume it.
    """
    del method, url, params, json  # part of the signature every cost function has
    weight = response.headers.get("X-Rate-Limit-Request-Weight-v3")
    return int(weight) if weight and weight.isdigit() else 1
