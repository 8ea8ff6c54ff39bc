"""Writing CRM records in the emulator: insert, update, upsert, delete, deleted records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.server import Emulator


def lead(number: int, **extra: Any) -> dict[str, Any]:
    return {"Last_Name": f"Écrit {number}", "Email": f"writer.{number}@example.test", **extra}


def first_ids(emulator: Emulator, module: str, count: int) -> list[str]:
    data = emulator.crm("GET", module, params={"fields": "Modified_Time"}).json()["data"]
    return [record["id"] for record in data[:count]]


def test_insert_creates_records_and_reports_each(emulator: Emulator) -> None:
    response = emulator.crm("POST", "Leads", json={"data": [lead(1), lead(2)]})
    assert response.status_code == 201
    results = response.json()["data"]
    assert [r["code"] for r in results] == ["SUCCESS", "SUCCESS"]
    assert [r["message"] for r in results] == ["record added", "record added"]
    details = results[0]["details"]
    assert set(details) == {
        "Modified_Time",
        "Modified_By",
        "Created_Time",
        "id",
        "Created_By",
        "$approval_state",
    }
    created = emulator.crm("GET", f"Leads/{details['id']}").json()["data"][0]
    assert created["Last_Name"] == "Écrit 1"
    assert created["Full_Name"] == "Écrit 1"
    assert created["Converted__s"] is False
    assert created["Owner"]["id"] == details["Created_By"]["id"]


def test_created_records_sort_last_by_id_and_time(emulator: Emulator) -> None:
    new_id = emulator.crm("POST", "Accounts", json={"data": [{"Account_Name": "Néo"}]}).json()[
        "data"
    ][0]["details"]["id"]
    newest = emulator.crm("GET", "Accounts", params={"fields": "Account_Name"}).json()["data"][0]
    assert newest["id"] == new_id
    by_time = emulator.crm(
        "GET",
        "Accounts",
        params={"fields": "Account_Name", "sort_by": "Modified_Time", "sort_order": "desc"},
    ).json()["data"][0]
    assert by_time["id"] == new_id


def test_batch_limit_and_empty_batch(emulator: Emulator) -> None:
    too_many = emulator.crm("POST", "Leads", json={"data": [lead(n) for n in range(101)]})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    empty = emulator.crm("POST", "Leads", json={"data": []})
    assert empty.status_code == 400
    broken = emulator.crm("POST", "Leads", data=b"{not json", headers={"Content-Type": "x"})
    assert broken.status_code == 400
    assert broken.json()["status"] == "error"


def test_mixed_batch_answers_207_in_input_order(emulator: Emulator) -> None:
    batch = [
        lead(1),
        {"Email": "nobody@example.test"},  # no Last_Name
        lead(3, No_of_Employees="many"),
        lead(4, Company="x" * 256),
        lead(5, Email="not-an-email"),
        lead(6, Annual_Revenue=1234.5, Next_Contact_Date="2026-01-31"),
    ]
    response = emulator.crm("POST", "Leads", json={"data": batch})
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["code"] for r in results] == [
        "SUCCESS",
        "MANDATORY_NOT_FOUND",
        "INVALID_DATA",
        "INVALID_DATA",
        "INVALID_DATA",
        "SUCCESS",
    ]
    assert results[1]["details"] == {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}
    assert results[2]["details"] == {
        "expected_data_type": "integer",
        "api_name": "No_of_Employees",
        "json_path": "$.data[2].No_of_Employees",
    }
    assert results[3]["details"]["maximum_length"] == 255
    assert results[4]["details"]["api_name"] == "Email"


def test_all_failed_batch_answers_400_with_results(emulator: Emulator) -> None:
    response = emulator.crm("POST", "Leads", json={"data": [{"Company": "A"}, {"Company": "B"}]})
    assert response.status_code == 400
    assert [r["code"] for r in response.json()["data"]] == ["MANDATORY_NOT_FOUND"] * 2


def test_types_are_checked_strictly(emulator: Emulator) -> None:
    accounts = emulator.crm("GET", "Accounts", params={"fields": "Account_Name"}).json()["data"]
    good = {
        "Name": "Strict",
        "Serial_Number": "001234567890123456",
        "Quantity": 3,
        "Unit_Price": 10.5,
        "Discount": 12.5,
        "Billable": True,
        "Visit_Date": "2026-02-28",
        "Visit_Start": "2026-02-28T09:30:00+01:00",
        "Services": ["Inspection", "Training"],
        "Account": {"id": accounts[0]["id"]},
    }
    bad = {
        "Serial_Number": 12.5,
        "Quantity": 12.0,
        "Unit_Price": "10.5",
        "Billable": "true",
        "Visit_Date": "28/02/2026",
        "Visit_Start": "2026-02-28T09:30:00Z",
        "Services": "Inspection",
        "Account": {"id": "4876876003999999999"},
        "Technician": {"id": "12"},
    }
    records = [good] + [{"Name": f"Bad {field}", field: value} for field, value in bad.items()]
    results = emulator.crm("POST", "Service_Visits", json={"data": records}).json()["data"]
    assert results[0]["code"] == "SUCCESS", results[0]
    failed = {r["details"]["api_name"]: r for r in results[1:]}
    assert set(failed) == set(bad)
    assert all(r["code"] == "INVALID_DATA" for r in failed.values())
    assert failed["Services"]["details"]["expected_data_type"] == "jsonarray"
    assert failed["Billable"]["details"]["expected_data_type"] == "boolean"
    created = emulator.crm("GET", f"Service_Visits/{results[0]['details']['id']}").json()["data"]
    visit = created[0]
    assert visit["Total_Amount"] == 31.5  # the formula, computed by "Zoho"
    assert visit["Visit_Start"] in ("2026-02-28T00:30:00-08:00",)
    assert visit["Account"]["name"] == accounts[0]["Account_Name"]
    assert visit["Visit_Number"].startswith("SV-")


def test_unique_field_rejects_duplicates(emulator: Emulator) -> None:
    existing = emulator.crm("GET", "Leads", params={"fields": "Email"}).json()["data"]
    email = next(r["Email"] for r in existing if r["Email"])
    response = emulator.crm("POST", "Leads", json={"data": [lead(1, Email=email.upper())]})
    result = response.json()["data"][0]
    assert result["code"] == "DUPLICATE_DATA"
    assert result["details"]["api_name"] == "Email"
    assert result["details"]["duplicate_record"]["module"]["api_name"] == "Leads"
    assert result["details"]["duplicate_record"]["id"] in {r["id"] for r in existing}


def test_update_bumps_modified_time(emulator: Emulator) -> None:
    target = first_ids(emulator, "Contacts", 1)[0]
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    response = emulator.crm("PUT", "Contacts", json={"data": [{"id": target, "Title": "Chef"}]})
    assert response.status_code == 200
    assert response.json()["data"][0]["message"] == "record updated"
    record = emulator.crm("GET", f"Contacts/{target}").json()["data"][0]
    assert record["Title"] == "Chef"
    assert dt.datetime.fromisoformat(record["Modified_Time"]) >= before
    newest = emulator.crm(
        "GET",
        "Contacts",
        params={"fields": "Title", "sort_by": "Modified_Time", "sort_order": "desc"},
    ).json()["data"][0]
    assert newest["id"] == target


def test_update_single_by_path_and_errors(emulator: Emulator) -> None:
    target = first_ids(emulator, "Deals", 1)[0]
    single = emulator.crm("PUT", f"Deals/{target}", json={"data": [{"Amount": 99.5}]})
    assert single.status_code == 200
    assert emulator.crm("GET", f"Deals/{target}").json()["data"][0]["Amount"] == 99.5
    results = emulator.crm(
        "PUT",
        "Deals",
        json={"data": [{"Amount": 1.0}, {"id": "4876876004999999999", "Amount": 1.0}]},
    ).json()["data"]
    assert results[0]["code"] == "MANDATORY_NOT_FOUND"
    assert results[0]["details"]["api_name"] == "id"
    assert results[1] == {
        "code": "INVALID_DATA",
        "details": {"id": "4876876004999999999"},
        "message": "the id given seems to be invalid",
        "status": "error",
    }


def test_upsert_by_default_and_given_duplicate_fields(emulator: Emulator) -> None:
    existing = emulator.crm("GET", "Leads", params={"fields": "Email,Last_Name"}).json()["data"]
    known = next(r for r in existing if r["Email"])
    batch = [
        {"Email": known["Email"], "Last_Name": "Upserted"},
        lead(77),
    ]
    response = emulator.crm("POST", "Leads/upsert", json={"data": batch})
    assert response.status_code == 200
    updated, inserted = response.json()["data"]
    assert (updated["action"], updated["duplicate_field"]) == ("update", "Email")
    assert updated["details"]["id"] == known["id"]
    assert (inserted["action"], inserted["duplicate_field"]) == ("insert", None)
    by_external = emulator.crm(
        "POST",
        "Service_Visits/upsert",
        json={
            "data": [{"Name": "Ext", "External_Id": "EXT-05-00000003"}],
            "duplicate_check_fields": ["External_Id"],
        },
    ).json()["data"][0]
    assert by_external["action"] == "update"
    assert by_external["duplicate_field"] == "External_Id"
    wrong = emulator.crm(
        "POST",
        "Leads/upsert",
        json={"data": [lead(1)], "duplicate_check_fields": ["Annual_Revenue"]},
    )
    assert wrong.status_code == 400
    assert wrong.json()["details"]["param_name"] == "duplicate_check_fields"


def test_delete_moves_records_to_the_recycle_bin(emulator: Emulator) -> None:
    targets = first_ids(emulator, "Accounts", 2)
    unknown = "4876876003999999999"
    response = emulator.crm("DELETE", "Accounts", params={"ids": ",".join([*targets, unknown])})
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["code"] for r in results] == ["SUCCESS", "SUCCESS", "INVALID_DATA"]
    assert results[0] == {
        "code": "SUCCESS",
        "details": {"id": targets[0]},
        "message": "record deleted",
        "status": "success",
    }
    assert results[2]["message"] == "record not deleted"
    assert emulator.crm("GET", f"Accounts/{targets[0]}").status_code == 204
    remaining = first_ids(emulator, "Accounts", 5)
    assert not set(targets) & set(remaining)
    deleted = emulator.crm("GET", "Accounts/deleted", params={"type": "recycle"}).json()["data"]
    assert set(targets) == {entry["id"] for entry in deleted[:2]}  # newest deletions first
    entry = next(e for e in deleted if e["id"] == targets[0])
    assert entry["type"] == "recycle"
    assert entry["deleted_by"]["id"]
    again = emulator.crm("DELETE", f"Accounts/{targets[0]}")
    assert again.status_code == 400
    assert again.json()["data"][0]["message"] == "record not deleted"
    too_many = emulator.crm("DELETE", "Accounts", params={"ids": ",".join(["1"] * 101)})
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"


def test_deleted_records_types_and_since(emulator: Emulator) -> None:
    everything = emulator.crm("GET", "Leads/deleted").json()
    kinds = {entry["type"] for entry in everything["data"]}
    assert kinds == {"recycle", "permanent"}
    permanent = emulator.crm("GET", "Leads/deleted", params={"type": "permanent"}).json()["data"]
    assert all(
        e["deleted_by"] is None and e["display_name"] is None and e["created_by"] is None
        for e in permanent
    )
    times = [dt.datetime.fromisoformat(e["deleted_time"]) for e in everything["data"]]
    assert times == sorted(times, reverse=True)
    bad = emulator.crm("GET", "Leads/deleted", params={"type": "gone"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "PATTERN_NOT_MATCHED"
    seeded_ids = {e["id"] for e in everything["data"]}
    assert all(emulator.crm("GET", f"Leads/{i}").status_code == 204 for i in list(seeded_ids)[:3])
    target = first_ids(emulator, "Leads", 1)[0]
    since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    emulator.crm("DELETE", f"Leads/{target}")
    recent = emulator.crm(
        "GET", "Leads/deleted", headers={"If-Modified-Since": since.isoformat()}
    ).json()["data"]
    assert [e["id"] for e in recent] == [target]
    nothing = emulator.crm(
        "GET",
        "Leads/deleted",
        headers={"If-Modified-Since": (since + dt.timedelta(days=1)).isoformat()},
    )
    assert nothing.status_code == 304


def test_reset_restores_seeded_data(emulator: Emulator) -> None:
    target = first_ids(emulator, "Leads", 1)[0]
    emulator.crm("DELETE", f"Leads/{target}")
    assert emulator.crm("GET", f"Leads/{target}").status_code == 204
    emulator.reset()
    assert emulator.crm("GET", f"Leads/{target}").status_code == 200


def test_subform_rows_are_replaced_and_links_added(emulator: Emulator) -> None:
    visits = emulator.crm("GET", "Service_Visits", params={"fields": "Name"}).json()["data"]
    target = visits[0]["id"]
    before = emulator.crm("GET", f"Service_Visits/{target}").json()["data"][0]
    already = {link["Linked_Account"]["id"] for link in before["Related_Accounts"]}
    account = next(a for a in first_ids(emulator, "Accounts", 10) if a not in already)
    payload = {
        "id": target,
        "Visit_Items": [{"Item_Name": "Nouveau", "Quantity": 2, "Unit_Price": 5.0}],
        "Related_Accounts": [{"Linked_Account": {"id": account}}],
    }
    for _ in range(2):  # the second time, the account is linked already: it stays once
        response = emulator.crm("PUT", "Service_Visits", json={"data": [payload]})
        assert response.json()["data"][0]["code"] == "SUCCESS"
    after = emulator.crm("GET", f"Service_Visits/{target}").json()["data"][0]
    assert [row["Item_Name"] for row in after["Visit_Items"]] == ["Nouveau"]
    linked = [link["Linked_Account"]["id"] for link in after["Related_Accounts"]]
    assert linked[-1] == account
    assert len(linked) == len(before["Related_Accounts"]) + 1


def test_an_update_keeps_the_rows_sent_by_id_adds_the_new_and_deletes_the_rest(
    emulator: Emulator,
) -> None:
    product = emulator.crm("POST", "Products", json={"data": [{"Product_Name": "Filtre"}]})
    product_id = product.json()["data"][0]["details"]["id"]
    three = [{"Item_Name": f"Item {n}", "Quantity": n} for n in (1, 2, 3)]
    created = emulator.crm(
        "POST", "Service_Visits", json={"data": [{"Name": "V", "Visit_Items": three}]}
    )
    visit = created.json()["data"][0]["details"]["id"]
    rows = emulator.crm("GET", f"Service_Visits/{visit}").json()["data"][0]["Visit_Items"]
    assert [row["Item_Name"] for row in rows] == ["Item 1", "Item 2", "Item 3"]
    update = [
        {"id": rows[2]["id"], "Quantity": 30, "Product": {"id": product_id}},
        {"Item_Name": "Item 4"},
        {"id": rows[0]["id"]},
    ]
    response = emulator.crm(
        "PUT", "Service_Visits", json={"data": [{"id": visit, "Visit_Items": update}]}
    )
    assert response.json()["data"][0]["code"] == "SUCCESS"
    after = emulator.crm("GET", f"Service_Visits/{visit}").json()["data"][0]["Visit_Items"]
    # In the order sent: row 3 updated, a new row, row 1 as it was; row 2 not sent, deleted.
    assert [(row["Item_Name"], row["Quantity"]) for row in after] == [
        ("Item 3", 30),
        ("Item 4", None),
        ("Item 1", 1),
    ]
    assert [after[0]["id"], after[2]["id"]] == [rows[2]["id"], rows[0]["id"]]
    assert after[1]["id"] not in {row["id"] for row in rows}
    assert after[0]["Product"] == {"name": "Filtre", "id": product_id}
    assert all(row["Parent_Id"]["id"] == visit for row in after)


def test_a_row_id_or_a_row_lookup_of_no_such_record_is_refused_with_its_path(
    emulator: Emulator,
) -> None:
    visits = emulator.crm("GET", "Service_Visits", params={"fields": "Name"}).json()["data"]
    first, second = (
        emulator.crm("GET", f"Service_Visits/{v['id']}").json()["data"][0] for v in visits[:2]
    )
    other_row = next(row for row in second["Visit_Items"] or [{"id": "1"}])
    stranger = {"id": first["id"], "Visit_Items": [{"id": other_row["id"], "Quantity": 1}]}
    lost = {"id": first["id"], "Visit_Items": [{"Item_Name": "x"}, {"Product": {"id": "123"}}]}
    response = emulator.crm("PUT", "Service_Visits", json={"data": [stranger, lost]})
    results = response.json()["data"]
    assert [r["code"] for r in results] == ["INVALID_DATA", "INVALID_DATA"]
    assert results[0]["details"]["json_path"] == "$.data[0].Visit_Items[0].id"
    assert results[1]["details"]["json_path"] == "$.data[1].Visit_Items[1].Product"
    after = emulator.crm("GET", f"Service_Visits/{first['id']}").json()["data"][0]
    assert after["Visit_Items"] == first["Visit_Items"]


def test_a_sales_order_needs_a_line_item(emulator: Emulator) -> None:
    orders = emulator.crm("GET", "Sales_Orders", params={"fields": "Subject"}).json()["data"]
    seeded = emulator.crm("GET", f"Sales_Orders/{orders[0]['id']}").json()["data"][0]
    missing = {"api_name": "Ordered_Items", "json_path": "$.data[0].Ordered_Items"}
    # An insert, or an upsert that inserts, without line items or with none, is refused.
    for path, record in [
        ("Sales_Orders", {"Subject": "Sans lignes"}),
        ("Sales_Orders", {"Subject": "Sans lignes", "Ordered_Items": []}),
        ("Sales_Orders/upsert", {"Subject": "Sans lignes (upsert)"}),
    ]:
        (result,) = emulator.crm("POST", path, json={"data": [record]}).json()["data"]
        assert (result["code"], result["details"]) == ("MANDATORY_NOT_FOUND", missing), record
    # An update may leave the line items out, not remove them all.
    (kept,) = emulator.crm(
        "PUT", "Sales_Orders", json={"data": [{"id": seeded["id"], "Status": "Approved"}]}
    ).json()["data"]
    assert kept["code"] == "SUCCESS"
    deleted = [{"id": row["id"], "_delete": None} for row in seeded["Ordered_Items"]]
    for rows in ([], deleted):
        body = {"data": [{"id": seeded["id"], "Ordered_Items": rows}]}
        (result,) = emulator.crm("PUT", "Sales_Orders", json=body).json()["data"]
        assert (result["code"], result["details"]) == ("MANDATORY_NOT_FOUND", missing), rows
    after = emulator.crm("GET", f"Sales_Orders/{seeded['id']}").json()["data"][0]
    assert after["Ordered_Items"] == seeded["Ordered_Items"]
    assert after["Status"] == "Approved"


def test_a_line_item_needs_its_product_and_zoho_computes_the_totals(emulator: Emulator) -> None:
    orders = emulator.crm("GET", "Sales_Orders", params={"fields": "Subject"}).json()["data"]
    seeded = emulator.crm("GET", f"Sales_Orders/{orders[0]['id']}").json()["data"][0]
    product = seeded["Ordered_Items"][0]["Product_Name"]
    lines = [
        {"Product_Name": {"id": product["id"]}, "Quantity": 3, "List_Price": 2.5},
        {"Quantity": 1, "List_Price": 9.0},
    ]
    response = emulator.crm(
        "POST",
        "Sales_Orders",
        json={
            "data": [
                {"Subject": "Sans produit", "Ordered_Items": lines},
                {"Subject": "Commande", "Ordered_Items": lines[:1], "Grand_Total": 1.0},
            ]
        },
    )
    missing, added = response.json()["data"]
    assert missing["code"] == "MANDATORY_NOT_FOUND"
    assert missing["details"] == {
        "api_name": "Product_Name",
        "json_path": "$.data[0].Ordered_Items[1].Product_Name",
    }
    order = emulator.crm("GET", f"Sales_Orders/{added['details']['id']}").json()["data"][0]
    (row,) = order["Ordered_Items"]
    assert row["Product_Name"] == product
    assert (row["Quantity"], row["Total"], order["Grand_Total"]) == (3.0, 7.5, 7.5)
    assert row["Parent_Id"] == {"name": "Commande", "id": order["id"]}
    # A row sent without its product by id keeps it; one set to null is refused.
    update = [{"id": row["id"], "Quantity": 4}, {"Product_Name": product, "List_Price": 1.0}]
    response = emulator.crm(
        "PUT", "Sales_Orders", json={"data": [{"id": order["id"], "Ordered_Items": update}]}
    )
    assert response.json()["data"][0]["code"] == "SUCCESS"
    after = emulator.crm("GET", f"Sales_Orders/{order['id']}").json()["data"][0]
    assert [r["Total"] for r in after["Ordered_Items"]] == [10.0, None]
    assert after["Grand_Total"] == 10.0
    cleared = {"id": order["id"], "Ordered_Items": [{"id": row["id"], "Product_Name": None}]}
    response = emulator.crm("PUT", "Sales_Orders", json={"data": [cleared]})
    assert response.json()["data"][0]["details"]["json_path"] == (
        "$.data[0].Ordered_Items[0].Product_Name"
    )
