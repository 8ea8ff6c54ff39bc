"""Subforms (line items too) and multi-select lookups written with their record: tap-zoho
piped into target-zoho, from one emulated org into an empty one, then updates replacing and
merging rows.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import Emulator, running_emulator
from tests.singer import pipe, record_message, run_target, schema_message, tap_config, write_json
from tests.target.test_load import catalog_of, coql

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: What Zoho sets in a subform row itself: not compared between the orgs.
ROW_SYSTEM = ("id", "Parent_Id", "Created_Time", "Modified_Time")
ROW_SCHEMA = {"type": ["array", "null"], "items": {"type": "object"}}


@pytest.fixture(scope="module")
def source() -> Iterator[Emulator]:
    """An org whose visits' rows point at products it adds, some visits linked to accounts."""
    with running_emulator("--records", "40", "--concurrency", "0") as emulator:
        names = ("Filtre", "Pompe", "Joint")
        created = emulator.crm(
            "POST", "Products", json={"data": [{"Product_Name": name} for name in names]}
        ).json()["data"]
        products = [result["details"]["id"] for result in created]
        updates = []
        for number, visit in enumerate(detailed(emulator, "Service_Visits")):
            rows = [
                {"id": row["id"], "Product": {"id": products[(number + place) % 3]}}
                for place, row in enumerate(visit["Visit_Items"] or [])
            ]
            if rows:
                updates.append({"id": visit["id"], "Visit_Items": rows})
        response = emulator.crm("PUT", "Service_Visits", json={"data": updates})
        assert {result["code"] for result in response.json()["data"]} == {"SUCCESS"}
        # tap-zoho reads what changed up to a second before it starts (tap_zoho.streams).
        time.sleep(2)
        yield emulator


@pytest.fixture(scope="module")
def orders() -> Iterator[Emulator]:
    """An org of seeded sales orders, each with line items pointing at its seeded products."""
    with running_emulator("--records", "100", "--concurrency", "0") as emulator:
        yield emulator


def detailed(emulator: Emulator, module: str) -> list[dict[str, Any]]:
    """Every record of a module with its subform rows and links (a single-record read each)."""
    ids = [row["id"] for row in coql(emulator, f"select id from {module} where id is not null")]
    return [emulator.crm("GET", f"{module}/{i}").json()["data"][0] for i in ids]


def copy(source: Emulator, destination: Emulator, workdir: Path, streams: tuple[str, ...]) -> str:
    """``tap-zoho | target-zoho`` of ``streams``, their subforms and multi-select lookups
    selected; the target's stderr.
    """
    workdir.mkdir()
    catalog = catalog_of(source, workdir, *streams, bound=())
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"][-1:] in (
                ["Visit_Items"],
                ["Related_Accounts"],
                ["Ordered_Items"],
            ):
                item["metadata"]["selected"] = True
    tap = tap_config(source, include_deletes=False)
    target = pipe(
        [
            sys.executable,
            "-m",
            "tap_zoho",
            "--config",
            str(write_json(workdir / "tap.json", tap)),
            "--catalog",
            str(write_json(workdir / "catalog.json", catalog)),
        ],
        [
            sys.executable,
            "-m",
            "target_zoho",
            "--config",
            str(write_json(workdir / "t.json", tap_config(destination))),
        ],
    )
    assert target.returncode == 0, target.stderr[-3000:]
    assert "0 rejected" in target.stderr, target.stderr[-2000:]
    return target.stderr


def names_of(module: str, field: str, *orgs: Emulator) -> dict[str, str]:
    """The ``field`` (a name) of every record of ``module`` in ``orgs``, by id."""
    return {
        row["id"]: row[field]
        for org in orgs
        for row in coql(org, f"select {field} from {module} where id is not null")
    }


def ids_of(org: Emulator, module: str) -> set[str]:
    return {row["id"] for row in coql(org, f"select id from {module} where id is not null")}


def comparable(row: dict[str, Any], lookup: str, names: dict[str, str]) -> dict[str, Any]:
    """A subform row without what Zoho sets, its ``lookup`` (a product) named."""
    kept = {k: v for k, v in row.items() if k not in ROW_SYSTEM and not k.startswith("$")}
    if kept.get(lookup):
        kept[lookup] = names[kept[lookup]["id"]]
    return kept


def assert_rows_copied(
    original: dict[str, Any],
    copied: dict[str, Any],
    subform: str,
    lookup: str,
    products: dict[str, str],
    source_ids: set[str],
) -> int:
    """The copy's rows of ``subform`` are the original's, with new ids, each pointing at its
    copy and its ``lookup`` at a product of the destination; how many have a product.
    """
    rows = copied[subform] or []
    assert [comparable(row, lookup, products) for row in rows] == [
        comparable(row, lookup, products) for row in original[subform] or []
    ]
    assert not {row["id"] for row in original[subform] or []} & {row["id"] for row in rows}
    for row in rows:
        assert row["Parent_Id"]["id"] == copied["id"]
        assert row[lookup] is None or row[lookup]["id"] not in source_ids
    return sum(row[lookup] is not None for row in rows)


def test_a_copy_writes_rows_and_links_pointing_at_the_copies(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    streams = ("crm_accounts", "crm_contacts", "crm_products", "crm_service_visits")
    copy(source, destination, tmp_path / "copy", streams)
    calls = destination.stats()["by_endpoint"]
    assert calls.get("POST /crm/{version}/coql", 0) <= 20, calls  # lookups by batch
    product_names = names_of("Products", "Product_Name", source, destination)
    account_names = names_of("Accounts", "Account_Name", source, destination)
    source_ids = ids_of(source, "Products") | set(account_names) - ids_of(destination, "Accounts")
    before = {visit["Name"]: visit for visit in detailed(source, "Service_Visits")}
    after = {visit["Name"]: visit for visit in detailed(destination, "Service_Visits")}
    assert set(after) == set(before)
    with_products = links = 0
    for name, visit in before.items():
        copied = after[name]
        with_products += assert_rows_copied(
            visit, copied, "Visit_Items", "Product", product_names, source_ids
        )
        linked = [link["Linked_Account"]["id"] for link in copied["Related_Accounts"] or []]
        assert not set(linked) & source_ids  # the destination's own accounts
        named = [
            account_names[link["Linked_Account"]["id"]] for link in visit["Related_Accounts"] or []
        ]
        assert sorted(account_names[account] for account in linked) == sorted(named), name
        links += len(linked)
    assert with_products >= 10
    assert links >= 10


def test_a_copy_writes_sales_orders_with_line_items_pointing_at_the_copied_products(
    orders: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    streams = ("crm_accounts", "crm_contacts", "crm_deals", "crm_products", "crm_sales_orders")
    copy(orders, destination, tmp_path / "copy", streams)
    products = names_of("Products", "Product_Name", orders, destination)
    source_ids = ids_of(orders, "Products")
    before = {order["Subject"]: order for order in detailed(orders, "Sales_Orders")}
    # The destination's own seeded order (an empty org has one of each module sized by tenth).
    after = {order["Subject"]: order for order in detailed(destination, "Sales_Orders")}
    assert set(before) <= set(after)
    items = 0
    for subject, order in before.items():
        copied = after[subject]
        assert copied["Grand_Total"] == order["Grand_Total"] > 0, subject  # Zoho's sum
        items += assert_rows_copied(
            order, copied, "Ordered_Items", "Product_Name", products, source_ids
        )
        assert len(copied["Ordered_Items"]) >= 1
    assert items >= 10


def write(
    destination: Emulator,
    workdir: Path,
    module: str,
    schema: dict[str, Any],
    records: list[dict[str, Any]],
    action: str = "update",
    **settings: Any,
) -> Any:
    """Records written to ``module`` by ``action`` (``streams`` maps them), rows as given."""
    workdir.mkdir()
    mapping = {"product": "crm", "module": module, "action": action}
    config = {**tap_config(destination), "streams": {"records": mapping}, **settings}
    messages = [
        schema_message("records", {"id": {"type": "string"}, **schema}, ["id"]),
        *(record_message("records", r) for r in records),
    ]
    return run_target(workdir, config, messages)


def write_visits(
    destination: Emulator, workdir: Path, records: list[dict[str, Any]], **settings: Any
) -> Any:
    """Visits updated by id, their rows as given."""
    schema = {"Name": {"type": "string"}, "Visit_Items": ROW_SCHEMA, "Related_Accounts": ROW_SCHEMA}
    return write(destination, workdir, "Service_Visits", schema, records, **settings)


def items(emulator: Emulator, visit: str) -> list[dict[str, Any]]:
    return emulator.crm("GET", f"Service_Visits/{visit}").json()["data"][0]["Visit_Items"] or []


def test_an_update_replaces_the_rows_and_merge_keeps_those_left_out(
    destination: Emulator, tmp_path: Path
) -> None:
    product = destination.crm("POST", "Products", json={"data": [{"Product_Name": "Vanne"}]})
    vanne = product.json()["data"][0]["details"]["id"]
    three = [{"Item_Name": f"Item {n}", "Quantity": n} for n in (1, 2, 3)]
    created = destination.crm(
        "POST", "Service_Visits", json={"data": [{"Name": "Visite", "Visit_Items": three}]}
    )
    visit = created.json()["data"][0]["details"]["id"]
    rows = items(destination, visit)

    # Replace (the default): the row sent by id is updated, the new one added, the rest deleted.
    replaced = [
        {"id": rows[1]["id"], "Quantity": 20, "Product": {"id": "elsewhere", "name": "Vanne"}},
        {"Item_Name": "Item 4"},
    ]
    run = write_visits(destination, tmp_path / "replace", [{"id": visit, "Visit_Items": replaced}])
    assert run.returncode == 0, run.stderr[-2000:]
    after = items(destination, visit)
    assert [(row["Item_Name"], row["Quantity"]) for row in after] == [
        ("Item 2", 20),
        ("Item 4", None),
    ]
    assert after[0]["id"] == rows[1]["id"]
    assert after[0]["Product"]["id"] == vanne  # matched by the product's name

    # Merge: the rows left out stay, by their ids.
    merged = [{"id": after[1]["id"], "Quantity": 4}, {"Item_Name": "Item 5"}]
    gets = destination.stats()["by_endpoint"].get("GET /crm/{version}/{module}/{record_id}", 0)
    run = write_visits(
        destination, tmp_path / "merge", [{"id": visit, "Visit_Items": merged}], subforms="merge"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert destination.stats()["by_endpoint"]["GET /crm/{version}/{module}/{record_id}"] == gets + 1
    final = items(destination, visit)
    assert [(row["Item_Name"], row["Quantity"]) for row in final] == [
        ("Item 4", 4),
        ("Item 5", None),
        ("Item 2", 20),
    ]
    assert final[2] == {**after[0], "Modified_Time": final[2]["Modified_Time"]}


def test_a_row_lookup_matching_nothing_is_a_reject_naming_its_path_or_is_dropped(
    destination: Emulator, tmp_path: Path
) -> None:
    created = destination.crm(
        "POST",
        "Service_Visits",
        json={"data": [{"Name": "Visite", "Visit_Items": [{"Item_Name": "a"}]}]},
    )
    visit = created.json()["data"][0]["details"]["id"]
    rows = [
        {"Item_Name": "a"},
        {"Item_Name": "b"},
        {"Item_Name": "c", "Product": {"id": "9", "name": "Nulle part"}},
    ]
    rejects = tmp_path / "rejects.jsonl"
    run = write_visits(
        destination,
        tmp_path / "reject",
        [{"id": visit, "Visit_Items": rows}],
        rejects_path=str(rejects),
    )
    assert run.returncode != 0
    assert "field Visit_Items[2].Product: LOOKUP_NOT_FOUND" in run.stderr
    assert "Product_Name = 'Nulle part'" in run.stderr
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["details"] == {"field": "Visit_Items[2].Product"}
    assert [row["Item_Name"] for row in items(destination, visit)] == ["a"]  # not written

    run = write_visits(
        destination,
        tmp_path / "drop",
        [{"id": visit, "Visit_Items": rows}],
        unresolved_lookups="drop",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1 lookup matched nothing in the destination and was left out" in run.stderr
    written = items(destination, visit)
    assert [(row["Item_Name"], row["Product"]) for row in written] == [
        ("a", None),
        ("b", None),
        ("c", None),
    ]


def test_a_line_item_whose_product_matches_nothing_rejects_its_order(
    destination: Emulator, tmp_path: Path
) -> None:
    product = destination.crm("POST", "Products", json={"data": [{"Product_Name": "Vanne"}]})
    vanne = product.json()["data"][0]["details"]["id"]
    existing = ids_of(destination, "Sales_Orders")
    lines = [
        {"Product_Name": {"id": "8", "name": "Vanne"}, "Quantity": 2.0, "List_Price": 10.0},
        {"Product_Name": {"id": "9", "name": "Nulle part"}, "Quantity": 1.0},
    ]
    rejects = tmp_path / "rejects.jsonl"
    schema = {"Subject": {"type": "string"}, "Ordered_Items": ROW_SCHEMA}
    records = [
        {"id": "1", "Subject": "Commande perdue", "Ordered_Items": lines},
        {"id": "2", "Subject": "Commande", "Ordered_Items": lines[:1]},
    ]
    run = write(
        destination,
        tmp_path / "w",
        "Sales_Orders",
        schema,
        records,
        "create",
        rejects_path=str(rejects),
    )
    assert run.returncode != 0
    assert "field Ordered_Items[1].Product_Name: LOOKUP_NOT_FOUND" in run.stderr
    assert "Product_Name = 'Nulle part'" in run.stderr
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["details"] == {"field": "Ordered_Items[1].Product_Name"}
    (written,) = ids_of(destination, "Sales_Orders") - existing  # the other order only
    order = destination.crm("GET", f"Sales_Orders/{written}").json()["data"][0]
    assert order["Subject"] == "Commande"
    assert [(row["Product_Name"]["id"], row["Total"]) for row in order["Ordered_Items"]] == [
        (vanne, 20.0)
    ]
    assert order["Grand_Total"] == 20.0


def test_merge_is_refused_where_records_are_not_matched_by_id(
    destination: Emulator, tmp_path: Path
) -> None:
    tmp_path.mkdir(exist_ok=True)
    config = {**tap_config(destination), "subforms": "merge"}
    schema = {"id": {"type": "string"}, "Name": {"type": "string"}, "Visit_Items": ROW_SCHEMA}
    messages = [
        schema_message("crm_service_visits", schema, ["id"]),
        record_message("crm_service_visits", {"id": "1", "Name": "V", "Visit_Items": []}),
    ]
    run = run_target(tmp_path, config, messages)
    assert run.returncode != 0
    assert "subforms: merge keeps the rows of the record an update names by id" in run.stderr
    assert destination.stats()["by_endpoint"].get("POST /crm/{version}/{module}/upsert") is None


def test_a_link_to_no_record_of_the_destination_is_a_reject_or_its_row_is_dropped(
    destination: Emulator, tmp_path: Path
) -> None:
    account = destination.crm("POST", "Accounts", json={"data": [{"Account_Name": "Kiwi"}]})
    kiwi = account.json()["data"][0]["details"]["id"]
    created = destination.crm("POST", "Service_Visits", json={"data": [{"Name": "Visite"}]})
    visit = created.json()["data"][0]["details"]["id"]
    links = [
        {"id": "1", "Linked_Account": {"id": "8", "name": "Nowhere Ltd"}},
        {"id": "2", "Linked_Account": {"id": "9", "name": "Kiwi"}},
    ]
    run = write_visits(destination, tmp_path / "reject", [{"id": visit, "Related_Accounts": links}])
    assert run.returncode != 0
    assert "field Related_Accounts[0].Linked_Account: LOOKUP_NOT_FOUND" in run.stderr
    assert "Account_Name = 'Nowhere Ltd'" in run.stderr

    run = write_visits(
        destination,
        tmp_path / "drop",
        [{"id": visit, "Related_Accounts": links}],
        unresolved_lookups="drop",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    record = destination.crm("GET", f"Service_Visits/{visit}").json()["data"][0]
    assert [link["Linked_Account"]["id"] for link in record["Related_Accounts"]] == [kiwi]
