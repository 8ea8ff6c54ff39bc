"""Churn: records changing while clients read, as the org's other users change them.

At ``churn_per_second`` events a second, spread evenly, a random live record of
``churn_module`` is updated (one text field rewritten) or, for a ``churn_delete_share`` of the
events, deleted, through the very path an API update or delete takes: Modified_Time,
Modified_By, the data version and the recycle bin change as they would for a client's call.
The draws come from ``--seed``, so the same settings change the same records in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from typing import TYPE_CHECKING

from zoho_emulator import background
from zoho_emulator.crm import catalog
from zoho_emulator.crm.writes import Writer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.crm.store import ModuleStore
    from zoho_emulator.settings import Settings

#: How often a stopped churn looks at its rate again, and the longest wait between two looks.
_TICK_SECONDS = 0.1


class Churn:
    """Background updates and deletes of one module's records.

    Args:
        settings: The emulator settings, read at every event (run-time changes apply at once).
        org: The current CRM org (a reset replaces it).
    """

    def __init__(self, settings: Settings, org: Callable[[], CrmOrg]) -> None:
        self.settings = settings
        self._org = org
        self.reset()

    def reset(self) -> None:
        """Zero the counters and restart the draws (the data is the seed's again)."""
        self.updated = 0
        self.deleted = 0
        self._draws = random.Random(self.settings.seed)

    def stats(self) -> dict[str, int]:
        """The counters as ``GET /__emulator__/stats`` shows them under ``churn``."""
        return {"updated": self.updated, "deleted": self.deleted}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Churn while the server runs."""
        async with background.running(self._run()):
            yield

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            rate = self.settings.churn_per_second
            now = loop.time()
            if rate <= 0:
                due = now
                await asyncio.sleep(_TICK_SECONDS)
            elif now < due:
                await asyncio.sleep(min(due - now, _TICK_SECONDS))
            else:
                self._step()
                # After a call held the loop, catch up on at most a second of events.
                due = max(due + 1 / rate, now - 1)
                await asyncio.sleep(0)

    def _step(self) -> None:
        """One event: update a random live record of the churned module, or delete it."""
        org = self._org()
        store = org.stores[self.settings.churn_module]
        index = self._pick(store)
        if index is None:
            return
        module = store.module
        record_id = catalog.record_id(module.code, index)
        writer = Writer(org, module)
        if self._draws.random() < self.settings.churn_delete_share:
            writer.delete([record_id])
            self.deleted += 1
            return
        record = {"id": record_id}
        field = _churn_field(module)
        if field is not None:
            text = f"Churn update {self.updated + 1}"
            record[field.api_name] = text[: field.length] if field.length else text
        writer.update([record])
        self.updated += 1

    def _pick(self, store: ModuleStore) -> int | None:
        """A random live record; converted Leads are left alone (Zoho locks them)."""
        total = store.base_size + store.created
        if not total:
            return None
        start = self._draws.randrange(total)
        candidates = itertools.chain(range(start, total), range(start))
        return next((i for i in candidates if store.exists(i) and not store.is_converted(i)), None)


def _churn_field(module: Module) -> Field | None:
    """The field churn rewrites: Description, else the first optional textarea, else text."""
    candidates = [
        field
        for field in module.fields
        if field.writable
        and not (field.mandatory or field.unique)
        and field.data_type in ("text", "textarea")
    ]
    return min(
        candidates,
        key=lambda field: (field.api_name != "Description", field.data_type != "textarea"),
        default=None,
    )
