"""JSON Schemas of Desk streams, and how Desk's values are cast to them.

A searchable module's schema is its system keys (zoho-desk-api.md §4) plus the fields Desk's
metadata lists (§6), custom ``cf_`` fields included.

Desk sends ids, counters and custom-field values as strings (§4.1, §10.8): values of a
field typed Number, Decimal, Percent, Currency or Boolean are cast by its metadata type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_STRING: dict[str, Any] = {"type": ["string", "null"]}
_DATETIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_BOOLEAN: dict[str, Any] = {"type": ["boolean", "null"]}
_OBJECT: dict[str, Any] = {"type": ["object", "null"], "additionalProperties": True}
_STRINGS: dict[str, Any] = {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
_OBJECTS: dict[str, Any] = {"type": ["array", "null"], "items": _OBJECT}

#: Desk metadata types and their JSON Schemas (§6).
_BY_TYPE: dict[str, dict[str, Any]] = {
    "Number": {"type": ["integer", "null"]},
    "Decimal": {"type": ["number", "null"]},
    "Percent": {"type": ["number", "null"]},
    "Currency": {"type": ["number", "null"]},
    "Boolean": _BOOLEAN,
    "Date": {"type": ["string", "null"], "format": "date"},
    "DateTime": _DATETIME,
}

_ACTIVITY_KEYS: dict[str, dict[str, Any]] = {
    "id": _STRING,
    "creatorId": _STRING,
    "completedTime": _DATETIME,
    "isSpam": _BOOLEAN,
    "modifiedBy": _OBJECT,
    "customFields": _OBJECT,
    "webUrl": _STRING,
}
#: Keys records carry that Desk's field metadata does not list, per stream.
SYSTEM_KEYS: dict[str, dict[str, dict[str, Any]]] = {
    "tickets": {
        "id": _STRING,
        "ticketNumber": _STRING,
        "customerResponseTime": _DATETIME,
        "statusType": _STRING,
        "channelCode": _STRING,
        "layoutId": _STRING,
        "responseDueDate": _DATETIME,
        "onholdTime": _DATETIME,
        "closedTime": _DATETIME,
        "lockedTime": _DATETIME,
        "threadCount": _STRING,
        "commentCount": _STRING,
        "lastThread": _OBJECT,
        "source": _OBJECT,
        "sentiment": _STRING,
        "relationshipType": _STRING,
        "isArchived": _BOOLEAN,
        "isSpam": _BOOLEAN,
        "webUrl": _STRING,
    },
    "contacts": {
        "id": _STRING,
        "photoURL": _STRING,
        "isAnonymous": _BOOLEAN,
        "isEndUser": _BOOLEAN,
        "isSpam": _BOOLEAN,
        "zohoCRMContact": _OBJECT,
        "customerHappiness": _OBJECT,
        "webUrl": _STRING,
    },
    "accounts": {
        "id": _STRING,
        "zohoCRMAccount": _OBJECT,
        "customerHappiness": _OBJECT,
        "webUrl": _STRING,
    },
    "tasks": _ACTIVITY_KEYS,
    "calls": _ACTIVITY_KEYS,
    "events": _ACTIVITY_KEYS,
}


def field_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one Desk field, by its metadata ``type``."""
    return dict(_BY_TYPE.get(str(field.get("type")), _STRING))


#: Keys every record carries, whether or not the field metadata lists them (§4, §6): the
#: stream's replication key among them.
_RECORD_KEYS: dict[str, dict[str, Any]] = {"createdTime": _DATETIME, "modifiedTime": _DATETIME}
#: The lookups' ids records carry, per stream (§4.1-§4.3, §4.6).
_LOOKUP_IDS: dict[str, str] = {
    "tickets": "departmentId contactId accountId assigneeId teamId productId",
    "contacts": "accountId ownerId",
    "accounts": "ownerId",
    "tasks": "departmentId ticketId contactId ownerId",
    "calls": "departmentId ticketId contactId ownerId",
    "events": "departmentId ticketId contactId ownerId",
}


def module_schema(module: str, fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A searchable module's schema: system keys, listed fields, and ``cf`` by its fields.

    The keys Desk always returns are in it whatever ``GET /fields`` lists (Zoho does not
    say whether that list names system fields); a listed field's own type wins.
    """
    properties: dict[str, Any] = {
        **_RECORD_KEYS,
        **_all(_STRING, _LOOKUP_IDS[module]),
        **SYSTEM_KEYS[module],
    }
    custom: dict[str, Any] = {}
    for field in fields:
        name = str(field["apiName"])
        (custom if field.get("isCustomField") else properties)[name] = field_schema(field)
    properties["cf"] = {"type": ["object", "null"], "properties": custom}
    return {"type": "object", "properties": properties}


def cast(value: Any, schema: Mapping[str, Any]) -> Any:
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


def _all(schema: dict[str, Any], names: str) -> dict[str, dict[str, Any]]:
    return dict.fromkeys(names.split(), schema)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


#: Schemas of the Desk streams that have no field metadata (§4.4, §4.5, §4.7, §4.8).
STATIC_SCHEMAS: dict[str, dict[str, Any]] = {
    "agents": _object(
        {
            **_all(_STRING, "id firstName lastName name emailId phone mobile extn zuid roleId"),
            **_all(_STRING, "profileId rolePermissionType status langCode countryCode timeZone"),
            **_all(_STRING, "photoURL aboutInfo"),
            "isConfirmed": _BOOLEAN,
            **_all(_STRINGS, "channelExpert associatedDepartmentIds associatedChatDepartmentIds"),
        }
    ),
    "departments": _object(
        {
            **_all(_STRING, "id name nameInCustomerPortal description chatStatus creatorId"),
            **_all(_BOOLEAN, "isDefault isEnabled isVisibleInCustomerPortal hasLogo"),
            "isAssignToTeamEnabled": _BOOLEAN,
            "createdTime": _DATETIME,
        }
    ),
    "ticket_threads": _object(
        {
            **_all(_STRING, "ticket_id id channel status direction visibility fromEmailAddress"),
            **_all(_STRING, "to cc bcc summary contentType attachmentCount"),
            **_all(_BOOLEAN, "isDescriptionThread isForward canReply hasAttach"),
            "author": _OBJECT,
            **_all(_DATETIME, "createdTime sendDateTime"),
        }
    ),
    "ticket_comments": _object(
        {
            **_all(_STRING, "ticket_id id content contentType commenterId"),
            "isPublic": _BOOLEAN,
            **_all(_DATETIME, "commentedTime modifiedTime"),
            "commenter": _OBJECT,
            **_all(_OBJECTS, "attachments mention"),
        }
    ),
}
