"""Benchmark: tap-zoho's CRM reads at Zoho's floor (read_strategy auto) next to Get Records.

Each scenario starts an emulator playing a real org (``--latency-ms`` a call, Zoho
Professional's 15 calls in flight, a Bulk Read job taking ``--bulk-job-seconds`` at least),
then runs ``tap-zoho`` as a process with a catalog selecting one stream, once with
``read_strategy=auto`` and once with ``rest``, and reports wall time, the tap's peak memory
and CPU time, and the calls and credits the emulator counted:

- full sync of 100,000 Leads (48 fields; Bulk Read under auto);
- full sync of 20,000 Service_Visits (157 fields);
- incremental sync of 5,000 changed records, of Accounts (within one COQL chunk of 50
  columns) and of Leads (over two);
- with ``--memory``: peak memory of full syncs of 10,000 and 1,000,000 Leads, at no latency
  (the million-record rows take a quarter of an hour each).

Run it with ``make bench`` or ``python benchmarks/read_floor.py --help``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests
from measured import Measured, access_token, measure

from zoho_emulator.process import Banner, serve

STREAMS = {"crm_leads": "Leads", "crm_accounts": "Accounts", "crm_service_visits": "Service_Visits"}
DETAIL_ONLY = ("Visit_Items", "Related_Accounts")


@dataclasses.dataclass
class Scenario:
    """One row pair of the table."""

    work: str
    stream: str
    records: int
    latency_ms: float
    changed: int | None = None


@dataclasses.dataclass
class Run:
    """What one tap run took."""

    seconds: float
    cpu_seconds: float
    peak_mib: float
    records: int
    calls: int
    credits: int
    record_calls: int


def tap_run(command: list[str]) -> tuple[Measured, int]:
    """Run the tap; what it took, and the RECORD messages it wrote."""
    with tempfile.TemporaryFile() as out:
        measured = measure(command, out)
        out.seek(0)
        records = sum(1 for line in out if line.startswith(b'{"type":"RECORD"'))
    return measured, records


def _post(banner: Banner, path: str, body: dict[str, Any] | None = None) -> None:
    requests.request(
        "PATCH" if body else "POST", f"{banner.url}/__emulator__/{path}", json=body, timeout=120
    ).raise_for_status()


def _stats(banner: Banner) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(f"{banner.url}/__emulator__/stats", timeout=60).json()
    return stats


def _catalog(tap: list[str], stream: str) -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads(
        subprocess.run([*tap, "--discover"], capture_output=True, check=True).stdout
    )
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = entry["tap_stream_id"] == stream
            elif item["breadcrumb"][-1] in DETAIL_ONLY:
                item["metadata"]["selected"] = False
    return catalog


def _bookmark(banner: Banner, token: str, module: str, changed: int) -> str:
    """The Modified_Time after which ``changed`` records were modified."""
    query = (
        f"select Modified_Time from {module} where id is not null "
        f"order by Modified_Time desc, id desc limit 1 offset {changed}"
    )
    response = requests.post(
        f"{banner.url}/crm/v8/coql",
        json={"select_query": query},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=120,
    )
    stamp: str = response.json()["data"][0]["Modified_Time"]
    return stamp


def run_scenario(scenario: Scenario, bulk_job_seconds: float, workdir: Path) -> dict[str, Run]:
    """Both runs of one scenario, on one emulator."""
    flags = [
        *("--records", str(scenario.records), "--concurrency", "15"),
        *("--bulk-job-seconds", str(bulk_job_seconds)),
    ]
    runs: dict[str, Run] = {}
    with serve(*flags) as (banner, _):
        config: dict[str, Any] = dict(banner.plugin_config())
        config = {key: value for key, value in config.items() if "desk" not in key}
        config |= {"crm_modules": [STREAMS[scenario.stream]], "token_cache": False}
        discover = workdir / "discover.json"
        discover.write_text(json.dumps(config))
        tap = [sys.executable, "-m", "tap_zoho", "--config", str(discover)]
        catalog = workdir / "catalog.json"
        catalog.write_text(json.dumps(_catalog(tap, scenario.stream)))
        state_args: list[str] = []
        if scenario.changed:
            stamp = _bookmark(
                banner, access_token(banner), STREAMS[scenario.stream], scenario.changed
            )
            state = {"bookmarks": {scenario.stream: {"replication_key": "Modified_Time"}}}
            state["bookmarks"][scenario.stream]["replication_key_value"] = stamp
            (workdir / "state.json").write_text(json.dumps(state))
            state_args = ["--state", str(workdir / "state.json")]
        for strategy in ("auto", "rest"):
            run_config = workdir / f"{strategy}.json"
            run_config.write_text(json.dumps({**config, "read_strategy": strategy}))
            _post(banner, "reset")
            _post(banner, "settings", {"latency_ms": scenario.latency_ms})
            command = [sys.executable, "-m", "tap_zoho", "--config", str(run_config)]
            measured, records = tap_run([*command, "--catalog", str(catalog), *state_args])
            stats = _stats(banner)
            by_endpoint = stats["by_endpoint"]
            record_calls = sum(
                count
                for endpoint, count in by_endpoint.items()
                if endpoint.endswith(("/coql", "/{module}", "/read", "/{job_id}", "/result"))
            )
            runs[strategy] = Run(
                measured.seconds,
                measured.cpu_seconds,
                measured.peak_mib,
                records,
                stats["requests"],
                stats["credits"],
                record_calls,
            )
    return runs


def main() -> None:
    """Run the scenarios; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=250, help="latency of every call")
    parser.add_argument(
        "--bulk-job-seconds", type=float, default=5, help="least time a Bulk Read job takes"
    )
    parser.add_argument("--memory", action="store_true", help="add the 1,000,000-record rows")
    parser.add_argument("--only", help="run only the scenarios whose work contains this text")
    args = parser.parse_args()
    scenarios = [
        Scenario("full sync, 100,000 Leads", "crm_leads", 100_000, args.latency_ms),
        Scenario("full sync, 20,000 Service_Visits", "crm_service_visits", 20_000, args.latency_ms),
        Scenario(
            "incremental, 5,000 changed Accounts", "crm_accounts", 20_000, args.latency_ms, 5000
        ),
        Scenario("incremental, 5,000 changed Leads", "crm_leads", 20_000, args.latency_ms, 5000),
    ]
    if args.memory:
        scenarios += [
            Scenario("peak memory, 10,000 Leads", "crm_leads", 10_000, 0),
            Scenario("peak memory, 1,000,000 Leads", "crm_leads", 1_000_000, 0),
        ]
    if args.only:
        scenarios = [scenario for scenario in scenarios if args.only in scenario.work]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"emulator: {args.latency_ms:g} ms a call, 15 calls in flight, Bulk Read jobs of at "
        f"least {args.bulk_job_seconds:g} s"
    )
    print(
        "| work | read_strategy | records | seconds | peak MiB | CPU s | API calls "
        "| record calls | credits |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as workdir:
        for scenario in scenarios:
            runs = run_scenario(scenario, args.bulk_job_seconds, Path(workdir))
            for strategy, run in runs.items():
                print(
                    f"| {scenario.work} | {strategy} | {run.records:,} | {run.seconds:.1f} "
                    f"| {run.peak_mib:.0f} | {run.cpu_seconds:.1f} | {run.calls:,} "
                    f"| {run.record_calls:,} | {run.credits:,} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
