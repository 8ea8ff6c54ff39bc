"""``make demo``: the main job end to end through Meltano, on embedded defaults.

1. Starts an emulator as the Zoho org (CRM and Desk, 5,000 records a main module), and a
   second, empty org.
2. ``meltano run tap-zoho target-duckdb``: every CRM and Desk stream into a DuckDB file.
3. Prints the rows of every table, each checked against the emulator's own count.
4. The reverse: the landed Leads and Desk contacts, read back from DuckDB, into
   ``meltano invoke target-zoho`` writing to the second org; its counts checked too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import requests

from zoho_emulator.process import Banner, serve

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
MELTANO = ROOT / ".plugins" / "meltano" / "bin" / "meltano"
SCHEMA = "zoho"  # target-duckdb's default_target_schema in meltano.yml
#: The streams the reverse run sends back, with the columns it sends.
REVERSE = {
    "crm_leads": ("Email", "Last_Name", "Company"),
    "desk_contacts": ("id", "email", "lastName", "firstName"),
}


class Org:
    """An emulated org's own answers: what the landed tables are checked against."""

    def __init__(self, banner: Banner) -> None:
        self.banner = banner
        form = {
            "grant_type": "refresh_token",
            "client_id": banner.client_id,
            "client_secret": banner.client_secret,
            "refresh_token": banner.refresh_token,
        }
        answer = requests.post(f"{banner.url}/oauth/v2/token", data=form, timeout=30)
        self.headers = {
            "Authorization": f"Zoho-oauthtoken {answer.json()['access_token']}",
            "orgId": banner.desk_org_id,
        }

    def get(self, path: str, **params: Any) -> Any:
        """A GET of the emulator's API; the JSON body ({} when empty)."""
        answer = requests.get(
            f"{self.banner.url}/{path}", params=params, headers=self.headers, timeout=60
        )
        answer.raise_for_status()
        return answer.json() if answer.status_code == 200 else {}

    def crm_count(self, module: str) -> int:
        """Zoho's count of a CRM module (converted and unapproved records included)."""
        body = self.get(f"crm/v8/{module}/actions/count", converted="both", approved="both")
        return int(body["count"])

    def desk_count(self, module: str) -> int:
        """Desk's count of a module."""
        path = "ticketsCount" if module == "tickets" else f"{module}/count"
        return int(self.get(f"api/v1/{path}")["count"])

    def crm_modules(self) -> dict[str, str]:
        """Stream name -> CRM module API name, for every module."""
        modules = self.get("crm/v8/settings/modules")["modules"]
        return {f"crm_{m['api_name'].lower()}": m["api_name"] for m in modules}

    def expected(self, table: str, landed: Callable[[str], int]) -> int | None:
        """How many rows a table should hold by Zoho's own count; None where none is kept."""
        modules = self.crm_modules()
        if table in modules:
            try:
                return self.crm_count(modules[table])
            except requests.HTTPError:
                return None  # a module this user may not read: the tap skipped it too
        counts: dict[str, Callable[[], int]] = {
            "crm_users": lambda: len(self.get("crm/v8/users", type="AllUsers").get("users", [])),
            "crm_org": lambda: 1,
            "desk_ticket_threads": lambda: landed(
                'sum("threadCount"::INTEGER) FROM {schema}.desk_tickets'
            ),
            "desk_ticket_comments": lambda: landed(
                'sum("commentCount"::INTEGER) FROM {schema}.desk_tickets'
            ),
        }
        if table in counts:
            return counts[table]()
        if table.startswith("desk_"):
            return self.desk_count(table.removeprefix("desk_"))
        return None


def meltano(*args: str, env: dict[str, str], stdin: str | None = None, log: Path) -> None:
    """Run the project's Meltano (output to a log file); stop the demo if it fails."""
    with log.open("w") as out:
        done = subprocess.run(
            [str(MELTANO), *args],
            cwd=ROOT,
            env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
            input=stdin,
            text=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"demo FAILED: meltano {' '.join(args)} failed; see {log}")


def messages(database: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, int]]:
    """The landed Leads and Desk contacts as Singer messages, one a line; records a stream."""
    lines = []
    sent = {}
    text = {"type": ["string", "null"]}
    for stream, columns in REVERSE.items():
        schema = {"type": "object", "properties": dict.fromkeys(columns, text)}
        lines.append({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []})
        names = ", ".join(f'"{column}"' for column in columns)
        rows = database.execute(f"SELECT {names} FROM {SCHEMA}.{stream}").fetchall()
        lines += [
            {"type": "RECORD", "stream": stream, "record": dict(zip(columns, row, strict=True))}
            for row in rows
        ]
        sent[stream] = len(rows)
    return "".join(json.dumps(line) + "\n" for line in lines), sent


def summary(log: Path) -> str:
    """The run's closing summary line from its log."""
    lines = [line for line in log.read_text().splitlines() if "Summary: run total" in line]
    return "  " + lines[-1][lines[-1].index("Summary") :] if lines else "  (no summary logged)"


@contextlib.contextmanager
def orgs(records: int) -> Iterator[tuple[Org, Org]]:
    """The source org and a second one with no records in its main modules."""
    empty = ("--records", "0", "--seed", "7", "--org", "1")
    with serve("--records", str(records)) as (source, _), serve(*empty) as (second, _):
        yield Org(source), Org(second)


def main() -> None:
    """Run the demo and print what landed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000, help="records a main module")
    parser.add_argument("--output", type=Path, default=ROOT / "output" / "demo")
    options = parser.parse_args()
    output: Path = options.output.resolve()
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    path = output / "warehouse.duckdb"
    isolated = {"MELTANO_DATABASE_URI": f"sqlite:///{output / 'meltano.db'}"}
    ok = True
    with orgs(options.records) as (source, second):
        print(f"Zoho org (emulated) at {source.banner.url}")
        print(f"meltano run tap-zoho target-duckdb -> {path} ...")
        env = {**isolated, **source.banner.meltano_env("tap-zoho"), "TARGET_DUCKDB_PATH": str(path)}
        meltano("run", "tap-zoho", "target-duckdb", env=env, log=output / "meltano-run.log")
        print(summary(output / "meltano-run.log"))

        database = duckdb.connect(str(path), read_only=True)

        def landed(query: str) -> int:
            row = database.execute(f"SELECT {query.format(schema=SCHEMA)}").fetchone()
            return int(row[0] or 0) if row else 0

        tables = database.execute(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{SCHEMA}' "
            "ORDER BY table_name"
        ).fetchall()
        read = set(re.findall(r"Summary: (\w+): ", (output / "meltano-run.log").read_text()))
        for missing in sorted(read - {table for (table,) in tables}):
            ok = False
            print(f"  MISMATCH: tap-zoho read {missing}, but no table holds it")
        print(f"\nlanded in DuckDB ({SCHEMA}.<table>), next to Zoho's own count:")
        for (table,) in tables:
            rows = landed(f"count(*) FROM {{schema}}.{table}")
            expected = source.expected(table, landed)
            verdict = "-" if expected is None else "ok" if rows == expected else "MISMATCH"
            ok &= verdict != "MISMATCH"
            shown = "" if expected is None else f"{expected:>7,}"
            print(f"  {table:<24} {rows:>7,} rows   Zoho {shown:>7}   {verdict}")
        reverse, sent = messages(database)
        database.close()

        print("\nreverse: landed Leads and Desk contacts -> meltano invoke target-zoho")
        print(f"into a second Zoho org (emulated) at {second.banner.url}:")
        env = {**isolated, **second.banner.meltano_env("target-zoho")}
        meltano("invoke", "target-zoho", env=env, stdin=reverse, log=output / "target-zoho.log")
        print(summary(output / "target-zoho.log"))
        holds = {
            "crm_leads": second.crm_count("Leads"),
            "desk_contacts": second.desk_count("contacts"),
        }
        for stream, count in holds.items():
            verdict = "ok" if count == sent[stream] else "MISMATCH"
            ok &= verdict == "ok"
            print(f"  {stream:<24} {sent[stream]:>7,} sent   second org {count:>7,}   {verdict}")
    print(f"\nlogs: {output}/*.log; query the data: duckdb {path}")
    print("demo OK" if ok else "demo FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
