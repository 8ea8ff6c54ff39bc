"""Reading CRM from the emulator: metadata, Get Records and its limits, single records, users."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import pytest
import requests

from tests.conftest import SHARED_RECORDS
from tests.server import Emulator, running_emulator

EVERY_TYPE = {
    "lookup",
    "ownerlookup",
    "userlookup",
    "multiselectpicklist",
    "bigint",
    "currency",
    "percent",
    "date",
    "datetime",
    "formula",
    "autonumber",
    "subform",
    "multiselectlookup",
    "textarea",
    "boolean",
    "integer",
    "double",
    "picklist",
    "email",
    "phone",
    "website",
    "text",
}


def fields_of(emulator: Emulator, module: str) -> list[dict[str, Any]]:
    response = emulator.crm("GET", "settings/fields", params={"module": module})
    assert response.status_code == 200
    fields: list[dict[str, Any]] = response.json()["fields"]
    return fields


def read_all(
    emulator: Emulator, module: str, fields: str, **params: str
) -> tuple[list[dict[str, Any]], int]:
    """Every record through page tokens; also the number of calls made."""
    records: list[dict[str, Any]] = []
    query: dict[str, str] = {"fields": fields, **params}
    calls = 0
    while True:
        response = emulator.crm("GET", module, params=query)
        calls += 1
        if response.status_code == 204:
            return records, calls
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        if not body["info"]["more_records"]:
            return records, calls
        query = {**query, "page_token": body["info"]["next_page_token"]}


# -- metadata ------------------------------------------------------------------------------


def test_modules_list_standard_custom_and_ui_only_modules(emulator: Emulator) -> None:
    response = emulator.crm("GET", "settings/modules")
    modules = {module["api_name"]: module for module in response.json()["modules"]}
    for name in ("Leads", "Contacts", "Accounts", "Deals", "Service_Visits", "Products"):
        assert modules[name]["api_supported"] is True
        assert modules[name]["viewable"] is True
    assert modules["Service_Visits"]["generated_type"] == "custom"
    assert modules["Reports"]["api_supported"] is False
    assert modules["Service_Visit_Items"]["generated_type"] == "subform"
    assert modules["Leads"]["convertable"] is True
    assert all(module["id"].isdigit() for module in modules.values())


def test_custom_module_has_over_120_fields_of_every_type(emulator: Emulator) -> None:
    fields = fields_of(emulator, "Service_Visits")
    assert len(fields) > 120
    assert {field["data_type"] for field in fields} >= EVERY_TYPE
    by_name = {field["api_name"]: field for field in fields}
    assert by_name["Serial_Number"]["json_type"] == "string"  # bigint travels as a string
    assert by_name["Unit_Price"]["json_type"] == "double"
    assert by_name["Account"]["lookup"]["module"]["api_name"] == "Accounts"
    assert by_name["Total_Amount"]["formula"]["return_type"] == "double"
    assert by_name["Total_Amount"]["read_only"] is True
    assert by_name["Services"]["json_type"] == "jsonarray"
    assert [v["actual_value"] for v in by_name["Status"]["pick_list_values"]] == [
        "Planned",
        "In Progress",
        "Done",
        "Cancelled",
    ]
    assert by_name["Visit_Items"]["associated_module"]["module"] == "Service_Visit_Items"
    assert by_name["Related_Accounts"]["multiselectlookup"]["connected_module"]["api_name"] == (
        "Accounts"
    )
    assert by_name["id"]["field_label"] == "Record Id"


def test_sales_orders_line_items_are_a_subform_of_products(emulator: Emulator) -> None:
    orders = {field["api_name"]: field for field in fields_of(emulator, "Sales_Orders")}
    assert orders["Ordered_Items"]["associated_module"]["module"] == "Ordered_Items"
    assert orders["Ordered_Items"]["system_mandatory"] is True  # a sales order needs one
    assert orders["Grand_Total"]["read_only"] is True
    rows = {field["api_name"]: field for field in fields_of(emulator, "Ordered_Items")}
    assert rows["Product_Name"]["lookup"]["module"]["api_name"] == "Products"
    assert rows["Product_Name"]["system_mandatory"] is True
    assert rows["Total"]["formula"]["return_type"] == "currency"
    assert rows["Parent_Id"]["lookup"]["module"]["api_name"] == "Sales_Orders"


def test_field_metadata_keeps_zoho_quirks(emulator: Emulator) -> None:
    leads = {field["api_name"]: field for field in fields_of(emulator, "Leads")}
    assert leads["First_Name"]["view_type"]["view"] is False  # as in Zoho's own v8 example
    assert leads["Tag"]["data_type"] == "text"
    assert leads["Tag"]["json_type"] == "jsonarray"
    assert leads["Last_Name"]["system_mandatory"] is True
    assert leads["Email"]["unique"] != {}
    missing = emulator.crm("GET", "settings/fields")
    assert missing.status_code == 400
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert missing.json()["details"] == {"param_name": "module"}


def test_unknown_module_and_version(emulator: Emulator) -> None:
    unknown = emulator.crm("GET", "Spaceships", params={"fields": "Name"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "INVALID_MODULE"
    ui_only = emulator.crm("GET", "Reports", params={"fields": "Name"})
    assert ui_only.json()["code"] == "INVALID_MODULE"
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    v1 = requests.get(f"{emulator.url}/crm/v1/org", headers=headers, timeout=30)
    assert v1.status_code == 404
    assert v1.json()["code"] == "INVALID_URL_PATTERN"
    wrong_method = emulator.crm("PATCH", "Leads")
    assert wrong_method.status_code == 400
    assert wrong_method.json()["code"] == "INVALID_REQUEST_METHOD"
    for path in ("/nothing", "/wrongpath/oauth/v2/token"):  # a mistyped host path: no 500
        stray = requests.post(f"{emulator.url}{path}", timeout=30)
        assert stray.status_code == 404, stray.text
        assert stray.json()["code"] == "INVALID_URL_PATTERN"


def test_restricted_module_is_forbidden(emulator: Emulator) -> None:
    response = emulator.crm("GET", "Quotes", params={"fields": "Subject"})
    assert response.status_code == 403
    assert response.json()["code"] == "NO_PERMISSION"
    assert response.json()["details"] == {"permissions": ["Crm_Implied_View_Quotes"]}


# -- Get Records ---------------------------------------------------------------------------


def test_fields_are_mandatory_and_at_most_50(emulator: Emulator) -> None:
    missing = emulator.crm("GET", "Leads")
    assert missing.status_code == 400
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert missing.json()["details"] == {"param_name": "fields"}
    names = [field["api_name"] for field in fields_of(emulator, "Service_Visits")]
    assert emulator.crm("GET", "Service_Visits", params={"fields": ",".join(names[:50])}).ok
    too_many = emulator.crm("GET", "Service_Visits", params={"fields": ",".join(names[:51])})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    unknown = emulator.crm("GET", "Leads", params={"fields": "Last_Name,Nope"})
    assert unknown.json()["code"] == "INVALID_DATA"


def test_per_page_at_most_200(emulator: Emulator) -> None:
    response = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "per_page": "201"})
    assert response.status_code == 400
    assert response.json()["details"] == {"param_name": "per_page"}
    small = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "per_page": "7"})
    assert len(small.json()["data"]) == 7
    assert small.json()["info"]["per_page"] == 7


def test_default_sort_is_id_descending(emulator: Emulator) -> None:
    body = emulator.crm("GET", "Accounts", params={"fields": "Account_Name"}).json()
    ids = [int(record["id"]) for record in body["data"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 200
    assert body["info"]["sort_by"] == "id"
    assert body["info"]["sort_order"] == "desc"
    assert body["info"]["more_records"] is True
    assert body["info"]["next_page_token"]


def test_page_numbers_stop_at_2000_records(emulator: Emulator) -> None:
    last = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "page": "10"})
    assert last.status_code == 200
    beyond = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "page": "11"})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


def test_page_tokens_reach_every_record_once(emulator: Emulator) -> None:
    records, calls = read_all(emulator, "Contacts", "Last_Name,Email")
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids)) > 2000
    assert calls == -(-len(ids) // 200)
    count = emulator.crm("GET", "Contacts/actions/count").json()["count"]
    assert count == len(ids)
    assert SHARED_RECORDS * 0.98 < count <= SHARED_RECORDS  # a few were deleted when seeded


def test_page_token_is_bound_to_its_query(emulator: Emulator) -> None:
    first = emulator.crm("GET", "Leads", params={"fields": "Last_Name"}).json()
    token = first["info"]["next_page_token"]
    other = emulator.crm("GET", "Leads", params={"fields": "Email", "page_token": token})
    assert other.status_code == 400
    assert other.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    both = emulator.crm(
        "GET", "Leads", params={"fields": "Last_Name", "page_token": token, "page": "2"}
    )
    assert both.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    bogus = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "page_token": "abc"})
    assert bogus.json()["code"] == "INVALID_DATA"
    same = emulator.crm("GET", "Leads", params={"fields": "Last_Name", "page_token": token})
    assert same.status_code == 200
    assert same.json()["data"][0]["id"] != first["data"][0]["id"]


def test_modified_time_sort_has_ties_out_of_id_order(emulator: Emulator) -> None:
    records, _ = read_all(
        emulator, "Deals", "Modified_Time", sort_by="Modified_Time", sort_order="asc"
    )
    times = [dt.datetime.fromisoformat(record["Modified_Time"]) for record in records]
    assert times == sorted(times)
    ties = [count for count in collections.Counter(times).values() if count > 1]
    assert len(ties) >= 10
    assert max(ties) >= 3
    ids = [int(record["id"]) for record in records]
    assert ids != sorted(ids)


def test_datetimes_carry_the_orgs_offset(emulator: Emulator) -> None:
    body = emulator.crm("GET", "Leads", params={"fields": "Created_Time,Modified_Time"}).json()
    offsets = {record["Modified_Time"][-6:] for record in body["data"]}
    assert offsets <= {"-08:00", "-07:00"}  # America/Los_Angeles, with daylight saving
    assert all("Z" not in record["Created_Time"] for record in body["data"])


def test_strings_are_awkward(emulator: Emulator) -> None:
    records, _ = read_all(emulator, "Leads", "Company,Description,Last_Name,City")
    text = [value for record in records for value in record.values() if isinstance(value, str)]
    for awkward in (",", "(", '"', "\n", "'", "ü", "東"):
        assert any(awkward in value for value in text), awkward


def test_converted_leads_are_hidden_by_default(emulator: Emulator) -> None:
    default, _ = read_all(emulator, "Leads", "Converted__s")
    both, _ = read_all(emulator, "Leads", "Converted__s", converted="both")
    only, _ = read_all(emulator, "Leads", "Converted__s,Converted_Account", converted="true")
    assert not any(record["Converted__s"] for record in default)
    assert len(only) > 10
    assert all(record["Converted__s"] and record["Converted_Account"] for record in only)
    assert len(both) == len(default) + len(only)


def test_unapproved_records_are_hidden_by_default(emulator: Emulator) -> None:
    default, _ = read_all(emulator, "Deals", "Deal_Name")
    everything, _ = read_all(emulator, "Deals", "Deal_Name", approved="both")
    hidden = {r["id"] for r in everything} - {r["id"] for r in default}
    assert hidden
    states = {r["$approval_state"] for r in everything if r["id"] in hidden}
    assert states == {"approval_process_pending"}


def test_if_modified_since(emulator: Emulator) -> None:
    records, _ = read_all(emulator, "Accounts", "Modified_Time")
    times = sorted(dt.datetime.fromisoformat(r["Modified_Time"]) for r in records)
    middle = times[len(times) // 2]
    newer, _ = read_all(
        emulator,
        "Accounts",
        "Modified_Time",
        sort_by="Modified_Time",
        sort_order="asc",
    )
    expected = [r for r in newer if dt.datetime.fromisoformat(r["Modified_Time"]) > middle]
    since = emulator.crm(
        "GET",
        "Accounts",
        params={"fields": "Modified_Time", "sort_by": "Modified_Time", "sort_order": "asc"},
        headers={"If-Modified-Since": middle.isoformat()},
    ).json()
    assert [r["id"] for r in since["data"]] == [r["id"] for r in expected[:200]]
    unchanged = emulator.crm(
        "GET",
        "Accounts",
        params={"fields": "Modified_Time"},
        headers={"If-Modified-Since": times[-1].isoformat()},
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""


def test_empty_module_answers_204(emulator: Emulator) -> None:
    response = emulator.crm("GET", "Vendors", params={"fields": "Vendor_Name"})
    assert response.status_code == 204
    assert response.content == b""


def test_ids_parameter(emulator: Emulator) -> None:
    page = emulator.crm("GET", "Leads", params={"fields": "Last_Name"}).json()["data"]
    wanted = [page[3]["id"], page[7]["id"]]
    response = emulator.crm(
        "GET", "Leads", params={"fields": "Last_Name", "ids": ",".join(wanted)}
    ).json()
    assert sorted(r["id"] for r in response["data"]) == sorted(wanted)


def test_list_omits_subforms_and_single_record_has_them(emulator: Emulator) -> None:
    listed = emulator.crm(
        "GET", "Service_Visits", params={"fields": "Name,Visit_Items,Related_Accounts"}
    ).json()["data"]
    assert all("Visit_Items" not in r and "Related_Accounts" not in r for r in listed)
    with_items = None
    for record in listed:
        single = emulator.crm("GET", f"Service_Visits/{record['id']}").json()["data"][0]
        assert "$has_more" in single
        if single["Visit_Items"] and single["Related_Accounts"]:
            with_items = single
            break
    assert with_items is not None
    row = with_items["Visit_Items"][0]
    assert row["Parent_Id"]["id"] == with_items["id"]
    assert {"id", "Item_Name", "Quantity", "Unit_Price"} <= row.keys()
    link = with_items["Related_Accounts"][0]
    assert link["Linked_Account"]["id"].isdigit()
    assert isinstance(with_items["Serial_Number"], str | None)
    assert len(with_items) > 120


def test_single_record_not_found_and_malformed(emulator: Emulator) -> None:
    assert emulator.crm("GET", "Leads/4876876001999999999").status_code == 204
    malformed = emulator.crm("GET", "Leads/abc")
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "INVALID_DATA"


def test_lookups_and_owners_shape(emulator: Emulator) -> None:
    body = emulator.crm(
        "GET", "Contacts", params={"fields": "Owner,Account_Name,Created_By"}
    ).json()
    owners = [r["Owner"] for r in body["data"]]
    assert all(set(owner) == {"name", "id", "email"} for owner in owners)
    accounts = [r["Account_Name"] for r in body["data"] if r["Account_Name"]]
    assert accounts
    assert all(set(account) == {"name", "id"} for account in accounts)


# -- users and org --------------------------------------------------------------------------


def test_users_and_types(emulator: Emulator) -> None:
    everyone = emulator.crm("GET", "users").json()
    assert everyone["info"]["count"] == len(everyone["users"]) >= 5
    user = everyone["users"][0]
    assert {"created_time", "Modified_Time", "full_name", "email", "role", "profile"} <= set(user)
    active = emulator.crm("GET", "users", params={"type": "ActiveUsers"}).json()["users"]
    assert all(u["status"] == "active" for u in active)
    assert len(active) < len(everyone["users"])
    me = emulator.crm("GET", "users", params={"type": "CurrentUser"}).json()["users"]
    assert len(me) == 1
    one = emulator.crm("GET", f"users/{me[0]['id']}").json()["users"][0]
    assert one == me[0]


def test_org(emulator: Emulator) -> None:
    org = emulator.crm("GET", "org").json()["org"]
    assert len(org) == 1
    assert org[0]["time_zone"] == "America/Los_Angeles"
    assert org[0]["zgid"].isdigit()


@pytest.mark.parametrize("version", ["v7", "v8"])
def test_both_api_versions(emulator: Emulator, version: str) -> None:
    headers = {"Authorization": f"Zoho-oauthtoken {emulator.token()}"}
    url = f"{emulator.url}/crm/{version}/Leads"
    response = requests.get(url, params={"fields": "Last_Name"}, headers=headers, timeout=30)
    assert response.status_code == 200


def test_page_tokens_stop_at_100000_records() -> None:
    with running_emulator("--records", "101000") as server:
        query: dict[str, str] = {"fields": "Account_Name"}
        seen = 0
        while True:
            response = server.crm("GET", "Accounts", params=query)
            if response.status_code != 200:
                break
            body = response.json()
            seen += len(body["data"])
            assert body["info"]["more_records"]
            query = {"fields": "Account_Name", "page_token": body["info"]["next_page_token"]}
        assert seen == 100_000
        assert response.status_code == 400
        assert response.json()["code"] == "PAGINATION_LIMIT_EXCEEDED"


def test_each_org_has_its_own_ids() -> None:
    with running_emulator("--records", "10", "--org", "3") as server:
        lead = server.crm("GET", "Leads", params={"fields": "Last_Name"}).json()["data"][0]
        assert lead["id"].startswith("4876879")
        contact = server.desk("GET", "contacts", params={"limit": 1}).json()["data"][0]
        assert contact["id"].startswith("3110003")
        home = server.crm("GET", "Leads/4876876001000000001")  # the default org's id
        assert home.status_code == 204
