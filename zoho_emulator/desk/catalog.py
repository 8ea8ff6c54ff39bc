"""The emulated Desk org's modules and fields.

Record shapes and field types follow Zoho's OpenAPI files (``Ticket.json``, ``Field.json``) and
the examples of Desk's API documentation.

A :class:`Field` serves three purposes: the field metadata of ``GET /fields``, the validation
of writes, and the ``cf`` keys of records (custom fields).
"""

from __future__ import annotations

import dataclasses
import functools

#: Every emulated id starts with the org's prefix, so ids of two emulated orgs never meet
#: (Desk ids are unique across Zoho's orgs): the base, plus ``--org``.
_PREFIX_BASE = 3110000


@dataclasses.dataclass
class _IdSpace:
    prefix: str = str(_PREFIX_BASE)


_IDS = _IdSpace()


def use_org(number: int) -> None:
    """Make this process's ids those of org ``number`` (set once, when the emulator starts)."""
    _IDS.prefix = f"{_PREFIX_BASE + number:07d}"


DEPARTMENT_CODE = 10
AGENT_CODE = 11
PROFILE_CODE = 12
ROLE_CODE = 13
LAYOUT_CODE = 14
SLA_CODE = 15
FIELD_CODE = 16
THREAD_CODE = 31
COMMENT_CODE = 32
DAY_MS = 86_400_000

#: Picklist value -> statusType (custom status names map onto Open, On Hold, Closed).
TICKET_STATUSES = {
    "Open": "Open",
    "On Hold": "On Hold",
    "Escalated": "Open",
    "Waiting on Customer": "On Hold",
    "Closed": "Closed",
}
#: Types whose values are numbers written as strings.
NUMERIC_TYPES = frozenset({"Number", "Percent", "Decimal", "Currency"})
#: Types that accept free text (Email and URL are checked further).
TEXT_TYPES = frozenset({"Text", "Textarea", "LargeText", "Phone", "Email", "URL"})


def record_id(code: int, index: int) -> str:
    """The 18-digit id of record number ``index`` of the entity with that code."""
    return f"{_IDS.prefix}{code:02d}{index + 1:09d}"


def parse_id(value: object, code: int) -> int | None:
    """The index an id names within the entity of that code, or None if it names none."""
    text = str(value)
    if len(text) != 18 or not text.isdigit() or not text.startswith(_IDS.prefix):
        return None
    if int(text[7:9]) != code:
        return None
    return int(text[9:]) - 1


def layout_id(module: Module, number: int) -> str:
    """The id of a module's layout ``number`` (tickets have one layout per department)."""
    return record_id(LAYOUT_CODE, module.code * 10 + number)


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a module.

    Attributes:
        api_name: The field's API name (``cf_...`` for custom fields).
        type: Desk's field type (the enum of ``Field.json``).
        label: The display label.
        max_length: Longest text value accepted.
        mandatory: Required on create.
        custom: A custom field (its value lives under ``cf``).
        values: Allowed picklist or multiselect values.
        lookup: The module a LookUp field points to.
        writable: Whether API writes may set it.
    """

    api_name: str
    type: str
    label: str
    max_length: int = 255
    mandatory: bool = False
    custom: bool = False
    values: tuple[str, ...] = ()
    lookup: str | None = None
    writable: bool = True


@dataclasses.dataclass(frozen=True)
class Module:
    """One record module of the Desk API.

    Attributes:
        name: The module's API name, also its URL segment.
        code: Two-digit code inside record ids.
        scope: The scope area (``Desk.<scope>.READ``); accounts share ``contacts``.
        size: ``main`` (``--records``), ``fifth`` or ``tenth`` of it.
        trash_key: The id list key of ``moveToTrash``.
        web_tab: The tab in ``webUrl``.
        fields: Its fields, system ones first.
        list_sorts: ``sortBy`` values of its list endpoint.
        list_keys: Keys of a list row, or None when list rows are full records.
        count_cost: Credits of its ``/count`` call (50 for activities, by a third-party
            summary of Desk's credit table: not confirmed by Zoho, we assume it).
    """

    name: str
    code: int
    scope: str
    size: str
    trash_key: str
    web_tab: str
    fields: tuple[Field, ...]
    list_sorts: tuple[str, ...]
    list_keys: tuple[str, ...] | None
    count_cost: int = 1

    @functools.cached_property
    def field_map(self) -> dict[str, Field]:
        """Fields by API name."""
        return {field.api_name: field for field in self.fields}

    @functools.cached_property
    def custom_fields(self) -> tuple[Field, ...]:
        """The custom (``cf_``) fields."""
        return tuple(field for field in self.fields if field.custom)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Scope areas that grant access: activities also answer to ``Desk.activities.<m>``."""
        if self.scope in ("tasks", "calls", "events"):
            return (self.scope, f"activities.{self.scope}")
        return (self.scope,)

    def size_for(self, records: int) -> int:
        """How many seeded records it has for ``--records``."""
        if self.size == "fifth":
            return max(1, records // 5)
        if self.size == "tenth":
            return records // 10
        return records


def _text(name: str, label: str, length: int = 255, *, mandatory: bool = False) -> Field:
    return Field(name, "Text", label, max_length=length, mandatory=mandatory)


def _pick(name: str, label: str, values: tuple[str, ...], *, mandatory: bool = False) -> Field:
    return Field(name, "Picklist", label, max_length=120, mandatory=mandatory, values=values)


def _lookup(name: str, label: str, target: str, *, mandatory: bool = False) -> Field:
    return Field(name, "LookUp", label, max_length=20, mandatory=mandatory, lookup=target)


def _stamp(name: str, label: str) -> Field:
    return Field(name, "DateTime", label, max_length=30, writable=False)


def _custom(name: str, kind: str, label: str, values: tuple[str, ...] = ()) -> Field:
    return Field(name, kind, label, custom=True, values=values)


PRIORITIES = ("Low", "Medium", "High")
CHANNELS = ("Email", "Phone", "Web", "Chat", "Forums", "Twitter", "Facebook")
CATEGORIES = ("Hardware", "Software, Licensing", "Billing (refunds)", "General")
CLASSIFICATIONS = ("Question", "Problem", "Request", "Others")
LANGUAGES = ("English", "Deutsch", "Français", "Español", "日本語")
REGIONS = ("EMEA", "Americas", "APAC", "Côte d'Ivoire (West Africa)")
COMPONENTS = ("Printer", "Scanner", "Cable, USB", 'Firmware "beta"')
CONTACT_TYPES = ("Customer", "Partner", "Vendor")
TIERS = ("Bronze", "Silver", "Gold", "Platinum (legacy)")
ACTIVITY_PRIORITIES = ("High", "Highest", "Low", "Lowest", "Normal")
TASK_STATUSES = ("Not Started", "In Progress", "Waiting on someone else", "Deferred", "Completed")
TASK_CATEGORIES = ("Call", "Email", "Demo", "Follow-up (2nd)")
MEETING_STATUSES = ("Scheduled", "In Progress", "Completed", "Cancelled")
CALL_DIRECTIONS = ("inbound", "outbound")
CALL_OUTCOMES = ("Resolved", "Voicemail", "No answer, retry")
EVENT_CATEGORIES = ("Meeting", "Demo", "Training, onsite")

_TICKET_FIELDS = (
    _text("subject", "Subject", mandatory=True),
    _lookup("departmentId", "Department", "departments", mandatory=True),
    _lookup("contactId", "Contact Name", "contacts", mandatory=True),
    _lookup("accountId", "Account Name", "accounts"),
    Field("email", "Email", "Email", max_length=150),
    Field("phone", "Phone", "Phone", max_length=120),
    Field("description", "Textarea", "Description", max_length=65535),
    _pick("status", "Status", tuple(TICKET_STATUSES)),
    _pick("priority", "Priority", PRIORITIES),
    _pick("channel", "Channel", CHANNELS),
    _pick("category", "Category", CATEGORIES),
    _text("subCategory", "Sub Category", 120),
    _pick("classification", "Classification", CLASSIFICATIONS),
    _pick("language", "Language", LANGUAGES),
    Field("dueDate", "DateTime", "Due Date", max_length=30),
    _lookup("assigneeId", "Ticket Owner", "agents"),
    _lookup("teamId", "Team", "teams"),
    _lookup("productId", "Product Name", "products"),
    Field("resolution", "Textarea", "Resolution", max_length=65535),
    Field("ticketNumber", "AutoNumber", "Request Id", max_length=20, writable=False),
    _stamp("createdTime", "Created Time"),
    _stamp("modifiedTime", "Modified Time"),
    _stamp("customerResponseTime", "Customer Response Time"),
    _custom("cf_serial_number", "Text", "Serial Number"),
    _custom("cf_warranty_until", "Date", "Warranty Until"),
    _custom("cf_severity_pct", "Percent", "Severity Pct"),
    _custom("cf_po_number", "Text", "PO Number"),
    _custom("cf_is_vip", "Boolean", "Is VIP"),
    _custom("cf_region", "Picklist", "Region", REGIONS),
    _custom("cf_units", "Number", "Units"),
    _custom("cf_components", "Multiselect", "Components", COMPONENTS),
    _custom("cf_last_audit", "DateTime", "Last Audit"),
    _custom("cf_budget", "Currency", "Budget"),
)

_CONTACT_FIELDS = (
    _text("firstName", "First Name", 40),
    _text("lastName", "Last Name", 80, mandatory=True),
    Field("email", "Email", "Email", max_length=100),
    Field("secondaryEmail", "Email", "Secondary Email", max_length=100),
    Field("phone", "Phone", "Phone", max_length=50),
    Field("mobile", "Phone", "Mobile", max_length=50),
    _lookup("accountId", "Account Name", "accounts"),
    _lookup("ownerId", "Contact Owner", "agents"),
    _pick("type", "Type", CONTACT_TYPES),
    _text("title", "Title", 100),
    Field("description", "Textarea", "Description", max_length=65535),
    _text("street", "Street", 250),
    _text("city", "City", 100),
    _text("state", "State", 100),
    _text("zip", "Zip", 30),
    _text("country", "Country", 100),
    _text("facebook", "Facebook", 100),
    _text("twitter", "Twitter", 100),
    _pick("language", "Language", LANGUAGES),
    _stamp("createdTime", "Created Time"),
    _stamp("modifiedTime", "Modified Time"),
    _custom("cf_loyalty_tier", "Picklist", "Loyalty Tier", TIERS),
    _custom("cf_customer_since", "Date", "Customer Since"),
    _custom("cf_nps_score", "Number", "NPS Score"),
)

_ACCOUNT_FIELDS = (
    _text("accountName", "Account Name", 200, mandatory=True),
    Field("email", "Email", "Email", max_length=100),
    Field("website", "URL", "Website", max_length=120),
    Field("phone", "Phone", "Phone", max_length=50),
    Field("fax", "Phone", "Fax", max_length=50),
    _text("industry", "Industry", 120),
    _text("code", "Code", 40),
    _text("street", "Street", 250),
    _text("city", "City", 100),
    _text("state", "State", 100),
    _text("country", "Country", 100),
    Field("description", "Textarea", "Description", max_length=65535),
    _lookup("ownerId", "Account Owner", "agents"),
    _stamp("createdTime", "Created Time"),
    _stamp("modifiedTime", "Modified Time"),
    _custom("cf_tier", "Picklist", "Tier", TIERS),
    _custom("cf_contract_value", "Currency", "Contract Value"),
    _custom("cf_renewal_date", "Date", "Renewal Date"),
)


def _activity_fields(*specific: Field) -> tuple[Field, ...]:
    return (
        _text("subject", "Subject", 300, mandatory=True),
        _lookup("departmentId", "Department", "departments", mandatory=True),
        _lookup("ticketId", "Ticket", "tickets"),
        _lookup("contactId", "Contact Name", "contacts"),
        _lookup("ownerId", "Owner", "agents"),
        _pick("priority", "Priority", ACTIVITY_PRIORITIES),
        *specific,
        Field("description", "Textarea", "Description", max_length=65535),
        _stamp("createdTime", "Created Time"),
        _stamp("modifiedTime", "Modified Time"),
    )


TICKETS = Module(
    "tickets",
    30,
    "tickets",
    "main",
    "ticketIds",
    "Cases",
    _TICKET_FIELDS,
    # The OpenAPI files' enum; no modifiedTime sort on the plain list.
    list_sorts=("dueDate", "createdTime", "recentThread"),
    # List rows carry no modifiedTime, cf or description (the OpenAPI files' list view).
    list_keys=(
        "id", "ticketNumber", "subject", "status", "statusType", "priority", "channel",
        "channelCode", "language", "email", "phone", "departmentId", "contactId", "accountId",
        "assigneeId", "teamId", "productId", "category", "subCategory", "layoutId",
        "createdTime", "customerResponseTime", "dueDate", "responseDueDate", "onholdTime",
        "closedTime", "lockedTime", "threadCount", "commentCount", "lastThread", "source",
        "sentiment", "relationshipType", "isArchived", "isSpam", "webUrl",
    ),
)  # fmt: skip
CONTACTS = Module(
    "contacts",
    20,
    "contacts",
    "main",
    "contactIds",
    "Contacts",
    _CONTACT_FIELDS,
    list_sorts=("firstName", "lastName", "createdTime"),
    # The documentation's contact list item: no modifiedTime, no cf.
    list_keys=(
        "id", "firstName", "lastName", "email", "secondaryEmail", "phone", "mobile",
        "accountId", "ownerId", "type", "photoURL", "isAnonymous", "isEndUser", "isSpam",
        "zohoCRMContact", "customerHappiness", "createdTime", "webUrl",
    ),
)  # fmt: skip
ACCOUNTS = Module(
    "accounts",
    21,
    "contacts",
    "fifth",
    "accountIds",
    "Accounts",
    _ACCOUNT_FIELDS,
    list_sorts=("website", "email", "phone", "accountName", "createdTime", "modifiedTime"),
    # The key set of related account lists (the plain list's is not documented by Zoho: we
    # assume the same).
    list_keys=(
        "id", "accountName", "email", "website", "phone", "webUrl", "createdTime",
        "zohoCRMAccount", "customerHappiness",
    ),
)  # fmt: skip
TASKS = Module(
    "tasks",
    40,
    "tasks",
    "tenth",
    "entityIds",
    "Tasks",
    _activity_fields(
        _pick("status", "Status", TASK_STATUSES),
        _pick("category", "Category", TASK_CATEGORIES),
        Field("dueDate", "DateTime", "Due Date", max_length=30),
        _custom("cf_effort_hours", "Number", "Effort Hours"),
    ),
    list_sorts=(
        "category",
        "subject",
        "dueDate",
        "status",
        "createdTime",
        "modifiedTime",
        "priority",
    ),
    list_keys=None,
    count_cost=50,
)
CALLS = Module(
    "calls",
    41,
    "calls",
    "tenth",
    "entityIds",
    "Calls",
    _activity_fields(
        _pick("status", "Status", MEETING_STATUSES),
        _pick("direction", "Call Type", CALL_DIRECTIONS, mandatory=True),
        Field("startTime", "DateTime", "Call Start Time", max_length=30, mandatory=True),
        Field("duration", "Number", "Call Duration (seconds)", max_length=10),
        _custom("cf_outcome", "Picklist", "Outcome", CALL_OUTCOMES),
    ),
    list_sorts=("startTime", "createdTime"),
    list_keys=None,
    count_cost=50,
)
EVENTS = Module(
    "events",
    42,
    "events",
    "tenth",
    "entityIds",
    "Events",
    _activity_fields(
        _pick("status", "Status", MEETING_STATUSES),
        _pick("category", "Category", EVENT_CATEGORIES),
        Field("startTime", "DateTime", "Start Time", max_length=30, mandatory=True),
        Field("duration", "Number", "Duration (seconds)", max_length=10),
        _custom("cf_location", "Text", "Location"),
    ),
    list_sorts=("startTime", "createdTime"),
    list_keys=None,
    count_cost=50,
)

MODULES: tuple[Module, ...] = (TICKETS, CONTACTS, ACCOUNTS, TASKS, CALLS, EVENTS)
MODULES_BY_NAME: dict[str, Module] = {module.name: module for module in MODULES}
ACTIVITIES: tuple[Module, ...] = (TASKS, CALLS, EVENTS)


def web_url(portal: str, module: Module, record: str) -> str:
    """A record's ``webUrl``: the id in the URL fragment."""
    return f"https://desk.zoho.com/support/{portal}/ShowHomePage.do#{module.web_tab}/dv/{record}"
