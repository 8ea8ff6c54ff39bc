"""A throwaway PostgreSQL cluster for warehouse tests (Debian's server; `make test` installs it)."""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclasses.dataclass
class Postgres:
    """A running cluster on 127.0.0.1, trusting every local connection."""

    port: int
    user: str = "postgres"

    def query(self, sql: str, database: str = "postgres") -> list[tuple[str, ...]]:
        """Rows of a query, every value as psql prints it (NULL as an empty string)."""
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", database]
        output = ["-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
        done = subprocess.run(
            [_binary("psql"), *connection, *output, "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        msg = f"PostgreSQL's {name} is not installed: `make test` installs Debian's postgresql"
        raise RuntimeError(msg)
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """initdb and start a cluster in a temporary folder; stop and remove it afterwards.

    PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user.
    """
    home = Path(tempfile.mkdtemp(prefix="zoho-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(home, user="postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = home / "data"

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = home / "log"
            server_log = log.read_text() if log.exists() else ""
            msg = f"{' '.join(command)} failed: {done.stderr}{server_log[-2000:]}"
            raise RuntimeError(msg)

    try:
        run(_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        port = _free_port()
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(home / "log")
        run(_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start")
        try:
            yield Postgres(port)
        finally:
            run(_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)
