"""The target tests' destination: an empty org of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def destination() -> Iterator[Emulator]:
    """An org with no records in its main modules, seeded differently from the source."""
    flags = ("--records", "0", "--seed", "7", "--org", "1", "--concurrency", "0")
    with running_emulator(*flags) as emulator:
        yield emulator
