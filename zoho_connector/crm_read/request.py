"""What one CRM read asks for, and the key its records are ordered by."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from zoho_connector import fields as zoho_fields
from zoho_connector.conditions import Condition, query_condition
from zoho_connector.formats import parse_datetime

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAX_FIELDS = 50
MAX_PER_PAGE = 200
SORT_FIELDS = ("id", "Modified_Time", "Created_Time")
MODIFIED_TIME = "Modified_Time"

#: Zoho's answers meaning "not this way" (no scope for COQL or Bulk Read, an edition without
#: them, a module they do not serve): the next way is tried
#: (https://www.zoho.com/crm/help/api/error-messages.html).
REFUSED = frozenset(
    {
        "OAUTH_SCOPE_MISMATCH",
        "NO_PERMISSION",
        "FEATURE_NOT_ENABLED",
        "FEATURE_NOT_SUPPORTED",
        "NOT_SUPPORTED",
        "API_NOT_SUPPORTED",
        "INVALID_MODULE",
    }
)


#: One API call: (method, path, params=, json=, headers=, ...) -> Zoho's body or None.
Call = Any
#: A record's place in a read's order: its order value (as epoch seconds), then its id.
Key = tuple[float, int]


@dataclasses.dataclass(frozen=True)
class PageRead:
    """What to read from one module.

    Attributes:
        module: The module's API name.
        fields: The fields to return (``id`` is always returned).
        order_by: ``id``, ``Modified_Time`` or ``Created_Time``, ascending, ties by id.
        since: Only records modified after this ISO datetime.
        until: Only records modified at or before this ISO datetime: a second before the
            read starts (Zoho's clock), so that the records it reads stand still (one updated
            meanwhile goes past the bound, to the next read), and the read's last record is
            a bookmark no record changed during the read can be behind.
        filter: Conditions from :func:`~zoho_connector.conditions.query_condition`.
        per_page: Records per Get Records call (at most 200).
        converted: Zoho's ``converted`` (Leads): ``both`` reads converted Leads too.
        approved: Zoho's ``approved``: ``both`` reads records awaiting approval too.
        metadata: Zoho's field metadata (``settings/fields`` entries) by API name: what COQL
            and Bulk Read need to return values as Get Records does. Fields missing here
            are taken as text.
    """

    module: str
    fields: Sequence[str]
    order_by: str = "id"
    since: str | None = None
    until: str | None = None
    filter: Sequence[Condition] = ()
    per_page: int = MAX_PER_PAGE
    converted: str = "both"
    approved: str = "both"
    metadata: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def listed_fields(self) -> list[str]:
        """The fields a list call returns: all asked but ``id`` and the detail-only ones."""
        return [
            name
            for name in dict.fromkeys(self.fields)
            if name != "id" and zoho_fields.in_lists(self.metadata.get(name, {}))
        ]

    def conditions(self) -> list[Condition]:
        """The filter, with ``since`` and ``until`` as conditions on Modified_Time."""
        conditions = list(self.filter)
        for operator, bound in ((">", self.since), ("<=", self.until)):
            if bound is not None:
                conditions += query_condition(MODIFIED_TIME, operator, bound, "datetime", utc=False)
        return conditions

    def within(self, record: Mapping[str, Any]) -> bool:
        """Whether a record was modified at or before ``until`` (always, without one)."""
        if self.until is None:
            return True
        modified = record.get(MODIFIED_TIME)
        return modified is None or parse_datetime(modified) <= parse_datetime(self.until)

    def field(self, name: str) -> Mapping[str, Any]:
        """The metadata of one field (empty when unknown)."""
        return self.metadata.get(name, {})

    def key(self, record: Mapping[str, Any]) -> Key:
        """Where a record stands in the read's order."""
        return order_key(record, self.order_by)


def order_key(record: Mapping[str, Any], order_by: str) -> Key:
    """(order value as epoch seconds, id); an empty value sorts first, as COQL sorts it."""
    record_id = int(record["id"])
    if order_by == "id":
        return (0.0, record_id)
    value = record.get(order_by)
    return (float("-inf") if value is None else parse_datetime(value).timestamp(), record_id)


def chunked(
    names: Sequence[str], first: Sequence[str] = (), size: int = MAX_FIELDS
) -> list[list[str]]:
    """Names in groups of at most ``size``, the ``first`` ones leading the first group."""
    ordered = list(dict.fromkeys([*first, *names]))
    return [ordered[start : start + size] for start in range(0, len(ordered), size)] or [[]]
