"""A Desk stream's lookups and owners: from the source org's ids to the destination's.

Desk lookups are bare ids (``departmentId``, ``contactId``, ``accountId``, ``assigneeId``,
``ownerId``...). One of a record the run wrote follows it to its copy's id. Else it keeps
its id when the destination has that record. Else it is matched by the looked-up record's
natural key (``NATURAL_KEYS``: a department's ``name``, an agent's ``emailId``, an account's
``accountName``, a contact's ``email``), which the source record's lookup does not carry, so it
comes from:

- the source's departments and agents, when the input carries tap-zoho's ``desk_departments``
  and ``desk_agents`` streams before the records pointing at them (their records are not
  written, only noted: :meth:`DeskSources.note`);
- the value itself when it is no Desk id (not all digits): ``"Support"`` for a department, an
  agent's email, as a warehouse may hold them;
- or the stream's ``lookups`` setting, naming a field of the looked-up module that holds the
  source record's id (``{"accountId": "cf_source_id"}``).

Agents and departments are read in full once (Desk cannot search them), accounts and contacts
searched in batches (``ZohoDesk.find_ids``: 50 values a call); all is cached for the run. An
agent lookup matching none goes to ``default_owner``, a department to ``default_department``.
Lookups of modules the client cannot read (``productId``, ``teamId``) are written as they are.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from target_zoho.lookup_base import Lookups, Place
from target_zoho.payloads import PayloadError
from zoho_connector.desk import LISTED, SEARCHABLE
from zoho_connector.errors import ZohoInputError, shown

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from zoho_connector.crm import ZohoCRM

#: A looked-up module's natural key: what a record is matched on in another org.
NATURAL_KEYS = {
    "departments": "name",
    "agents": "emailId",
    "accounts": "accountName",
    "contacts": "email",
}
#: Where a listed module's default comes from: the setting naming it.
_DEFAULTS = {"agents": "default_owner", "departments": "default_department"}


@dataclasses.dataclass(frozen=True)
class DeskMatch:
    """How a Desk lookup field's values are found in the destination.

    Attributes:
        field: The lookup field.
        module: The looked-up module.
        on: The looked-up module's field matched: its natural key, or the ``lookups``
            setting's field.
        by_id: Whether ``on`` holds the source record's id (the ``lookups`` setting).
    """

    field: str
    module: str
    on: str
    by_id: bool


@dataclasses.dataclass
class DeskSources:
    """The run's knowledge of the source org: its records' natural keys by their ids."""

    keys: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    def note(self, module: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Note the natural keys of source records of a module (departments, agents...)."""
        on = NATURAL_KEYS.get(module)
        if on is None:
            return
        known = self.keys.setdefault(module, {})
        for record in records:
            if record.get("id") and record.get(on):
                known[str(record["id"])] = str(record[on])


class DeskLookups(Lookups[DeskMatch]):
    """Resolves the lookups of one Desk module's records (see the module docstring).

    Args:
        desk: The destination org's client (a ZohoDesk).
        fields: The module's Desk field metadata.
        settings: The route's ``lookups``: lookup field → the looked-up module's field that
            holds the source record's id.

    Raises:
        ZohoInputError: ``settings`` names a field that is no lookup of an account, contact
            or ticket.
        unresolved: ``reject`` or ``drop``, as for CRM.
        defaults: ``default_owner`` (an agent's email) and ``default_department`` (a
            department's name): what an agent or department lookup matching none becomes.
        copies: Desk module → source record id → its copy's id, for the records the run wrote.
        sources: The source's departments and agents, as the input brought them.
    """

    def __init__(
        self,
        desk: ZohoCRM,
        fields: Iterable[Mapping[str, Any]],
        settings: Mapping[str, str],
        *,
        unresolved: str = "reject",
        defaults: Mapping[str, str | None] | None = None,
        copies: dict[str, dict[str, str]] | None = None,
        sources: DeskSources | None = None,
    ) -> None:
        fields = list(fields)
        lookups = {
            str(field["apiName"]): str(
                ((field.get("lookup") or {}).get("module") or {}).get("apiName")
            )
            for field in fields
            if field.get("type") == "LookUp" and not field.get("isComputed")
        }
        unknown = sorted(
            name for name in settings if lookups.get(name, "").lower() not in SEARCHABLE
        )
        if unknown:
            msg = (
                f"lookups names what is no lookup of a Desk account, contact or ticket: "
                f"{', '.join(unknown)} (agents and departments are matched by email and name)"
            )
            raise ZohoInputError(msg)
        matches = {}
        for name, module in ((n, m.lower()) for n, m in lookups.items()):
            if name in settings:
                matches[name] = DeskMatch(name, module, settings[name], by_id=True)
            elif module in NATURAL_KEYS or module in SEARCHABLE:
                on = NATURAL_KEYS.get(module, "id")
                matches[name] = DeskMatch(name, module, on, by_id=False)
        super().__init__(
            matches,
            unresolved=unresolved,
            copies=copies,
            waitable=[name for name, match in matches.items() if match.module in SEARCHABLE],
            mandatory=[str(field["apiName"]) for field in fields if field.get("isMandatory")],
        )
        self.desk = desk
        self.defaults = {module: (defaults or {}).get(key) for module, key in _DEFAULTS.items()}
        self.sources = DeskSources() if sources is None else sources
        #: (module, field) → casefolded value → the destination ids that have it.
        self._found: dict[tuple[str, str], dict[str, list[str]]] = {}

    @override
    def _written(self, target: str) -> Any:
        return target  # Desk lookups are bare ids

    @override
    def _look_up(self, needs: list[tuple[DeskMatch, Mapping[str, Any]]]) -> None:
        """Find what is not cached yet: the ids as they are, then by the match field."""
        needs = [
            (match, value)
            for match, value in needs
            if match.module in SEARCHABLE and not self._copied(match, value)
        ]
        ids: dict[str, set[str]] = {}
        for match, value in needs:
            if str(value["id"]).isdigit():  # only a Desk id can be the destination's own
                ids.setdefault(match.module, set()).add(str(value["id"]))
        for module, wanted in ids.items():
            self._find(module, "id", wanted)
        keyed: dict[tuple[str, str], set[str]] = {}
        for match, value in needs:
            key = self._key(match, value)
            if key is not None and not self._known(match.module, value):
                keyed.setdefault((match.module, match.on), set()).add(key)
        for (module, on), values in keyed.items():
            self._find(module, on, values)

    def _find(self, module: str, field: str, values: set[str]) -> None:
        cache = self._found.setdefault((module, field), {})
        # A miss is asked again: the record may have been written since.
        missing = {value for value in values if not cache.get(value.casefold())}
        if missing:
            cache.update(self.desk.find_ids(module, field, missing))

    def _listed(self, module: str) -> dict[str, list[str]]:
        """A listed module's (active) records' ids by id and by natural key; read once."""
        found = self._found.get((module, "*"))
        if found is None:
            found = self._found[(module, "*")] = {}
            for record in self.desk.records(module):
                if str(record.get("status", "ACTIVE")).upper() != "ACTIVE" or (
                    record.get("isEnabled") is False
                ):
                    continue  # a disabled agent or department takes nothing new
                record_id = str(record["id"])
                found[record_id] = [record_id]
                if record.get(NATURAL_KEYS[module]):
                    key = str(record[NATURAL_KEYS[module]]).casefold()
                    found.setdefault(key, []).append(record_id)
        return found

    def _known(self, module: str, value: Mapping[str, Any]) -> bool:
        """Whether the destination has the source lookup's own id."""
        return bool(self._found.get((module, "id"), {}).get(str(value["id"])))

    def _key(self, match: DeskMatch, value: Mapping[str, Any]) -> str | None:
        """What a source lookup is matched by in the destination (see the module docstring)."""
        source_id = str(value["id"])
        if match.by_id:
            return source_id
        noted = self.sources.keys.get(match.module, {}).get(source_id)
        if noted is not None:
            return noted
        return None if source_id.isdigit() or match.on == "id" else source_id

    @override
    def _target(self, match: DeskMatch, value: Mapping[str, Any]) -> str | None:
        copied = self._copied(match, value)
        if copied is not None:
            return copied
        key = self._key(match, value)
        if match.module in LISTED:
            listed = self._listed(match.module)
            default = self.defaults.get(match.module)
            for wanted in (str(value["id"]), key, default):
                ids = listed.get(wanted.casefold(), []) if wanted else []
                if len(ids) == 1:
                    return ids[0]
            return None
        if match.module not in SEARCHABLE:
            return str(value["id"])  # a module the client cannot read: as it is
        if self._known(match.module, value):
            return str(value["id"])
        ids = self._found.get((match.module, match.on), {}).get(key.casefold(), []) if key else []
        return ids[0] if len(ids) == 1 else None

    @override
    def _unresolved(self, place: Place, match: DeskMatch, value: Mapping[str, Any]) -> PayloadError:
        source_id = shown(repr(str(value["id"])))
        key = self._key(match, value)
        if key is None:
            how = {"agents": "desk_agents", "departments": "desk_departments"}.get(match.module)
            hint = (
                f"send the source's {how} stream before it"
                if how
                else "map the field in the stream's lookups"
            )
            message = (
                f"{source_id} is no {match.module} record of the destination, nor one this run "
                f"wrote, and its {match.on} is unknown ({hint}, or set unresolved_lookups to "
                "drop)"
            )
            return PayloadError(str(place), message, "LOOKUP_NOT_FOUND")
        if match.module in LISTED:
            found = self._listed(match.module).get(key.casefold(), [])
        else:
            found = self._found.get((match.module, match.on), {}).get(key.casefold(), [])
        which = f"{len(found)} {match.module} have" if found else f"no {match.module} has"
        setting = _DEFAULTS.get(match.module, "the stream's lookups")
        message = (
            f"{which} {match.on} = {shown(repr(key))} in the destination (the source's "
            f"{source_id}; set {setting}, or unresolved_lookups to drop)"
        )
        return PayloadError(str(place), message, "LOOKUP_NOT_FOUND")
