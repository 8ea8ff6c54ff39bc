"""What a Bulk Write job does with each CSV row: its columns, its key, the REST writer's verdict.

Zoho's create-job page: https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/create-job.html;
the result columns: https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/download-result.html.
Rows are written one at a time by :class:`.writes.Writer`, so a row is valid exactly when the
same record sent to the REST API would be.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from zoho_emulator.crm import catalog

if TYPE_CHECKING:
    from collections.abc import Callable

    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.crm.writes import Writer

ADDED, UPDATED, SKIPPED = "ADDED", "UPDATED", "SKIPPED"
#: The ``find_by`` naming the record id.
ID = "id"


@dataclasses.dataclass(frozen=True)
class Column:
    """One mapped CSV column.

    Attributes:
        api_name: The field it fills (``id``: the record id, a key only).
        index: Its place in the row.
        field: The field, None for ``id``.
        parse: Text to the REST value (ValueError for text of the wrong shape).
        find_by: For a lookup: the target's field its text matches (None: the id).
        default: Used for an empty cell.
        format: The date pattern asked for.
    """

    api_name: str
    index: int
    field: Field | None
    parse: Callable[[str], Any]
    find_by: str | None = None
    default: str | None = None
    format: str | None = None

    def echo(self) -> dict[str, Any]:
        """The mapping as job details show it ."""
        return {
            "api_name": self.api_name,
            "index": self.index,
            "format": self.format,
            "find_by": self.find_by,
            "module": self.field.lookup if self.field and self.find_by else None,
            "parent_column_index": None,
            "default_value": None if self.default is None else {"value": self.default},
        }


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a job writes rows.

    Attributes:
        org: The CRM data written to.
        module: The module written to.
        operation: ``insert``, ``update`` or ``upsert``.
        columns: The mapped columns.
        find_by: ``id`` or the unique field matching rows to records; None for a plain insert.
        ignore_empty: Whether an empty cell leaves the field as it is (else it clears it).
    """

    org: CrmOrg
    module: Module
    operation: str
    columns: tuple[Column, ...]
    find_by: str | None
    ignore_empty: bool

    def apply(self, writer: Writer, row: list[str]) -> tuple[str, str, str]:
        """Write one row: its ``STATUS``, ``RECORD_ID`` and ``ERRORS``.

        Not documented by Zoho; we assume: a row that fails is SKIPPED with its errors
        (``CODE-field``, joined by ``:``), as the job's counts know only added, updated and
        skipped rows; an insert skips a row its ``find_by`` finds (DUPLICATE_DATA); an update
        skips a row it finds no record for (RESOURCE_NOT_FOUND, or MANDATORY_NOT_FOUND for an
        empty key).
        """
        record, errors = self._record(row)
        if errors:
            return SKIPPED, "", ":".join(errors)
        key = self._key(row)
        target = None if key is None else self._target(key)
        if self.operation == "insert" and target is not None:
            return SKIPPED, target, f"DUPLICATE_DATA-{self.find_by}"
        if self.operation == "update" and target is None:
            code = "MANDATORY_NOT_FOUND" if key is None else "RESOURCE_NOT_FOUND"
            return SKIPPED, "", f"{code}-{self.find_by}"
        if target is None:
            return _outcome(writer.insert([record])[0], ADDED)
        return _outcome(writer.update([record], target)[0], UPDATED)

    def _record(self, row: list[str]) -> tuple[dict[str, Any], list[str]]:
        record: dict[str, Any] = {}
        errors = []
        for column in self.columns:
            if column.field is None:
                continue
            text = row[column.index] if column.index < len(row) else ""
            if text == "" and column.default is not None:
                text = column.default
            if text == "":
                if not self.ignore_empty:
                    record[column.api_name] = None
                continue
            try:
                value = column.parse(text)
                if column.find_by is not None:
                    value = {"id": self._lookup(column, text)}
            except (ValueError, LookupError):
                errors.append(f"INVALID_DATA-{column.api_name}")
                continue
            record[column.api_name] = value
        return record, errors

    def _key(self, row: list[str]) -> str | None:
        if self.find_by is None:
            return None
        column = next(column for column in self.columns if column.api_name == self.find_by)
        text = row[column.index].strip() if column.index < len(row) else ""
        return text or None

    def _target(self, key: str) -> str | None:
        """The id of the record a key finds."""
        store = self.org.stores[self.module.api_name]
        if self.find_by == ID:
            parsed = catalog.parse_id(key)
            found = parsed is not None and parsed[0] == self.module.code and store.exists(parsed[1])
            return key if found else None
        assert self.find_by is not None
        matches = store.find(self.module.field_map[self.find_by], key)
        return catalog.record_id(self.module.code, matches[0]) if matches else None

    def _lookup(self, column: Column, text: str) -> str:
        """The id of the record a lookup cell names by its target's field.

        Raises:
            LookupError: No such record.
        """
        field = column.field
        assert field is not None
        assert field.lookup is not None
        assert column.find_by is not None
        store = self.org.stores[field.lookup]
        matches = store.find(store.module.field_map[column.find_by], text)
        if not matches:
            raise LookupError(text)
        return catalog.record_id(store.module.code, matches[0])


def _outcome(entry: dict[str, Any], status: str) -> tuple[str, str, str]:
    """A REST writer's result entry as a result row's columns."""
    details = entry["details"]
    if entry["status"] == "success":
        return status, str(details["id"]), ""
    name = details.get("api_name") or ID
    return SKIPPED, "", f"{entry['code']}-{name}"
