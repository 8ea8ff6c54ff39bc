"""What a catalog keeps of Zoho's field metadata, so a sync needs no metadata call.

COQL and Bulk Read return lookups as ids and every value of a CSV as text; reading them as
Get Records would return them takes a little of each field's metadata (its data type, a
lookup's module). Discovery puts that in each property's catalog metadata as ``zoho-field``;
a catalog without it (made before) costs one ``settings/fields`` call a stream at sync.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from singer_sdk import singerlib

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

KEY = "zoho-field"


@dataclasses.dataclass(slots=True)
class FieldMetadata(singerlib.Metadata):
    """A property's Singer metadata, with the Zoho field facts (``zoho-field``)."""

    zoho_field: dict[str, Any] | None = None


def with_facts(metadata: singerlib.Metadata, facts: Mapping[str, Any]) -> FieldMetadata:
    """A property's metadata carrying its Zoho field facts."""
    return FieldMetadata(
        inclusion=metadata.inclusion,
        selected=metadata.selected,
        selected_by_default=metadata.selected_by_default,
        zoho_field=dict(facts),
    )


def facts_of(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Zoho field facts of a catalog entry's metadata list, by property name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        breadcrumb = entry.get("breadcrumb") or []
        facts = (entry.get("metadata") or {}).get(KEY)
        if len(breadcrumb) == 2 and breadcrumb[0] == "properties" and isinstance(facts, dict):
            found[str(breadcrumb[1])] = facts
    return found


def with_catalog_facts(
    entry: dict[str, Any], facts: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A catalog entry (as the SDK parsed it) with the Zoho field facts put back."""
    for item in entry.get("metadata") or []:
        breadcrumb = item.get("breadcrumb") or []
        if len(breadcrumb) == 2 and breadcrumb[0] == "properties" and breadcrumb[1] in facts:
            item.setdefault("metadata", {})[KEY] = dict(facts[breadcrumb[1]])
    return entry
