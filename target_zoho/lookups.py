"""A stream's lookups and owners: from the source org's ids to the destination org's.

A lookup of a record the run wrote (a copy's parent) follows it to its copy's id. Else it
keeps its id when the destination has that record (a record written back to its own
org). Else it is matched on a field of the looked-up module: the route's ``lookups`` setting
names one that holds the source record's id (an external id field), or by default the
module's name field (``Account_Name``, ``Full_Name``...) is matched with the lookup's name.
Owners and user lookups are matched by the user's email (``default_owner`` when none is),
a record's layout by its name. The lookups inside subform rows (a line item's product) and
a multi-select lookup's linked records are resolved the same way, in the same batches; one
that matches nothing is named by its path (``Visit_Items[2].Product``).
Values are looked up in batches (COQL ``in``, 50 values a call) and cached for the run.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from target_zoho.lookup_base import Lookups, Place
from target_zoho.payloads import PayloadError
from zoho_connector import fields as zoho_fields
from zoho_connector.errors import ZohoInputError, shown

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from target_zoho.lookup_base import Later
    from zoho_connector.crm import ZohoCRM

#: The looked-up "module" of owner and user lookups.
USERS = "users"
#: The looked-up "module" of a record's layout (matched by id, else by name).
LAYOUTS = "layouts"


@dataclasses.dataclass(frozen=True)
class Match:
    """How a lookup field's values are found in the destination.

    Attributes:
        field: The lookup field.
        module: The looked-up module (``users`` for owners).
        on: The looked-up module's field matched (``email`` for users).
        by_id: Whether the source lookup's id is matched (else its name, or a user's email).
    """

    field: str
    module: str
    on: str
    by_id: bool

    def value(self, source: Mapping[str, Any]) -> str | None:
        """What a source lookup (``{"id", "name"}``) is matched by: its id or its name."""
        value = source.get("id" if self.by_id else "name")
        return None if value in (None, "") else str(value)


class CrmLookups(Lookups[Match]):
    """Resolves the lookups of one CRM module's records (see the module docstring).

    Args:
        crm: The destination org's client.
        module: The module written.
        fields: The module's fields, by API name.
        settings: The route's ``lookups``: lookup field → the looked-up module's field that
            holds the source record's id.

    Raises:
        ZohoInputError: ``settings`` names a field that is no writable lookup.
        unresolved: ``reject`` (the record fails, naming the field) or ``drop`` (the lookup
            is left out).
        default_owner: The email of the user owning records whose owner matches none.
        copies: Module → source record id → its copy's id, for the records the run wrote
            (shared by the run's streams): a lookup of one of them follows it first.
    """

    def __init__(
        self,
        crm: ZohoCRM,
        module: str,
        fields: Mapping[str, Mapping[str, Any]],
        settings: Mapping[str, str],
        *,
        unresolved: str = "reject",
        default_owner: str | None = None,
        copies: dict[str, dict[str, str]] | None = None,
    ) -> None:
        matches = {
            name: match
            for name, field in fields.items()
            if (match := _match(field, settings.get(name))) is not None
        }
        super().__init__(
            matches,
            unresolved=unresolved,
            copies=copies,
            waitable=[n for n, match in matches.items() if match.module not in (USERS, LAYOUTS)],
            mandatory=[name for name in matches if fields[name].get("system_mandatory")],
        )
        self.crm = crm
        self.module = module
        self.default_owner = default_owner
        #: Subform and multi-select lookup field → the lookups of its rows.
        self.row_matches = {
            name: matches
            for name, field in fields.items()
            if zoho_fields.writable(field) and (matches := _row_matches(crm, field))
        }
        #: Multi-select lookup fields: a row whose linked record matches nothing is dropped.
        self.links = {
            name for name, field in fields.items() if field.get("data_type") == "multiselectlookup"
        }
        unknown = sorted(
            name
            for name in settings
            if name not in self.matches or self.matches[name].module in (USERS, LAYOUTS)
        )
        if unknown:
            msg = (
                f"lookups names what is no writable lookup of a module: {', '.join(unknown)} "
                "(owners and user lookups are matched by email)"
            )
            raise ZohoInputError(msg)
        #: (module, field) → casefolded value → the destination ids that have it.
        self._found: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._users: dict[str, list[str]] | None = None

    @override
    def resolve(
        self,
        sources: Sequence[Mapping[str, Any]],
        payloads: Sequence[dict[str, Any]],
        coming: Collection[str] = (),
        later: Later | None = None,
    ) -> dict[int, PayloadError]:
        """The lookups resolved, the rows' too; with ``drop``, the links dropped taken out."""
        failures = super().resolve(sources, payloads, coming, later)
        if self.on_unresolved == "drop":
            for payload in payloads:
                self._unlink_dropped(payload)
        return failures

    @override
    def _present(
        self, source: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> Iterator[tuple[Place, Match, Any]]:
        """The lookups a write body sets: its lookup fields, and its rows' lookups."""
        yield from super()._present(source, payload)
        for name, matches in self.row_matches.items():
            rows, source_rows = payload.get(name), source.get(name)
            if not isinstance(rows, list) or not isinstance(source_rows, list):
                continue
            # The body's rows are the source's, in order (rows kept by a merge come after).
            for number, (source_row, row) in enumerate(zip(source_rows, rows, strict=False)):
                if not isinstance(source_row, dict) or not isinstance(row, dict):
                    continue
                for match in matches.values():
                    if source_row.get(match.field) not in (None, "") and match.field in row:
                        yield Place(name, number, match.field), match, source_row[match.field]

    @override
    def _set(self, payload: dict[str, Any], place: Place, value: Any) -> None:
        """Set a lookup of a write body; None leaves it out (a link, its whole row)."""
        if place.key is None:
            super()._set(payload, place, value)
        elif value is not None:
            payload[place.field][place.row][place.key] = value
        elif place.field in self.links:
            payload[place.field][place.row] = None  # taken out by _unlink_dropped
        else:
            del payload[place.field][place.row][place.key]

    def _unlink_dropped(self, payload: dict[str, Any]) -> None:
        """Take out the links dropped; a field left with none is not written."""
        for name in self.links:
            rows = payload.get(name)
            if isinstance(rows, list) and None in rows:
                kept = [row for row in rows if row is not None]
                if kept:
                    payload[name] = kept
                else:
                    del payload[name]

    @override
    def _look_up(self, needs: list[tuple[Match, Mapping[str, Any]]]) -> None:
        """Find what is not cached yet: first the ids as they are, then by the match field."""
        needs = [
            (match, value)
            for match, value in needs
            if match.module not in (USERS, LAYOUTS) and not self._copied(match, value)
        ]
        ids: dict[str, set[str]] = {}
        for match, value in needs:
            # Only a Zoho id (digits) can be the destination's own; COQL refuses others.
            if str(value.get("id", "")).isdigit():
                ids.setdefault(match.module, set()).add(str(value["id"]))
        for module, wanted in ids.items():
            self._find(module, "id", wanted)
        wanted_by: dict[tuple[str, str], set[str]] = {}
        for match, value in needs:
            key = match.value(value)
            if key is not None and not self._known(match, value):
                wanted_by.setdefault((match.module, match.on), set()).add(key)
        for (module, on), values in wanted_by.items():
            self._find(module, on, values)

    def _find(self, module: str, field: str, values: set[str]) -> None:
        cache = self._found.setdefault((module, field), {})
        # A miss is asked again: the record may have been written since (a parent later in
        # the run).
        missing = {value for value in values if not cache.get(value.casefold())}
        if missing:
            cache.update(self.crm.find_ids(module, field, missing))

    def _user_index(self) -> dict[str, list[str]]:
        """The destination's active users' ids, by id and by email casefolded; read once."""
        if self._users is None:
            self._users = {}
            for user in self.crm.users():
                if user.get("status") != "active":
                    continue
                self._users[str(user["id"])] = [str(user["id"])]
                for key in ("email", "full_name"):
                    if user.get(key):
                        name = str(user[key]).casefold()
                        self._users.setdefault(name, []).append(str(user["id"]))
        return self._users

    def _known(self, match: Match, value: Mapping[str, Any]) -> bool:
        """Whether the destination has the source lookup's own id."""
        found = self._found.get((match.module, "id"), {})
        return bool(found.get(str(value.get("id", "")).casefold()))

    @override
    def _target(self, match: Match, value: Mapping[str, Any]) -> str | None:
        """The destination id a source lookup resolves to, or None."""
        copied = self._copied(match, value)
        if copied is not None:
            return copied
        if match.module == USERS:
            return self._user(value)
        if match.module == LAYOUTS:
            return self._layout(value)
        if self._known(match, value):
            return str(value["id"])
        key = match.value(value)
        found = self._found.get((match.module, match.on), {})
        ids = found.get(key.casefold(), []) if key is not None else []
        return ids[0] if len(ids) == 1 else None

    def _layout(self, value: Mapping[str, Any]) -> str | None:
        """A source layout's destination id: the same id, else the layout of its name."""
        layouts = self.crm.references.layouts(self.module)
        if str(value.get("id")) in layouts:
            return str(value["id"])
        name = str(value.get("name") or "").casefold()
        named = [layout for layout, label in layouts.items() if label.casefold() == name]
        return named[0] if len(named) == 1 else None

    def _user(self, value: Mapping[str, Any]) -> str | None:
        """A source user's destination id: the same id, else by email, else the default.

        A user lookup carries no email: its user's name stands for it.
        """
        users = self._user_index()
        keys = (
            value.get("id"),
            value.get("email"),
            None if value.get("email") else value.get("name"),
        )
        for key in (str(key).casefold() for key in keys if key):
            if key and len(users.get(key, [])) == 1:
                return users[key][0]
        default = users.get((self.default_owner or "").casefold(), [])
        return default[0] if self.default_owner and len(default) == 1 else None

    @override
    def _unresolved(self, place: Place, match: Match, value: Mapping[str, Any]) -> PayloadError:
        if match.module == USERS:
            who = value.get("email") or value.get("name") or value.get("id")
            message = (
                f"no active user of the destination is {shown(repr(who))} (by id or email; set "
                "default_owner, or unresolved_lookups to drop)"
            )
            return PayloadError(str(place), message, "LOOKUP_NOT_FOUND")
        key = match.value(value)
        found = self._found.get((match.module, match.on), {})
        count = len(found.get(key.casefold(), [])) if key is not None else 0
        which = f"{count} {match.module} records have" if count else f"no {match.module} record has"
        message = (
            f"{which} {match.on} = {shown(repr(key))} in the destination (map the field in "
            "the stream's lookups, or set unresolved_lookups to drop)"
        )
        return PayloadError(str(place), message, "LOOKUP_NOT_FOUND")


def _row_matches(crm: ZohoCRM, field: Mapping[str, Any]) -> dict[str, Match]:
    """How the lookups of a subform's rows, or a multi-select lookup's linked record, match.

    A row's lookups match on their module's name field (the ``lookups`` setting names the
    record's own fields); layouts are the parent's.
    """
    if field.get("data_type") not in ("subform", "multiselectlookup"):
        return {}
    linked = zoho_fields.linked_lookup(field)
    matches = {}
    for row_field in crm.row_fields(field):
        match = _match(row_field, None)
        if match is None or match.module == LAYOUTS:
            continue
        if field.get("data_type") == "subform" or match.field == linked:
            matches[match.field] = match
    return matches


def _match(field: Mapping[str, Any], setting: str | None) -> Match | None:
    """How a writable lookup field is matched, or None for a field that is no lookup."""
    name = str(field.get("api_name"))
    data_type = field.get("data_type")
    if not zoho_fields.writable(field):
        return None
    if data_type in ("ownerlookup", "userlookup"):
        return Match(name, USERS, "email", by_id=False)
    if data_type == "layout":
        return Match(name, LAYOUTS, "name", by_id=False)
    module = zoho_fields.lookup_module(field)
    if data_type not in ("lookup", "multi_module_lookup") or module is None:
        return None
    if setting:
        return Match(name, module, setting, by_id=True)
    return Match(name, module, zoho_fields.NAME_FIELDS.get(module, "Name"), by_id=False)
