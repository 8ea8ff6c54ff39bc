"""Benchmark: 100,000 Leads upserted by Bulk Write (``ZohoCRM.bulk_write``) into an emulator.

A share of them match seeded Leads by Email (updates), the rest are new (inserts), a few are
invalid (rejected with Zoho's code and field). It prints the wall time, the calls and credits
(the emulator's count and the client's), and checks that every record is accounted for. Run
it with ``python benchmarks/bulk_write.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import time
from typing import Any

import requests

from zoho_connector import ZohoCRM
from zoho_emulator.process import serve


def main() -> None:
    """Upsert the records once; print a table row and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="Leads to upsert")
    parser.add_argument("--seeded", type=int, default=20_000, help="records the org starts with")
    parser.add_argument("--invalid-every", type=int, default=1000, help="every n-th invalid")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    flags = ("--records", str(args.seeded), "--concurrency", "0", "--bulk-write-job-seconds", "0")
    with serve(*flags) as (banner, _):
        crm = ZohoCRM(
            banner.client_id,
            banner.client_secret,
            banner.refresh_token,
            url=banner.url,
            account_url=banner.url,
            api_version="v8",
        )
        crm.bulk_write_poll = 1.0
        seeded = crm.read("Leads", fields=["Email"], strategy="coql")["Email"].drop_nulls()
        known = list(dict.fromkeys(seeded.to_list()))[: args.records // 5]
        records = _records(args.records, known, args.invalid_every)
        before = _stats(banner.url)
        counted = crm.http.ledger.total().credits
        started = time.perf_counter()
        results = crm.bulk_write("Leads", "integrate", records, sync_key="Email")
        seconds = time.perf_counter() - started
        after = _stats(banner.url)
    calls = collections.Counter(after["by_endpoint"]) - collections.Counter(before["by_endpoint"])
    charged = after["credits"] - before["credits"]
    outcomes = collections.Counter(
        result.action if result.success else f"rejected {result.code}" for result in results
    )
    print("| records | seconds | records/s | API calls | credits (Zoho) | credits (client) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(records):,} | {seconds:.1f} | {len(records) / seconds:,.0f} | "
        f"{calls.total()} | {charged:,} | {crm.http.ledger.total().credits - counted:,} |"
    )
    print(f"calls: {dict(calls)}")
    print(f"outcomes: {dict(outcomes)}")
    expected_bad = len(range(args.invalid_every - 1, len(records), args.invalid_every))
    assert len(results) == len(records)
    assert outcomes["update"] == len(known) - _bad_among(len(known), args.invalid_every)
    assert sum(n for key, n in outcomes.items() if key.startswith("rejected")) == expected_bad
    print(f"every record accounted for: {len(results):,} results for {len(records):,} records")


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


def _stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(f"{url}/__emulator__/stats", timeout=30).json()
    return stats


if __name__ == "__main__":
    main()
