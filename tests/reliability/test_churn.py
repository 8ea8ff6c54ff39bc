"""Records updated and deleted while tap-zoho reads (the emulator's churn), by each read
strategy: no record unchanged through the read is skipped, and the next incremental run
brings every change and every delete, compared with the org itself."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.reliability.harness import (
    TapDelivery,
    crm_truth,
    instant,
    plugin_config,
    run_process,
    tap_command,
)
from tests.singer import selecting

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import Emulator

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("strategy", ["rest", "coql", "bulk"])
def test_no_record_is_skipped_while_others_change(
    source: Emulator, source_catalog: dict[str, Any], tmp_path: Path, strategy: str
) -> None:
    config = plugin_config(source, read_strategy=strategy, page_size=50)
    chosen = selecting(source_catalog, "crm_leads")
    before = crm_truth(source, "Leads")
    source.configure(
        latency_ms=20,
        bulk_job_seconds=1.0,
        churn_module="Leads",
        churn_per_second=40,
        churn_delete_share=0.3,
    )
    first = run_process(tap_command(tmp_path / "first", config, chosen), tmp_path / "first")
    source.configure(churn_per_second=0, latency_ms=0)
    time.sleep(0.3)  # churn's loop notices
    churned = source.stats()["churn"]
    assert first.returncode == 0, first.stderr[-3000:]
    after = crm_truth(source, "Leads")
    untouched = {rid for rid, stamp in before.items() if after.get(rid) == stamp}
    assert len(untouched) < len(before) - 10, churned  # the churn changed records meanwhile
    assert set(before) - set(after), churned  # ... and deleted some
    delivery = TapDelivery()
    delivery.absorb(first)
    skipped = untouched - delivery.ids("crm_leads")
    assert not skipped, (len(skipped), churned)

    # A read stops a second before it starts (what changes meanwhile is the next read's).
    time.sleep(2.5)
    second = run_process(
        tap_command(tmp_path / "second", config, chosen, delivery.state), tmp_path / "second"
    )
    assert second.returncode == 0, second.stderr[-3000:]
    delivery.absorb(second)
    # Every record as it is now, and every delete as a tombstone.
    missing = set(after) - delivery.ids("crm_leads")
    tombstoned = missing & delivery.tombstones.get("crm_leads", set())
    first_state = TapDelivery()
    first_state.absorb(first)
    assert not missing, (
        sorted((rid, before.get(rid), after[rid]) for rid in missing),
        len(tombstoned),
        churned,
        first_state.state,
    )
    assert delivery.ids("crm_leads") == set(after)
    stale = [
        rid
        for rid, stamp in after.items()
        if instant(delivery.records["crm_leads"][rid]["Modified_Time"]) != instant(stamp)
    ]
    assert not stale, (len(stale), churned)
    deleted = set(before) - set(after)
    assert deleted <= delivery.tombstones.get("crm_leads", set())
