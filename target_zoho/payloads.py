"""A Singer record as the write body Zoho takes.

Only what a write may set goes: read-only and system fields (``$`` keys, Created_Time,
Modified_By, formulas, autonumbers, Desk's computed keys) are left out, and stream properties
are renamed to fields; each value goes as its field's type is written
(``zoho_connector.crm_types``, ``zoho_connector.desk_types``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zoho_connector import crm_types, desk_types
from zoho_connector import fields as zoho_fields


class PayloadError(ValueError):
    """A record that cannot be written: names the field at fault.

    Args:
        field: The field.
        message: What is wrong with it.
        code: What the record's reject says went wrong.
    """

    def __init__(self, field: str, message: str, code: str = "INVALID_INPUT") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code


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
        #: Keys left out of the bodies (none: a key that is no field is refused).
        self.left_out: set[str] = set()

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
                try:
                    payload[name] = crm_types.wire_value(field, value)
                except ValueError as error:
                    raise PayloadError(name, str(error)) from None
        return payload


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
                    cf: desk_types.custom_wire_value(cf_value)
                    for cf, cf_value in value.items()
                    if cf in self.custom
                }
            elif name in self.standard:
                payload[name] = desk_types.wire_value(self.standard[name], value)
            elif name in self.custom:
                payload.setdefault("cf", {})[name] = desk_types.custom_wire_value(value)
            else:
                self.left_out.add(name)
        return payload
