"""Zoho's wire formats for dates and datetimes, as the emulator writes and parses them.

CRM: ``2024-05-10T01:10:47-07:00`` in the org's time zone, no fractional seconds
(https://www.zoho.com/crm/developer/docs/api/v8/get-records.html). Desk: UTC with milliseconds
and ``Z``, ``2024-03-05T09:12:44.000Z`` (https://desk.zoho.com/DeskAPIDocument).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

_CRM_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DESK_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z")


def now() -> float:
    """Seconds since the epoch, as the emulator's clock reads."""
    return time.time()


def crm_datetime(seconds: float, zone: ZoneInfo) -> str:
    """Format an instant the way CRM sends datetimes: the org's offset, whole seconds."""
    return dt.datetime.fromtimestamp(int(seconds), zone).isoformat()


def crm_date(seconds: float, zone: ZoneInfo) -> str:
    """Format the org-local calendar day of an instant."""
    return dt.datetime.fromtimestamp(int(seconds), zone).date().isoformat()


def parse_crm_datetime(text: str) -> float:
    """Parse a CRM datetime strictly: ``yyyy-MM-ddTHH:mm:ss±HH:mm``.

    Raises:
        ValueError: The text is not in that form.
    """
    if not isinstance(text, str) or not _CRM_DATETIME.fullmatch(text):
        msg = f"not a Zoho CRM datetime: {text!r}"
        raise ValueError(msg)
    return dt.datetime.fromisoformat(text).timestamp()


def parse_loose_datetime(text: str) -> float:
    """Parse a datetime a header or criteria may carry: ISO 8601 with an offset or ``Z``.

    Raises:
        ValueError: The text is not an ISO datetime with a time zone.
    """
    parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        msg = f"datetime without a time zone: {text!r}"
        raise ValueError(msg)
    return parsed.timestamp()


def is_date(text: object) -> bool:
    """Whether a value is a ``yyyy-MM-dd`` date that exists."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def desk_datetime(millis: int) -> str:
    """Format an instant the way Desk sends it: UTC, milliseconds, ``Z``."""
    moment = dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def parse_desk_datetime(text: str) -> int:
    """Parse a Desk datetime (``Z``, optional milliseconds) into epoch milliseconds.

    Raises:
        ValueError: The text is not in that form.
    """
    if not isinstance(text, str) or not _DESK_DATETIME.fullmatch(text):
        msg = f"not a Zoho Desk datetime: {text!r}"
        raise ValueError(msg)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(parsed.timestamp() * 1000)
