"""Copy one Zoho org into another: every CRM module, and Desk contacts, accounts and tickets.

It runs what README's "Copying an org" shows, as real processes:

1. ``tap-zoho --config SOURCE --discover``, every CRM module and the Desk streams selected,
   with desk_agents and desk_departments (read, not written: Desk lookups match by them), in
   ``catalog.json`` beside the state file; the CRM modules' subforms are selected too (line
   items: Zoho refuses a Sales Order, Quote or Invoice without them), which costs one more
   call a record of each module that has one (Zoho returns subforms only with a single
   record); multi-select lookups are not;
2. ``tap-zoho --config SOURCE --catalog catalog.json [--state STATE] | target-zoho --config
   DESTINATION``, each STATE the target gives written to the state file as it comes (it
   follows only records already in the destination), so a copy stopped at any point is rerun
   by the same command and goes on from there;
3. per module, the source's count against the destination's.

The destination config must set ``source_id_field`` (``"Source_Id"``, say), a unique text
field the user added to every CRM module of the destination (Setup, Customization, Modules
and Fields, the module, New Field: single line, "Do not allow duplicate values"); each
copy holds its source record's id there and is upserted on it, so no record is written
twice, even by a rerun; lookups resolve through it. Exits 1 when the pipe failed (a record
rejected, say) or a module's counts differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tap_zoho.field_metadata import KEY as ZOHO_FIELD
from target_zoho.routes import READ_ONLY_STREAMS
from zoho_connector.config import crm_client, desk_client

#: The Desk streams copied (Desk's other modules hold activity of agents, not data).
DESK_STREAMS = ("desk_accounts", "desk_contacts", "desk_tickets")
#: Desk streams read, not written: the target matches the source's agents and departments
#: (of the records' ownerId, departmentId...) to the destination's by their email and name.
DESK_REFERENCES = ("desk_agents", "desk_departments")


def selected(catalog: dict[str, Any]) -> list[str]:
    """Select the CRM modules Zoho takes records of, their subforms, and the Desk streams.

    The Desk streams: DESK_STREAMS and DESK_REFERENCES. A subform (``data_type`` ``subform``
    in the field facts discovery keeps) is not selected by default: tap-zoho reads it with one
    single-record call a record.

    Returns:
        The streams copied (not DESK_REFERENCES).
    """
    names = []
    for stream in catalog["streams"]:
        name = stream["tap_stream_id"]
        copied = name in DESK_STREAMS or (name.startswith("crm_") and name not in READ_ONLY_STREAMS)
        for entry in stream["metadata"]:
            metadata = entry["metadata"]
            if entry["breadcrumb"] == []:
                metadata["selected"] = copied or name in DESK_REFERENCES
            elif copied and (metadata.get(ZOHO_FIELD) or {}).get("data_type") == "subform":
                metadata["selected"] = True
        if copied:
            names.append(name)
    return names


def run_pipe(tap: list[str], target: list[str], state_path: Path) -> bool:
    """``tap | target``, each state the target gives written to ``state_path``; both exit 0?"""
    producer = subprocess.Popen(tap, stdout=subprocess.PIPE)
    consumer = subprocess.Popen(target, stdin=producer.stdout, stdout=subprocess.PIPE, text=True)
    assert producer.stdout is not None
    assert consumer.stdout is not None
    producer.stdout.close()  # the target holds the pipe: the tap sees it close if it ends
    for line in consumer.stdout:  # a Singer target's output: one state value a line
        partial = state_path.with_suffix(".partial")
        partial.write_text(json.dumps(json.loads(line)))
        os.replace(partial, state_path)  # a kill never leaves half a state file
    return consumer.wait() == 0 and producer.wait() == 0


def counts(
    streams: list[str], source: dict[str, Any], destination: dict[str, Any]
) -> dict[str, tuple[int | None, int | None]]:
    """Per stream, the source's and the destination's records, by the core's counts.

    None where Zoho refuses to count (a module the API user may not read: tap-zoho passes it
    over with a warning).
    """
    found: dict[str, tuple[int | None, int | None]] = {}
    crm = [name for name in streams if name.startswith("crm_")]
    if crm:
        clients = crm_client(source), crm_client(destination)
        for name in crm:
            module = clients[0].module(name[len("crm_") :])["api_name"]
            found[module] = (clients[0].total_if_told(module), clients[1].total_if_told(module))
    desk = [name for name in streams if name.startswith("desk_")]
    if desk:
        desks = desk_client(source), desk_client(destination)
        for name in desk:
            module = name[len("desk_") :]
            found[f"desk {module}"] = (desks[0].total(module), desks[1].total(module))
    return found


def main(argv: list[str] | None = None) -> int:
    """Copy, then compare the counts; 0 when the pipe succeeded and every count matches."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Rerun the same command to go on after a stop: it reads --state.",
    )
    parser.add_argument("--source", type=Path, required=True, help="tap-zoho config (JSON)")
    parser.add_argument(
        "--destination",
        type=Path,
        required=True,
        help="target-zoho config (JSON) with source_id_field set",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=Path("copy-state.json"),
        help="state file: read when it exists, written as the copy goes",
    )
    args = parser.parse_args(argv)
    source = json.loads(args.source.read_text())
    destination = json.loads(args.destination.read_text())
    if not destination.get("source_id_field"):
        parser.error("the destination config must set source_id_field (README: Copying an org)")
    tap = [sys.executable, "-m", "tap_zoho", "--config", str(args.source)]
    discovered = subprocess.run([*tap, "--discover"], capture_output=True, text=True, check=True)
    catalog = json.loads(discovered.stdout)
    streams = selected(catalog)
    catalog_path = args.state.with_name("catalog.json")
    catalog_path.write_text(json.dumps(catalog))
    tap += ["--catalog", str(catalog_path)]
    if args.state.exists():
        tap += ["--state", str(args.state)]
    target = [sys.executable, "-m", "target_zoho", "--config", str(args.destination)]
    ok = run_pipe(tap, target, args.state)
    for module, (have, copied) in counts(streams, source, destination).items():
        if have is None:
            print(f"{module}: not readable by the source's API user, not copied")
            continue
        same = have == copied
        ok = ok and same
        print(f"{module}: source {have}, destination {copied}{'' if same else '  DIFFERENT'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
