"""What Bulk Read and Bulk Write jobs share: waiting for a job to end, a result ZIP's CSV."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

from zoho_connector.errors import ZohoError

if TYPE_CHECKING:
    import zipfile
    from collections.abc import Callable, Sequence

T = TypeVar("T")


def poll(check: Callable[[], T | None], waits: Sequence[float], timeout: float) -> T | None:
    """Call ``check`` until it answers something, waiting ``waits`` (then the last) between.

    Returns:
        What ``check`` answered, or None once ``timeout`` seconds have passed.
    """
    pauses = iter(waits)
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            return None
        time.sleep(next(pauses, waits[-1]))


def csv_member(archive: zipfile.ZipFile, what: str) -> str:
    """The name of the CSV a job's result ZIP holds.

    Raises:
        ZohoError: INVALID_RESPONSE: the ZIP holds no CSV.
    """
    members = [name for name in archive.namelist() if name.endswith(".csv")]
    if not members:
        msg = f"{what} holds no CSV"
        raise ZohoError("INVALID_RESPONSE", msg)
    return members[0]
