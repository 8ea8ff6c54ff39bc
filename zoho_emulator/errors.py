"""Zoho's error bodies: CRM's request-level envelope and Desk's ``errorCode`` body."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class CrmError(Exception):
    """A CRM request-level error (https://www.zoho.com/crm/help/api/error-messages.html).

    Args:
        status: HTTP status.
        code: Zoho's error code, e.g. ``INVALID_TOKEN``.
        message: Zoho's message.
        details: Zoho's ``details`` object.
        headers: Extra response headers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers

    def response(self) -> JSONResponse:
        """The HTTP answer Zoho gives for this error."""
        body = {"code": self.code, "details": self.details, "message": self.message}
        return JSONResponse({**body, "status": "error"}, self.status, headers=self.headers)


class DeskError(Exception):
    """A Desk error (the Errors section of https://desk.zoho.com/DeskAPIDocument).

    Args:
        status: HTTP status.
        code: Desk's ``errorCode``.
        message: Desk's message.
        errors: Field-level errors (``fieldName`` as a JSON pointer, ``errorType``).
        headers: Extra response headers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers

    def response(self) -> JSONResponse:
        """The HTTP answer Desk gives for this error."""
        body: dict[str, Any] = {"errorCode": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, self.status, headers=self.headers)


def crm_invalid_param(name: str, message: str = "invalid data") -> CrmError:
    """A 400 INVALID_DATA naming the parameter at fault."""
    return CrmError(400, "INVALID_DATA", message, {"param_name": name})


def crm_missing_param(name: str) -> CrmError:
    """A 400 REQUIRED_PARAM_MISSING naming the parameter."""
    return CrmError(
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": name},
    )


def crm_job_not_found(job_id: str) -> CrmError:
    """A 404 RESOURCE_NOT_FOUND for a Bulk job id the org does not have."""
    return CrmError(
        404, "RESOURCE_NOT_FOUND", "the requested resource doesn't exist", {"id": job_id}
    )


def desk_unprocessable(message: str) -> DeskError:
    """Desk's 422 for a bad or unknown query parameter."""
    return DeskError(422, "UNPROCESSABLE_ENTITY", message)
