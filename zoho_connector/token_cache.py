"""Access tokens kept on disk between processes, so that runs in a row or at once share them.

Zoho mints at most ten access tokens per refresh token in ten minutes
(https://www.zoho.com/crm/developer/docs/api/v8/token-validity.html); a Meltano run starts two
processes (discovery, then the sync), and several pipelines may run on one refresh token, so
each refreshing for itself would be refused. A token lives an hour: each file holds one, for
one set of credentials (named by their hash, never by a secret), readable by its owner only.
A lock file beside it lets one process refresh while the others wait, then read its token.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_log = logging.getLogger(__name__)
#: Tokens live an hour: a file untouched for a day holds none worth keeping.
_STALE_SECONDS = 86400


@dataclasses.dataclass(frozen=True)
class CachedToken:
    """An access token, when it expires and when to renew it (seconds since the epoch)."""

    value: str
    expires_at: float
    api_domain: str | None = None
    renew_at: float | None = None

    def seconds_left(self) -> float:
        """Seconds until it expires."""
        return self.expires_at - time.time()

    def renewal(self, margin: float) -> float:
        """When it is due for renewal: as stored, else ``margin`` before it expires."""
        return self.expires_at - margin if self.renew_at is None else self.renew_at

    def fresh(self, margin: float) -> bool:
        """Whether it is not yet due for renewal."""
        return time.time() < self.renewal(margin)


class TokenCache:
    """A folder of access tokens, one owner-only file per set of credentials.

    Args:
        directory: The folder (made, owner-only, on first store).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    @classmethod
    def default(cls) -> TokenCache:
        """``$XDG_CACHE_HOME/zoho-singer``, or ``~/.cache/zoho-singer``."""
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return cls(Path(base) / "zoho-singer")

    def load(self, key: str) -> CachedToken | None:
        """The token stored under ``key``, if any (a file that cannot be read is none)."""
        try:
            stored = json.loads(self._path(key).read_text())
            renew_at = stored.get("renew_at")
            return CachedToken(
                str(stored["access_token"]),
                float(stored["expires_at"]),
                stored.get("api_domain"),
                None if renew_at is None else float(renew_at),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, key: str, token: CachedToken) -> None:
        """Keep a token under ``key``; a cache that cannot be written only costs refreshes."""
        body = {
            "access_token": token.value,
            "expires_at": token.expires_at,
            "api_domain": token.api_domain,
            "renew_at": token.renew_at,
        }
        path = self._path(key)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(body, file)
            os.replace(partial, path)
            self._prune()
        except OSError as error:
            _log.warning("Access token not cached in %s: %s", self.directory, error.strerror)
            with contextlib.suppress(OSError):
                partial.unlink()

    def discard(self, key: str, value: str) -> None:
        """Forget the token under ``key`` if it is ``value`` (Zoho called it invalid)."""
        cached = self.load(key)
        if cached is not None and cached.value == value:
            with contextlib.suppress(OSError):
                self._path(key).unlink()

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key``'s token across processes (blocks while another holds it).

        A folder where no lock can be made only costs refreshes: the caller goes on unlocked.
        """
        lock = self.directory / f"{key}.lock"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            _log.warning("No token lock in %s: %s", self.directory, error.strerror)
            yield
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            os.utime(descriptor)  # a lock in use is never pruned as stale
            yield
        finally:
            os.close(descriptor)  # releases the lock

    def _prune(self) -> None:
        """Remove files no token in them could still use, and their locks (a day old)."""
        stale = time.time() - _STALE_SECONDS
        for path in [*self.directory.glob("*.json"), *self.directory.glob("*.lock")]:
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < stale:
                    path.unlink()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"
