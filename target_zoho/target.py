"""target-zoho: Singer streams written into Zoho CRM and Zoho Desk, on the zoho_connector core."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities
from typing_extensions import override

from target_zoho.routes import STREAMS_PROPERTY, RouteError, route_of
from target_zoho.sinks import MAX_BATCH, ReadOnlyStreamSink, ZohoSink
from zoho_connector.config import (
    CONCURRENCY_PROPERTY,
    CONNECTION_PROPERTIES,
    PROGRESS_PROPERTY,
)
from zoho_connector.plugin import ZohoPlugin

if TYPE_CHECKING:
    from singer_sdk.sinks import Sink


class TargetZoho(ZohoPlugin, Target):
    """Singer target for Zoho CRM and Zoho Desk."""

    name = "target-zoho"
    default_sink_class = ZohoSink
    message_reader_class = MsgSpecReader
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]
    config_jsonschema = th.PropertiesList(
        *CONNECTION_PROPERTIES.wrapped.values(),
        STREAMS_PROPERTY,
        th.Property(
            "batch_size",
            th.IntegerType(nullable=False, minimum=1, maximum=MAX_BATCH),
            default=MAX_BATCH,
            title="Batch Size",
            description=f"Records per write call, 1 to {MAX_BATCH}.",
        ),
        CONCURRENCY_PROPERTY,
        th.Property(
            "rejects_path",
            th.StringType(nullable=True),
            title="Rejects Path",
            description="A file each failed record is appended to, as a JSON line: stream, "
            "record, code, message, details.",
        ),
        th.Property(
            "state_interval_seconds",
            th.NumberType(nullable=False, minimum=0),
            default=60,
            title="State Interval",
            description="While loading, every sink is drained and the latest STATE written at "
            "least this often (STATE only ever follows the records before it into Zoho).",
        ),
        th.Property(
            "allow_failures",
            th.BooleanType(nullable=False),
            default=False,
            title="Allow Failures",
            description="Go on past failed records (each still reported) instead of failing "
            "the run.",
        ),
        PROGRESS_PROPERTY,
    ).to_dict()

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """The Zoho sink, or a counting one for tap-zoho's read-only streams."""
        if route_of(stream_name, self.config).read_only:
            return ReadOnlyStreamSink
        return ZohoSink

    @override
    def process_endofpipe(self) -> None:
        """Drain every sink, then log each stream's summary and the run's."""
        super().process_endofpipe()
        self.log_summaries()

    @override
    def setup_mapper(self) -> None:
        """The SDK's stream maps; then the products the config names, checked at start.

        One call a product: Desk when ``desk_org_id`` is set or a mapping writes there, CRM
        when a mapping writes there or Desk is off. Any other product is checked when its
        first stream's SCHEMA comes, still before its first record is written.
        """
        # The SDK drains on record age; its default (five minutes) leaves long loads with no
        # STATE to resume from.
        self._MAX_RECORD_AGE_IN_MINUTES = float(self.config.get("state_interval_seconds", 60)) / 60
        super().setup_mapper()
        self.check_products(self._named_products())

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's checks, and unknown settings (see :meth:`ZohoPlugin.checked_config`)."""
        errors = super()._validate_config(raise_errors=raise_errors)
        return self.checked_config(errors, raise_errors=raise_errors)

    def _named_products(self) -> list[str]:
        """The products the config says the streams are written to, CRM first."""
        mapped: set[str] = set()
        for stream in self.config.get("streams") or {}:
            with contextlib.suppress(RouteError):  # it fails at its SCHEMA, naming the stream
                mapped.add(route_of(stream, self.config).product)
        desk = bool(self.config.get("desk_org_id"))
        named = {"crm": "crm" in mapped or not desk, "desk": "desk" in mapped or desk}
        return [product for product, checked in named.items() if checked]

    @override
    def client_options(self) -> dict[str, Any]:
        """Write calls of ``batch_size`` records; results come per record, nothing raised."""
        return {
            **super().client_options(),
            "n_rows_write": int(self.config.get("batch_size", MAX_BATCH)),
            "die_on_error": False,
        }
