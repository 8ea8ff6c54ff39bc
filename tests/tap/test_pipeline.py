"""A real pipeline: ``tap-zoho | target-jsonl``, two processes joined by a pipe."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from tests.plugins import plugin_executable
from tests.server import running_emulator
from tests.singer import pipe, tap_config, write_json

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import Emulator


def raw_count(emulator: Emulator, module: str) -> int:
    params = {"converted": "both", "approved": "both"}
    count: int = emulator.crm("GET", f"{module}/actions/count", params=params).json()["count"]
    return count


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tap_zoho_into_target_jsonl(tmp_path: Path) -> None:
    target_jsonl = plugin_executable("loaders", "target-jsonl")
    output = tmp_path / "output"
    output.mkdir()
    with running_emulator("--records", "2500", "--concurrency", "0") as emulator:
        config = tap_config(emulator, crm_modules=["Leads", "Deals", "Price_Tiers"])
        tap_config_path = write_json(tmp_path / "tap.json", config)
        target_config = {"destination_path": str(output), "do_timestamp_file": False}
        target_config_path = write_json(tmp_path / "target.json", target_config)
        target = pipe(
            [sys.executable, "-m", "tap_zoho", "--config", str(tap_config_path)],
            [str(target_jsonl), "--config", str(target_config_path)],
        )
        assert target.returncode == 0, target.stderr
        leads = lines(output / "crm_leads.jsonl")
        deals = lines(output / "crm_deals.jsonl")
        tiers = lines(output / "crm_price_tiers.jsonl")
        live_leads = {r["id"] for r in leads if not r.get("_sdc_deleted_at")}
        assert len(live_leads) == raw_count(emulator, "Leads") > 2000
        assert len({r["id"] for r in deals if not r.get("_sdc_deleted_at")}) == raw_count(
            emulator, "Deals"
        )
        assert len(tiers) == 12
        assert (output / "crm_users.jsonl").exists()
        state = json.loads(target.stdout.strip().splitlines()[-1])
        assert state["bookmarks"]["crm_leads"]["replication_key_value"]
