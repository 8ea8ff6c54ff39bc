"""Bulk Read handlers: create a job, read its details, download its result.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html,
https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/job-details.html,
https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html and
https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html.

The jobs themselves, their order of records and their CSV live in :mod:`.bulk_jobs`; columns
and criteria in :mod:`.bulk_criteria`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, JSONResponse

from zoho_emulator.crm import catalog, coql
from zoho_emulator.crm.bulk_criteria import column, parse_criteria
from zoho_emulator.crm.bulk_jobs import ADDED, FAILURE, Job
from zoho_emulator.crm.calls import call, json_body, module_access
from zoho_emulator.crm.jobs import COMPLETED
from zoho_emulator.errors import CrmError, crm_invalid_param, crm_job_not_found, crm_missing_param

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.crm.catalog import Module
    from zoho_emulator.crm.org import CrmOrg
    from zoho_emulator.emulator import Emulator

SCOPE = "ZohoCRM.bulk.READ"
#: Creating a Bulk Read job costs 50 credits (third-party summaries of
#: https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html).
CREATE_CREDITS = 50
#: UNCONFIRMED: AWS Glue documents Zoho exporting every field beyond 200; we refuse instead.
MAX_FIELDS = 200
#: Modules Zoho says Bulk Read does not export (the emulator has none of them).
_UNSUPPORTED_MODULES = frozenset({"notes", "attachments", "emails"})


async def create_read_job(request: Request) -> Response:
    """``POST /crm/bulk/{version}/read``: queue an export, 201 with the job id."""
    emulator = call(request, SCOPE)
    body = await json_body(request, strict_type=True)
    query = body.get("query")
    if not isinstance(query, dict):
        raise crm_missing_param("query")
    module = _module(query.get("module"))
    module_access(request, module, "READ")
    if "cvid" in query:
        raise crm_invalid_param("cvid", "custom views are not emulated")
    if body.get("file_type", "csv") != "csv":
        raise crm_invalid_param("file_type", "only csv is emulated")
    fields, criteria = query.get("fields"), query.get("criteria")
    columns = _columns(module, fields)
    where = None if criteria is None else parse_criteria(criteria, module)
    org = emulator.crm
    token_key = ("bulk_read", module.api_name, json.dumps(fields), json.dumps(criteria))
    page = _page(org, query, token_key)
    emulator.traffic.charge(request, CREATE_CREDITS)
    module_ref = {"id": catalog.record_id(catalog.METADATA_CODE, module.code)}
    echo: dict[str, Any] = {"module": {**module_ref, "api_name": module.api_name}, "page": page}
    echo |= {name: query[name] for name in ("fields", "criteria") if name in query}
    bulk = emulator.bulk_reads
    job = Job(
        id=bulk.new_id(),
        version=request.path_params["version"],
        org=org,
        store=org.stores[module.api_name],
        columns=columns,
        where=where,
        page=page,
        per_page=emulator.settings.bulk_page_rows,
        query=echo,
        token_key=token_key,
        created_by={"id": org.current_user["id"], "name": org.current_user["full_name"]},
        created_time=org.now(),
        ready_at=time.monotonic() + emulator.settings.bulk_job_seconds,
    )
    bulk.submit(job)
    details = {
        "id": job.id,
        "operation": "read",
        "state": ADDED,
        "created_by": job.created_by,
        "created_time": job.created_time,
    }
    added = {"status": "success", "code": "ADDED_SUCCESSFULLY", "message": "Added successfully."}
    return JSONResponse({"data": [{**added, "details": details}], "info": {}}, 201)


async def read_job_details(request: Request) -> Response:
    """``GET /crm/bulk/{version}/read/{job_id}``."""
    emulator = call(request, SCOPE)
    job = _job(emulator, request)
    emulator.traffic.charge(request, 1)  # UNCONFIRMED: the default cost of a call
    return JSONResponse({"data": [job.details()]})


async def download_read_result(request: Request) -> Response:
    """``GET /crm/bulk/{version}/read/{job_id}/result``: the ZIP of the CSV."""
    emulator = call(request, SCOPE)
    bulk = emulator.bulk_reads
    if not bulk.take_download():
        raise CrmError(
            429,
            "TOO_MANY_REQUESTS",
            "too many requests. please try again after some time",
            {"reason": "10 downloads a minute"},
        )
    job = _job(emulator, request)
    if job.state == FAILURE:
        raise CrmError(400, "INVALID_REQUEST", "the job failed: it has no result", {"id": job.id})
    if job.state != COMPLETED or job.path is None:
        details = {"id": job.id, "state": job.state}
        raise CrmError(400, "INVALID_REQUEST", "the job is not completed yet", details)
    if job.expired():
        job.path.unlink(missing_ok=True)
        raise crm_job_not_found(job.id)
    emulator.traffic.charge(request, 1)  # UNCONFIRMED: the default cost of a call
    bulk.downloads += 1
    return FileResponse(job.path, media_type="application/zip", filename=f"{job.id}.zip")


def _module(value: Any) -> Module:
    """The module a query's ``module`` names (mandatory, says the create-job page)."""
    name = value.get("api_name") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name:
        raise crm_missing_param("module")
    if name.lower() in _UNSUPPORTED_MODULES:
        raise CrmError(
            400, "NOT_SUPPORTED", "the module is not supported for bulk read", {"api_name": name}
        )
    module = catalog.lookup_module(name)
    if module is None or not module.api_supported:
        raise CrmError(
            400, "INVALID_MODULE", "the module name given seems to be invalid", {"api_name": name}
        )
    return module


def _columns(module: Module, fields: Any) -> tuple[coql.Column, ...]:
    """The columns after ``Id``: the fields asked for, in order, or every field a list returns.

    Raises:
        CrmError: 400 INVALID_DATA for a field the module lacks or Bulk Read does not export,
            400 LIMIT_EXCEEDED beyond 200 fields.
    """
    if not fields:
        return tuple(
            coql.Column(field.api_name, (field,))
            for field in module.fields
            if field.data_type not in catalog.DETAIL_ONLY_TYPES
        )
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise crm_invalid_param("fields")
    if len(fields) > MAX_FIELDS:
        raise CrmError(
            400,
            "LIMIT_EXCEEDED",
            "the number of fields exceeds the limit",
            {"param_name": "fields", "limit": MAX_FIELDS},
        )
    columns: dict[str, coql.Column] = {}
    for name in fields:
        if name == "id" or name in columns:
            continue  # the Id column comes first anyway; a repeated field once (UNCONFIRMED)
        found = column(module, name)
        if found is None:
            raise CrmError(400, "INVALID_DATA", "invalid field", {"api_name": name})
        if found.field.data_type in catalog.DETAIL_ONLY_TYPES:
            # UNCONFIRMED: Bulk Read exports neither subforms nor multi-select lookups.
            message = "subform and multi-select lookup fields cannot be exported"
            raise CrmError(400, "INVALID_DATA", message, {"api_name": name})
        columns[name] = found
    return tuple(columns.values())


def _page(org: CrmOrg, query: dict[str, Any], token_key: tuple[Any, ...]) -> int:
    """The page a query asks for: ``page`` (default 1), or a previous job's ``page_token``.

    UNCONFIRMED: both count pages over the module's records as they are when the job runs.
    """
    page, token = query.get("page"), query.get("page_token")
    if token is not None:
        if page is not None:
            raise CrmError(
                400,
                "AMBIGUITY_DURING_PROCESSING",
                "page and page_token cannot be given together",
                {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
            )
        if not isinstance(token, str):
            raise crm_invalid_param("page_token")
        return org.redeem_page_token(token, token_key)
    if page is None:
        return 1
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise crm_invalid_param("page")
    return page


def _job(emulator: Emulator, request: Request) -> Job:
    """The job a path names, once the call may read its module (404 when there is none)."""
    job_id = request.path_params["job_id"]
    job = emulator.bulk_reads.jobs.get(job_id)
    if job is None:
        raise crm_job_not_found(job_id)
    call(request, f"ZohoCRM.modules.{job.store.module.api_name.lower()}.READ")
    return job
