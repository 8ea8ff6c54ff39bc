"""Sending a sink's records to Zoho: one result per record, in order.

Records go in batches of ``batch_size``, ``n_concurrent`` batches at a time, through the
connector core's write calls. A record whose ``_sdc_deleted_at`` is set is a delete; runs of
records with the same action keep their order. A record that cannot be written (a field it
lacks, a value unfit for its field, no id for an update) fails alone, before any call.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from target_zoho.payloads import CrmPayloads, DeskPayloads, PayloadError
from zoho_connector.conditions import query_condition
from zoho_connector.desk import field_value
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.load import RowResult, in_input_order, run_batches
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from target_zoho.routes import Route
    from zoho_connector.client import ZohoClient
    from zoho_connector.crm import ZohoCRM
    from zoho_connector.desk import ZohoDesk

Sender = Callable[[list[dict[str, Any]]], list[RowResult]]

#: What a written record became, as the run's summary counts it.
OUTCOMES = ("created", "updated", "deleted")
_OUTCOME_OF_ACTION = {"create": "created", "update": "updated", "delete": "deleted"}
#: An upsert's outcome, from Zoho's answer (``action``, zoho-crm-api.md §8.1).
_OUTCOME_OF_UPSERT = {"insert": "created", "update": "updated"}


class Writer(abc.ABC):
    """Writes one stream's records to one Zoho module.

    Args:
        route: Where and how the stream is written.
        client: The client's ``n_rows_write`` sizes write calls, ``n_concurrent`` of them in
            flight at once.
    """

    #: The module's name as Zoho spells it.
    module: str

    def __init__(self, route: Route, client: ZohoClient) -> None:
        self.route = route
        self.batch_size = client.n_rows_write
        self.n_concurrent = client.n_concurrent

    def write(self, records: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        """Write records; one result per record, in order."""
        results: list[RowResult] = []
        actions = [self._action(record) for record in records]
        position = 0
        for action, group in itertools.groupby(actions):
            count = len(list(group))
            results += self._write_group(action, records[position : position + count])
            position += count
        return results

    def _action(self, record: Mapping[str, Any]) -> str:
        return "delete" if record.get(DELETED_AT) else self.route.action

    def outcome(self, record: Mapping[str, Any], result: RowResult) -> str:
        """What a record written with success became: one of OUTCOMES, or ``upserted``.

        An upsert's outcome is Zoho's answer; ``upserted`` when it does not say.
        """
        action = self._action(record)
        if action == "upsert":
            return _OUTCOME_OF_UPSERT.get(result.action, "upserted")
        return _OUTCOME_OF_ACTION[action]

    def _write_group(self, action: str, records: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        prepared = [self._prepare(action, record) for record in records]
        failures = {n: item for n, item in enumerate(prepared) if isinstance(item, RowResult)}
        results = run_batches(
            [item for item in prepared if isinstance(item, dict)],
            self._sender(action),
            batch_size=self.batch_size,
            n_concurrent=self.n_concurrent,
            die_on_error=False,
        )
        return in_input_order(results, failures, len(records))

    def _prepare(self, action: str, record: Mapping[str, Any]) -> dict[str, Any] | RowResult:
        try:
            payload = self._payload(record)
        except PayloadError as error:
            return RowResult(
                False, f"INVALID_INPUT: {error}", "INVALID_INPUT", {"field": error.field}
            )
        key = self.route.sync_key
        if action == "update" and not payload.get("id"):
            return _missing("id", action)
        if action == "delete" and not payload.get("id") and not (key and self.value(payload, key)):
            return _missing(f"id or {key}" if key else "id", action)
        # Zoho CRM inserts an upsert with no value to match on: every rerun would add a copy.
        if action == "upsert" and key and self.value(payload, key) in (None, ""):
            return _missing(key, action)
        return payload

    def value(self, payload: Mapping[str, Any], field: str) -> Any:
        """A payload's value of a field."""
        return payload.get(field)

    def left_out(self) -> set[str]:
        """Keys records brought that the writes left out since the last call (and forget them)."""
        return set()

    @abc.abstractmethod
    def _payload(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The write body of a record."""

    @abc.abstractmethod
    def _sender(self, action: str) -> Sender:
        """Sends one batch of payloads for an action."""


class CrmWriter(Writer):
    """Writes to a CRM module: insert, update, upsert and delete calls of up to 100 records.

    Args:
        crm: The CRM client (``die_on_error`` off: results come per record).
        route: Where and how the stream is written.
    """

    def __init__(self, crm: ZohoCRM, route: Route) -> None:
        super().__init__(route, crm)
        self.crm = crm
        self.module = crm.module(route.module)["api_name"]
        self.payloads = CrmPayloads(self.module, crm.fields(self.module), route.renames)

    @override
    def _payload(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return self.payloads.build(record)

    @override
    def _sender(self, action: str) -> Sender:
        module, triggers = self.module, self.route.triggers

        def send(rows: list[dict[str, Any]]) -> list[RowResult]:
            if action == "delete":
                return self._delete(rows)
            if action == "update":
                answer = self.crm.update(module, rows)
            else:
                # An id of another org must not reach Zoho: match on fields instead.
                bodies = [{k: v for k, v in row.items() if k != "id"} for row in rows]
                if action == "create":
                    answer = self.crm.create(module, bodies, triggers)
                else:
                    answer = self.crm.integrate(module, bodies, self.route.sync_key, triggers)
            return [RowResult.from_zoho(entry) for entry in (answer or {}).get("data") or []]

        return send

    def _delete(self, rows: list[dict[str, Any]]) -> list[RowResult]:
        """Delete by id, or by the sync key's value (its id found by COQL first)."""
        key = self.route.sync_key
        found = self._ids_by_key([row[key] for row in rows if not row.get("id")]) if key else {}
        ids = [row.get("id") or (found.get(str(row.get(key))) if key else None) for row in rows]
        known = [record_id for record_id in ids if record_id]
        answer = self.crm.delete(self.module, known) if known else {"data": []}
        outcome = iter(_gone(entry) for entry in (answer or {}).get("data") or [])
        return [
            next(outcome)
            if record_id
            else RowResult(
                False,
                f"NOT_FOUND: no {self.module} record has {key} = {row.get(key or 'id')!r}",
                "NOT_FOUND",
                {"field": key or "id"},
            )
            for record_id, row in zip(ids, rows, strict=True)
        ]

    def _ids_by_key(self, values: list[Any]) -> dict[str, str]:
        key = self.route.sync_key or "id"
        if not values:
            return {}
        # One condition: COQL's 50-value cap on ``in`` is the core's to split (conditions.py).
        condition = query_condition(key, "in", [str(value) for value in values])
        records = self.crm.records(self.module, filter=condition, fields=[key])
        return {str(record[key]): record["id"] for record in records}


def _gone(entry: Mapping[str, Any]) -> RowResult:
    """A delete's result; a record already deleted is a success (a rerun deletes it again).

    Zoho answers INVALID_DATA "record not deleted" for an id it no longer holds
    (zoho-crm-api.md §8); its SDK also knows ID_ALREADY_DELETED.
    """
    result = RowResult.from_zoho(entry)
    if result.code == "ID_ALREADY_DELETED" or (
        result.code == "INVALID_DATA" and "record not deleted" in result.message
    ):
        return RowResult(True, f"ALREADY_DELETED: {result.message}", "ALREADY_DELETED")
    return result


class DeskWriter(Writer):
    """Writes to a Desk module: one call a record; deletes move records to the recycle bin.

    Args:
        desk: The Desk client (``die_on_error`` off: results come per record).
        route: Where and how the stream is written.
    """

    def __init__(self, desk: ZohoDesk, route: Route) -> None:
        super().__init__(route, desk)
        self.desk = desk
        self.module = route.module.lower()
        self.payloads = DeskPayloads(self.module, desk.fields(self.module), route.renames)

    @override
    def _payload(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return self.payloads.build(record)

    @override
    def value(self, payload: Mapping[str, Any], field: str) -> Any:
        return field_value(payload, field)

    @override
    def left_out(self) -> set[str]:
        keys = set(self.payloads.left_out)
        self.payloads.left_out.clear()
        return keys

    @override
    def _sender(self, action: str) -> Sender:
        module = self.module

        def send(rows: list[dict[str, Any]]) -> list[RowResult]:
            if action == "delete":
                return self._delete(rows)
            if action == "update":
                answer = self.desk.update(module, rows)
            elif action == "create":
                answer = self.desk.create(module, [_without_id(row) for row in rows])
            else:
                answer = self.desk.integrate(module, rows, self.route.sync_key or "id")
            return [RowResult.from_zoho(entry) for entry in (answer or {}).get("data") or []]

        return send

    def _delete(self, rows: list[dict[str, Any]]) -> list[RowResult]:
        key = self.route.sync_key
        results: list[RowResult] = []
        for row in rows:
            try:
                record_id = row.get("id") or self._id_by_key(str(self.value(row, key or "id")))
                self.desk.delete(self.module, str(record_id))
            except (ZohoError, ZohoInputError) as error:
                results.append(RowResult.failed(error))
            else:
                results.append(RowResult(True, "SUCCESS: moved to the recycle bin", "SUCCESS"))
        return results

    def _id_by_key(self, value: str) -> str:
        key = self.route.sync_key or "id"
        found = self.desk.find_one(self.module, key, value)
        if found is None:
            msg = f"no {self.module} record has {key} = {value!r}"
            raise ZohoError("NOT_FOUND", msg, {"field": key})
        record_id: str = found["id"]
        return record_id


def _missing(field: str, action: str) -> RowResult:
    message = f"MANDATORY_NOT_FOUND: a record to {action} needs {field}"
    return RowResult(False, message, "MANDATORY_NOT_FOUND", {"field": field})


def _without_id(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "id"}
