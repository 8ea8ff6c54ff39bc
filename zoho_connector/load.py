"""``load``: a DataFrame written to Zoho in parallel batches, with a result for every row."""

from __future__ import annotations

import concurrent.futures
import contextvars
import dataclasses
import enum
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from zoho_connector.errors import RUN_ERRORS, ZohoError, ZohoInputError
from zoho_connector.formats import crm_datetime
from zoho_connector.frames import unflatten
from zoho_connector.wire import to_wire

if TYPE_CHECKING:
    import datetime as dt


class Action(enum.IntEnum):
    """What ``load`` does with each row."""

    CREATE = 1
    UPDATE = 2
    DELETE = 3
    INTEGRATE = 4
    RETRIEVE = 5


def parse_action(action: Action | int | str) -> Action:
    """An :class:`Action` from itself, its number or its name (any case).

    Raises:
        ZohoInputError: No such action.
    """
    try:
        return Action[action.upper()] if isinstance(action, str) else Action(action)
    except (KeyError, ValueError):
        names = ", ".join(member.name for member in Action)
        msg = f"unknown action {action!r}; expected one of {names}"
        raise ZohoInputError(msg) from None


@dataclasses.dataclass(frozen=True)
class RowResult:
    """What happened to one row: success, Zoho's code, message and details, and its action.

    ``action`` is what an upsert did, when Zoho says: ``insert`` or ``update``.
    """

    success: bool
    message: str
    code: str = ""
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    action: str = ""

    @classmethod
    def from_zoho(cls, entry: Mapping[str, Any]) -> RowResult:
        """A result from Zoho's per-record entry (``code``, ``message``, ``details``)."""
        code = str(entry.get("code") or entry.get("status") or "UNKNOWN")
        text = f"{code}: {entry.get('message', '')}".rstrip(": ")
        details = entry.get("details")
        if details:
            text += f" {json.dumps(details, ensure_ascii=False, sort_keys=True)}"
        success = entry.get("status") == "success" or code == "SUCCESS"
        mapping = details if isinstance(details, Mapping) else {}
        return cls(success, text, code, mapping, str(entry.get("action") or ""))

    @classmethod
    def missing(cls, field: str, action: Action) -> RowResult:
        """A row not sent: it lacks ``field``, which its action needs."""
        message = f"MANDATORY_NOT_FOUND: a record to {action.name.lower()} needs {field}"
        return cls(False, message, "MANDATORY_NOT_FOUND", {"field": field})

    @classmethod
    def failed(cls, error: Exception) -> RowResult:
        """A row failed by an error raised for its whole batch."""
        if isinstance(error, ZohoError):
            return cls(False, str(error), error.code, error.details)
        return cls(False, f"{type(error).__name__}: {error}", type(error).__name__)


#: Sends one batch of prepared rows; answers one result per row, in order.
BatchSender = Callable[[list[dict[str, Any]]], list[RowResult]]
Progress = Callable[[dict[str, Any]], None]


def missing_field(
    action: Action,
    sync_key: str | None,
    record: Mapping[str, Any],
    value_of: Callable[[Mapping[str, Any], str], Any],
) -> str | None:
    """What a record lacks for its action (``id``, its sync key's value...), or None.

    A delete takes an id or, given a sync key, that key's value.
    """

    def lacks(field: str) -> bool:
        return value_of(record, field) in (None, "")

    if action in (Action.UPDATE, Action.RETRIEVE) and lacks("id"):
        return "id"
    if action == Action.DELETE and lacks("id") and (not sync_key or lacks(sync_key)):
        return f"id or {sync_key}" if sync_key and sync_key != "id" else "id"
    # Zoho CRM inserts an upsert with no value to match on: every rerun would add a copy.
    if action == Action.INTEGRATE and sync_key and lacks(sync_key):
        return sync_key
    return None


def required_columns(action: Action, sync_key: str) -> tuple[str, ...]:
    """The columns an action needs in the DataFrame."""
    if action in (Action.UPDATE, Action.DELETE, Action.RETRIEVE):
        return ("id",)
    if action == Action.INTEGRATE:
        return (sync_key,)
    return ()


def check_columns(data: pl.DataFrame, action: Action, sync_key: str) -> None:
    """Check, before any call, that the DataFrame has the columns the action needs.

    Raises:
        ZohoInputError: A column the action needs is missing.
    """
    missing = [
        column for column in required_columns(action, sync_key) if column not in data.columns
    ]
    if missing:
        msg = f"{action.name} needs the column(s) {', '.join(missing)}; the DataFrame has: "
        raise ZohoInputError(msg + (", ".join(data.columns) or "no columns"))


def prepare_rows(
    data: pl.DataFrame,
    action: Action,
    sync_key: str,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    picklist: Mapping[str, Mapping[Any, Any]] | None,
    *,
    failures: dict[int, RowResult] | None = None,
    datetimes: Callable[[dt.datetime], str] = crm_datetime,
) -> list[dict[str, Any]]:
    """Rows as Zoho records: nested again, picklist values mapped, transformed, JSON-ready.

    Dates become ``yyyy-MM-dd``, datetimes ``datetimes(value)`` (CRM's form by default; a naive
    datetime is taken as UTC), decimals numbers, and an integer ``id`` the string Zoho's ids
    are.

    Args:
        data: The rows.
        action: What the rows are for.
        sync_key: The INTEGRATE key column.
        transform: Applied to each record after nesting.
        picklist: Per column, values to replace (each item of a list).
        failures: When given, a row that cannot be sent (no id or sync key value, a failing
            transform) is recorded here under its row number and left out, instead of raising.
        datetimes: How a datetime value is written (``formats.desk_datetime`` for Desk).

    Raises:
        ZohoInputError: A column the action needs is missing; without ``failures``, a row
            lacks its value or its transform failed.
    """
    check_columns(data, action, sync_key)
    rows = []
    for number, row in enumerate(data.iter_rows(named=True)):
        try:
            record = _prepare_row(number, row, action, sync_key, transform, picklist, datetimes)
        except Exception as error:
            problem = (
                error
                if isinstance(error, ZohoInputError)
                else ZohoInputError(
                    f"row {number}: transform failed: {type(error).__name__}: {error}"
                )
            )
            if failures is None:
                if problem is error:
                    raise
                raise problem from error
            failures[number] = RowResult(False, f"INVALID_INPUT: {problem}")
        else:
            rows.append(record)
    return rows


def _prepare_row(
    number: int,
    row: dict[str, Any],
    action: Action,
    sync_key: str,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    picklist: Mapping[str, Mapping[Any, Any]] | None,
    datetimes: Callable[[dt.datetime], str],
) -> dict[str, Any]:
    values = {key: value for key, value in row.items() if value is not None}
    for field, mapping in (picklist or {}).items():
        if field in values:
            values[field] = _mapped(values[field], mapping)
    record = unflatten(values)
    if transform is not None:
        record = transform(record)
    record = {key: to_wire(value, datetimes) for key, value in record.items()}
    if isinstance(record.get("id"), int) and not isinstance(record["id"], bool):
        record["id"] = str(record["id"])
    for column in required_columns(action, sync_key):
        if record.get(column) in (None, ""):
            msg = f"row {number} has no {column}, which {action.name} needs"
            raise ZohoInputError(msg)
    return record


def _mapped(value: Any, mapping: Mapping[Any, Any]) -> Any:
    """A picklist value replaced by its mapping; each item of a multi-select list."""
    if isinstance(value, list):
        return [_mapped(item, mapping) for item in value]
    return mapping.get(value, value) if isinstance(value, Hashable) else value


def in_input_order(
    results: Sequence[RowResult], failures: Mapping[int, RowResult], total: int
) -> list[RowResult]:
    """Results of the rows sent, with the rows left out by ``prepare_rows`` in their places."""
    sent = iter(results)
    return [failures[number] if number in failures else next(sent) for number in range(total)]


def run_batches(
    rows: Sequence[dict[str, Any]],
    send: BatchSender,
    *,
    batch_size: int,
    n_concurrent: int,
    die_on_error: bool,
    callback: Progress | None = None,
) -> list[RowResult]:
    """Send rows in batches, ``n_concurrent`` at a time; one result per row, in input order.

    Raises:
        ZohoError: With ``die_on_error``, the first failed row (batches already sent stay
            written; batches not yet sent are not sent).
        ZohoError: One of ``RUN_ERRORS`` (the day's credits spent, the token refused or not
            renewed, the rate limit outlasting the retries, the run's budget reached),
            whatever ``die_on_error``: no row's fault, and no batch after it can be written
            (none is sent).
    """
    batches = [list(rows[start : start + batch_size]) for start in range(0, len(rows), batch_size)]
    results: list[list[RowResult] | None] = [None] * len(batches)
    ended: list[Exception] = []
    done_rows = 0
    failed_rows = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n_concurrent)) as pool:
        # Each batch runs in a copy of the caller's context: its calls count for the caller.
        futures = {
            pool.submit(contextvars.copy_context().run, _send_safely, send, batch, ended): number
            for number, batch in enumerate(batches)
        }
        for future in concurrent.futures.as_completed(futures):
            number = futures[future]
            outcome = future.result()
            results[number] = outcome
            done_rows += len(outcome)
            failed_rows += sum(not result.success for result in outcome)
            if callback is not None:
                callback(
                    {
                        "rows_done": done_rows,
                        "rows_total": len(rows),
                        "rows_failed": failed_rows,
                        "batches_done": sum(r is not None for r in results),
                        "batches_total": len(batches),
                    }
                )
            if die_on_error and failed_rows:
                for pending in futures:
                    pending.cancel()
                first = next(r for r in outcome if not r.success)
                row = number * batch_size + outcome.index(first)
                msg = f"row {row} failed: {first.message}"
                raise ZohoError("LOAD_FAILED", msg)
    return [result for batch in results if batch is not None for result in batch]


def _send_safely(
    send: BatchSender, batch: list[dict[str, Any]], ended: list[Exception]
) -> list[RowResult]:
    """A batch's results; an error for the whole batch fails each of its rows.

    Args:
        send: Sends the batch.
        batch: Its rows.
        ended: The error that ended the load, once one came (shared by its batches). A
            batch after it is not sent and has no results: the load raises that error.

    Raises:
        ZohoError: One of ``RUN_ERRORS`` (the load's end, no row's fault).
    """
    if ended:
        return []
    try:
        outcome = send(batch)
    except RUN_ERRORS as error:
        ended.append(error)
        raise
    except Exception as error:  # reported in every row of the batch, never lost
        return [RowResult.failed(error)] * len(batch)
    if len(outcome) != len(batch):
        msg = f"Zoho answered {len(outcome)} results for {len(batch)} records"
        return [RowResult.failed(ZohoError("RESULT_MISMATCH", msg))] * len(batch)
    return outcome


def with_results(data: pl.DataFrame, results: Sequence[RowResult]) -> pl.DataFrame:
    """The input DataFrame plus ``success`` and ``message`` columns."""
    return data.with_columns(
        pl.Series("success", [result.success for result in results], dtype=pl.Boolean),
        pl.Series("message", [result.message for result in results], dtype=pl.String),
    )
