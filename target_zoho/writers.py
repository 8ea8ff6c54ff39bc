"""A stream's records as the core's batch writes: one result per record, in order.

A record whose ``_sdc_deleted_at`` is set is a delete; runs of records with the same action
keep their order. The core (``ZohoCRM.write``) sends them in batches of ``batch_size``,
``n_concurrent`` at a time; a record whose values do not fit its fields fails alone here,
before any call. An error of the run's (spent credits, a refused token: ``RUN_ERRORS``) fails
no record: it ends the write.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from target_zoho.payloads import CrmPayloads, DeskPayloads, PayloadError
from zoho_connector.load import Action, RowResult, in_input_order
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from target_zoho.routes import Route
    from zoho_connector.crm import ZohoCRM

#: What a written record became, as the run's summary counts it.
OUTCOMES = ("created", "updated", "deleted")
_OUTCOME_OF_ACTION = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
#: An upsert's outcome, from Zoho's answer (its ``action``).
_OUTCOME_OF_UPSERT = {"insert": "created", "update": "updated"}


class Writer:
    """Writes one stream's records to one Zoho module.

    Args:
        client: The product's client (a ZohoDesk is a ZohoCRM); its ``n_rows_write`` sizes
            write calls, ``n_concurrent`` of them in flight at once.
        route: Where and how the stream is written.
    """

    def __init__(self, client: ZohoCRM, route: Route) -> None:
        self.client = client
        self.route = route
        self.module: str = client.module(route.module)["api_name"]
        payloads = CrmPayloads if route.product == "crm" else DeskPayloads
        self.payloads = payloads(self.module, client.fields(self.module), route.renames)

    def write(self, records: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        """Write records; one result per record, in order."""
        results: list[RowResult] = []
        position = 0
        for action, group in itertools.groupby(map(self._action, records)):
            count = len(list(group))
            results += self._write_group(action, records[position : position + count])
            position += count
        return results

    def outcome(self, record: Mapping[str, Any], result: RowResult) -> str:
        """What a record written with success became: one of OUTCOMES, or ``upserted``.

        An upsert's outcome is Zoho's answer; ``upserted`` when it does not say.
        """
        action = self._action(record)
        if action == Action.INTEGRATE:
            return _OUTCOME_OF_UPSERT.get(result.action, "upserted")
        return _OUTCOME_OF_ACTION[action]

    def left_out(self) -> set[str]:
        """Keys records brought that the writes left out since the last call (and forget them)."""
        keys = set(self.payloads.left_out)
        self.payloads.left_out.clear()
        return keys

    def _action(self, record: Mapping[str, Any]) -> Action:
        return Action.DELETE if record.get(DELETED_AT) else self.route.action

    def _write_group(self, action: Action, records: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        failures: dict[int, RowResult] = {}
        payloads: list[dict[str, Any]] = []
        for number, record in enumerate(records):
            try:
                payloads.append(self._payload(action, record))
            except PayloadError as error:
                message = f"INVALID_INPUT: {error}"
                failures[number] = RowResult(
                    False, message, "INVALID_INPUT", {"field": error.field}
                )
        results = self.client.write(
            self.module,
            action,
            payloads,
            sync_key=self._sync_key(action),
            trigger=self.route.triggers,
        )
        return in_input_order(results, failures, len(records))

    def _payload(self, action: Action, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record's write body; an id of another org kept only where it names the record.

        Creates never carry one; CRM upserts match on fields, not on an id of another org.
        """
        payload = self.payloads.build(record)
        by_id = action in (Action.UPDATE, Action.DELETE) or (
            action == Action.INTEGRATE and self._sync_key(action) == "id"
        )
        if not by_id:
            payload.pop("id", None)
        return payload

    def _sync_key(self, action: Action) -> str | None:
        """What records are matched on: the route's key; on Desk, ``id`` for an upsert."""
        if action == Action.INTEGRATE and self.route.product == "desk":
            return self.route.sync_key or "id"
        return self.route.sync_key
