"""Shared fixtures: a real emulator server, started once per test session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Records per main module in the shared emulator: past the 2,000-record page limit.
SHARED_RECORDS = 2600


@pytest.fixture(autouse=True)
def own_token_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's plugin processes keep their access tokens in a cache of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    """One emulator for the session; tests that write use ``emulator`` to reset it."""
    with running_emulator("--records", str(SHARED_RECORDS), "--concurrency", "0") as server:
        yield server


@pytest.fixture
def emulator(shared_emulator: Emulator) -> Emulator:
    """The shared emulator with its seeded data restored and its counters zeroed."""
    shared_emulator.reset()
    return shared_emulator
