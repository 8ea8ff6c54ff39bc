"""Layouts and tags metadata, and the Layout, Tag and multi-select values records carry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator.test_crm_read import read_all
from tests.server import running_emulator

if TYPE_CHECKING:
    from tests.server import Emulator

TAGGED_MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Service_Visits", "Tasks")
#: Multi-select picklists of the emulated org, by module.
MULTI_SELECT = {
    "Leads": ["Preferred_Languages"],
    "Service_Visits": ["Services", "Multi_01", "Multi_02", "Multi_03", "Multi_04"],
}


def layouts(emulator: Emulator, module: str) -> list[dict[str, Any]]:
    response = emulator.crm("GET", "settings/layouts", params={"module": module})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["layouts"]
    return found


def tags(emulator: Emulator, module: str) -> dict[str, Any]:
    response = emulator.crm("GET", "settings/tags", params={"module": module})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def coql_rows(emulator: Emulator, text: str) -> list[dict[str, Any]]:
    response = emulator.crm("POST", "coql", json={"select_query": text})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


@pytest.mark.parametrize("module", TAGGED_MODULES)
def test_the_one_layout_is_the_one_records_name(emulator: Emulator, module: str) -> None:
    (layout,) = layouts(emulator, module)
    assert {"name": "Standard", "status": "active", "visible": True}.items() <= layout.items()
    for key in ("created_time", "modified_time", "created_by", "modified_by", "profiles"):
        assert layout[key], key
    assert {profile["name"] for profile in layout["profiles"]} == {"Administrator", "Standard"}
    records = emulator.crm("GET", module, params={"fields": "Layout", "per_page": "200"})
    values = {tuple(row["Layout"].items()) for row in records.json()["data"]}
    assert values == {(("name", layout["name"]), ("id", layout["id"]))}


def test_layouts_charge_a_credit_and_check_the_module(emulator: Emulator) -> None:
    before = emulator.stats()["credits"]
    assert layouts(emulator, "service_visits") == layouts(emulator, "Service_Visits")
    assert emulator.stats()["credits"] - before == 2
    for path in ("settings/layouts", "settings/tags"):
        missing = emulator.crm("GET", path)
        assert missing.status_code == 400
        assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"
        assert missing.json()["details"] == {"param_name": "module"}
        for name in ("Nope", "Home"):
            unknown = emulator.crm("GET", path, params={"module": name})
            assert unknown.status_code == 400
            assert unknown.json()["code"] == "INVALID_MODULE"


@pytest.mark.parametrize("module", TAGGED_MODULES)
def test_tags_list_every_tag_records_carry(emulator: Emulator, module: str) -> None:
    body = tags(emulator, module)
    listed = {tag["id"]: tag for tag in body["tags"]}
    assert body["info"] == {"count": len(listed), "allowed_count": 100}
    assert len(listed) == 3
    for tag in listed.values():
        assert set(tag) == {
            "id",
            "name",
            "color_code",
            "created_time",
            "modified_time",
            "created_by",
            "modified_by",
        }
        assert set(tag["created_by"]) == set(tag["modified_by"]) == {"name", "id"}
    records, _ = read_all(emulator, module, "Tag", per_page="200")
    seen = [tag for record in records for tag in record["Tag"]]
    assert all(record["Tag"] is not None for record in records)
    assert {tag["id"] for tag in seen} == set(listed)
    for tag in seen:
        assert tag == {key: listed[tag["id"]][key] for key in ("name", "id", "color_code")}


def test_a_module_without_tags_lists_none(emulator: Emulator) -> None:
    assert tags(emulator, "Price_Tiers") == {"tags": [], "info": {"count": 0, "allowed_count": 100}}


def test_layouts_and_tags_need_their_scopes() -> None:
    scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.layouts.READ"
    with running_emulator("--records", "10", "--scopes", scopes) as server:
        assert layouts(server, "Leads")
        refused = server.crm("GET", "settings/tags", params={"module": "Leads"})
        assert refused.status_code == 401
        assert refused.json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_coql_reads_layout_as_an_id_and_tags_without_colors(emulator: Emulator) -> None:
    (layout,) = layouts(emulator, "Contacts")
    listed = {tag["id"]: tag for tag in tags(emulator, "Contacts")["tags"]}
    rows = coql_rows(
        emulator,
        "select Layout, Tag from Contacts where id is not null order by id desc limit 200",
    )
    records = emulator.crm("GET", "Contacts", params={"fields": "Tag", "per_page": "200"})
    tags_by_id = {record["id"]: record["Tag"] for record in records.json()["data"]}
    assert [row["id"] for row in rows] == list(tags_by_id)
    assert all(row["Layout"] == {"id": layout["id"]} for row in rows)
    assert any(row["Tag"] for row in rows)
    for row in rows:
        assert row["Tag"] == [
            {"name": tag["name"], "id": tag["id"]} for tag in tags_by_id[row["id"]]
        ]
        assert all(listed[tag["id"]]["name"] == tag["name"] for tag in row["Tag"])


@pytest.mark.parametrize("module", sorted(MULTI_SELECT))
def test_empty_multi_select_picklists_read_as_empty_lists(emulator: Emulator, module: str) -> None:
    fields = MULTI_SELECT[module]
    records, _ = read_all(emulator, module, ",".join(fields), per_page="200")
    values = [record[field] for record in records for field in fields]
    assert all(isinstance(value, list) for value in values)
    assert [] in values
    empty = next(record for record in records if record[fields[0]] == [])
    single = emulator.crm("GET", f"{module}/{empty['id']}").json()["data"][0]
    assert single[fields[0]] == []
    (row,) = coql_rows(emulator, f"select {fields[0]} from {module} where id = {empty['id']}")
    assert row[fields[0]] == []


def test_multi_select_picklists_written_empty_read_as_empty_lists(emulator: Emulator) -> None:
    created = emulator.crm("POST", "Leads", json={"data": [{"Last_Name": "Sans Langue"}]})
    new_id = created.json()["data"][0]["details"]["id"]
    chosen = emulator.crm("POST", "Leads", json={"data": [{"Last_Name": "Polyglotte"}]})
    chosen_id = chosen.json()["data"][0]["details"]["id"]
    empties: tuple[Any, ...] = (None, "", [])
    for empty in empties:
        for value in (["Deutsch"], empty):
            update = {"id": chosen_id, "Preferred_Languages": value}
            assert emulator.crm("PUT", "Leads", json={"data": [update]}).status_code == 200
        single = emulator.crm("GET", f"Leads/{chosen_id}").json()["data"][0]
        assert single["Preferred_Languages"] == [], empty
    listed = emulator.crm(
        "GET", "Leads", params={"fields": "Preferred_Languages", "ids": f"{new_id},{chosen_id}"}
    )
    assert [row["Preferred_Languages"] for row in listed.json()["data"]] == [[], []]
    rows = coql_rows(
        emulator,
        f"select Preferred_Languages from Leads where id in ({new_id}, {chosen_id})",
    )
    assert [row["Preferred_Languages"] for row in rows] == [[], []]
