"""Progress of a long read or load, logged as it goes, and its summary at the end."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from zoho_connector.usage import Usage


class Progress:
    """Counts one stream's records and logs how far it is, at most every ``interval`` seconds.

    Args:
        logger: Where the lines go.
        stream: The stream's name.
        verb: What is done to the records ("read", "written").
        interval: Seconds between two progress lines.
        usage: The stream's API calls and credits so far.
    """

    def __init__(
        self,
        logger: logging.Logger,
        stream: str,
        verb: str,
        interval: float,
        usage: Callable[[], Usage],
    ) -> None:
        self.logger = logger
        self.stream = stream
        self.verb = verb
        self.interval = interval
        self.usage = usage
        self.done = 0
        self.failed = 0
        self._total: Callable[[], int] | None = None
        self._expected: int | None = None
        self._asked = False
        self._started: float | None = None
        self._logged = 0.0

    def expect(self, total: Callable[[], int]) -> None:
        """Say how to learn the records to expect (a count call).

        It is asked at the first progress line only, so that short runs pay nothing for it.
        """
        self._total = total

    def add(self, done: int = 1, failed: int = 0) -> None:
        """Count records done (and failed); log a progress line when one is due."""
        now = time.monotonic()
        if self._started is None:
            self._started = self._logged = now
        self.done += done
        self.failed += failed
        if now - self._logged >= self.interval:
            self._logged = now
            self.logger.info("%s", self.line(now))

    def line(self, now: float) -> str:
        """A progress line: records so far, out of the total when known, rate, calls."""
        if self._total is not None and not self._asked:
            self._asked = True
            try:
                self._expected = self._total()
            except ZohoError as error:  # an estimate must never stop the run
                self.logger.info("%s: no total to show (%s)", self.stream, error)
        of = ""
        if self._expected:
            of = f" of about {self._expected:,} ({100 * self.done / self._expected:.0f}%)"
        elapsed = max(now - (self._started or now), 1e-9)
        calls = _amount(self.usage().calls, "API call")
        return (
            f"{self.stream}: {_amount(self.done, 'record')} {self.verb}{of}{self._failures()}, "
            f"{self.done / elapsed:,.0f} a second, {calls} so far"
        )

    def summary(self) -> str:
        """The closing line: records, API calls and credits."""
        usage = self.usage()
        return (
            f"Summary: {self.stream}: {_amount(self.done, 'record')} {self.verb}"
            f"{self._failures()}, "
            f"{_amount(usage.calls, 'API call')}, {_amount(usage.credits, 'credit')}"
        )

    def _failures(self) -> str:
        return f" ({self.failed:,} failed)" if self.failed else ""


def _amount(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
