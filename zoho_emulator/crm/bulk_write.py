"""Bulk Write handlers: upload a file, create a job, its details, its result.

Zoho's pages: https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/upload-file.html,
https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/create-job.html,
https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/job-details.html,
https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/download-result.html and
https://www.zoho.com/crm/developer/docs/api/bulk-write/limitations.html. Zoho serves the upload
on its content host (``content.zohoapis.{dc}``) and the result on a download host; the emulator
serves both on its one port. Files, jobs and rows live in :mod:`.bulk_files`,
:mod:`.bulk_write_jobs` and :mod:`.bulk_write_plan`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, JSONResponse

from zoho_emulator.crm import bulk_files, catalog, csv_values
from zoho_emulator.crm.bulk_write_jobs import FAILED, WriteJob
from zoho_emulator.crm.bulk_write_plan import ID, Column, Plan
from zoho_emulator.crm.calls import call, json_body, module_access
from zoho_emulator.crm.jobs import COMPLETED
from zoho_emulator.errors import CrmError, crm_invalid_param, crm_job_not_found, crm_missing_param

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.crm.bulk_files import Upload
    from zoho_emulator.crm.catalog import Field, Module
    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.emulator import Emulator

SCOPE = "ZohoCRM.bulk.CREATE"
FILES_SCOPE = "ZohoFiles.files.ALL"
#: Creating a Bulk Write job costs 500 credits (Zoho CRM's API limits page, as summarised by
#: third parties: not read directly).
CREATE_CREDITS = 500
#: Not documented by Zoho; we assume the upload, the job details and the download cost a
#: call's default credit each.
CALL_CREDITS = 1
MAX_COLUMNS = 200
OPERATIONS = {"insert": ("CREATE",), "update": ("UPDATE",), "upsert": ("CREATE", "UPDATE")}
#: Modules the limitations page leaves out of Bulk Write (the emulator has none of them).
_UNSUPPORTED_MODULES = frozenset({"notes", "attachments", "events", "calls"})
#: The multipart framing around a file: what a body may carry beyond the 25 MB.
_FORM_OVERHEAD = 64 * 1024


async def upload_file(request: Request) -> Response:
    """``POST /crm/{version}/upload``: keep a ZIP of one CSV, 201 with its file id."""
    emulator = call(request, FILES_SCOPE)
    zgid = emulator.crm.org_details()["zgid"]
    if request.headers.get("feature") != "bulk-write" or request.headers.get("X-CRM-ORG") != zgid:
        # Not documented by Zoho; we assume INVALID_REQUEST for this 400.
        raise CrmError(
            400,
            "INVALID_REQUEST",
            "please check if headers [feature, X-CRM-ORG] are present and valid",
            {"header_names": ["feature", "X-CRM-ORG"]},
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > bulk_files.MAX_UPLOAD_BYTES + _FORM_OVERHEAD:
            raise _too_large()
    data = bulk_files.form_file(bytes(body), request.headers.get("Content-Type", ""))
    if len(data) > bulk_files.MAX_UPLOAD_BYTES:
        raise _too_large()
    bulk = emulator.bulk_writes
    upload = bulk_files.inspect(bulk.new_file_id(), data)
    emulator.traffic.charge(request, CALL_CREDITS)
    bulk.keep(upload)
    details = {"file_id": upload.id, "created_time": emulator.crm.now()}
    return JSONResponse(
        {
            "status": "success",
            "code": "FILE_UPLOAD_SUCCESS",
            "message": "file uploaded.",
            "details": details,
        },
        201,
    )


async def create_write_job(request: Request) -> Response:
    """``POST /crm/bulk/{version}/write``: queue an import, 201 with the job id."""
    emulator = call(request, SCOPE)
    body = await json_body(request, strict_type=True)
    operation = body.get("operation")
    if operation is None:
        raise crm_missing_param("operation")
    if operation not in OPERATIONS:
        raise crm_invalid_param("operation")
    if str(body.get("character_encoding", "UTF-8")).upper() != "UTF-8":
        raise crm_invalid_param("character_encoding", "only UTF-8 is emulated")
    ignore_empty = body.get("ignore_empty", False)
    if not isinstance(ignore_empty, bool):
        raise crm_invalid_param("ignore_empty")
    callback = _callback(body.get("callback"))
    resource = _resource(body.get("resource"))
    module = _module(resource.get("module"))
    for access in OPERATIONS[operation]:
        module_access(request, module, access)
    bulk, org = emulator.bulk_writes, emulator.crm
    file_id = resource.get("file_id")
    upload = bulk.uploads.get(file_id) if isinstance(file_id, str) else None
    if upload is None:
        # Not documented by Zoho; we assume a file serves one job (it is dropped after it).
        raise CrmError(
            400, "INVALID_FILE_ID", "the file id given seems to be invalid", {"file_id": file_id}
        )
    columns = _columns(org, module, upload, resource.get("field_mappings"))
    find_by = _find_by(module, operation, resource.get("find_by"), columns)
    if operation != "update":
        _check_mandatory(module, columns)
    emulator.traffic.charge(request, CREATE_CREDITS)
    del bulk.uploads[upload.id]
    user = org.current_user
    job = WriteJob(
        id=bulk.new_id(),
        ready_at=time.monotonic() + emulator.settings.bulk_write_job_seconds,
        version=request.path_params["version"],
        domain=org.org_details()["domain_name"],
        plan=Plan(org, module, operation, columns, find_by, ignore_empty),
        upload=upload,
        file_name=upload.name,
        total=upload.rows,
        callback=callback,
        created_by={"id": user["id"], "name": user["full_name"]},
        created_time=org.now(),
    )
    bulk.submit(job)
    details = {"id": job.id, "created_by": job.created_by}
    return JSONResponse(
        {"status": "success", "code": "SUCCESS", "message": "success", "details": details}, 201
    )


async def write_job_details(request: Request) -> Response:
    """``GET /crm/bulk/{version}/write/{job_id}``, not wrapped in ``data``."""
    emulator = call(request, SCOPE)
    job = _job(emulator, request.path_params["job_id"])
    emulator.traffic.charge(request, CALL_CREDITS)
    return JSONResponse(job.details())


async def download_write_result(request: Request) -> Response:
    """``GET {download_url}``: the ZIP of the input rows with their outcome."""
    emulator = call(request, FILES_SCOPE)
    params = request.path_params
    job = _job(emulator, params["job_id"])
    if params["name"] != f"{job.id}.zip" or params["domain"] != job.domain:
        raise crm_job_not_found(job.id)
    if job.state != COMPLETED or job.path is None:
        message = "the job failed: it has no result" if job.state == FAILED else "not completed"
        raise CrmError(400, "INVALID_REQUEST", message, {"id": job.id, "status": job.state})
    if job.expired():
        job.path.unlink(missing_ok=True)
        raise crm_job_not_found(job.id)
    emulator.traffic.charge(request, CALL_CREDITS)
    emulator.bulk_writes.downloads += 1
    return FileResponse(job.path, media_type="application/zip", filename=f"{job.id}.zip")


# -- the create-job body --------------------------------------------------------------------


def _callback(value: Any) -> dict[str, Any] | None:
    """The optional ``callback``, echoed in the job details (the emulator calls no one)."""
    if value is None:
        return None
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise crm_invalid_param("callback")
    if value.get("method") != "post":
        raise CrmError(
            400, "INVALID_CALLBACK_METHOD", "the callback method must be post", {"method": None}
        )
    return {"url": url, "method": "post"}


def _resource(value: Any) -> dict[str, Any]:
    """The one ``data`` resource (parent/child imports of several are not emulated)."""
    if value is None:
        raise crm_missing_param("resource")
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        raise crm_invalid_param("resource", "the emulator takes one resource a job")
    if value[0].get("type", "data") != "data":
        raise crm_invalid_param("type")
    resource: dict[str, Any] = value[0]
    return resource


def _module(value: Any) -> Module:
    name = value.get("api_name") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name:
        raise crm_missing_param("module")
    module = catalog.lookup_module(name)
    if module is None or not module.api_supported or name.lower() in _UNSUPPORTED_MODULES:
        raise CrmError(
            400, "MODULE_NOT_AVAILABLE", "the module is not available", {"api_name": name}
        )
    return module


def _columns(org: CrmOrg, module: Module, upload: Upload, mappings: Any) -> tuple[Column, ...]:
    """The mapped columns: ``field_mappings``, or the header's API names without them."""
    if mappings is None:
        specs = [_header_spec(name, index) for index, name in enumerate(upload.header)]
    elif isinstance(mappings, list) and mappings and all(isinstance(m, dict) for m in mappings):
        specs = mappings
    else:
        raise crm_invalid_param("field_mappings")
    if len(specs) > MAX_COLUMNS:
        raise CrmError(
            400,
            "HEADER_LIMIT_EXCEEDED",
            f"more than {MAX_COLUMNS} columns are mapped",
            {"limit": MAX_COLUMNS},
        )
    return tuple(_column(org, module, spec, len(upload.header)) for spec in specs)


def _header_spec(name: str, index: int) -> dict[str, Any]:
    """A header cell as a mapping: ``id``, ``Field``, ``Lookup.id`` or ``Lookup.Target_Field``."""
    name = name.strip()
    if name.lower() == ID:
        return {"api_name": ID, "index": index}
    field, _, target = name.partition(".")
    spec: dict[str, Any] = {"api_name": field, "index": index}
    if target and target != ID:
        spec["find_by"] = target
    return spec


def _column(org: CrmOrg, module: Module, spec: dict[str, Any], width: int) -> Column:
    api_name, index = spec.get("api_name"), spec.get("index")
    if not isinstance(api_name, str):
        raise crm_missing_param("api_name")
    if isinstance(index, bool) or not isinstance(index, int):
        raise crm_invalid_param("index")
    if not 0 <= index < width:
        raise CrmError(
            400, "COLUMN_INDEX_NOT_FOUND", "the column index is not in the file", {"index": index}
        )
    if api_name == ID:
        return Column(ID, index, None, str)
    field = module.field(api_name)
    if field is None or not field.writable or field.data_type in catalog.DETAIL_ONLY_TYPES:
        # Subforms and multi-select lookups need parent/child files, not emulated.
        raise _invalid_field(api_name)
    find_by = _lookup_key(field, spec.get("find_by"))
    default = _default_value(spec.get("default_value"))
    pattern = spec.get("format")
    if pattern is not None and (
        not isinstance(pattern, str) or field.data_type not in ("date", "datetime")
    ):
        raise _invalid_format(api_name)
    try:
        parse = csv_values.parser(field, org.zone, pattern)
    except ValueError:
        raise _invalid_format(api_name) from None
    return Column(api_name, index, field, parse, find_by, default, pattern)


def _lookup_key(field: Field, find_by: Any) -> str | None:
    """A lookup column's ``find_by``: a field of the looked-up module (None: by id).

    Raises:
        CrmError: INVALID_FIELD for a find_by the field cannot take.
    """
    if find_by in (None, ID):
        return None
    target = catalog.MODULES_BY_NAME.get(field.lookup or "")
    if field.data_type != "lookup" or target is None or target.field(str(find_by)) is None:
        raise _invalid_field(field.api_name)
    return str(find_by)


def _default_value(default: Any) -> str | None:
    """A column's ``default_value`` (``{"value": ...}``) as its CSV text, or None.

    Raises:
        CrmError: The parameter is not one.
    """
    if default is None:
        return None
    value = default.get("value") if isinstance(default, dict) else None
    if value is None or isinstance(value, dict | list):
        raise crm_invalid_param("default_value")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _find_by(module: Module, operation: str, value: Any, columns: tuple[Column, ...]) -> str | None:
    """The resource's ``find_by``: ``id`` or a unique field, mapped (mandatory but for insert).

    Not documented by Zoho; we assume the module's duplicate-check field (Accounts'
    Account_Name, ...) counts as unique, and that the key must be a mapped column.
    """
    if value is None:
        if operation == "insert":
            return None
        raise CrmError(
            400,
            "MANDATORY_NOT_FOUND",
            "required key find_by is not available",
            {"api_name": "find_by"},
        )
    field = module.field(value) if isinstance(value, str) else None
    if value != ID and (field is None or not (field.unique or value == module.duplicate_check)):
        raise CrmError(
            400, "INVALID_DATA", "find_by must be id or a unique field", {"api_name": value}
        )
    if all(column.api_name != value for column in columns):
        raise CrmError(
            400,
            "MANDATORY_FIELDS_NOT_MAPPED",
            "the find_by field is not mapped",
            {"api_name": value},
        )
    return str(value)


def _check_mandatory(module: Module, columns: tuple[Column, ...]) -> None:
    """Refuse a job that does not map a field an insert needs.

    A required subform (a sales order's line items) is left to the rows: it comes in a child
    file, which the emulator does not take, so each row inserted is skipped with
    ``MANDATORY_NOT_FOUND``, as the REST API refuses the record.
    """
    mapped = {column.api_name for column in columns}
    missing = [
        field.api_name
        for field in module.fields
        if field.mandatory
        and field.api_name not in mapped
        and field.data_type not in catalog.DETAIL_ONLY_TYPES
    ]
    if missing:
        raise CrmError(
            400,
            "MANDATORY_FIELDS_NOT_MAPPED",
            "mandatory fields are not mapped",
            {"api_names": missing},
        )


def _job(emulator: Emulator, job_id: str) -> WriteJob:
    job = emulator.bulk_writes.jobs.get(job_id)
    if job is None:
        raise crm_job_not_found(job_id)
    return job


def _invalid_field(api_name: str) -> CrmError:
    return CrmError(400, "INVALID_FIELD", "the field cannot be imported", {"api_name": api_name})


def _invalid_format(api_name: str) -> CrmError:
    return CrmError(400, "INVALID_FORMAT", "the format given is invalid", {"api_name": api_name})


def _too_large() -> CrmError:
    limit = bulk_files.MAX_UPLOAD_BYTES
    return CrmError(413, "FILE_TOO_LARGE", "the file is too large", {"limit": limit})
