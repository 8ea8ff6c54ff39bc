"""What ``include=`` adds to records: summaries of related records.

As the examples of Desk's API documentation and Zoho's OpenAPI files show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zoho_emulator.desk import catalog, directory
from zoho_emulator.desk.catalog import ACCOUNTS, CONTACTS, TICKETS

if TYPE_CHECKING:
    from zoho_emulator.desk.org import DeskOrg

#: An include: (org, record) -> (key added, value).
Include = Callable[["DeskOrg", dict[str, Any]], tuple[str, Any]]

TICKET_LIST = ("contacts", "products", "departments", "team", "assignee", "isRead")
TICKET_DETAIL = (*TICKET_LIST, "contract", "skills")
CONTACT = ("accounts",)
ACCOUNT = ("owner",)
ACTIVITY_LIST = {"tasks": ("contacts", "tickets", "assignee", "teams", "projects")}
ACTIVITY_LIST_DEFAULT = ("contacts", "tickets", "assignee", "teams")
AGENT_LIST = ("profile", "role")
AGENT_DETAIL = (*AGENT_LIST, "associatedDepartments", "associatedChatDepartments")


def activity_list(module: str) -> tuple[str, ...]:
    """Include values of an activity list."""
    return ACTIVITY_LIST.get(module, ACTIVITY_LIST_DEFAULT)


def activity_detail(module: str) -> tuple[str, ...]:
    """Include values of an activity's single GET (calls add live calls)."""
    extra = ("livecalls",) if module == "calls" else ()
    return (*activity_list(module), "creator", *extra)


def apply(org: DeskOrg, record: dict[str, Any], names: tuple[str, ...] | None) -> dict[str, Any]:
    """The record with the included objects added."""
    for name in names or ():
        key, value = _INCLUDES[name](org, record)
        record[key] = value
    return record


def _agent(org: DeskOrg, agent_id: Any) -> dict[str, Any] | None:
    agent = org.agent(agent_id)
    if agent is None:
        return None
    keys = ("id", "firstName", "lastName", "photoURL")
    return {**{key: agent[key] for key in keys}, "email": agent["emailId"]}


def _account(org: DeskOrg, account_id: Any) -> dict[str, Any] | None:
    store = org.store(ACCOUNTS)
    index = store.find(account_id)
    if index is None:
        return None
    return {key: store.value(index, key) for key in ("id", "accountName", "website")}


def _contact(org: DeskOrg, contact_id: Any) -> dict[str, Any] | None:
    store = org.store(CONTACTS)
    index = store.find(contact_id)
    if index is None:
        return None
    keys = ("id", "firstName", "lastName", "email", "phone", "mobile", "type", "photoURL")
    summary = {key: store.value(index, key) for key in keys}
    summary["account"] = _account(org, store.value(index, "accountId"))
    return summary


def _ticket(org: DeskOrg, ticket_id: Any) -> dict[str, Any] | None:
    store = org.store(TICKETS)
    index = store.find(ticket_id)
    if index is None:
        return None
    return {key: store.value(index, key) for key in ("id", "ticketNumber", "subject")}


def _department(org: DeskOrg, department_id: Any) -> dict[str, Any] | None:
    department = org.department(department_id)
    return None if department is None else {"id": department["id"], "name": department["name"]}


def _named(kind: tuple[str, ...], code: int, key: str) -> Include:
    def include(_: DeskOrg, record: dict[str, Any]) -> tuple[str, Any]:
        number = catalog.parse_id(record[f"{key}Id"], code) or 0
        return key, directory.named(kind, code, number)

    return include


def _nothing(key: str, value: Any) -> Include:
    """An include of things the emulated org has none of (teams, products, contracts)."""
    return lambda _, __: (key, value)


_INCLUDES: dict[str, Include] = {
    "contacts": lambda org, r: ("contact", _contact(org, r.get("contactId"))),
    "accounts": lambda org, r: ("account", _account(org, r.get("accountId"))),
    "tickets": lambda org, r: ("ticket", _ticket(org, r.get("ticketId"))),
    "departments": lambda org, r: ("department", _department(org, r.get("departmentId"))),
    "assignee": lambda org, r: ("assignee", _agent(org, r.get("assigneeId", r.get("ownerId")))),
    "owner": lambda org, r: ("owner", _agent(org, r.get("ownerId"))),
    "creator": lambda org, r: ("creator", _agent(org, r.get("creatorId"))),
    "isRead": _nothing("isRead", False),
    "team": _nothing("team", None),
    "teams": _nothing("team", None),
    "products": _nothing("product", None),
    "projects": _nothing("project", None),
    "contract": _nothing("contract", None),
    "livecalls": _nothing("liveCall", None),
    "skills": _nothing("skills", []),
    "profile": _named(directory.PROFILES, catalog.PROFILE_CODE, "profile"),
    "role": _named(directory.ROLES, catalog.ROLE_CODE, "role"),
    "associatedDepartments": lambda org, r: (
        "associatedDepartments",
        [_department(org, d) for d in r["associatedDepartmentIds"]],
    ),
    "associatedChatDepartments": _nothing("associatedChatDepartments", []),
}
