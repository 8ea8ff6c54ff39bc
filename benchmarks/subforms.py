"""Benchmark: tap-zoho reading a CRM module with a subform selected, by ``n_concurrent``.

Zoho returns subforms only with single-record reads (a call per record), so the wall time of
such a module is the calls' latency: this times ``crm_service_visits`` with ``Visit_Items``
selected against an emulator answering each call after ``--latency-ms``, once per
``n_concurrent``. Run it with ``python benchmarks/subforms.py`` (``--help`` for the options).
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

import requests
from measured import measure

from zoho_emulator.process import serve

STREAM = "crm_service_visits"
SUBFORM = "Visit_Items"


def main() -> None:
    """Time the sync once per n_concurrent; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records of the module")
    parser.add_argument("--latency-ms", type=int, default=100, help="latency of every call")
    parser.add_argument(
        "--concurrency", default="1,4,8", help="n_concurrent values, comma-separated"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{STREAM} with {SUBFORM}, {args.latency_ms} ms a call")
    print("| records | n_concurrent | seconds | records/s | peak MiB | API calls |")
    print("|---:|---:|---:|---:|---:|---:|")
    flags = ("--records", str(args.records), "--concurrency", "0")
    with serve(*flags) as (banner, _), tempfile.TemporaryDirectory() as workdir:
        config: dict[str, Any] = {
            key: value for key, value in banner.plugin_config().items() if "desk" not in key
        }
        config |= {"include_deletes": False, "crm_modules": ["Service_Visits"]}
        tap = [sys.executable, "-m", "tap_zoho"]
        discovery = [*tap, "--config", _write(workdir, "discover.json", config), "--discover"]
        catalog = json.loads(subprocess.run(discovery, capture_output=True, check=True).stdout)
        for entry in catalog["streams"]:
            for item in entry["metadata"]:
                if item["breadcrumb"] in ([], ["properties", SUBFORM]):
                    item["metadata"]["selected"] = entry["tap_stream_id"] == STREAM
        catalog_path = _write(workdir, "catalog.json", catalog)
        requests.patch(
            f"{banner.url}/__emulator__/settings", json={"latency_ms": args.latency_ms}, timeout=30
        )
        for n_concurrent in (int(value) for value in args.concurrency.split(",")):
            config_path = _write(workdir, "config.json", config | {"n_concurrent": n_concurrent})
            requests.post(f"{banner.url}/__emulator__/reset", timeout=60)
            measured = measure([*tap, "--config", config_path, "--catalog", catalog_path])
            seconds, peak = measured.seconds, measured.peak_mib
            stats = requests.get(f"{banner.url}/__emulator__/stats", timeout=30).json()
            records = stats["by_endpoint"]["GET /crm/{version}/{module}/{record_id}"]
            print(
                f"| {records} | {n_concurrent} | {seconds:.1f} | {records / seconds:.0f} "
                f"| {peak:.0f} | {stats['requests']} |"
            )


def _write(workdir: str, name: str, content: object) -> str:
    path = Path(workdir) / name
    path.write_text(json.dumps(content))
    return str(path)


if __name__ == "__main__":
    main()
