"""A Bulk Write CSV cell as the JSON value a REST write would carry, by its field's type.

Zoho's create-job page,
https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/create-job.html, gives the
defaults: dates ``MM/dd/yyyy``, datetimes ``MM/dd/yyyy HH:mm:ss``, unless a mapping's
``format`` says otherwise. The rest is not documented by Zoho; we assume: booleans ``true`` or
``false`` in any case, numbers as decimal text, multi-select options joined by ``;`` (as Bulk
Read writes them), lookups, owners and Layout by their id, datetimes without an offset in the
org's time zone. The values then go through the REST writer's validation
(:mod:`.writes`), which alone decides what is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from zoho_emulator.crm.catalog import Field

DATE_FORMAT = "MM/dd/yyyy"
DATETIME_FORMAT = "MM/dd/yyyy HH:mm:ss"
_TOKENS = {
    "yyyy": "%Y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "XXX": "%z",
    "Z": "%z",
}
#: A pattern's parts: quoted text, a run of one letter (Java's ``ssXXX`` is ``ss`` then
#: ``XXX``), other text.
_PATTERN = re.compile(r"'[^']*'|([A-Za-z])\1*|[^A-Za-z']+")
_REFERENCE_TYPES = frozenset(
    {"lookup", "ownerlookup", "userlookup", "multi_module_lookup", "layout"}
)
_DECIMAL_TYPES = frozenset({"double", "currency", "percent"})


def strptime_format(pattern: str) -> str:
    """A Java date pattern (Zoho's ``format``) as a :func:`datetime.strptime` format.

    Raises:
        ValueError: A letter run the emulator does not know (``INVALID_FORMAT``).
    """
    parts = []
    for token in (match.group() for match in _PATTERN.finditer(pattern)):
        if token.startswith("'"):
            parts.append(token.strip("'").replace("%", "%%"))
        elif token.isalpha():
            if token not in _TOKENS:
                msg = f"unknown date pattern letters {token!r}"
                raise ValueError(msg)
            parts.append(_TOKENS[token])
        else:
            parts.append(token.replace("%", "%%"))
    return "".join(parts)


def parser(field: Field, zone: ZoneInfo, pattern: str | None = None) -> Callable[[str], Any]:
    """How to read a non-empty cell of a field.

    Args:
        field: The field the column is mapped to.
        zone: The org's time zone (datetimes without an offset are in it).
        pattern: The mapping's ``format`` for a date or datetime; Zoho's default otherwise.

    Raises:
        ValueError: ``pattern`` is not a date pattern the emulator knows.
    """
    data_type = field.data_type
    if data_type == "date":
        date_format = strptime_format(pattern or DATE_FORMAT)
        return lambda text: _date(text, date_format)
    if data_type == "datetime":
        datetime_format = strptime_format(pattern or DATETIME_FORMAT)
        return lambda text: _datetime(text, datetime_format, zone)
    if data_type == "integer":
        return int
    if data_type in _DECIMAL_TYPES:
        return float
    if data_type == "boolean":
        return _boolean
    if data_type == "multiselectpicklist":
        return lambda text: [item.strip() for item in text.split(";") if item.strip()]
    if data_type in _REFERENCE_TYPES:
        return lambda text: {"id": text.strip()}
    return str


def _date(text: str, date_format: str) -> str:
    # A calendar day: no time zone to attach.
    return dt.datetime.strptime(text, date_format).date().isoformat()  # noqa: DTZ007


def _datetime(text: str, datetime_format: str, zone: ZoneInfo) -> str:
    parsed = dt.datetime.strptime(text, datetime_format)  # noqa: DTZ007 - the zone comes next
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return timefmt.crm_datetime(parsed.timestamp(), zone)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        msg = f"not a boolean: {text!r}"
        raise ValueError(msg)
    return lowered == "true"
