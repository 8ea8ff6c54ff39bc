"""A Python value as Zoho's JSON takes it: the last step of every CRM and Desk write."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any

from zoho_connector.formats import crm_date, crm_datetime


def to_wire(value: Any, datetimes: Callable[[dt.datetime], str] = crm_datetime) -> Any:
    """A value as Zoho's JSON takes it (dates and datetimes as text, decimals as numbers).

    Args:
        value: Any value, containers walked.
        datetimes: How a datetime is written (CRM's form by default,
            ``formats.desk_datetime`` for Desk).
    """
    if isinstance(value, dt.datetime):
        return datetimes(value)
    if isinstance(value, dt.date):
        return crm_date(value)
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: to_wire(item, datetimes) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item, datetimes) for item in value]
    return value
