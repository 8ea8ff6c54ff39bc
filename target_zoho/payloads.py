"""A Singer record as the write body Zoho takes.

Only what a write may set goes: read-only and system fields (``$`` keys, Created_Time,
Modified_By, formulas, autonumbers, Desk's computed keys) are left out; dates and datetimes
go in Zoho's formats; lookups as ``{"id"}``; multi-select values as arrays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from target_zoho.bad_input import shown
from zoho_connector import fields as zoho_fields
from zoho_connector.formats import crm_date, crm_datetime, desk_datetime
from zoho_connector.load import to_wire

#: Keys of subform rows that Zoho sets itself (zoho-crm-api.md §3.1).
_ROW_SYSTEM_KEYS = frozenset(
    {"Parent_Id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"}
)


class PayloadError(ValueError):
    """A record that cannot be written: names the field at fault.

    Args:
        field: The field.
        message: What is wrong with it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class CrmPayloads:
    """Builds CRM write bodies for one module from its field metadata.

    Args:
        module: The module's API name.
        fields: Its ``settings/fields``.
        renames: Stream property → Zoho field.
    """

    def __init__(
        self, module: str, fields: list[dict[str, Any]], renames: Mapping[str, str]
    ) -> None:
        self.module = module
        self.fields = {field["api_name"]: field for field in fields}
        self.renames = renames

    def build(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The write body of a record (``id`` kept; the writer decides whether it goes).

        Raises:
            PayloadError: A key that is no field of the module, or a value unfit for its field.
        """
        payload: dict[str, Any] = {}
        for key, value in record.items():
            if key.startswith(("_sdc_", "$")):
                continue
            name = self.renames.get(key, key)
            if name == "id":
                payload["id"] = None if value is None else str(value)
                continue
            field = self.fields.get(name)
            if field is None:
                raise PayloadError(name, f"is no field of {self.module}")
            if zoho_fields.writable(field):
                payload[name] = _crm_value(field, value)
        return payload


def _crm_value(field: Mapping[str, Any], value: Any) -> Any:
    kind = zoho_fields.kind(field)
    if value is None:
        return None
    try:
        if kind == zoho_fields.LOOKUP:
            reference = value.get("id") if isinstance(value, Mapping) else value
            return None if reference in (None, "") else {"id": str(reference)}
        if kind == zoho_fields.OBJECT_ARRAY:
            return [_row(row) for row in value]
        if kind == zoho_fields.DATE:
            return crm_date(value)
        if kind == zoho_fields.DATETIME:
            return crm_datetime(value)
        if kind == zoho_fields.BIGINT:
            return str(value)
    except (TypeError, ValueError, AttributeError) as error:
        message = f"{shown(repr(value))} is not a {kind}: {shown(str(error))}"
        raise PayloadError(str(field["api_name"]), message) from None
    return to_wire(value)


def _row(row: Any) -> Any:
    """A subform or multi-select lookup row, without what Zoho sets itself."""
    if not isinstance(row, Mapping):
        return row
    clean = {}
    for key, value in row.items():
        if key.startswith("$") or key in _ROW_SYSTEM_KEYS:
            continue
        is_lookup = isinstance(value, Mapping) and "id" in value
        clean[key] = {"id": value["id"]} if is_lookup else to_wire(value)
    return clean


class DeskPayloads:
    """Builds Desk write bodies for one module from Desk's field metadata.

    Desk refuses keys it computes or does not know (422); those a record brings from Desk
    itself (``webUrl``, counters...) are left out, and named once in the log by the sink.

    Args:
        module: The Desk module.
        fields: Its ``/fields`` metadata.
        renames: Stream property → Desk field.
    """

    def __init__(
        self, module: str, fields: list[dict[str, Any]], renames: Mapping[str, str]
    ) -> None:
        self.module = module
        writable = [field for field in fields if not field.get("isComputed")]
        self.standard = {f["apiName"]: f for f in writable if not f.get("isCustomField")}
        self.custom = {f["apiName"]: f for f in writable if f.get("isCustomField")}
        self.renames = renames
        self.left_out: set[str] = set()

    def build(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The write body of a record (``id`` kept; the writer decides whether it goes)."""
        payload: dict[str, Any] = {}
        for key, value in record.items():
            if key.startswith("_sdc_"):
                continue
            name = self.renames.get(key, key)
            if name == "id":
                payload["id"] = None if value is None else str(value)
            elif name == "cf" and isinstance(value, Mapping):
                payload["cf"] = {
                    cf: _desk_text(cf_value) for cf, cf_value in value.items() if cf in self.custom
                }
            elif name in self.standard:
                payload[name] = _desk_standard(self.standard[name], value)
            elif name in self.custom:
                payload.setdefault("cf", {})[name] = _desk_text(value)
            else:
                self.left_out.add(name)
        return payload


def _desk_standard(field: Mapping[str, Any], value: Any) -> Any:
    """A standard field's value as Desk takes it: a string, but for lookups and objects.

    Numbers too travel as strings (a call's ``duration``; zoho-desk-api.md §2).
    """
    if value is None or isinstance(value, Mapping | list) or field.get("type") == "LookUp":
        return _desk_value(value)
    return _desk_text(value)


def _desk_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return desk_datetime(value)
    return to_wire(value)


def _desk_text(value: Any) -> str | None:
    """Desk takes custom-field values as strings (zoho-desk-api.md §4.1)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return desk_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
