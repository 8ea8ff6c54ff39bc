"""Records to DataFrames and back: nested objects become ``Owner.id``-style columns."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``Owner.name``); lists of objects as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                flat.update(flatten(value, f"{name}."))
            else:
                flat[name] = None
        elif isinstance(value, list) and any(isinstance(item, Mapping | list) for item in value):
            flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def unflatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys back into nested objects: ``{"Owner.id": 1}`` → ``{"Owner": {"id": 1}}``."""
    nested: dict[str, Any] = {}
    for key, value in row.items():
        target = nested
        *parents, leaf = key.split(".")
        for parent in parents:
            child = target.get(parent)
            if not isinstance(child, dict):
                child = {}
                target[parent] = child
            target = child
        target[leaf] = value
    return nested


def to_frame(records: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Records as one DataFrame, columns in the order they first appear."""
    rows = [flatten(record) for record in records]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    # An empty lookup in one record is the absence of its dotted columns, not a column.
    for column in [c for c in columns if any(k.startswith(f"{c}.") for k in columns)]:
        if all(row.get(column) is None for row in rows):
            del columns[column]
    return pl.DataFrame(
        {column: [row.get(column) for row in rows] for column in columns}, strict=False
    )
