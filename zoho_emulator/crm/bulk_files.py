"""Bulk Write files: the uploaded ZIP of one CSV, its limits, and the result ZIP.

Zoho's pages: https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/upload-file.html,
https://www.zoho.com/crm/developer/docs/api/bulk-write/limitations.html and
https://www.zoho.com/crm/developer/docs/api/v7/bulk-write/download-result.html. An upload is
kept compressed, as it came; its rows are read from it once, when its job runs.
"""

from __future__ import annotations

import csv
import dataclasses
import email
import email.policy
import io
import zipfile
from typing import TYPE_CHECKING

from zoho_emulator import timefmt
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: A ZIP of at most 25 MB (upload-file page).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Rows a CSV may hold, its header aside (limitations page).
MAX_ROWS = 25_000
#: Delimiters Zoho detects (limitations page); the header's most frequent one wins.
DELIMITERS = (",", ";", ":", "|")
#: Not documented by Zoho; we assume an upload no job used is kept a day.
UPLOAD_LIFETIME = 86_400
RESULT_COLUMNS = ("STATUS", "RECORD_ID", "ERRORS")


@dataclasses.dataclass(frozen=True)
class Upload:
    """One uploaded file, until a job takes it.

    Attributes:
        id: Its ``file_id``.
        name: The CSV's name inside the ZIP.
        data: The ZIP as uploaded.
        header: The CSV's first row.
        rows: Rows after the header.
        delimiter: The CSV's delimiter.
        created_at: When it was uploaded, in epoch seconds.
    """

    id: str
    name: str
    data: bytes
    header: tuple[str, ...]
    rows: int
    delimiter: str
    created_at: float

    def expired(self) -> bool:
        """Whether it is past keeping."""
        return self.created_at + UPLOAD_LIFETIME <= timefmt.now()

    def records(self) -> Iterator[list[str]]:
        """Its rows after the header, read from the ZIP as they are needed."""
        with _csv_text(self.data, self.name) as text:
            reader = csv.reader(text, delimiter=self.delimiter)
            next(reader, None)
            yield from reader


def form_file(body: bytes, content_type: str) -> bytes:
    """The ``file`` part of a ``multipart/form-data`` body.

    Raises:
        CrmError: 400 INVALID_FILE_FORMAT without one (not documented by Zoho; we assume
            that code, as for a file that is no ZIP).
    """
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body,
        policy=email.policy.HTTP,
    )
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload
    raise _bad_file("send the file as the multipart form field 'file'")


def inspect(file_id: str, data: bytes) -> Upload:
    """Check an uploaded ZIP against Zoho's limits and read its header.

    Raises:
        CrmError: 400 INVALID_FILE_FORMAT for no ZIP, not one CSV in it (the emulator does
            not emulate parent/child imports, which take several), text that is not UTF-8 or
            no header; 400 LIMIT_EXCEEDED beyond 25,000 rows (not documented by Zoho; we
            assume the upload refuses them, with that code).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _bad_file("the file is not a zip file") from None
    with archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if len(names) != 1 or not names[0].lower().endswith(".csv"):
        raise _bad_file("the zip file must hold one CSV file")
    name = names[0]
    try:
        with _csv_text(data, name) as text:
            first = text.readline()
            delimiter = max(DELIMITERS, key=first.count)
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            header = next(reader, None)
            rows = sum(1 for _ in reader)
    except (UnicodeDecodeError, csv.Error):
        raise _bad_file("the CSV file is not valid UTF-8 CSV") from None
    if not header:
        raise _bad_file("the CSV file has no header row")
    if rows > MAX_ROWS:
        raise CrmError(
            400,
            "LIMIT_EXCEEDED",
            f"the file holds more than {MAX_ROWS} records",
            {"limit": MAX_ROWS, "count": rows},
        )
    return Upload(file_id, name, data, tuple(header), rows, delimiter, timefmt.now())


class ResultFile:
    """The result ZIP of a job, written row by row: the input row, then Zoho's columns.

    Args:
        path: Where the ZIP goes.
        name: The CSV's name inside it.
        header: The input CSV's header.
    """

    def __init__(self, path: Path, name: str, header: tuple[str, ...]) -> None:
        self._archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
        self._member = self._archive.open(name, "w", force_zip64=True)
        self._text = io.TextIOWrapper(self._member, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow([*header, *RESULT_COLUMNS])

    def write(self, row: list[str], status: str, record_id: str, errors: str) -> None:
        """One input row with its outcome."""
        self._writer.writerow([*row, status, record_id, errors])

    def close(self) -> None:
        """Finish the ZIP."""
        self._text.close()
        self._archive.close()


def _csv_text(data: bytes, name: str) -> io.TextIOWrapper:
    """The CSV of an uploaded ZIP as text (closing it closes the ZIP's member)."""
    member = zipfile.ZipFile(io.BytesIO(data)).open(name)  # noqa: SIM115 - the caller closes it
    return io.TextIOWrapper(member, encoding="utf-8-sig", newline="")


def _bad_file(message: str) -> CrmError:
    return CrmError(400, "INVALID_FILE_FORMAT", message, {})
