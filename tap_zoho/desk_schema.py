"""JSON Schemas of Desk streams.

A searchable module's schema is its system keys (the keys its records carry, documented with
each record in https://desk.zoho.com/DeskAPIDocument) plus the fields Desk's metadata lists,
custom ``cf_`` fields included, each typed by ``zoho_connector.desk_types``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_connector import desk_types
from zoho_connector.desk_types import BOOLEAN, DATETIME, OBJECT, OBJECTS, STRING, STRINGS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_ACTIVITY_KEYS: dict[str, dict[str, Any]] = {
    "id": STRING,
    "creatorId": STRING,
    "completedTime": DATETIME,
    "isSpam": BOOLEAN,
    "modifiedBy": OBJECT,
    "customFields": OBJECT,
    "webUrl": STRING,
}
#: Keys records carry that Desk's field metadata does not list, per stream.
SYSTEM_KEYS: dict[str, dict[str, dict[str, Any]]] = {
    "tickets": {
        "id": STRING,
        "ticketNumber": STRING,
        "customerResponseTime": DATETIME,
        "statusType": STRING,
        "channelCode": STRING,
        "layoutId": STRING,
        "responseDueDate": DATETIME,
        "onholdTime": DATETIME,
        "closedTime": DATETIME,
        "lockedTime": DATETIME,
        "threadCount": STRING,
        "commentCount": STRING,
        "lastThread": OBJECT,
        "source": OBJECT,
        "sentiment": STRING,
        "relationshipType": STRING,
        "isArchived": BOOLEAN,
        "isSpam": BOOLEAN,
        "webUrl": STRING,
    },
    "contacts": {
        "id": STRING,
        "photoURL": STRING,
        "isAnonymous": BOOLEAN,
        "isEndUser": BOOLEAN,
        "isSpam": BOOLEAN,
        "zohoCRMContact": OBJECT,
        "customerHappiness": OBJECT,
        "webUrl": STRING,
    },
    "accounts": {
        "id": STRING,
        "zohoCRMAccount": OBJECT,
        "customerHappiness": OBJECT,
        "webUrl": STRING,
    },
    "tasks": _ACTIVITY_KEYS,
    "calls": _ACTIVITY_KEYS,
    "events": _ACTIVITY_KEYS,
}
#: Keys every record carries, whether or not the field metadata lists them: the stream's
#: replication key among them.
_RECORD_KEYS: dict[str, dict[str, Any]] = {"createdTime": DATETIME, "modifiedTime": DATETIME}
#: The lookups' ids records carry, per stream.
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
        **_all(STRING, _LOOKUP_IDS[module]),
        **SYSTEM_KEYS[module],
    }
    custom: dict[str, Any] = {}
    for field in fields:
        name = str(field["apiName"])
        (custom if field.get("isCustomField") else properties)[name] = desk_types.schema(field)
    properties["cf"] = {"type": ["object", "null"], "properties": custom}
    return {"type": "object", "properties": properties}


def _all(schema: dict[str, Any], names: str) -> dict[str, dict[str, Any]]:
    return dict.fromkeys(names.split(), schema)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


#: Schemas of the Desk streams that have no field metadata.
STATIC_SCHEMAS: dict[str, dict[str, Any]] = {
    "agents": _object(
        {
            **_all(STRING, "id firstName lastName name emailId phone mobile extn zuid roleId"),
            **_all(STRING, "profileId rolePermissionType status langCode countryCode timeZone"),
            **_all(STRING, "photoURL aboutInfo"),
            "isConfirmed": BOOLEAN,
            **_all(STRINGS, "channelExpert associatedDepartmentIds associatedChatDepartmentIds"),
        }
    ),
    "departments": _object(
        {
            **_all(STRING, "id name nameInCustomerPortal description chatStatus creatorId"),
            **_all(BOOLEAN, "isDefault isEnabled isVisibleInCustomerPortal hasLogo"),
            "isAssignToTeamEnabled": BOOLEAN,
            "createdTime": DATETIME,
        }
    ),
    "ticket_threads": _object(
        {
            **_all(STRING, "ticket_id id channel status direction visibility fromEmailAddress"),
            **_all(STRING, "to cc bcc summary contentType attachmentCount"),
            **_all(BOOLEAN, "isDescriptionThread isForward canReply hasAttach"),
            "author": OBJECT,
            **_all(DATETIME, "createdTime sendDateTime"),
        }
    ),
    "ticket_comments": _object(
        {
            **_all(STRING, "ticket_id id content contentType commenterId"),
            "isPublic": BOOLEAN,
            **_all(DATETIME, "commentedTime modifiedTime"),
            "commenter": OBJECT,
            **_all(OBJECTS, "attachments mention"),
        }
    ),
}
