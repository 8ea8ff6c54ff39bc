"""The whole Desk state of one emulated org: seeded data, API writes, and cached selections."""

from __future__ import annotations

import collections
import re
from typing import TYPE_CHECKING, Any

from zoho_emulator.desk import criteria, directory, shapes
from zoho_emulator.desk.catalog import ACCOUNTS, CONTACTS, MODULES, TICKETS, Module
from zoho_emulator.desk.generator import Seeded
from zoho_emulator.desk.store import ModuleStore, now_ms
from zoho_emulator.desk.writes import Writer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from zoho_emulator.settings import Settings

_SELECTION_CACHE_SIZE = 16
#: Seeded contact emails end in ``.<record number>@domain``, which finds them without a scan.
_SEEDED_EMAIL = re.compile(r".*\.(\d+)@[^@]+")


class DeskOrg:
    """Seeded Desk data plus API writes.

    Args:
        settings: The emulator settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seeded = Seeded(settings)
        self.organization = directory.organization(settings.desk_org_id)
        self.departments = directory.departments(self.seeded.start_ms)
        self.agents = directory.agents()
        self.stores = {module.name: ModuleStore(module, self.seeded) for module in MODULES}
        self.writer = Writer(self.stores, self.seeded.blank, self.exists, self.find_contact)
        self._selections: collections.OrderedDict[tuple[Any, ...], Sequence[int]] = (
            collections.OrderedDict()
        )

    def store(self, module: Module) -> ModuleStore:
        """The records of a module."""
        return self.stores[module.name]

    def record(self, module: Module, index: int) -> dict[str, Any]:
        """The full current record (stored and derived keys)."""
        return shapes.full(module, self.store(module).stored(index), now_ms())

    def department(self, department_id: Any) -> dict[str, Any] | None:
        """A department by id."""
        return next((d for d in self.departments if d["id"] == department_id), None)

    def agent(self, agent_id: Any) -> dict[str, Any] | None:
        """An agent by id."""
        return next((a for a in self.agents if a["id"] == agent_id), None)

    def exists(self, target: str, record_id: str) -> bool:
        """Whether a LookUp may point at a record: it exists (agents: and are active)."""
        if target == "departments":
            return self.department(record_id) is not None
        if target == "agents":
            agent = self.agent(record_id)
            return agent is not None and agent["status"] == "ACTIVE"
        if target in self.stores:
            return self.stores[target].find(record_id) is not None
        return False  # teams and products: the emulated org has none

    def find_contact(self, email: str) -> int | None:
        """The live contact with an email address (case-insensitive), written ones first."""
        wanted = email.casefold()
        store = self.store(CONTACTS)
        for index, record in store.overlay.items():
            if store.exists(index) and str(record.get("email") or "").casefold() == wanted:
                return index
        match = _SEEDED_EMAIL.fullmatch(email)
        if match is None:
            return None
        index = int(match.group(1)) - 1
        if index >= store.base_size or index in store.overlay or not store.exists(index):
            return None
        seeded = store.value(index, "email")
        return index if seeded is not None and seeded.casefold() == wanted else None

    def value_of(self, module: Module) -> criteria.ValueOf:
        """Current values of a module's records, including the virtual keys searches use."""
        store = self.store(module)
        contacts, accounts = self.store(CONTACTS), self.store(ACCOUNTS)

        def name_of(index: int | None) -> str | None:
            if index is None:
                return None
            parts = (contacts.value(index, "firstName"), contacts.value(index, "lastName"))
            return " ".join(part for part in parts if part)

        def account_name(account_id: Any) -> Any:
            index = accounts.find(account_id)
            return None if index is None else accounts.value(index, "accountName")

        def value(index: int, key: str) -> Any:
            if key.startswith("cf_"):
                return store.value(index, "cf").get(key)
            if key == "contactName":
                return name_of(contacts.find(store.value(index, "contactId")))
            if key == "fullName":
                return name_of(index)
            if key == "accountName" and module is not ACCOUNTS:
                return account_name(store.value(index, "accountId"))
            if key in ("productName", "tag"):
                return None  # the emulated org has no products and no tags
            return store.value(index, key)

        return value

    def select(
        self, module: Module, sort: str, filters: tuple[criteria.Filter, ...]
    ) -> Sequence[int]:
        """Live records passing the filters, ascending by ``sort``; cached until a write."""
        version = tuple(store.version for store in self.stores.values())
        key = (version, module.name, sort, filters)
        cached = self._selections.get(key)
        if cached is None:
            cached = criteria.select(self.store(module), sort, filters, self.value_of(module))
            self._selections[key] = cached
            while len(self._selections) > _SELECTION_CACHE_SIZE:
                self._selections.popitem(last=False)
        else:
            self._selections.move_to_end(key)
        return cached

    def threads(self, ticket: int) -> list[dict[str, Any]]:
        """A ticket's threads, oldest first (tickets created through the API have none)."""
        return self.seeded.threads(ticket) if ticket < self.store(TICKETS).base_size else []

    def comments(self, ticket: int) -> list[dict[str, Any]]:
        """A ticket's comments, oldest first."""
        return self.seeded.comments(ticket) if ticket < self.store(TICKETS).base_size else []
