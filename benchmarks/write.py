"""Benchmark: 100,000 Leads upserted into an emulator, by write calls or by Bulk Write.

``--path rest`` upserts them by ``ZohoCRM.write`` (100 records a call, ``--n-concurrent``
calls in flight), ``--path bulk`` by ``ZohoCRM.bulk_write`` (jobs of 25,000). A share of them
match seeded Leads by Email (updates), the rest are new (inserts), a few are invalid (rejected
with Zoho's code and field). It prints the wall time, the calls and credits (the emulator's
count and the client's), and checks that every record is accounted for. Run it with
``python benchmarks/write.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from zoho_connector import ZohoCRM
from zoho_emulator.process import Banner, serve


def main() -> None:
    """Upsert the records once; print a table row and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="Leads to upsert")
    parser.add_argument("--seeded", type=int, default=20_000, help="records the org starts with")
    parser.add_argument("--invalid-every", type=int, default=1000, help="every n-th invalid")
    parser.add_argument(
        "--path",
        choices=("rest", "bulk", "target"),
        default="rest",
        help="ZohoCRM.write, ZohoCRM.bulk_write, or target-zoho as a process (write calls)",
    )
    parser.add_argument("--latency-ms", type=float, default=250, help="each call's latency")
    parser.add_argument("--n-concurrent", type=int, default=10, help="write calls in flight")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    flags = ("--records", str(args.seeded), "--bulk-write-job-seconds", "0")
    # Zoho's sub-concurrency for upserts of more than 10 records is 10 in every edition
    # (https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html).
    with serve(*flags, "--concurrency", "10") as (banner, _):
        crm = ZohoCRM(
            banner.client_id,
            banner.client_secret,
            banner.refresh_token,
            url=banner.url,
            account_url=banner.url,
            api_version="v8",
            n_concurrent=args.n_concurrent,
        )
        crm.bulk_write_poll = 1.0
        seeded = crm.read("Leads", fields=["Email"], strategy="coql")["Email"].drop_nulls()
        known = list(dict.fromkeys(seeded.to_list()))[: args.records // 5]
        records = _records(args.records, known, args.invalid_every)
        before = _stats(banner.url)
        counted = crm.http.ledger.total().credits
        _configure(banner.url, latency_ms=args.latency_ms)
        started = time.perf_counter()
        if args.path == "target":
            outcomes = _through_target(banner, records, args.n_concurrent)
        else:
            write = crm.bulk_write if args.path == "bulk" else crm.write
            results = write("Leads", "integrate", records, sync_key="Email")
            outcomes = collections.Counter(
                result.action if result.success else "rejected" for result in results
            )
        seconds = time.perf_counter() - started
        _configure(banner.url, latency_ms=0)
        after = _stats(banner.url)
    calls = collections.Counter(after["by_endpoint"]) - collections.Counter(before["by_endpoint"])
    charged = after["credits"] - before["credits"]
    client = "" if args.path == "target" else f"{crm.http.ledger.total().credits - counted:,}"
    print(
        "| path | latency | n_concurrent | records | seconds | records/s | API calls "
        "| credits (Zoho) | credits (client) | most in flight |"
    )
    print("|:--|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.path} | {args.latency_ms:.0f} ms | {args.n_concurrent} "
        f"| {len(records):,} | {seconds:.1f} | {len(records) / seconds:,.0f} | "
        f"{calls.total()} | {charged:,} | {client} | {after['max_in_flight']} |"
    )
    print(f"calls: {dict(calls)}")
    print(f"outcomes: {dict(outcomes)}")
    assert outcomes.total() == len(records)
    assert outcomes["update"] == len(known) - _bad_among(len(known), args.invalid_every)
    assert outcomes["rejected"] == _bad_among(len(records), args.invalid_every)
    print(f"every record accounted for: {outcomes.total():,} outcomes for {len(records):,} records")


def _through_target(
    banner: Banner, records: list[dict[str, Any]], n_concurrent: int
) -> collections.Counter[str]:
    """``target-zoho`` upserting the records as a stream by Email; its summary's counts."""
    schema = {
        "type": "object",
        "properties": {
            "Email": {"type": "string"},
            "Last_Name": {"type": "string"},
            "Lead_Score": {"type": ["integer", "string"]},
        },
    }
    stream = {"product": "crm", "module": "Leads", "action": "integrate", "sync_key": "Email"}
    config = {
        "client_id": banner.client_id,
        "client_secret": banner.client_secret,
        "refresh_token": banner.refresh_token,
        "accounts_url": banner.url,
        "crm_url": banner.url,
        "streams": {"leads": stream},
        "n_concurrent": n_concurrent,
        "allow_failures": True,
    }
    with tempfile.TemporaryDirectory() as workdir:
        config_path = Path(workdir, "target.json")
        config_path.write_text(json.dumps(config))
        lines = [{"type": "SCHEMA", "stream": "leads", "schema": schema, "key_properties": []}]
        lines += [{"type": "RECORD", "stream": "leads", "record": record} for record in records]
        run = subprocess.run(
            [sys.executable, "-m", "target_zoho", "--config", str(config_path)],
            input="".join(json.dumps(line) + "\n" for line in lines),
            capture_output=True,
            text=True,
            check=False,
        )
    summary = re.search(
        r"Summary: leads: ([\d,]+) created, ([\d,]+) updated, [\d,]+ deleted, ([\d,]+) rejected",
        run.stderr,
    )
    if run.returncode or not summary:
        raise SystemExit(run.stderr[-3000:])
    counts = (int(count.replace(",", "")) for count in summary.groups())
    return collections.Counter(dict(zip(("insert", "update", "rejected"), counts, strict=True)))


def _records(count: int, known: list[str], invalid_every: int) -> list[dict[str, Any]]:
    """Leads: the known emails first (updates), then new ones; every n-th one invalid."""
    emails = [*known, *(f"bench.{n}@example.test" for n in range(count - len(known)))]
    records: list[dict[str, Any]] = []
    for number, email in enumerate(emails):
        record: dict[str, Any] = {"Email": email, "Last_Name": f"Bench {number}"}
        record["Lead_Score"] = "invalid" if number % invalid_every == invalid_every - 1 else number
        records.append(record)
    return records


def _bad_among(count: int, invalid_every: int) -> int:
    return len(range(invalid_every - 1, count, invalid_every))


def _configure(url: str, **settings: float) -> None:
    requests.patch(f"{url}/__emulator__/settings", json=settings, timeout=30).raise_for_status()


def _stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(f"{url}/__emulator__/stats", timeout=30).json()
    return stats


if __name__ == "__main__":
    main()
