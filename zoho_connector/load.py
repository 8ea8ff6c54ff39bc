"""``load``: a DataFrame written to Zoho in parallel batches, with a result for every row."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.frames import unflatten


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
    """What happened to one row: success, and Zoho's code, message and details."""

    success: bool
    message: str

    @classmethod
    def from_zoho(cls, entry: Mapping[str, Any]) -> RowResult:
        """A result from Zoho's per-record entry (``code``, ``message``, ``details``)."""
        code = str(entry.get("code") or entry.get("status") or "UNKNOWN")
        text = f"{code}: {entry.get('message', '')}".rstrip(": ")
        details = entry.get("details")
        if details:
            text += f" {json.dumps(details, ensure_ascii=False, sort_keys=True)}"
        return cls(entry.get("status") == "success" or code == "SUCCESS", text)

    @classmethod
    def failed(cls, error: Exception) -> RowResult:
        """A row failed by an error raised for its whole batch."""
        return cls(False, str(error))


#: Sends one batch of prepared rows; answers one result per row, in order.
BatchSender = Callable[[list[dict[str, Any]]], list[RowResult]]
Progress = Callable[[dict[str, Any]], None]


def required_columns(action: Action, sync_key: str) -> tuple[str, ...]:
    """The columns an action needs in the DataFrame."""
    if action in (Action.UPDATE, Action.DELETE, Action.RETRIEVE):
        return ("id",)
    if action == Action.INTEGRATE:
        return (sync_key,)
    return ()


def prepare_rows(
    data: pl.DataFrame,
    action: Action,
    sync_key: str,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
    picklist: Mapping[str, Mapping[Any, Any]] | None,
) -> list[dict[str, Any]]:
    """Rows as Zoho records: nested again, picklist values mapped, transformed.

    Raises:
        ZohoInputError: A column the action needs is missing, or a row lacks its value.
    """
    missing = [
        column for column in required_columns(action, sync_key) if column not in data.columns
    ]
    if missing:
        msg = f"{action.name} needs the column(s) {', '.join(missing)}; the DataFrame has: "
        raise ZohoInputError(msg + ", ".join(data.columns))
    rows = []
    for number, row in enumerate(data.iter_rows(named=True)):
        values = {key: value for key, value in row.items() if value is not None}
        for field, mapping in (picklist or {}).items():
            if field in values and values[field] in mapping:
                values[field] = mapping[values[field]]
        record = unflatten(values)
        if transform is not None:
            record = transform(record)
        for column in required_columns(action, sync_key):
            if record.get(column) in (None, ""):
                msg = f"row {number} has no {column}, which {action.name} needs"
                raise ZohoInputError(msg)
        rows.append(record)
    return rows


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
    """
    batches = [list(rows[start : start + batch_size]) for start in range(0, len(rows), batch_size)]
    results: list[list[RowResult] | None] = [None] * len(batches)
    done_rows = 0
    failed_rows = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n_concurrent)) as pool:
        futures = {
            pool.submit(_send_safely, send, batch): number for number, batch in enumerate(batches)
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


def _send_safely(send: BatchSender, batch: list[dict[str, Any]]) -> list[RowResult]:
    """A batch's results; an error for the whole batch fails each of its rows."""
    try:
        outcome = send(batch)
    except ZohoError as error:
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


def batch_count(rows: int, batch_size: int) -> int:
    """How many batches ``rows`` make."""
    return math.ceil(rows / batch_size)
