"""What ZohoCRM and ZohoDesk share: construction, credentials, the HTTP stack, ``request``."""

from __future__ import annotations

import abc
import logging
from typing import TYPE_CHECKING, Any, Self

import msgspec

from zoho_connector.auth import REFRESH_WAIT, AccessToken
from zoho_connector.errors import ZohoError
from zoho_connector.formats import crm_datetime
from zoho_connector.http import TRANSIENT_ERRORS, Cost, HttpStack, raise_for_error
from zoho_connector.load import (
    Action,
    BatchSender,
    Progress,
    RowResult,
    check_columns,
    in_input_order,
    missing_field,
    parse_action,
    prepare_rows,
    run_batches,
    with_results,
)
from zoho_connector.wire import to_wire

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    import polars as pl
    import requests

    from zoho_connector.token_cache import TokenCache
    from zoho_connector.usage import Budget

_log = logging.getLogger("zoho_connector")
_JSON = msgspec.json.Decoder()


class ZohoClient(abc.ABC):
    """An authenticated client of one Zoho product.

    Args:
        client_id: OAuth client id.
        client_secret: OAuth client secret.
        refresh_token: OAuth refresh token.
        url: The product's API host.
        account_url: The Zoho Accounts host of the same data center.
        n_concurrent: Calls in flight at once (Zoho's concurrency limit is per org).
        die_on_error: Raise on a failed record instead of reporting it.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless set to False (or a CA bundle path).
        cert: Client certificate for ``requests``.
        cost: The API credits an answered call spent (see :class:`HttpStack`).
        token_cache: A folder where access tokens outlive the process (a
            :class:`~zoho_connector.token_cache.TokenCache`); none by default.
        refresh_wait: Seconds a token refresh refused for Zoho's refresh limit keeps trying.
        budget: API credits the client may spend, shared with other clients; no limit by
            default.
    """

    def __init__(  # noqa: PLR0913 -- the seed's parameters, passed on by ZohoCRM and ZohoDesk
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        url: str,
        account_url: str,
        *,
        n_concurrent: int = 4,
        die_on_error: bool = True,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        cost: Cost | None = None,
        token_cache: TokenCache | None = None,
        refresh_wait: float = REFRESH_WAIT,
        budget: Budget | None = None,
    ) -> None:
        for name, value in (
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ):
            if not value or not isinstance(value, str):
                msg = f"{name} is required"
                raise ValueError(msg)
        self.url = url.rstrip("/")
        self.account_url = account_url.rstrip("/")
        self.die_on_error = die_on_error
        self.token = AccessToken.for_credentials(
            self.account_url,
            client_id,
            client_secret,
            refresh_token,
            timeout=timeout,
            verify=verify,
            cert=cert,
            cache=token_cache,
            refresh_wait=refresh_wait,
        )
        self.http = HttpStack(
            self.token,
            n_concurrent=n_concurrent,
            timeout=timeout,
            verify=verify,
            cert=cert,
            cost=cost,
            budget=budget,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, account_url={self.account_url!r})"

    @property
    def n_concurrent(self) -> int:
        """Calls in flight at once."""
        return self.http.n_concurrent

    #: A cheap call that proves the credentials, the host and the org work together.
    probe: str = ""
    #: How datetimes are written (CRM: the value's offset; Desk: UTC with ``Z``).
    wire_datetime: Callable[[dt.datetime], str] = staticmethod(crm_datetime)
    n_rows_write: int = 100

    def connect(self) -> Self:
        """Refresh the access token (or reuse a live one) and check that Zoho answers.

        Raises:
            ZohoAuthError: Zoho refused the credentials, the token or the org.
            ZohoError: Zoho refused the call.
        """
        self.token.get()
        self.request("GET", self.probe)
        return self

    def ping(self) -> bool:
        """Whether Zoho answers with the current credentials (one attempt, no retries)."""
        try:
            self.request("GET", self.probe, attempts=1)
        except ZohoError:
            return False
        return True

    def write(
        self,
        module: str,
        action: Action | int | str,
        records: Sequence[Mapping[str, Any]],
        *,
        sync_key: str | None = None,
        trigger: Sequence[str] | None = None,
        n_concurrent: int | None = None,
        callback: Progress | None = None,
    ) -> list[RowResult]:
        """Write records as Zoho takes them; one result per record, in input order.

        The batch form of the write calls, used by target-zoho: records go in batches of
        ``n_rows_write``, ``n_concurrent`` at a time, and nothing is raised for a record. One
        that lacks what its action needs (an id to update; an id or the sync key's value to
        delete; the sync key's value to integrate) fails alone, before any call. A delete by
        sync key finds the ids first; an already deleted record is a success.

        Raises:
            ZohoInputError: Before any call: an unknown module or action, or a sync key or
                key of the records that is no field of the module.
        """
        chosen = parse_action(action)
        name = self._load_target(module, chosen, sync_key or "", trigger)
        rows, failures = self._prepared(chosen, sync_key, records)
        return self._write_rows(
            name,
            chosen,
            rows,
            failures,
            self._batch_sender(name, chosen, sync_key or "", trigger),
            batch_size=self.n_rows_write,
            n_concurrent=n_concurrent,
            die_on_error=False,
            callback=callback,
        )

    def _prepared(
        self, action: Action, sync_key: str | None, records: Sequence[Mapping[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[int, RowResult]]:
        """Records as Zoho's JSON; those lacking what ``action`` needs as failures, by number."""
        failures: dict[int, RowResult] = {}
        rows: list[dict[str, Any]] = []
        for number, record in enumerate(records):
            missing = missing_field(action, sync_key, record, self.value_of)
            if missing:
                failures[number] = RowResult.missing(missing, action)
            else:
                rows.append(
                    {key: to_wire(value, self.wire_datetime) for key, value in record.items()}
                )
        return rows, failures

    def load(  # noqa: PLR0913 -- the seed's signature
        self,
        module: str,
        data: pl.DataFrame,
        action: Action | int | str,
        sync_key: str = "sync_key",
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        picklist: Mapping[str, Mapping[Any, Any]] | None = None,
        n_rows_write: int | None = None,
        n_concurrent: int | None = None,
        die_on_error: bool | None = None,
        trigger: Sequence[str] | None = None,
        callback: Progress | None = None,
    ) -> pl.DataFrame:
        """Write every row of a DataFrame; the DataFrame plus ``success`` and ``message``.

        Rows go in batches of ``n_rows_write``, ``n_concurrent`` batches at a time (never more
        calls in flight than the client's ``n_concurrent``); each row's result carries Zoho's
        code, message and details. With ``die_on_error`` false, every failure is reported in
        its row and nothing is raised: a row without its id or sync key value, or whose
        transform fails, is not sent and says why.

        Raises:
            ZohoInputError: Before any call: unknown module, a missing id or sync key column,
                a column (after ``transform``) that is no field of the module; with
                ``die_on_error``, a row without its id or sync key value.
            ZohoError: With ``die_on_error``, the first failed row.
        """
        chosen = parse_action(action)
        batch_size = n_rows_write or self.n_rows_write
        if not 1 <= batch_size <= self.max_write:
            msg = f"n_rows_write must be between 1 and {self.max_write}, not {batch_size!r}"
            raise ValueError(msg)
        check_columns(data, chosen, sync_key)
        name = self._load_target(module, chosen, sync_key, trigger)
        die = self.die_on_error if die_on_error is None else die_on_error
        failures: dict[int, RowResult] = {}
        rows = prepare_rows(
            data,
            chosen,
            sync_key,
            transform,
            picklist,
            failures=None if die else failures,
            datetimes=self.wire_datetime,
        )
        results = self._write_rows(
            name,
            chosen,
            rows,
            failures,
            self._batch_sender(name, chosen, sync_key, trigger),
            batch_size=batch_size,
            n_concurrent=n_concurrent,
            die_on_error=die,
            callback=callback,
        )
        return with_results(data, results)

    def _write_rows(
        self,
        module: str,
        action: Action,
        rows: list[dict[str, Any]],
        failures: Mapping[int, RowResult],
        send: BatchSender,
        *,
        batch_size: int,
        n_concurrent: int | None,
        die_on_error: bool,
        callback: Progress | None,
    ) -> list[RowResult]:
        """Checked rows sent in batches by ``send``; their results, ``failures`` in their places."""
        self._check_rows(module, action, rows)
        results = run_batches(
            rows,
            send,
            batch_size=batch_size,
            n_concurrent=n_concurrent or self.n_concurrent,
            die_on_error=die_on_error,
            callback=callback,
        )
        return in_input_order(results, failures, len(rows) + len(failures))

    @staticmethod
    def value_of(record: Mapping[str, Any], field: str) -> Any:
        """A record's value of a field, as the product nests it."""
        return record.get(field)

    #: The most records one write batch may hold.
    max_write: int = 100

    @abc.abstractmethod
    def _load_target(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> str:
        """The module's API name, after checking what ``load`` was asked (before any write)."""

    @abc.abstractmethod
    def _check_rows(self, module: str, action: Action, rows: list[dict[str, Any]]) -> None:
        """Refuse, before any write, rows the product would silently mishandle."""

    @abc.abstractmethod
    def _batch_sender(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> BatchSender:
        """Sends one batch of rows for ``action``; one result per row."""

    def server_now(self) -> dt.datetime:
        """Zoho's clock (from its answers' Date header), for bounds that must not pass it."""
        return self.http.server_now()

    def headers(self) -> dict[str, str]:
        """The OAuth header of a live access token."""
        return self.http.auth_headers()

    def endpoint(self, path: str) -> str:
        """The URL of an API path (relative to the product's API root, or absolute)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.api_root}/{path.lstrip('/')}"

    @property
    def api_root(self) -> str:
        """The root every relative path hangs from."""
        return self.url

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        """One API call: Zoho's JSON answer, or None for 204 and 304.

        Args:
            method: HTTP method.
            path: Path under the API root, or a full URL.
            headers: Extra headers.
            **kwargs: ``params`` and ``json``.

        Raises:
            ZohoError: Zoho answered an error (its code, message and details), except
                per-record write results, which are returned for the caller to read.
        """
        response = self.http.send(method, self.endpoint(path), headers=headers, **kwargs)
        return parse(response)

    def save(self, path: str, destination: Path) -> None:
        """Stream the body of one GET into a file (again from the start if it breaks off).

        Raises:
            ZohoError: Zoho answered an error, or the body kept breaking off.
        """
        attempts = self.http.retry.attempts
        for attempt in range(1, attempts + 1):
            response = self.http.send("GET", self.endpoint(path), stream=True)
            try:
                if response.status_code >= 400:
                    raise_for_error(response)
                with destination.open("wb") as target:
                    for chunk in response.iter_content(1 << 20):
                        target.write(chunk)
                return
            except TRANSIENT_ERRORS as error:
                if attempt == attempts:
                    msg = f"GET {path}: the download kept breaking off ({type(error).__name__})"
                    raise ZohoError("RETRIES_EXHAUSTED", msg) from None
                _log.warning("Zoho GET %s broke off (%s); again", path, type(error).__name__)
            finally:
                response.close()


def parse(response: requests.Response) -> dict[str, Any] | None:
    """Zoho's JSON body; None for 204/304; per-record results (207, 400) as a body.

    Raises:
        ZohoError: A request-level error.
    """
    if response.status_code in (204, 304) or not response.content:
        if response.status_code >= 400:
            raise_for_error(response)
        return None
    try:
        # msgspec's decoder: several times faster than the one requests picks (simplejson).
        body = _JSON.decode(response.content)
    except msgspec.DecodeError:
        raise_for_error(response)
        msg = f"Zoho answered HTTP {response.status_code} with a body that is not JSON"
        raise ZohoError("INVALID_RESPONSE", msg, status=response.status_code) from None
    if response.status_code >= 400 and not per_record(body):
        raise_for_error(response)
    if not isinstance(body, dict):
        return {"data": body}
    return body


def per_record(body: Any) -> bool:
    """Whether a body answers record by record (``{"data": [...]}``): a write's mixed results."""
    return isinstance(body, dict) and isinstance(body.get("data"), list)
