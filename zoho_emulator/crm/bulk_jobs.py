"""Bulk Read jobs: the queue, the export worker and the result files.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/job-details.html,
https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html and
https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html.

Jobs run one at a time in a background task on the server's event loop (the module stores are
not thread-safe). An export scans the module in a fixed order, streams CSV rows into a ZIP on
disk and pauses every few milliseconds so that other calls keep being answered; it never holds
more than one row, whatever the module's size.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import csv
import dataclasses
import functools
import io
import itertools
import logging
import random
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoho_emulator import background, timefmt
from zoho_emulator.crm import catalog, coql
from zoho_emulator.seeded import mix

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.crm.store import ModuleStore
    from zoho_emulator.settings import Settings

ADDED, QUEUED, IN_PROGRESS, COMPLETED, FAILURE = (
    "ADDED",
    "QUEUED",
    "IN PROGRESS",
    "COMPLETED",
    "FAILURE",
)
DOWNLOADS_PER_MINUTE = 10
#: Results kept a day: not documented by Zoho CRM; we assume it, as Zoho Creator's analogous
#: API keeps them.
RESULT_LIFETIME = 86_400
#: How long an export runs before letting other calls in.
_SLICE_SECONDS = 0.02
#: Records per block of the export order (see :func:`export_order`).
_BLOCK = 1024
_FAILURE_RESULT = {
    "error_message": {
        "status": "error",
        "code": "INTERNAL_SERVER_ERROR",
        "message": "Internal server error occurred.",
        "details": {},
    }
}
_log = logging.getLogger("zoho_emulator")


@dataclasses.dataclass(eq=False)
class Job:
    """One Bulk Read job.

    Attributes:
        id: The job id.
        version: The API version it was created through (its download URL's).
        org: The CRM data it exports.
        store: The module it exports.
        columns: The columns after ``Id``.
        where: Its criteria, if any.
        page: Which page of the matching records it exports.
        per_page: Records a page holds.
        query: Its query as the job details show it.
        token_key: What its next page token is bound to.
        created_by: The user who created it.
        created_time: When it was created, as CRM writes datetimes.
        ready_at: When, on the monotonic clock, it may complete at the earliest.
        progress: ``QUEUED``, then ``IN PROGRESS`` once the worker takes it.
        outcome: ``COMPLETED`` or ``FAILURE`` once the worker is done with it.
        count: Rows exported.
        more_records: Whether records remain after its page.
        next_page_token: The token of the next page, when there is one.
        completed_at: When it completed, in epoch seconds.
        path: The result ZIP, once completed.
    """

    id: str
    version: str
    org: CrmOrg
    store: ModuleStore
    columns: tuple[coql.Column, ...]
    where: coql.Where | None
    page: int
    per_page: int
    query: dict[str, Any]
    token_key: tuple[Any, ...]
    created_by: dict[str, str]
    created_time: str
    ready_at: float
    progress: str = QUEUED
    outcome: str | None = None
    count: int = 0
    more_records: bool = False
    next_page_token: str | None = None
    completed_at: float | None = None
    path: Path | None = None

    @property
    def state(self) -> str:
        """Its state: the worker's outcome shows only once the job's least duration is over."""
        if self.outcome is None or time.monotonic() < self.ready_at:
            return self.progress
        return self.outcome

    def details(self) -> dict[str, Any]:
        """The job as ``GET /read/{job_id}`` shows it."""
        state = self.state
        body: dict[str, Any] = {
            "id": self.id,
            "operation": "read",
            "state": state,
            "query": self.query,
            "created_by": self.created_by,
            "created_time": self.created_time,
            "file_type": "csv",
        }
        if state == COMPLETED:
            body["result"] = {
                "page": self.page,
                "per_page": self.per_page,
                "count": self.count,
                "download_url": f"/crm/bulk/{self.version}/read/{self.id}/result",
                "more_records": self.more_records,
                "next_page_token": self.next_page_token,
            }
        elif state == FAILURE:
            body["result"] = _FAILURE_RESULT
        return body

    def expired(self) -> bool:
        """Whether its result is past keeping."""
        return self.completed_at is not None and (
            self.completed_at + RESULT_LIFETIME <= timefmt.now()
        )


class BulkReads:
    """The Bulk Read jobs of one org, their worker and their files.

    Args:
        settings: The emulator settings (job duration, failure rate, page size).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs: dict[str, Job] = {}
        self._numbers = itertools.count()
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._directory: Path | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every job (a running export stops at its next pause) and zero the counters."""
        for job in self.jobs.values():
            if job.path is not None:
                job.path.unlink(missing_ok=True)
        self.jobs = {}
        self.downloads = 0
        self._failures = random.Random(self.settings.seed)
        self._download_times: collections.deque[float] = collections.deque()

    def new_id(self) -> str:
        """A fresh job id (never reused, not even after a reset)."""
        return catalog.record_id(catalog.BULK_JOB_CODE, next(self._numbers))

    def submit(self, job: Job) -> None:
        """Queue a job."""
        self.jobs[job.id] = job
        self._queue.put_nowait(job)

    def take_download(self) -> bool:
        """Count a download, unless 10 were counted in the last minute."""
        now = time.monotonic()
        while self._download_times and self._download_times[0] <= now - 60:
            self._download_times.popleft()
        if len(self._download_times) >= DOWNLOADS_PER_MINUTE:
            return False
        self._download_times.append(now)
        return True

    def stats(self) -> dict[str, int]:
        """The counters as ``GET /__emulator__/stats`` shows them under ``bulk_read``."""
        states = [job.state for job in self.jobs.values()]
        return {
            "jobs_created": len(states),
            "jobs_completed": states.count(COMPLETED),
            "jobs_failed": states.count(FAILURE),
            "downloads": self.downloads,
        }

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run queued jobs while the server runs; remove every result file afterwards."""
        self._directory = Path(tempfile.mkdtemp(prefix="zoho-emulator-bulk-"))
        try:
            async with background.running(self._work()):
                yield
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def _current(self, job: Job) -> bool:
        return self.jobs.get(job.id) is job

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if not self._current(job):
                continue  # dropped by a reset while queued
            job.progress = IN_PROGRESS
            try:
                await self._run(job)
            except Exception:
                _log.exception("bulk read job %s failed", job.id)
                job.outcome = FAILURE

    async def _run(self, job: Job) -> None:
        if self._failures.random() < self.settings.bulk_failure_rate:
            job.outcome = FAILURE
            return
        path = await self._export(job)
        if path is None:
            return
        if job.more_records:
            job.next_page_token = job.org.issue_page_token(job.token_key, job.page + 1)[0]
        job.path = path
        job.completed_at = timefmt.now() + max(0.0, job.ready_at - time.monotonic())
        job.outcome = COMPLETED

    async def _export(self, job: Job) -> Path | None:
        """Write a job's ZIP; None when a reset dropped the job meanwhile."""
        assert self._directory is not None  # the worker runs only inside running()
        part = self._directory / f"{job.id}.zip.part"
        store, resolve = job.store, job.org.resolve_lookup
        cells = [_cell(column, resolve) for column in job.columns]
        skip = (job.page - 1) * job.per_page
        code = store.module.code
        order = export_order(store.gen.seed, code, store.base_size + store.created)
        pause_at = time.monotonic() + _SLICE_SECONDS
        dropped = False
        with (
            zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive,
            # Streamed into the archive: the size is unknown until the end, hence zip64.
            archive.open(f"{job.id}.csv", "w", force_zip64=True) as member,
            io.TextIOWrapper(member, encoding="utf-8", newline="") as text,
        ):
            writer = csv.writer(text)
            writer.writerow(["Id", *(column.key for column in job.columns)])
            for scanned, index in enumerate(order):
                if scanned % 64 == 0 and time.monotonic() >= pause_at:
                    await asyncio.sleep(0)
                    if not self._current(job):
                        dropped = True
                        break
                    pause_at = time.monotonic() + _SLICE_SECONDS
                if not store.exists(index):
                    continue
                get = functools.partial(store.get, index)
                if job.where is not None and not job.where(get, resolve):
                    continue
                if skip:
                    skip -= 1
                    continue
                if job.count == job.per_page:
                    job.more_records = True
                    break
                writer.writerow([catalog.record_id(code, index), *(cell(get) for cell in cells)])
                job.count += 1
        if dropped:
            part.unlink()
            return None
        return part.rename(part.with_suffix(""))


def export_order(seed: int, module_code: int, size: int) -> Iterator[int]:
    """Record indices below ``size`` in the order a Bulk Read exports them.

    The order is fixed but arbitrary, never id order: blocks of 1,024 indices in a shuffled
    order, each shuffled within. A record added later takes one place in it, shifting the ones
    after it, as offset paging over a real table would; nothing is held but one block.
    """
    blocks = sorted(range(-(-size // _BLOCK)), key=lambda block: mix(seed, module_code, block, 1))
    for block in blocks:
        start = block * _BLOCK
        indices = range(start, min(start + _BLOCK, size))
        yield from sorted(indices, key=lambda index: mix(seed, module_code, index))


def _cell(column: coql.Column, resolve: coql.Resolver) -> Callable[[coql.Getter], str]:
    """How to write one column of a record."""
    if len(column.path) == 1:
        field = column.field
        return lambda get: cell_text(get(field))
    return lambda get: cell_text(coql.column_value(column, get, resolve))


def cell_text(value: Any) -> str:
    """A wire value as a CSV cell (not documented by Zoho: we assume these; the README lists them).

    Datetimes, dates and bigint digits as Get Records sends them; booleans ``true``/``false``;
    numbers as Python writes them; lookups, owners and Layout as their id; multi-select options
    joined by ``;``; Tag names joined by ``,`` (what third-party parsers split on); empty as "".
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value["id"])
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ",".join(tag["name"] for tag in value)
        return ";".join(value)
    return str(value)
