"""Subforms and multi-select lookups written with their record: tap-zoho piped into
target-zoho, from one emulated org into an empty one, then updates replacing and merging rows.
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
    """An org whose visits' rows point at its products, some visits linked to accounts."""
    with running_emulator("--records", "40", "--concurrency", "0") as emulator:
        names = ("Filtre", "Pompe", "Joint")
        created = emulator.crm(
            "POST", "Products", json={"data": [{"Product_Name": name} for name in names]}
        ).json()["data"]
        products = [result["details"]["id"] for result in created]
        updates = []
        for number, visit in enumerate(visits(emulator)):
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


def visits(emulator: Emulator) -> list[dict[str, Any]]:
    """Every visit with its subform rows and links (a single-record read each)."""
    ids = [
        row["id"] for row in coql(emulator, "select id from Service_Visits where id is not null")
    ]
    return [emulator.crm("GET", f"Service_Visits/{i}").json()["data"][0] for i in ids]


def copy(source: Emulator, destination: Emulator, workdir: Path) -> str:
    """``tap-zoho | target-zoho`` of accounts, contacts, products and visits with their
    subforms and multi-select lookups selected; the target's stderr.
    """
    workdir.mkdir()
    streams = ("crm_accounts", "crm_contacts", "crm_products", "crm_service_visits")
    catalog = catalog_of(source, workdir, *streams, bound=())
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"][-1:] in (["Visit_Items"], ["Related_Accounts"]):
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
    return target.stderr


def comparable(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A subform row without what Zoho sets, its product named."""
    kept = {k: v for k, v in row.items() if k not in ROW_SYSTEM and not k.startswith("$")}
    if kept.get("Product"):
        kept["Product"] = names[kept["Product"]["id"]]
    return kept


def test_a_copy_writes_rows_and_links_pointing_at_the_copies(
    source: Emulator, destination: Emulator, tmp_path: Path
) -> None:
    stderr = copy(source, destination, tmp_path / "copy")
    assert "0 rejected" in stderr, stderr[-2000:]
    calls = destination.stats()["by_endpoint"]
    assert calls.get("POST /crm/{version}/coql", 0) <= 20, calls  # lookups by batch
    product_names = {
        **{
            p["id"]: p["Product_Name"]
            for p in coql(source, "select Product_Name from Products where id is not null")
        },
        **{
            p["id"]: p["Product_Name"]
            for p in coql(destination, "select Product_Name from Products where id is not null")
        },
    }
    account_names = {
        a["id"]: a["Account_Name"]
        for emulator in (source, destination)
        for a in coql(emulator, "select Account_Name from Accounts where id is not null")
    }
    source_ids = {
        p["id"] for p in coql(source, "select id from Products where id is not null")
    } | set(account_names) - {
        a["id"] for a in coql(destination, "select id from Accounts where id is not null")
    }
    before = {visit["Name"]: visit for visit in visits(source)}
    after = {visit["Name"]: visit for visit in visits(destination)}
    assert set(after) == set(before)
    with_products = links = 0
    for name, visit in before.items():
        copied = after[name]
        rows = [comparable(row, product_names) for row in visit["Visit_Items"] or []]
        assert [comparable(row, product_names) for row in copied["Visit_Items"] or []] == rows
        source_rows = {row["id"] for row in visit["Visit_Items"] or []}
        assert not source_rows & {row["id"] for row in copied["Visit_Items"] or []}
        for row in copied["Visit_Items"] or []:
            assert row["Parent_Id"]["id"] == copied["id"]
            with_products += row["Product"] is not None
            assert row["Product"] is None or row["Product"]["id"] not in source_ids
        linked = [link["Linked_Account"]["id"] for link in copied["Related_Accounts"] or []]
        assert not set(linked) & source_ids  # the destination's own accounts
        named = [
            account_names[link["Linked_Account"]["id"]] for link in visit["Related_Accounts"] or []
        ]
        assert sorted(account_names[account] for account in linked) == sorted(named), name
        links += len(linked)
    assert with_products >= 10
    assert links >= 10


def write_visits(
    destination: Emulator, workdir: Path, records: list[dict[str, Any]], **settings: Any
) -> Any:
    """Visits updated by id (``streams`` maps them), their rows as given."""
    workdir.mkdir()
    mapping = {"product": "crm", "module": "Service_Visits", "action": "update"}
    config = {**tap_config(destination), "streams": {"visits": mapping}, **settings}
    schema = {
        "id": {"type": "string"},
        "Name": {"type": "string"},
        "Visit_Items": ROW_SCHEMA,
        "Related_Accounts": ROW_SCHEMA,
    }
    messages = [
        schema_message("visits", schema, ["id"]),
        *(record_message("visits", r) for r in records),
    ]
    return run_target(workdir, config, messages)


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
