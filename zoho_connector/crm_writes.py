"""Zoho CRM's writes: insert, update, upsert (``integrate``) and delete, 100 records a call.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/upsert-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/delete-records.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from typing_extensions import override

from zoho_connector.bulk_write import BulkWriter, WriteApi
from zoho_connector.crm_read import PageRead, rest
from zoho_connector.crm_reads import CrmReads
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.load import Action, BatchSender, RowResult, in_input_order, parse_action
from zoho_connector.wire import to_wire

#: At most 100 records per write call.
MAX_WRITE = 100

Data = Mapping[str, Any] | Sequence[Mapping[str, Any]]
#: What a write call gives: the record's details, or one a record for a list (None: failed).
Written = dict[str, Any] | list[dict[str, Any] | None] | None


class CrmWrites(CrmReads):
    """A Zoho CRM client's writes.

    The seed's forms (``create``, ``update``, ``integrate``, ``delete``) give the details
    Zoho answers for the record (its ``id``, ``Modified_Time``...), or a list of them for a
    list of records; a failed record raises, or with ``die_on_error`` off is None.
    :meth:`~zoho_connector.client.ZohoClient.write` and ``load`` give a result per record.
    """

    max_write = MAX_WRITE

    def create(self, module: str, data: Data, trigger: Sequence[str] | None = None) -> Written:
        """Insert up to 100 records.

        Raises:
            ZohoInputError: Before any call: unknown module or field, no or too many records.
            ZohoError: With ``die_on_error``, a record Zoho refused.
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        return self._written(data, self._send(Action.CREATE, name, records, trigger=trigger))

    def update(self, module: str, data: Data, id: str | None = None) -> Written:
        """Update records by the ``id`` each carries, or one record by ``id``.

        Raises:
            ZohoInputError: Before any call: unknown module or field, a record without id.
            ZohoError: With ``die_on_error``, a record Zoho refused.
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        if id is not None:
            answer = self.request("PUT", f"{name}/{id}", json={"data": records})
            return self._written(data, answer)
        missing = [number for number, record in enumerate(records) if not record.get("id")]
        if missing:
            msg = f"update of {name}: record(s) {missing} carry no id"
            raise ZohoInputError(msg)
        return self._written(data, self._send(Action.UPDATE, name, records))

    def delete(self, module: str, id: str | Sequence[str]) -> Written:
        """Delete records by id (at most 100).

        Raises:
            ZohoError: With ``die_on_error``, an id Zoho could not delete.
        """
        ids = [id] if isinstance(id, str) else list(id)
        if not ids or len(ids) > MAX_WRITE:
            msg = f"delete takes 1 to {MAX_WRITE} ids, not {len(ids)}"
            raise ZohoInputError(msg)
        name = self.module(module)["api_name"]
        answer = self._send(Action.DELETE, name, [{"id": i} for i in ids])
        return self._written(id, answer)

    def integrate(
        self,
        module: str,
        data: Data,
        sync_key: str | Sequence[str] | None,
        trigger: Sequence[str] | None = None,
    ) -> Written:
        """Upsert: update the record whose ``sync_key`` field matches, else insert.

        With ``sync_key`` None, Zoho matches on the module's default duplicate-check fields
        (Email for Leads and Contacts, Account_Name for Accounts...).

        Raises:
            ZohoInputError: Before any call: unknown module or field (sync keys too).
            ZohoError: With ``die_on_error``, a record Zoho refused.
        """
        name = self.module(module)["api_name"]
        records = self._checked(name, data)
        keys = [sync_key] if isinstance(sync_key, str) else list(sync_key or [])
        self._check_fields(name, keys)
        return self._written(data, self._send(Action.INTEGRATE, name, records, keys, trigger))

    #: Most seconds between two status checks of a Bulk Write job.
    bulk_write_poll: float = 10.0
    #: Seconds a Bulk Write job may take before :meth:`bulk_write` gives up.
    bulk_write_timeout: float = 6 * 3600.0

    def bulk_write(
        self,
        module: str,
        action: Action | int | str,
        records: Sequence[Mapping[str, Any]],
        *,
        sync_key: str | None = None,
    ) -> list[RowResult]:
        """Write records by Bulk Write, as :meth:`write` takes them; a result each, in order.

        Insert, update (by id) or upsert (by ``sync_key``) in jobs of up to 25,000 records
        (500 credits each, see :mod:`zoho_connector.bulk_write`). An empty value leaves the
        field as it is. A record that lacks what its action needs fails alone, before any call;
        a job that failed, or that Zoho refused (a mandatory field not mapped...), fails each
        of its records.

        Raises:
            ZohoInputError: Before any call: an unknown module or field, an action other than
                insert, update or upsert, an upsert without a sync key.
            ZohoError: One of ``RUN_ERRORS``; a job did not end within
                ``bulk_write_timeout`` seconds.
        """
        chosen = parse_action(action)
        name = self._load_target(module, chosen, sync_key or "", None)
        types = {field["api_name"]: str(field.get("data_type")) for field in self.fields(name)}
        writer = BulkWriter(self._bulk_write_api(), name, chosen, types, sync_key)
        rows, failures = self._prepared(chosen, sync_key, records)
        self._check_rows(name, chosen, rows)
        results = writer.write(rows) if rows else []
        return in_input_order(results, failures, len(records))

    def _bulk_write_api(self) -> WriteApi:
        content = self.url.replace("://www.zohoapis.", "://content.zohoapis.", 1)
        return WriteApi(
            self.request,
            self.download,
            f"{self.url}/crm/bulk/{self.api_version}/write",
            f"{content}/crm/{self.api_version}/upload",
            self._zgid,
            self.bulk_write_poll,
            self.bulk_write_timeout,
        )

    def _zgid(self) -> str:
        """The org's ``zgid`` (once a client)."""
        if not getattr(self, "_org_zgid", None):
            self._org_zgid = str(self.org()[0]["zgid"])
        return self._org_zgid

    @override
    def _load_target(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> str:
        name: str = self.module(module)["api_name"]
        if action == Action.INTEGRATE and sync_key and sync_key not in self._known_fields(name):
            msg = f"sync_key {sync_key!r} is not a field of {name}"
            raise ZohoInputError(msg)
        return name

    @override
    def _check_rows(self, module: str, action: Action, rows: list[dict[str, Any]]) -> None:
        """Zoho CRM silently drops keys that are no field: refuse them instead."""
        if action in (Action.CREATE, Action.UPDATE, Action.INTEGRATE):
            self._check_fields(module, {key for row in rows for key in row})

    def _checked(self, module: str, data: Data) -> list[dict[str, Any]]:
        """Records to write: 1 to 100, fields of the module, values as Zoho's JSON takes them."""
        records = [dict(data)] if isinstance(data, Mapping) else [dict(item) for item in data]
        if not records or len(records) > MAX_WRITE:
            msg = f"a write takes 1 to {MAX_WRITE} records, not {len(records)}"
            raise ZohoInputError(msg)
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
        body = {"data": rows} | ({} if trigger is None else {"trigger": list(trigger)})
        if action == Action.UPDATE:
            return self.request("PUT", module, json=body)
        if action == Action.INTEGRATE:
            keys = {"duplicate_check_fields": list(sync_keys)} if sync_keys else {}
            return self.request("POST", f"{module}/upsert", json=body | keys, idempotent=True)
        return self.request("POST", module, json=body)

    def _written(self, data: object, answer: dict[str, Any] | None) -> Written:
        """Each record's details from Zoho's answer; a failed record raises with die_on_error.

        One record's (a dict, or None) for a mapping or a single id, else a list.
        """
        details: list[dict[str, Any] | None] = []
        for number, entry in enumerate((answer or {}).get("data") or []):
            if entry.get("status") == "success":
                details.append(dict(entry.get("details") or {}))
            elif self.die_on_error:
                raise ZohoError(
                    str(entry.get("code")),
                    f"record {number}: {entry.get('message')}",
                    entry.get("details"),
                )
            else:
                details.append(None)
        if isinstance(data, Mapping | str):
            return details[0] if details else None
        return details

    @override
    def _batch_sender(
        self, module: str, action: Action, sync_key: str, trigger: Sequence[str] | None
    ) -> BatchSender:
        def send(rows: list[dict[str, Any]]) -> list[RowResult]:
            if action == Action.RETRIEVE:
                return self._retrieve_batch(module, rows)
            if action == Action.DELETE:
                return self._delete_batch(module, rows, sync_key)
            answer = self._send(action, module, rows, [sync_key] if sync_key else [], trigger)
            return [RowResult.from_zoho(entry) for entry in (answer or {}).get("data") or []]

        return send

    def _delete_batch(
        self, module: str, rows: list[dict[str, Any]], sync_key: str
    ) -> list[RowResult]:
        """Delete by id, or by the sync key's value (the id found by COQL first)."""
        keyless = [str(row[sync_key]) for row in rows if not row.get("id")]
        found = self.find_ids(module, sync_key, keyless) if keyless else {}
        ids: list[str | RowResult] = []
        for row in rows:
            matches = [row["id"]] if row.get("id") else found[str(row[sync_key]).casefold()]
            if len(matches) == 1:
                ids.append(str(matches[0]))
                continue
            code = "NOT_FOUND" if not matches else "DUPLICATE_DATA"
            which = "no" if not matches else f"{len(matches)}"
            message = f"{code}: {which} {module} records have {sync_key} = {row[sync_key]!r}"
            ids.append(RowResult(False, message, code, {"field": sync_key}))
        known = [{"id": record_id} for record_id in ids if isinstance(record_id, str)]
        answer = self._send(Action.DELETE, module, known) if known else {}
        outcome = iter(_gone(entry) for entry in (answer or {}).get("data") or [])
        return [next(outcome) if isinstance(record_id, str) else record_id for record_id in ids]

    def _retrieve_batch(self, module: str, rows: list[dict[str, Any]]) -> list[RowResult]:
        ids = [str(row["id"]) for row in rows]
        fields = self._field_names(module, None)
        read = PageRead(module=module, fields=fields)
        found = {record["id"]: record for record in rest.records_by_ids(self.request, read, ids)}
        return [
            RowResult(True, json.dumps(found[record_id], ensure_ascii=False, sort_keys=True))
            if record_id in found
            else RowResult(False, f"NOT_FOUND: no {module} record has the id {record_id}")
            for record_id in ids
        ]


def _gone(entry: Mapping[str, Any]) -> RowResult:
    """A delete's result; a record already deleted is a success (a rerun deletes it again).

    Zoho answers INVALID_DATA "record not deleted" for an id it no longer holds; its SDK also
    knows ID_ALREADY_DELETED.
    """
    result = RowResult.from_zoho(entry)
    if result.code == "ID_ALREADY_DELETED" or (
        result.code == "INVALID_DATA" and "record not deleted" in result.message
    ):
        return RowResult(True, f"ALREADY_DELETED: {result.message}", "ALREADY_DELETED")
    return result
