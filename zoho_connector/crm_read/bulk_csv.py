"""Bulk Read's CSV as records: every column typed as Get Records would return it, streamed.

Bulk Read exports every value as text (zoho-crm-api.md §12.3): numbers, booleans and
multi-select picklists are typed here from the field's metadata, in polars, a batch at a
time, so memory stays flat however large the export. Lookups stay ids for the completer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from zoho_connector import fields as zoho_fields
from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from zoho_connector.crm_read.values import Completer

BATCH_ROWS = 2000
#: How Bulk Read joins the options of a multi-select picklist in one cell.
MULTI_SELECT_SEPARATOR = ";"


def csv_pages(
    path: Path,
    module: str,
    metadata: Mapping[str, Mapping[str, Any]],
    complete: Completer,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of records from a Bulk Read CSV, ``batch_rows`` at a time.

    Raises:
        ZohoError: A cell that does not hold its field's type, named by module and field.
    """
    frame = pl.scan_csv(path, infer_schema=False)
    names = frame.collect_schema().names()
    # Zoho's own SDKs read the record id's column as ``Id``.
    typed = [
        pl.col(name).alias("id") if name.lower() == "id" else _typed(name, metadata.get(name, {}))
        for name in names
    ]
    try:
        for batch in frame.select(typed).collect_batches(chunk_size=batch_rows):
            yield [complete(row) for row in batch.to_dicts()]
    except pl.exceptions.InvalidOperationError as error:
        msg = f"Bulk Read of {module} exported a value its field's type cannot hold: {error}"
        raise ZohoError("INVALID_RESPONSE", msg) from None


def _typed(name: str, field: Mapping[str, Any]) -> pl.Expr:
    """One column as Get Records types it (text as it is; empty cells are null)."""
    column = pl.col(name)
    value_kind = zoho_fields.kind(field) if field else zoho_fields.TEXT
    if value_kind == zoho_fields.INTEGER:
        return column.cast(pl.Int64)
    if value_kind == zoho_fields.NUMBER:
        return column.cast(pl.Float64)
    if value_kind == zoho_fields.BOOLEAN:
        return column.str.to_lowercase().replace_strict(
            {"true": True, "false": False}, return_dtype=pl.Boolean
        )
    if value_kind == zoho_fields.PICKLIST_ARRAY:
        return (
            pl.when(column.is_null())
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(column.str.split(MULTI_SELECT_SEPARATOR))
            .alias(name)
        )
    return column
