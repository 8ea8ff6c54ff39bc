"""What tap-zoho and target-zoho share as plugins: their clients, and what their streams did."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from zoho_connector.config import crm_client, desk_client
from zoho_connector.progress import Progress, run_summary
from zoho_connector.usage import Budget, Usage

if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

    from zoho_connector.crm import ZohoCRM
    from zoho_connector.desk import ZohoDesk


#: The Singer property marking a deleted record: tap-zoho emits it, target-zoho deletes on it.
DELETED_AT = "_sdc_deleted_at"


class ZohoPlugin:
    """Mixed into the tap and the target: shared clients, progress and summaries per stream.

    Clients connect on first use only. Every stream's calls are counted under its name
    (``zoho_connector.usage``); :meth:`log_summaries` reports them once, at the end of a run
    or when it fails.
    """

    #: The distribution both plugins ship in: the SDK reads their version from it.
    package_name: str | None = "zoho-singer"
    config: Mapping[str, Any]
    logger: logging.Logger
    _summarized = False

    def client_options(self) -> dict[str, Any]:
        """Options of both clients: ``n_concurrent`` calls in flight, the run's credit budget."""
        return {"n_concurrent": int(self.config.get("n_concurrent", 4)), "budget": self.budget}

    @functools.cached_property
    def budget(self) -> Budget | None:
        """The run's ``max_credits``, shared by both clients (none when unset)."""
        limit = self.config.get("max_credits")
        return None if limit is None else Budget(int(limit))

    @functools.cached_property
    def crm(self) -> ZohoCRM:
        """The connected CRM client."""
        return crm_client(self.config, **self.client_options())

    @functools.cached_property
    def desk(self) -> ZohoDesk:
        """The connected Desk client (needs ``desk_org_id``)."""
        return desk_client(self.config, **self.client_options())

    @functools.cached_property
    def progresses(self) -> dict[str, Progress]:
        """Each stream's progress, by stream name, in the order the streams started."""
        return {}

    def progress(self, stream: str, verb: str, logger: logging.Logger) -> Progress:
        """The progress of one stream ("read" or "written"), the same for the whole run."""
        if stream not in self.progresses:
            seconds = self.config.get("progress_seconds")
            interval = 30.0 if seconds is None else float(seconds)
            self.progresses[stream] = Progress(
                logger, stream, verb, interval, lambda: self.usage(stream)
            )
        return self.progresses[stream]

    def usage(self, scope: str | None = None) -> Usage:
        """Calls and credits of one scope (a stream's name), or of everything: both products."""
        total = Usage()
        for client in self._connected():
            usage = client.http.ledger.total() if scope is None else client.http.ledger.of(scope)
            total.calls += usage.calls
            total.credits += usage.credits
        return total

    def log_summaries(self, *, failed: bool = False) -> None:
        """Log each stream's records, calls and credits, then the run's; once a run."""
        if self._summarized:
            return
        self._summarized = True
        for progress in self.progresses.values():
            if progress.done or progress.failed or progress.usage().calls:
                progress.logger.info("%s", progress.summary())
        self.logger.info("%s", run_summary(list(self.progresses.values()), self.usage(), failed))

    def _connected(self) -> list[ZohoCRM | ZohoDesk]:
        """The clients this run connected (a cached property is in ``__dict__`` once used)."""
        return [self.__dict__[name] for name in ("crm", "desk") if name in self.__dict__]
