"""The connector's pure logic: query_condition, COQL, Zoho formats, frames and load preparation.

Nothing here talks HTTP; everything that does is in ``test_crm.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import zoneinfo
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from zoho_connector import (
    CREATE,
    DELETE,
    INTEGRATE,
    RETRIEVE,
    UPDATE,
    Action,
    ZohoCRM,
    ZohoError,
    ZohoInputError,
    crm_types,
    query_condition,
)
from zoho_connector.conditions import Condition, coql_where, criteria, parse_criteria
from zoho_connector.formats import crm_date, crm_datetime, desk_datetime, parse_datetime
from zoho_connector.frames import flatten, to_frame, unflatten
from zoho_connector.http import Slots
from zoho_connector.load import (
    RowResult,
    in_input_order,
    prepare_rows,
    run_batches,
    with_results,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def one(condition: list[Condition]) -> Condition:
    assert isinstance(condition, list)
    assert len(condition) == 1
    assert isinstance(condition[0], Condition)
    return condition[0]


# -- query_condition: operators ------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "zoho", "coql"),
    [
        ("=", "equals", "Lead_Source = 'Web'"),
        ("==", "equals", "Lead_Source = 'Web'"),
        ("equals", "equals", "Lead_Source = 'Web'"),
        ("!=", "not_equal", "Lead_Source != 'Web'"),
        ("not_equal", "not_equal", "Lead_Source != 'Web'"),
        (">", "greater_than", "Lead_Source > 'Web'"),
        ("greater_than", "greater_than", "Lead_Source > 'Web'"),
        (">=", "greater_equal", "Lead_Source >= 'Web'"),
        ("greater_equal", "greater_equal", "Lead_Source >= 'Web'"),
        ("<", "less_than", "Lead_Source < 'Web'"),
        ("less_than", "less_than", "Lead_Source < 'Web'"),
        ("<=", "less_equal", "Lead_Source <= 'Web'"),
        ("less_equal", "less_equal", "Lead_Source <= 'Web'"),
        ("starts_with", "starts_with", "Lead_Source like 'Web%'"),
        (" Equals ", "equals", "Lead_Source = 'Web'"),
    ],
)
def test_operators_symbols_and_zoho_names(operator: str, zoho: str, coql: str) -> None:
    condition = one(query_condition("Lead_Source", operator, "Web"))
    assert condition == f"(Lead_Source:{zoho}:Web)"
    assert (condition.field, condition.operator, condition.values) == (
        "Lead_Source",
        zoho,
        ("Web",),
    )
    assert condition.coql() == coql


def test_in_and_between_take_several_values() -> None:
    within = one(query_condition("Lead_Source", "in", ["Web Download", "Cold Call"]))
    assert within == "(Lead_Source:in:Web Download,Cold Call)"
    assert within.coql() == "Lead_Source in ('Web Download', 'Cold Call')"
    assert one(query_condition("Lead_Source", "in", ("Web",))) == "(Lead_Source:in:Web)"
    assert one(query_condition("X", "in", (n for n in (1, 2)), "number")).coql() == "X in (1, 2)"
    span = one(query_condition("No_of_Employees", "between", [10, 20.5], "number"))
    assert span == "(No_of_Employees:between:10,20.5)"
    assert span.coql() == "No_of_Employees between 10 and 20.5"


def test_in_with_more_values_than_coql_takes_is_split_into_or_groups() -> None:
    values = [f"v{n}" for n in range(120)]
    condition = one(query_condition("Last_Name", "in", values))
    assert condition == f"(Last_Name:in:{','.join(values)})"
    coql = condition.coql()
    groups = [
        "Last_Name in (" + ", ".join(f"'{value}'" for value in values[start : start + 50]) + ")"
        for start in (0, 50, 100)
    ]
    assert coql == f"(({groups[0]}) or ({groups[1]})) or ({groups[2]})"
    assert coql.count("'v") == 120


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("between", [1], "between needs two values"),
        ("between", [1, 2, 3], "between needs two values"),
        ("in", [], "in needs at least one value"),
        ("in", "abc", "needs a sequence"),
        ("between", 5, "needs a sequence"),
    ],
)
def test_bad_value_counts_are_refused(operator: str, value: Any, expected: str) -> None:
    with pytest.raises(ZohoInputError, match=expected):
        query_condition("No_of_Employees", operator, value, "number")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Last_Name", "like", "x"), "unknown operator 'like'"),
        (("Last_Name", "", "x"), "unknown operator"),
        (("Last_Name", "=", "x", "json"), "unknown format 'json'"),
        (("", "=", "x"), "needs a field"),
        (("Last_Name", "=", None), "needs a value"),
    ],
)
def test_bad_conditions_are_refused(args: tuple[Any, ...], expected: str) -> None:
    with pytest.raises(ZohoInputError, match=expected):
        query_condition(*args)


def test_unknown_operator_message_lists_the_known_ones() -> None:
    with pytest.raises(ZohoInputError) as caught:
        query_condition("Last_Name", "contains", "x")
    assert "starts_with" in str(caught.value)
    assert "between" in str(caught.value)


# -- query_condition: escaping -------------------------------------------------------------


def test_criteria_values_escape_backslash_parentheses_and_commas() -> None:
    condition = one(query_condition("Company", "=", r"Müller (GmbH), Back\Slash"))
    assert condition == r"(Company:equals:Müller \(GmbH\)\, Back\\Slash)"
    # the parts stay unescaped, for COQL
    assert condition.values == (r"Müller (GmbH), Back\Slash",)
    assert condition.coql() == r"Company = 'Müller (GmbH), Back\\Slash'"
    listed = one(query_condition("Company", "in", ["a,b", "c)"]))
    assert listed == r"(Company:in:a\,b,c\))"


def test_coql_literals_escape_quotes_and_backslashes() -> None:
    quoted = one(query_condition("Company", "=", "O'Reilly \\ Sons"))
    assert quoted.coql() == "Company = 'O\\'Reilly \\\\ Sons'"
    assert one(query_condition("Company", "starts_with", "O'")).coql() == "Company like 'O\\'%'"
    newline = one(query_condition("Description", "=", "a\nb"))
    assert newline.coql() == "Description = 'a\nb'"


# -- query_condition: formats --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42, "42"),
        (-7, "-7"),
        (2.5, "2.5"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (100.0, "100"),
        (Decimal("12.340"), "12.34"),
        ("  17 ", "17"),
        ("3.0", "3"),
    ],
)
def test_numbers_are_plain_digits(value: Any, text: str) -> None:
    condition = one(query_condition("Annual_Revenue", ">", value, "number"))
    assert condition == f"(Annual_Revenue:greater_than:{text})"
    assert condition.coql() == f"Annual_Revenue > {text}"  # bare, not quoted


@pytest.mark.parametrize("value", [True, "abc", "1,000", float("inf"), float("nan"), [1]])
def test_values_that_are_not_numbers_are_refused(value: Any) -> None:
    with pytest.raises(ZohoInputError, match="not a valid number"):
        query_condition("Annual_Revenue", "=", value, "number")


def test_booleans() -> None:
    assert one(query_condition("Email_Opt_Out", "=", True, "boolean")) == (
        "(Email_Opt_Out:equals:true)"
    )
    assert one(query_condition("Email_Opt_Out", "=", False, "boolean")).coql() == (
        "Email_Opt_Out = 'false'"
    )
    assert one(query_condition("Email_Opt_Out", "!=", "TRUE", "boolean")) == (
        "(Email_Opt_Out:not_equal:true)"
    )
    for value in (1, "yes", 0.0):
        with pytest.raises(ZohoInputError, match="not a valid boolean"):
            query_condition("Email_Opt_Out", "=", value, "boolean")


def test_dates_keep_their_calendar_day() -> None:
    assert one(query_condition("Next_Contact_Date", ">=", dt.date(2024, 2, 29), "date")) == (
        "(Next_Contact_Date:greater_equal:2024-02-29)"
    )
    late = dt.datetime(2024, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert one(query_condition("Next_Contact_Date", "=", late, "date")).values == ("2024-03-01",)
    text = one(query_condition("Next_Contact_Date", "<", "2024-03-01T10:00:00Z", "date"))
    assert text.values == ("2024-03-01",)
    assert text.coql() == "Next_Contact_Date < '2024-03-01'"
    with pytest.raises(ZohoInputError, match="not a valid date"):
        query_condition("Next_Contact_Date", "=", "next tuesday", "date")


def test_datetimes_go_to_utc_or_keep_their_offset() -> None:
    moment = dt.datetime(2024, 7, 1, 9, 15, 30, 987654, tzinfo=PARIS)  # +02:00 in summer
    to_utc = one(query_condition("Modified_Time", ">", moment, "datetime"))
    assert to_utc == "(Modified_Time:greater_than:2024-07-01T07:15:30+00:00)"
    assert to_utc.coql() == "Modified_Time > '2024-07-01T07:15:30+00:00'"
    kept = one(query_condition("Modified_Time", ">", moment, "datetime", utc=False))
    assert kept.values == ("2024-07-01T09:15:30+02:00",)
    # text with Zoho's own offset, Z, and a naive value (taken as UTC)
    zoho = one(query_condition("Modified_Time", "<", "2024-01-05T01:10:47-08:00", "datetime"))
    assert zoho.values == ("2024-01-05T09:10:47+00:00",)
    kept_text = query_condition(
        "Modified_Time", "<", "2024-01-05T01:10:47-08:00", "datetime", False
    )
    assert one(kept_text).values == ("2024-01-05T01:10:47-08:00",)
    assert one(
        query_condition("Modified_Time", "=", "2024-01-05T01:10:47Z", "datetime")
    ).values == ("2024-01-05T01:10:47+00:00",)
    naive_moment = dt.datetime(2024, 1, 5, 1, 2, 3)  # noqa: DTZ001 - naive on purpose
    naive = one(query_condition("Modified_Time", "=", naive_moment, "datetime"))
    assert naive.values == ("2024-01-05T01:02:03+00:00",)
    day = one(query_condition("Modified_Time", ">=", dt.date(2024, 1, 5), "datetime"))
    assert day.values == ("2024-01-05T00:00:00+00:00",)
    span = one(
        query_condition(
            "Created_Time",
            "between",
            ["2024-01-01T00:00:00-08:00", dt.datetime(2024, 2, 1, tzinfo=dt.UTC)],
            "datetime",
        )
    )
    assert span == "(Created_Time:between:2024-01-01T08:00:00+00:00,2024-02-01T00:00:00+00:00)"
    assert span.coql() == (
        "Created_Time between '2024-01-01T08:00:00+00:00' and '2024-02-01T00:00:00+00:00'"
    )
    with pytest.raises(ZohoInputError, match="not a valid datetime"):
        query_condition("Modified_Time", ">", "yesterday", "datetime")


def test_the_method_on_the_client_is_the_same_function() -> None:
    assert ZohoCRM.query_condition("A", "in", [1, 2], "number") == query_condition(
        "A", "in", [1, 2], "number"
    )


# -- criteria and COQL WHERE ---------------------------------------------------------------


def test_criteria_join_with_and_up_to_ten() -> None:
    first = one(query_condition("A", "=", "1"))
    second = one(query_condition("B", "=", "2"))
    assert criteria([first]) == "(A:equals:1)"
    assert criteria([first, second]) == "((A:equals:1)and(B:equals:2))"
    with pytest.raises(ZohoInputError, match="at most 10"):
        criteria([first] * 11)
    with pytest.raises(ZohoInputError, match="at least one"):
        criteria([])


def test_coql_where_nests_two_criteria_per_level() -> None:
    conditions = [
        one(query_condition("A", "=", 1, "number")),
        one(query_condition("B", "!=", "x")),
        one(query_condition("C", "starts_with", "y")),
    ]
    assert coql_where(conditions[:1]) == "A = 1"
    assert coql_where(conditions[:2]) == "(A = 1) and (B != 'x')"
    assert coql_where(conditions) == "((A = 1) and (B != 'x')) and (C like 'y%')"


# -- formats ---------------------------------------------------------------------------------


def test_parse_datetime_reads_offsets_z_and_naive_values() -> None:
    assert parse_datetime("2024-05-10T01:10:47-07:00") == dt.datetime(
        2024, 5, 10, 8, 10, 47, tzinfo=dt.UTC
    )
    assert parse_datetime("2024-05-10T08:10:47.120Z") == dt.datetime(
        2024, 5, 10, 8, 10, 47, 120000, tzinfo=dt.UTC
    )
    assert parse_datetime("2024-05-10T08:10:47").tzinfo == dt.UTC
    aware = dt.datetime(2024, 5, 10, tzinfo=PARIS)
    assert parse_datetime(aware) is aware
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_datetime("10/05/2024")


def test_crm_and_desk_datetimes() -> None:
    moment = dt.datetime(2024, 1, 15, 15, 26, 49, 999999, tzinfo=PARIS)
    assert crm_datetime(moment) == "2024-01-15T15:26:49+01:00"
    assert crm_datetime(moment, utc=True) == "2024-01-15T14:26:49+00:00"
    assert crm_datetime("2024-01-15T15:26:49Z") == "2024-01-15T15:26:49+00:00"
    assert desk_datetime(moment) == "2024-01-15T14:26:49.999Z"
    assert desk_datetime("2024-01-15T15:26:49-08:00") == "2024-01-15T23:26:49.000Z"
    assert crm_date(dt.date(2024, 1, 2)) == "2024-01-02"
    assert crm_date(moment) == "2024-01-15"
    assert crm_date(" 2024-01-02T23:00:00-08:00") == "2024-01-02"


# -- frames ----------------------------------------------------------------------------------


def test_flatten_nests_objects_as_dotted_columns_and_lists_of_objects_as_json() -> None:
    record = {
        "id": "1",
        "Owner": {"name": "Ada", "id": "9", "email": "ada@example.test"},
        "Converted_Deal": {"name": {"name": "Acme", "id": "3"}, "id": "4"},
        "Layout": {},
        "Tag": [{"name": "VIP", "id": "7"}],
        "Services": ["Repair, urgent", "Training"],
        "Empty": [],
        "Amount": 2.5,
    }
    assert flatten(record) == {
        "id": "1",
        "Owner.name": "Ada",
        "Owner.id": "9",
        "Owner.email": "ada@example.test",
        "Converted_Deal.name.name": "Acme",
        "Converted_Deal.name.id": "3",
        "Converted_Deal.id": "4",
        "Layout": None,
        "Tag": '[{"name": "VIP", "id": "7"}]',
        "Services": ["Repair, urgent", "Training"],
        "Empty": [],
        "Amount": 2.5,
    }
    assert unflatten({"id": "1", "Owner.id": "9", "Owner.name": "Ada", "A.b.c": 1}) == {
        "id": "1",
        "Owner": {"id": "9", "name": "Ada"},
        "A": {"b": {"c": 1}},
    }


def test_to_frame_keeps_first_seen_column_order_and_drops_empty_lookup_columns() -> None:
    frame = to_frame(
        [
            {"id": "1", "Account": None, "Amount": 1, "Tags": ["a"]},
            {"id": "2", "Account": {"name": "Acme", "id": "5"}, "Amount": 2.5, "Extra": "x"},
        ]
    )
    assert frame.columns == ["id", "Amount", "Tags", "Account.name", "Account.id", "Extra"]
    assert frame["Account.id"].to_list() == [None, "5"]
    assert frame["Amount"].dtype == pl.Float64
    assert frame["Amount"].to_list() == [1.0, 2.5]
    assert frame["Tags"].to_list() == [["a"], None]
    assert frame["Extra"].to_list() == [None, "x"]
    assert to_frame([]).shape == (0, 0)


# -- load preparation -------------------------------------------------------------------------


def test_prepare_rows_nests_maps_transforms_and_makes_values_json_ready() -> None:
    data = pl.DataFrame(
        {
            "id": [4876876001000000001, 4876876001000000002],
            "Owner.id": ["9", None],
            "Lead_Source": ["web", "fair"],
            "Preferred_Languages": [["en", "de"], None],
            "Next_Contact_Date": [dt.date(2024, 2, 29), None],
            "Unsubscribed_Time": [dt.datetime(2024, 1, 5, 9, 30, 15, tzinfo=dt.UTC), None],
            "Budget": [Decimal("12.50"), Decimal("3")],
        },
        schema_overrides={"Budget": pl.Decimal(10, 2)},
    )
    rows = prepare_rows(
        data,
        UPDATE,
        "sync_key",
        transform=lambda record: {**record, "Rating": "Hot"},
        picklist={
            "Lead_Source": {"web": "Web Download", "fair": "Trade Show"},
            "Preferred_Languages": {"en": "English", "de": "Deutsch"},
        },
    )
    assert rows == [
        {
            "id": "4876876001000000001",
            "Owner": {"id": "9"},
            "Lead_Source": "Web Download",
            "Preferred_Languages": ["English", "Deutsch"],
            "Next_Contact_Date": "2024-02-29",
            "Unsubscribed_Time": "2024-01-05T09:30:15+00:00",
            "Budget": 12.5,
            "Rating": "Hot",
        },
        {"id": "4876876001000000002", "Lead_Source": "Trade Show", "Budget": 3, "Rating": "Hot"},
    ]
    json.dumps(rows)  # nothing left that JSON cannot carry


@pytest.mark.parametrize(
    ("action", "columns", "missing"),
    [
        (UPDATE, {"Last_Name": ["x"]}, "id"),
        (DELETE, {"Last_Name": ["x"]}, "id"),
        (RETRIEVE, {}, "id"),
        (INTEGRATE, {"id": ["1"]}, "Email"),
    ],
)
def test_prepare_rows_refuses_a_missing_key_column(
    action: Action, columns: dict[str, list[str]], missing: str
) -> None:
    with pytest.raises(ZohoInputError, match=f"{action.name} needs the column\\(s\\) {missing}"):
        prepare_rows(pl.DataFrame(columns), action, "Email", None, None)


def test_rows_without_their_key_raise_or_are_reported_in_place() -> None:
    data = pl.DataFrame({"id": ["1", None, "", "4"], "Last_Name": ["a", "b", "c", "d"]})
    with pytest.raises(ZohoInputError, match="row 1 has no id, which UPDATE needs"):
        prepare_rows(data, UPDATE, "sync_key", None, None)
    failures: dict[int, RowResult] = {}
    rows = prepare_rows(data, UPDATE, "sync_key", None, None, failures=failures)
    assert [row["id"] for row in rows] == ["1", "4"]
    assert sorted(failures) == [1, 2]
    assert failures[2].message == "INVALID_INPUT: row 2 has no id, which UPDATE needs"
    sent = [RowResult(True, "SUCCESS: one"), RowResult(False, "INVALID_DATA: four")]
    ordered = in_input_order(sent, failures, 4)
    assert [result.message for result in ordered] == [
        "SUCCESS: one",
        "INVALID_INPUT: row 1 has no id, which UPDATE needs",
        "INVALID_INPUT: row 2 has no id, which UPDATE needs",
        "INVALID_DATA: four",
    ]
    framed = with_results(data, ordered)
    assert framed.columns == ["id", "Last_Name", "success", "message"]
    assert framed["success"].to_list() == [True, False, False, False]


def test_a_failing_transform_raises_or_is_reported_in_its_row() -> None:
    def transform(record: dict[str, Any]) -> dict[str, Any]:
        if record["Last_Name"] == "bad":
            msg = "no such region"
            raise KeyError(msg)
        return record

    data = pl.DataFrame({"Last_Name": ["ok", "bad"]})
    with pytest.raises(ZohoInputError, match="row 1: transform failed: KeyError"):
        prepare_rows(data, CREATE, "sync_key", transform, None)
    failures: dict[int, RowResult] = {}
    assert prepare_rows(data, CREATE, "sync_key", transform, None, failures=failures) == [
        {"Last_Name": "ok"}
    ]
    assert failures[1].message == (
        "INVALID_INPUT: row 1: transform failed: KeyError: 'no such region'"
    )


def test_desk_can_have_its_own_datetime_form() -> None:
    moment = dt.datetime(2024, 1, 5, 9, 30, 15, 250000, tzinfo=PARIS)
    data = pl.DataFrame({"dueDate": [moment], "day": [dt.date(2024, 1, 5)]})
    rows = prepare_rows(data, CREATE, "sync_key", None, None, datetimes=desk_datetime)
    assert rows == [{"dueDate": "2024-01-05T08:30:15.250Z", "day": "2024-01-05"}]


def test_row_results_carry_zoho_code_message_and_details() -> None:
    error = RowResult.from_zoho(
        {
            "code": "MANDATORY_NOT_FOUND",
            "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"},
            "message": "required field not found",
            "status": "error",
        }
    )
    assert not error.success
    assert error.code == "MANDATORY_NOT_FOUND"
    assert error.details == {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"}
    assert error.message == (
        'MANDATORY_NOT_FOUND: required field not found {"api_name": "Last_Name", '
        '"json_path": "$.data[0].Last_Name"}'
    )
    ok = RowResult.from_zoho({"code": "SUCCESS", "details": {"id": "5"}, "status": "success"})
    assert ok == RowResult(True, 'SUCCESS {"id": "5"}', "SUCCESS", {"id": "5"})
    # An upsert's answer says what it did
    # (https://www.zoho.com/crm/developer/docs/api/v8/upsert-records.html).
    upserted = {"code": "SUCCESS", "action": "insert", "details": {}, "status": "success"}
    assert RowResult.from_zoho(upserted).action == "insert"
    failed = RowResult.failed(ZohoError("X", "y", {"field": "f"}))
    assert (failed.message, failed.code, failed.details) == (
        'X: y {"field": "f"}',
        "X",
        {"field": "f"},
    )
    assert RowResult.failed(TypeError("z")).message == "TypeError: z"


def test_run_batches_answers_in_input_order_whatever_order_batches_finish() -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()
    progress: list[dict[str, Any]] = []

    def send(batch: list[dict[str, Any]]) -> list[RowResult]:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02 * (len(batch) % 3))  # later batches may finish first
        with lock:
            in_flight -= 1
        return [RowResult(row["n"] % 7 != 0, f"row {row['n']}") for row in batch]

    rows = [{"n": n} for n in range(23)]
    results = run_batches(
        rows, send, batch_size=4, n_concurrent=3, die_on_error=False, callback=progress.append
    )
    assert [result.message for result in results] == [f"row {n}" for n in range(23)]
    assert [result.success for result in results] == [n % 7 != 0 for n in range(23)]
    assert most <= 3
    assert len(progress) == 6
    assert progress[-1] == {
        "rows_done": 23,
        "rows_total": 23,
        "rows_failed": 4,
        "batches_done": 6,
        "batches_total": 6,
    }


def test_run_batches_reports_a_batch_that_raised_in_each_of_its_rows() -> None:
    def send(batch: list[dict[str, Any]]) -> list[RowResult]:
        if batch[0]["n"] == 2:
            msg = "Object of type date is not JSON serializable"
            raise TypeError(msg)
        if batch[0]["n"] == 4:
            raise ZohoError("RETRIES_EXHAUSTED", "still failing")
        if batch[0]["n"] == 6:
            return []  # a wrong number of results
        return [RowResult(True, "ok") for _ in batch]

    rows = [{"n": n} for n in range(8)]
    results = run_batches(rows, send, batch_size=2, n_concurrent=2, die_on_error=False)
    assert [result.success for result in results] == [True, True] + [False] * 6
    assert results[2].message == "TypeError: Object of type date is not JSON serializable"
    assert results[4].message == "RETRIES_EXHAUSTED: still failing"
    assert "answered 0 results for 2 records" in results[6].message
    with pytest.raises(ZohoError, match=r"row 2 failed: TypeError") as caught:
        run_batches(rows, send, batch_size=2, n_concurrent=1, die_on_error=True)
    assert caught.value.code == "LOAD_FAILED"


def test_slots_back_off_on_429_and_recover() -> None:
    slots = Slots(8)
    slots.throttled()
    assert slots.limit == 4
    slots.throttled()
    slots.throttled()
    slots.throttled()
    assert slots.limit == 1  # never below one call in flight
    slots.succeeded()
    assert slots.limit == 2
    for _ in range(2 + 3 + 4 + 5 + 6 + 7):
        slots.succeeded()
    assert slots.limit == 8
    for _ in range(100):
        slots.succeeded()
    assert slots.limit == 8  # never above the ceiling


def test_criteria_text_parses_to_conditions_typed_by_their_fields() -> None:
    formats = {"Annual_Revenue": crm_types.condition_format({"data_type": "currency"})}
    parsed = parse_criteria(
        r"((Last_Name:equals:Burns\, B)and(Annual_Revenue:between:1,5))", formats
    )
    assert [condition.coql() for condition in parsed] == [
        "Last_Name = 'Burns, B'",
        "Annual_Revenue between 1 and 5",
    ]
    assert crm_types.condition_format({"data_type": "text"}) == "text"
    with pytest.raises(ZohoInputError, match="'or' cannot join"):
        parse_criteria("((A:equals:1)or(B:equals:2))")
