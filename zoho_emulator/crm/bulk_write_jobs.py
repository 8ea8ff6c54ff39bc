"""Bulk Write jobs: the uploads waiting for a job, the jobs, and the worker writing their rows.

Zoho's job-details page: https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/job-details.html.
A job runs ADDED (queued) → IN PROGRESS → COMPLETED (or FAILED), one at a time, each for at
least ``bulk_write_job_seconds``; not documented by Zoho, we assume one job of an org runs at a
time, so a job made while another runs stays ADDED meanwhile. The job takes its upload: once
the job is done, the upload is dropped, and only the result ZIP is kept (a day, as Bulk
Read's).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from typing import TYPE_CHECKING, Any, ClassVar

from zoho_emulator.crm import bulk_files, catalog
from zoho_emulator.crm.bulk_write_plan import ADDED, SKIPPED, UPDATED
from zoho_emulator.crm.jobs import COMPLETED, JobQueue, QueuedJob
from zoho_emulator.crm.writes import Writer

if TYPE_CHECKING:
    from pathlib import Path

    from zoho_emulator.crm.bulk_files import Upload
    from zoho_emulator.crm.bulk_write_plan import Plan
    from zoho_emulator.settings import Settings

FAILED = "FAILED"
#: How long a job writes rows before letting other calls in.
_SLICE_SECONDS = 0.02


@dataclasses.dataclass(eq=False, kw_only=True)
class WriteJob(QueuedJob):
    """One Bulk Write job (its life as :class:`.jobs.QueuedJob`'s).

    Attributes:
        version: The API version it was created through (its download URL's).
        domain: The org's ``domain_name`` (in its download URL, as Zoho's).
        plan: What it does with each row.
        upload: Its file, until it is done.
        file_name: The CSV's name.
        total: Rows in its file.
        callback: Its callback, echoed (the emulator calls no one back).
        created_by: The user who created it.
        created_time: When it was created, as CRM writes datetimes.
        counts: Rows added, updated and skipped so far.
    """

    version: str
    domain: str
    plan: Plan
    upload: Upload | None
    file_name: str
    total: int
    callback: dict[str, Any] | None
    created_by: dict[str, str]
    created_time: str
    progress: str = ADDED
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys((ADDED, UPDATED, SKIPPED), 0)
    )

    @property
    def download_url(self) -> str:
        """Where its result is, relative to the download host (as Zoho gives it)."""
        return f"/{self.version}/crm/{self.domain}/bulk-write/{self.id}/{self.id}.zip"

    def details(self) -> dict[str, Any]:
        """The job as ``GET /write/{job_id}`` shows it."""
        state = self.state
        plan = self.plan
        module = plan.module
        resource: dict[str, Any] = {
            "status": state,
            "type": "data",
            "code": FAILED if state == FAILED else "SUCCESS",
            "module": {
                "api_name": module.api_name,
                "id": catalog.record_id(catalog.METADATA_CODE, module.code),
            },
            "find_by": plan.find_by,
            "field_mappings": [column.echo() for column in plan.columns],
            "file": {
                "status": state,
                "name": self.file_name,
                "added_count": self.counts[ADDED],
                "skipped_count": self.counts[SKIPPED],
                "updated_count": self.counts[UPDATED],
                "total_count": self.total,
            },
        }
        body: dict[str, Any] = {
            "status": state,
            "character_encoding": "UTF-8",
            "operation": plan.operation,
            "ignore_empty": plan.ignore_empty,
            "id": self.id,
            "created_by": self.created_by,
            "created_time": self.created_time,
            "resource": [resource],
        }
        if self.callback is not None:
            body["callback"] = self.callback
        if state == COMPLETED:
            body["result"] = {"download_url": self.download_url}
        return body


class BulkWrites(JobQueue[WriteJob]):
    """The Bulk Write uploads and jobs of one org.

    Args:
        settings: The emulator settings (job duration, failure rate).
    """

    ID_CODE: ClassVar[int] = catalog.BULK_WRITE_CODE
    FAILED: ClassVar[str] = FAILED
    PREFIX: ClassVar[str] = "zoho-emulator-bulk-write-"

    def __init__(self, settings: Settings) -> None:
        self._file_numbers = itertools.count()
        super().__init__(settings)

    def reset(self) -> None:
        """Forget every upload and job, and zero the counters."""
        super().reset()
        self.uploads: dict[str, Upload] = {}
        self.uploaded = 0
        self.downloads = 0

    def new_file_id(self) -> str:
        """A fresh ``file_id`` (never reused, not even after a reset)."""
        return catalog.record_id(catalog.UPLOAD_CODE, next(self._file_numbers))

    def keep(self, upload: Upload) -> None:
        """Keep an upload for a job (dropping those past keeping)."""
        self.uploads = {key: kept for key, kept in self.uploads.items() if not kept.expired()}
        self.uploads[upload.id] = upload
        self.uploaded += 1

    def stats(self) -> dict[str, int]:
        """The counters as ``GET /__emulator__/stats`` shows them under ``bulk_write``."""
        states = self.states()
        return {
            "uploads": self.uploaded,
            "jobs_created": len(states),
            "jobs_completed": states.count(COMPLETED),
            "jobs_failed": states.count(FAILED),
            "downloads": self.downloads,
        }

    async def run(self, job: WriteJob) -> None:
        """Write one job's rows (unless it is drawn to fail), then wait out its duration."""
        job.ready_at = time.monotonic() + self.settings.bulk_write_job_seconds
        try:
            if self.fails(self.settings.bulk_write_failure_rate):
                job.outcome = FAILED
                return
            path = await self._write(job)
            if path is not None:
                job.complete(path)
        finally:
            job.upload = None
            await asyncio.sleep(max(0.0, job.ready_at - time.monotonic()))

    async def _write(self, job: WriteJob) -> Path | None:
        """Apply a job's rows and write its result ZIP; None when a reset dropped the job."""
        assert job.upload is not None
        upload = job.upload
        part = self.directory / f"{job.id}.zip.part"
        writer = Writer(job.plan.org, job.plan.module)
        result = bulk_files.ResultFile(part, upload.name, upload.header)
        pause_at = time.monotonic() + _SLICE_SECONDS
        dropped = False
        try:
            for number, row in enumerate(upload.records()):
                if number % 64 == 0 and time.monotonic() >= pause_at:
                    await asyncio.sleep(0)
                    if not self.current(job):
                        dropped = True
                        break
                    pause_at = time.monotonic() + _SLICE_SECONDS
                status, record_id, errors = job.plan.apply(writer, row)
                job.counts[status] += 1
                result.write(row, status, record_id, errors)
        finally:
            result.close()
        if dropped:
            part.unlink()
            return None
        return part.rename(part.with_suffix(""))
