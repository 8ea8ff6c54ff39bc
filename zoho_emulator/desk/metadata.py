"""Field metadata as ``GET /fields`` and the legacy ``GET /organizationFields`` publish it.

Source: Zoho's OpenAPI files, ``v1.0/Field.json`` and ``v1.0/FieldOld.json`` of
https://github.com/zoho/zohodesk-oas.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt
from zoho_emulator.desk import catalog, directory

if TYPE_CHECKING:
    from zoho_emulator.desk.catalog import Field, Module

#: Keys of the legacy (deprecated) organizationFields answer.
_LEGACY_KEYS = (
    "id", "apiName", "displayLabel", "i18NLabel", "name", "type", "maxLength",
    "isMandatory", "isCustomField", "isEncryptedField", "allowedValues",
)  # fmt: skip
#: ``filter`` of ``GET /fields``: boolean attributes ANDed, e.g. ``isCustomField='false'``.
_CONDITION = re.compile(r"\s*(\w+)\s*=\s*'(true|false)'\s*")
_FILTERABLE = frozenset({"isCustomField", "isComputed", "isMandatory", "isEncryptedField"})
_SORTABLE_TYPES = frozenset(
    {"Text", "Date", "DateTime", "Number", "Percent", "Currency", "Picklist"}
)


def describe(module: Module, field: Field, number: int, created_ms: int) -> dict[str, Any]:
    """The metadata of one field (``commonFieldResponse``)."""
    custom = field.custom
    stamp = timefmt.desk_datetime(created_ms) if custom else None
    creator = directory.agent_id(directory.API_USER) if custom else None
    meta: dict[str, Any] = {
        "id": catalog.record_id(catalog.FIELD_CODE, module.code * 100 + number),
        "apiName": field.api_name,
        "displayLabel": field.label,
        "i18NLabel": field.label,
        "name": field.label if custom else field.api_name,
        "type": field.type,
        "maxLength": field.max_length,
        "isMandatory": field.mandatory,
        "isCustomField": custom,
        "isEncryptedField": False,
        "isTrackLastActivityTime": False,
        "isIndexed": field.api_name in ("subject", "email", "accountName", "lastName"),
        "isComputed": not field.writable,
        "isInternalState": False,
        "isBasic": field.mandatory,
        "isIdentifier": False,
        "isPresence": True,
        "isSortable": field.type in _SORTABLE_TYPES,
        "showToHelpCenter": False,
        "sourceType": "USERDEFINED" if custom else "SYSTEM",
        "toolTip": None,
        "toolTipType": None,
        "createdBy": creator,
        "modifiedBy": creator,
        "createdTime": stamp,
        "modifiedTime": stamp,
    }
    if field.type in ("Picklist", "Multiselect"):
        meta["subType"] = "Plain"
        meta["allowedValues"] = [_allowed(module, field, value) for value in field.values]
    if field.type == "LookUp":
        meta["lookup"] = {
            "module": {"apiName": field.lookup, "nameField": None, "id": None},
            "relatedListLabel": module.name.capitalize(),
            "onDelete": "SET_NULL",
        }
    return meta


def _allowed(module: Module, field: Field, value: str) -> dict[str, Any]:
    if module is catalog.TICKETS and field.api_name == "status":
        return {"value": value, "statusType": catalog.TICKET_STATUSES[value]}
    return {"value": value}


def fields(module: Module, created_ms: int, *, system_keys: bool = True) -> list[dict[str, Any]]:
    """Every field of a module, system ones first; without them unless ``system_keys``."""
    return [
        describe(module, field, n, created_ms)
        for n, field in enumerate(module.fields)
        if system_keys or not is_system(field)
    ]


def is_system(field: Field) -> bool:
    """A field Zoho may leave out of ``GET /fields``: record times, AutoNumber, lookup ids.

    Zoho's Fields API page (desk.zoho.com/DeskAPIDocument, "Fields") shows layout fields but
    does not say whether the keys every record carries are listed too.
    """
    return not field.custom and (not field.writable or field.type == "LookUp")


def legacy(meta: dict[str, Any]) -> dict[str, Any]:
    """A field as the legacy organizationFields API shows it."""
    return {key: meta[key] for key in _LEGACY_KEYS if key in meta}


def parse_filter(text: str) -> dict[str, bool] | None:
    """The conditions of a ``filter`` expression, or None when it is not one."""
    conditions: dict[str, bool] = {}
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = _CONDITION.fullmatch(part)
        if match is None or match.group(1) not in _FILTERABLE:
            return None
        conditions[match.group(1)] = match.group(2) == "true"
    return conditions
