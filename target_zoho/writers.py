"""A stream's records as the core's batch writes: one result per record, in order.

A record whose ``_sdc_deleted_at`` is set is a delete; runs of records with the same action
keep their order. The core (``ZohoCRM.write``) sends them in batches of ``batch_size``,
``n_concurrent`` at a time; a CRM write of at least ``bulk_write_min_records`` records to create,
update or upsert goes by Bulk Write instead (``ZohoCRM.bulk_write``: a job of up to 25,000
records for 500 credits, against a credit each ten by write calls). A record whose values
do not fit its fields fails alone here, before any call. An error of the run's (spent
credits, a refused token: ``RUN_ERRORS``) fails no record: it ends the write.

A record whose lookup names a record the run may still write is held back (``WAITING``, kept
by its sink in ``target_zoho.waiting``) and written once that record is in; records that point
at each other are written without those lookups and updated with them after.

Subform rows (line items) and multi-select lookups go with their record. A subform row's
``id`` goes only when the record is matched by its id (an update, an upsert on ``id``): the
record is the destination's own, so are its rows; else (a create, an upsert on a field, a
copy into another org) the rows go without ids. Zoho then replaces the record's rows with
those sent (https://www.zoho.com/crm/developer/docs/api/v8/update-records.html); with
``merge_subforms``, each record updated by id is read first and its rows the record leaves
out are sent back by their ids, which keeps them.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING, Any

from target_zoho.desk_lookups import DeskLookups
from target_zoho.lookup_base import Later, Place
from target_zoho.lookups import CrmLookups
from target_zoho.payloads import CrmPayloads, DeskPayloads, PayloadError
from zoho_connector import fields as zoho_fields
from zoho_connector.bulk_write import OPERATIONS
from zoho_connector.errors import ZohoInputError
from zoho_connector.load import Action, RowResult
from zoho_plugin.plugin import DELETED_AT

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from target_zoho.desk_lookups import DeskSources
    from target_zoho.lookup_base import Lookups
    from target_zoho.routes import Route
    from zoho_connector.crm import ZohoCRM

#: What a written record became, as the run's summary counts it.
OUTCOMES = ("created", "updated", "deleted")
_OUTCOME_OF_ACTION = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
#: An upsert's outcome, from Zoho's answer (its ``action``).
_OUTCOME_OF_UPSERT = {"insert": "created", "update": "updated"}
#: Records a CRM write must hold to go by Bulk Write, by default: never (0). Bulk Write runs
#: no workflow and leaves a field an empty value would clear, so it is the user's choice.
BULK_WRITE_THRESHOLD = 0
#: The result of a record held back: a lookup of it names a record the run may yet write.
WAITING = RowResult(False, "WAITING: for the record a lookup names", "WAITING")


@dataclasses.dataclass(frozen=True)
class WriteOptions:
    """The target's settings for writing a stream.

    Attributes:
        unresolved_lookups: ``reject`` a record whose lookup matches nothing, or ``drop`` it.
        default_owner: The email of the owner of records whose owner is no user here.
        default_department: The name of a Desk record's department when its own is none here.
        bulk_write_threshold: Records a CRM write must hold to go by Bulk Write (0: never).
        merge_subforms: Keep the destination's subform rows that an update leaves out.
        source_id_field: A CRM field of the destination's modules that holds the source
            record's id (``source_id_field``): written with it, upserted on it (unless the
            route names a sync key), and lookups of modules that have it matched by it.
    """

    unresolved_lookups: str = "reject"
    default_owner: str | None = None
    default_department: str | None = None
    bulk_write_threshold: int = 0
    merge_subforms: bool = False
    source_id_field: str | None = None


class Writer:
    """Writes one stream's records to one Zoho module.

    Args:
        client: The product's client (a ZohoDesk is a ZohoCRM); its ``n_rows_write`` sizes
            write calls, ``n_concurrent`` of them in flight at once.
        route: Where and how the stream is written.
        options: The target's settings for writing it.
        copies: Source record ids → their copies' ids, by module (of the route's product).
        desk_sources: The source org's Desk departments and agents the input brought.

    Raises:
        ZohoInputError: ``merge_subforms`` for a module with subforms whose records are not
            matched by id (merge reads the record it updates); ``source_id_field`` is no
            field of the CRM module.
    """

    def __init__(
        self,
        client: ZohoCRM,
        route: Route,
        options: WriteOptions | None = None,
        *,
        copies: dict[str, dict[str, str]] | None = None,
        desk_sources: DeskSources | None = None,
    ) -> None:
        options = options or WriteOptions()
        self.client = client
        self.route = route
        self.source_id = options.source_id_field if route.product == "crm" else None
        self.bulk_write_threshold = options.bulk_write_threshold if route.product == "crm" else 0
        self.module: str = client.module(route.module)["api_name"]
        fields = client.fields(self.module)
        if route.product == "crm":
            self.payloads: CrmPayloads | DeskPayloads = CrmPayloads(
                self.module, fields, route.renames
            )
            self.lookups: Lookups[Any] = CrmLookups(
                client,
                self.module,
                self.payloads.fields,
                {**self._by_source_id(self.payloads.fields), **route.lookups},
                unresolved=options.unresolved_lookups,
                default_owner=options.default_owner,
                copies=copies,
            )
        else:
            self.payloads = DeskPayloads(self.module, fields, route.renames)
            self.lookups = DeskLookups(
                client,
                fields,
                route.lookups,
                unresolved=options.unresolved_lookups,
                defaults={
                    "default_owner": options.default_owner,
                    "default_department": options.default_department,
                },
                copies=copies,
                sources=desk_sources,
            )
        #: Records written without lookups to records not written yet (a cycle: an Account's
        #: parent whose own parent is that Account): destination id → (source, lookups to set).
        self.open: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        #: Positions in the last batch of the records that opened links, by destination id.
        self.opened: dict[str, int] = {}
        #: The module's subform fields (CRM's line items are subforms too).
        self.subforms = [f["api_name"] for f in fields if f.get("data_type") == "subform"]
        self.merge_subforms = options.merge_subforms and bool(self.subforms)
        if self.merge_subforms and route.action == Action.INTEGRATE and route.sync_key != "id":
            msg = (
                f"subforms: merge keeps the rows of the record an update names by id; "
                f"{route.stream} upserts on {route.sync_key or 'the duplicate check field'} "
                "(use action update, or sync_key id)"
            )
            raise ZohoInputError(msg)

    def write(
        self, records: Sequence[Mapping[str, Any]], later: Later | None = None
    ) -> list[RowResult]:
        """Write records; one result per record, in order.

        Args:
            records: The stream's records.
            later: What the run may yet write. A record whose lookup names a record that
                may come is held back (its result is ``WAITING``) while the input goes on,
                or written without the lookup (not a mandatory one) when it names a record
                held back at the end (a cycle: set once that is in). None: nothing may come.

        Then the lookups left open by earlier batches that now resolve are set.
        """
        self.opened = {}
        results: list[RowResult] = []
        position = 0
        for action, group in itertools.groupby(map(self._action, records)):
            count = len(list(group))
            before = set(self.opened)
            results += self._write_group(action, records[position : position + count], later)
            for key in self.opened.keys() - before:  # positions in the group, in the batch
                self.opened[key] += position
            position += count
        self.link_open()
        return results

    def awaited(self, record: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The records (module, source id) a record held back waits for."""
        return self.lookups.awaited(self._renamed(record))

    def unlinked(self) -> list[tuple[str, dict[str, Any], RowResult]]:
        """The records with open lookups, none open after: each failed naming the lookup.

        They are in Zoho without those lookups (with ``unresolved_lookups: drop``, none is
        failed: the lookups count as dropped). Returns their destination ids, source records
        and results.
        """
        failures = [
            (record_id, source, _refused(self.lookups.unresolved_error(source, fields)))
            for record_id, (source, fields) in self.open.items()
        ]
        self.open = {}
        if self.lookups.on_unresolved == "drop":
            self.lookups.dropped += len(failures)
            return []
        return failures

    def link_open(self) -> None:
        """Set the open lookups that resolve now (their records have been written since)."""
        ids = [
            record_id
            for record_id, (source, fields) in self.open.items()
            if not self.lookups.unresolved(source).keys() & fields.keys()
        ]
        if not ids:
            return
        links = {number: self.open.pop(record_id) for number, record_id in enumerate(ids)}
        refused, failed = self._link(
            self.lookups, {n: (ids[n], fields) for n, (_, fields) in links.items()}
        )
        for number in refused.keys() | failed.keys():
            self.open[ids[number]] = links[number]  # open again: failed at the stream's end

    def outcome(self, record: Mapping[str, Any], result: RowResult) -> str:
        """What a record written with success became: one of OUTCOMES, or ``upserted``.

        An upsert's outcome is Zoho's answer; ``upserted`` when it does not say.
        """
        action = self._action(record)
        if action == Action.INTEGRATE:
            return _OUTCOME_OF_UPSERT.get(result.action, "upserted")
        return _OUTCOME_OF_ACTION[action]

    def left_out(self) -> set[str]:
        """Keys records brought that the writes left out since the last call (and forget them)."""
        keys = set(self.payloads.left_out)
        self.payloads.left_out.clear()
        return keys

    def _action(self, record: Mapping[str, Any]) -> Action:
        return Action.DELETE if record.get(DELETED_AT) else self.route.action

    def _write_group(
        self, action: Action, records: Sequence[Mapping[str, Any]], later: Later | None
    ) -> list[RowResult]:
        results: dict[int, RowResult] = {}
        built: dict[int, dict[str, Any]] = {}
        for number, record in enumerate(records):
            try:
                built[number] = self._payload(action, record)
            except PayloadError as error:
                results[number] = _refused(error)
        if self.merge_subforms and action in (Action.UPDATE, Action.INTEGRATE):
            self._keep_rows(built)
        if action == Action.DELETE:
            results.update(self._send(action, built))
        else:
            self._send_resolved(self.lookups, action, records, built, results, later)
        return [results[number] for number in range(len(records))]

    def _keep_rows(self, built: Mapping[int, dict[str, Any]]) -> None:
        """Add to each update the destination's subform rows it leaves out, by their ids.

        Zoho returns subform rows only with a single record (one call each, ``n_concurrent``
        at a time); records that write no subform are not read.
        """
        wanted = [p for p in built.values() if p.get("id") and self._subforms_of(p)]
        current = self.client.retrieve_many(self.module, [str(p["id"]) for p in wanted])
        for payload, record in zip(wanted, current, strict=True):
            for name in self._subforms_of(payload):
                rows = list(payload[name] or [])
                sent = {str(row.get("id")) for row in rows if isinstance(row, dict)}
                rows += [
                    {"id": str(row["id"])}
                    for row in (record or {}).get(name) or []
                    if str(row["id"]) not in sent
                ]
                payload[name] = rows

    def _subforms_of(self, payload: Mapping[str, Any]) -> list[str]:
        """The subform fields a write body sets."""
        return [name for name in self.subforms if name in payload]

    def _send_resolved(
        self,
        lookups: Lookups[Any],
        action: Action,
        records: Sequence[Mapping[str, Any]],
        built: dict[int, dict[str, Any]],
        results: dict[int, RowResult],
        later: Later | None,
    ) -> None:
        """Send the records whose lookups resolve, then again those whose did not.

        A record's parent may come later in the same batch (an Account's Parent_Account):
        each pass writes what resolves, and the next looks the rest up again. When a pass
        resolves nothing more, records whose missing lookups all point to records still
        pending (a cycle, or a chain) are written without them, and those lookups set by an
        update once their records are in. Records whose missing lookups may yet come
        (``later``) are held back, or at the end written without them if they point to
        records held back. A record waiting keeps the later records of its id waiting
        behind it, so that they are written in their order.
        """
        deferred: dict[int, dict[str, Any]] = {}
        pending = built
        while pending:
            numbers = list(pending)
            sources = {number: self._renamed(records[number]) for number in numbers}
            coming = {str(src["id"]) for src in sources.values() if src.get("id") is not None}
            refused = lookups.resolve(list(sources.values()), list(pending.values()), coming, later)
            blocked = {numbers[position]: error for position, error in refused.items()}
            ready, waiting = _in_order(records, pending, blocked)
            held: set[int] = set()
            if not ready:
                held = _held(lookups, records, sources, blocked, coming, later)
                going = {n: p for n, p in pending.items() if n not in held}
                ids = {str(sources[n]["id"]) for n in going if sources[n].get("id") is not None}
                ready = _unblocked(lookups, going, sources, blocked, deferred, ids, later)
                waiting = {n: p for n, p in pending.items() if n not in ready}
            if not ready:
                for number in pending:
                    error = blocked.get(number)
                    if number in held:
                        results[number] = WAITING
                    else:
                        results[number] = _refused(error) if error else _waited(records[number])
                break
            sent = self._send(action, ready)
            results.update(sent)
            lookups.remember(self.module, {records[n].get("id"): r for n, r in sent.items()})
            pending = waiting
        if deferred:
            self._set_deferred(lookups, deferred, records, results)

    def _set_deferred(
        self,
        lookups: Lookups[Any],
        deferred: Mapping[int, dict[str, Any]],
        records: Sequence[Mapping[str, Any]],
        results: dict[int, RowResult],
    ) -> None:
        """Update the records written without lookups that pointed into the batch.

        A record whose lookups still resolve to nothing, all of them to records that may wait
        (held back, or a later batch or stream may bring), is left open: set when those come
        (:meth:`link_open`), or failed at the end of the input (:meth:`unlinked`).
        """
        written = {
            number: (str(results[number].details["id"]), fields)
            for number, fields in deferred.items()
            if results[number].success and results[number].details.get("id")
        }
        refused, failed = self._link(lookups, written)
        for number, error in refused.items():
            record_id = written[number][0]
            if all(lookups.waits(Place(name)) for name in deferred[number]):
                self.open[record_id] = (self._renamed(records[number]), deferred[number])
                self.opened[record_id] = number
            else:
                results[number] = _refused(error)
        results.update(failed)

    def _link(
        self, lookups: Lookups[Any], links: Mapping[int, tuple[str, dict[str, Any]]]
    ) -> tuple[dict[int, PayloadError], dict[int, RowResult]]:
        """Update written records with lookups left out of their writes.

        Args:
            lookups: The stream's lookups.
            links: By record number, its destination id and the lookups to set (field to
                source lookup).

        Returns:
            The records whose lookups still resolve to nothing, and those Zoho refused the
            update, by number.
        """
        numbers = list(links)
        sources = [fields for _, fields in links.values()]
        # Each update names the lookup fields for resolve() to fill in.
        updates = [
            {"id": record_id, **dict.fromkeys(fields)} for record_id, fields in links.values()
        ]
        refused = lookups.resolve(sources, updates, later=Later())  # kept open, not dropped
        ready = {
            number: update
            for position, (number, update) in enumerate(zip(numbers, updates, strict=True))
            if position not in refused
        }
        sent = self._send(Action.UPDATE, ready)
        failed = {number: result for number, result in sent.items() if not result.success}
        return {numbers[position]: error for position, error in refused.items()}, failed

    def _send(self, action: Action, payloads: Mapping[int, dict[str, Any]]) -> dict[int, RowResult]:
        """One write of payloads (by Bulk Write when large); their results by their numbers."""
        rows = list(payloads.values())
        sync_key = self._sync_key(action)
        if self._by_bulk_write(action, len(rows)):
            results = self.client.bulk_write(self.module, action, rows, sync_key=sync_key)
        else:
            results = self.client.write(
                self.module, action, rows, sync_key=sync_key, trigger=self.route.triggers
            )
        return dict(zip(payloads, results, strict=True))

    def _by_bulk_write(self, action: Action, count: int) -> bool:
        """Whether a write of ``count`` records goes by Bulk Write.

        Not when the route names triggers (Bulk Write runs none), nor for an upsert without a
        sync key (Bulk Write matches on a field named).
        """
        return (
            0 < self.bulk_write_threshold <= count
            and action in OPERATIONS
            and not self.route.triggers
            and (action != Action.INTEGRATE or bool(self._sync_key(action)))
        )

    def _by_source_id(self, fields: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """The module's lookups matched by the source id field: those of modules that have it.

        Raises:
            ZohoInputError: The module itself has no such field.
        """
        if self.source_id is None:
            return {}
        if self.source_id not in fields:
            msg = (
                f"source_id_field {self.source_id} is no field of {self.module}: add a unique "
                "text field of that name to every module copied (README, Copying an org)"
            )
            raise ZohoInputError(msg)
        matched: dict[str, str] = {}
        for name, field in fields.items():
            module = zoho_fields.lookup_module(field)
            if (
                field.get("data_type") in ("lookup", "multi_module_lookup")
                and zoho_fields.writable(field)
                and module is not None
                and any(f.get("api_name") == self.source_id for f in self.client.fields(module))
            ):
                matched[name] = self.source_id
        return matched

    def _renamed(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record keyed by the fields its properties are written to."""
        return {self.route.renames.get(key, key): value for key, value in record.items()}

    def _payload(self, action: Action, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record's write body; an id of another org kept only where it names the record.

        Creates never carry one; CRM upserts match on fields, not on an id of another org.
        """
        payload = self.payloads.build(record)
        by_id = action in (Action.UPDATE, Action.DELETE) or (
            action == Action.INTEGRATE and self._sync_key(action) == "id"
        )
        if not by_id:
            source_id = payload.pop("id", None)
            # Without an id, an upsert on the field fails the record (no sync key value).
            if self.source_id is not None and source_id is not None:
                payload[self.source_id] = source_id
            for name in self._subforms_of(payload):
                for row in payload[name] or []:
                    if isinstance(row, dict):
                        row.pop("id", None)
        return payload

    def _sync_key(self, action: Action) -> str | None:
        """What records are matched on: the route's key; on Desk, ``id`` for an upsert."""
        if action == Action.INTEGRATE and self.route.product == "desk":
            return self.route.sync_key or "id"
        if action == Action.INTEGRATE:
            return self.route.sync_key or self.source_id
        return self.route.sync_key


def _refused(error: PayloadError) -> RowResult:
    """The result of a record refused before any call."""
    return RowResult(False, f"{error.code}: {error}", error.code, {"field": error.field})


def _unblocked(
    lookups: Lookups[Any],
    pending: Mapping[int, dict[str, Any]],
    sources: Mapping[int, Mapping[str, Any]],
    blocked: Mapping[int, PayloadError],
    deferred: dict[int, dict[str, Any]],
    coming: Collection[str],
    later: Later | None,
) -> dict[int, dict[str, Any]]:
    """Blocked records whose missing lookups all point to pending ones, less those lookups.

    At the end of the input (``later`` names what is held back), or to records held back.
    The lookups go into ``deferred`` (field to source lookup), to be set once their records
    are in.
    """
    end = later is not None and later.held is not None
    freed: dict[int, dict[str, Any]] = {}
    for number in blocked:
        missing = lookups.unresolved(sources[number])
        if missing and all(
            str(value.get("id")) in coming
            or (
                end
                and field not in lookups.mandatory
                and lookups.may_come(Place(field), lookups.matches[field], value, later)
            )
            for field, value in missing.items()
        ):
            freed[number] = {k: v for k, v in pending[number].items() if k not in missing}
            deferred[number] = dict(missing)
    return freed


def _held(
    lookups: Lookups[Any],
    records: Sequence[Mapping[str, Any]],
    sources: Mapping[int, Mapping[str, Any]],
    blocked: Mapping[int, PayloadError],
    coming: Collection[str],
    later: Later | None,
) -> set[int]:
    """While the input goes on, the pending records to hold back, by number.

    Those whose missing lookups may all yet resolve (to pending records, or to records that
    may come), one at least to a record not pending or held back; and the
    later records of their ids.
    """
    if later is None or later.held is not None:
        return set()
    missing = {number: lookups.unresolved(sources[number]) for number in blocked}
    held: set[int] = set()
    held_ids: set[str] = set()
    grew = True
    while grew:
        grew = False
        for number, source in sources.items():
            key = None if source.get("id") is None else str(source["id"])
            if number in held or not (
                (key is not None and key in held_ids)
                or _waits(lookups, missing.get(number, {}), coming, held_ids, later)
            ):
                continue
            held.add(number)
            grew = True
            if key is not None:
                held_ids.add(key)
    return held


def _waits(
    lookups: Lookups[Any],
    missing: Mapping[str, Mapping[str, Any]],
    coming: Collection[str],
    held_ids: Collection[str],
    later: Later,
) -> bool:
    """Whether missing lookups may all yet resolve, one at least after this batch."""
    pending = [str(value.get("id")) in coming for value in missing.values()]
    later_on = [
        lookups.may_come(Place(field), lookups.matches[field], value, later)
        for field, value in missing.items()
    ]
    return all(p or c for p, c in zip(pending, later_on, strict=True)) and any(
        (c and not p) or str(value.get("id")) in held_ids
        for p, c, value in zip(pending, later_on, missing.values(), strict=True)
    )


def _in_order(
    records: Sequence[Mapping[str, Any]],
    pending: Mapping[int, dict[str, Any]],
    blocked: Mapping[int, PayloadError],
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The pending records that may go now, and those that wait.

    The blocked ones wait, and the later records of a blocked one's id (so that records of an
    id keep their order).
    """
    waiting: set[Any] = set()
    ready: dict[int, dict[str, Any]] = {}
    later: dict[int, dict[str, Any]] = {}
    for number, payload in pending.items():
        key = records[number].get("id")
        if number in blocked or (key is not None and key in waiting):
            later[number] = payload
            waiting.add(key)
        else:
            ready[number] = payload
    return ready, later


def _waited(record: Mapping[str, Any]) -> RowResult:
    """The result of a record not written because an earlier one of its id could not be."""
    message = f"LOOKUP_NOT_FOUND: an earlier record of id {record.get('id')} was refused a lookup"
    return RowResult(False, message, "LOOKUP_NOT_FOUND", {"field": "id"})
