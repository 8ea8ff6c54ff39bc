"""What a CRM field's metadata says about its values: one reading for the tap and the target.

From ``settings/fields`` (https://www.zoho.com/crm/developer/docs/api/v7/field-meta.html): the
kind of value a field holds (each kind's JSON Schema and wire form: ``crm_types``), whether a
list call returns it, and whether a write may set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Value kinds: what JSON a field's values are and how they are written back.
TEXT, INTEGER, NUMBER, BOOLEAN, DATE, DATETIME = (
    "text",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
)
BIGINT, LOOKUP, PICKLIST_ARRAY, OBJECT_ARRAY, ANY = (
    "bigint",
    "lookup",
    "picklists",
    "objects",
    "any",
)

_BY_DATA_TYPE = {
    "text": TEXT,
    "textarea": TEXT,
    "mediumtext": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "website": TEXT,
    "picklist": TEXT,
    "autonumber": TEXT,
    "profileimage": TEXT,
    "integer": INTEGER,
    "bigint": BIGINT,
    "long": BIGINT,
    "double": NUMBER,
    "decimal": NUMBER,
    "currency": NUMBER,
    "percent": NUMBER,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATETIME,
    "lookup": LOOKUP,
    "ownerlookup": LOOKUP,
    "userlookup": LOOKUP,
    "multi_module_lookup": LOOKUP,
    "layout": LOOKUP,
    "consent_lookup": LOOKUP,
    "module": LOOKUP,
    "multiselectpicklist": PICKLIST_ARRAY,
    "subform": OBJECT_ARRAY,
    "multiselectlookup": OBJECT_ARRAY,
    "multiuserlookup": OBJECT_ARRAY,
    "fileupload": OBJECT_ARRAY,
    "imageupload": OBJECT_ARRAY,
    "territories": OBJECT_ARRAY,
    "multireminder": OBJECT_ARRAY,
    "linetax": OBJECT_ARRAY,
}
_BY_JSON_TYPE = {
    "string": TEXT,
    "integer": INTEGER,
    "double": NUMBER,
    "boolean": BOOLEAN,
    "jsonobject": LOOKUP,
    "jsonarray": OBJECT_ARRAY,
}
#: Types whose values only a single-record GET returns
#: (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html).
DETAIL_ONLY = frozenset({"subform", "multiselectlookup", "multiuserlookup"})
#: Fields Zoho sets itself, whatever their metadata says.
SYSTEM_FIELDS = frozenset(
    {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Last_Activity_Time"}
)


def kind(field: Mapping[str, Any]) -> str:
    """The value kind of a field (formulas and rollups by their return type)."""
    data_type = str(field.get("data_type", ""))
    if data_type in ("formula", "rollup_summary"):
        details = field.get(data_type) or {}
        return_type = details.get("return_type") if isinstance(details, Mapping) else None
        if return_type:
            return _BY_DATA_TYPE.get(str(return_type), TEXT)
    if field.get("json_type") == "jsonarray" and data_type == "text":
        return OBJECT_ARRAY  # Tag: a text field holding objects (Zoho's field metadata)
    found = _BY_DATA_TYPE.get(data_type)
    if found is not None:
        return found
    return _BY_JSON_TYPE.get(str(field.get("json_type", "")), ANY)


def in_lists(field: Mapping[str, Any]) -> bool:
    """Whether Get Records returns the field (subforms and multi-select lookups it does not)."""
    return field.get("data_type") not in DETAIL_ONLY


def writable(field: Mapping[str, Any]) -> bool:
    """Whether a write may set the field: not read-only, not computed, not a system field."""
    if field.get("api_name") in SYSTEM_FIELDS:
        return False
    if field.get("read_only") or field.get("field_read_only"):
        return False
    if field.get("data_type") in ("formula", "autonumber", "rollup_summary"):
        return False
    operations = field.get("operation_type")
    if isinstance(operations, Mapping) and operations:
        return bool(operations.get("api_create") or operations.get("api_update"))
    return True


#: Object-valued types COQL and Bulk Read return as ids that a reader completes to Get
#: Records' shape (module lookups by a dotted name column; users, layouts and tags from the
#: org's lists).
COMPLETABLE = frozenset({"lookup", "ownerlookup", "userlookup", "layout"})
#: The field each standard module shows as a record's name in lookups (custom modules show
#: ``Name``), as Zoho's Modules and Fields metadata pages list them.
NAME_FIELDS = {
    "Leads": "Full_Name",
    "Contacts": "Full_Name",
    "Accounts": "Account_Name",
    "Deals": "Deal_Name",
    "Products": "Product_Name",
    "Vendors": "Vendor_Name",
    "Campaigns": "Campaign_Name",
    "Price_Books": "Price_Book_Name",
    "Quotes": "Subject",
    "Sales_Orders": "Subject",
    "Purchase_Orders": "Subject",
    "Invoices": "Subject",
    "Cases": "Subject",
    "Tasks": "Subject",
    "Calls": "Subject",
    "Events": "Event_Title",
    "Solutions": "Solution_Title",
}


def lookup_module(field: Mapping[str, Any]) -> str | None:
    """The module a lookup field points at."""
    lookup = field.get("lookup")
    module = lookup.get("module") if isinstance(lookup, Mapping) else None
    name = module.get("api_name") if isinstance(module, Mapping) else None
    return str(name) if name else None


def row_module(field: Mapping[str, Any]) -> str | None:
    """The module of a subform's rows, or of a multi-select lookup's linking rows."""
    if field.get("data_type") == "subform":
        associated = field.get("associated_module")
        name = associated.get("module") if isinstance(associated, Mapping) else None
    elif field.get("data_type") == "multiselectlookup":
        details = field.get("multiselectlookup")
        linking = details.get("linking_module") if isinstance(details, Mapping) else None
        name = linking.get("api_name") if isinstance(linking, Mapping) else None
    else:
        return None
    return str(name) if name else None


def linked_lookup(field: Mapping[str, Any]) -> str | None:
    """The lookup of a multi-select lookup's linking rows to the linked record."""
    details = field.get("multiselectlookup")
    name = details.get("lookup_apiname") if isinstance(details, Mapping) else None
    return str(name) if name else None


def name_path(field: Mapping[str, Any]) -> str | None:
    """The dotted column holding a module lookup's name (``Account_Name.Account_Name``)."""
    target = lookup_module(field)
    if field.get("data_type") != "lookup" or target is None:
        return None
    return f"{field['api_name']}.{NAME_FIELDS.get(target, 'Name')}"


def is_tag(field: Mapping[str, Any]) -> bool:
    """Whether a field is the record's tags: text holding objects.

    As in the records of https://www.zoho.com/crm/developer/docs/api/v8/get-records.html.
    """
    return field.get("data_type") == "text" and field.get("json_type") == "jsonarray"


def queryable(field: Mapping[str, Any]) -> bool:
    """Whether COQL and Bulk Read return the field in a form a reader can complete.

    Scalars, multi-select picklists, tags and the completable lookups can; multi-module
    lookups (their name needs a join per module), file and image uploads and other objects
    cannot (https://www.zoho.com/crm/developer/docs/api/v8/COQL-Limitations.html).
    """
    value_kind = kind(field)
    if value_kind in (LOOKUP, OBJECT_ARRAY, ANY):
        return field.get("data_type") in COMPLETABLE or is_tag(field)
    return True


def essentials(field: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a field's metadata that says how to read its values (kept in a catalog)."""
    kept: dict[str, Any] = {
        "data_type": field.get("data_type"),
        "json_type": field.get("json_type"),
    }
    data_type = field.get("data_type")
    if data_type in ("formula", "rollup_summary") and isinstance(field.get(data_type), Mapping):
        kept[str(data_type)] = {"return_type": field[data_type].get("return_type")}
    target = lookup_module(field)
    if target is not None:
        kept["lookup"] = {"module": {"api_name": target}}
    return kept
