"""What a CRM field's type is in JSON Schema and on the wire, read and written.

A field's value kind comes from its metadata (:func:`zoho_connector.fields.kind`); here each
kind has its JSON Schema, its reading from a Bulk Read cell and its writing in a record.
Precise where Zoho is: bigint ids as strings, currency and double as numbers, dates and
datetimes with their formats, lookups as objects (written as ``{"id"}``), multi-select
picklists as arrays of strings, subforms and other collections as arrays of objects
(https://www.zoho.com/crm/developer/docs/api/v7/field-meta.html,
https://www.zoho.com/crm/developer/docs/api/v7/insert-records.html).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from zoho_connector import fields as zoho_fields
from zoho_connector.errors import shown
from zoho_connector.formats import crm_date, crm_datetime
from zoho_connector.wire import to_wire

#: The format a search condition's values take (``conditions.FORMATS``), by the field's
#: ``data_type``; text otherwise.
_CONDITION_FORMATS = {
    **dict.fromkeys(("integer", "bigint", "double", "currency", "percent", "decimal"), "number"),
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


def condition_format(field: Mapping[str, Any]) -> str:
    """How a search condition on the field writes its values: ``number``, ``date``..."""
    return _CONDITION_FORMATS.get(str(field.get("data_type", "")), "text")


_LOOKUP = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}
_SCHEMAS: dict[str, dict[str, Any]] = {
    zoho_fields.TEXT: {"type": ["string", "null"]},
    zoho_fields.BIGINT: {"type": ["string", "null"]},
    zoho_fields.INTEGER: {"type": ["integer", "null"]},
    zoho_fields.NUMBER: {"type": ["number", "null"]},
    zoho_fields.BOOLEAN: {"type": ["boolean", "null"]},
    zoho_fields.DATE: {"type": ["string", "null"], "format": "date"},
    zoho_fields.DATETIME: {"type": ["string", "null"], "format": "date-time"},
    zoho_fields.LOOKUP: _LOOKUP,
    zoho_fields.PICKLIST_ARRAY: {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
    zoho_fields.OBJECT_ARRAY: {
        "type": ["array", "null"],
        "items": {"type": ["object", "null"], "additionalProperties": True},
    },
    zoho_fields.ANY: {
        "type": ["string", "number", "integer", "boolean", "object", "array", "null"]
    },
}


def schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a field's values."""
    return dict(_SCHEMAS[zoho_fields.kind(field)])


#: How Bulk Read joins the options of a multi-select picklist in one cell (UNCONFIRMED:
#: Zoho's COQL writes such values ``'English;German'``).
MULTI_SELECT_SEPARATOR = ";"


def _text(value: str) -> str | None:
    return value or None


def _integer(value: str) -> int | None:
    return int(value) if value else None


def _number(value: str) -> float | None:
    return float(value) if value else None


def _boolean(value: str) -> bool | None:
    return {"true": True, "false": False}[value.lower()] if value else None


def _options(value: str) -> list[str]:
    return value.split(MULTI_SELECT_SEPARATOR) if value else []


_CELL_READERS: dict[str, Callable[[str], Any]] = {
    zoho_fields.INTEGER: _integer,
    zoho_fields.NUMBER: _number,
    zoho_fields.BOOLEAN: _boolean,
    zoho_fields.PICKLIST_ARRAY: _options,
}


def cell_reader(field: Mapping[str, Any]) -> Callable[[str], Any]:
    """How a Bulk Read cell of the field becomes the value Get Records gives.

    Bulk Read exports every value as text: numbers, booleans and multi-select picklists are
    typed, empty cells are null, lookups stay ids for the reader to complete
    (https://www.zoho.com/crm/developer/docs/api/v7/bulk-read/download-result.html). The
    reader raises ``ValueError`` or ``KeyError`` for a cell its field cannot hold.
    """
    value_kind = zoho_fields.kind(field) if field else zoho_fields.TEXT
    return _CELL_READERS.get(value_kind, _text)


#: Keys of subform rows that Zoho sets itself (a row's ``Layout`` is its parent's).
_ROW_SYSTEM_KEYS = frozenset(
    {"Parent_Id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Layout"}
)
#: Keys of multi-select lookup rows that Zoho sets itself: the linking row's.
_LINK_SYSTEM_KEYS = _ROW_SYSTEM_KEYS | {"id"}


def wire_value(field: Mapping[str, Any], value: Any) -> Any:
    """A value as a write of the field takes it.

    Lookups go as ``{"id"}``, subform rows without what Zoho sets itself (a multi-select
    lookup's rows without their linking rows' ids too), dates and datetimes
    in CRM's formats, bigints as strings.

    Raises:
        ValueError: The value does not fit the field's kind (says which kind).
    """
    kind = zoho_fields.kind(field)
    if value is None:
        return None
    try:
        if kind == zoho_fields.LOOKUP:
            reference = value.get("id") if isinstance(value, Mapping) else value
            return None if reference in (None, "") else {"id": str(reference)}
        if kind == zoho_fields.OBJECT_ARRAY:
            # A linking row's id only names a link to remove (``_delete``): a link is its record.
            system = _LINK_SYSTEM_KEYS if field.get("data_type") == "multiselectlookup" else None
            return [_row(row, system or _ROW_SYSTEM_KEYS) for row in value]
        if kind == zoho_fields.DATE:
            return crm_date(value)
        if kind == zoho_fields.DATETIME:
            return crm_datetime(value)
        if kind == zoho_fields.BIGINT:
            return str(value)
    except (TypeError, ValueError, AttributeError) as error:
        msg = f"{shown(repr(value))} is not a {kind}: {shown(str(error))}"
        raise ValueError(msg) from None
    return to_wire(value)


def _row(row: Any, system: frozenset[str]) -> Any:
    """A subform or multi-select lookup row, without what Zoho sets itself (``system``)."""
    if not isinstance(row, Mapping):
        return row
    clean = {}
    for key, value in row.items():
        if key.startswith("$") or key in system:
            continue
        is_lookup = isinstance(value, Mapping) and "id" in value
        clean[key] = {"id": value["id"]} if is_lookup else to_wire(value)
    return clean
