"""Search, count and COQL over HTTP against the emulator."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.server import Emulator


def coql(emulator: Emulator, query: str) -> Any:
    return emulator.crm("POST", "coql", json={"select_query": query})


def test_search_criteria_with_escaping(emulator: Emulator) -> None:
    accounts = emulator.crm(
        "GET", "Accounts", params={"fields": "Account_Name", "per_page": "200"}
    ).json()["data"]
    target = next(a for a in accounts if "," in a["Account_Name"] and "(" in a["Account_Name"])
    escaped = target["Account_Name"].replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    escaped = escaped.replace(",", "\\,")
    found = emulator.crm(
        "GET", "Accounts/search", params={"criteria": f"(Account_Name:equals:{escaped})"}
    )
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()["data"]] == [target["id"]]
    unescaped = emulator.crm(
        "GET",
        "Accounts/search",
        params={"criteria": f"(Account_Name:equals:{target['Account_Name']})"},
    )
    assert unescaped.status_code == 400
    assert unescaped.json()["code"] == "INVALID_QUERY"


def test_search_equals_behaves_like_contains(emulator: Emulator) -> None:
    response = emulator.crm(
        "GET", "Accounts/search", params={"criteria": "(Account_Name:equals:GmbH)"}
    )
    names = [r["Account_Name"] for r in response.json()["data"]]
    assert names
    assert all("gmbh" in name.lower() for name in names)


def test_search_combined_conditions_and_datetimes(emulator: Emulator) -> None:
    criteria = (
        "((Lead_Source:equals:Trade Show)and"
        "(Created_Time:between:2000-01-01T00:00:00+00:00,2100-01-01T00:00:00+00:00))"
    )
    response = emulator.crm(
        "GET", "Leads/search", params={"criteria": criteria, "fields": "Lead_Source,Created_Time"}
    )
    rows = response.json()["data"]
    assert rows
    assert all(r["Lead_Source"] == "Trade Show" for r in rows)
    count = emulator.crm("GET", "Leads/actions/count", params={"criteria": criteria}).json()
    assert count["count"] >= len(rows)


def test_search_needs_exactly_one_kind_and_stops_at_2000(emulator: Emulator) -> None:
    none = emulator.crm("GET", "Leads/search")
    assert none.status_code == 400
    assert none.json()["code"] == "EXPECTED_PARAM_MISSING"
    short = emulator.crm("GET", "Leads/search", params={"word": "a"})
    assert short.json()["code"] == "INVALID_DATA"
    everything = "(Created_Time:greater_than:2000-01-01T00:00:00+00:00)"
    last = emulator.crm("GET", "Leads/search", params={"criteria": everything, "page": "10"})
    assert last.status_code == 200
    beyond = emulator.crm("GET", "Leads/search", params={"criteria": everything, "page": "11"})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "LIMIT_REACHED"


def test_search_email_word_and_no_match(emulator: Emulator) -> None:
    record = next(
        r
        for r in emulator.crm("GET", "Contacts", params={"fields": "Email,Last_Name"}).json()[
            "data"
        ]
        if r["Email"]
    )
    by_email = emulator.crm("GET", "Contacts/search", params={"email": record["Email"]}).json()
    assert record["id"] in [r["id"] for r in by_email["data"]]
    nothing = emulator.crm("GET", "Contacts/search", params={"word": "zzzzqqqq"})
    assert nothing.status_code == 204


def test_search_sees_new_records_after_the_index_lag(emulator: Emulator) -> None:
    emulator.configure(search_lag_seconds=60)
    try:
        created = emulator.crm("POST", "Leads", json={"data": [{"Last_Name": "Fraîchement"}]})
        assert created.status_code == 201
        lagging = emulator.crm("GET", "Leads/search", params={"word": "Fraîchement"})
        assert lagging.status_code == 204
    finally:
        emulator.configure(search_lag_seconds=0)
    fresh = emulator.crm("GET", "Leads/search", params={"word": "Fraîchement"})
    assert fresh.status_code == 200


def test_count_follows_writes(emulator: Emulator) -> None:
    before = emulator.crm("GET", "Deals/actions/count").json()["count"]
    emulator.crm(
        "POST", "Deals", json={"data": [{"Deal_Name": "Nouveau", "Stage": "Qualification"}]}
    )
    assert emulator.crm("GET", "Deals/actions/count").json()["count"] == before + 1
    both = emulator.crm("GET", "Leads/actions/count", params={"converted": "both"}).json()
    default = emulator.crm("GET", "Leads/actions/count").json()
    assert both["count"] > default["count"]


def test_coql_select_where_order_limit_offset(emulator: Emulator) -> None:
    query = (
        "select Last_Name, Modified_Time, Account_Name, Account_Name.Account_Name from Contacts "
        "where Modified_Time >= '2000-01-01T00:00:00+00:00' order by Modified_Time asc, id asc "
        "limit 50 offset 10"
    )
    response = coql(emulator, query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["info"] == {"count": 50, "more_records": True}
    times = [dt.datetime.fromisoformat(r["Modified_Time"]) for r in body["data"]]
    assert times == sorted(times)
    with_account = next(r for r in body["data"] if r["Account_Name"])
    assert set(with_account["Account_Name"]) == {"id"}
    assert with_account["Account_Name.Account_Name"]
    first_page = coql(emulator, query.replace("offset 10", "offset 0")).json()["data"]
    assert first_page[10]["id"] == body["data"][0]["id"]


def test_coql_id_lookup_and_empty_result(emulator: Emulator) -> None:
    lead = emulator.crm("GET", "Leads", params={"fields": "Last_Name"}).json()["data"][0]
    found = coql(emulator, f"select Last_Name from Leads where id = '{lead['id']}'").json()
    assert found["data"] == [{"Last_Name": lead["Last_Name"], "id": lead["id"]}]
    nothing = coql(emulator, "select Last_Name from Leads where Last_Name = 'Nobody At All'")
    assert nothing.status_code == 204


def test_coql_limits_and_errors(emulator: Emulator) -> None:
    assert coql(emulator, "select Last_Name from Leads where id is not null limit 2000").ok
    too_big = coql(emulator, "select Last_Name from Leads where id is not null limit 2001")
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "LIMIT_EXCEEDED"
    too_deep = coql(
        emulator, "select Last_Name from Leads where id is not null limit 2000 offset 98001"
    )
    assert too_deep.json()["code"] == "LIMIT_EXCEEDED"
    star = coql(emulator, "select * from Leads where id is not null")
    assert star.json()["code"] == "SYNTAX_ERROR"
    unparenthesised = coql(
        emulator,
        "select Last_Name from Leads where Last_Name = 'a' and City = 'b' and State = 'c'",
    )
    assert unparenthesised.json()["code"] == "SYNTAX_ERROR"
    missing = emulator.crm("POST", "coql", json={})
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"


def test_coql_costs_credits_by_limit_band(emulator: Emulator) -> None:
    base = "select Last_Name from Leads where id is not null limit "
    for limit, cost in (("200", 1), ("1000", 2), ("2000", 3)):
        before = emulator.stats()["credits"]
        coql(emulator, base + limit)
        assert emulator.stats()["credits"] - before == cost, limit


def test_coql_sees_writes(emulator: Emulator) -> None:
    query = "select Account_Name from Accounts where Account_Name = 'Tout Nouveau'"
    assert coql(emulator, query).status_code == 204
    emulator.crm("POST", "Accounts", json={"data": [{"Account_Name": "Tout Nouveau"}]})
    assert len(coql(emulator, query).json()["data"]) == 1
