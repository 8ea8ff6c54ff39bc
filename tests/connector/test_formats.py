"""Zoho's datetime formats: the tap's fast UTC path gives what the general one gives."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from zoho_connector.formats import crm_datetime, utc_text


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-10T01:10:47-07:00",
        "2024-11-03T01:30:00-08:00",
        "2024-05-10T01:10:47+05:30",
        "2024-05-10T01:10:47Z",
        "2024-05-10T01:10:47.123+00:00",
        "2024-05-10T01:10:47",
        " 2024-05-10T01:10:47+01:00 ",
    ],
)
def test_utc_text_is_crm_datetime_in_utc(value: str) -> None:
    assert utc_text(value) == crm_datetime(value, utc=True)


def test_utc_text_matches_over_many_instants_and_offsets() -> None:
    draws = random.Random(7)
    for _ in range(2000):
        moment = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            seconds=draws.randrange(10**8)
        )
        offset = dt.timezone(dt.timedelta(minutes=15 * draws.randrange(-48, 57)))
        text = moment.astimezone(offset).isoformat()
        assert utc_text(text) == crm_datetime(text, utc=True) == moment.isoformat()


def test_utc_text_refuses_what_is_no_datetime() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        utc_text("last week")
