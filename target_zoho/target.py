"""target-zoho: Singer streams written into Zoho CRM and Zoho Desk, on the zoho_connector core."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities
from typing_extensions import override

from target_zoho.bad_input import BadInputError, error_of, problem, where
from target_zoho.desk_lookups import DeskSources
from target_zoho.lookup_base import UNRESOLVED
from target_zoho.reader import NumberedReader
from target_zoho.routes import STREAMS_PROPERTY, SUBFORMS, RouteError, route_of
from target_zoho.sinks import MAX_BATCH, LoadFailedError, ReadOnlyStreamSink, ZohoSink
from target_zoho.writers import BULK_WRITE_THRESHOLD
from zoho_connector.errors import ZohoError, ZohoInputError
from zoho_connector.usage import usage_scope
from zoho_plugin.cli import USER_ERRORS, one_line_errors
from zoho_plugin.plugin import ZohoPlugin
from zoho_plugin.settings import CONCURRENCY_PROPERTY, CONNECTION_PROPERTIES, PROGRESS_PROPERTY

if TYPE_CHECKING:
    from typing import IO

    import click
    from singer_sdk.sinks import Sink


class TargetZoho(ZohoPlugin, Target):
    """Singer target for Zoho CRM and Zoho Desk."""

    name = "target-zoho"
    default_sink_class = ZohoSink
    message_reader_class = NumberedReader
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
            "bulk_write_min_records",
            th.IntegerType(nullable=False, minimum=0),
            default=BULK_WRITE_THRESHOLD,
            title="Bulk Write Threshold",
            description="A CRM batch of at least this many records to create, update or "
            "upsert goes by Bulk Write (a job of up to 25,000 records, 500 credits) instead of "
            "write calls (a credit each ten records); 0: never.",
        ),
        th.Property(
            "rejects_path",
            th.StringType(nullable=True),
            title="Rejects Path",
            description="A file each failed record is appended to, as a JSON line: line (of "
            "the input), stream, record, code, message, details.",
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
        th.Property(
            "unresolved_lookups",
            th.StringType(nullable=False),
            default="reject",
            allowed_values=list(UNRESOLVED),
            title="Unresolved Lookups",
            description="A lookup or owner (CRM or Desk) no record, user or agent of the "
            "destination matches: reject its record (naming the field and value), or drop the "
            "lookup and write the rest.",
        ),
        th.Property(
            "subforms",
            th.StringType(nullable=False),
            default="replace",
            allowed_values=list(SUBFORMS),
            title="Subforms",
            description="What an update does to the destination's subform rows (line items) "
            "that the record leaves out: delete them, as Zoho does (replace), or keep them "
            "(merge: a read of each record updated); a stream's mapping may say otherwise.",
        ),
        th.Property(
            "default_owner",
            th.StringType(nullable=True),
            title="Default Owner",
            description="The email of the destination user (CRM) or agent (Desk) who owns "
            "records whose owner (matched by email) is no active user or agent there.",
        ),
        th.Property(
            "default_department",
            th.StringType(nullable=True),
            title="Default Department",
            description="The name of the destination's Desk department of records whose "
            "department (matched by name) is none there.",
        ),
        th.Property(
            "source_id_field",
            th.StringType(nullable=True),
            title="Source Id Field",
            description="A unique text field of the destination's CRM modules that holds the "
            "source record's id (to copy an org: README, Copying an org). Each record is "
            "written with its id in it and upserted on it (unless its stream names a "
            "sync_key), so a rerun writes no record twice; lookups of modules that have it "
            "are matched by it.",
        ),
        PROGRESS_PROPERTY,
    ).to_dict()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(self.message_reader, NumberedReader):
            self.message_reader.on_bad_input = self.stop_on_bad_input
        # The last STATE every record before which is in Zoho, and the last STATE written.
        self._confirmed_state: dict[str, Any] | None = None
        self._written_state: dict[str, Any] | None = None
        # Streams drain one at a time, in the order they came (a tap sends parents first):
        # a stream's lookups are resolved once the records they point to are written.
        self.max_parallelism = 1
        #: CRM module → source record id → the id its copy got here, for lookups to follow.
        self.copies: dict[str, dict[str, str]] = {}
        #: The same for Desk modules, and the source's Desk departments and agents.
        self.desk_copies: dict[str, dict[str, str]] = {}
        self.desk_sources = DeskSources()
        #: Every Zoho sink of the run (the SDK forgets one a new SCHEMA replaces).
        self.zoho_sinks: list[ZohoSink] = []
        self._settling = False

    def drain_before(self, sink: Sink) -> None:
        """Drain the sinks of streams that came before ``sink``'s, so that it drains after them."""
        for earlier in list(self._sinks_active.values()):
            if earlier is sink:
                return
            self.drain_one(earlier)

    def settle(self, held: frozenset[tuple[str, str]] | None = None) -> None:
        """Write the records waiting for records written since, in every stream, until none.

        (A Contact whose account came in a later stream.) Then set the lookups of records
        written without them (``Writer.open``) that resolve now.

        Args:
            held: At the end of the input, the records still waiting (``ZohoSink.release``).
        """
        if self._settling:  # a write of the loop below: the loop goes on
            return
        self._settling = True
        try:
            wrote = True
            while wrote:
                wrote = False
                for sink in self.zoho_sinks:
                    wrote = sink.release() or wrote
            if held is not None:
                for sink in self.zoho_sinks:
                    sink.release(held)
            for sink in self.zoho_sinks:
                if sink.writer.open:
                    with usage_scope(sink.stream_name):
                        sink.writer.link_open()
        finally:
            self._settling = False

    @property
    def line_number(self) -> int:
        """The number of the input line being processed (0 before the first)."""
        reader = self.message_reader
        return reader.line if isinstance(reader, NumberedReader) else 0

    def stop_on_bad_input(
        self, line: int, message: dict[str, Any] | None, error: Exception
    ) -> NoReturn:
        """End the run on a bad line, once the records before it are written.

        Their STATE goes out as at the end of any run: a rerun from it loses nothing. Zoho's
        errors and failed loads are no fault of the line: they are raised as they are, after
        the STATE of the records confirmed written (:meth:`give_confirmed_state`).

        Raises:
            BadInputError: Naming the line, its stream, record and field, and what is wrong;
                of the SDK's type of the error when it had one that callers catch.
        """
        if isinstance(error, ZohoError | ZohoInputError | LoadFailedError):
            self.give_confirmed_state()
            raise error
        stream = (message or {}).get("stream")
        field, what = problem(error)
        place = where(line, stream if isinstance(stream, str) else None, self._key(message), field)
        try:
            self.drain_all(is_endofpipe=True)
        except (ZohoError, LoadFailedError) as failure:
            self.give_confirmed_state()
            written = f"records before it were not all written ({failure})"
        else:
            written = "records before it were written"
        msg = f"{place}: {what}; {written}: fix the input and rerun from the last STATE"
        # The error's own traceback, unless it is the reader's and says no more than msg.
        raise error_of(error, msg) from (None if isinstance(error, BadInputError) else error)

    def _key(self, message: dict[str, Any] | None) -> str | None:
        """What names a message's record, if it has one."""
        stream, record = (message or {}).get("stream"), (message or {}).get("record")
        if not isinstance(stream, str) or not isinstance(record, dict):
            return None
        try:
            return route_of(stream, self.config).key_of(record)
        except RouteError:
            return None

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command; a user's mistake ends it in one line (:mod:`zoho_plugin.cli`).

        Records Zoho refused are one too: the line says which, and how to go on past them.
        """
        return one_line_errors(super().get_singer_command(), (*USER_ERRORS, LoadFailedError))

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """The Zoho sink, or a counting one for tap-zoho's read-only streams."""
        if route_of(stream_name, self.config).read_only:
            return ReadOnlyStreamSink
        return ZohoSink

    @override  # type: ignore[misc]  # final in the SDK, yet the one call around a whole run
    def listen(self, file_input: IO[str] | None = None) -> None:
        """The SDK's load of the whole input, then the summaries (however it ends)."""
        with self.summarized():
            super().listen(file_input)

    @override
    def process_endofpipe(self) -> None:
        """Drain every sink, then write the records still waiting for their lookups' records.

        A failure gives the STATE of the records confirmed first.
        """
        try:
            for sink in [*self._sinks_to_clear, *self._sinks_active.values()]:
                self.drain_one(sink)
            self.settle(self._held())
            # A sink a new SCHEMA replaced, drained since: the SDK cleans up only its lists'.
            known = [*self._sinks_to_clear, *self._sinks_active.values()]
            replaced = [sink for sink in self.zoho_sinks if sink not in known]
            super().process_endofpipe()
            for sink in replaced:
                sink.clean_up()
        except (ZohoError, LoadFailedError):
            self.give_confirmed_state()
            raise

    def _held(self) -> frozenset[tuple[str, str]]:
        """The records waiting to be written, as (module, source id)."""
        return frozenset().union(*(sink.waiting.ids() for sink in self.zoho_sinks))

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        super()._process_record_message(message_dict)
        self._confirm_when_drained()

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        super()._process_state_message(message_dict)
        self._confirm_when_drained()

    def _confirm_when_drained(self) -> None:
        """With no record waiting in a sink, every record before the latest STATE is in Zoho.

        The SDK writes STATE only when it drains every sink at once: a sink drained because
        it was full leaves its records' STATE unwritten, for a failed run to give.
        """
        sinks = [*self._sinks_active.values(), *self._sinks_to_clear]
        if all(sink.current_size == 0 for sink in sinks) and not self._unsettled():
            self._confirmed_state = self._latest_state

    def _unsettled(self) -> bool:
        """Whether records wait for their lookups' records, or are in Zoho without a lookup."""
        return any(sink.waiting or sink.writer.open for sink in self.zoho_sinks)

    @override
    def _write_state_message(self, state: dict[str, Any]) -> None:
        """The SDK's STATE, held back while records wait for a lookup.

        (A rerun from it would not write them, or not set the lookup.)
        """
        if not self._unsettled():
            self._emit_state(state)

    def _emit_state(self, state: dict[str, Any]) -> None:
        super()._write_state_message(state)
        self._written_state = state

    def give_confirmed_state(self) -> None:
        """Write the last STATE whose records are all in Zoho, unless it was the last written.

        For a run that fails (spent API credits, a revoked token, records Zoho refused): a
        rerun from it writes none of those records again. The records the run leaves in Zoho
        without a lookup are reported first (``ZohoSink.abandon``).
        """
        for sink in self.zoho_sinks:
            sink.abandon()
        if self._confirmed_state is not None and self._confirmed_state != self._written_state:
            self._emit_state(self._confirmed_state)

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
