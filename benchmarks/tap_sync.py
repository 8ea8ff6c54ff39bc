"""Benchmark: tap-zoho's CPU path, syncing one CRM module next to a minimal baseline.

For each module size it starts an emulator answering at once (no latency), then times child
processes reading the same module from it:

- ``tap auto`` and ``tap rest``: ``tap-zoho`` with a catalog selecting only that stream
  (``read_strategy`` auto, then rest), its output to /dev/null;
- ``baseline``: the same Get Records pages fetched with plain ``requests`` and page tokens,
  each record written as a Singer RECORD line with orjson to /dev/null (no schema, no
  state, no type handling).

It reports records per second, the child's CPU time and peak resident memory, and the API
calls the emulator counted. The emulator runs on the same machine: its time to make the
records is in every side's wall time. Run it with ``make bench`` (or
``python benchmarks/tap_sync.py --help``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import requests
from measured import access_token, measure

from zoho_emulator.process import serve

STREAM_MODULES = {
    "crm_accounts": "Accounts",
    "crm_leads": "Leads",
    "crm_service_visits": "Service_Visits",
}


def _baseline(url: str, token: str, module: str, fields: str, stream: str) -> int:
    """Every page of a module with plain requests, records as JSON lines; how many."""
    session = requests.Session()
    session.headers["Authorization"] = f"Zoho-oauthtoken {token}"
    query = {"fields": fields, "sort_by": "Modified_Time", "sort_order": "asc"}
    query |= {"converted": "both", "approved": "both"}
    count = 0
    with Path(os.devnull).open("wb") as sink:
        while True:
            response = session.get(f"{url}/crm/v8/{module}", params=query, timeout=300)
            if response.status_code == 204:
                return count
            body = orjson.loads(response.content)
            for record in body["data"]:
                message = {"type": "RECORD", "stream": stream, "record": record}
                sink.write(orjson.dumps(message) + b"\n")
                count += 1
            if not body["info"]["more_records"]:
                return count
            query = {**query, "page_token": body["info"]["next_page_token"]}


def run(records: int, stream: str, workdir: Path) -> tuple[int, int, dict[str, dict[str, Any]]]:
    """Every side's measurement for one module size: (records, fields, by side)."""
    module = STREAM_MODULES[stream]
    with serve("--records", str(records), "--concurrency", "0") as (banner, _):
        config = {
            "client_id": banner.client_id,
            "client_secret": banner.client_secret,
            "refresh_token": banner.refresh_token,
            "accounts_url": banner.url,
            "crm_url": banner.url,
            "include_deletes": False,
            "token_cache": False,
        }
        (workdir / "config.json").write_text(json.dumps(config))
        tap = [sys.executable, "-m", "tap_zoho", "--config", str(workdir / "config.json")]
        catalog = json.loads(
            subprocess.run([*tap, "--discover"], capture_output=True, check=True).stdout
        )
        for entry in catalog["streams"]:
            for item in entry["metadata"]:
                if not item["breadcrumb"]:
                    item["metadata"]["selected"] = entry["tap_stream_id"] == stream
        (workdir / "catalog.json").write_text(json.dumps(catalog))
        fields = [
            name
            for entry in catalog["streams"]
            if entry["tap_stream_id"] == stream
            for name in entry["schema"]["properties"]
            if name not in ("id", "_sdc_deleted_at", "Visit_Items", "Related_Accounts")
        ]
        stats_url = f"{banner.url}/__emulator__/stats"
        token = access_token(banner)
        count = requests.get(
            f"{banner.url}/crm/v8/{module}/actions/count",
            params={"converted": "both", "approved": "both"},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=60,
        ).json()["count"]
        # Warm the emulator's sort order, so no side pays for it.
        _baseline(banner.url, token, module, "Modified_Time", stream)
        commands = {
            "baseline": [
                *(sys.executable, __file__, "baseline", banner.url, token, module),
                *(",".join(fields[:50]), stream),
            ],
        }
        for strategy in ("auto", "rest"):
            (workdir / f"{strategy}.json").write_text(
                json.dumps({**config, "read_strategy": strategy})
            )
            commands[f"tap {strategy}"] = [
                *tap[:-1],
                str(workdir / f"{strategy}.json"),
                "--catalog",
                str(workdir / "catalog.json"),
            ]
        sides: dict[str, dict[str, Any]] = {}
        for side, command in commands.items():
            requests.post(f"{banner.url}/__emulator__/reset", timeout=60)
            measured = measure(command)
            calls = requests.get(stats_url, timeout=30).json()["requests"]
            sides[side] = {
                "seconds": measured.seconds,
                "cpu": measured.cpu_seconds,
                "peak_mib": measured.peak_mib,
                "calls": calls,
            }
    return count, len(fields), sides


def main() -> None:
    """Parse arguments; run the benchmark (or, as a child, the baseline) and print a table."""
    if len(sys.argv) > 1 and sys.argv[1] == "baseline":
        _baseline(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="module sizes, comma-separated")
    parser.add_argument("--stream", default="crm_leads", choices=sorted(STREAM_MODULES))
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"stream: {args.stream}")
    print(
        "| records | fields | side | seconds | records/s | x baseline | CPU s | CPU µs a record "
        "| peak MiB | API calls |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as workdir:
        for size in (int(value) for value in args.sizes.split(",")):
            count, fields, sides = run(size, args.stream, Path(workdir))
            base = count / sides["baseline"]["seconds"]
            for side, row in sides.items():
                rate = count / row["seconds"]
                print(
                    f"| {count} | {fields} | {side} | {row['seconds']:.1f} | {rate:.0f} "
                    f"| {rate / base:.2f} | {row['cpu']:.1f} | {1e6 * row['cpu'] / count:.0f} "
                    f"| {row['peak_mib']:.0f} | {row['calls']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
