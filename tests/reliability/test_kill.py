"""kill -9 at seeded random points, several trials each, for tap-zoho (CRM and Desk) and
target-zoho: each run resumed from the last STATE, the result compared with the org itself."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.conftest import CRM_STREAMS, DESK_STREAMS
from tests.reliability.harness import (
    Kill,
    bookmark_instant,
    crm_emails,
    crm_newest,
    crm_truth,
    desk_newest,
    done_of,
    people,
    people_input,
    people_target_config,
    plugin_config,
    tap_runs,
    target_attempt,
)
from tests.server import desk_ids
from tests.singer import selecting

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import Emulator

pytestmark = pytest.mark.reliability

TRIALS = 4
#: Lines a full run of two streams of the source org writes, about.
TAP_LINES = 2 * 1200 + 6


def kills(rng: random.Random, *, lines: int, seconds: float) -> list[Kill]:
    """One to three kills at seeded points."""
    return [Kill.drawn(rng, lines=lines, seconds=seconds) for _ in range(rng.randint(1, 3))]


@pytest.mark.parametrize("trial", range(TRIALS))
@pytest.mark.parametrize(
    ("product", "streams"), [("crm", CRM_STREAMS), ("desk", DESK_STREAMS)], ids=["crm", "desk"]
)
def test_a_tap_killed_and_resumed_misses_nothing(
    source: Emulator,
    source_catalog: dict[str, Any],
    tmp_path: Path,
    product: str,
    streams: tuple[str, ...],
    trial: int,
) -> None:
    rng = random.Random(f"tap-{product}-{trial}")
    source.configure(latency_ms=rng.choice([0, 5, 20]))
    config = plugin_config(source, include_deletes=False, page_size=200)
    chosen = selecting(source_catalog, *streams)
    plan = kills(rng, lines=TAP_LINES, seconds=1.0)
    delivery = tap_runs(tmp_path, config, chosen, plan)
    source.configure(latency_ms=0)
    assert any(attempt.killed for attempt in delivery.attempts), "no run was killed"
    for stream in streams:
        module = stream.split("_", 1)[1]
        if product == "crm":
            truth = crm_truth(source, module.title())
            ids, newest = set(truth), crm_newest(truth)
        else:
            ids, newest = desk_ids(source, module), desk_newest(source, module)
        missing = ids - delivery.ids(stream)
        assert not missing, (stream, len(missing), plan, delivery.stderr())
        assert delivery.ids(stream) == ids
        # The last STATE is the newest record's time: the next run reads on from there.
        assert bookmark_instant(delivery.state, stream) == newest, plan


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_target_killed_and_resumed_loses_and_duplicates_nothing(
    blank: Emulator, tmp_path: Path, trial: int
) -> None:
    rng = random.Random(f"target-{trial}")
    blank.configure(latency_ms=rng.choice([40, 60]))
    tag = f"kill{trial}"
    records = people(rng.randint(150, 300), tag)
    every = rng.choice([7, 20, 33])
    config = people_target_config(blank)
    state: dict[str, Any] | None = None
    plan = [*kills(rng, lines=4, seconds=1.5), None]
    killed = 0
    for number, kill in enumerate(plan):
        attempt = target_attempt(
            tmp_path / f"run{number}", config, people_input(records, every, state), kill
        )
        assert attempt.killed or attempt.returncode == 0, attempt.stderr[-3000:]
        killed += attempt.killed
        if attempt.lines:
            # A STATE goes out only once every record before it is in Zoho.
            stored = set(crm_emails(blank, "Contacts", f"{tag}.%"))
            promised = {r["email"] for r in records[: done_of(attempt.lines[-1])]}
            assert promised <= stored, (attempt.lines[-1], attempt.stderr[-2000:])
            state = attempt.lines[-1]
    assert killed, "no run was killed"
    assert done_of(state) == len(records)
    stored_all = crm_emails(blank, "Contacts", f"{tag}.%")
    assert sorted(stored_all) == sorted(r["email"] for r in records)  # none missing, none twice
