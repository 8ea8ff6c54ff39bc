"""Writing with Bulk Write: records as CSV files of up to 25,000 rows, one job a file.

Zoho's pages: https://www.zoho.com/crm/developer/docs/api/v8/bulk-write/upload-file.html (the
ZIP of one CSV, headers ``feature: bulk-write`` and ``X-CRM-ORG``),
https://www.zoho.com/crm/developer/docs/api/v8/bulk-write/create-job.html (``operation``,
``resource``, ``find_by``, ``field_mappings`` with a date's ``format``),
https://www.zoho.com/crm/developer/docs/api/v8/bulk-write/job-details.html and
https://www.zoho.com/crm/developer/docs/api/v8/bulk-write/download-result.html (the input
rows with ``STATUS``, ``RECORD_ID`` and ``ERRORS``). A job costs 500 credits whatever its size
(https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html), against one per ten records
by REST: for tens of thousands of records it is Zoho's cheapest write.

Cells are the records' JSON values as text: lookups, owners and layouts by their id, booleans
``true``/``false``, multi-select options joined by ``;``, dates and datetimes as the REST API
takes them, their mappings' ``format`` saying so. Every file's jobs are made first (Zoho runs
them one after the other), then each is waited for and its result read.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoho_connector import bulk_jobs
from zoho_connector.errors import RUN_ERRORS, ZohoError, ZohoInputError
from zoho_connector.load import Action, RowResult, in_input_order

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from zoho_connector.crm_read.request import Call

#: Rows a file may hold (Zoho's limit).
FILE_ROWS = 25_000
#: A job's credits.
JOB_CREDITS = 500
OPERATIONS = {Action.CREATE: "insert", Action.UPDATE: "update", Action.INTEGRATE: "upsert"}
#: Java date patterns matching the REST API's values (``formats.crm_datetime``).
FORMATS = {"date": "yyyy-MM-dd", "datetime": "yyyy-MM-dd'T'HH:mm:ssXXX"}
#: Seconds between two status checks of a job (a credit each): growing, then the setting.
POLL_WAITS = (1.0, 2.0, 4.0)
BULK_WRITE_FAILED = "BULK_WRITE_FAILED"
_RESULTS = {"ADDED": "insert", "UPDATED": "update"}


@dataclasses.dataclass(frozen=True)
class WriteApi:
    """The client's calls a Bulk Write makes, and how long it waits.

    Attributes:
        call: The client's API call (full URLs).
        download: Saves a URL's body (a path from the API host) into a file.
        root: The jobs' URL (``{api}/crm/bulk/{version}/write``).
        upload: The upload's URL (``{content host}/crm/{version}/upload``).
        org: The org's ``zgid`` (the upload's ``X-CRM-ORG``).
        poll: Most seconds between two status checks.
        timeout: Seconds a job may take before the write gives up.
    """

    call: Call
    download: Callable[[str, Path], None]
    root: str
    upload: str
    org: Callable[[], str]
    poll: float = 10.0
    timeout: float = 6 * 3600.0


class BulkWriter:
    """One Bulk Write of a module's records (see the module docstring).

    Args:
        api: The calls it makes.
        module: The module's API name.
        action: CREATE, UPDATE or INTEGRATE.
        types: Each field's ``data_type``, by API name.
        find_by: What an upsert matches on (an update: ``id``).
    """

    def __init__(
        self,
        api: WriteApi,
        module: str,
        action: Action,
        types: Mapping[str, str],
        find_by: str | None = None,
    ) -> None:
        if action not in OPERATIONS:
            msg = f"Bulk Write takes insert, update or upsert, not {action.name}"
            raise ZohoInputError(msg)
        if action == Action.INTEGRATE and not find_by:
            msg = f"an upsert of {module} by Bulk Write needs a sync key"
            raise ZohoInputError(msg)
        self.api = api
        self.module = module
        self.action = action
        self.types = types
        self.find_by = "id" if action == Action.UPDATE else find_by

    def write(self, rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        """Write rows (Zoho's JSON values); one result per row, in order.

        A row with a value no CSV cell holds (a subform, a lookup without its id) fails alone;
        a file or job Zoho refused fails the rows of its file.

        Raises:
            ZohoError: One of ``RUN_ERRORS``, or a job not ended within the timeout.
        """
        failures: dict[int, RowResult] = {}
        sendable: list[Mapping[str, Any]] = []
        for number, row in enumerate(rows):
            field = _unwritable(row)
            if field is None:
                sendable.append(row)
            else:
                message = f"INVALID_DATA: a Bulk Write CSV cannot hold the value of {field}"
                failures[number] = RowResult(False, message, "INVALID_DATA", {"api_name": field})
        files = [
            sendable[start : start + FILE_ROWS] for start in range(0, len(sendable), FILE_ROWS)
        ]
        jobs = [self._started(batch) for batch in files]
        results: list[RowResult] = []
        for job, batch in zip(jobs, files, strict=True):
            if isinstance(job, ZohoError):
                results += [RowResult.failed(job)] * len(batch)
            else:
                results += self._results(job, len(batch))
        return in_input_order(results, failures, len(rows))

    def _started(self, rows: Sequence[Mapping[str, Any]]) -> str | ZohoError:
        """The id of a job writing rows, or Zoho's refusal of its file or job.

        Raises:
            ZohoError: One of ``RUN_ERRORS``.
        """
        try:
            return self._create(self._upload(rows), _columns(rows))
        except RUN_ERRORS:
            raise
        except ZohoError as error:
            return error

    def _upload(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """Upload rows as the ZIP of one CSV; its file id."""
        columns = _columns(rows)
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.module}.csv", text.getvalue())
        headers = {"feature": "bulk-write", "X-CRM-ORG": self.api.org()}
        files = {"file": (f"{self.module}.zip", buffer.getvalue(), "application/zip")}
        body = self.api.call("POST", self.api.upload, headers=headers, files=files, idempotent=True)
        file_id = ((body or {}).get("details") or {}).get("file_id")
        if not file_id:
            msg = f"Bulk Write of {self.module}: Zoho kept no file ({body})"
            raise ZohoError("INVALID_RESPONSE", msg)
        return str(file_id)

    def _create(self, file_id: str, columns: Sequence[str]) -> str:
        """A job writing an uploaded file; its id."""
        mappings = [self._mapping(column, index) for index, column in enumerate(columns)]
        resource: dict[str, Any] = {
            "type": "data",
            "module": {"api_name": self.module},
            "file_id": file_id,
            "field_mappings": mappings,
        }
        if self.find_by:
            resource["find_by"] = self.find_by
        job = {
            "operation": OPERATIONS[self.action],
            "ignore_empty": True,
            "resource": [resource],
        }
        body = self.api.call("POST", self.api.root, json=job, idempotent=False) or {}
        job_id = (body.get("details") or {}).get("id")
        if not job_id:
            msg = f"Bulk Write of {self.module}: Zoho created no job ({body})"
            raise ZohoError("INVALID_RESPONSE", msg)
        return str(job_id)

    def _mapping(self, column: str, index: int) -> dict[str, Any]:
        mapping: dict[str, Any] = {"api_name": column, "index": index}
        pattern = FORMATS.get(self.types.get(column, ""))
        if pattern:
            mapping["format"] = pattern
        return mapping

    def _results(self, job_id: str, count: int) -> list[RowResult]:
        """A job's results, once it ended: a result per row; a failed job fails them all."""
        job = self._wait(job_id)
        resource = (job.get("resource") or [{}])[0]
        if job.get("status") != "COMPLETED":
            code = str(resource.get("code") or BULK_WRITE_FAILED)
            message = f"{code}: Bulk Write job {job_id} of {self.module} failed"
            return [RowResult(False, message, code, {"job": job_id})] * count
        url = str((job.get("result") or {}).get("download_url") or "")
        with tempfile.TemporaryDirectory(prefix="zoho-bulk-write-") as folder:
            archive = Path(folder) / "result.zip"
            self.api.download(url, archive)
            results = _read_results(archive, f"Bulk Write job {job_id} of {self.module}")
        if len(results) != count:
            msg = f"Bulk Write job {job_id}: {len(results)} results for {count} records"
            return [RowResult.failed(ZohoError("RESULT_MISMATCH", msg))] * count
        return results

    def _wait(self, job_id: str) -> dict[str, Any]:
        """The job's details once it is COMPLETED or FAILED.

        Raises:
            ZohoError: BULK_WRITE_TIMED_OUT: not ended within the timeout.
        """

        def check() -> dict[str, Any] | None:
            body = self.api.call("GET", f"{self.api.root}/{job_id}") or {}
            return body if body.get("status") in ("COMPLETED", "FAILED") else None

        waits = [min(wait, self.api.poll) for wait in (*POLL_WAITS, self.api.poll)]
        ended = bulk_jobs.poll(check, waits, self.api.timeout)
        if ended is None:
            msg = (
                f"Bulk Write job {job_id} of {self.module} did not end within "
                f"{self.api.timeout:g} seconds (it may still run: see its status in Zoho)"
            )
            raise ZohoError("BULK_WRITE_TIMED_OUT", msg)
        return ended


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The fields the rows carry, in the order they first come."""
    return list(dict.fromkeys(key for row in rows for key in row))


def _unwritable(row: Mapping[str, Any]) -> str | None:
    """The first field whose value no cell holds: a mapping without an id, a list of them."""
    for field, value in row.items():
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, dict) and not item.get("id") for item in items) or (
            isinstance(value, list) and any(isinstance(item, dict) for item in value)
        ):
            return field
    return None


def _cell(value: Any) -> str:
    """A JSON value as a CSV cell (empty cells leave fields as they are)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value["id"])
    if isinstance(value, list):
        return ";".join(_cell(item) for item in value)
    return str(value)


def _read_results(archive: Path, what: str) -> list[RowResult]:
    """The result of each row of a result ZIP, from its STATUS, RECORD_ID and ERRORS."""
    with zipfile.ZipFile(archive) as zipped, zipped.open(bulk_jobs.csv_member(zipped, what)) as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        return [_result(row) for row in reader]


def _result(row: Mapping[str, str]) -> RowResult:
    """One result row: ADDED and UPDATED succeed; the rest fail with Zoho's first error."""
    status = row.get("STATUS") or ""
    record_id = row.get("RECORD_ID") or ""
    if status in _RESULTS:
        message = f"SUCCESS: record {status.lower()}"
        return RowResult(True, message, "SUCCESS", {"id": record_id}, _RESULTS[status])
    errors = [error for error in (row.get("ERRORS") or "").split(":") if error]
    code, _, field = (errors[0] if errors else f"{status or 'UNKNOWN'}-").partition("-")
    details: dict[str, Any] = {"api_name": field} if field else {}
    if record_id:
        details["id"] = record_id
    message = f"{code}: {status.lower() or 'not written'} ({', '.join(errors) or 'no error'})"
    return RowResult(False, message, code, details)
