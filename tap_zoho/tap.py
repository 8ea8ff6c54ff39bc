"""tap-zoho: Zoho CRM (and Desk) as Singer streams, on the zoho_connector core."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers._state import StateWriter
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from singer_sdk.singerlib.encoding.base import SingerMessageType
from typing_extensions import override

from tap_zoho import discovery, field_metadata
from tap_zoho.desk_streams import (
    DeskAgentsStream,
    DeskCommentsStream,
    DeskDepartmentsStream,
    DeskModuleStream,
    DeskThreadsStream,
    DeskTicketsStream,
)
from tap_zoho.streams import CrmModuleStream, CrmOrgStream, CrmUsersStream
from zoho_connector.crm_read import BULK_THRESHOLD, MAX_PER_PAGE, Strategy
from zoho_connector.formats import parse_datetime
from zoho_plugin.checks import PRODUCT_NAMES
from zoho_plugin.cli import USER_ERRORS, one_line_errors
from zoho_plugin.plugin import ZohoPlugin
from zoho_plugin.settings import CONCURRENCY_PROPERTY, CONNECTION_PROPERTIES, PROGRESS_PROPERTY

if TYPE_CHECKING:
    import click
    from singer_sdk import Stream
    from singer_sdk.helpers.types import TapState
    from singer_sdk.singerlib import Message


_CRM_STATIC = (CrmUsersStream, CrmOrgStream)
_BLOCK = 1 << 16
_DESK_STATIC = (DeskAgentsStream, DeskDepartmentsStream, DeskThreadsStream, DeskCommentsStream)


class StateFlushingWriter(MsgSpecWriter):
    """msgspec's writer, writing RECORDs in blocks of 64 KiB and flushing at every other message.

    The SDK's writer flushes after each message, and stdout's own buffer is a page: a system
    call a record, a fifth of the tap's time. A STATE still reaches the target with every
    record before it, so a stopped run loses nothing its last STATE says was read.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()

    @override
    def write_message(self, message: Message) -> None:
        self._pending += self.format_message(message)
        if message.type != SingerMessageType.RECORD or len(self._pending) >= _BLOCK:
            self.flush()

    def flush(self) -> None:
        """Write the records still held."""
        sys.stdout.buffer.write(self._pending)
        self._pending.clear()
        sys.stdout.flush()


class FlushingStateWriter(StateWriter):
    """The SDK's STATE writer, flushing the tap's records even when it skips a STATE.

    The SDK writes no STATE that repeats the last one: a stream's last records (tombstones
    that leave the bookmark as it was) would otherwise stay held to the end of the process.
    """

    def __init__(self, message_writer: StateFlushingWriter) -> None:
        super().__init__(message_writer)
        self._records = message_writer

    @override
    def write_state(self, state: TapState) -> None:
        super().write_state(state)
        self._records.flush()


class TapZoho(ZohoPlugin, Tap):
    """Singer tap for Zoho CRM and Zoho Desk."""

    name = "tap-zoho"
    message_writer_class = StateFlushingWriter
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]
    config_jsonschema = th.PropertiesList(
        *CONNECTION_PROPERTIES.wrapped.values(),
        th.Property(
            "start_date",
            th.DateTimeType(nullable=True),
            title="Start Date",
            description="Read only records modified at or after this instant (ISO 8601); all "
            "records when unset.",
        ),
        th.Property(
            "crm_modules",
            th.ArrayType(th.StringType),
            title="CRM Modules",
            description="The CRM modules to discover, by API name (any case); all readable "
            "modules when unset.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(nullable=False, minimum=1, maximum=MAX_PER_PAGE),
            default=MAX_PER_PAGE,
            title="Page Size",
            description=f"Records per Get Records call, 1 to {MAX_PER_PAGE}.",
        ),
        th.Property(
            "include_deletes",
            th.BooleanType(nullable=False),
            default=True,
            title="Include Deletes",
            description="Emit records deleted since the bookmark as "
            "{id, Modified_Time, _sdc_deleted_at}.",
        ),
        th.Property(
            "read_strategy",
            th.StringType(nullable=False),
            default="auto",
            allowed_values=[strategy.value for strategy in Strategy],
            title="Read Strategy",
            description="How CRM modules are read: auto (Bulk Read for a first full read of a "
            "module of more than bulk_threshold records, else COQL; Get Records for modules "
            "with fields those cannot return), rest (Get Records), coql or bulk.",
        ),
        th.Property(
            "bulk_threshold",
            th.IntegerType(nullable=False, minimum=0),
            default=BULK_THRESHOLD,
            title="Bulk Read Threshold",
            description="Records above which auto reads a whole CRM module with Bulk Read "
            "(about 60 credits a job of up to 200,000 records), when that costs fewer credits "
            "than COQL (3 a call of 2,000 records for each 50 columns).",
        ),
        th.Property(
            "max_credits",
            th.IntegerType(nullable=True, minimum=1),
            title="Max Credits",
            description="Zoho API credits this run may spend at most: the tap stops before a "
            "call would pass it, with STATE for what it read (the next run goes on from there). "
            "No limit when unset.",
        ),
        CONCURRENCY_PROPERTY,
        PROGRESS_PROPERTY,
    ).to_dict()

    def __init__(
        self, *, catalog: PurePath | str | dict[str, Any] | None = None, **options: Any
    ) -> None:
        """The SDK's tap; the Zoho field facts of a given catalog are kept as given.

        The SDK's catalog parsing keeps only Singer's own metadata keys, not the
        ``zoho-field`` facts discovery puts there (see :mod:`tap_zoho.field_metadata`).
        """
        raw = catalog if isinstance(catalog, dict) else None
        if isinstance(catalog, str | PurePath):
            raw = json.loads(Path(catalog).read_text(encoding="utf-8"))
        self._catalog_facts = {
            str(entry.get("tap_stream_id")): field_metadata.facts_of(entry.get("metadata") or [])
            for entry in (raw or {}).get("streams") or []
        }
        super().__init__(catalog=catalog, **options)
        if isinstance(self.message_writer, StateFlushingWriter):
            self._state_writer = FlushingStateWriter(self.message_writer)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's checks, ``start_date`` as a datetime, and unknown settings.

        JSON Schema's format is not checked; unknown settings: see
        :meth:`ZohoPlugin.checked_config`.
        """
        errors = super()._validate_config(raise_errors=raise_errors)
        start = self.config.get("start_date")
        try:
            if start:
                parse_datetime(start)
        except (TypeError, ValueError):
            errors.append(f"start_date {start!r} is no ISO 8601 datetime (2026-01-31T00:00:00Z)")
        return self.checked_config(errors, raise_errors=raise_errors)

    @override
    def setup_mapper(self) -> None:
        """The SDK's stream maps; then the products of the selected streams, checked.

        This is the start of a sync: one call a product, so that a wrong ``desk_org_id``
        fails before CRM is read. Discovery sets up no mapper: its own calls check.
        """
        super().setup_mapper()
        selected = {
            stream.name.split("_", 1)[0] for stream in self.streams.values() if stream.selected
        }
        self.check_products(product for product in PRODUCT_NAMES if product in selected)

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command; a user's mistake ends it in one line (:mod:`zoho_plugin.cli`)."""
        return one_line_errors(super().get_singer_command(), USER_ERRORS)

    @override  # type: ignore[misc]  # final in the SDK, yet the one call around a whole run
    def sync_all(self) -> None:
        """The SDK's sync of every selected stream, then the summaries (however it ends)."""
        with self.summarized():
            super().sync_all()

    @functools.cached_property
    def _module_entries(self) -> list[dict[str, Any]] | None:
        """The input catalog's module entries, or None without a catalog.

        Raises:
            ZohoInputError: An entry's stream is not its module's, or it names no module
                (:func:`discovery.module_of`): before any record, whatever its product.
        """
        if self.input_catalog is None:
            return None
        static = {stream.name for stream in (*_CRM_STATIC, *_DESK_STATIC)}
        entries = [
            field_metadata.with_catalog_facts(
                entry.to_dict(), self._catalog_facts.get(entry.tap_stream_id, {})
            )
            for entry in self.input_catalog.streams
            if entry.tap_stream_id not in static
        ]
        for entry in entries:
            discovery.module_of(entry)
        return entries

    def _given_entries(self, prefix: str) -> list[dict[str, Any]] | None:
        """The input catalog's module entries of a product, or None without a catalog."""
        entries = self._module_entries
        if entries is None:
            return None
        return [entry for entry in entries if entry["tap_stream_id"].startswith(prefix)]

    @override
    def discover_streams(self) -> list[Stream]:
        """CRM streams, and Desk streams when ``desk_org_id`` is set.

        With an input catalog, module streams come from it and no metadata call is made.
        """
        streams: list[Stream] = [stream_class(tap=self) for stream_class in _CRM_STATIC]
        crm_entries = self._given_entries("crm_")
        if crm_entries is None:
            crm_entries = discovery.crm_entries(self.crm, self.config.get("crm_modules"))
        streams += [CrmModuleStream(self, entry) for entry in crm_entries]
        if self.config.get("desk_org_id"):
            desk_entries = self._given_entries("desk_")
            if desk_entries is None:
                desk_entries = discovery.desk_entries(self.desk)
            modules = [
                (
                    DeskTicketsStream
                    if entry["tap_stream_id"] == "desk_tickets"
                    else DeskModuleStream
                )(self, entry)
                for entry in desk_entries
            ]
            # Threads and comments are read with their tickets: without them, not at all.
            with_tickets = any(isinstance(stream, DeskTicketsStream) for stream in modules)
            streams += [
                stream_class(tap=self)
                for stream_class in _DESK_STATIC
                if stream_class.parent_stream_type is None or with_tickets
            ]
            streams += modules
        return streams
