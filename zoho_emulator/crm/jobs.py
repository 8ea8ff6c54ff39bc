"""What Bulk Read and Bulk Write jobs share: ids, states, one worker, result files.

Jobs run one at a time in a background task on the server's event loop (the module stores
are not thread-safe); their results are files in a directory that lives as long as the
server.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
import itertools
import logging
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from zoho_emulator import background, timefmt
from zoho_emulator.crm import catalog

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from zoho_emulator.settings import Settings

IN_PROGRESS = "IN PROGRESS"
COMPLETED = "COMPLETED"
#: Results kept a day: not documented by Zoho CRM; we assume it, as Zoho Creator's analogous
#: API keeps them.
RESULT_LIFETIME = 86_400
_log = logging.getLogger("zoho_emulator")


@dataclasses.dataclass(eq=False, kw_only=True)
class QueuedJob:
    """A job's life: queued, taken by the worker, done once its least duration is over.

    Attributes:
        id: The job id.
        ready_at: When, on the monotonic clock, it may show its outcome at the earliest.
        progress: Its state until then (the queue's first state, then ``IN PROGRESS``).
        outcome: ``COMPLETED`` or the failed state once the worker is done with it.
        completed_at: When it completed, in epoch seconds.
        path: Its result file, once completed.
    """

    id: str
    ready_at: float
    progress: str
    outcome: str | None = None
    completed_at: float | None = None
    path: Path | None = None

    @property
    def state(self) -> str:
        """Its state: the worker's outcome shows only once the job's least duration is over."""
        if self.outcome is None or time.monotonic() < self.ready_at:
            return self.progress
        return self.outcome

    def complete(self, path: Path) -> None:
        """Record its result file; it shows as completed once its least duration is over."""
        self.path = path
        self.completed_at = timefmt.now() + max(0.0, self.ready_at - time.monotonic())
        self.outcome = COMPLETED

    def expired(self) -> bool:
        """Whether its result is past keeping."""
        return self.completed_at is not None and (
            self.completed_at + RESULT_LIFETIME <= timefmt.now()
        )


J = TypeVar("J", bound=QueuedJob)


class JobQueue(abc.ABC, Generic[J]):
    """The jobs of one kind, run one at a time by a worker, and their files.

    Args:
        settings: The emulator settings.
    """

    #: The catalog code inside its job ids (ids of two kinds never meet).
    ID_CODE: ClassVar[int]
    #: The state of a job that failed.
    FAILED: ClassVar[str]
    #: What its directory's name starts with.
    PREFIX: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs: dict[str, J] = {}
        self._numbers = itertools.count()
        self._queue: asyncio.Queue[J] = asyncio.Queue()
        self._directory: Path | None = None
        self._failures = random.Random(settings.seed)
        self.reset()

    def reset(self) -> None:
        """Forget every job (a running one stops at its next pause) and restart the draws."""
        for job in self.jobs.values():
            if job.path is not None:
                job.path.unlink(missing_ok=True)
        self.jobs = {}
        self._failures = random.Random(self.settings.seed)

    def new_id(self) -> str:
        """A fresh job id (never reused, not even after a reset)."""
        return catalog.record_id(self.ID_CODE, next(self._numbers))

    def submit(self, job: J) -> None:
        """Queue a job."""
        self.jobs[job.id] = job
        self._queue.put_nowait(job)

    def fails(self, rate: float) -> bool:
        """Whether the next job fails (drawn in job order from the seed)."""
        return self._failures.random() < rate

    def states(self) -> list[str]:
        """Every job's state."""
        return [job.state for job in self.jobs.values()]

    @property
    def directory(self) -> Path:
        """Where result files go (the worker runs only inside :meth:`running`)."""
        assert self._directory is not None
        return self._directory

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run queued jobs while the server runs; remove every result file afterwards."""
        self._directory = Path(tempfile.mkdtemp(prefix=self.PREFIX))
        try:
            async with background.running(self._work()):
                yield
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def current(self, job: J) -> bool:
        """Whether a job is still one of the queue's (a reset drops them all)."""
        return self.jobs.get(job.id) is job

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if not self.current(job):
                continue  # dropped by a reset while queued
            job.progress = IN_PROGRESS
            try:
                await self.run(job)
            except Exception:
                _log.exception("%s job %s failed", type(self).__name__, job.id)
                job.outcome = self.FAILED

    @abc.abstractmethod
    async def run(self, job: J) -> None:
        """Do one job: set its outcome (and result file), unless a reset dropped it."""
