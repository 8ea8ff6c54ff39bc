"""The reliability suite's emulators: a source org read by the tap and a blank org the target
writes into, one each for the suite, calmed (faults off, data restored) around every test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.harness import calm, discover, plugin_config
from tests.server import Emulator, running_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Records per main module of the source org: a STATE every 1,000 records, so two streams
#: of this size give four resume points a run.
SOURCE_RECORDS = 1200
#: The streams of the source org the suite reads.
CRM_STREAMS = ("crm_leads", "crm_accounts")
DESK_STREAMS = ("desk_contacts", "desk_tickets")


@pytest.fixture(scope="session")
def source_org() -> Iterator[Emulator]:
    """The suite's source org (CRM and Desk), started once."""
    flags = ("--records", str(SOURCE_RECORDS), "--concurrency", "0", "--bulk-job-seconds", "0.2")
    with running_emulator(*flags) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def blank_org() -> Iterator[Emulator]:
    """The suite's destination org: no records in its main modules, ids of its own."""
    flags = ("--records", "0", "--seed", "7", "--org", "1", "--concurrency", "0")
    with running_emulator(*flags) as emulator:
        yield emulator


@pytest.fixture
def source(source_org: Emulator) -> Iterator[Emulator]:
    """The source org, calm and restored, and calmed again after the test."""
    calm(source_org)
    yield source_org
    calm(source_org)


@pytest.fixture
def blank(blank_org: Emulator) -> Iterator[Emulator]:
    """The destination org, calm and emptied, and calmed again after the test."""
    calm(blank_org)
    yield blank_org
    calm(blank_org)


@pytest.fixture(scope="session")
def source_catalog(
    source_org: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The source org's catalog, CRM (Leads, Accounts) and Desk, discovered once."""
    config = plugin_config(source_org, crm_modules=["Leads", "Accounts"])
    return discover(tmp_path_factory.mktemp("discover"), config)
