"""Desk writes: create, update and move to trash, with Desk's validation.

A write is refused as a whole with 422 INVALID_DATA listing every field at fault, each named
by a JSON pointer (``/contactId``, ``/cf/cf_units``) with ``errorType`` ``missing`` or
``invalid``. Keys that are unknown or read-only are refused too: the emulator never ignores
what it cannot store. Bodies and errors follow Zoho's OpenAPI files (``Ticket.json``,
``Contact.json``, ``Account.json``, ``Common.json``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt
from zoho_emulator.desk import catalog, directory
from zoho_emulator.desk.catalog import ACTIVITIES, CONTACTS, TICKETS, Field, Module
from zoho_emulator.desk.store import now_ms
from zoho_emulator.errors import DeskError

if TYPE_CHECKING:
    from zoho_emulator.desk.store import ModuleStore

INVALID_DATA_MESSAGE = "The data does not comply to the validation restrictions defined."
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WHOLE = re.compile(r"-?\d{1,18}")
_DECIMAL = re.compile(r"-?\d{1,18}(\.\d{1,9})?")
#: What a ticket gets when the create body does not say (UNCONFIRMED).
_TICKET_DEFAULTS = {"status": "Open", "channel": "Email", "language": "English"}
_ACTIVITY_DEFAULT_STATUS = {"tasks": "Not Started", "calls": "Scheduled", "events": "Scheduled"}
_CONTACT_OBJECT_KEYS = ("lastName", "firstName", "email", "phone")

#: Whether a record of a module (by name) exists under an id: the check of LookUp values.
Exists = Callable[[str, str], bool]
#: The live contact with an email address, if any.
FindContact = Callable[[str], int | None]


def invalid_data(errors: list[dict[str, str]]) -> DeskError:
    """Desk's 422 INVALID_DATA with field errors."""
    return DeskError(422, "INVALID_DATA", INVALID_DATA_MESSAGE, errors)


def _error(pointer: str, kind: str, message: str) -> dict[str, str]:
    return {"fieldName": pointer, "errorType": kind, "errorMessage": message}


def _blank(value: Any) -> bool:
    return value is None or value == ""


class Writer:
    """Validates and applies the writes of one org.

    Args:
        stores: The org's module stores by module name.
        blank: A new record's stored keys for a module.
        exists: The LookUp check.
        find_contact: Contact matching by email (a ticket's ``contact`` object).
    """

    def __init__(
        self,
        stores: dict[str, ModuleStore],
        blank: Callable[[Module], dict[str, Any]],
        exists: Exists,
        find_contact: FindContact,
    ) -> None:
        self._stores = stores
        self._blank = blank
        self._exists = exists
        self._find_contact = find_contact

    # -- the three operations --------------------------------------------------------------

    def create(self, module: Module, body: dict[str, Any]) -> int:
        """Create a record; its index.

        Raises:
            DeskError: 422 INVALID_DATA.
        """
        errors: list[dict[str, str]] = []
        values = self._checked(module, body, creating=True, errors=errors)
        self._settle(module, body, values, errors)
        store = self._stores[module.name]
        record = self._blank(module)
        record.update(self._defaults(module, store.base_size + store.created, values))
        record.update(values)
        record["cf"] = {
            field.api_name: values.get("cf", {}).get(field.api_name)
            for field in module.custom_fields
        }
        now = timefmt.desk_datetime(now_ms())
        record.update(createdTime=now, **self._stamp(module, record, now, status_changed=True))
        del record["id"]
        return store.create(record)

    def update(self, module: Module, index: int, body: dict[str, Any]) -> None:
        """Change a live record.

        Raises:
            DeskError: 422 INVALID_DATA.
        """
        errors: list[dict[str, str]] = []
        values = self._checked(module, body, creating=False, errors=errors)
        self._settle(module, body, values, errors)
        store = self._stores[module.name]
        record = store.stored(index)
        if "cf" in values:
            values["cf"] = {**record["cf"], **values["cf"]}
        if module is TICKETS and "contactId" in values and "accountId" not in values:
            values["accountId"] = self._contact_value(values["contactId"], "accountId")
        changed = "status" in values and values["status"] != record.get("status")
        record.update(values)
        now = timefmt.desk_datetime(now_ms())
        store.update(index, {**values, **self._stamp(module, record, now, status_changed=changed)})

    def trash(self, module: Module, body: dict[str, Any]) -> None:
        """Move the records a ``moveToTrash`` body names to the Recycle Bin.

        Raises:
            DeskError: 422 INVALID_DATA: no id list, an unknown key, or an id that names no
                live record (nothing is trashed then).
        """
        key = module.trash_key
        pointer = f"/{key}"
        errors = [
            _error(f"/{extra}", "invalid", f"'{extra}' is not a valid key")
            for extra in body
            if extra != key
        ]
        ids = body.get(key)
        if ids is None:
            errors.append(_error(pointer, "missing", f"'{key}' is required"))
        elif not isinstance(ids, list) or not ids:
            errors.append(_error(pointer, "invalid", f"'{key}' must be a non-empty list of ids"))
        store = self._stores[module.name]
        indexes: list[int] = []
        for number, record_id in enumerate(ids if isinstance(ids, list) else []):
            index = store.find(record_id) if isinstance(record_id, str | int) else None
            if index is None:
                errors.append(
                    _error(f"{pointer}/{number}", "invalid", f"No record with id {record_id}")
                )
            else:
                indexes.append(index)
        if errors:
            raise invalid_data(errors)
        store.trash(indexes)

    # -- validation ------------------------------------------------------------------------

    def _checked(
        self,
        module: Module,
        body: dict[str, Any],
        *,
        creating: bool,
        errors: list[dict[str, str]],
        prefix: str = "",
    ) -> dict[str, Any]:
        """The stored values a body sets; problems are appended to ``errors``."""
        values: dict[str, Any] = {}
        for key, value in body.items():
            field = module.field_map.get(key)
            pointer = f"{prefix}/{key}"
            if key == "cf":
                values["cf"] = self._checked_cf(module, value, errors, prefix)
            elif key == "contact" and module is TICKETS and not prefix:
                continue
            elif field is None or field.custom or not field.writable:
                errors.append(_error(pointer, "invalid", f"'{key}' is not a field that can be set"))
            elif _blank(value) and (field.mandatory or key == "status"):
                kind = "missing" if creating else "invalid"
                errors.append(_error(pointer, kind, f"'{key}' is mandatory"))
            else:
                problem = self._problem(field, value)
                if problem:
                    errors.append(_error(pointer, "invalid", problem))
                else:
                    values[key] = (
                        str(value) if field.type == "LookUp" and value is not None else value
                    )
        if creating:
            for field in module.fields:
                wanted = field.mandatory and not field.custom and field.api_name not in body
                if wanted and not (field.api_name == "contactId" and "contact" in body):
                    errors.append(
                        _error(
                            f"{prefix}/{field.api_name}",
                            "missing",
                            f"'{field.api_name}' is mandatory",
                        )
                    )
        return values

    def _checked_cf(
        self, module: Module, cf: Any, errors: list[dict[str, str]], prefix: str
    ) -> dict[str, Any]:
        if not isinstance(cf, dict):
            errors.append(_error(f"{prefix}/cf", "invalid", "'cf' must be an object"))
            return {}
        values = {}
        for name, value in cf.items():
            field = module.field_map.get(name)
            pointer = f"{prefix}/cf/{name}"
            if field is None or not field.custom:
                errors.append(_error(pointer, "invalid", f"'{name}' is not a custom field"))
            elif value is not None and not isinstance(value, str):
                # Custom-field values travel as strings whatever the type (Zoho's OpenAPI files).
                errors.append(_error(pointer, "invalid", f"'{name}' must be a string or null"))
            elif problem := self._problem(field, value):
                errors.append(_error(pointer, "invalid", problem))
            else:
                values[name] = value
        return values

    def _problem(self, field: Field, value: Any) -> str | None:
        """What is wrong with a value for a field, or None."""
        if value is None:
            return None
        if field.type == "LookUp":
            return self._lookup_problem(field, value)
        if not isinstance(value, str):
            return f"'{field.api_name}' must be a string"
        if field.type in catalog.TEXT_TYPES:
            return _text_problem(field, value)
        return _format_problem(field, value)

    def _lookup_problem(self, field: Field, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"'{field.api_name}' must be an id"
        if not self._exists(field.lookup or "", str(value)):
            return f"{field.api_name} is not valid"
        return None

    def _settle(
        self,
        module: Module,
        body: dict[str, Any],
        values: dict[str, Any],
        errors: list[dict[str, str]],
    ) -> None:
        """Refuse the write if anything is wrong, else resolve a ticket's ``contact`` object.

        Raises:
            DeskError: 422 INVALID_DATA.
        """
        contact = self._checked_contact(body, errors) if module is TICKETS else None
        if errors:
            raise invalid_data(errors)
        if contact is not None:
            index = self._find_contact(contact["email"])
            if index is None:
                index = self.create(CONTACTS, contact)
            values["contactId"] = catalog.record_id(CONTACTS.code, index)

    def _checked_contact(
        self, body: dict[str, Any], errors: list[dict[str, str]]
    ) -> dict[str, Any] | None:
        """A ticket's ``contact`` object: the contact's values, matched by email later."""
        contact = body.get("contact")
        if contact is None:
            return None
        if "contactId" in body:
            errors.append(_error("/contact", "invalid", "send either contactId or contact"))
            return None
        if not isinstance(contact, dict):
            errors.append(_error("/contact", "invalid", "'contact' must be an object"))
            return None
        errors.extend(
            _error(f"/contact/{key}", "invalid", f"'{key}' is not a valid key")
            for key in contact
            if key not in _CONTACT_OBJECT_KEYS
        )
        if _blank(contact.get("email")):
            errors.append(_error("/contact/email", "missing", "'email' is mandatory"))
        known = {key: value for key, value in contact.items() if key in _CONTACT_OBJECT_KEYS}
        return self._checked(CONTACTS, known, creating=True, errors=errors, prefix="/contact")

    # -- derived stored values -------------------------------------------------------------

    def _contact_value(self, contact_id: str, key: str) -> Any:
        store = self._stores[CONTACTS.name]
        index = store.find(contact_id)
        return None if index is None else store.value(index, key)

    def _defaults(self, module: Module, index: int, values: dict[str, Any]) -> dict[str, Any]:
        """What a new record has where the body is silent."""
        api_user = directory.agent_id(directory.API_USER)
        if module is TICKETS:
            contact = values["contactId"]
            department = catalog.parse_id(values["departmentId"], catalog.DEPARTMENT_CODE) or 0
            return {
                **_TICKET_DEFAULTS,
                "ticketNumber": str(101 + index),
                "email": self._contact_value(contact, "email"),
                "phone": self._contact_value(contact, "phone"),
                "accountId": self._contact_value(contact, "accountId"),
                "layoutId": catalog.layout_id(TICKETS, department),
                "slaId": catalog.record_id(catalog.SLA_CODE, department),
                "createdBy": api_user,
                "threadCount": "0",
                "commentCount": "0",
            }
        if module in ACTIVITIES:
            return {"status": _ACTIVITY_DEFAULT_STATUS[module.name], "creatorId": api_user}
        return {}

    def _stamp(
        self, module: Module, record: dict[str, Any], now: str, *, status_changed: bool
    ) -> dict[str, Any]:
        """ModifiedTime and modifiedBy of a write, and the times a status change sets."""
        stamp: dict[str, Any] = {"modifiedTime": now}
        if "modifiedBy" in record:
            stamp["modifiedBy"] = _modifier(module)
        if status_changed and module is TICKETS:
            status_type = catalog.TICKET_STATUSES[record["status"]]
            stamp["closedTime"] = now if status_type == "Closed" else None
            stamp["onholdTime"] = now if status_type == "On Hold" else None
        if status_changed and module in ACTIVITIES:
            stamp["completedTime"] = now if record["status"] == "Completed" else None
        return stamp


def _modifier(module: Module) -> Any:
    """The API user as a record's modifiedBy: an id on tickets, an object on activities."""
    if module is TICKETS:
        return directory.agent_id(directory.API_USER)
    agent = directory.agents()[directory.API_USER]
    return {key: agent[key] for key in ("id", "firstName", "lastName", "photoURL")}


def _text_problem(field: Field, value: str) -> str | None:
    if len(value) > field.max_length:
        return f"'{field.api_name}' is longer than {field.max_length} characters"
    if field.type == "Email" and value and not _EMAIL.fullmatch(value):
        return f"'{field.api_name}' is not an email address"
    return None


def _format_problem(field: Field, value: str) -> str | None:
    """Whether a string fits a typed field (Picklist, Date, DateTime, numbers, Boolean)."""
    kind = field.type
    name = field.api_name
    if kind == "Picklist" and value not in field.values:
        return f"'{value}' is not an allowed value of {name}"
    if kind == "Multiselect" and not all(part in field.values for part in value.split(";")):
        return f"'{value}' has values {name} does not allow"
    if kind == "Date" and not timefmt.is_date(value):
        return f"'{name}' must be a date (yyyy-MM-dd)"
    if kind == "DateTime":
        try:
            timefmt.parse_desk_datetime(value)
        except ValueError:
            return f"'{name}' must be a datetime (yyyy-MM-ddTHH:mm:ss.SSSZ)"
    if kind == "Number" and not _WHOLE.fullmatch(value):
        return f"'{name}' must be a whole number"
    if kind in ("Percent", "Decimal", "Currency") and not _DECIMAL.fullmatch(value):
        return f"'{name}' must be a number"
    if kind == "Boolean" and value not in ("true", "false"):
        return f"'{name}' must be true or false"
    return None


def trash_ids(body: dict[str, Any], module: Module) -> Sequence[Any]:
    """The ids a ``moveToTrash`` body names (for its credits: 6 a record, see TRASH_CREDITS)."""
    ids = body.get(module.trash_key)
    return ids if isinstance(ids, list) else []
