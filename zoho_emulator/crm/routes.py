"""The CRM routes: every path the emulated CRM API answers (v7 and v8)."""

from __future__ import annotations

from starlette.routing import Route

from zoho_emulator.crm.bulk_read import create_read_job, download_read_result, read_job_details
from zoho_emulator.crm.bulk_write import (
    create_write_job,
    download_write_result,
    upload_file,
    write_job_details,
)
from zoho_emulator.crm.directory import (
    get_org,
    get_user,
    list_fields,
    list_layouts,
    list_modules,
    list_tags,
    list_users,
)
from zoho_emulator.crm.queries import coql_query, count_records, search_records
from zoho_emulator.crm.records import (
    delete_records,
    deleted_records,
    get_record,
    insert_records,
    list_records,
    update_records,
    upsert_records,
)

_V = "/crm/{version}"
_BULK = "/crm/bulk/{version}"
ROUTES = [
    # Before the record routes, which /crm/bulk/v8/read would match as /{version}/{module}/{id}.
    Route(f"{_BULK}/read", create_read_job, methods=["POST"]),
    Route(f"{_BULK}/read/{{job_id}}", read_job_details, methods=["GET"]),
    Route(f"{_BULK}/read/{{job_id}}/result", download_read_result, methods=["GET"]),
    Route(f"{_BULK}/write", create_write_job, methods=["POST"]),
    Route(f"{_BULK}/write/{{job_id}}", write_job_details, methods=["GET"]),
    # Zoho's download URL of a Bulk Write result , on its download host.
    Route(
        "/{version}/crm/{domain}/bulk-write/{job_id}/{name}",
        download_write_result,
        methods=["GET"],
    ),
    # Before /{module}, which it would be taken for (Zoho serves it on its content host).
    Route(f"{_V}/upload", upload_file, methods=["POST"]),
    Route(f"{_V}/settings/modules", list_modules, methods=["GET"]),
    Route(f"{_V}/settings/fields", list_fields, methods=["GET"]),
    Route(f"{_V}/settings/layouts", list_layouts, methods=["GET"]),
    Route(f"{_V}/settings/tags", list_tags, methods=["GET"]),
    Route(f"{_V}/users", list_users, methods=["GET"]),
    Route(f"{_V}/users/{{user_id}}", get_user, methods=["GET"]),
    Route(f"{_V}/org", get_org, methods=["GET"]),
    Route(f"{_V}/coql", coql_query, methods=["POST"]),
    Route(f"{_V}/{{module}}/search", search_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/actions/count", count_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/deleted", deleted_records, methods=["GET"]),
    Route(f"{_V}/{{module}}/upsert", upsert_records, methods=["POST"]),
    Route(f"{_V}/{{module}}/{{record_id}}", get_record, methods=["GET"]),
    Route(f"{_V}/{{module}}/{{record_id}}", update_records, methods=["PUT"]),
    Route(f"{_V}/{{module}}/{{record_id}}", delete_records, methods=["DELETE"]),
    Route(f"{_V}/{{module}}", list_records, methods=["GET"]),
    Route(f"{_V}/{{module}}", insert_records, methods=["POST"]),
    Route(f"{_V}/{{module}}", update_records, methods=["PUT"]),
    Route(f"{_V}/{{module}}", delete_records, methods=["DELETE"]),
]
