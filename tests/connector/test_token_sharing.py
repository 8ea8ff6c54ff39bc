"""One refresh token shared by processes: one refresh per expiry, Zoho's limit waited out."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from zoho_connector.auth import AccessToken
from zoho_connector.errors import ZohoAuthError, ZohoRateLimitError, ZohoRefreshLimitError
from zoho_connector.token_cache import TokenCache

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.server import Emulator

#: A process that renews its token once, forgets it as Zoho refusing it would, and renews again
#: once told to (a line on stdin): it prints each token it got.
_RENEWING_PROCESS = """
import sys
from zoho_connector.auth import AccessToken
from zoho_connector.token_cache import TokenCache
url, client_id, secret, refresh, folder = sys.argv[1:]
token = AccessToken(url, client_id, secret, refresh, cache=TokenCache(folder))
first = token.get()
print(first, flush=True)
sys.stdin.readline()
token.invalidate(first)
print(token.get(), flush=True)
"""


@pytest.fixture
def throttled(emulator: Emulator) -> Iterator[Emulator]:
    """The emulator with its refresh limit and window restored after the test."""
    yield emulator
    emulator.configure(refresh_limit=10, refresh_window=600)


def _token(emulator: Emulator, folder: Path | None, refresh_wait: float = 600) -> AccessToken:
    cache = TokenCache(folder) if folder else None
    return AccessToken(
        emulator.url,
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        cache=cache,
        refresh_wait=refresh_wait,
    )


def _refreshes(emulator: Emulator) -> int:
    refreshes: int = emulator.stats()["token_refreshes"]
    return refreshes


def test_processes_renewing_at_once_refresh_once_per_expiry(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.expire_tokens()
    before = _refreshes(emulator)
    arguments = [
        emulator.url,
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        str(tmp_path / "tokens"),
    ]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _RENEWING_PROCESS, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    firsts = {run.stdout.readline().strip() for run in runs if run.stdout}
    assert len(firsts) == 1
    assert _refreshes(emulator) == before + 1
    emulator.expire_tokens()  # the hour is over for every process at once
    seconds = [run.communicate("renew\n", timeout=60)[0].strip() for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert len(set(seconds)) == 1
    assert seconds[0] not in firsts
    assert _refreshes(emulator) == before + 2


def test_a_refresh_refused_for_zohos_limit_waits_for_its_window(
    throttled: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    throttled.configure(refresh_limit=1, refresh_window=2)
    _token(throttled, None).get()  # another app took the window's one refresh
    waiting = _token(throttled, tmp_path, refresh_wait=10)
    started = time.monotonic()
    assert waiting.get()
    assert time.monotonic() - started >= 1
    assert "refuses new access tokens for now" in caplog.text
    assert "giving up at" in caplog.text


def test_a_refresh_limit_that_outlasts_the_wait_is_named(throttled: Emulator) -> None:
    throttled.configure(refresh_limit=1, refresh_window=600)
    _token(throttled, None).get()
    with pytest.raises(ZohoRefreshLimitError, match="token_refresh_wait") as refused:
        _token(throttled, None, refresh_wait=1).get()
    assert refused.value.code == "Access Denied"
    # A limit, as spent credits are (no setting's fault), and still a refused token.
    assert isinstance(refused.value, ZohoRateLimitError)
    assert isinstance(refused.value, ZohoAuthError)
    assert throttled.client_secret not in str(refused.value)
