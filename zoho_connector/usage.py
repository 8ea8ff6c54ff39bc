"""API usage per stream: calls made and Zoho API credits spent, counted where they happen.

A caller names what its calls are for with ``usage_scope("crm_leads")``; every call made
inside (threads started through :func:`in_parallel` or ``run_batches`` too) is counted under
that name. A generator
reads through :func:`scoped`, so that the scope holds only while it computes an item.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import threading
from typing import TYPE_CHECKING, TypeVar

from zoho_connector.errors import ZohoBudgetError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

T = TypeVar("T")
R = TypeVar("R")

_SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("zoho_usage_scope", default="")


@dataclasses.dataclass
class Usage:
    """Calls (every attempt) and credits (answered calls) of one scope."""

    calls: int = 0
    credits: int = 0


class Budget:
    """At most ``limit`` API credits for a run, over every client sharing it.

    A call's credits are held while it is in flight, so that calls made at once cannot pass
    the limit together; Zoho's answer settles them (Desk tells a call's weight only then).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0
        self._held = 0
        self._lock = threading.Lock()

    def hold(self, credits: int) -> None:
        """Hold a call's credits, or refuse the call.

        Raises:
            ZohoBudgetError: The call could pass the limit.
        """
        with self._lock:
            if self.spent + self._held + credits > self.limit:
                raise ZohoBudgetError(
                    "MAX_CREDITS",
                    f"stopped before passing max_credits ({self.limit:,}): {self.spent:,} "
                    f"credits spent, and the next call costs {credits:,}",
                    hint="the STATE written says what was read: the next run goes on from "
                    "there (raise max_credits to read more in one run)",
                )
            self._held += credits

    def settle(self, held: int, spent: int) -> None:
        """Release a call's hold and count what it spent."""
        with self._lock:
            self._held -= held
            self.spent += spent


class Ledger:
    """Usage by scope, safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage: dict[str, Usage] = {}

    def record(self, *, calls: int = 0, credits: int = 0) -> None:
        """Count calls and credits under the current scope."""
        with self._lock:
            usage = self._usage.setdefault(_SCOPE.get(), Usage())
            usage.calls += calls
            usage.credits += credits

    def of(self, scope: str) -> Usage:
        """A copy of one scope's usage."""
        with self._lock:
            return dataclasses.replace(self._usage.get(scope, Usage()))

    def total(self) -> Usage:
        """Usage of every scope together."""
        with self._lock:
            return Usage(
                sum(u.calls for u in self._usage.values()),
                sum(u.credits for u in self._usage.values()),
            )


@contextlib.contextmanager
def usage_scope(name: str) -> Iterator[None]:
    """Count the calls made inside under ``name``."""
    token = _SCOPE.set(name)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(name: str, items: Iterable[T]) -> Iterator[T]:
    """The items of an iterable; the calls made while each is computed count under ``name``.

    The scope is set around each step only, never across a ``yield``: the caller's own calls
    between two items (a child stream's, say) are not counted here.
    """
    iterator = iter(items)
    while True:
        with usage_scope(name):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def in_parallel(function: Callable[[T], R], items: Sequence[T], n_concurrent: int) -> list[R]:
    """``function`` of every item, in order, ``n_concurrent`` at a time.

    Each call runs in a copy of the caller's context, so its API calls count for the caller's
    scope. The first error is raised once the calls already running end; the rest never start.
    """
    workers = max(1, min(n_concurrent, len(items)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


_END = object()


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of an iterator, the next ``depth`` computed in a thread meanwhile.

    While the caller works on one page of records, the next ones are fetched: the calls'
    latency and the caller's work overlap. The thread runs in a copy of the caller's context,
    so its calls count for the caller's scope; an error is raised to the caller in turn.
    """
    context = contextvars.copy_context()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # one at a time, in order

    def step() -> T | object:
        return next(items, _END)

    def following() -> concurrent.futures.Future[T | object]:
        return pool.submit(context.run, step)

    try:
        ahead = collections.deque(following() for _ in range(depth))
        while (item := ahead.popleft().result()) is not _END:
            ahead.append(following())
            yield item  # type: ignore[misc]  # not _END: an item
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
