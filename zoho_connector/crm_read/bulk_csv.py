"""Bulk Read's CSV as records: every column typed as Get Records would return it, streamed.

Bulk Read exports every value as text: each cell is typed by its field
(``crm_types.cell_reader``), a row at a time, so memory stays flat however large the export.
(polars' streaming CSV reader buffers ahead of its consumer: its memory grew with the file,
216 to 355 MiB for 124 to 370 MB of CSV.) Lookups stay ids for the completer.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from zoho_connector import crm_types
from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from zoho_connector.crm_read.values import Completer

#: Values (records times columns) a page holds at most, and the most records it holds.
PAGE_VALUES = 200_000
BATCH_ROWS = 2000
#: Rich text holds up to 50,000 characters
#: (https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html): more than csv's default.
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
        typed = [(name, crm_types.cell_reader(metadata.get(name, {}))) for name in names]
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
