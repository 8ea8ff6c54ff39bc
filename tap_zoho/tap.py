"""tap-zoho: Zoho CRM (and Desk) as Singer streams, on the zoho_connector core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from typing_extensions import override

from tap_zoho import discovery
from tap_zoho.desk_streams import (
    DeskAgentsStream,
    DeskCommentsStream,
    DeskDepartmentsStream,
    DeskModuleStream,
    DeskThreadsStream,
    DeskTicketsStream,
)
from tap_zoho.streams import CrmModuleStream, CrmOrgStream, CrmUsersStream
from zoho_connector.config import (
    CONCURRENCY_PROPERTY,
    CONNECTION_PROPERTIES,
    PROGRESS_PROPERTY,
)
from zoho_connector.crm_reader import MAX_PER_PAGE
from zoho_connector.formats import parse_datetime
from zoho_connector.plugin import ZohoPlugin

if TYPE_CHECKING:
    from singer_sdk import Stream


_CRM_STATIC = (CrmUsersStream, CrmOrgStream)
_DESK_STATIC = (DeskAgentsStream, DeskDepartmentsStream, DeskThreadsStream, DeskCommentsStream)


class TapZoho(ZohoPlugin, Tap):
    """Singer tap for Zoho CRM and Zoho Desk."""

    name = "tap-zoho"
    message_writer_class = MsgSpecWriter
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
        CONCURRENCY_PROPERTY,
        PROGRESS_PROPERTY,
    ).to_dict()

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's checks, and ``start_date`` as a datetime (JSON Schema's format is not)."""
        errors = super()._validate_config(raise_errors=raise_errors)
        start = self.config.get("start_date")
        try:
            if start:
                parse_datetime(start)
        except (TypeError, ValueError):
            errors.append(f"start_date {start!r} is no ISO 8601 datetime (2026-01-31T00:00:00Z)")
            if raise_errors:
                raise ConfigValidationError("Config validation failed", errors=errors) from None
        return errors

    def _given_entries(self, prefix: str) -> list[dict[str, Any]] | None:
        """The input catalog's module entries of a product, or None without a catalog."""
        if self.input_catalog is None:
            return None
        static = {stream.name for stream in (*_CRM_STATIC, *_DESK_STATIC)}
        return [
            entry.to_dict()
            for entry in self.input_catalog.streams
            if entry.tap_stream_id.startswith(prefix) and entry.tap_stream_id not in static
        ]

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
