"""Benchmark: ``scripts/copy_org.py`` copying an emulated org into an empty one.

The source holds ``--records`` records a main module (5,000 by default) and Desk's accounts,
contacts and tickets; the destination has the source id field in every CRM module
(``--source-id-field``) and its few seeded records deleted first. Both answer in
``--latency-ms`` (250) a call. It prints the copy's wall time, the script's counts per
module, the destination's calls and credits, and the rejects by code. Run it with
``python benchmarks/org_copy.py`` (``--help`` for the options).
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

from zoho_connector.config import crm_client, desk_client
from zoho_emulator.process import Banner, serve

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ID = "Source_Id"
#: Desk modules the copy writes, and the key their moveToTrash call takes.
DESK_TRASH = {"accounts": "accountIds", "contacts": "contactIds", "tickets": "ticketIds"}


def main() -> None:
    """Copy once; print the table row, the counts and the rejects."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000, help="records a main module")
    parser.add_argument("--latency-ms", type=float, default=250, help="each call's latency")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    source_flags = ("--records", str(args.records))
    empty_flags = ("--records", "0", "--seed", "7", "--org", "1")
    with (
        serve(*source_flags) as (source, _),
        serve(*empty_flags, "--source-id-field", SOURCE_ID) as (destination, _),
        tempfile.TemporaryDirectory() as workdir,
    ):
        _empty(_config(destination))
        for org in (source, destination):
            requests.patch(
                f"{org.url}/__emulator__/settings", json={"latency_ms": args.latency_ms}, timeout=30
            ).raise_for_status()
        before = {org.url: _stats(org.url) for org in (source, destination)}
        tap = Path(workdir, "tap.json")
        reads = {"include_deletes": False, "n_concurrent": 10}
        tap.write_text(json.dumps({**_config(source), **reads}))
        target = Path(workdir, "target.json")
        writes = {"source_id_field": SOURCE_ID, "n_concurrent": 10}
        target.write_text(json.dumps({**_config(destination), **writes}))
        state = Path(workdir, "state.json")
        options = ("--source", tap, "--destination", target, "--state", state)
        started = time.perf_counter()
        copy = subprocess.run(
            [sys.executable, str(ROOT / "scripts/copy_org.py"), *map(str, options)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        stats = _spent(destination.url, before[destination.url])
        read = _spent(source.url, before[source.url])
    counts = re.findall(r"^(.+?): source ([\d,]+), destination ([\d,]+)$", copy.stdout, re.M)
    rejects = collections.Counter(re.findall(r"Rejected: .*?: ([A-Z_]+)", copy.stderr))
    copied = sum(int(destination_count.replace(",", "")) for *_, destination_count in counts)
    print(
        "| records a module | seconds | records copied | destination calls | credits | "
        "source calls | credits | rejects | exit |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.records:,} | {seconds:.0f} | {copied:,} | {stats['requests']:,} | "
        f"{stats['credits']:,} | {read['requests']:,} | {read['credits']:,} | "
        f"{rejects.total()} | {copy.returncode} |"
    )
    print(copy.stdout, end="")
    print(f"rejects: {dict(rejects)}")
    if copy.returncode:
        print(copy.stderr[-3000:], file=sys.stderr)


def _config(org: Banner) -> dict[str, Any]:
    """A tap or target config for an emulated org, CRM and Desk."""
    return {
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "refresh_token": org.refresh_token,
        "accounts_url": org.url,
        "crm_url": org.url,
        "desk_url": org.url,
        "desk_org_id": org.desk_org_id,
        "token_cache": False,
    }


def _empty(config: dict[str, Any]) -> None:
    """Delete the records an org is seeded with even at ``--records 0``."""
    crm = crm_client(config)
    for module in ("Accounts", "Contacts", "Deals", "Leads", "Service_Visits", "Tasks"):
        _delete(crm, module)
    for module in ("Price_Tiers", "Sales_Orders", "Products"):
        _delete(crm, module)
    desk = desk_client(config)
    for module in DESK_TRASH:
        _delete(desk, module)


def _delete(client: Any, module: str) -> None:
    ids = [{"id": row["id"]} for row in client.read(module, fields=["id"]).to_dicts()]
    failed = [result for result in client.write(module, "delete", ids) if not result.success]
    if failed:
        raise SystemExit(f"could not empty {module}: {failed[0].message}")


def _stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(f"{url}/__emulator__/stats", timeout=30).json()
    return stats


def _spent(url: str, before: dict[str, Any]) -> dict[str, int]:
    """Calls and credits since ``before``."""
    now = _stats(url)
    return {key: now[key] - before[key] for key in ("requests", "credits")}


if __name__ == "__main__":
    main()
