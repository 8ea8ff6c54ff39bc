"""What each search and list endpoint filters on, and the filters of a query.

Sources: Desk's API documentation (its list and search APIs) and Zoho's OpenAPI files
(``Ticket.json``, ``Search.json``).
"""

from __future__ import annotations

from zoho_emulator.desk import criteria
from zoho_emulator.desk.catalog import ACCOUNTS, CONTACTS, DAY_MS, TICKETS, Module
from zoho_emulator.desk.criteria import Contains, Filter, Match, TimeRange
from zoho_emulator.desk.query import Query, invalid

PAGING_PARAMS = frozenset({"from", "limit", "sortBy"})
#: Search parameters matched against the record key of the same name (some are virtual).
_SEARCH_KEYS: dict[str, tuple[str, ...]] = {
    TICKETS.name: (
        "id", "ticketNumber", "subject", "description", "status", "priority", "channel",
        "category", "tag", "email", "phone", "contactName", "accountName", "productName",
        "departmentId", "contactId", "accountId", "assigneeId", "productId",
    ),
    CONTACTS.name: (
        "id", "fullName", "firstName", "lastName", "email", "phone", "mobile", "accountName",
    ),
    ACCOUNTS.name: ("id", "accountName"),
}  # fmt: skip
#: Keys ``_all`` looks in.
_FREE_TEXT_KEYS: dict[str, tuple[str, ...]] = {
    TICKETS.name: ("subject", "description", "email", "phone", "ticketNumber"),
    CONTACTS.name: ("firstName", "lastName", "email", "phone", "mobile"),
    ACCOUNTS.name: ("accountName", "email", "website", "phone"),
}
_ACTIVITY_FREE_TEXT = ("subject", "description")
#: Parameters whose value must have at least 3 characters.
_MIN_THREE = frozenset({"subject", "_all"})
#: Numbered criteria: ``customField1``..10 on tickets, contacts, accounts; ``field1``..10 else.
_NUMBERED = 10
_TICKET_RANGES = ("createdTime", "modifiedTime", "customerResponseTime", "dueDate")
_RANGES = ("createdTime", "modifiedTime")
_TICKET_SORTS = ("relevance", "modifiedTime", "createdTime", "customerResponseTime")
_SORTS = ("relevance", "modifiedTime", "createdTime")


def _numbered_prefix(module: Module) -> str:
    return "customField" if module.name in _SEARCH_KEYS else "field"


def _ranges(module: Module) -> tuple[str, ...]:
    return _TICKET_RANGES if module is TICKETS else _RANGES


def search_sorts(module: Module) -> tuple[str, ...]:
    """``sortBy`` values of a search (default ``relevance``)."""
    return _TICKET_SORTS if module is TICKETS else _SORTS


def search_params(module: Module) -> frozenset[str]:
    """Query parameters a module's search accepts."""
    prefix = _numbered_prefix(module)
    return frozenset(
        {
            *_SEARCH_KEYS.get(module.name, ()),
            "_all",
            *(f"{prefix}{number}" for number in range(1, _NUMBERED + 1)),
            *(f"{key}Range" for key in _ranges(module)),
            *PAGING_PARAMS,
        }
    )


def search_filters(module: Module, query: Query, *, inclusive: bool = True) -> tuple[Filter, ...]:
    """The filters of a search query (time ranges with their bounds unless not ``inclusive``).

    Raises:
        DeskError: 422 for a value too short, a numbered criterion that is not
            ``apiName:value`` of a field of the module, or a bad time range.
    """
    filters: list[Filter] = []
    for key in _SEARCH_KEYS.get(module.name, ()):
        value = query.text(key, min_length=3 if key in _MIN_THREE else 1)
        if value is not None:
            filters.append(Match(key, _alternatives(value)))
    text = query.text("_all", min_length=3)
    if text is not None:
        filters.append(Contains(_FREE_TEXT_KEYS.get(module.name, _ACTIVITY_FREE_TEXT), text))
    prefix = _numbered_prefix(module)
    for number in range(1, _NUMBERED + 1):
        name = f"{prefix}{number}"
        value = query.text(name)
        if value is not None:
            filters.append(_numbered(module, name, value, custom_only=prefix == "customField"))
    for key in _ranges(module):
        window = query.time_range(f"{key}Range")
        if window is not None:
            filters.append(TimeRange(key, *window, inclusive=inclusive))
    return tuple(filters)


def _alternatives(value: str) -> tuple[str, ...]:
    return tuple(term.strip() for term in value.split(",") if term.strip())


def _numbered(module: Module, name: str, value: str, *, custom_only: bool) -> Match:
    """``apiName:value`` of ``customFieldN`` (custom fields) or ``fieldN`` (any field)."""
    api_name, colon, wanted = value.partition(":")
    field = module.field_map.get(api_name)
    if not colon or not wanted or field is None or (custom_only and not field.custom):
        raise invalid(name)
    return Match(api_name, _alternatives(wanted))


# -- list filters -----------------------------------------------------------------------------

_TICKET_LIST_PARAMS = frozenset(
    {"departmentId", "departmentIds", "assignee", "channel", "status", "priority"}
    | {"receivedInDays", "include"}
)
_ACTIVITY_LIST_PARAMS = frozenset({"departmentId", "departmentIds", "assignee", "isCompleted"})
_RECEIVED_IN_DAYS = ("15", "30", "90", "-1")


def ticket_list_filters(query: Query, now_ms: int) -> tuple[Filter, ...]:
    """Filters of ``GET /tickets`` (and of ``/ticketsCount``, which takes a few of them).

    Raises:
        DeskError: 422 for a bad value.
    """
    filters: list[Filter] = [*_department_filters(query)]
    assignee = query.values("assignee", max_items=20)
    if assignee is not None:
        terms = tuple(criteria.EMPTY if a == "Unassigned" else a for a in assignee)
        filters.append(Match("assigneeId", terms))
    assignee_id = query.ids("assigneeId")
    if assignee_id is not None:
        filters.append(Match("assigneeId", assignee_id, wildcards=False))
    for key in ("channel", "status", "priority"):
        values = query.values(key, max_items=20)
        if values is not None:
            filters.append(Match(key, values, wildcards=False))
    days = query.choice("receivedInDays", _RECEIVED_IN_DAYS)
    if days is not None and days != "-1":
        filters.append(TimeRange("createdTime", now_ms - int(days) * DAY_MS, now_ms))
    return tuple(filters)


def activity_list_filters(query: Query) -> tuple[Filter, ...]:
    """Filters of an activity list (tasks, calls, events) and its count.

    Raises:
        DeskError: 422 for a bad value.
    """
    filters: list[Filter] = [*_department_filters(query)]
    owners = query.ids("assignee", max_items=20)
    if owners is not None:
        filters.append(Match("ownerId", owners, wildcards=False))
    completed = query.boolean("isCompleted")
    if completed is not None:
        filters.append(
            Match("completedTime", (criteria.NOT_EMPTY if completed else criteria.EMPTY,))
        )
    return tuple(filters)


def _department_filters(query: Query) -> list[Filter]:
    departments = [
        *(query.ids("departmentId", max_items=1) or ()),
        *(query.ids("departmentIds", max_items=20) or ()),
    ]
    return [Match("departmentId", tuple(departments), wildcards=False)] if departments else []


def ticket_list_params() -> frozenset[str]:
    """Query parameters of ``GET /tickets``."""
    return _TICKET_LIST_PARAMS | PAGING_PARAMS


def activity_list_params() -> frozenset[str]:
    """Query parameters of an activity list, ``include`` aside."""
    return _ACTIVITY_LIST_PARAMS
