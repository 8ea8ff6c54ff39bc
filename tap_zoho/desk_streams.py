"""Desk streams: modules by modified time, agents and departments in full, ticket children.

Searchable modules (tickets, contacts, accounts, tasks, calls, events) are read ascending by
modifiedTime by keyset (``zoho_connector.desk_reader``), so their bookmarks advance as they go
and an interrupted sync resumes at its bookmark (taken inclusively: the records of that
millisecond come again). A record changed during the read comes again later in it, with its
new modifiedTime, so the order, and the bookmark, only go forward. A ticket's threads and
comments are read when the ticket is (it changed since the last run), and only when its
counters say it has any.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho.desk_schema import STATIC_SCHEMAS
from tap_zoho.streams import ZohoStream
from zoho_connector import desk_types
from zoho_connector.desk import CHEAP_COUNTS
from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from singer_sdk.helpers.types import Context

    from tap_zoho.tap import TapZoho
    from zoho_connector.desk import ZohoDesk

MODIFIED_TIME = "modifiedTime"


class DeskStream(ZohoStream):
    """A Desk stream: reaches the tap's Desk client, projects records onto its schema."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    primary_keys: ClassVar[list[str]] = ["id"]

    @property
    def desk(self) -> ZohoDesk:
        """The tap's Desk client."""
        return self.zoho_tap.desk

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        """Keep the schema's properties, each value in its schema's type.

        Raises:
            ValueError: A value does not fit its field's type (named with the record).
        """
        try:
            return desk_types.project(row, self.schema)
        except ValueError as error:
            msg = f"{self.name} {error}"
            raise ValueError(msg) from None


class DeskModuleStream(DeskStream):
    """A searchable Desk module, incremental on modifiedTime, schema from its catalog entry.

    Args:
        tap: The tap.
        catalog_entry: The stream's catalog entry (``desk_<module>``).
    """

    replication_key = MODIFIED_TIME
    is_sorted = True
    STATE_MSG_FREQUENCY = 1000

    def __init__(self, tap: TapZoho, catalog_entry: Mapping[str, Any]) -> None:
        name = str(catalog_entry["tap_stream_id"])
        self.module_name = name.removeprefix("desk_")
        super().__init__(tap=tap, schema=dict(catalog_entry["schema"]), name=name)

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        since = self.get_starting_timestamp(context)
        if since is None and self.module_name in CHEAP_COUNTS:
            self.progress.expect(lambda: self.desk.count(self.module_name))
        for page in self.desk.pages(self.module_name, since=since.isoformat() if since else None):
            yield from page


class DeskTicketsStream(DeskModuleStream):
    """``desk_tickets``: the parent of threads and comments."""

    @override
    def get_child_context(self, record: dict[str, Any], context: Context | None) -> dict[str, Any]:
        return {
            "ticket_id": record["id"],
            "thread_count": int(record.get("threadCount") or 0),
            "comment_count": int(record.get("commentCount") or 0),
        }


class DeskListStream(DeskStream):
    """A small Desk list read in full every run (agents, departments)."""

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        for page in self.desk.pages(self.module_name):
            yield from page

    @property
    def module_name(self) -> str:
        """The Desk module (the stream name without ``desk_``)."""
        return self.name.removeprefix("desk_")


class DeskAgentsStream(DeskListStream):
    """``desk_agents``."""

    name = "desk_agents"
    schema = STATIC_SCHEMAS["agents"]


class DeskDepartmentsStream(DeskListStream):
    """``desk_departments``."""

    name = "desk_departments"
    schema = STATIC_SCHEMAS["departments"]


class DeskTicketChildStream(DeskStream):
    """Threads or comments of the tickets this run reads (no bookmarks of their own)."""

    parent_stream_type = DeskTicketsStream
    state_partitioning_keys: ClassVar[list[str]] = []
    kind: ClassVar[str] = ""
    count_key: ClassVar[str] = ""
    _schema_written: bool = False

    @override
    def _write_schema_message(self) -> None:
        # The SDK writes a child's SCHEMA again for every parent record, and some targets
        # flush every stream on each (target-duckdb: minutes for a few hundred tickets).
        # A private SDK method (0.54): tests/tap/test_desk_sync.py checks one SCHEMA a stream.
        if not self._schema_written:
            self._schema_written = True
            super()._write_schema_message()

    @override
    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        # A child syncs once a ticket: the SDK's "Beginning sync" would come thousands of
        # times a run, so its informational lines go to DEBUG.
        super().log(
            message, *args, level=logging.DEBUG if level == logging.INFO else level, **kwargs
        )

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None or not context[self.count_key]:
            return  # the ticket's counter says there are none: no call
        ticket_id = context["ticket_id"]
        try:
            for page in self.desk.children(ticket_id, self.kind):
                for row in page:
                    yield {**row, "ticket_id": ticket_id}
        except ZohoError as error:
            if error.status != 404:
                raise
            self.logger.info("Ticket %s was deleted before its %s were read", ticket_id, self.kind)


class DeskThreadsStream(DeskTicketChildStream):
    """``desk_ticket_threads``."""

    name = "desk_ticket_threads"
    schema = STATIC_SCHEMAS["ticket_threads"]
    kind = "threads"
    count_key = "thread_count"


class DeskCommentsStream(DeskTicketChildStream):
    """``desk_ticket_comments``."""

    name = "desk_ticket_comments"
    schema = STATIC_SCHEMAS["ticket_comments"]
    kind = "comments"
    count_key = "comment_count"
