"""JSON Schema of a CRM module's stream: its fields' schemas, ``id`` and ``_sdc_deleted_at``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_connector import crm_types
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def module_schema(fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON Schema of a module's records: ``id``, every field, ``_sdc_deleted_at``."""
    properties: dict[str, Any] = {"id": {"type": ["string"]}}
    for field in fields:
        name = str(field["api_name"])
        if name != "id":
            properties[name] = crm_types.schema(field)
    properties[DELETED_AT] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "object", "properties": properties}
