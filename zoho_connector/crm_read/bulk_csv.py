"""Bulk Read's CSV as records: every column typed as Get Records would return it, streamed.

Bulk Read exports every value as text (zoho-crm-api.md §12.3): numbers, booleans and
multi-select picklists are typed here from the field's metadata, a row at a time, so memory
stays flat however large the export. (polars' streaming CSV reader buffers ahead of its
consumer: its memory grew with the file, 216 to 355 MiB for 124 to 370 MB of CSV.) Lookups
stay ids for the completer.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from zoho_connector import fields as zoho_fields
from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from zoho_connector.crm_read.values import Completer

#: Values (records times columns) a page holds at most, and the most records it holds.
PAGE_VALUES = 200_000
BATCH_ROWS = 2000
#: How Bulk Read joins the options of a multi-select picklist in one cell (UNCONFIRMED:
#: Zoho's COQL writes such values ``'English;German'``).
MULTI_SELECT_SEPARATOR = ";"
#: Rich text holds up to 50,000 characters (zoho-crm-api.md §4.2): more than csv's default.
_LONGEST_CELL = 1 << 20


def csv_pages(
    path: Path,
    module: str,
    metadata: Mapping[str, Mapping[str, Any]],
    complete: Completer,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of records from a Bulk Read CSV (2,000, fewer for a wide module).

    Raises:
        ZohoError: A cell that does not hold its field's type, named by line and field.
    """
    csv.field_size_limit(max(csv.field_size_limit(), _LONGEST_CELL))
    # ``utf-8-sig``: a byte-order mark would otherwise stick to the first column's name.
    with path.open(newline="", encoding="utf-8-sig") as source:
        rows = csv.reader(source)
        header = next(rows, None)
        if header is None:
            return
        # Zoho's own SDKs read the record id's column as ``Id``.
        names = ["id" if name.lower() == "id" else name for name in header]
        typed = [(name, _converter(metadata.get(name, {}))) for name in names]
        batch_rows = max(1, min(BATCH_ROWS, PAGE_VALUES // len(names)))
        page: list[dict[str, Any]] = []
        for row in rows:
            try:
                cells = zip(typed, row, strict=True)  # a short or long row is an error
                record = {name: convert(value) for (name, convert), value in cells}
            except (ValueError, KeyError) as error:
                line = rows.line_num
                msg = f"Bulk Read of {module}, line {line}: a value its field cannot hold: {error}"
                raise ZohoError("INVALID_RESPONSE", msg) from None
            page.append(complete(record))
            if len(page) == batch_rows:
                yield page
                page = []
        if page:
            yield page


def _converter(field: Mapping[str, Any]) -> Callable[[str], Any]:
    """How one column's text becomes the value Get Records gives (empty cells are null)."""
    value_kind = zoho_fields.kind(field) if field else zoho_fields.TEXT
    return _CONVERTERS.get(value_kind, _text)


def _text(value: str) -> str | None:
    return value or None


def _integer(value: str) -> int | None:
    return int(value) if value else None


def _number(value: str) -> float | None:
    return float(value) if value else None


def _boolean(value: str) -> bool | None:
    return {"true": True, "false": False}[value.lower()] if value else None


def _options(value: str) -> list[str]:
    return value.split(MULTI_SELECT_SEPARATOR) if value else []


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    zoho_fields.INTEGER: _integer,
    zoho_fields.NUMBER: _number,
    zoho_fields.BOOLEAN: _boolean,
    zoho_fields.PICKLIST_ARRAY: _options,
}
