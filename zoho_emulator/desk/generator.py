"""Seeded Desk records, computed on demand: a value is a function of (seed, module, record, key).

Nothing is stored per record but two compact arrays per module (created and modified time,
epoch milliseconds), so a million-record module costs about 16 MB. Each key has its own
*maker*, so sorting or searching on one key never builds whole records.
"""

from __future__ import annotations

import array
import copy
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zoho_emulator import pools, timefmt
from zoho_emulator.desk import catalog, directory
from zoho_emulator.desk.catalog import (
    ACCOUNTS,
    CALLS,
    CONTACTS,
    DAY_MS,
    EVENTS,
    TASKS,
    TICKETS,
    Module,
)
from zoho_emulator.seeded import below, chance, code, mix, pick, timeline

if TYPE_CHECKING:
    from zoho_emulator.settings import Settings

MAX_THREADS = 4
MAX_COMMENTS = 2

#: A maker: the seeded value of one key for a record index.
Maker = Callable[[int], Any]

_SUBJECTS: tuple[str, ...] = (
    "Printer offline after update",
    "Can't log in (SSO)",
    'Invoice {n} shows "0.00"',
)
_SUBJECTS += ("Refund, please — double charge", "Ошибка при оплате", "Scanner jams; error E-{n}")
_SUBJECTS += ("Question about warranty, part {n}", "App crashes on iOS 17 🚀")
_SUBJECTS += ("Lieferung beschädigt", "配送状況について")
_ACTIVITY_SUBJECTS: tuple[str, ...] = (
    "Call back customer",
    "Send replacement, part {n}",
    "Démo produit",
)
_ACTIVITY_SUBJECTS += ('Review "urgent" case', "Follow up (2nd), re: {n}", "打ち合わせ")
_PARAGRAPHS = (
    'First line, with a comma.\nSecond line (in parentheses).\nThird: "quoted" text.',
    "Ünïcödé paragraph — dashes – and ‘curly’ quotes.\r\nWindows line ending above.",
    "Single line note",
    'Bullet list:\n- one\n- two, three\n- "four"\n\nTrailing blank line above.',
    "<div>Since the update the printer shows <b>offline</b>.</div>",
)
_WORDS: tuple[str, ...] = (
    "alpha",
    "Grüße",
    "naïve café",
    "(draft)",
    "a, b, c",
    "50%",
    'say "hi"',
    "it's",
)
_WORDS += ("東京", "emoji 🚀", "back\\slash", "line\nbreak")
#: Custom values that follow from the hash alone, by field type.
_PLAIN_CUSTOM: dict[str, Callable[[int], str]] = {
    "Boolean": lambda h: "true" if h & 1 else "false",
    "Number": lambda h: str(below(h, 5_000)),
    "Percent": lambda h: str(below(h, 10_001) / 100),
    "Currency": lambda h: f"{below(h, 10_000_000) / 100:.2f}",
}
_STATES = ("CA", "TX", "Bavaria", "Île-de-France", "Ontario", "Lagos")
_INDUSTRIES = ("Retail", "Manufacturing, heavy", "Software (SaaS)", "Logistics & Transport")
_SENTIMENTS = ("POSITIVE", "NEUTRAL", "NEGATIVE", None)
#: Ticket statuses weighted towards Open and Closed, as real queues are.
_STATUS_DRAW = ("Open", "Open", "On Hold", "Escalated", "Waiting on Customer", "Closed", "Closed")
_COMMENTS = (
    "Customer called, waiting on logs.",
    "Escalated to tier 2 (hardware).",
    'Refund approved — "goodwill" credit.',
    "<p>Checked with <i>billing</i>.</p>",
)


@dataclasses.dataclass(frozen=True)
class Times:
    """Created and modified time of every seeded record of a module, epoch milliseconds."""

    created: array.array[int]
    modified: array.array[int]


class Constant:
    """A maker of one fixed value, which is also what a record created through the API has.

    Args:
        value: The value (copied for each record, so lists and objects are never shared).
    """

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, index: int) -> Any:
        """The value, for any record."""
        return copy.deepcopy(self.value)


def phone(h: int) -> str:
    """A phone number drawn from hash ``h``."""
    return f"+1 (555) 0{below(h, 100):02d}-{below(h >> 9, 10_000):04d}"


class Seeded:
    """The seeded records of one emulated org.

    Args:
        settings: The emulator settings (seed, records, anchor).
    """

    def __init__(self, settings: Settings) -> None:
        self.seed = settings.seed
        self.records = settings.records
        end = dt.datetime.combine(settings.anchor, dt.time(), dt.UTC)
        self.end_ms = int(end.timestamp()) * 1000 - DAY_MS
        self.start_ms = self.end_ms - 729 * DAY_MS
        self.fingerprint = (self.seed, self.records, self.start_ms)
        self._makers: dict[str, dict[str, Maker]] = {
            TICKETS.name: self._ticket_makers(),
            CONTACTS.name: self._contact_makers(),
            ACCOUNTS.name: self._account_makers(),
            TASKS.name: self._activity_makers(TASKS),
            CALLS.name: self._activity_makers(CALLS),
            EVENTS.name: self._activity_makers(EVENTS),
        }

    # -- records ---------------------------------------------------------------------------

    def size(self, module: Module) -> int:
        """Seeded records of a module."""
        return module.size_for(self.records)

    def times(self, module: Module) -> Times:
        """The time arrays of a module (computed once per seed, size and span)."""
        return _module_times(self.seed, self.size(module), module.code, self.start_ms, self.end_ms)

    def value(self, module: Module, index: int, key: str) -> Any:
        """The seeded value of one stored key of one record."""
        return self._makers[module.name][key](index)

    def record(self, module: Module, index: int) -> dict[str, Any]:
        """Every stored key of one seeded record."""
        return {key: make(index) for key, make in self._makers[module.name].items()}

    def blank(self, module: Module) -> dict[str, Any]:
        """Every stored key of a new record: its constants, else null."""
        return {
            key: make(0) if isinstance(make, Constant) else None
            for key, make in self._makers[module.name].items()
        }

    # -- children of tickets ---------------------------------------------------------------

    def thread_count(self, ticket: int) -> int:
        """Threads of a seeded ticket (0 to 4)."""
        return below(mix(self.seed, TICKETS.code, ticket, code("threads")), MAX_THREADS + 1)

    def comment_count(self, ticket: int) -> int:
        """Comments of a seeded ticket (0 to 2)."""
        return below(mix(self.seed, TICKETS.code, ticket, code("comments")), MAX_COMMENTS + 1)

    def recent_thread_ms(self, ticket: int) -> int:
        """When the newest thread of a seeded ticket was sent (its creation if it has none).

        The first thread is sent at creation, the last at the last modification.
        """
        times = self.times(TICKETS)
        if self.thread_count(ticket) >= 2:
            return times.modified[ticket]
        return times.created[ticket]

    def threads(self, ticket: int) -> list[dict[str, Any]]:
        """The threads of a seeded ticket, oldest first."""
        times = self.times(TICKETS)
        created, modified = times.created[ticket], times.modified[ticket]
        count = self.thread_count(ticket)
        contact = self._ticket_contact(ticket)
        channel = str(self.value(TICKETS, ticket, "channel")).upper()
        rows = []
        for number in range(count):
            h = mix(self.seed, catalog.THREAD_CODE, ticket, number)
            sent = created + (modified - created) * number // max(count - 1, 1)
            inbound = number == 0 or chance(h, 450)
            content = pick(h, _PARAGRAPHS)
            author = self._contact_author(contact) if inbound else self._agent_author(h)
            rows.append(
                {
                    "id": catalog.record_id(catalog.THREAD_CODE, ticket * MAX_THREADS + number),
                    "channel": channel,
                    "status": "SUCCESS",
                    "direction": "in" if inbound else "out",
                    "visibility": "private" if chance(h >> 3, 100) else "public",
                    "isDescriptionThread": number == 0,
                    "isForward": False,
                    "canReply": True,
                    "author": author,
                    "fromEmailAddress": author["email"],
                    "to": "support@emulated-support.example" if inbound else contact["email"],
                    "cc": "",
                    "bcc": "",
                    "summary": content[:100],
                    "contentType": "text/html",
                    "hasAttach": False,
                    "attachmentCount": "0",
                    "createdTime": timefmt.desk_datetime(sent),
                    "sendDateTime": timefmt.desk_datetime(sent),
                }
            )
        return rows

    def comments(self, ticket: int) -> list[dict[str, Any]]:
        """The comments of a seeded ticket, oldest first."""
        times = self.times(TICKETS)
        created, modified = times.created[ticket], times.modified[ticket]
        count = self.comment_count(ticket)
        agents = directory.agents()
        rows = []
        for number in range(count):
            h = mix(self.seed, catalog.COMMENT_CODE, ticket, number)
            when = timefmt.desk_datetime(
                created + (modified - created) * (number + 1) // (count + 1)
            )
            author = pick(h, directory.WORKING_AGENTS)
            agent = agents[author]
            content = pick(h, _COMMENTS)
            rows.append(
                {
                    "id": catalog.record_id(catalog.COMMENT_CODE, ticket * MAX_COMMENTS + number),
                    "content": content,
                    "contentType": "html" if content.startswith("<") else "plainText",
                    "isPublic": chance(h >> 5, 300),
                    "commentedTime": when,
                    "modifiedTime": when,
                    "commenterId": agent["id"],
                    "commenter": {
                        "id": agent["id"],
                        "firstName": agent["firstName"],
                        "lastName": agent["lastName"],
                        "name": agent["name"],
                        "email": agent["emailId"],
                        "photoURL": None,
                        "roleName": directory.ROLES[directory.role_of(author)],
                        "type": "AGENT",
                    },
                    "attachments": [],
                    "mention": [],
                }
            )
        return rows

    # -- makers ----------------------------------------------------------------------------

    def _draw(
        self, module: Module, key: str, make: Callable[[int, int], Any], nulls: int = 0
    ) -> Maker:
        """A maker from ``make(index, hash)``, null for ``nulls`` out of a thousand records."""
        salt = code(key)

        def maker(index: int) -> Any:
            h = mix(self.seed, module.code, index, salt)
            return None if nulls and chance(h, nulls) else make(index, h)

        return maker

    def _stamps(self, module: Module) -> dict[str, Maker]:
        def created(index: int) -> str:
            return timefmt.desk_datetime(self.times(module).created[index])

        def modified(index: int) -> str:
            return timefmt.desk_datetime(self.times(module).modified[index])

        return {"createdTime": created, "modifiedTime": modified}

    def _cf(self, module: Module) -> Maker:
        makers = {
            field.api_name: self._draw(
                module,
                field.api_name,
                functools.partial(self._custom_value, field),
                nulls=0 if field.type == "Boolean" else 150,
            )
            for field in module.custom_fields
        }
        return lambda index: {name: make(index) for name, make in makers.items()}

    def _custom_value(self, field: catalog.Field, index: int, h: int) -> str | None:
        """A custom field's value: always a string, whatever the type (Zoho's OpenAPI files)."""
        kind = field.type
        if kind == "Picklist":
            return pick(h, field.values)
        if kind == "Multiselect":
            chosen = [value for bit, value in enumerate(field.values) if h >> (bit + 3) & 1]
            return ";".join(chosen) or None
        if kind == "Date":
            day = self.start_ms + below(h, 3 * 365) * DAY_MS
            return timefmt.desk_datetime(day)[:10]
        if kind == "DateTime":
            return timefmt.desk_datetime(self.start_ms + below(h, self.end_ms - self.start_ms))
        plain = _PLAIN_CUSTOM.get(kind)
        if plain is not None:
            return plain(h)
        return f"{pick(h, _WORDS)} {pick(h >> 17, _WORDS)} #{index + 1}"

    def _agent_maker(self, module: Module, key: str, nulls: int = 0) -> Maker:
        return self._draw(
            module, key, lambda _, h: directory.agent_id(pick(h, directory.WORKING_AGENTS)), nulls
        )

    def _department(self, module: Module, index: int) -> int:
        h = mix(self.seed, module.code, index, code("departmentId"))
        return below(h, directory.department_count())

    def _contact_of(self, ticket: int) -> int:
        """The contact (index) who raised a seeded ticket."""
        return below(mix(self.seed, TICKETS.code, ticket, code("contactId")), self.size(CONTACTS))

    def _ticket_contact(self, ticket: int) -> dict[str, Any]:
        contact = self._contact_of(ticket)
        return {
            "index": contact,
            "id": catalog.record_id(CONTACTS.code, contact),
            "email": self.value(CONTACTS, contact, "email"),
            "phone": self.value(CONTACTS, contact, "phone"),
            "accountId": self.value(CONTACTS, contact, "accountId"),
            "firstName": self.value(CONTACTS, contact, "firstName"),
            "lastName": self.value(CONTACTS, contact, "lastName"),
        }

    def _contact_author(self, contact: dict[str, Any]) -> dict[str, Any]:
        name = " ".join(part for part in (contact["firstName"], contact["lastName"]) if part)
        return {
            "id": contact["id"],
            "name": name,
            "email": contact["email"],
            "photoURL": None,
            "type": "END_USER",
        }

    def _agent_author(self, h: int) -> dict[str, Any]:
        agent = directory.agents()[pick(h, directory.WORKING_AGENTS)]
        return {
            "id": agent["id"],
            "name": agent["name"],
            "email": agent["emailId"],
            "photoURL": None,
            "type": "AGENT",
        }

    def _ticket_makers(self) -> dict[str, Maker]:
        m = TICKETS
        times = functools.partial(self.times, m)

        def contact_key(key: str) -> Maker:
            return lambda index: self.value(CONTACTS, self._contact_of(index), key)

        def assignee(index: int, h: int) -> str:
            return directory.agent_id(pick(h, directory.agents_of(self._department(m, index))))

        def status_time(status_type: str) -> Maker:
            def maker(index: int) -> str | None:
                status = catalog.TICKET_STATUSES[self.value(m, index, "status")]
                return (
                    timefmt.desk_datetime(times().modified[index])
                    if status == status_type
                    else None
                )

            return maker

        def response_time(index: int, h: int) -> str:
            created, modified = times().created[index], times().modified[index]
            return timefmt.desk_datetime(created + below(h, modified - created + 1))

        def due(index: int, h: int) -> str:
            return timefmt.desk_datetime(times().created[index] + (2 + below(h, 9)) * DAY_MS)

        def resolution(index: int, h: int) -> str | None:
            closed = self.value(m, index, "status") == "Closed"
            return pick(h, _PARAGRAPHS) if closed else None

        def last_thread(index: int) -> dict[str, Any] | None:
            threads = self.threads(index)
            if not threads:
                return None
            last = threads[-1]
            return {
                "channel": last["channel"],
                "isDraft": False,
                "isForward": False,
                "direction": last["direction"],
            }

        return {
            "id": lambda index: catalog.record_id(m.code, index),
            "ticketNumber": lambda index: str(101 + index),
            "subject": self._draw(
                m, "subject", lambda _, h: pick(h, _SUBJECTS).format(n=below(h, 9999))
            ),
            "description": self._draw(m, "description", lambda _, h: pick(h, _PARAGRAPHS), 100),
            "status": self._draw(m, "status", lambda _, h: pick(h, _STATUS_DRAW)),
            "priority": self._draw(m, "priority", lambda _, h: pick(h, catalog.PRIORITIES), 100),
            "channel": self._draw(m, "channel", lambda _, h: pick(h, catalog.CHANNELS)),
            "channelCode": Constant(None),
            "language": self._draw(m, "language", lambda _, h: pick(h, catalog.LANGUAGES)),
            "category": self._draw(m, "category", lambda _, h: pick(h, catalog.CATEGORIES), 300),
            "subCategory": self._draw(m, "subCategory", lambda _, h: pick(h, _WORDS), 800),
            "classification": self._draw(
                m, "classification", lambda _, h: pick(h, catalog.CLASSIFICATIONS), 400
            ),
            "email": contact_key("email"),
            "phone": contact_key("phone"),
            "departmentId": lambda index: directory.department_id(self._department(m, index)),
            "contactId": lambda index: catalog.record_id(CONTACTS.code, self._contact_of(index)),
            "accountId": contact_key("accountId"),
            "productId": Constant(None),
            "assigneeId": self._draw(m, "assigneeId", assignee, 150),
            "teamId": Constant(None),
            "slaId": lambda index: catalog.record_id(catalog.SLA_CODE, self._department(m, index)),
            "layoutId": lambda index: catalog.layout_id(m, self._department(m, index)),
            **self._stamps(m),
            "createdBy": self._agent_maker(m, "createdBy"),
            "modifiedBy": self._agent_maker(m, "modifiedBy"),
            "customerResponseTime": self._draw(m, "customerResponseTime", response_time),
            "dueDate": self._draw(m, "dueDate", due, 300),
            "responseDueDate": Constant(None),
            "onholdTime": status_time("On Hold"),
            "closedTime": status_time("Closed"),
            "lockedTime": Constant(None),
            "threadCount": lambda index: str(self.thread_count(index)),
            "commentCount": lambda index: str(self.comment_count(index)),
            "taskCount": Constant("0"),
            "attachmentCount": Constant("0"),
            "approvalCount": Constant("0"),
            "timeEntryCount": Constant("0"),
            "tagCount": Constant("0"),
            "followerCount": Constant("0"),
            "secondaryContacts": Constant([]),
            "sharedDepartments": Constant([]),
            "entitySkills": Constant([]),
            "source": Constant(source()),
            "channelRelatedInfo": Constant(None),
            "resolution": self._draw(m, "resolution", resolution),
            "sentiment": self._draw(m, "sentiment", lambda _, h: pick(h, _SENTIMENTS)),
            "relationshipType": Constant(None),
            "lastThread": last_thread,
            "isFollowing": Constant(False),
            "isArchived": Constant(False),
            "isDeleted": Constant(False),
            "isTrashed": Constant(False),
            "isResponseOverdue": Constant(False),
            "isSpam": Constant(False),
            "cf": self._cf(m),
        }

    def _contact_makers(self) -> dict[str, Maker]:
        m = CONTACTS

        def email(index: int, h: int) -> str:
            first = ascii_or_none(self.value(m, index, "firstName"))
            last = directory.ascii_name(self.value(m, index, "lastName"))
            local = f"{first}.{last}" if first else last
            return f"{local}.{index + 1}@{pick(h, pools.DOMAINS)}"

        def account(_: int, h: int) -> str:
            return catalog.record_id(ACCOUNTS.code, below(h, self.size(ACCOUNTS)))

        def crm(index: int, _: int) -> dict[str, str]:
            return {"id": f"48768760020{index + 1:08d}", "type": "contacts_leads"}

        return {
            "id": lambda index: catalog.record_id(m.code, index),
            "firstName": self._draw(m, "firstName", lambda _, h: pick(h, pools.FIRST), 50),
            "lastName": self._draw(m, "lastName", lambda _, h: pick(h, pools.LAST)),
            "email": self._draw(m, "email", email, 60),
            "secondaryEmail": self._draw(
                m, "secondaryEmail", lambda i, h: f"alt.{i + 1}@{pick(h, pools.DOMAINS)}", 800
            ),
            "phone": self._draw(m, "phone", lambda _, h: phone(h), 100),
            "mobile": self._draw(m, "mobile", lambda _, h: phone(h), 400),
            "accountId": self._draw(m, "accountId", account, 200),
            "ownerId": self._agent_maker(m, "ownerId", 300),
            "type": self._draw(m, "type", lambda _, h: pick(h, catalog.CONTACT_TYPES), 400),
            "title": self._draw(m, "title", lambda _, h: pick(h, pools.TITLES), 300),
            "description": self._draw(m, "description", lambda _, h: pick(h, _PARAGRAPHS), 600),
            **self._address(m),
            "zip": self._draw(m, "zip", lambda _, h: f"{below(h, 99_999):05d}", 200),
            "facebook": Constant(None),
            "twitter": self._draw(m, "twitter", lambda _, h: f"@zoe_{below(h, 9999)}", 700),
            "language": self._draw(m, "language", lambda _, h: pick(h, catalog.LANGUAGES), 200),
            "photoURL": Constant(None),
            "isAnonymous": Constant(False),
            "isEndUser": self._draw(m, "isEndUser", lambda _, h: chance(h, 300)),
            "isSpam": Constant(False),
            "isDeleted": Constant(False),
            "isTrashed": Constant(False),
            "zohoCRMContact": self._draw(m, "zohoCRMContact", crm, 700),
            "customerHappiness": self._draw(m, "customerHappiness", lambda _, h: happiness(h)),
            "layoutId": Constant(catalog.layout_id(m, 0)),
            **self._stamps(m),
            "cf": self._cf(m),
        }

    def _address(self, module: Module) -> dict[str, Maker]:
        return {
            "street": self._draw(module, "street", lambda _, h: pick(h, pools.STREETS), 300),
            "city": self._draw(module, "city", lambda _, h: pick(h, pools.CITIES), 200),
            "state": self._draw(module, "state", lambda _, h: pick(h, _STATES), 300),
            "country": self._draw(module, "country", lambda _, h: pick(h, pools.COUNTRIES), 200),
        }

    def _account_makers(self) -> dict[str, Maker]:
        m = ACCOUNTS

        def name(index: int, h: int) -> str:
            return f"{pick(h, pools.COMPANIES)} #{index + 1}"

        def site(index: int, h: int) -> str:
            return f"www.{directory.ascii_name(pick(h, pools.COMPANIES))}{index + 1}.example"

        def email(index: int, h: int) -> str:
            return f"it.{index + 1}@{pick(h, pools.DOMAINS)}"

        def crm(index: int, _: int) -> dict[str, str]:
            return {"id": f"48768760030{index + 1:08d}"}

        return {
            "id": lambda index: catalog.record_id(m.code, index),
            "accountName": self._draw(m, "accountName", name),
            "email": self._draw(m, "email", email, 150),
            "website": self._draw(m, "website", site, 200),
            "phone": self._draw(m, "phone", lambda _, h: phone(h), 100),
            "fax": self._draw(m, "fax", lambda _, h: phone(h), 800),
            "industry": self._draw(m, "industry", lambda _, h: pick(h, _INDUSTRIES), 250),
            "annualrevenue": Constant(None),
            "code": self._draw(m, "code", lambda i, _: f"ACC-{i + 1:06d}", 500),
            **self._address(m),
            "description": self._draw(m, "description", lambda _, h: pick(h, _PARAGRAPHS), 600),
            "ownerId": self._agent_maker(m, "ownerId", 200),
            "associatedSLAIds": Constant([catalog.record_id(catalog.SLA_CODE, 0)]),
            "zohoCRMAccount": self._draw(m, "zohoCRMAccount", crm, 600),
            "customerHappiness": self._draw(m, "customerHappiness", lambda _, h: happiness(h)),
            # A string in the doc example (Desk's API documentation, accounts).
            "isFollowing": Constant("false"),
            "isDeleted": Constant(False),
            "isTrashed": Constant(False),
            "layoutId": Constant(catalog.layout_id(m, 0)),
            **self._stamps(m),
            "cf": self._cf(m),
        }

    def _activity_makers(self, m: Module) -> dict[str, Maker]:
        times = functools.partial(self.times, m)
        tickets = self.size(TICKETS)

        def ticket(_: int, h: int) -> int | None:
            return below(h, tickets) if tickets else None

        ticket_of = self._draw(m, "ticketId", ticket, 300)

        def contact(index: int) -> str | None:
            number = ticket_of(index)
            if number is not None:
                return catalog.record_id(CONTACTS.code, self._contact_of(number))
            h = mix(self.seed, m.code, index, code("contactId"))
            contacts = self.size(CONTACTS)
            return catalog.record_id(CONTACTS.code, below(h, contacts)) if contacts else None

        def completed(index: int) -> str | None:
            done = self.value(m, index, "status") == "Completed"
            return timefmt.desk_datetime(times().modified[index]) if done else None

        def later(index: int, h: int) -> str:
            return timefmt.desk_datetime(times().created[index] + below(h, 30 * DAY_MS))

        def modifier(index: int, h: int) -> dict[str, Any]:
            agent = directory.agents()[pick(h, directory.WORKING_AGENTS)]
            return {
                "id": agent["id"],
                "firstName": agent["firstName"],
                "lastName": agent["lastName"],
                "photoURL": None,
            }

        status_values = m.field_map["status"].values
        makers: dict[str, Maker] = {
            "id": lambda index: catalog.record_id(m.code, index),
            "subject": self._draw(
                m, "subject", lambda _, h: pick(h, _ACTIVITY_SUBJECTS).format(n=below(h, 999))
            ),
            "departmentId": lambda index: directory.department_id(self._department(m, index)),
            "ticketId": lambda index: _maybe_id(TICKETS, ticket_of(index)),
            "contactId": contact,
            "ownerId": self._agent_maker(m, "ownerId"),
            "creatorId": self._agent_maker(m, "creatorId"),
            "status": self._draw(m, "status", lambda _, h: pick(h, status_values)),
            "priority": self._draw(
                m, "priority", lambda _, h: pick(h, catalog.ACTIVITY_PRIORITIES)
            ),
        }
        if "category" in m.field_map:
            categories = m.field_map["category"].values
            makers["category"] = self._draw(m, "category", lambda _, h: pick(h, categories), 200)
        if m is TASKS:
            makers["dueDate"] = self._draw(m, "dueDate", later, 250)
        else:
            makers["startTime"] = self._draw(m, "startTime", later)
            makers["duration"] = self._draw(m, "duration", lambda _, h: str(30 + below(h, 3600)))
        if m is CALLS:
            makers["direction"] = self._draw(
                m, "direction", lambda _, h: pick(h, catalog.CALL_DIRECTIONS)
            )
        return {
            **makers,
            "completedTime": completed,
            "description": self._draw(m, "description", lambda _, h: pick(h, _PARAGRAPHS), 400),
            "isSpam": Constant(False),
            **self._stamps(m),
            "modifiedBy": self._draw(m, "modifiedBy", modifier),
            "cf": self._cf(m),
        }


def source() -> dict[str, Any]:
    """A ticket's ``source``: every seeded and API-created ticket is a system one."""
    return {
        "appName": None,
        "extId": None,
        "permalink": None,
        "type": "SYSTEM",
        "appPhotoURL": None,
    }


def happiness(h: int) -> dict[str, str]:
    """``customerHappiness`` percentages (strings summing to 100)."""
    bad = below(h, 30)
    ok = below(h >> 9, 100 - bad)
    return {
        "badPercentage": str(bad),
        "okPercentage": str(ok),
        "goodPercentage": str(100 - bad - ok),
    }


def ascii_or_none(text: str | None) -> str | None:
    """A name folded to ASCII, or None for no name."""
    return directory.ascii_name(text) if text else None


def _maybe_id(module: Module, index: int | None) -> str | None:
    return None if index is None else catalog.record_id(module.code, index)


@functools.cache
def _module_times(seed: int, size: int, module_code: int, start: int, end: int) -> Times:
    """Created and modified times of a module's records, in epoch ms (see :func:`timeline`)."""
    created = array.array("q", bytes(8 * size))
    modified = array.array("q", bytes(8 * size))
    for index, (_, born, touched) in enumerate(
        timeline(seed, module_code, size, start, end, max_delay=120 * DAY_MS)
    ):
        created[index] = born
        modified[index] = touched
    return Times(created, modified)
