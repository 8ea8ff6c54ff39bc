"""Bulk Read jobs: the queue, the export worker and the result files.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/job-details.html,
https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html and
https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html.

Jobs run one at a time in the background (:mod:`.jobs`). An export scans the module in a fixed
order, streams CSV rows into a ZIP on disk and pauses every few milliseconds so that other
calls keep being answered; it never holds more than one row, whatever the module's size.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import dataclasses
import functools
import io
import time
import zipfile
from typing import TYPE_CHECKING, Any, ClassVar

from zoho_emulator.crm import catalog, coql
from zoho_emulator.crm.jobs import COMPLETED, JobQueue, QueuedJob
from zoho_emulator.seeded import mix

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.crm.store import ModuleStore

ADDED, QUEUED, FAILURE = "ADDED", "QUEUED", "FAILURE"
DOWNLOADS_PER_MINUTE = 10
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


@dataclasses.dataclass(eq=False, kw_only=True)
class Job(QueuedJob):
    """One Bulk Read job (its life as :class:`.jobs.QueuedJob`'s).

    Attributes:
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
        count: Rows exported.
        more_records: Whether records remain after its page.
        next_page_token: The token of the next page, when there is one.
    """

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
    progress: str = QUEUED
    count: int = 0
    more_records: bool = False
    next_page_token: str | None = None

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


class BulkReads(JobQueue[Job]):
    """The Bulk Read jobs of one org, their worker and their files.

    Args:
        settings: The emulator settings (job duration, failure rate, page size).
    """

    ID_CODE: ClassVar[int] = catalog.BULK_JOB_CODE
    FAILED: ClassVar[str] = FAILURE
    PREFIX: ClassVar[str] = "zoho-emulator-bulk-"

    def reset(self) -> None:
        """Forget every job (a running export stops at its next pause) and zero the counters."""
        super().reset()
        self.downloads = 0
        self._download_times: collections.deque[float] = collections.deque()

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
        states = self.states()
        return {
            "jobs_created": len(states),
            "jobs_completed": states.count(COMPLETED),
            "jobs_failed": states.count(FAILURE),
            "downloads": self.downloads,
        }

    async def run(self, job: Job) -> None:
        """Export one job's page, unless it is drawn to fail."""
        if self.fails(self.settings.bulk_failure_rate):
            job.outcome = FAILURE
            return
        path = await self._export(job)
        if path is None:
            return
        if job.more_records:
            job.next_page_token = job.org.issue_page_token(job.token_key, job.page + 1)[0]
        job.complete(path)

    async def _export(self, job: Job) -> Path | None:
        """Write a job's ZIP; None when a reset dropped the job meanwhile."""
        part = self.directory / f"{job.id}.zip.part"
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
                    if not self.current(job):
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
