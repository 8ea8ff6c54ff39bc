"""What CRM's and Desk's lookups share: the passes' interface, the run's copies, the unmatched.

A lookup nothing in the destination matches fails its record, or is dropped; one whose record
may yet come (:class:`Later`: a parent later in the input, in a later batch or stream) is
reported as unresolved either way, for the writer to hold its record until it comes.

A product's lookups (``target_zoho.lookups``, ``target_zoho.desk_lookups``) say how a source
lookup is found in the destination: :meth:`Lookups._look_up` asks for a batch of them at
once, :meth:`Lookups._target` answers from what was found.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from target_zoho.payloads import PayloadError
    from zoho_connector.load import RowResult

#: What to do with a lookup no destination record matches: fail its record, or leave it out.
UNRESOLVED = ("reject", "drop")


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a lookup is in a write body: a field, or a lookup of one of an array's rows.

    Attributes:
        field: The record's field.
        row: The row's position in the field's array (None for a lookup field).
        key: The row's lookup (None for a lookup field).
    """

    field: str
    row: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        return self.field if self.key is None else f"{self.field}[{self.row}].{self.key}"


class Match(Protocol):
    """How one lookup field's values are found: the field, and the module it looks up."""

    @property
    def field(self) -> str:
        """The lookup field."""

    @property
    def module(self) -> str:
        """The looked-up module."""


M = TypeVar("M", bound=Match)


@dataclasses.dataclass(frozen=True)
class Later:
    """Which unresolved lookups may yet resolve in the run (those that may wait).

    Attributes:
        held: The records (module, source id) still waiting to be written; None while the
            input goes on, when any may come.
    """

    held: frozenset[tuple[str, str]] | None = None

    def may_come(self, module: str, value: Mapping[str, Any]) -> bool:
        """Whether the record a source lookup names may yet be written in the run."""
        return self.held is None or (module, str(value.get("id"))) in self.held


class Lookups(abc.ABC, Generic[M]):
    """A module's lookup fields, resolved from the source org's ids to the destination's.

    Args:
        matches: How each lookup field is matched, by field.
        unresolved: ``reject`` (the record fails, naming the field) or ``drop`` (the lookup
            is left out).
        copies: Module → source record id → its copy's id, for the records the run wrote
            (shared by the run's streams of a product): a lookup of one of them follows it.
        waitable: The lookup fields whose records the run may write later (of a module a
            stream can write): their records may wait for them.
        mandatory: The lookup fields a write cannot leave out.
    """

    def __init__(
        self,
        matches: Mapping[str, M],
        *,
        unresolved: str = "reject",
        copies: dict[str, dict[str, str]] | None = None,
        waitable: Collection[str] = (),
        mandatory: Collection[str] = (),
    ) -> None:
        self.matches = dict(matches)
        self.waitable = frozenset(waitable)
        self.mandatory = frozenset(mandatory)
        self.on_unresolved = unresolved
        self.copies = {} if copies is None else copies
        #: Lookups left out (with ``drop``), for the log.
        self.dropped = 0

    def resolve(
        self,
        sources: Sequence[Mapping[str, Any]],
        payloads: Sequence[dict[str, Any]],
        coming: Collection[str] = (),
        later: Later | None = None,
    ) -> dict[int, PayloadError]:
        """Rewrite the payloads' lookups to destination ids, a batch of calls for them all.

        Args:
            sources: The records as they came (renamed to fields), for the lookups' values.
            payloads: Their write bodies, changed in place.
            coming: Ids of source records about to be written: lookups of them are not
                looked up (they will follow the copies).
            later: What may yet come in the run (None: nothing beyond ``coming``).

        Returns:
            By position, the records whose lookup matched no destination record: with
            ``drop``, only those of a lookup whose record may come later (the others are
            left out).
        """
        present = [
            (number, place, match, _lookup(value))
            for number, (source, payload) in enumerate(zip(sources, payloads, strict=True))
            for place, match, value in self._present(source, payload)
        ]
        self._look_up(
            [(match, value) for *_, match, value in present if str(value.get("id")) not in coming]
        )
        failures: dict[int, PayloadError] = {}
        for number, place, match, value in present:
            target = self._target(match, value)
            if target is not None:
                self._set(payloads[number], place, self._written(target))
            elif self.on_unresolved == "drop" and not self.may_come(place, match, value, later):
                self._set(payloads[number], place, None)
                self.dropped += 1
            else:
                failures.setdefault(number, self._unresolved(place, match, value))
        return failures

    def waits(self, place: Place) -> bool:
        """Whether a record may wait for the record a lookup that resolves to nothing names."""
        return place.key is None and place.field in self.waitable

    def may_come(
        self, place: Place, match: M, value: Mapping[str, Any], later: Later | None
    ) -> bool:
        """Whether an unresolved lookup may wait, and its record may yet be written."""
        return later is not None and self.waits(place) and later.may_come(match.module, value)

    def awaited(self, source: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The records (module, source id) a record's unresolved lookups name."""
        return [
            (self.matches[name].module, str(value.get("id")))
            for name, value in self.unresolved(source).items()
        ]

    def _present(
        self, source: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> Iterator[tuple[Place, M, Any]]:
        """The lookups a write body sets, with the source's values."""
        for match in self.matches.values():
            if source.get(match.field) not in (None, "") and match.field in payload:
                yield Place(match.field), match, source[match.field]

    def _set(self, payload: dict[str, Any], place: Place, value: Any) -> None:
        """Set a lookup of a write body; None leaves it out."""
        if value is None:
            del payload[place.field]
        else:
            payload[place.field] = value

    def unresolved(self, source: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        """A record's lookups that resolve to nothing yet: field → the source lookup."""
        return {
            match.field: value
            for match in self.matches.values()
            if source.get(match.field) not in (None, "")
            and self._target(match, value := _lookup(source[match.field])) is None
        }

    def unresolved_error(
        self, source: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> PayloadError:
        """The reject of a record whose lookup ``fields`` (the first names it) resolve to none."""
        name = next(iter(fields))
        return self._unresolved(Place(name), self.matches[name], _lookup(source[name]))

    def remember(self, module: str, results: Mapping[Any, RowResult]) -> None:
        """Note the ids the run's copies got, by their source records' ids."""
        copied = self.copies.setdefault(module, {})
        for source_id, result in results.items():
            record_id = result.details.get("id")
            if source_id is not None and result.success and record_id:
                copied[str(source_id)] = str(record_id)

    def _copied(self, match: M, value: Mapping[str, Any]) -> str | None:
        """The id the run's copy of the looked-up record got, if the run wrote it."""
        return self.copies.get(match.module, {}).get(str(value.get("id")))

    def _written(self, target: str) -> Any:
        """A resolved lookup as the write body carries it."""
        return {"id": target}

    @abc.abstractmethod
    def _look_up(self, needs: list[tuple[M, Mapping[str, Any]]]) -> None:
        """Find (and cache) what the destination has for these source lookups, in batches."""

    @abc.abstractmethod
    def _target(self, match: M, value: Mapping[str, Any]) -> str | None:
        """The destination id a source lookup resolves to, or None."""

    @abc.abstractmethod
    def _unresolved(self, place: Place, match: M, value: Mapping[str, Any]) -> PayloadError:
        """The reject of a record whose lookup resolves to nothing, naming where and value."""


def _lookup(value: Any) -> Mapping[str, Any]:
    """A lookup's value as an object: a bare id (a warehouse's column, Desk's) as ``{"id"}``."""
    return value if isinstance(value, dict) else {"id": str(value)}
