"""The connector core is usable from Python without singer-sdk: every module of it imports, and
a client built from a mapping of settings reads, with any import of singer_sdk failing."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.singer import tap_config

if TYPE_CHECKING:
    from tests.server import Emulator

#: Runs in a fresh interpreter: singer_sdk blocked, every module of the core imported, then a
#: CRM and a Desk client built from settings (argv[1]) and one read each; prints what they read.
SCRIPT = """
import importlib, json, pkgutil, sys

sys.modules["singer_sdk"] = None  # "import singer_sdk" now fails, as if it were not installed
import zoho_connector

for module in pkgutil.walk_packages(zoho_connector.__path__, "zoho_connector."):
    importlib.import_module(module.name)

from zoho_connector.config import crm_client, desk_client

settings = json.loads(sys.argv[1])
crm, desk = crm_client(settings), desk_client(settings)
print(json.dumps({"org": crm.org()[0]["id"], "tickets": desk.count("tickets")}))
"""


def test_the_core_imports_and_reads_without_singer_sdk(emulator: Emulator) -> None:
    settings = tap_config(
        emulator, desk_url=emulator.url, desk_org_id=emulator.desk_org_id, token_cache=False
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(settings)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    org = emulator.crm("GET", "org").json()["org"][0]["id"]
    tickets = int(emulator.desk("GET", "ticketsCount").json()["count"])  # Desk sends text
    assert json.loads(done.stdout) == {"org": org, "tickets": tickets}
