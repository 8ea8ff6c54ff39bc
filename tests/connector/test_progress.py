"""Progress lines and summaries (pure logic)."""

from __future__ import annotations

import logging
import time

import pytest

from zoho_connector.errors import ZohoError
from zoho_connector.progress import Progress, run_summary
from zoho_connector.usage import Ledger, Usage, in_parallel, usage_scope

LOGGER = logging.getLogger("progress-test")


class Count:
    """A total that remembers how often it was asked."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.asked = 0

    def __call__(self) -> int:
        self.asked += 1
        return self.value


def test_no_line_before_the_interval_and_no_count_for_a_short_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    count = Count(10)
    progress = Progress(LOGGER, "crm_leads", "read", 3600, Usage)
    progress.expect(count)
    with caplog.at_level(logging.INFO):
        progress.add(5)
    assert caplog.messages == []
    assert count.asked == 0
    assert progress.summary() == "Summary: crm_leads: 5 records read, 0 API calls, 0 credits"


def test_lines_show_the_total_asked_once(caplog: pytest.LogCaptureFixture) -> None:
    count = Count(4000)
    progress = Progress(LOGGER, "crm_leads", "read", 0, lambda: Usage(calls=1, credits=1))
    progress.expect(count)
    with caplog.at_level(logging.INFO):
        progress.add(1000)
        progress.add(1000)
    assert count.asked == 1
    assert caplog.messages[0].startswith("crm_leads: 1,000 records read of about 4,000 (25%), ")
    assert caplog.messages[0].endswith(" a second, 1 API call so far")
    assert caplog.messages[1].startswith("crm_leads: 2,000 records read of about 4,000 (50%), ")


def test_a_failed_count_leaves_the_total_out(caplog: pytest.LogCaptureFixture) -> None:
    def refused() -> int:
        raise ZohoError("NO_PERMISSION", "permission denied")

    progress = Progress(LOGGER, "desk_tickets", "read", 0, Usage)
    progress.expect(refused)
    with caplog.at_level(logging.INFO):
        progress.add(3)
    assert "no total to show" in caplog.messages[0]
    assert caplog.messages[1].startswith("desk_tickets: 3 records read, ")


def test_failures_are_counted_apart(caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(LOGGER, "crm_notes", "read", 0, lambda: Usage(calls=12, credits=1234))
    with caplog.at_level(logging.INFO):
        progress.add(95, 5)
    assert caplog.messages[0].startswith("crm_notes: 95 records read (5 failed), ")
    assert progress.summary() == (
        "Summary: crm_notes: 95 records read (5 failed), 12 API calls, 1,234 credits"
    )


def test_kinds_are_counted_apart_and_failures_as_rejected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kinds = ("created", "updated", "deleted")
    progress = Progress(LOGGER, "people", "written", 0, lambda: Usage(12, 1234), kinds)
    with caplog.at_level(logging.INFO):
        progress.add(1_200, 5, {"created": 1_000, "updated": 200})
        progress.add(3, 0, {"updated": 1, "upserted": 2})
    assert caplog.messages[0].startswith(
        "people: 1,000 created, 200 updated, 0 deleted, 5 rejected, "
    )
    assert progress.summary() == (
        "Summary: people: 1,000 created, 201 updated, 0 deleted, 2 upserted, 5 rejected, "
        "12 API calls, 1,234 credits"
    )


def test_the_ledger_counts_by_scope() -> None:
    ledger = Ledger()
    ledger.record(calls=1, credits=1)  # outside any scope: connection, discovery
    with usage_scope("crm_leads"):
        ledger.record(calls=2, credits=3)
        with usage_scope("crm_notes"):
            ledger.record(calls=1)
        ledger.record(credits=1)
    assert ledger.of("crm_leads") == Usage(2, 4)
    assert ledger.of("crm_notes") == Usage(1, 0)
    assert ledger.total() == Usage(4, 5)


def test_calls_in_parallel_keep_their_order_and_count_for_the_caller() -> None:
    ledger = Ledger()

    def call(number: int) -> int:
        ledger.record(calls=1)
        time.sleep(0.01)
        return number * 2

    with usage_scope("crm_leads"):
        assert in_parallel(call, list(range(20)), 4) == [n * 2 for n in range(20)]
    assert ledger.of("crm_leads") == Usage(20, 0)
    assert ledger.of("") == Usage(0, 0)


def test_the_first_error_in_parallel_is_raised_and_the_rest_never_start() -> None:
    started: list[int] = []

    def call(number: int) -> int:
        started.append(number)
        if number == 0:
            raise ZohoError("INVALID_TOKEN", "no")
        time.sleep(0.05)
        return number

    with pytest.raises(ZohoError, match="INVALID_TOKEN"):
        in_parallel(call, list(range(100)), 2)
    assert len(started) < 10


def test_the_run_summary_adds_the_streams_up() -> None:
    leads = Progress(LOGGER, "crm_leads", "read", 30, Usage)
    deals = Progress(LOGGER, "crm_deals", "read", 30, Usage)
    leads.add(1000)
    deals.add(1)
    spent = Usage(calls=7, credits=1)
    assert run_summary([leads, deals], spent) == (
        "Summary: run total: 1,001 records read, 7 API calls, 1 credit"
    )
    kinds = ("created", "updated", "deleted")
    people = Progress(LOGGER, "people", "written", 30, Usage, kinds)
    people.add(10, 2, {"created": 7, "deleted": 3})
    leavers = Progress(LOGGER, "leavers", "written", 30, Usage, kinds)
    leavers.add(4, 1, {"deleted": 4})
    assert run_summary([people, leavers], spent, failed=True) == (
        "Summary: run total: 7 created, 0 updated, 7 deleted, 3 rejected, 7 API calls, 1 credit "
        "(the run failed: the figures are those up to the failure)"
    )
