"""CRM streams: one generic class for every module, driven by its catalog entry; users; org.

A module stream reads pages from the connector core, ascending by Modified_Time, and emits
deleted records (``{"id", "Modified_Time", "_sdc_deleted_at"}``) merged into the same order,
so the bookmark moves forward through both.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import functools
import heapq
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream, singerlib
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_zoho import discovery, field_metadata
from tap_zoho.fixed_schemas import ORG, USERS
from zoho_connector import crm_read
from zoho_connector.crm_read.bulk import BULK_READ_FAILED, Backfill
from zoho_connector.errors import ZohoBudgetError, ZohoError, ZohoRateLimitError
from zoho_connector.formats import crm_datetime, parse_datetime, utc_text
from zoho_connector.usage import scoped
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator, Mapping

    from singer_sdk.helpers.types import Context

    from tap_zoho.tap import TapZoho
    from zoho_connector.crm import ZohoCRM
    from zoho_connector.progress import Progress

MODIFIED_TIME = "Modified_Time"
#: Errors meaning "this module cannot be listed by this user": the stream is skipped
#: (https://www.zoho.com/crm/help/api/error-messages.html).
UNREADABLE = frozenset(
    {"NO_PERMISSION", "OAUTH_SCOPE_MISMATCH", "FEATURE_NOT_ENABLED", "NOT_SUPPORTED"}
)
#: CRM property types whose values the tap rewrites: datetimes to UTC (comparable as text).
_DATETIME = "date-time"
#: Where a Bulk Read backfill in progress is kept in the stream's STATE.
BACKFILL = "bulk_backfill"
#: When the last run looked at the recycle bin (STATE), and the margin for clocks apart.
DELETES_SEEN = "deletes_seen_at"
DELETES_MARGIN = dt.timedelta(minutes=5)


class ZohoStream(Stream):
    """A stream of tap-zoho: reaches the tap's shared clients, counts and reports its work.

    Every call a stream makes is counted under its name (``zoho_connector.usage``); a long
    read logs its progress every ``progress_seconds``; the tap sums it all up at the end.
    """

    @property
    def zoho_tap(self) -> TapZoho:
        """The tap this stream belongs to."""
        tap: TapZoho = self._tap  # type: ignore[assignment]
        return tap

    @property
    def crm(self) -> ZohoCRM:
        """The tap's CRM client."""
        return self.zoho_tap.crm

    @property
    def progress(self) -> Progress:
        """The stream's records and calls so far (over every context of a child stream)."""
        return self.zoho_tap.progress(self.name, "read", self.logger)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The records of :meth:`read`, counted; STATE first when credits or limits end them."""
        progress = self.progress  # the clock starts with the read
        try:
            for record in scoped(self.name, self.read(context)):
                progress.add()
                yield record
        except (ZohoBudgetError, ZohoRateLimitError):
            # Out of credits (the run's or the org's), or refused for hours: every record
            # given is in the bookmark, and its STATE lets the next run go on.
            self._write_state_message()
            raise

    @abc.abstractmethod
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The stream's records for a context."""


class CrmModuleStream(ZohoStream):
    """Every record of one CRM module, incremental on Modified_Time where it has one.

    A read is served by Get Records, COQL or Bulk Read (``read_strategy``, see
    :mod:`zoho_connector.crm_read`). A Bulk Read backfill gives records in Zoho's export
    order: the bookmark waits until it is done, then is the first job's creation time, from
    which the stream reads on in order, so nothing changed during the export is missed. Its
    progress is in STATE (``bulk_backfill``), so a stopped backfill resumes where it was.

    Args:
        tap: The tap.
        catalog_entry: The stream's catalog entry (its root metadata's ``schema-name`` is the
            module's API name).
    """

    # Records are projected onto the schema in post_process, with datetimes normalised there.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    STATE_MSG_FREQUENCY = 1000

    def __init__(self, tap: TapZoho, catalog_entry: Mapping[str, Any]) -> None:
        schema = dict(catalog_entry["schema"])
        self.module_name = discovery.module_of(catalog_entry)
        entries = catalog_entry.get("metadata", [])
        self._discovered_metadata = singerlib.MetadataMapping.from_iterable(entries)
        self._field_facts = field_metadata.facts_of(entries)
        super().__init__(tap=tap, schema=schema, name=catalog_entry["tap_stream_id"])
        self.primary_keys = ["id"]
        self.replication_key = MODIFIED_TIME if MODIFIED_TIME in schema["properties"] else None
        self._datetimes = [
            name for name, prop in schema["properties"].items() if prop.get("format") == _DATETIME
        ]
        self._backfilling = False

    @property
    @override
    def is_sorted(self) -> bool:
        return self.replication_key is not None

    @property
    @override
    def metadata(self) -> singerlib.MetadataMapping:
        """The SDK's metadata, with the module's name, the default selection, Zoho's facts."""
        mapping = super().metadata
        if mapping.root.schema_name is None:
            mapping.root.schema_name = self.module_name
        for breadcrumb, entry in self._discovered_metadata.items():
            if entry.selected_by_default is False and breadcrumb in mapping:
                current = mapping[breadcrumb]
                if current.selected_by_default is None:
                    current.selected_by_default = False
        for name, facts in self._field_facts.items():
            breadcrumb = ("properties", name)
            if breadcrumb in mapping and not isinstance(
                mapping[breadcrumb], field_metadata.FieldMetadata
            ):
                mapping[breadcrumb] = field_metadata.with_facts(mapping[breadcrumb], facts)
        return mapping

    def selected_fields(self) -> list[str]:
        """The schema's fields the catalog selects (``id`` and ``_sdc_deleted_at`` aside)."""
        return [
            name
            for name in self.schema["properties"]
            if name not in ("id", DELETED_AT) and self.mask.get(("properties", name), True)
        ]

    def _detail_only(self, name: str) -> bool:
        """Whether discovery found that a list call leaves the field out (a subform...)."""
        entry = self._discovered_metadata.get(("properties", name))
        return entry is not None and entry.selected_by_default is False

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The module's records; a module Zoho refuses to list is skipped with its reason."""
        given = False
        try:
            for record in self._module_records(context):
                given = True
                yield record
        except ZohoError as error:
            if given or error.code not in UNREADABLE:
                raise
            self.logger.warning("Stream %s skipped: Zoho refuses to list it: %s", self.name, error)

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Move the bookmark, except during a Bulk Read backfill (records in no order)."""
        if not self._backfilling:
            super()._increment_stream_state(latest_record, context=context)

    def _module_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        state = self.stream_state
        bookmark = self.get_starting_timestamp(context) if self.replication_key else None
        fields = self.selected_fields()
        self._warn_detail_only(fields)
        read = crm_read.PageRead(
            module=self.module_name,
            fields=fields,
            order_by=MODIFIED_TIME if self.replication_key else "id",
            since=_second_before(bookmark),
            until=self._until(),
            per_page=self.config.get("page_size", crm_read.MAX_PER_PAGE),
            metadata=self._zoho_fields(fields),
        )
        plan = self._plan(read, full=state.get("replication_key_value") is None)
        if plan.strategy != crm_read.Strategy.BULK:
            state.pop(BACKFILL, None)  # a backfill given up for another way
        self._read_by(plan.strategy)
        self.logger.info("%s: read by %s (%s)", self.name, plan.strategy.value, plan.reason)
        if plan.total is not None:
            self.progress.expect(lambda: plan.total or 0)
        elif bookmark is None:
            self.progress.expect(lambda: self.crm.total(self.module_name))
        strategy = plan.strategy
        total = plan.total
        deletes_since = read.since
        if strategy == crm_read.Strategy.BULK:
            started = yield from self._backfill(read, plan, state)
            strategy = crm_read.Strategy.COQL
            if started is not None:  # read on in order from the first job's creation
                if not self.replication_key:  # a full table: read whole at every run
                    return
                bookmark = parse_datetime(started)
                state["replication_key"] = MODIFIED_TIME
                state["replication_key_value"] = crm_datetime(bookmark, utc=True)
                since = _second_before(bookmark)
                read = dataclasses.replace(read, since=since, until=self._until())
                total = None
        pages = self.crm.scan(read, strategy, total=total, on_fallback=self._read_by, ahead=True)
        records = self._with_details(pages, fields)
        if self.replication_key and self.config.get("include_deletes", True):
            deletions = self._tombstones(state, deletes_since, read.until, bookmark)
            yield from _merged(records, deletions)
        else:
            yield from records

    def _until(self) -> str | None:
        """A second before now by Zoho's clock: the records a read takes stand still."""
        if not self.replication_key:
            return None
        return crm_datetime(self.crm.server_now() - dt.timedelta(seconds=1))

    def _plan(self, read: crm_read.PageRead, *, full: bool) -> crm_read.Plan:
        """How to read: the setting's strategy (``auto``: by the read), or a backfill to resume.

        A full table is read again whole at every run: a backfill of one is not resumed
        (the SDK's ACTIVATE_VERSION would have the target drop what the first run gave).
        """
        wanted = self.config.get("read_strategy", "auto")
        resumable = self.replication_key and wanted in ("auto", "bulk")
        if self.stream_state.get(BACKFILL) and resumable:
            return crm_read.Plan(crm_read.Strategy.BULK, "resuming the backfill in STATE")
        threshold = self.config.get("bulk_threshold", crm_read.BULK_THRESHOLD)
        return crm_read.choose(
            wanted,
            read,
            full=full,
            count=lambda: self.crm.total_if_told(self.module_name),
            threshold=threshold,
            ordered=False,
        )

    def _backfill(
        self, read: crm_read.PageRead, plan: crm_read.Plan, state: dict[str, Any]
    ) -> Generator[dict[str, Any], None, str | None]:
        """The Bulk Read records, the bookmark held; returns when Zoho made the first job.

        None when Zoho refuses Bulk Read (no ``ZohoCRM.bulk.READ`` scope, an edition
        without it) before any record, or keeps failing a job: the stream is then read by
        COQL (from the start: records a failed backfill gave come again).
        """
        backfill = Backfill.from_state(state.get(BACKFILL))
        # Should Zoho not say when it made the first job: no later than now (its clock).
        before = crm_datetime(self.crm.server_now() - DELETES_MARGIN)

        def keep(progress: Backfill) -> None:
            state[BACKFILL] = progress.to_state()

        # No end: what changes before the first job is made is exported as it is then, what
        # changes after is read on from the job's creation (a read's end, a second before it
        # started, would leave what changed between the two to no read at all).
        pages = self.crm.scan(
            dataclasses.replace(read, until=None),
            crm_read.Strategy.BULK,
            total=plan.total,
            backfill=backfill,
            on_progress=keep,
            fallback=False,
        )
        given = False
        self._backfilling = True
        try:
            for record in self._with_details(pages, list(read.fields)):
                given = True
                yield record
        except ZohoError as error:
            failed = error.code == BULK_READ_FAILED  # its records, if any, come again
            if not failed and (given or error.code not in crm_read.REFUSED):
                raise
            self.logger.warning("%s: Bulk Read failed (%s); reading by coql", self.name, error)
            state.pop(BACKFILL, None)
            self._read_by(crm_read.Strategy.COQL)
            return None
        finally:
            self._backfilling = False
        state.pop(BACKFILL, None)
        return backfill.started or before

    def _read_by(self, strategy: crm_read.Strategy) -> None:
        """Say in the summary how the records were read."""
        self.progress.how = strategy.value

    def _tombstones(
        self,
        state: dict[str, Any],
        since: str | None,
        until: str | None,
        bookmark: dt.datetime | None,
    ) -> Iterator[dict[str, Any]]:
        """Records deleted since the read's start, or since the last run's look at deletes.

        Deletions after the read's end (``until``) are the next run's, as changes are: one
        would move the bookmark past records changed meanwhile, which no run would read.

        A record deleted during the last run came after that run's look at the recycle bin,
        possibly before the bookmark it left: deletes are asked for from the earlier of the
        two (the look, five minutes earlier, for clocks apart). A deletion older than the
        bookmark comes with the bookmark as its Modified_Time, to keep the stream in order.
        """
        looked = state.get(DELETES_SEEN)
        earliest = since
        if looked and (earliest is None or parse_datetime(looked) < parse_datetime(earliest)):
            earliest = looked
        now = self.crm.server_now() - DELETES_MARGIN
        entries = self.crm.deleted(self.module_name, since=earliest)
        end = parse_datetime(until) if until else None
        deletions = [
            _deletion(entry, bookmark)
            for entry in entries
            if end is None or parse_datetime(entry["deleted_time"]) <= end
        ]
        state[DELETES_SEEN] = crm_datetime(now, utc=True)
        yield from sorted(deletions, key=lambda row: parse_datetime(row[MODIFIED_TIME]))

    def _zoho_fields(self, fields: list[str]) -> dict[str, Mapping[str, Any]]:
        """Zoho's facts about the fields: from the catalog, else one ``settings/fields`` call."""
        if all(name in self._field_facts for name in fields):
            return {name: self._field_facts[name] for name in fields}
        self.logger.info("%s: the catalog has no Zoho field facts; asking Zoho", self.name)
        return {field["api_name"]: field for field in self.crm.fields(self.module_name)}

    def _warn_detail_only(self, fields: list[str]) -> None:
        details = [name for name in fields if self._detail_only(name)]
        if details:
            self.logger.warning(
                "%s: %s only come with single-record reads: one more API call per record. "
                "Deselect them to save credits (Meltano selects every field unless told).",
                self.name,
                ", ".join(details),
            )

    def _with_details(
        self, pages: Iterator[list[dict[str, Any]]], fields: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Records, with the fields a list call leaves out fetched one record at a time.

        Zoho returns subforms and multi-select lookups only with a single record
        (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html): when the catalog
        selects one (they are not selected by default), each record costs one more call; a
        page's calls go ``n_concurrent`` at a time.
        """
        details = [name for name in fields if self._detail_only(name)]
        for page in pages:
            if details:
                ids = [record["id"] for record in page]
                fulls = self.crm.retrieve_many(self.module_name, ids)
                for record, full in zip(page, fulls, strict=True):
                    record.update({name: (full or {}).get(name) for name in details})
            yield from page

    @functools.cached_property
    def _kept(self) -> frozenset[str]:
        """The properties a record keeps: those the catalog selects."""
        return frozenset(
            name for name in self.schema["properties"] if self.mask.get(("properties", name), True)
        )

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        """Keep the selected properties; datetimes in UTC, so they compare as text."""
        kept = self._kept
        record = {name: value for name, value in row.items() if name in kept}
        for name in self._datetimes:
            value = record.get(name)
            if value:
                record[name] = utc_text(value)
        return record

    @override
    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """RECORD messages, without the SDK's second walk for deselected properties.

        post_process keeps only the selected properties already; the SDK's walk over every
        record and lookup (``pop_deselected_record_properties``) took a third of the tap's
        CPU. A catalog deselecting a property inside a lookup still gets the SDK's.
        """
        if self._nested_selection:
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=dt.datetime.now(dt.UTC),
                )

    @functools.cached_property
    def _nested_selection(self) -> bool:
        """Whether the catalog deselects a property inside another one."""
        return any(len(breadcrumb) > 2 and not chosen for breadcrumb, chosen in self.mask.items())


def _second_before(moment: dt.datetime | None) -> str | None:
    """The "after" bound that reads a bookmark's own second again (ties are never lost)."""
    return None if moment is None else crm_datetime(moment - dt.timedelta(seconds=1))


def _deletion(entry: Mapping[str, Any], bookmark: dt.datetime | None) -> dict[str, Any]:
    deleted_at = entry["deleted_time"]
    modified = deleted_at
    if bookmark is not None and parse_datetime(deleted_at) < bookmark:
        modified = crm_datetime(bookmark)
    return {"id": entry["id"], MODIFIED_TIME: modified, DELETED_AT: deleted_at}


def _merged(
    records: Iterator[dict[str, Any]], deletions: Iterator[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Records and deletions in one ascending Modified_Time order."""
    return heapq.merge(records, deletions, key=lambda row: parse_datetime(row[MODIFIED_TIME]))


class CrmUsersStream(ZohoStream):
    """``crm_users``: the org's users, every type."""

    name = "crm_users"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = USERS

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield from self.crm.users()


class CrmOrgStream(ZohoStream):
    """``crm_org``: the org's details (one record)."""

    name = "crm_org"
    primary_keys: ClassVar[list[str]] = ["id"]
    schema = ORG

    @override
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield from self.crm.org()
