"""Progress of a long read or load, logged as it goes, and the summaries at the end."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping, Sequence

    from zoho_connector.usage import Usage


class Progress:
    """Counts one stream's records and logs how far it is, at most every ``interval`` seconds.

    The clock starts when the progress is made, that is when the stream starts.

    Args:
        logger: Where the lines go.
        stream: The stream's name.
        verb: What is done to the records ("read", "written").
        interval: Seconds between two progress lines.
        usage: The stream's API calls and credits so far.
        kinds: What a record done can become (``created``, ``updated``, ``deleted``): each
            counted apart, failures as ``rejected``. None: records are only counted.
    """

    def __init__(
        self,
        logger: logging.Logger,
        stream: str,
        verb: str,
        interval: float,
        usage: Callable[[], Usage],
        kinds: Sequence[str] = (),
    ) -> None:
        self.logger = logger
        self.stream = stream
        self.verb = verb
        self.interval = interval
        self.usage = usage
        self.kinds = tuple(kinds)
        self.done = 0
        self.failed = 0
        #: Records done by kind (see ``kinds``).
        self.outcomes: Counter[str] = Counter()
        #: How the records were read or written (``coql``, ``bulk``...), for the summary.
        self.how: str | None = None
        self._total: Callable[[], int] | None = None
        self._expected: int | None = None
        self._asked = False
        self._started = self._logged = time.monotonic()

    def expect(self, total: Callable[[], int]) -> None:
        """Say how to learn the records to expect (a count call).

        It is asked at the first progress line only, so that short runs pay nothing for it.
        """
        self._total = total

    def add(
        self, done: int = 1, failed: int = 0, outcomes: Mapping[str, int] | None = None
    ) -> None:
        """Count records done (of each kind, with ``kinds``) and failed; log a line when due."""
        self.done += done
        self.failed += failed
        self.outcomes.update(outcomes or {})
        now = time.monotonic()
        if now - self._logged >= self.interval:
            self._logged = now
            self.logger.info("%s", self._line(now))

    def summary(self) -> str:
        """The closing line: records (and how), API calls and credits."""
        how = f" by {self.how}" if self.how else ""
        return f"Summary: {self.stream}: {self._records()}{how}, {_spent(self.usage())}"

    def _line(self, now: float) -> str:
        if self._total is not None and not self._asked:
            self._asked = True
            try:
                self._expected = self._total()
            except ZohoError as error:  # an estimate must never stop the run
                self.logger.info("%s: no total to show (%s)", self.stream, error)
        of = ""
        if self._expected:
            of = f" of about {self._expected:,} ({100 * self.done / self._expected:.0f}%)"
        rate = self.done / max(now - self._started, 1e-3)
        calls = _amount(self.usage().calls, "API call")
        return f"{self.stream}: {self._records(of)}, {rate:,.0f} a second, {calls} so far"

    def _records(self, of: str = "") -> str:
        if self.kinds:
            return _tally(self.kinds, self.outcomes, self.failed) + of
        failed = f" ({self.failed:,} failed)" if self.failed else ""
        return f"{_amount(self.done, 'record')} {self.verb}{of}{failed}"


def run_summary(progresses: Sequence[Progress], spent: Usage, failed: bool = False) -> str:
    """The run's closing line: records of every stream, and every call and credit of the run.

    Args:
        progresses: Every stream's progress.
        spent: The run's usage, connection and discovery included.
        failed: Whether the run is stopping on an error.
    """
    verb = progresses[0].verb if progresses else "read"
    kinds = progresses[0].kinds if progresses else ()
    failures = sum(p.failed for p in progresses)
    if kinds:
        records = _tally(kinds, sum((p.outcomes for p in progresses), Counter()), failures)
    else:
        rejected = f" ({failures:,} failed)" if failures else ""
        records = f"{_amount(sum(p.done for p in progresses), 'record')} {verb}{rejected}"
    ending = " (the run failed: the figures are those up to the failure)" if failed else ""
    return f"Summary: run total: {records}, {_spent(spent)}{ending}"


def _tally(kinds: Sequence[str], outcomes: Mapping[str, int], failed: int) -> str:
    """``5 created, 2 updated, 0 deleted, 1 rejected``: every kind, and any other done."""
    others = sorted(kind for kind, count in outcomes.items() if count and kind not in kinds)
    counts = [f"{outcomes.get(kind, 0):,} {kind}" for kind in (*kinds, *others)]
    return ", ".join([*counts, f"{failed:,} rejected"])


def _spent(usage: Usage) -> str:
    return f"{_amount(usage.calls, 'API call')}, {_amount(usage.credits, 'credit')}"


def _amount(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
