"""COQL's ordered walk against its full scan: the same matches, in the same order.

Keyset and probe queries (ordered by id, Created_Time or Modified_Time ascending) are walked
in that order from the WHERE clause's low bound; every other query scans and sorts. The unit
tests run both on one store, after writes and deletes; the HTTP tests check the walked answers
against the whole module read with a scanned query.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import TYPE_CHECKING, Any

import pytest

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog, coql, coql_run
from zoho_emulator.crm.org import CrmOrg
from zoho_emulator.crm.writes import Writer
from zoho_emulator.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.server import Emulator

RECORDS = 1500
COLUMNS = ("Modified_Time", "Created_Time", "id")


@pytest.fixture(scope="module")
def org() -> CrmOrg:
    """An org whose Leads were updated, created and deleted, several records a second."""
    org = CrmOrg(Settings(records=RECORDS))
    leads = org.stores["Leads"]
    writer = Writer(org, leads.module)
    ticks = itertools.count(3 * int(timefmt.now()))
    with pytest.MonkeyPatch.context() as patch:
        # A clock moving a second every third look: written records tie on Modified_Time
        # (and created ones on Created_Time), as seeded ones do.
        patch.setattr(timefmt, "now", lambda: float(next(ticks) // 3))
        for index in range(0, RECORDS, 29):
            record_id = catalog.record_id(leads.module.code, index)
            assert writer.update([{"id": record_id, "Description": "moved"}])[0]["code"] == (
                "SUCCESS"
            )
        for number in range(20):
            assert writer.insert([{"Last_Name": f"Nouveau {number % 4}"}])[0]["code"] == ("SUCCESS")
        deleted = [catalog.record_id(leads.module.code, index) for index in range(3, RECORDS, 97)]
        assert all(result["code"] == "SUCCESS" for result in writer.delete(deleted))
    return org


def value(org: CrmOrg, index: int, column: str) -> str:
    """A record's wire value of ``id``, Created_Time or Modified_Time."""
    store = org.stores["Leads"]
    if column == "id":
        return catalog.record_id(store.module.code, index)
    wire: str = store.get(index, store.module.field_map[column])
    return wire


def keyset_queries(org: CrmOrg, rng: random.Random) -> Iterator[str]:
    """Keyset pages, windows, probes and a few other shapes, with bounds on real values."""
    live = list(org.stores["Leads"].live_indices())
    while True:
        column = rng.choice(COLUMNS)
        pair = rng.sample(live, 2)
        first, second = sorted(pair, key=lambda index: coql.sort_key(value(org, index, column)))
        low, high = (value(org, index, column) for index in (first, second))
        if column != "id":
            low, high = f"'{low}'", f"'{high}'"
        after = catalog.record_id(1, first)
        if column != "id" and rng.random() < 0.3:
            # The same instant in UTC: datetimes compare as instants, whatever their offset.
            moment = dt.datetime.fromisoformat(low.strip("'")).astimezone(dt.UTC)
            low = f"'{moment.isoformat()}'"
        keyset = (
            f"id > {after}"
            if column == "id"
            else f"(({column} > {low}) or (({column} = {low}) and (id > {after})))"
        )
        where = rng.choice(
            [
                keyset,
                f"({keyset}) and ({column} <= {high})",
                f"{column} >= {low}",
                f"{column} > {low}",
                f"{column} < {high}",
                f"{column} between {low} and {high}",
                f"{column} in ({low}, {high})",
                f"{column} = {low}",
                f"({column} >= {low}) and (Lead_Source = 'Trade Show')",
                f"({column} > {high}) or (Last_Name like 'S%')",
                f"({column} > {low}) or ({column} < {high})",
                "id is not null",
            ]
        )
        order = rng.choice(
            [
                f"{column} asc, id asc",
                f"{column} asc",
                f"{column}",
                f"{column} asc, Last_Name desc, id asc",
                f"{column} asc, Lead_Source asc",
                f"{column} asc, id desc, Last_Name asc",
                "",
            ]
        )
        # Ordered by id first, a later id is a duplicate column: drop it.
        split = [part for part in order.split(", ") if part]
        names = [part.split()[0] for part in split]
        parts = [part for n, part in enumerate(split) if names[n] not in names[:n]]
        order_by = f" order by {', '.join(parts)}" if parts else ""
        limit = rng.choice([1, 7, 200, 2000])
        offset = rng.choice([0, 0, 3, rng.randrange(RECORDS)])
        yield f"select Last_Name from Leads where {where}{order_by} limit {limit} offset {offset}"


def test_walk_and_scan_agree_on_keyset_queries(org: CrmOrg) -> None:
    store, resolve = org.stores["Leads"], org.resolve_lookup
    rng = random.Random(20250102)
    for text in itertools.islice(keyset_queries(org, rng), 300):
        query = coql.parse_coql(text)
        walked = coql_run.walk(store, query, resolve)
        assert walked is not None, text
        scanned = coql_run.scan(store, query, resolve)
        assert coql_run.Matches(walked).page(query.offset, query.limit) == (
            scanned[query.offset : query.offset + query.limit],
            query.offset + query.limit < len(scanned),
        ), text


def test_a_walk_goes_on_where_the_last_page_stopped(org: CrmOrg) -> None:
    store, resolve = org.stores["Leads"], org.resolve_lookup
    query = coql.parse_coql(
        "select Last_Name from Leads where Modified_Time >= '2000-01-01T00:00:00+00:00'"
        " order by Modified_Time asc, id asc"
    )
    walked = coql_run.walk(store, query, resolve)
    assert walked is not None
    matches = coql_run.Matches(walked)
    scanned = coql_run.scan(store, query, resolve)
    pages = [matches.page(offset, 200) for offset in range(0, len(scanned) + 200, 200)]
    assert [index for page, _ in pages for index in page] == scanned
    assert [more for _, more in pages] == [True] * (len(pages) - 2) + [False, False]


@pytest.mark.parametrize(
    "order",
    ["Modified_Time desc", "Last_Name asc", "Owner.email asc", "Converted_Account.id", "Email"],
)
def test_other_orders_are_scanned(org: CrmOrg, order: str) -> None:
    text = f"select Last_Name from Leads where id is not null order by {order}"
    assert coql_run.walk(org.stores["Leads"], coql.parse_coql(text), org.resolve_lookup) is None


@pytest.mark.parametrize(
    ("where", "ranges", "certain"),
    [
        ("id > 5", {"id": (5, None)}, {"id": (5, None)}),
        ("id = 5", {"id": (5, 5)}, {}),
        ("id in (9, 5, 7)", {"id": (5, 9)}, {}),
        ("id != 5", {}, {}),
        ("id not between 3 and 9", {}, {}),
        ("(id > 5) and (id <= 9)", {"id": (5, 9)}, {"id": (5, 9)}),
        ("(id > 5) and (Last_Name = 'x')", {"id": (5, None)}, {}),
        ("(id > 5) or (Last_Name = 'x')", {}, {"id": (5, None)}),
        ("(id > 5) or ((id = 5) and (Last_Name = 'x'))", {"id": (5, None)}, {"id": (5, None)}),
        ("(id between 1 and 3) or (id between 2 and 8)", {"id": (1, 8)}, {"id": (1, 8)}),
        ("(id between 1 and 3) or (id between 5 and 8)", {"id": (1, 8)}, {"id": (1, 3)}),
        ("(id < 3) or (id > 8)", {}, {"id": (None, 3)}),
        ("(id > 3) and (No_of_Employees < 9)", {"id": (3, None), "No_of_Employees": (None, 9)}, {}),
    ],
)
def test_where_ranges(
    where: str, ranges: dict[str, tuple[Any, Any]], certain: dict[str, tuple[Any, Any]]
) -> None:
    query = coql.parse_coql(f"select Last_Name from Leads where {where}")
    assert (query.ranges, query.certain) == (ranges, certain)


def test_datetime_ranges_are_instants() -> None:
    query = coql.parse_coql(
        "select Last_Name from Leads where (Modified_Time > '2025-01-02T03:04:05-08:00')"
        " and (Modified_Time <= '2025-01-02T12:00:00Z')"
    )
    low = dt.datetime(2025, 1, 2, 11, 4, 5, tzinfo=dt.UTC).timestamp()
    high = dt.datetime(2025, 1, 2, 12, tzinfo=dt.UTC).timestamp()
    assert query.ranges == query.certain == {"Modified_Time": (low, high)}


# -- over HTTP ---------------------------------------------------------------------------------


def coql_page(emulator: Emulator, text: str) -> tuple[list[dict[str, Any]], bool, int]:
    """A COQL answer's rows, ``more_records`` and credits spent."""
    before = emulator.stats()["credits"]
    response = emulator.crm("POST", "coql", json={"select_query": text})
    spent = emulator.stats()["credits"] - before
    if response.status_code == 204:
        return [], False, spent
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["info"]["count"] == len(body["data"])
    return body["data"], body["info"]["more_records"], spent


def test_keyset_pages_over_http_match_the_scanned_module(emulator: Emulator) -> None:
    leads = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "per_page": "200"})
    ids = [row["id"] for row in leads.json()["data"]]
    same_second = [{"id": record_id, "Description": "moved"} for record_id in ids[:40:2]]
    assert emulator.crm("PUT", "Leads", json={"data": same_second}).status_code == 200
    created = [{"Last_Name": f"Nouveau {number}"} for number in range(15)]
    assert emulator.crm("POST", "Leads", json={"data": created}).status_code == 201
    assert emulator.crm("DELETE", "Leads", params={"ids": ",".join(ids[1:40:4])}).ok
    # Ordered by Last_Name, the scan serves the truth: every live record with its times.
    truth = []
    for offset in itertools.count(0, 2000):
        rows, more, _ = coql_page(
            emulator,
            "select Modified_Time, Created_Time, Last_Name from Leads where id is not null"
            f" order by Last_Name asc limit 2000 offset {offset}",
        )
        truth += rows
        if not more:
            break
    assert len({row["id"] for row in truth}) == len(truth)

    def instant(row: dict[str, Any], column: str) -> float:
        return dt.datetime.fromisoformat(row[column]).timestamp()

    rng = random.Random(7)
    for _ in range(40):
        column = rng.choice(["Modified_Time", "Created_Time"])
        ordered = sorted(truth, key=lambda row: (instant(row, column), int(row["id"])))
        start = rng.choice(ordered[:-1] + ordered[-30:])
        bound = instant(start, column)
        limit, offset = rng.choice([(2000, 0), (200, 0), (50, rng.randrange(2600)), (1, 2599)])
        upper = rng.choice([None, rng.choice(ordered)])
        where = (
            f"(({column} > '{start[column]}') or"
            f" (({column} = '{start[column]}') and (id > {start['id']})))"
        )
        if upper is not None:
            where = f"({where}) and ({column} <= '{upper[column]}')"
        expected = [
            row
            for row in ordered
            if (instant(row, column), int(row["id"])) > (bound, int(start["id"]))
            and (upper is None or instant(row, column) <= instant(upper, column))
        ]
        rows, more, spent = coql_page(
            emulator,
            f"select Last_Name, {column} from Leads where {where}"
            f" order by {column} asc, id asc limit {limit} offset {offset}",
        )
        wanted = expected[offset : offset + limit]
        assert rows == [
            {"Last_Name": row["Last_Name"], column: row[column], "id": row["id"]} for row in wanted
        ]
        assert more == (offset + limit < len(expected))
        assert spent == (1 if limit <= 200 else 3)
    by_id = sorted(truth, key=lambda row: int(row["id"]))
    rows, more, _ = coql_page(
        emulator,
        f"select Last_Name from Leads where id > {by_id[-3]['id']} order by id asc limit 2",
    )
    assert [row["id"] for row in rows] == [row["id"] for row in by_id[-2:]]
    assert not more
    past_the_end = f"select Last_Name from Leads where id > {by_id[-1]['id']}"
    assert coql_page(emulator, past_the_end)[:2] == ([], False)
