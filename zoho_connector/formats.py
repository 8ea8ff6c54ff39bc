"""Zoho's date and datetime formats, read and written in one place for the tap and the target.

CRM sends ``2024-05-10T01:10:47-07:00`` (the user's offset, whole seconds) and takes the same
form back (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html); Desk sends UTC with
milliseconds and ``Z`` (https://desk.zoho.com/DeskAPIDocument). Readers accept any ISO 8601
offset, ``Z`` included.
"""

from __future__ import annotations

import datetime as dt

_UTC = dt.UTC


def parse_datetime(value: str | dt.datetime) -> dt.datetime:
    """An aware datetime from Zoho's text (any offset or ``Z``) or a datetime.

    Naive values are taken as UTC.

    Raises:
        ValueError: Not an ISO 8601 datetime.
    """
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


def crm_datetime(value: str | dt.datetime, *, utc: bool = False) -> str:
    """A datetime as CRM takes it: ``yyyy-MM-ddTHH:mm:ss±HH:mm``.

    Args:
        value: A datetime or ISO text.
        utc: Convert to UTC; otherwise the value keeps its own offset.
    """
    moment = parse_datetime(value).replace(microsecond=0)
    if utc:
        moment = moment.astimezone(_UTC)
    return moment.isoformat()


def utc_text(value: str) -> str:
    """A CRM datetime's text in UTC, as :func:`crm_datetime` with ``utc`` gives it, faster.

    The tap converts every datetime of every record, so this path is kept short.
    """
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return crm_datetime(value, utc=True)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC).replace(microsecond=0).isoformat()


def crm_date(value: str | dt.date) -> str:
    """A date as CRM takes it: ``yyyy-MM-dd`` (a datetime keeps its own calendar day).

    Raises:
        ValueError: Not a date.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value.strip()
    return dt.date.fromisoformat(text[:10]).isoformat()


def desk_datetime(value: str | dt.datetime) -> str:
    """A datetime as Desk takes it: UTC, milliseconds, ``Z``."""
    moment = parse_datetime(value).astimezone(_UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def time_of_day_in(seconds: float) -> str:
    """The UTC time of day ``seconds`` from now, as a log line or an error tells it."""
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.strftime("%H:%M:%S UTC")
