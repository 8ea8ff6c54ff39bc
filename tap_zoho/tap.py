"""tap-zoho: Zoho CRM (and Desk) as Singer streams, on the zoho_connector core."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)
from typing_extensions import override

from tap_zoho import discovery
from tap_zoho.streams import CrmModuleStream, CrmOrgStream, CrmUsersStream
from zoho_connector.config import CONNECTION_PROPERTIES, crm_client
from zoho_connector.crm_reader import MAX_PER_PAGE

if TYPE_CHECKING:
    from singer_sdk import Stream

    from zoho_connector.crm import ZohoCRM

_STATIC_STREAMS = (CrmUsersStream, CrmOrgStream)


class TapZoho(Tap):
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
            th.IntegerType(nullable=False),
            default=MAX_PER_PAGE,
            title="Page Size",
            description=f"Records per Get Records call, 1 to {MAX_PER_PAGE}.",
        ),
        th.Property(
            "include_deletes",
            th.BooleanType(nullable=False),
            default=True,
            title="Include Deletes",
            description="Emit records deleted since the bookmark as {id, _sdc_deleted_at}.",
        ),
    ).to_dict()

    @functools.cached_property
    def crm(self) -> ZohoCRM:
        """The connected CRM client every stream shares."""
        return crm_client(self.config, n_rows_read=self.config.get("page_size", MAX_PER_PAGE))

    @functools.cached_property
    def _module_entries(self) -> list[dict[str, Any]]:
        """CRM module entries: the input catalog's (no metadata calls), else discovered."""
        static = {stream.name for stream in _STATIC_STREAMS}
        if self.input_catalog is not None:
            return [
                entry.to_dict()
                for entry in self.input_catalog.streams
                if entry.tap_stream_id.startswith("crm_") and entry.tap_stream_id not in static
            ]
        return discovery.crm_entries(self.crm, self.config.get("crm_modules"))

    @override
    def discover_streams(self) -> list[Stream]:
        streams: list[Stream] = [stream_class(tap=self) for stream_class in _STATIC_STREAMS]
        streams += [CrmModuleStream(self, entry) for entry in self._module_entries]
        return streams
