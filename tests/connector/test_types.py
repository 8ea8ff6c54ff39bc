"""Zoho's field types in JSON Schema and on the wire, both ways, CRM and Desk (no server)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from zoho_connector import crm_types, desk_types
from zoho_connector.formats import desk_datetime
from zoho_connector.wire import to_wire

_PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
_MOMENT = dt.datetime(2024, 8, 16, 14, 32, 23, 456000, tzinfo=_PLUS_TWO)

# -- CRM ------------------------------------------------------------------------------------

_STRING = {"type": ["string", "null"]}
_NUMBER = {"type": ["number", "null"]}
_OBJECTS = {
    "type": ["array", "null"],
    "items": {"type": ["object", "null"], "additionalProperties": True},
}
_LOOKUP = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}


def _crm(data_type: str, json_type: str | None = None, **more: Any) -> dict[str, Any]:
    return {"api_name": "Field", "data_type": data_type, "json_type": json_type, **more}


#: Per CRM data type: its JSON Schema, a value Get Records returns and the value a write
#: sends for it (Zoho's field metadata and insert-records pages).
CRM_TYPES: list[tuple[dict[str, Any], dict[str, Any], Any, Any]] = [
    *[(_crm(t, "string"), _STRING, "x", "x") for t in ("text", "textarea", "email", "phone")],
    *[(_crm(t, "string"), _STRING, "x", "x") for t in ("website", "picklist", "autonumber")],
    (_crm("mediumtext", "string"), _STRING, "x", "x"),
    (_crm("profileimage", "string"), _STRING, "4150868000000623001", "4150868000000623001"),
    (_crm("integer", "integer"), {"type": ["integer", "null"]}, 42, 42),
    (_crm("bigint", "string"), _STRING, "0012345600012", "0012345600012"),
    (_crm("long", "string"), _STRING, 12345600012, "12345600012"),
    *[(_crm(t, "double"), _NUMBER, 250000.5, 250000.5) for t in ("double", "decimal")],
    *[(_crm(t, "double"), _NUMBER, 12.5, 12.5) for t in ("currency", "percent")],
    (_crm("boolean", "boolean"), {"type": ["boolean", "null"]}, True, True),
    (_crm("date", "string"), {**_STRING, "format": "date"}, "2024-08-16", "2024-08-16"),
    (
        _crm("datetime", "string"),
        {**_STRING, "format": "date-time"},
        "2024-08-16T14:32:23+05:30",
        "2024-08-16T14:32:23+05:30",
    ),
    (_crm("lookup", "jsonobject"), _LOOKUP, {"name": "Acme", "id": "1"}, {"id": "1"}),
    (
        _crm("ownerlookup", "jsonobject"),
        _LOOKUP,
        {"name": "Ada Ruiz", "id": "2", "email": "ada@example.test"},
        {"id": "2"},
    ),
    *[
        (_crm(t, "jsonobject"), _LOOKUP, {"name": "n", "id": "3"}, {"id": "3"})
        for t in ("userlookup", "multi_module_lookup", "layout", "consent_lookup", "module")
    ],
    (
        _crm("multiselectpicklist", "jsonarray"),
        {"type": ["array", "null"], "items": _STRING},
        ["Korean", "Spanish"],
        ["Korean", "Spanish"],
    ),
    (
        _crm("subform", "jsonarray"),
        _OBJECTS,
        [
            {
                "id": "7",
                "Parent_Id": {"name": "p", "id": "1"},
                "Created_Time": "2024-08-16T14:32:23+05:30",
                "$in_merge": False,
                "Product": {"name": "Widget", "id": "9"},
                "Quantity": 2,
            }
        ],
        [{"id": "7", "Product": {"id": "9"}, "Quantity": 2}],
    ),
    (
        # A linking row's id is Zoho's (it names the link only to remove it): not written.
        _crm("multiselectlookup", "jsonarray"),
        _OBJECTS,
        [{"id": "5", "Linked_Account": {"name": "Acme", "id": "3"}}],
        [{"Linked_Account": {"id": "3"}}],
    ),
    *[
        (_crm(t, "jsonarray"), _OBJECTS, [{"id": "5"}], [{"id": "5"}])
        for t in ("multiuserlookup", "fileupload", "imageupload")
    ],
    *[
        (_crm(t, "jsonarray"), _OBJECTS, [{"id": "5"}], [{"id": "5"}])
        for t in ("territories", "multireminder", "linetax")
    ],
    (
        _crm("text", "jsonarray"),
        _OBJECTS,
        [{"name": "vip", "id": "8"}],
        [{"name": "vip", "id": "8"}],
    ),
    (
        _crm("formula", "double", formula={"return_type": "currency"}),
        _NUMBER,
        99.5,
        99.5,
    ),
    (
        _crm("rollup_summary", "string", rollup_summary={"return_type": "date"}),
        {**_STRING, "format": "date"},
        "2024-08-16",
        "2024-08-16",
    ),
    (_crm("some_new_type", "jsonobject"), _LOOKUP, {"id": "4"}, {"id": "4"}),
    (
        _crm("some_new_type"),
        {"type": ["string", "number", "integer", "boolean", "object", "array", "null"]},
        {"a": [1]},
        {"a": [1]},
    ),
]


@pytest.mark.parametrize(("field", "schema", "read", "written"), CRM_TYPES)
def test_each_crm_type_has_its_schema_and_is_written_as_zoho_takes_it(
    field: dict[str, Any], schema: dict[str, Any], read: Any, written: Any
) -> None:
    assert crm_types.schema(field) == schema
    assert crm_types.wire_value(field, read) == written
    assert crm_types.wire_value(field, None) is None


def test_a_crm_schema_is_a_copy() -> None:
    crm_types.schema(_crm("text"))["format"] = "email"
    assert crm_types.schema(_crm("text")) == _STRING


@pytest.mark.parametrize(
    ("field", "cell", "value"),
    [
        (_crm("text", "string"), "x", "x"),
        (_crm("text", "string"), "", None),
        (_crm("integer", "integer"), "42", 42),
        (_crm("integer", "integer"), "", None),
        (_crm("bigint", "string"), "0012345600012", "0012345600012"),
        (_crm("currency", "double"), "250000.5", 250000.5),
        (_crm("double", "double"), "", None),
        (_crm("boolean", "boolean"), "TRUE", True),
        (_crm("boolean", "boolean"), "false", False),
        (_crm("boolean", "boolean"), "", None),
        (_crm("date", "string"), "2024-08-16", "2024-08-16"),
        (_crm("datetime", "string"), "2024-08-16T14:32:23+05:30", "2024-08-16T14:32:23+05:30"),
        (_crm("multiselectpicklist", "jsonarray"), "Korean;Spanish", ["Korean", "Spanish"]),
        (_crm("multiselectpicklist", "jsonarray"), "", []),
        (_crm("lookup", "jsonobject"), "4150868000000623001", "4150868000000623001"),
        (_crm("formula", "double", formula={"return_type": "integer"}), "7", 7),
        ({}, "a column no field names", "a column no field names"),
    ],
)
def test_a_bulk_read_cell_is_read_as_get_records_gives_it(
    field: dict[str, Any], cell: str, value: Any
) -> None:
    assert crm_types.cell_reader(field)(cell) == value


@pytest.mark.parametrize(
    ("field", "cell", "error"),
    [
        (_crm("integer", "integer"), "4.5", ValueError),
        (_crm("double", "double"), "lots", ValueError),
        (_crm("boolean", "boolean"), "maybe", KeyError),
    ],
)
def test_a_bulk_read_cell_its_field_cannot_hold_is_refused(
    field: dict[str, Any], cell: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        crm_types.cell_reader(field)(cell)


@pytest.mark.parametrize(
    ("field", "value", "written"),
    [
        (_crm("lookup", "jsonobject"), "1", {"id": "1"}),
        (_crm("lookup", "jsonobject"), 1, {"id": "1"}),
        (_crm("lookup", "jsonobject"), {"id": ""}, None),
        (_crm("lookup", "jsonobject"), {"name": "no id"}, None),
        (_crm("date", "string"), dt.date(2024, 2, 29), "2024-02-29"),
        (_crm("date", "string"), _MOMENT, "2024-08-16"),
        (_crm("date", "string"), "2024-08-16T23:00:00-08:00", "2024-08-16"),
        (_crm("datetime", "string"), _MOMENT, "2024-08-16T14:32:23+02:00"),
        (_crm("datetime", "string"), "2024-08-16T12:32:23Z", "2024-08-16T12:32:23+00:00"),
        (_crm("bigint", "string"), 12345600012, "12345600012"),
        (_crm("currency", "double"), Decimal("12.50"), 12.5),
        (_crm("integer", "integer"), Decimal(3), 3),
        (_crm("subform", "jsonarray"), ["not a row"], ["not a row"]),
        (
            _crm("subform", "jsonarray"),
            [{"Due": dt.date(2024, 1, 2), "Modified_By": {"id": "1"}, "Price": Decimal("1.5")}],
            [{"Due": "2024-01-02", "Price": 1.5}],
        ),
    ],
)
def test_python_values_are_written_in_crm_formats(
    field: dict[str, Any], value: Any, written: Any
) -> None:
    assert crm_types.wire_value(field, value) == written


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        (_crm("datetime", "string"), "next week", "datetime"),
        (_crm("date", "string"), 20240816, "date"),
        (_crm("subform", "jsonarray"), 5, "objects"),
    ],
)
def test_a_value_unfit_for_its_crm_field_is_refused_naming_the_kind(
    field: dict[str, Any], value: Any, kind: str
) -> None:
    with pytest.raises(ValueError, match=f"is not a {kind}"):
        crm_types.wire_value(field, value)


# -- Desk -----------------------------------------------------------------------------------


def _desk(type_: str, **more: Any) -> dict[str, Any]:
    return {"apiName": "field", "type": type_, **more}


#: Per Desk metadata type: its JSON Schema, the text Desk sends, the value read and the text
#: a write sends for that value (Desk's Fields section and its records' shapes).
DESK_TYPES: list[tuple[str, dict[str, Any], Any, Any, str]] = [
    ("Number", {"type": ["integer", "null"]}, "42", 42, "42"),
    ("Decimal", _NUMBER, "12.5", 12.5, "12.5"),
    ("Percent", _NUMBER, "5.0", 5.0, "5.0"),
    ("Currency", _NUMBER, "1999.99", 1999.99, "1999.99"),
    ("Boolean", {"type": ["boolean", "null"]}, "true", True, "true"),
    ("Boolean", {"type": ["boolean", "null"]}, False, False, "false"),
    ("Date", {**_STRING, "format": "date"}, "2024-08-16", "2024-08-16", "2024-08-16"),
    (
        "DateTime",
        {**_STRING, "format": "date-time"},
        "2024-08-16T12:32:23.456Z",
        "2024-08-16T12:32:23.456Z",
        "2024-08-16T12:32:23.456Z",
    ),
    *[(t, _STRING, "x", "x", "x") for t in ("Text", "Textarea", "Email", "Phone", "URL")],
    *[(t, _STRING, "x", "x", "x") for t in ("Picklist", "Multiselect", "LookUp", "Other")],
]


@pytest.mark.parametrize(("type_", "schema", "sent", "read", "written"), DESK_TYPES)
def test_each_desk_type_has_its_schema_and_goes_both_ways(
    type_: str, schema: dict[str, Any], sent: Any, read: Any, written: str
) -> None:
    field = _desk(type_)
    assert desk_types.schema(field) == schema
    assert desk_types.from_wire(sent, schema) == read
    assert desk_types.custom_wire_value(read) == written
    assert desk_types.from_wire(written, schema) == read
    assert desk_types.from_wire(None, schema) is None
    assert desk_types.from_wire("", schema) is None


def test_a_desk_schema_is_a_copy() -> None:
    desk_types.schema(_desk("Number"))["format"] = "int64"
    assert desk_types.schema(_desk("Number")) == {"type": ["integer", "null"]}


@pytest.mark.parametrize(
    ("value", "schema", "read"),
    [
        (5, desk_types.STRING, "5"),
        ("FALSE", desk_types.BOOLEAN, False),
        ({"id": "1"}, desk_types.OBJECT, {"id": "1"}),
        (["a"], desk_types.STRINGS, ["a"]),
    ],
)
def test_desk_values_are_read_in_their_schema_type(
    value: Any, schema: dict[str, Any], read: Any
) -> None:
    assert desk_types.from_wire(value, schema) == read


@pytest.mark.parametrize(
    ("value", "schema"),
    [("maybe", desk_types.BOOLEAN), ("4.5", {"type": ["integer"]}), ("n/a", _NUMBER)],
)
def test_a_desk_value_not_of_its_type_is_refused(value: Any, schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        desk_types.from_wire(value, schema)


def test_a_desk_record_is_projected_onto_its_schema_nested_objects_too() -> None:
    schema = {
        "properties": {
            "id": desk_types.STRING,
            "threadCount": {"type": ["integer", "null"]},
            "source": desk_types.OBJECT,
            "cf": {"type": ["object", "null"], "properties": {"cf_vip": desk_types.BOOLEAN}},
        }
    }
    row = {
        "id": 1,
        "threadCount": "3",
        "source": {"type": "EMAIL", "extra": 1},
        "cf": {"cf_vip": "true", "cf_gone": "x"},
        "webUrl": "https://desk.example.test/1",
    }
    assert desk_types.project(row, schema) == {
        "id": "1",
        "threadCount": 3,
        "source": {"type": "EMAIL", "extra": 1},
        "cf": {"cf_vip": True},
    }


def test_a_desk_record_with_a_value_unfit_for_its_type_names_record_and_field() -> None:
    schema = {"properties": {"id": desk_types.STRING, "threadCount": {"type": ["integer"]}}}
    with pytest.raises(ValueError, match=r"^record 7: field threadCount = 'many': "):
        desk_types.project({"id": "7", "threadCount": "many"}, schema)


@pytest.mark.parametrize(
    ("field", "value", "written"),
    [
        (_desk("Text"), "x", "x"),
        (_desk("Number"), 30, "30"),
        (_desk("Decimal"), 2.5, "2.5"),
        (_desk("Boolean"), True, "true"),
        (_desk("Date"), dt.date(2024, 2, 29), "2024-02-29"),
        (_desk("DateTime"), _MOMENT, "2024-08-16T12:32:23.456Z"),
        (_desk("Text"), None, None),
        (_desk("LookUp"), 4417000000321011, 4417000000321011),
        (_desk("LookUp"), _MOMENT, "2024-08-16T12:32:23.456Z"),
        (_desk("Multiselect"), ["a", "b"], ["a", "b"]),
        (
            _desk("Text"),
            {"at": _MOMENT, "n": Decimal(2)},
            {"at": "2024-08-16T12:32:23.456Z", "n": 2},
        ),
    ],
)
def test_python_values_are_written_as_desk_takes_them(
    field: dict[str, Any], value: Any, written: Any
) -> None:
    assert desk_types.wire_value(field, value) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, None),
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (Decimal("1.50"), "1.50"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (_MOMENT, "2024-08-16T12:32:23.456Z"),
    ],
)
def test_desk_custom_field_values_are_written_as_text(value: Any, written: str | None) -> None:
    assert desk_types.custom_wire_value(value) == written


# -- the last step of every write -----------------------------------------------------------


def test_to_wire_makes_python_values_json_in_each_products_datetime_form() -> None:
    values = {
        "at": _MOMENT,
        "day": dt.date(2024, 2, 29),
        "time": dt.time(9, 30, 15, 999),
        "whole": Decimal("3.00"),
        "part": Decimal("12.50"),
        "rows": ({"at": _MOMENT}, 1, "x", None, True),
    }
    assert to_wire(values) == {
        "at": "2024-08-16T14:32:23+02:00",
        "day": "2024-02-29",
        "time": "09:30:15",
        "whole": 3,
        "part": 12.5,
        "rows": [{"at": "2024-08-16T14:32:23+02:00"}, 1, "x", None, True],
    }
    assert to_wire(values, desk_datetime)["rows"][0] == {"at": "2024-08-16T12:32:23.456Z"}
