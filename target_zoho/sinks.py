"""The sink: batches a stream's records, writes them, and reports every failed record.

A failed record is logged with its input line, Zoho's code, message and field, and written
as a JSON line (line, stream, record, code, message, details) to ``rejects_path`` when it is
set. Unless ``allow_failures`` is on, a batch with a failed record fails the run: the target
raises before the STATE that follows the batch goes out, so a rerun from the last STATE loses
nothing (the SDK emits STATE only after every sink has drained).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import fastjsonschema
from singer_sdk.exceptions import InvalidRecord, MissingKeyPropertiesError
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import JSONSchemaValidator
from typing_extensions import override

from target_zoho.bad_input import InvalidFieldError, where
from target_zoho.lookup_base import Later
from target_zoho.routes import RouteError, route_of
from target_zoho.waiting import Waiting
from target_zoho.writers import BULK_WRITE_THRESHOLD, OUTCOMES, WAITING, WriteOptions, Writer
from zoho_connector.bulk_write import FILE_ROWS
from zoho_connector.errors import ZohoInputError, shown
from zoho_connector.usage import usage_scope

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from target_zoho.target import TargetZoho
    from target_zoho.waiting import Held
    from zoho_connector.load import RowResult

MAX_BATCH = 100
#: Rounds of write calls a drained batch takes at most.
ROUNDS = 5
_REJECTS_LOCK = threading.Lock()


class LoadFailedError(RuntimeError):
    """Records failed and ``allow_failures`` is off."""


class NamingValidator(JSONSchemaValidator):
    """The SDK's record validation, its errors naming the field and showing a long value cut.

    A record is first checked by a compiled validator (fastjsonschema), ten times faster than
    jsonschema's: only one that it refuses is checked again by jsonschema, whose verdict and
    error stand. Format checks, when on, are jsonschema's alone.
    """

    def __init__(self, schema: dict[str, Any], *, validate_formats: bool = False) -> None:
        super().__init__(schema, validate_formats=validate_formats)
        self.fast: Callable[[dict[str, Any]], object] | None = None
        if not validate_formats:
            try:
                self.fast = fastjsonschema.compile(
                    schema, use_default=False, use_formats=False, detailed_exceptions=False
                )
            except fastjsonschema.JsonSchemaDefinitionException:
                self.fast = None  # a schema it does not take is left to jsonschema

    @override
    def validate(self, record: dict[str, Any]) -> None:
        if self.fast is not None:
            try:
                self.fast(record)
            except fastjsonschema.JsonSchemaValueException:
                pass
            else:
                return
        try:
            super().validate(record)
        except InvalidRecord as error:
            cause = error.__cause__  # jsonschema's ValidationError
            path = getattr(cause, "absolute_path", ())
            field = "/".join(str(part) for part in path) or None
            value = repr(getattr(cause, "instance", None))
            message = error.error_message.replace(value, shown(value))
            # Not chained: jsonschema's error holds the whole value, twice, and the schema.
            raise InvalidFieldError(message, record, field) from None


class KeyCheckingSink(BatchSink):
    """A stream's sink: its target and route; a record missing a key property is refused.

    The refusal names the property.
    """

    def __init__(
        self,
        target: TargetZoho,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: Sequence[str] | None,
    ) -> None:
        self.zoho = target
        self.route = route_of(stream_name, target.config)  # an unknown stream fails at SCHEMA
        super().__init__(target, stream_name, schema, key_properties)

    @override
    def _singer_validate_message(self, record: dict[str, Any]) -> None:
        missing = [f'"{key}"' for key in self.key_properties if key not in record]
        if missing:
            noun = "property" if len(missing) == 1 else "properties"
            msg = f"missing key {noun} {', '.join(missing)}"
            raise MissingKeyPropertiesError(msg)


class ZohoSink(KeyCheckingSink):
    """Writes one stream to one Zoho module (see the module docstring)."""

    @override
    def setup(self) -> None:
        """Connect the stream's writer: an unknown module fails here, at SCHEMA."""
        target, route = self.zoho, self.route
        try:
            options = WriteOptions(
                unresolved_lookups=self.config.get("unresolved_lookups") or "reject",
                default_owner=self.config.get("default_owner"),
                default_department=self.config.get("default_department"),
                bulk_write_threshold=int(
                    self.config.get("bulk_write_min_records", BULK_WRITE_THRESHOLD)
                ),
                merge_subforms=(route.subforms or self.config.get("subforms")) == "merge",
                source_id_field=self.config.get("source_id_field"),
            )
            self.writer = Writer(
                target.crm if route.product == "crm" else target.desk,
                route,
                options,
                copies=target.copies if route.product == "crm" else target.desk_copies,
                desk_sources=target.desk_sources,
            )
        except ZohoInputError as error:  # an unknown module
            msg = f"stream {self.stream_name!r}: {error}"
            raise RouteError(msg) from error
        # One progress a stream: a new SCHEMA makes a new sink, not a new count.
        self.progress = target.progress(self.stream_name, "written", self.logger, OUTCOMES)
        # The keys left out of the writes that a warning has named: each is named once.
        self.named_left_out: set[str] = set()
        # The input lines of records with open lookups (Writer.open), by destination id.
        self.open_lines: dict[str, int] = {}
        # The records waiting for the records their lookups name (a parent later in the run).
        self.waiting = Waiting(self.writer.module)
        target.zoho_sinks.append(self)

    @override
    def get_validator(self) -> JSONSchemaValidator | None:
        if not self.validate_schema:
            return None
        return NamingValidator(self.schema, validate_formats=self.validate_field_string_format)

    @property
    @override
    def max_size(self) -> int:
        """Enough records for five rounds of ``n_concurrent`` calls of ``batch_size``.

        Calls go out as others come back, ``n_concurrent`` in flight, until the batch is
        written: the fewer batches, the fewer waits for a batch's last call (measured in
        benchmarks/RESULTS.md). With Bulk Write on, a file's worth (25,000) or the threshold,
        so that a large load reaches it: such a batch is drained (and its STATE may follow)
        once its jobs' results are read.
        """
        client = self.writer.client
        calls = client.n_rows_write * client.n_concurrent * ROUNDS
        threshold = self.writer.bulk_write_threshold
        return max(calls, FILE_ROWS, threshold) if threshold else calls

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """Always: ``_sdc_deleted_at`` marks a delete (the other ``_sdc_`` keys are not written)."""
        return True

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """Stage the record, and the number of its input line (named if it fails)."""
        super().process_record(record, context)
        context.setdefault("lines", []).append(self.zoho.line_number)

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        records = context.get("records", [])
        lines = context.get("lines") or [0] * len(records)  # none for a BATCH message's file
        self.zoho.drain_before(self)  # the records this stream's lookups may point to
        self._write(list(zip(lines, records, strict=True)), Later())

    def release(self, held: frozenset[tuple[str, str]] | None = None) -> bool:
        """Write the waiting records whose awaited records are written now.

        Args:
            held: At the end of the input, every record still waiting in the run (module,
                source id): then all this stream's waiting records go, without the lookups
                naming those (set once they are in), failed for those naming none.

        Returns:
            Whether any record went.
        """
        if held is None:
            ready = self.waiting.ready(self.writer.lookups.copies)
        else:
            ready = self.waiting.take_all()
        if ready:
            self._write(ready, Later(held))
        return bool(ready)

    def _write(self, batch: list[Held], later: Later) -> None:
        """Write records (a record of an id that waits waits behind it); report the failed.

        Raises:
            LoadFailedError: Records failed and ``allow_failures`` is off.
        """
        going: list[Held] = []
        for held in batch:
            if later.held is None and self.waiting.holds_id(held[1]):
                self.waiting.add(held, ())
            else:
                going.append(held)
        records = [record for _, record in going]
        with usage_scope(self.stream_name):
            results = self.writer.write(records, later)
        self.open_lines.update({key: going[n][0] for key, n in self.writer.opened.items()})
        outcomes: Counter[str] = Counter()
        failures: list[str] = []
        for (line, record), result in zip(going, results, strict=True):
            if result is WAITING:
                self.waiting.add((line, record), self.writer.awaited(record))
            elif result.success:
                outcomes[self.writer.outcome(record, result)] += 1
            else:
                failures.append(self._reject(line, record, result))
        self.progress.add(outcomes.total(), len(failures), outcomes)
        left_out = self.writer.left_out() - self.named_left_out
        if left_out:
            self.named_left_out |= left_out
            self.logger.warning(
                "Not written, no writable field of Desk's %s has their names (Desk computes "
                "them, or the stream's 'fields' mapping lacks them): %s",
                self.writer.module,
                ", ".join(sorted(left_out)),
            )
        if failures and not self.config.get("allow_failures", False):
            msg = (
                f"{len(failures)} of {len(records)} records of stream {self.stream_name} failed "
                f"(first: {failures[0]}); set allow_failures to go on past them"
            )
            raise LoadFailedError(msg)
        if outcomes:
            self.zoho.settle()  # the records waiting for these, in every stream

    @override
    def clean_up(self) -> None:
        """Fail the records whose open lookups never resolved; say how many were dropped.

        Raises:
            LoadFailedError: Records failed so and ``allow_failures`` is off.
        """
        with usage_scope(self.stream_name):
            self.writer.link_open()
        failures = self._unlinked()
        if failures and not self.config.get("allow_failures", False):
            msg = (
                f"{len(failures)} records of stream {self.stream_name} were written without "
                f"a lookup that never resolved (first: {failures[0]}); set allow_failures to "
                "go on past them"
            )
            raise LoadFailedError(msg)
        dropped = self.writer.lookups.dropped
        if dropped:
            self.logger.warning(
                "Stream %s: %d lookup%s matched nothing in the destination and %s left out "
                "(unresolved_lookups: drop)",
                self.stream_name,
                dropped,
                "" if dropped == 1 else "s",
                "was" if dropped == 1 else "were",
            )
        super().clean_up()

    def abandon(self) -> None:
        """When the run fails: report the records it leaves in Zoho without a lookup.

        And say how many records waiting for their lookups' records were not written (a
        rerun from the last STATE writes them).
        """
        self._unlinked()
        if self.waiting:
            self.logger.warning(
                "Stream %s: %d record%s waiting for the records their lookups name not "
                "written (the run failed first); rerun from the last STATE",
                self.stream_name,
                len(self.waiting),
                "" if len(self.waiting) == 1 else "s",
            )
            self.waiting = Waiting(self.writer.module)

    def _unlinked(self) -> list[str]:
        """Reject the records still written without a lookup (``Writer.unlinked``)."""
        failures = [
            self._reject(self.open_lines.get(record_id, 0), source, result)
            for record_id, source, result in self.writer.unlinked()
        ]
        self.progress.add(0, len(failures), Counter())
        return failures

    def _reject(self, line: int, record: dict[str, Any], result: RowResult) -> str:
        """Log a failed record (and append it to ``rejects_path``); where and why it failed."""
        field = result.details.get("api_name") or result.details.get("field")
        place = where(
            line,
            self.stream_name,
            self.route.key_of(record),
            field if isinstance(field, str) else None,
        )
        self.logger.warning("Rejected: %s: %s", place, result.message)
        reason = f"{place}: {result.message}"
        path = self.config.get("rejects_path")
        if not path:
            return reason
        entry = {
            "line": line,
            "stream": self.stream_name,
            "record": {k: v for k, v in record.items() if not k.startswith("_sdc_")},
            "code": result.code,
            "message": result.message,
            "details": result.details,
        }
        with _REJECTS_LOCK, open(path, "a", encoding="utf-8") as rejects:
            rejects.write(json.dumps(entry, ensure_ascii=False, default=_as_sent) + "\n")
        return reason


def _as_sent(value: Any) -> str:
    """A value the SDK parsed (a datetime...) as the text it came as: ISO 8601."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class ReadOnlyStreamSink(KeyCheckingSink):
    """A tap-zoho stream with no module to write to (``crm_org``, ``desk_agents``...).

    Its records are counted and named in a warning, never written; the run goes on, so that
    a whole tap-zoho catalog loads as it is. Map the stream in ``streams`` to write it.
    The natural keys of ``desk_departments`` and ``desk_agents`` records are noted, for the
    Desk lookups pointing at them (``target_zoho.desk_lookups``).
    """

    passed_over = 0

    @override
    def setup(self) -> None:
        self.logger.warning(
            "Stream %s is read-only in Zoho: its records are not written (map it in 'streams' "
            "to write them to a module)",
            self.stream_name,
        )

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        records = context.get("records", [])
        if self.route.product == "desk":
            self.zoho.desk_sources.note(self.route.module, records)
        self.passed_over += len(records)

    @override
    def clean_up(self) -> None:
        if self.passed_over:
            self.logger.warning(
                "Stream %s: %d record%s not written (read-only in Zoho)",
                self.stream_name,
                self.passed_over,
                "" if self.passed_over == 1 else "s",
            )
        super().clean_up()
