"""Run ``zoho-emulator serve`` as a child process: for tests, benchmarks and the demo."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclasses.dataclass(frozen=True)
class Banner:
    """What a started emulator prints: where it listens and the credentials it accepts."""

    url: str
    client_id: str
    client_secret: str
    refresh_token: str
    desk_org_id: str

    def plugin_config(self) -> dict[str, str]:
        """The connection settings of tap-zoho or target-zoho pointing at this emulator."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "accounts_url": self.url,
            "crm_url": self.url,
            "desk_url": self.url,
            "desk_org_id": self.desk_org_id,
        }

    def meltano_env(self, plugin: str) -> dict[str, str]:
        """The same settings as Meltano's variables of a plugin (``TAP_ZOHO_CLIENT_ID``...).

        Every connection setting is given, so nothing of a ``.env`` reaches the emulator.
        """
        prefix = plugin.upper().replace("-", "_")
        return {f"{prefix}_{key.upper()}": value for key, value in self.plugin_config().items()}


@contextlib.contextmanager
def serve(*flags: str) -> Iterator[tuple[Banner, subprocess.Popen[str]]]:
    """Start an emulator on a free port with extra ``serve`` flags; stop it on exit.

    Yields:
        The emulator's banner and its process.
    """
    command = [sys.executable, "-m", "zoho_emulator", "serve", "--port", "0", *flags]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            msg = f"the emulator did not start (exit code {process.wait()})"
            raise RuntimeError(msg)
        yield Banner(**json.loads(line)), process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
