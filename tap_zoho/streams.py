"""CRM streams: one generic class for every module, driven by its catalog entry; users; org.

A module stream reads pages from the connector core, ascending by Modified_Time, and emits
deleted records (``{"id", "Modified_Time", "_sdc_deleted_at"}``) merged into the same order,
so the bookmark moves forward through both.
"""

from __future__ import annotations

import abc
import datetime as dt
import heapq
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream, singerlib
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho.fixed_schemas import ORG, USERS
from zoho_connector import crm_reader
from zoho_connector.errors import ZohoError
from zoho_connector.formats import crm_datetime, parse_datetime
from zoho_connector.plugin import DELETED_AT
from zoho_connector.usage import scoped

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from singer_sdk.helpers.types import Context

    from tap_zoho.tap import TapZoho
    from zoho_connector.crm import ZohoCRM
    from zoho_connector.progress import Progress

MODIFIED_TIME = "Modified_Time"
#: Errors meaning "this module cannot be listed by this user": the stream is skipped (§15).
UNREADABLE = frozenset(
    {"NO_PERMISSION", "OAUTH_SCOPE_MISMATCH", "FEATURE_NOT_ENABLED", "NOT_SUPPORTED"}
)
#: CRM property types whose values the tap rewrites: datetimes to UTC (comparable as text).
_DATETIME = "date-time"


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
        """The records of :meth:`read`, counted; every stream's summary if the read fails."""
        progress = self.progress  # the clock starts with the read
        try:
            for record in scoped(self.name, self.read(context)):
                progress.add()
                yield record
        except Exception:
            self.zoho_tap.log_summaries(failed=True)
            raise

    @abc.abstractmethod
    def read(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The stream's records for a context."""

    @override
    def log_sync_costs(self) -> None:
        """After the last stream, log every stream's summary and the run's.

        The SDK asks every stream for its sync costs once, in order, when the run is over
        (``Tap.sync_all`` is final, so this is the hook for the end of the run).
        """
        if self is list(self.zoho_tap.streams.values())[-1]:
            self.zoho_tap.log_summaries()


class CrmModuleStream(ZohoStream):
    """Every record of one CRM module, incremental on Modified_Time where it has one.

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
        root = _root_metadata(catalog_entry)
        self.module_name = str(root.get("schema-name") or catalog_entry.get("table_name") or "")
        self._discovered_metadata = singerlib.MetadataMapping.from_iterable(
            catalog_entry.get("metadata", [])
        )
        if not self.module_name:
            msg = f"catalog entry {catalog_entry['tap_stream_id']} names no Zoho module"
            raise ValueError(msg)
        super().__init__(tap=tap, schema=schema, name=catalog_entry["tap_stream_id"])
        self.primary_keys = ["id"]
        self.replication_key = MODIFIED_TIME if MODIFIED_TIME in schema["properties"] else None
        self._datetimes = [
            name for name, prop in schema["properties"].items() if prop.get("format") == _DATETIME
        ]

    @property
    @override
    def is_sorted(self) -> bool:
        return self.replication_key is not None

    @property
    @override
    def metadata(self) -> singerlib.MetadataMapping:
        """The SDK's metadata, with the module's name and the discovered default selection."""
        mapping = super().metadata
        if mapping.root.schema_name is None:
            mapping.root.schema_name = self.module_name
        for breadcrumb, entry in self._discovered_metadata.items():
            if entry.selected_by_default is False and breadcrumb in mapping:
                current = mapping[breadcrumb]
                if current.selected_by_default is None:
                    current.selected_by_default = False
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

    def _module_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        crm = self.crm
        since = self.get_starting_timestamp(context) if self.replication_key else None
        # If-Modified-Since means "after": a second earlier re-reads the bookmark's second,
        # so records tied with the last one read are never lost (Singer allows the repeat).
        modified_after = None if since is None else (since - dt.timedelta(seconds=1)).isoformat()
        if since is None:
            self.progress.expect(lambda: crm.count(self.module_name))
        fields = self.selected_fields()
        details = [name for name in fields if self._detail_only(name)]
        if details:
            self.logger.warning(
                "%s: %s only come with single-record reads: one more API call per record. "
                "Deselect them to save credits (Meltano selects every field unless told).",
                self.name,
                ", ".join(details),
            )
        read = crm_reader.PageRead(
            module=self.module_name,
            fields=fields,
            order_by=MODIFIED_TIME if self.replication_key else "id",
            since=modified_after,
            per_page=self.config.get("page_size", crm_reader.MAX_PER_PAGE),
        )
        records = self._with_details(crm.scan(read), fields)
        if self.replication_key and self.config.get("include_deletes", True):
            deletions = list(crm.deleted(self.module_name, since=modified_after))
            yield from _merged(records, (_deletion(entry) for entry in reversed(deletions)))
        else:
            yield from records

    def _with_details(
        self, pages: Iterator[list[dict[str, Any]]], fields: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Records, with the fields a list call leaves out fetched one record at a time.

        Zoho returns subforms and multi-select lookups only with a single record
        (zoho-crm-api.md §2): when the catalog selects one (they are not selected by default),
        each record costs one more call; a page's calls go ``n_concurrent`` at a time.
        """
        for page in pages:
            partial = [record for record in page if any(name not in record for name in fields)]
            ids = [record["id"] for record in partial]
            fulls = self.crm.retrieve_many(self.module_name, ids)
            for record, full in zip(partial, fulls, strict=True):
                record.update(
                    {name: (full or {}).get(name) for name in fields if name not in record}
                )
            yield from page

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        """Keep the schema's properties; datetimes in UTC, so they compare as text."""
        properties = self.schema["properties"]
        record = {name: value for name, value in row.items() if name in properties}
        for name in self._datetimes:
            value = record.get(name)
            if value:
                record[name] = crm_datetime(value, utc=True)
        return record


def _root_metadata(entry: Mapping[str, Any]) -> dict[str, Any]:
    for item in entry.get("metadata", []):
        if not item.get("breadcrumb"):
            return dict(item.get("metadata", {}))
    return {}


def _deletion(entry: Mapping[str, Any]) -> dict[str, Any]:
    deleted_at = entry["deleted_time"]
    return {"id": entry["id"], MODIFIED_TIME: deleted_at, DELETED_AT: deleted_at}


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
