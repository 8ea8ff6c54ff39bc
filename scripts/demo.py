"""``make demo``: the main job end to end, on embedded defaults.

1. Starts an emulator as the Zoho org (CRM and Desk, 5,000 records a main module).
2. Runs ``tap-zoho | target-jsonl`` into ``output/demo/`` (a local destination).
3. Runs the reverse: the landed Leads and Desk contacts, read back from those files, into
   ``target-zoho`` writing to a second org with no records.
4. Prints what landed, checked against the emulators' own counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from zoho_emulator.process import Banner, serve

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "output" / "demo"
TARGET_JSONL = ROOT / ".plugins" / "target-jsonl" / "bin" / "target-jsonl"
RECORDS = 5000
CRM_MODULES = {
    "crm_leads": "Leads",
    "crm_accounts": "Accounts",
    "crm_deals": "Deals",
    "crm_service_visits": "Service_Visits",
}
CRM_STREAMS = tuple(CRM_MODULES)
DESK_STREAMS = ("desk_tickets", "desk_contacts")


def config(banner: Banner, **extra: Any) -> dict[str, Any]:
    """A tap or target config pointing at an emulator."""
    return {
        "client_id": banner.client_id,
        "client_secret": banner.client_secret,
        "refresh_token": banner.refresh_token,
        "accounts_url": banner.url,
        "crm_url": banner.url,
        "desk_url": banner.url,
        "desk_org_id": banner.desk_org_id,
        **extra,
    }


def write(path: Path, value: Any) -> Path:
    """Write JSON to a file; its path."""
    path.write_text(json.dumps(value))
    return path


def token(banner: Banner) -> str:
    """An access token of an emulator."""
    form = {
        "grant_type": "refresh_token",
        "client_id": banner.client_id,
        "client_secret": banner.client_secret,
        "refresh_token": banner.refresh_token,
    }
    value: str = requests.post(f"{banner.url}/oauth/v2/token", data=form, timeout=30).json()[
        "access_token"
    ]
    return value


def crm_count(banner: Banner, module: str) -> int:
    """Zoho's own count of a module (converted and unapproved records included)."""
    answer = requests.get(
        f"{banner.url}/crm/v8/{module}/actions/count",
        params={"converted": "both", "approved": "both"},
        headers={"Authorization": f"Zoho-oauthtoken {token(banner)}"},
        timeout=60,
    )
    count: int = answer.json()["count"]
    return count


def desk_count(banner: Banner, module: str) -> int:
    """Desk's own count of a module."""
    path = "ticketsCount" if module == "tickets" else f"{module}/count"
    answer = requests.get(
        f"{banner.url}/api/v1/{path}",
        headers={
            "Authorization": f"Zoho-oauthtoken {token(banner)}",
            "orgId": banner.desk_org_id,
        },
        timeout=60,
    )
    return int(answer.json()["count"])


def landed(stream: str) -> list[dict[str, Any]]:
    """The records target-jsonl wrote for a stream (deletes left aside)."""
    lines = (OUTPUT / f"{stream}.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if not r.get("_sdc_deleted_at")]


def extract(source: Banner, workdir: Path) -> None:
    """``tap-zoho | target-jsonl`` with a catalog selecting the demo's streams."""
    tap_config = write(workdir / "tap.json", config(source, crm_modules=list(CRM_MODULES.values())))
    tap = [sys.executable, "-m", "tap_zoho", "--config", str(tap_config)]
    discovered = subprocess.run([*tap, "--discover"], capture_output=True, check=True).stdout
    catalog = json.loads(discovered)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = entry["tap_stream_id"] in CRM_STREAMS + DESK_STREAMS
    catalog_path = write(workdir / "catalog.json", catalog)
    jsonl = {"destination_path": str(OUTPUT), "do_timestamp_file": False}
    target = [str(TARGET_JSONL), "--config", str(write(workdir / "jsonl.json", jsonl))]
    with (
        (workdir / "tap-zoho.log").open("w") as log,
        subprocess.Popen(
            [*tap, "--catalog", str(catalog_path)], stdout=subprocess.PIPE, stderr=log
        ) as producer,
    ):
        subprocess.run(
            target, stdin=producer.stdout, check=True, stdout=subprocess.DEVNULL, stderr=log
        )
    if producer.returncode != 0:
        raise SystemExit("demo FAILED: tap-zoho failed")


def reverse(destination: Banner, workdir: Path) -> None:
    """The landed Leads and Desk contacts, as Singer messages, into target-zoho."""
    messages = []
    text = {"type": ["string", "null"]}
    for stream, keys in (
        ("crm_leads", ("Email", "Last_Name", "Company")),
        ("desk_contacts", ("id", "email", "lastName", "firstName")),
    ):
        schema = {"type": "object", "properties": dict.fromkeys(keys, text)}
        messages.append(
            {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []}
        )
        messages += [
            {"type": "RECORD", "stream": stream, "record": {key: record.get(key) for key in keys}}
            for record in landed(stream)
        ]
    # Both streams go by their names: Leads upserted on Email, Desk contacts looked up by id
    # (none is known to the second org, so each is created).
    target_config = write(workdir / "target.json", config(destination))
    with (workdir / "target-zoho.log").open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "target_zoho", "--config", str(target_config)],
            input="".join(json.dumps(m) + "\n" for m in messages),
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def main() -> None:
    """Run the demo and print what landed."""
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    workdir = OUTPUT / ".work"
    workdir.mkdir()
    ok = True
    empty = ("--records", "0", "--seed", "7", "--org", "1")
    with serve("--records", str(RECORDS)) as (source, _), serve(*empty) as (destination, _):
        print(f"emulated Zoho org at {source.url}; extracting with tap-zoho into {OUTPUT} ...")
        extract(source, workdir)
        print("\nlanded (rows per file, Zoho's own count):")
        for stream in CRM_STREAMS + DESK_STREAMS:
            product, module = stream.split("_", 1)
            if product == "crm":
                expected = crm_count(source, CRM_MODULES[stream])
            else:
                expected = desk_count(source, module)
            rows = len({r["id"] for r in landed(stream)})
            ok &= rows == expected
            verdict = "ok" if rows == expected else "MISMATCH"
            print(
                f"  {stream + '.jsonl':<26} {rows:>6} rows   Zoho counts {expected:>6}   {verdict}"
            )
        print(f"\nreverse: landed Leads and Desk contacts into target-zoho -> {destination.url}")
        reverse(destination, workdir)
        counts = {
            "crm_leads": crm_count(destination, "Leads"),
            "desk_contacts": desk_count(destination, "contacts"),
        }
        for stream, count in counts.items():
            sent = len(landed(stream))
            ok &= count == sent
            print(f"  {stream:<26} second org counts {count:>6}   sent {sent:>6}")
    print(f"\nlogs of both runs: {workdir}")
    print("demo OK" if ok else "demo FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
