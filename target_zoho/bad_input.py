"""Errors of bad input, named by where they are: line, stream, record and field."""

from __future__ import annotations

from typing import Any

from singer_sdk.exceptions import (
    InvalidRecord,
    MissingKeyPropertiesError,
    RecordsWithoutSchemaException,
)
from singer_sdk.singerlib.exceptions import InvalidInputLine

from target_zoho.routes import RouteError
from zoho_connector.errors import shown


class BadInputError(InvalidInputLine):
    """A line of input the target cannot take; its message says where and what is wrong."""


class MissingKeyError(BadInputError, MissingKeyPropertiesError):
    """A record without its key properties (still the SDK's error for that)."""


class RecordBeforeSchemaError(BadInputError, RecordsWithoutSchemaException):
    """A record before its stream's SCHEMA (still the SDK's error for that)."""


class InvalidFieldError(InvalidRecord):
    """A record its schema refuses, and the field at fault (None: the record as a whole)."""

    def __init__(self, error_message: str, record: dict[str, Any], field: str | None) -> None:
        super().__init__(error_message, record)
        self.field = field


#: Bad input the SDK has an error type of: raised as a subclass of it, which callers catch.
_KINDS: dict[type[Exception], type[BadInputError]] = {
    MissingKeyPropertiesError: MissingKeyError,
    RecordsWithoutSchemaException: RecordBeforeSchemaError,
}


def where(
    line: int | None,
    stream: str | None = None,
    record: str | None = None,
    field: str | None = None,
) -> str:
    """Where in the input something is: ``line 17, stream crm_leads, record id 123, field Email``.

    Args:
        line: The line number (1 for the first line; 0 or None: unknown).
        stream: The stream.
        record: What names the record (``id 123``, ``Email a@b.c``, ``without id``).
        field: The field.
    """
    parts = (
        f"line {line}" if line else "",
        f"stream {shown(stream)}" if stream else "",
        f"record {shown(record)}" if record else "",
        f"field {shown(field)}" if field else "",
    )
    return ", ".join(part for part in parts if part)


def problem(error: Exception) -> tuple[str | None, str]:
    """The field at fault (None if unknown) and what is wrong, from a line's error."""
    if isinstance(error, InvalidFieldError):
        return error.field, error.error_message
    if isinstance(error, InvalidRecord):
        return None, error.error_message
    if isinstance(error, RecordsWithoutSchemaException):
        return None, "a RECORD before its stream's SCHEMA (the tap must send the SCHEMA first)"
    if isinstance(error, BadInputError | MissingKeyPropertiesError | RouteError):
        return None, str(error)
    return None, f"{type(error).__name__}: {error}"


def error_of(error: Exception, message: str) -> BadInputError:
    """The error to raise for a line's error, with the message naming where it is."""
    return _KINDS.get(type(error), BadInputError)(message)
