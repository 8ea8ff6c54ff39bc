"""Catalog entries of CRM modules (from settings/modules and settings/fields) and Desk modules.

One stream per module Zoho lets the API read (standard and custom), named
``crm_<module API name in lower case>``. A module Zoho cannot serve is left out with the reason
logged. Subforms and multi-select lookups are in the schema but not selected by default: Zoho
returns them one record at a time, a call per record
(https://www.zoho.com/crm/developer/docs/api/v8/get-records.html).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from singer_sdk import singerlib

from tap_zoho import desk_schema
from tap_zoho.field_metadata import with_facts
from tap_zoho.schema import module_schema
from zoho_connector.desk import SEARCHABLE
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.fields import essentials, in_lists

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from zoho_connector.crm import ZohoCRM
    from zoho_connector.desk import ZohoDesk

_log = logging.getLogger("tap_zoho")
MODIFIED_TIME = "Modified_Time"
DESK_MODIFIED_TIME = "modifiedTime"


def stream_name(module: str) -> str:
    """The stream of a module: ``crm_`` and the API name in lower case."""
    return f"crm_{module.lower()}"


def module_of(entry: Mapping[str, Any]) -> str:
    """The Zoho module a catalog entry reads: CRM's its ``schema-name``, Desk's in its name.

    Raises:
        ZohoInputError: The entry names no module, or its stream is not the module's (a
            stream renamed in the catalog would read a module under another's name).
    """
    stream = str(entry.get("tap_stream_id"))
    roots = [item for item in entry.get("metadata", []) if not item.get("breadcrumb")]
    named = roots[0].get("metadata", {}).get("schema-name") if roots else None
    if stream.startswith("desk_"):
        module = str(named or stream.removeprefix("desk_"))
        if module not in SEARCHABLE:
            streams = ", ".join(f"desk_{name}" for name in SEARCHABLE)
            msg = f"catalog stream {stream!r} names no Desk module (Desk's streams: {streams})"
            raise ZohoInputError(msg)
        own = f"desk_{module}"
    else:
        module = str(named or entry.get("table_name") or "")
        if not module:
            msg = (
                f"catalog stream {stream!r} names no Zoho module (no schema-name in its "
                "metadata): take the catalog from --discover"
            )
            raise ZohoInputError(msg)
        own = stream_name(module)
    if stream != own:
        msg = (
            f"catalog stream {stream!r} names module {module} (schema-name), whose stream is "
            f"{own!r}: keep the stream names --discover gives (rename streams with stream_maps)"
        )
        raise ZohoInputError(msg)
    return module


def crm_entries(crm: ZohoCRM, include: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Catalog entries of the readable modules (all, or those ``include`` names).

    Raises:
        ZohoInputError: ``include`` names a module the org does not have.
    """
    modules = {module["api_name"].lower(): module for module in crm.modules()}
    wanted = [name.lower() for name in include or []]
    unknown = [name for name in wanted if name not in modules]
    if unknown:
        known = ", ".join(sorted(m["api_name"] for m in modules.values() if m.get("api_supported")))
        msg = f"crm_modules names unknown module(s) {', '.join(unknown)}; the org has: {known}"
        raise ZohoInputError(msg)
    entries = []
    for key, module in modules.items():
        if wanted and key not in wanted:
            continue
        name = module["api_name"]
        if not module.get("api_supported", False):
            _log.info("CRM module %s left out: Zoho's API does not serve it", name)
            continue
        try:
            fields = crm.fields(name)
        except ZohoError as error:
            _log.warning("CRM module %s left out: its field metadata failed: %s", name, error)
            continue
        entries.append(module_entry(name, fields))
    return entries


def module_entry(module: str, fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The catalog entry of one CRM module."""
    schema = module_schema(fields)
    replication_key = MODIFIED_TIME if MODIFIED_TIME in schema["properties"] else None
    metadata = _metadata(schema, replication_key, module)
    for field in fields:
        breadcrumb = ("properties", str(field["api_name"]))
        if breadcrumb not in metadata or field["api_name"] == "id":
            continue
        if not in_lists(field):
            metadata[breadcrumb].selected_by_default = False
        metadata[breadcrumb] = with_facts(metadata[breadcrumb], essentials(field))
    return _entry(stream_name(module), schema, metadata, replication_key)


def desk_entries(desk: ZohoDesk) -> list[dict[str, Any]]:
    """Catalog entries of Desk's searchable modules, their schemas from Desk's field metadata."""
    entries = []
    for module in SEARCHABLE:
        schema = desk_schema.module_schema(module, desk.fields(module))
        metadata = _metadata(schema, DESK_MODIFIED_TIME, module)
        entries.append(_entry(f"desk_{module}", schema, metadata, DESK_MODIFIED_TIME))
    return entries


def _metadata(
    schema: dict[str, Any], replication_key: str | None, module: str
) -> singerlib.MetadataMapping:
    return singerlib.MetadataMapping.get_standard_metadata(
        schema=schema,
        key_properties=["id"],
        valid_replication_keys=[replication_key] if replication_key else None,
        replication_method="INCREMENTAL" if replication_key else "FULL_TABLE",
        schema_name=module,
    )


def _entry(
    name: str,
    schema: dict[str, Any],
    metadata: singerlib.MetadataMapping,
    replication_key: str | None,
) -> dict[str, Any]:
    return {
        "tap_stream_id": name,
        "stream": name,
        "schema": schema,
        "metadata": metadata.to_list(),
        "key_properties": ["id"],
        "replication_key": replication_key,
        "replication_method": "INCREMENTAL" if replication_key else "FULL_TABLE",
    }
