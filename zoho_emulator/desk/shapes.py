"""Records as Desk sends them: full records (single GET, writes), list rows and search rows.

Stored keys come from the seed or from writes; the keys derived from them (``statusType``,
``customFields``, ``webUrl``, ...) are computed here, on every read, for both.
"""

from __future__ import annotations

from typing import Any

from zoho_emulator import timefmt
from zoho_emulator.desk import catalog, directory
from zoho_emulator.desk.catalog import TICKETS, Module

#: Keys a search row adds to a list row: search is the incremental path (public clients read
#: modifiedTime from search rows; Zoho's OpenAPI files leave it out of list rows).
SEARCH_EXTRA_KEYS = ("modifiedTime", "cf")


def full(module: Module, stored: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """The full record: stored keys plus derived ones."""
    record = dict(stored)
    if module is TICKETS:
        status = stored["status"]
        status_type = catalog.TICKET_STATUSES.get(status, "Open")
        due = stored["dueDate"]
        record["statusType"] = status_type
        record["isEscalated"] = status == "Escalated"
        record["isOverDue"] = (
            due is not None
            and status_type != "Closed"
            and timefmt.parse_desk_datetime(due) < now_ms
        )
        record["layoutDetails"] = {
            "id": stored["layoutId"],
            "layoutName": directory.layout_name(stored["layoutId"]),
        }
    if "cf" in stored:
        cf = stored["cf"]
        record["customFields"] = {
            field.label: cf.get(field.api_name) for field in module.custom_fields
        }
    record["webUrl"] = catalog.web_url(directory.PORTAL, module, stored["id"])
    return record


def list_row(module: Module, record: dict[str, Any]) -> dict[str, Any]:
    """A row of the module's list endpoint (tickets, contacts, accounts are reduced)."""
    if module.list_keys is None:
        return record
    return {key: record.get(key) for key in module.list_keys}


def search_row(module: Module, record: dict[str, Any]) -> dict[str, Any]:
    """A row of the module's search endpoint: a list row plus ``modifiedTime`` and ``cf``."""
    row = list_row(module, record)
    for key in SEARCH_EXTRA_KEYS:
        if key in record:
            row[key] = record[key]
    return row
