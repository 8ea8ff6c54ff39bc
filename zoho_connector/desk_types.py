"""What a Desk field's type is in JSON Schema and on the wire, read and written.

Desk's field metadata types a field ``Number``, ``Decimal``, ``Boolean``, ``DateTime``...; its
records carry ids, counters and custom-field values as strings, and its writes take strings
for all but lookups and objects (https://desk.zoho.com/DeskAPIDocument, Fields and the
records' sections; Zoho's OpenAPI files, https://github.com/zoho/zohodesk-oas).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from zoho_connector.formats import desk_datetime
from zoho_connector.wire import to_wire

STRING: dict[str, Any] = {"type": ["string", "null"]}
DATETIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
BOOLEAN: dict[str, Any] = {"type": ["boolean", "null"]}
OBJECT: dict[str, Any] = {"type": ["object", "null"], "additionalProperties": True}
STRINGS: dict[str, Any] = {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
OBJECTS: dict[str, Any] = {"type": ["array", "null"], "items": OBJECT}

#: Desk metadata types and their JSON Schemas; any other type holds text.
_BY_TYPE: dict[str, dict[str, Any]] = {
    "Number": {"type": ["integer", "null"]},
    "Decimal": {"type": ["number", "null"]},
    "Percent": {"type": ["number", "null"]},
    "Currency": {"type": ["number", "null"]},
    "Boolean": BOOLEAN,
    "Date": {"type": ["string", "null"], "format": "date"},
    "DateTime": DATETIME,
}


def schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a field's values, by its metadata ``type``."""
    return dict(_BY_TYPE.get(str(field.get("type")), STRING))


def from_wire(value: Any, schema: Mapping[str, Any]) -> Any:
    """A Desk value in its schema's type (Desk sends numbers and booleans as strings).

    Raises:
        ValueError: The value is not of that type.
    """
    if value is None or value == "":
        return None
    types = schema.get("type", [])
    if "integer" in types:
        return int(value)
    if "number" in types:
        return float(value)
    if "boolean" in types:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("true", "false"):
            msg = f"not a boolean: {value!r}"
            raise ValueError(msg)
        return text == "true"
    if "string" in types and not isinstance(value, str):
        return str(value)
    return value


def project(row: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A record's schema properties in their types; nested objects with properties too.

    Raises:
        ValueError: A value does not fit its type (names the record's id and the field).
    """
    properties = schema["properties"]
    record: dict[str, Any] = {}
    for name, value in row.items():
        prop = properties.get(name)
        if prop is None:
            continue
        if isinstance(value, Mapping) and "properties" in prop:
            record[name] = project(value, prop)
            continue
        try:
            record[name] = from_wire(value, prop)
        except ValueError as error:
            msg = f"record {row.get('id')}: field {name} = {value!r}: {error}"
            raise ValueError(msg) from None
    return record


def wire_value(field: Mapping[str, Any], value: Any) -> Any:
    """A standard field's value as a write takes it: a string, but for lookups and objects.

    Numbers too travel as strings (a call's ``duration``).
    """
    if value is None or isinstance(value, Mapping | list) or field.get("type") == "LookUp":
        return to_wire(value, desk_datetime)
    return custom_wire_value(value)


def custom_wire_value(value: Any) -> str | None:
    """A custom field's value as a write takes it: a string, whatever its type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return desk_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
