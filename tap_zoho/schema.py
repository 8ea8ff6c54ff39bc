"""JSON Schema of a CRM module, built from Zoho's field metadata (zoho-crm-api.md §3.1, §4.2).

Precise where Zoho is: bigint ids as strings, currency and double as numbers, dates and
datetimes with their formats, lookups as objects, multi-select picklists as arrays of strings,
subforms and other collections as arrays of objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_connector import fields as zoho_fields
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

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


def property_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one field."""
    return dict(_SCHEMAS[zoho_fields.kind(field)])


def module_schema(fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON Schema of a module's records: ``id``, every field, ``_sdc_deleted_at``."""
    properties: dict[str, Any] = {"id": {"type": ["string"]}}
    for field in fields:
        name = str(field["api_name"])
        if name != "id":
            properties[name] = property_schema(field)
    properties[DELETED_AT] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "object", "properties": properties}
