"""The three ways ZohoCRM reads (Get Records, COQL, Bulk Read), against a real emulator.

- Every way yields the same records, value for value and type for type, for every field type.
- None skips a record while others are updated or deleted during the read (the emulator's
  churn changes records as the read goes; page tokens there continue at an offset, the
  pessimistic reading of Zoho's). A plain page-token read, the control, does skip.
- COQL reads 2,000 records a call, several in flight; Bulk Read backfills in windows and
  resumes from its STATE; ``max_credits`` stops a read before it would pass.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import math
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from zoho_connector import ZohoCRM, crm_read
from zoho_connector.crm_read import PageRead, bulk
from zoho_connector.crm_read.bulk import Backfill
from zoho_connector.errors import ZohoBudgetError
from zoho_connector.formats import crm_datetime, parse_datetime
from zoho_connector.usage import Budget

if TYPE_CHECKING:
    from collections.abc import Iterator

RECORDS = 6000
COQL = "POST /crm/{version}/coql"
GET_RECORDS = "GET /crm/{version}/{module}"
BULK_CREATE = "POST /crm/bulk/{version}/read"
#: Settings the tests here change, at the values the emulator starts with.
CALM: dict[str, Any] = {
    "latency_ms": 0,
    "churn_per_second": 0,
    "churn_delete_share": 0,
    "bulk_job_seconds": 0.2,
    "bulk_page_rows": 200_000,
}


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    flags = ("--records", str(RECORDS), "--concurrency", "0", "--bulk-job-seconds", "0.2")
    with running_emulator(*flags) as emulator:
        yield emulator


@pytest.fixture
def emulator(server: Emulator) -> Iterator[Emulator]:
    server.configure(**CALM)
    server.reset()
    yield server
    server.configure(**CALM)


def connect(emulator: Emulator, **options: Any) -> ZohoCRM:
    settings: dict[str, Any] = {"url": emulator.url, "account_url": emulator.url}
    return ZohoCRM(
        emulator.client_id,
        emulator.client_secret,
        emulator.refresh_token,
        api_version="v8",
        **settings,
        **options,
    )


def listed(crm: ZohoCRM, module: str) -> list[str]:
    """Every field a list call returns (subforms and multi-select lookups come per record)."""
    return [
        field["api_name"]
        for field in crm.fields(module)
        if field["api_name"] != "id"
        and field["data_type"] not in ("subform", "multiselectlookup", "multiuserlookup")
    ]


def read_all(crm: ZohoCRM, read: PageRead, strategy: str, **options: Any) -> list[dict[str, Any]]:
    return [record for page in crm.scan(read, strategy, **options) for record in page]


def module_read(crm: ZohoCRM, module: str, **options: Any) -> PageRead:
    return PageRead(
        module=module,
        fields=listed(crm, module),
        order_by="Modified_Time",
        metadata={field["api_name"]: field for field in crm.fields(module)},
        **options,
    )


def warm(crm: ZohoCRM, module: str) -> None:
    """The org's users and the module's layouts and tags, fetched once per client anyway."""
    crm.references.user("")
    crm.references.layout_name(module, "")
    crm.references.tags(module)


def as_json(record: dict[str, Any]) -> str:
    """A record as JSON text: 1, 1.0 and true differ, key order does not."""
    return json.dumps({k: v for k, v in record.items() if not k.startswith("$")}, sort_keys=True)


def snapshot(emulator: Emulator, module: str) -> dict[str, str]:
    """Every live record's Modified_Time, by id, by the raw API (COQL, keyed on id)."""
    found: dict[str, str] = {}
    after = "0"
    while True:
        query = f"select Modified_Time from {module} where id > {after} order by id asc limit 2000"
        response = emulator.crm("POST", "coql", json={"select_query": query})
        if response.status_code == 204:
            return found
        rows = response.json()["data"]
        found.update((row["id"], row["Modified_Time"]) for row in rows)
        if not response.json()["info"]["more_records"]:
            return found
        after = rows[-1]["id"]


# -- the same records, whichever way ------------------------------------------------------


@pytest.mark.parametrize("module", ["Service_Visits", "Leads", "Accounts"])
def test_every_strategy_yields_the_same_records(emulator: Emulator, module: str) -> None:
    crm = connect(emulator)
    read = module_read(crm, module)
    by_way = {way: read_all(crm, read, way) for way in ("rest", "coql", "bulk")}
    rest = {record["id"]: as_json(record) for record in by_way["rest"]}
    assert (
        len(rest)
        == emulator.crm(
            "GET", f"{module}/actions/count", params={"converted": "both", "approved": "both"}
        ).json()["count"]
    )
    for way in ("coql", "bulk"):
        other = {record["id"]: as_json(record) for record in by_way[way]}
        assert other.keys() == rest.keys(), way
        different = [record_id for record_id in rest if other[record_id] != rest[record_id]]
        assert not different, (way, rest[different[0]], other[different[0]])
    # Every field type came with values, not only nulls.
    values = collections.defaultdict(set)
    for record in by_way["bulk"]:
        for name, value in record.items():
            values[name].add(type(value).__name__)
    assert all(kinds - {"NoneType"} for kinds in values.values()), values


def test_coql_and_get_records_come_in_order(emulator: Emulator) -> None:
    crm = connect(emulator)
    read = module_read(crm, "Leads")
    for way in ("rest", "coql"):
        stamps = [parse_datetime(record["Modified_Time"]) for record in read_all(crm, read, way)]
        assert stamps == sorted(stamps), way


# -- nothing skipped while records change ---------------------------------------------------


def test_no_strategy_skips_a_record_while_others_change(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bulk Read windows of 800 records, under jobs of 1,000: as 190,000 under 200,000.
    monkeypatch.setattr(bulk, "WINDOW", 800)
    crm = connect(emulator, n_concurrent=4)
    read = module_read(crm, "Leads", per_page=50)
    skipped: dict[str, int] = {}
    for way, options in (("rest", {}), ("coql", {"page_rows": 100}), ("bulk", {})):
        emulator.reset()
        before = snapshot(emulator, "Leads")
        emulator.configure(
            latency_ms=15, churn_per_second=40, churn_delete_share=0.3, bulk_page_rows=1000
        )
        got = {record["id"] for record in read_all(crm, read, way, **options)}
        emulator.configure(churn_per_second=0, latency_ms=0)
        after = snapshot(emulator, "Leads")
        untouched = {rid for rid, stamp in before.items() if after.get(rid) == stamp}
        assert len(untouched) < len(before) - 20, "the churn changed records during the read"
        skipped[way] = len(untouched - got)
    assert skipped == {"rest": 0, "coql": 0, "bulk": 0}


def test_a_page_token_read_does_skip_while_records_change(emulator: Emulator) -> None:
    """The control: following page tokens (offsets, here) loses records as others move."""
    before = snapshot(emulator, "Leads")
    emulator.configure(latency_ms=15, churn_per_second=40)
    got: set[str] = set()
    query: dict[str, Any] = {
        "fields": "Modified_Time",
        "sort_by": "Modified_Time",
        "sort_order": "asc",
        "per_page": 50,
        "converted": "both",
        "approved": "both",
    }
    while True:
        body = emulator.crm("GET", "Leads", params=query).json()
        got |= {record["id"] for record in body["data"]}
        if not body["info"]["more_records"]:
            break
        query["page_token"] = body["info"]["next_page_token"]
    emulator.configure(churn_per_second=0, latency_ms=0)
    after = snapshot(emulator, "Leads")
    untouched = {rid for rid, stamp in before.items() if after.get(rid) == stamp}
    assert untouched - got, "page tokens are offsets: moving records shift the pages"


def test_what_changed_during_a_read_comes_in_the_next_read(emulator: Emulator) -> None:
    crm = connect(emulator)
    read = module_read(crm, "Leads")
    emulator.configure(latency_ms=15, churn_per_second=30)
    first = read_all(crm, read, "coql", page_rows=200)
    emulator.configure(churn_per_second=0, latency_ms=0)
    # A read ends a second before it starts (Zoho's clock, whole seconds), and the churn may
    # make one more change within its tick: the next read starts past both, as a next run would.
    time.sleep(2.5)
    last = max(parse_datetime(record["Modified_Time"]) for record in first)
    since = crm_datetime(last - dt.timedelta(seconds=1))
    later = read_all(crm, dataclasses.replace(read, since=since), "coql")
    seen = {record["id"]: record["Modified_Time"] for record in [*first, *later]}
    assert seen.items() >= snapshot(emulator, "Leads").items()


# -- COQL: 2,000 a call, several in flight ----------------------------------------------------


def test_coql_reads_2000_records_a_call_several_in_flight(emulator: Emulator) -> None:
    crm = connect(emulator, n_concurrent=4)
    read = module_read(crm, "Accounts")
    total = crm.count("Accounts")
    emulator.reset()
    emulator.configure(latency_ms=100)
    records = read_all(crm, read, "coql", total=total)
    stats = emulator.stats()
    assert len(records) == total
    # Pages overlap by one record; a count was given, so no call is spent learning it.
    assert stats["by_endpoint"][COQL] == 1 + math.ceil((total - 2000) / 1999)
    assert stats["max_in_flight"] >= 3
    # The org's users, and the module's layouts and tags, complete the ids COQL returns.
    references = ("users", "settings/layouts", "settings/tags")
    assert all(stats["by_endpoint"][f"GET /crm/{{version}}/{path}"] == 1 for path in references)
    assert stats["credits"] == 3 * stats["by_endpoint"][COQL] + len(references)


def test_an_incremental_coql_read_of_5000_changes_costs_four_calls(emulator: Emulator) -> None:
    crm = connect(emulator, n_concurrent=4)
    stamps = sorted(parse_datetime(stamp) for stamp in snapshot(emulator, "Accounts").values())
    since = crm_datetime(stamps[-5001])
    changed = sum(1 for stamp in stamps if stamp > parse_datetime(since))
    read = module_read(crm, "Accounts", since=since)
    warm(crm, "Accounts")
    emulator.reset()
    records = read_all(crm, read, "coql")
    by_endpoint = emulator.stats()["by_endpoint"]
    assert len(records) == changed
    assert by_endpoint[COQL] <= 3
    assert sum(by_endpoint.values()) <= 4  # the pages, and one count to size them


def test_a_small_read_costs_one_call(emulator: Emulator) -> None:
    crm = connect(emulator)
    stamps = sorted(parse_datetime(stamp) for stamp in snapshot(emulator, "Accounts").values())
    read = module_read(crm, "Accounts", since=crm_datetime(stamps[-30]))
    warm(crm, "Accounts")
    emulator.reset()
    assert len(read_all(crm, read, "coql")) <= 30
    assert emulator.stats()["by_endpoint"] == {COQL: 1}


# -- Bulk Read ----------------------------------------------------------------------------------


def test_bulk_read_backfills_in_windows_and_resumes(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "WINDOW", 1500)
    crm = connect(emulator)
    read = module_read(crm, "Leads")
    total = crm.count("Leads")
    progress: list[dict[str, Any]] = []
    first = Backfill()
    pages = crm.scan(
        read, "bulk", backfill=first, on_progress=lambda b: progress.append(b.to_state())
    )
    seen: set[str] = set()
    for page in pages:
        seen |= {record["id"] for record in page}
        if first.done == 2:
            break
    windows = len(first.windows)
    assert windows >= math.ceil(total / 1500)
    assert emulator.stats()["by_endpoint"][BULK_CREATE] == windows  # made together
    resumed = Backfill.from_state(json.loads(json.dumps(progress[-1])))
    assert resumed.done == 2
    made = emulator.stats()["by_endpoint"][BULK_CREATE]
    rest = read_all(crm, read, "bulk", backfill=resumed)
    assert emulator.stats()["by_endpoint"][BULK_CREATE] == made  # the jobs made are read
    assert seen | {record["id"] for record in rest} == set(snapshot(emulator, "Leads"))
    assert resumed.done == len(resumed.windows)
    assert resumed.started is not None


def test_bulk_read_makes_a_failed_job_again(emulator: Emulator) -> None:
    crm = connect(emulator)
    read = module_read(crm, "Accounts")
    emulator.configure(bulk_failure_rate=1)
    with pytest.raises(Exception, match="failed 3 times"):
        read_all(crm, read, "bulk")
    assert emulator.stats()["by_endpoint"][BULK_CREATE] == 4
    emulator.configure(bulk_failure_rate=0)


def test_a_window_that_outgrows_a_job_is_read_again_by_coql(emulator: Emulator) -> None:
    crm = connect(emulator)
    read = module_read(crm, "Leads")
    emulator.configure(bulk_page_rows=2500)  # as if the window held more than 200,000
    records = read_all(crm, read, "bulk")
    assert {record["id"] for record in records} == set(snapshot(emulator, "Leads"))
    by_endpoint = emulator.stats()["by_endpoint"]
    assert by_endpoint[BULK_CREATE] == 1  # never Zoho's next page: an offset
    assert by_endpoint[COQL] >= math.ceil(len(set(snapshot(emulator, "Leads"))) / 2000)


def test_a_coql_read_ordered_by_a_field_it_does_not_return(emulator: Emulator) -> None:
    crm = connect(emulator)
    ids = [
        record["id"]
        for page in crm.pages("Leads", fields=["Last_Name"], order_by="Modified_Time")
        for record in page
    ]
    assert len(ids) == len(set(ids)) == len(snapshot(emulator, "Leads")) > 2000


# -- the credit budget --------------------------------------------------------------------------


def test_max_credits_stops_a_read_before_it_would_pass(emulator: Emulator) -> None:
    budget = Budget(20)
    crm = connect(emulator, budget=budget)
    read = module_read(crm, "Leads")
    emulator.reset()
    before = budget.spent  # the connection check and the metadata
    got: list[dict[str, Any]] = []

    def read_on() -> None:
        for page in crm.scan(read, "rest"):
            got.extend(page)

    with pytest.raises(ZohoBudgetError, match="max_credits"):
        read_on()
    assert budget.spent <= 20
    assert budget.spent - before == emulator.stats()["credits"]
    assert got


def test_strategies_are_chosen_by_the_read(emulator: Emulator) -> None:
    crm = connect(emulator)
    leads, visits = module_read(crm, "Leads"), module_read(crm, "Service_Visits")

    def chosen(read: PageRead, count: int | None, wanted: str = "auto", **options: Any) -> str:
        options = {"full": True, "ordered": False, "threshold": 10_000, **options}
        return crm_read.choose(wanted, read, count=lambda: count, **options).strategy.value

    # What_Id, a multi-module lookup: only Get Records returns its name
    assert chosen(module_read(crm, "Tasks"), 50_000) == "rest"
    # Bulk Read when a job (~60 credits) costs less than COQL: 3 a call a chunk of 50 columns
    assert chosen(leads, 200_000) == "bulk"  # two chunks: 600 credits by COQL
    assert chosen(leads, 15_000) == "coql"  # 48 credits by COQL
    assert chosen(visits, 15_000) == "bulk"  # four chunks: 96 credits by COQL
    assert chosen(visits, 9_000) == "coql"  # under the threshold
    assert chosen(visits, 15_000, threshold=20_000) == "coql"
    assert chosen(visits, None) == "coql"  # Zoho would not count
    assert chosen(visits, 15_000, ordered=True) == "coql"
    assert chosen(visits, 15_000, full=False) == "coql"
    done = crm.query_condition("Status", "=", "Done")
    assert chosen(dataclasses.replace(visits, filter=done), 15_000) == "coql"
    # Asked for: Bulk Read for whole modules (an incremental read by COQL), the others as asked
    assert chosen(leads, 100, "bulk") == "bulk"
    assert chosen(leads, 100, "bulk", full=False) == "coql"
    assert chosen(leads, 200_000, "rest") == "rest"
    assert chosen(leads, 200_000, "coql") == "coql"
