"""What the benchmarks share: a child process measured (wall, CPU, peak memory), a token."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from zoho_emulator.process import Banner


@dataclasses.dataclass(frozen=True)
class Measured:
    """What one child process took."""

    seconds: float
    cpu_seconds: float
    peak_mib: float


def measure(command: list[str], stdout: IO[bytes] | None = None) -> Measured:
    """Run a child process to its end (its output to ``stdout``, else /dev/null).

    Raises:
        RuntimeError: The child failed.
    """
    started = time.perf_counter()
    with Path(os.devnull).open("wb") as sink:
        process = subprocess.Popen(command, stdout=stdout or sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        msg = f"{command[:4]} failed"
        raise RuntimeError(msg)
    return Measured(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def access_token(banner: Banner) -> str:
    """An access token of the emulator, for the benchmarks' own calls."""
    form = {
        "grant_type": "refresh_token",
        "client_id": banner.client_id,
        "client_secret": banner.client_secret,
        "refresh_token": banner.refresh_token,
    }
    answer = requests.post(f"{banner.url}/oauth/v2/token", data=form, timeout=30).json()
    token: str = answer["access_token"]
    return token
