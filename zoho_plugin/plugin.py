"""What tap-zoho and target-zoho share as plugins: their clients, and what their streams did."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.exceptions import ConfigValidationError

from zoho_connector.config import crm_client, desk_client
from zoho_connector.progress import Progress, run_summary
from zoho_connector.usage import Budget, Usage
from zoho_plugin.checks import (
    PRODUCT_NAMES,
    config_file_problem,
    settings_to_blame,
    unknown_settings,
)

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    import click

    from zoho_connector.crm import ZohoCRM
    from zoho_connector.desk import ZohoDesk


#: The Singer property marking a deleted record: tap-zoho emits it, target-zoho deletes on it.
DELETED_AT = "_sdc_deleted_at"


class ZohoPlugin:
    """Mixed into the tap and the target: shared clients, progress and summaries per stream.

    Clients connect on first use only. Every stream's calls are counted under its name
    (``zoho_connector.usage``); :meth:`summarized` reports them once, at the end of the run,
    however it ends.
    """

    #: The distribution both plugins ship in: the SDK reads their version from it.
    package_name: str | None = "zoho-singer"
    name: str
    config_jsonschema: ClassVar[dict[str, Any]]
    config: Mapping[str, Any]
    logger: logging.Logger

    @classmethod
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        """The SDK's reading of the ``--config`` files, once each is a JSON object.

        One that is not fails the run in one line (:func:`config_file_problem`).
        """
        problem = config_file_problem(cls.name, value)
        if problem:
            ctx.fail(problem)
        return super().cb_config(ctx, param, value)  # type: ignore[misc]  # the SDK plugin's, next

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
        """The connected CRM client (connecting, one call, checks the credentials and host).

        Raises:
            ConfigValidationError: CRM refused them: one line naming the setting to fix.
        """
        with settings_to_blame("crm", self.config):
            return crm_client(self.config, **self.client_options())

    @functools.cached_property
    def desk(self) -> ZohoDesk:
        """The connected Desk client (needs ``desk_org_id``, which connecting checks).

        Raises:
            ConfigValidationError: Desk refused the org, credentials or host: one line naming
                the setting to fix.
        """
        with settings_to_blame("desk", self.config):
            return desk_client(self.config, **self.client_options())

    def check_products(self, products: Iterable[str]) -> None:
        """Connect the clients of these products now, before any record: one call each.

        Raises:
            ConfigValidationError: A product refused the config.
        """
        for product in products:
            client = self.crm if product == "crm" else self.desk
            self.logger.info("%s answers at %s", PRODUCT_NAMES[product], client.url)

    def checked_config(self, errors: list[str], *, raise_errors: bool) -> list[str]:
        """The SDK's config errors, and the settings of the config that no setting names.

        A near miss of a setting (a typo) is an error; another unknown name, a warning. Call
        it after the SDK's checks, which add its own settings (``stream_maps``...) to the
        schema.

        Raises:
            ConfigValidationError: There are errors, and ``raise_errors`` is set.
        """
        known = self.config_jsonschema.get("properties") or {}
        typos, others = unknown_settings(self.name, self.config, known)
        for line in others:
            self.logger.warning("%s", line)
        errors = [*errors, *typos]
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        for line in typos:
            self.logger.warning("%s", line)
        return errors

    @functools.cached_property
    def progresses(self) -> dict[str, Progress]:
        """Each stream's progress, by stream name, in the order the streams started."""
        return {}

    def progress(
        self, stream: str, verb: str, logger: logging.Logger, kinds: Sequence[str] = ()
    ) -> Progress:
        """The progress of one stream ("read" or "written"), the same for the whole run.

        ``kinds``: what its records can become, counted apart (see :class:`Progress`).
        """
        if stream not in self.progresses:
            seconds = self.config.get("progress_seconds")
            interval = 30.0 if seconds is None else float(seconds)
            self.progresses[stream] = Progress(
                logger, stream, verb, interval, lambda: self.usage(stream), kinds
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

    @contextlib.contextmanager
    def summarized(self) -> Iterator[None]:
        """Around the whole run: then each stream's records, calls and credits, and the run's.

        Logged once, whether the run ends well or by an error (then marked as failed).
        """
        failed = True
        try:
            yield
            failed = False
        finally:
            for progress in self.progresses.values():
                if progress.done or progress.failed or progress.usage().calls:
                    progress.logger.info("%s", progress.summary())
            summary = run_summary(list(self.progresses.values()), self.usage(), failed)
            self.logger.info("%s", summary)

    def _connected(self) -> list[ZohoCRM | ZohoDesk]:
        """The clients this run connected (a cached property is in ``__dict__`` once used)."""
        return [self.__dict__[name] for name in ("crm", "desk") if name in self.__dict__]
