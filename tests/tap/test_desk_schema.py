"""Desk schemas: the keys every record carries, whatever Desk's field metadata lists."""

from __future__ import annotations

import pytest

from tap_zoho.desk_schema import SYSTEM_KEYS, module_schema


@pytest.mark.parametrize("module", sorted(SYSTEM_KEYS))
def test_a_field_list_without_system_keys_still_gives_them(module: str) -> None:
    properties = module_schema(module, [])["properties"]
    assert properties["id"] == {"type": ["string", "null"]}
    assert properties["modifiedTime"]["format"] == "date-time"  # the replication key
    assert properties["createdTime"]["format"] == "date-time"
    assert any(name.endswith("Id") and name != "id" for name in properties)


def test_a_listed_field_keeps_its_own_type() -> None:
    listed = [{"apiName": "modifiedTime", "type": "Date"}, {"apiName": "accountId"}]
    properties = module_schema("tickets", listed)["properties"]
    assert properties["modifiedTime"] == {"type": ["string", "null"], "format": "date"}
    assert properties["contactId"] == {"type": ["string", "null"]}
