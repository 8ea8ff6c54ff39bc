"""Pure tests of the emulator's CRM query languages: search criteria and COQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from zoho_emulator.crm import catalog, compare, coql, criteria
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from collections.abc import Callable

    from zoho_emulator.crm.catalog import Field

LEADS = catalog.MODULES_BY_NAME["Leads"]
VISITS = catalog.MODULES_BY_NAME["Service_Visits"]
VISIT_ID = "4876876005000000007"
ACCOUNT_ID = "4876876003000000042"
PARENT_ID = "4876876003000000001"
ADA_ID = "4876876090000000001"
DANA_ID = "4876876090000000004"

VISIT: dict[str, Any] = {
    "Name": "Visit Acme, Inc. #7",
    "Visit_Number": "SV-000007",
    "External_Id": "EXT-05-00000007",
    "Email": "Ada.Ruiz@Example.test",
    "Account": {"name": "Acme (EU)", "id": ACCOUNT_ID},
    "Contact": None,
    "Technician": {"name": "Dana Kim", "id": DANA_ID},
    "Owner": {"name": "Ada Ruiz", "id": ADA_ID, "email": "ada.ruiz@example.test"},
    "Visit_Date": "2024-05-10",
    "Visit_Start": "2024-05-10T01:10:47-07:00",
    "Status": "In Progress",
    "Services": ["Inspection", "Repair, urgent"],
    "Serial_Number": "0000123456789012",
    "Quantity": 12,
    "Unit_Price": 250.5,
    "Total_Amount": 3006.0,
    "Visit_Label": "Visit Acme (In Progress)",
    "Discount": 12.5,
    "Duration_Hours": 1.75,
    "Summary": "First line, with a comma.\nSecond line (in parentheses).",
    "Billable": True,
    "Site_Phone": "+1 (555) 012-3456",
    "Site_Url": "https://www.acme.example/7",
    "Tag": [{"name": "VIP", "id": "4876876091000000000", "color_code": "#57B1FD"}],
    "Text_01": None,
    "Text_02": "",
    "Multi_01": [],
}
#: What the resolver finds on lookup targets: accounts and users.
TARGETS: dict[str, dict[str, Any]] = {
    ACCOUNT_ID: {
        "Account_Name": "Acme (EU)",
        "Parent_Account": {"name": "Acme Group", "id": PARENT_ID},
        "Employees": 40,
    },
    PARENT_ID: {"Account_Name": "Acme Group", "Parent_Account": None},
    ADA_ID: {"email": "ada.ruiz@example.test", "full_name": "Ada Ruiz"},
}


def getter(values: dict[str, Any], record_id: str = VISIT_ID) -> criteria.Getter:
    def get(field: Field) -> Any:
        return record_id if field is compare.ID_FIELD else values.get(field.api_name)

    return get


def resolve(lookup: Any, field: Field) -> Any:
    return TARGETS.get(lookup["id"], {}).get(field.api_name)


def search(text: str, values: dict[str, Any] = VISIT) -> bool:
    module = LEADS if "Last_Name" in values else VISITS
    return criteria.parse_criteria(text, module)(getter(values))


def where(condition: str, values: dict[str, Any] = VISIT) -> bool:
    query = coql.parse_coql(f"select Name from Service_Visits where {condition}")
    assert query.where is not None
    return query.where(getter(values), resolve)


def failure(action: Callable[[], object]) -> CrmError:
    with pytest.raises(CrmError) as caught:
        action()
    assert caught.value.status == 400
    return caught.value


def criteria_error(text: str, module: catalog.Module = VISITS) -> CrmError:
    return failure(lambda: criteria.parse_criteria(text, module))


def coql_error(text: str) -> CrmError:
    return failure(lambda: coql.parse_coql(text))


# -- search criteria: operators per type -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # text: equals behaves like a case-insensitive "contains" (Zoho's Search Records page)
        ("(Name:equals:ACME\\, INC.)", True),
        ("(Name:equals:Visit Acme\\, Inc. #7)", True),
        ("(Name:equals:Globex)", False),
        ("(Name:not_equal:Globex)", True),
        ("(Name:not_equal:acme)", False),
        ("(Name:starts_with:visit a)", True),
        ("(Name:starts_with:Acme)", False),
        ("(Name:in:Globex,visit acme\\, inc. #7)", True),
        ("(Name:in:Globex,Acme)", False),
        ("(External_Id:equals:05-0000)", True),
        ("(Email:equals:ruiz@example)", True),
        ("(Email:starts_with:ada.)", True),
        ("(Email:in:ada.ruiz@example.test)", True),
        ("(Site_Phone:starts_with:+1 \\(555\\))", True),
        ("(Site_Url:starts_with:https://www.acme)", True),
        ("(Site_Url:in:https://www.acme.example/7)", True),
        # textarea
        ("(Summary:equals:second line \\(in)", True),
        ("(Summary:starts_with:first line\\, with)", True),
        ("(Summary:not_equal:third)", True),
        # picklist and autonumber: equals is exact (Search Records' "contains" is for text)
        ("(Status:equals:in progress)", True),
        ("(Status:equals:Progress)", False),
        ("(Status:not_equal:Done)", True),
        ("(Status:in:Done,In Progress)", True),
        ("(Visit_Number:equals:sv-000007)", True),
        ("(Visit_Number:equals:SV-0000)", False),
        ("(Visit_Number:in:SV-000001,SV-000007)", True),
        # multi-select picklist: element-wise
        ("(Services:equals:inspection)", True),
        ("(Services:equals:Inspection;Repair\\, urgent)", True),
        ("(Services:equals:Inspection;Training)", False),
        ("(Services:not_equal:Training)", True),
        ("(Services:in:Training,Inspection)", True),
        ("(Services:in:Training,Calibration \\(annual\\))", False),
        ("(Services:starts_with:repair)", True),
        ("(Services:starts_with:urgent)", False),
        # integer
        ("(Quantity:equals:12)", True),
        ("(Quantity:not_equal:12)", False),
        ("(Quantity:greater_than:11)", True),
        ("(Quantity:greater_than:12)", False),
        ("(Quantity:greater_equal:12)", True),
        ("(Quantity:less_than:12)", False),
        ("(Quantity:less_equal:12)", True),
        ("(Quantity:between:12,20)", True),
        ("(Quantity:between:1,12)", True),
        ("(Quantity:between:13,20)", False),
        ("(Quantity:in:1,12,100)", True),
        ("(Quantity:in:1,2)", False),
        # bigint: a digit string compared as a number
        ("(Serial_Number:equals:123456789012)", True),
        ("(Serial_Number:greater_than:99999999999)", True),
        ("(Serial_Number:less_than:99999999999)", False),
        # currency, decimal, percent, formula (double and text)
        ("(Unit_Price:equals:250.5)", True),
        ("(Unit_Price:greater_than:250)", True),
        ("(Duration_Hours:between:1.5,2)", True),
        ("(Discount:less_than:12.5)", False),
        ("(Total_Amount:greater_equal:3006)", True),
        ("(Visit_Label:equals:acme \\(in)", True),
        # date
        ("(Visit_Date:equals:2024-05-10)", True),
        ("(Visit_Date:greater_than:2024-05-09)", True),
        ("(Visit_Date:less_than:2024-05-10)", False),
        ("(Visit_Date:between:2024-05-01,2024-05-31)", True),
        ("(Visit_Date:in:2024-05-11,2024-05-10)", True),
        # datetime: compared as instants, whatever the offset
        ("(Visit_Start:equals:2024-05-10T08:10:47+00:00)", True),
        ("(Visit_Start:equals:2024-05-10T01:10:47+00:00)", False),
        ("(Visit_Start:greater_than:2024-05-10T10:00:00+05:30)", True),
        ("(Visit_Start:less_equal:2024-05-10T08:10:46Z)", False),
        ("(Visit_Start:between:2024-05-10T00:00:00-07:00,2024-05-10T01:10:47-07:00)", True),
        ("(Visit_Start:in:2024-05-10T10:10:47+02:00)", True),
        # boolean
        ("(Billable:equals:true)", True),
        ("(Billable:equals:TRUE)", True),
        ("(Billable:equals:false)", False),
        ("(Billable:not_equal:false)", True),
        # lookups: digits are an id, anything else the target's name
        (f"(Account:equals:{ACCOUNT_ID})", True),
        ("(Account:equals:acme \\(eu\\))", True),
        ("(Account:equals:Acme)", False),
        (f"(Account:not_equal:{PARENT_ID})", True),
        (f"(Account:in:Globex,{ACCOUNT_ID})", True),
        ("(Account:in:Globex,Acme \\(EU\\))", True),
        ("(Technician:equals:dana kim)", True),
        (f"(Owner:equals:{ADA_ID})", True),
        (f"(Owner:in:{DANA_ID})", False),
        # the record id
        (f"(id:equals:{VISIT_ID})", True),
        (f"(id:greater_than:{VISIT_ID})", False),
        (f"(id:in:{ACCOUNT_ID},{VISIT_ID})", True),
    ],
)
def test_criteria_operators_per_type(text: str, expected: bool) -> None:
    assert search(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Contact:equals:Acme)", False),
        ("(Contact:not_equal:Acme)", True),
        ("(Text_01:equals:x)", False),
        ("(Text_01:not_equal:x)", True),
        ("(Text_01:starts_with:x)", False),
        ("(Multi_01:equals:Multi 1 option A)", False),
        ("(Multi_01:not_equal:Multi 1 option A)", True),
        ("(Quantity:greater_than:1)", False),
    ],
)
def test_criteria_on_empty_values(text: str, expected: bool) -> None:
    values = {**VISIT, "Quantity": None}
    assert search(text, values) is expected


@pytest.mark.parametrize(
    ("field", "operator"),
    [
        ("Name", "greater_than"),
        ("Name", "between"),
        ("Summary", "in"),
        ("Status", "starts_with"),
        ("Visit_Number", "starts_with"),
        ("Services", "greater_than"),
        ("Quantity", "starts_with"),
        ("Visit_Date", "starts_with"),
        ("Billable", "in"),
        ("Billable", "starts_with"),
        ("Account", "starts_with"),
        ("Owner", "between"),
        ("Quantity", "contains"),
        ("Name", "EQUALS"),
    ],
)
def test_criteria_rejects_operators_the_type_does_not_take(field: str, operator: str) -> None:
    error = criteria_error(f"({field}:{operator}:1)")
    assert error.code == "INVALID_QUERY"
    assert error.details == {
        "reason": "invalid operator found",
        "api_name": field,
        "operator": operator,
    }


@pytest.mark.parametrize("field", ["Tag", "Visit_Items", "Related_Accounts", "Layout"])
def test_criteria_rejects_unsearchable_fields(field: str) -> None:
    error = criteria_error(f"({field}:equals:x)")
    assert error.code == "INVALID_QUERY"
    assert error.details["api_name"] == field


def test_criteria_rejects_unknown_fields_case_sensitively() -> None:
    error = criteria_error("(name:equals:Acme)")
    assert error.code == "INVALID_QUERY"
    assert error.message == "invalid query formed"
    assert error.details == {"reason": "invalid field", "api_name": "name"}


@pytest.mark.parametrize(
    "text",
    [
        "(Quantity:equals:1.5)",
        "(Quantity:equals:1e3)",
        "(Unit_Price:greater_than:abc)",
        "(Serial_Number:equals:12a)",
        "(Visit_Date:equals:2024-5-10)",
        "(Visit_Date:equals:2024-02-30)",
        "(Visit_Date:equals:2024-05-10T01:10:47-07:00)",
        "(Visit_Start:equals:2024-05-10T01:10:47)",
        "(Visit_Start:equals:2024-05-10)",
        "(Billable:equals:yes)",
        "(Quantity:between:1)",
        "(Quantity:between:1,2,3)",
        "(Name:equals:)",
        "(Name:in:a,,b)",
        "(Name:equals:Acme, Inc)",
    ],
)
def test_criteria_rejects_values_the_type_cannot_hold(text: str) -> None:
    error = criteria_error(text)
    assert error.code == "INVALID_QUERY"
    assert error.details["reason"] == "invalid value"


# -- search criteria: syntax, escaping, limits ---------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("Burns,B", "(Name:equals:Burns\\,B)"),
        ("Patricia(Boyle)", "(Name:equals:Patricia\\(Boyle\\))"),
        ("K\\", "(Name:equals:K\\\\)"),
        ("back\\slash", "(Name:equals:back\\\\slash)"),
        ("back\\slash", "(Name:equals:back\\slash)"),
        ("a:b:c", "(Name:equals:a:b:c)"),
        ("50% off", "(Name:starts_with:50% off)"),
    ],
)
def test_criteria_escapes(stored: str, text: str) -> None:
    assert search(text, {**VISIT, "Name": stored})
    assert not search(text, {**VISIT, "Name": "something else"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("((Quantity:equals:12)and(Status:equals:Done))", False),
        ("((Quantity:equals:12)or(Status:equals:Done))", True),
        ("((Quantity:equals:1)or(Status:equals:Done))", False),
        ("((Quantity:equals:12) AND (Billable:equals:true) and (Status:in:In Progress))", True),
        ("((Quantity:equals:1) Or (Quantity:equals:2) or (Quantity:equals:12))", True),
        ("(((Quantity:equals:1)or(Quantity:equals:12))and(Billable:equals:true))", True),
        ("(((Quantity:equals:1)or(Quantity:equals:12))and(Billable:equals:false))", False),
        ("((((Name:starts_with:Visit))))", True),
        ("  ((Quantity:equals:12) and (Name:equals:acme))  ", True),
    ],
)
def test_criteria_groups(text: str, expected: bool) -> None:
    assert search(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Name:equals:Acme",
        "(Name:equals:Acme",
        "(Name:equals:Acme))",
        "(Name:equals:Acme)(Name:equals:Acme)",
        "((Name:equals:Acme)(Name:equals:Acme))",
        "((Name:equals:Acme)xor(Name:equals:Acme))",
        "((Name:equals:Acme)and(Name:equals:Acme)or(Name:equals:Acme))",
        "(Name:equals:Acme (EU))",
        "(Name:equals:a(b)",
        "(Name:equals:K\\)",
        "(Name equals Acme)",
        "(Name:equals)",
        "((Name:equals:Acme)and)",
    ],
)
def test_criteria_rejects_malformed_text(text: str) -> None:
    error = criteria_error(text)
    assert error.code == "INVALID_QUERY"
    assert error.details["reason"] == "the criteria is malformed"


def test_criteria_takes_at_most_ten_conditions() -> None:
    ten = "(" + "and".join(["(Quantity:greater_than:1)"] * 10) + ")"
    assert search(ten)
    error = criteria_error("(" + "and".join(["(Quantity:greater_than:1)"] * 11) + ")")
    assert error.code == "LIMIT_EXCEEDED"
    assert error.details == {"param_name": "criteria", "limit": 10}


def test_criteria_in_takes_at_most_a_hundred_values() -> None:
    hundred = ",".join(str(number) for number in range(1, 101))
    assert search(f"(Quantity:in:{hundred})")
    error = criteria_error(f"(Quantity:in:{hundred},101)")
    assert error.code == "LIMIT_EXCEEDED"
    assert error.details == {"param_name": "criteria", "limit": 100}


# -- search parameters ----------------------------------------------------------------------------

LEAD: dict[str, Any] = {
    "Last_Name": "O'Connor",
    "First_Name": "Zoë",
    "Company": "Müller & Söhne (GmbH)",
    "Email": "zoe.oconnor.1@example.test",
    "Secondary_Email": "Zoe@Mail.Example.test",
    "Phone": "+1 (555) 012-3456",
    "Mobile": None,
    "Preferred_Languages": ["Deutsch"],
    "No_of_Employees": 12,
}


def lead_search(params: dict[str, str], values: dict[str, Any] = LEAD) -> bool:
    return criteria.search_predicate(params, LEADS)(getter(values))


def test_search_needs_one_of_the_four_parameters() -> None:
    error = failure(lambda: criteria.search_predicate({"page": "1"}, LEADS))
    assert error.code == "EXPECTED_PARAM_MISSING"
    assert error.details == {"param_names": ["criteria", "email", "phone", "word"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"criteria": "(Last_Name:equals:Smith)", "email": "zoe", "word": "Connor"}, False),
        ({"criteria": "(Last_Name:equals:connor)", "email": "nobody"}, True),
        ({"email": "nobody@example.test", "phone": "555", "word": "Connor"}, False),
        ({"email": "ZOE@mail", "phone": "999"}, True),
        ({"phone": "999", "word": "Connor"}, False),
        ({"phone": "012-3456", "word": "nothing"}, True),
        ({"word": "söhne"}, True),
    ],
)
def test_search_parameter_precedence(params: dict[str, str], expected: bool) -> None:
    assert lead_search(params) is expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"email": "oconnor.1@EXAMPLE"}, True),
        ({"email": "mail.example.test"}, True),
        ({"email": "zoe.smith"}, False),
        ({"phone": "5550123456"}, True),
        ({"phone": "(555) 012"}, True),
        ({"phone": "+44 555"}, False),
        ({"word": "o'connor"}, True),
        ({"word": "ZO"}, True),
        ({"word": "gmbh"}, True),
        ({"word": "example.test"}, True),
        ({"word": "Deutsch"}, False),
        ({"word": "Smith"}, False),
    ],
)
def test_search_by_email_phone_and_word(params: dict[str, str], expected: bool) -> None:
    assert lead_search(params) is expected


@pytest.mark.parametrize(
    "params",
    [
        {"email": ""},
        {"email": "x" * 256},
        {"phone": "55"},
        {"phone": "call 555-0123"},
        {"phone": "()-."},
        {"word": "a"},
        {"word": "  a  "},
        {"word": "x" * 101},
        {"word": "acme*"},
        {"word": "(gmbh)"},
        {"word": "50%"},
    ],
)
def test_search_rejects_malformed_parameters(params: dict[str, str]) -> None:
    error = failure(lambda: criteria.search_predicate(params, LEADS))
    assert error.code == "INVALID_DATA"
    assert error.details == {"param_name": next(iter(params))}


# -- COQL: parsing and rows ---------------------------------------------------------------------


def test_coql_query_parts() -> None:
    query = coql.parse_coql(
        "SELECT Name, Account, Account.Account_Name, Owner.email as 'Owner Mail'"
        " FROM service_visits WHERE Quantity > 1"
        " ORDER BY Visit_Start DESC, id Asc, Name LIMIT 300 OFFSET 600"
    )
    assert query.module is VISITS
    assert [column.key for column in query.columns] == [
        "Name",
        "Account",
        "Account.Account_Name",
        "Owner Mail",
    ]
    assert query.columns[2].path == (
        VISITS.field_map["Account"],
        catalog.MODULES_BY_NAME["Accounts"].field_map["Account_Name"],
    )
    assert query.columns[3].field is coql.USERS.field_map["email"]
    assert [(column.key, descending) for column, descending in query.order_by] == [
        ("Visit_Start", True),
        ("id", False),
        ("Name", False),
    ]
    assert (query.limit, query.offset, query.credits) == (300, 600, 2)


def test_coql_defaults_and_limit_forms() -> None:
    plain = coql.parse_coql("select Name from Service_Visits where id is not null")
    assert (plain.limit, plain.offset, plain.order_by) == (200, 0, ())
    comma = coql.parse_coql("select Name from Service_Visits where id is not null limit 400, 50")
    assert (comma.limit, comma.offset) == (50, 400)
    only = coql.parse_coql("select Name from Service_Visits where id is not null limit 5")
    assert (only.limit, only.offset) == (5, 0)


@pytest.mark.parametrize(
    ("limit", "cost"),
    [(1, 1), (200, 1), (201, 2), (1000, 2), (1001, 3), (2000, 3)],
)
def test_coql_credits_by_limit_band(limit: int, cost: int) -> None:
    query = coql.parse_coql(f"select Last_Name from Leads where id is not null limit {limit}")
    assert query.credits == cost


def test_coql_row() -> None:
    query = coql.parse_coql(
        "select Name, Account, Owner, Technician, Contact, Services, Multi_01, Serial_Number,"
        " Visit_Start, Tag, Account.Account_Name, Account.id, Owner.email, Owner.full_name,"
        " Contact.Account_Name, Account.Parent_Account, Account.Parent_Account.Account_Name,"
        " 'Quantity' as \"How many\" from Service_Visits where id is not null"
    )
    result = coql.row(query, VISIT_ID, getter(VISIT), resolve)
    assert result == {
        "Name": "Visit Acme, Inc. #7",
        "Account": {"id": ACCOUNT_ID},
        "Owner": {"id": ADA_ID},
        "Technician": {"id": DANA_ID},
        "Contact": None,
        "Services": ["Inspection", "Repair, urgent"],
        "Multi_01": [],
        "Serial_Number": "0000123456789012",
        "Visit_Start": "2024-05-10T01:10:47-07:00",
        "Tag": [{"name": "VIP", "id": "4876876091000000000"}],
        "Account.Account_Name": "Acme (EU)",
        "Account.id": ACCOUNT_ID,
        "Owner.email": "ada.ruiz@example.test",
        "Owner.full_name": "Ada Ruiz",
        "Contact.Account_Name": None,
        "Account.Parent_Account": {"id": PARENT_ID},
        "Account.Parent_Account.Account_Name": "Acme Group",
        "How many": 12,
        "id": VISIT_ID,
    }
    assert list(result)[-1] == "id"


def test_coql_row_always_carries_the_record_id() -> None:
    query = coql.parse_coql("select id, Name from Service_Visits where id is not null")
    assert coql.row(query, VISIT_ID, getter(VISIT), resolve) == {
        "id": VISIT_ID,
        "Name": VISIT["Name"],
    }


def test_column_value_of_a_dangling_lookup_is_none() -> None:
    query = coql.parse_coql("select Account.Account_Name from Service_Visits where id is not null")
    gone = {**VISIT, "Account": {"name": "Gone", "id": "4876876003000009999"}}
    assert coql.column_value(query.columns[0], getter(gone), resolve) is None
    assert coql.column_value(query.columns[0], getter(VISIT), resolve) == "Acme (EU)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("select Name from Service_Visits where Status = 'it''s'", "it's"),
        ("select Name from Service_Visits where Status = 'it\\'s'", "it's"),
        ('select Name from Service_Visits where Status = "say ""hi"""', 'say "hi"'),
        ("select Name from Service_Visits where Status = 'back\\\\slash'", "back\\slash"),
    ],
)
def test_coql_string_literals(text: str, expected: str) -> None:
    query = coql.parse_coql(text)
    assert query.where is not None
    assert query.where(getter({**VISIT, "Status": expected}), resolve)
    assert not query.where(getter({**VISIT, "Status": expected + "x"}), resolve)


# -- COQL: WHERE --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # text: exact but case-insensitive; like '%x%', 'x%', '%x'
        ("Name = 'visit acme, inc. #7'", True),
        ("Name = 'Visit Acme'", False),
        ("Name != 'Visit Acme'", True),
        ("Name like '%ACME%'", True),
        ("Name like 'visit%'", True),
        ("Name like '%#7'", True),
        ("Name like 'acme%'", False),
        ("Name like '%visit'", False),
        ("Name not like '%globex%'", True),
        ("Name not like '%acme%'", False),
        ("Name in ('Globex', 'VISIT ACME, INC. #7')", True),
        ("Name not in ('Globex', 'Initech')", True),
        ("Email = 'ada.ruiz@example.test'", True),
        ("Site_Phone like '+1 (555)%'", True),
        ("Site_Url like '%.example/7'", True),
        ("Visit_Number = 'sv-000007'", True),
        ("Visit_Label like '%(in progress)'", True),
        # picklist
        ("Status = 'in progress'", True),
        ("Status != 'Done'", True),
        ("Status in ('Done', 'In Progress')", True),
        ("Status not in ('Done', 'In Progress')", False),
        # multi-select picklist: 'A;B' is the set of options
        ("Services = 'Repair, urgent;Inspection'", True),
        ("Services = 'Inspection'", False),
        ("Services != 'Inspection'", True),
        ("Services in ('Training', 'inspection')", True),
        ("Services not in ('Training', 'Audit \"full\"')", True),
        ("Services not in ('Inspection')", False),
        # numbers, quoted or not
        ("Quantity = 12", True),
        ("Quantity = '12'", True),
        ("Quantity != 12", False),
        ("Quantity > 11", True),
        ("Quantity < 12", False),
        ("Quantity >= 12", True),
        ("Quantity <= 11", False),
        ("Quantity between 12 and 20", True),
        ("Quantity between 1 and 11", False),
        ("Quantity not between 1 and 11", True),
        ("Quantity in (1, 12)", True),
        ("Quantity not in (1, 12)", False),
        ("Quantity > -5", True),
        ("Serial_Number > 99999999999", True),
        ("Serial_Number = '123456789012'", True),
        ("Unit_Price between 250 and 250.5", True),
        ("Discount > 12.5", False),
        ("Duration_Hours < 2", True),
        ("Total_Amount = 3006", True),
        # dates and datetimes
        ("Visit_Date = '2024-05-10'", True),
        ("Visit_Date > '2024-05-10'", False),
        ("Visit_Date between '2024-05-01' and '2024-05-31'", True),
        ("Visit_Start = '2024-05-10T08:10:47+00:00'", True),
        ("Visit_Start >= '2024-05-10T10:10:48+02:00'", False),
        ("Visit_Start < '2024-05-10T01:10:48-07:00'", True),
        ("Visit_Start not between '2024-05-10T00:00:00Z' and '2024-05-10T08:00:00Z'", True),
        # booleans
        ("Billable = 'true'", True),
        ("Billable = true", True),
        ("Billable = 'false'", False),
        ("Billable = FALSE", False),
        # lookups by id
        (f"Account = '{ACCOUNT_ID}'", True),
        (f"Account = {ACCOUNT_ID}", True),
        (f"Account != '{ACCOUNT_ID}'", False),
        (f"Account in ('{PARENT_ID}', '{ACCOUNT_ID}')", True),
        (f"Owner = '{ADA_ID}'", True),
        (f"Technician not in ('{ADA_ID}')", True),
        # dotted columns go through the resolver
        ("Account.Account_Name = 'ACME (EU)'", True),
        ("Account.Account_Name like 'acme%'", True),
        ("Account.Employees > 39", True),
        ("Account.Parent_Account.Account_Name = 'Acme Group'", True),
        (f"Account.id = '{ACCOUNT_ID}'", True),
        (f"Account.Parent_Account = '{PARENT_ID}'", True),
        ("Owner.email like '%@example.test'", True),
        ("Contact.Account_Name is null", True),
        # the record id
        (f"id = '{VISIT_ID}'", True),
        (f"id = {VISIT_ID}", True),
        (f"id > '{ACCOUNT_ID}'", True),
        (f"id < {VISIT_ID}", False),
        # is null / is not null: null, '' and [] are empty
        ("Contact is null", True),
        ("Text_01 is null", True),
        ("Text_02 is null", True),
        ("Multi_01 is null", True),
        ("Services is null", False),
        ("Account is not null", True),
        ("Contact is not null", False),
        ("Text_02 is not null", False),
    ],
)
def test_coql_where_per_type(condition: str, expected: bool) -> None:
    assert where(condition) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "Contact != '4876876002000000001'",
        "Contact not in ('4876876002000000001')",
        "Text_01 != 'x'",
        "Text_01 not like '%x%'",
        "Text_02 != 'x'",
        "Multi_01 != 'Multi 1 option A'",
        "Multi_01 not in ('Multi 1 option A')",
        "Quantity not between 1 and 5",
        "Quantity != 5",
    ],
)
def test_coql_comparisons_never_match_empty_values(condition: str) -> None:
    assert where(condition, {**VISIT, "Quantity": None}) is False


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Quantity = 12 and Billable = true", True),
        ("Quantity = 12 and Billable = false", False),
        ("Quantity = 1 or Billable = true", True),
        ("(Quantity = 12 and Billable = true) and Status = 'Done'", False),
        ("(Quantity = 12 and Billable = true) or Status = 'Done'", True),
        ("Quantity = 1 or (Billable = true and Status = 'In Progress')", True),
        ("((Quantity = 1 or Quantity = 12) and (Status = 'Done' or Billable = true))", True),
        ("(((Quantity = 1 or Quantity = 12) and Billable = true) and Status = 'Done')", False),
        ("(Quantity = 12)", True),
        ("Quantity between 1 and 20 and Status = 'In Progress'", True),
    ],
)
def test_coql_where_groups(condition: str, expected: bool) -> None:
    assert where(condition) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "Quantity = 12 and Billable = true and Status = 'Done'",
        "Quantity = 12 or Billable = true or Status = 'Done'",
        "(Quantity = 12 and Billable = true and Status = 'Done')",
        "Quantity = 12 and (Billable = true or Status = 'Done' or Quantity = 1)",
    ],
)
def test_coql_more_than_two_criteria_need_parentheses(condition: str) -> None:
    error = coql_error(f"select Name from Service_Visits where {condition}")
    assert error.code == "SYNTAX_ERROR"
    assert error.details["near"].lower() in ("and", "or")


@pytest.mark.parametrize(
    ("condition", "operator"),
    [
        ("Name > 'a'", ">"),
        ("Name between 'a' and 'b'", "between"),
        ("Status like '%Done%'", "like"),
        ("Services like '%Training%'", "like"),
        ("Account like '%1%'", "like"),
        ("Owner > '1'", ">"),
        ("Quantity like '%1%'", "like"),
        ("Visit_Date not like '%2024%'", "not like"),
        ("Billable != 'true'", "!="),
        ("Billable in ('true')", "in"),
        ("Billable is null", "is null"),
    ],
)
def test_coql_rejects_comparators_the_type_does_not_take(condition: str, operator: str) -> None:
    error = coql_error(f"select Name from Service_Visits where {condition}")
    assert error.code == "INVALID_QUERY"
    assert error.message == "Invalid query formed"
    column = condition.split(maxsplit=1)[0]
    assert error.details == {
        "reason": "invalid operator found",
        "column_name": column,
        "operator": operator,
    }


@pytest.mark.parametrize(
    ("condition", "column", "operator", "value"),
    [
        ("Summary like '%comma%'", "Summary", "like", "%comma%"),
        ("Summary is null", "Summary", "is null", ""),
        ("Tag = 'VIP'", "Tag", "=", "VIP"),
    ],
)
def test_coql_rejects_criteria_on_multiline_and_tag_fields(
    condition: str, column: str, operator: str, value: str
) -> None:
    error = coql_error(f"select Name from Service_Visits where {condition}")
    assert error.code == "INVALID_QUERY"
    assert error.message == "unsupported column in criteria"
    assert error.details == {
        "cv_criteria": False,
        "column_name": column,
        "value": value,
        "operator": operator,
    }


@pytest.mark.parametrize(
    ("condition", "expected_type"),
    [
        ("Name = 12", "text"),
        ("Status = true", "picklist"),
        ("Quantity = 'twelve'", "integer"),
        ("Quantity = 1.5", "integer"),
        ("Unit_Price > '1,5'", "currency"),
        ("Serial_Number = 'x12'", "bigint"),
        ("Visit_Date = '10/05/2024'", "date"),
        ("Visit_Date = 20240510", "date"),
        ("Visit_Start > '2024-05-10T01:10:47'", "datetime"),
        ("Visit_Start > '2024-05-10'", "datetime"),
        ("Billable = 1", "boolean"),
        ("Billable = 'yes'", "boolean"),
        ("Account = 'Acme (EU)'", "lookup"),
        ("Services = 12", "multiselectpicklist"),
        ("Name like 'a%b%'", "text"),
        ("Name like 'acme'", "text"),
        ("Name like '%%'", "text"),
        ("Name not like 'acme%'", "text"),
        ("Name not like '%acme'", "text"),
    ],
)
def test_coql_rejects_values_the_type_cannot_hold(condition: str, expected_type: str) -> None:
    error = coql_error(f"select Name from Service_Visits where {condition}")
    assert error.code == "INVALID_QUERY"
    assert error.details["reason"] == "invalid value found"
    assert error.details["expected_data_type"] == expected_type


# -- COQL: errors and limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("select * from Leads where id is not null", "*"),
        ("select Last_Name Email from Leads where id is not null", "Email"),
        ("select Last_Name, from Leads where id is not null", "from"),
        ("select Last_Name from Leads where id is not null limit 5 offset", "offset"),
        ("select Last_Name from Leads where", "where"),
        ("select Last_Name from Leads where id", "id"),
        ("select Last_Name from Leads where id = ", "="),
        ("select Last_Name from Leads where id is null order Last_Name", "Last_Name"),
        ("select Last_Name from Leads where id is null order by", "by"),
        ("select Last_Name from Leads where id is not null;", ";"),
        ("select Last_Name from Leads where (id is not null", "null"),
        ("select Last_Name from Leads where id is not null)", ")"),
        ("select Last_Name from Leads#4876876000000001 where id is not null", "#4876876000000001"),
        ("select What_Id->Leads.Last_Name from Tasks where id is not null", "->Leads.Last_Name"),
        ("select Last_Name from Leads where Last_Name = 'open", "'open"),
        ("select Last_Name from Leads where Last_Name = null", "null"),
        ("select Last_Name from Leads where Last_Name in ()", ")"),
        ("select Last_Name from Leads where id is not null order by Last_Name up", "up"),
    ],
)
def test_coql_syntax_errors(text: str, near: str) -> None:
    error = coql_error(text)
    assert error.code == "SYNTAX_ERROR"
    assert error.details["near"].startswith(near)
    assert error.details["line"] == 1
    assert text[error.details["column"] - 1 :].startswith(error.details["near"])


def test_coql_syntax_error_location_counts_lines() -> None:
    error = coql_error("select Last_Name\nfrom Leads\n  where id is nil")
    assert error.details == {"line": 3, "column": 15, "near": "nil"}


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("select Last_Name", "from"),
        ("select Last_Name from Leads", "where"),
        ("select Last_Name from Leads order by id", "where"),
        ("select Last_Name from Leads limit 10", "where"),
    ],
)
def test_coql_missing_clauses(text: str, clause: str) -> None:
    error = coql_error(text)
    assert (error.code, error.message, error.details) == (
        "SYNTAX_ERROR",
        "missing clause",
        {"clause": clause},
    )


@pytest.mark.parametrize(
    "text",
    ["", "update Leads set Last_Name = 'x'", "delete from Leads", "Leads"],
)
def test_coql_only_select_queries(text: str) -> None:
    error = coql_error(text)
    assert (error.code, error.message, error.details) == (
        "SYNTAX_ERROR",
        "given coql query not supported",
        {},
    )


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("select Last_Name from Leads where Last_Name <> 'x'", {"operator": "<>"}),
        ("select Last_Name from Leads where Last_Name not = 'x'", {"operator": "not"}),
        (
            "select Last_Name from Leads where not Last_Name = 'x'",
            {"line": 1, "column": 35, "near": "not"},
        ),
    ],
)
def test_coql_unsupported_operators(text: str, details: dict[str, Any]) -> None:
    error = coql_error(text)
    assert (error.code, error.details) == ("SYNTAX_ERROR", details)


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("select COUNT(id) from Leads where id is not null", "COUNT"),
        ("select sum(Annual_Revenue) from Leads where id is not null", "sum"),
        ("select Lead_Source from Leads where id is not null group by Lead_Source", "group"),
    ],
)
def test_coql_aggregates_are_not_emulated(text: str, near: str) -> None:
    error = coql_error(text)
    assert error.code == "SYNTAX_ERROR"
    assert "not supported by the emulator" in error.message
    assert error.details == {"near": near}


def test_coql_unknown_and_unserved_modules() -> None:
    unknown = coql_error("select Name from Widgets where id is not null")
    assert (unknown.code, unknown.details) == ("INVALID_QUERY", {"module": "Widgets"})
    unserved = coql_error("select Name from Home where id is not null")
    assert unserved.code == "INVALID_MODULE"
    assert coql.parse_coql("select Name from SERVICE_VISITS where id is not null").module is VISITS


@pytest.mark.parametrize(
    ("text", "column", "clause"),
    [
        ("select name from Service_Visits where id is not null", "name", "select"),
        ("select Account.Nope from Service_Visits where id is not null", "Account.Nope", "select"),
        (
            "select Name.Account_Name from Service_Visits where id is not null",
            "Name.Account_Name",
            "select",
        ),
        ("select Layout.name from Service_Visits where id is not null", "Layout.name", "select"),
        ("select Owner.phone from Service_Visits where id is not null", "Owner.phone", "select"),
        ("select Name from Service_Visits where Nope = 1", "Nope", "where"),
        ("select Name from Service_Visits where id is not null order by Nope", "Nope", "order by"),
        (
            "select What_Id.Account_Name from Tasks where id is not null",
            "What_Id.Account_Name",
            "select",
        ),
    ],
)
def test_coql_rejects_unknown_columns(text: str, column: str, clause: str) -> None:
    error = coql_error(text)
    assert (error.code, error.details) == (
        "INVALID_QUERY",
        {"column_name": column, "clause": clause},
    )


@pytest.mark.parametrize(
    "text",
    [
        "select Visit_Items from Service_Visits where id is not null",
        "select Related_Accounts from Service_Visits where id is not null",
        "select Name from Service_Visits where id is not null order by Tag",
        "select Name from Service_Visits where id is not null order by Visit_Items",
    ],
)
def test_coql_rejects_unsupported_columns(text: str) -> None:
    error = coql_error(text)
    assert (error.code, error.message) == ("INVALID_QUERY", "unsupported column")


def test_coql_select_takes_at_most_fifty_columns() -> None:
    names = [
        field.api_name
        for field in VISITS.fields
        if field.data_type not in catalog.DETAIL_ONLY_TYPES
    ]
    coql.parse_coql(f"select {', '.join(names[:50])} from Service_Visits where id is not null")
    error = coql_error(f"select {', '.join(names[:51])} from Service_Visits where id is not null")
    assert (error.code, error.details) == (
        "LIMIT_EXCEEDED",
        {"clause": "select", "allowed_count": 50},
    )


def test_coql_where_takes_at_most_25_criteria() -> None:
    def nested(count: int) -> str:
        text = "Quantity > 0"
        for _ in range(count - 1):
            text = f"({text} and Quantity > 0)"
        return text

    assert where(nested(25))
    error = coql_error(f"select Name from Service_Visits where {nested(26)}")
    assert (error.code, error.details) == (
        "LIMIT_EXCEEDED",
        {"clause": "where", "allowed_count": 25},
    )


@pytest.mark.parametrize("operator", ["in", "not in"])
def test_coql_in_takes_at_most_fifty_values(operator: str) -> None:
    fifty = ", ".join(str(number) for number in range(50))
    assert where(f"Quantity {operator} ({fifty})") is (operator == "in")
    error = coql_error(f"select Name from Service_Visits where Quantity {operator} ({fifty}, 50)")
    assert (error.code, error.details) == (
        "LIMIT_EXCEEDED",
        {"clause": "where", "allowed_count": 50},
    )


def test_coql_order_by_takes_at_most_ten_columns() -> None:
    names = ["Name", "Quantity", "Status", "Visit_Date", "Visit_Start", "Unit_Price"]
    names += ["Discount", "Billable", "Email", "Site_Url", "Site_Phone"]
    base = "select Name from Service_Visits where id is not null order by "
    assert len(coql.parse_coql(base + ", ".join(names[:10])).order_by) == 10
    error = coql_error(base + ", ".join(names))
    assert (error.code, error.details) == (
        "LIMIT_EXCEEDED",
        {"clause": "order by", "allowed_count": 10},
    )


@pytest.mark.parametrize(
    ("tail", "code", "details"),
    [
        ("limit 2001", "LIMIT_EXCEEDED", {"clause": "limit", "allowed_count": 2000}),
        (
            "limit 2000 offset 98001",
            "LIMIT_EXCEEDED",
            {"clause": "offset", "allowed_count": 100000},
        ),
        ("limit 98001, 2000", "LIMIT_EXCEEDED", {"clause": "offset", "allowed_count": 100000}),
        ("limit 0", "INVALID_DATA", {}),
        ("limit -5", "INVALID_DATA", {}),
        ("limit s", "INVALID_QUERY", {"limit": "s"}),
        ("limit 1.5", "INVALID_QUERY", {"limit": "1.5"}),
        ("limit '10'", "INVALID_QUERY", {"limit": "'10'"}),
        ("limit 10 offset -1", "INVALID_QUERY", {"offset": "-1"}),
        ("limit 10 offset x", "INVALID_QUERY", {"offset": "x"}),
    ],
)
def test_coql_limit_and_offset_errors(tail: str, code: str, details: dict[str, Any]) -> None:
    error = coql_error(f"select Last_Name from Leads where id is not null {tail}")
    assert (error.code, error.details) == (code, details)


def test_coql_limit_and_offset_bounds() -> None:
    query = coql.parse_coql(
        "select Last_Name from Leads where id is not null limit 2000 offset 98000"
    )
    assert (query.limit, query.offset) == (2000, 98000)


def test_coql_paths_take_at_most_two_relations() -> None:
    two = "select Account.Parent_Account.Account_Name from Service_Visits where id is not null"
    assert len(coql.parse_coql(two).columns[0].path) == 3
    error = coql_error(
        "select Account.Parent_Account.Parent_Account.Account_Name from Service_Visits"
        " where id is not null"
    )
    assert (error.code, error.details) == (
        "LIMIT_EXCEEDED",
        {"clause": "select", "allowed_count": 2},
    )


def test_coql_duplicates() -> None:
    column = coql_error("select Name, Quantity, Name from Service_Visits where id is not null")
    assert (column.code, column.message, column.details) == (
        "DUPLICATE_DATA",
        "duplicate select column",
        {"column_name": "Name"},
    )
    order = coql_error("select Name from Service_Visits where id is not null order by id, id desc")
    assert (order.code, order.details) == ("DUPLICATE_DATA", {"column_name": "id"})
    alias = coql_error("select Name as 'N', Quantity as N from Service_Visits where id is not null")
    assert (alias.code, alias.details) == (
        "DUPLICATE_ALIAS",
        {"alias": "N", "referred_columns": ["Name", "Quantity"]},
    )
    clash = coql_error("select Name, Quantity as Name from Service_Visits where id is not null")
    assert clash.code == "DUPLICATE_ALIAS"
    empty = coql_error("select Name as '' from Service_Visits where id is not null")
    assert (empty.code, empty.details) == ("INVALID_ALIAS", {"alias": "", "column_name": "Name"})


def test_coql_field_names_are_exact_but_keywords_are_not() -> None:
    query = coql.parse_coql("SeLeCt 'Name' FrOm Service_Visits WhErE Quantity Is NoT NuLl")
    assert [column.key for column in query.columns] == ["Name"]
    error = coql_error("select NAME from Service_Visits where id is not null")
    assert error.details == {"column_name": "NAME", "clause": "select"}


# -- ordering -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([3, None, 20, 1.5], [None, 1.5, 3, 20]),
        (["10", "9", "0000123"], ["9", "10", "0000123"]),
        (["b", "A", None, "a", ""], [None, "", "A", "a", "b"]),
        (
            ["2024-05-10T01:00:00-07:00", "2024-05-10T09:30:00+02:00", "2024-05-10T08:30:00+00:00"],
            ["2024-05-10T09:30:00+02:00", "2024-05-10T01:00:00-07:00", "2024-05-10T08:30:00+00:00"],
        ),
        (["2024-05-10", "2023-12-31", None], [None, "2023-12-31", "2024-05-10"]),
        ([True, None, False], [None, False, True]),
        (
            [
                {"name": "A", "id": "4876876003000000010"},
                {"name": "B", "id": "4876876003000000009"},
            ],
            [
                {"name": "B", "id": "4876876003000000009"},
                {"name": "A", "id": "4876876003000000010"},
            ],
        ),
        ([["b", "a"], [], ["a"]], [[], ["a"], ["b", "a"]]),
    ],
)
def test_sort_key_orders_values_by_type_with_empty_first(
    values: list[Any], expected: list[Any]
) -> None:
    assert sorted(values, key=compare.sort_key) == expected
    descending = sorted(values, key=compare.sort_key, reverse=True)
    assert [compare.sort_key(value) for value in descending] == [
        compare.sort_key(value) for value in reversed(expected)
    ]
    assert coql.sort_key is compare.sort_key


def _ordered(query: coql.CoqlQuery, records: dict[str, dict[str, Any]]) -> list[str]:
    """The route's ordering recipe from the coql docstring: stable sorts, last column first."""
    ids = sorted(records)
    for column, descending in reversed(query.order_by):
        ids.sort(
            key=lambda record_id: coql.sort_key(
                coql.column_value(column, getter(records[record_id], record_id), resolve)
            ),
            reverse=descending,
        )
    return ids


def test_coql_ordering_recipe() -> None:
    records = {
        "4876876005000000001": {"Status": "Done", "Quantity": 5, "Account": None},
        "4876876005000000002": {"Status": None, "Quantity": 7, "Account": VISIT["Account"]},
        "4876876005000000003": {"Status": "done", "Quantity": 7, "Account": None},
        "4876876005000000004": {"Status": "Planned", "Quantity": None, "Account": VISIT["Account"]},
        "4876876005000000005": {"Status": "Done", "Quantity": 7, "Account": None},
    }
    base = "select Name from Service_Visits where id is not null"
    by_status = coql.parse_coql(f"{base} order by Status, Quantity desc")
    assert [key[-1] for key in _ordered(by_status, records)] == ["2", "3", "5", "1", "4"]
    by_quantity = coql.parse_coql(f"{base} order by Quantity desc, Status desc")
    assert [key[-1] for key in _ordered(by_quantity, records)] == ["3", "5", "2", "1", "4"]
    by_account_name = coql.parse_coql(f"{base} order by Account.Account_Name desc")
    assert [key[-1] for key in _ordered(by_account_name, records)] == ["2", "4", "1", "3", "5"]
    assert [key[-1] for key in _ordered(coql.parse_coql(base), records)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
