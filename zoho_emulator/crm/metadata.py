"""Metadata as ``settings/modules``, ``fields``, ``layouts`` and ``tags`` return it.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html and
https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html.
"""

from __future__ import annotations

from typing import Any

from zoho_emulator.crm import catalog
from zoho_emulator.crm.catalog import Field, Module
from zoho_emulator.crm.generator import TAGS, tag

_ADMIN_PROFILE = {"name": "Administrator", "id": catalog.record_id(catalog.METADATA_CODE, 200)}
_STANDARD_PROFILE = {"name": "Standard", "id": catalog.record_id(catalog.METADATA_CODE, 201)}
#: Tags a module may have (Zoho's Enterprise edition, which ``GET /org`` names).
TAG_LIMIT = 100
_UI_TYPES = {"text": 1, "textarea": 3, "picklist": 2, "email": 25, "phone": 33, "integer": 32}
_CREATED = "2023-04-12T02:08:05-07:00"
_MODIFIED_BY = {"name": "Ada Ruiz", "id": catalog.record_id(catalog.USER_MODULE_CODE, 0)}


def module_json(module: Module, sequence: int) -> dict[str, Any]:
    """One entry of ``settings/modules``."""
    data_module = module.api_supported and module.generated_type in ("default", "custom")
    return {
        "id": catalog.record_id(catalog.METADATA_CODE, module.code),
        "api_name": module.api_name,
        "module_name": module.module_name or module.api_name,
        "singular_label": module.singular,
        "plural_label": module.plural,
        "actual_singular_label": module.singular,
        "actual_plural_label": module.plural,
        "generated_type": module.generated_type,
        "api_supported": module.api_supported,
        "status": "visible" if module.generated_type in ("default", "custom") else "system_hidden",
        "visibility": 1,
        "creatable": data_module,
        "editable": data_module,
        "deletable": data_module,
        "viewable": module.generated_type in ("default", "custom"),
        "convertable": module.api_name == "Leads",
        "quick_create": data_module,
        "show_as_tab": module.generated_type in ("default", "custom"),
        "presence_sub_menu": False,
        "sub_menu_available": data_module,
        "recycle_bin_on_delete": data_module,
        "sequence_number": sequence,
        "modified_time": _CREATED,
        "modified_by": _MODIFIED_BY,
        "profiles": [_ADMIN_PROFILE],
        "has_more_profiles": False,
        "access_type": "org_based",
        "parent_module": {},
        "arguments": [],
        "web_link": None,
        "description": None,
        "business_card_field_limit": 5,
        "feeds_required": False,
        "profile_count": 1,
        "private_profile": None,
    }


def layout_json(module: Module) -> dict[str, Any]:
    """A module's one layout, as ``settings/layouts`` lists it: what records' ``Layout`` names.

    Kept to the layout's own keys: no ``sections`` (``settings/fields`` lists the fields).
    """
    return {
        **catalog.layout(module),
        "display_label": "Standard",
        "api_name": "Standard",
        "status": "active",
        "visible": True,
        "source": "crm",
        "generated_type": "default",
        "display_type": -1,
        "show_business_card": False,
        "created_time": _CREATED,
        "modified_time": _CREATED,
        "created_by": _MODIFIED_BY,
        "modified_by": _MODIFIED_BY,
        "created_for": None,
        "profiles": [
            {**profile, "default": True} for profile in (_ADMIN_PROFILE, _STANDARD_PROFILE)
        ],
        "has_more_profiles": False,
    }


def tags_json(module: Module) -> list[dict[str, Any]]:
    """The tags of a module, as ``settings/tags`` lists them, ids as records' ``Tag`` holds them.

    Every module with a ``Tag`` field has the org's tags; the others have none.
    """
    if "Tag" not in module.field_map:
        return []
    return [
        {
            **tag(number),
            "created_time": _CREATED,
            "modified_time": _CREATED,
            "created_by": _MODIFIED_BY,
            "modified_by": _MODIFIED_BY,
        }
        for number in range(len(TAGS))
    ]


def id_field_json(module: Module) -> dict[str, Any]:
    """The ``id`` entry Zoho lists among a module's fields ("Record Id", bigint).

    Not documented on Zoho's pages: we assume it, as singer-io/tap-zoho-crm, tested against live
    accounts, relies on it (https://github.com/singer-io/tap-zoho-crm).
    """
    return {
        **field_json(module, Field("id", "bigint", read_only=True)),
        "field_label": "Record Id",
        "display_label": "Record Id",
        "json_type": "string",
    }


def field_json(module: Module, field: Field) -> dict[str, Any]:
    """One entry of ``settings/fields``."""
    writable = field.writable
    entry: dict[str, Any] = {
        "id": _field_id(module, field),
        "api_name": field.api_name,
        "field_label": _label(field),
        "display_label": _label(field),
        "data_type": field.data_type,
        "json_type": field.json_type,
        "length": field.length or _default_length(field),
        "decimal_place": 2 if field.data_type in ("currency", "double", "percent") else None,
        "read_only": not writable,
        "field_read_only": field.read_only or field.data_type in catalog.COMPUTED_TYPES,
        "system_mandatory": field.mandatory,
        "custom_field": field.custom,
        "visible": True,
        "virtual_field": field.data_type in catalog.DETAIL_ONLY_TYPES,
        "type": "used",
        "ui_type": _UI_TYPES.get(field.data_type, 100),
        "display_type": -1,
        "searchable": field.data_type not in catalog.DETAIL_ONLY_TYPES,
        "sortable": field.api_name in ("Created_Time", "Modified_Time", "id"),
        "filterable": True,
        "mass_update": writable,
        "webhook": True,
        "created_source": "custom" if field.custom else "default",
        "view_type": {
            "view": not field.hidden_in_view,
            "edit": writable,
            "quick_create": field.mandatory,
            "create": writable,
        },
        "operation_type": {
            "web_update": writable,
            "api_create": writable,
            "web_create": writable,
            "api_update": writable,
        },
        "lookup": {},
        "pick_list_values": [],
        "unique": {"casesensitive": "false"} if field.unique else {},
        "crypt": None,
        "tooltip": None,
        "formula": {},
        "auto_number": {},
        "multiselectlookup": {},
        "private": None,
        "external": None,
        "profiles": [
            {"permission_type": "read_write" if writable else "read_only", **_ADMIN_PROFILE}
        ],
    }
    entry.update(_type_details(module, field))
    return entry


def _field_id(module: Module, field: Field) -> str:
    """A field's metadata id; the ``id`` field, not in ``module.fields``, takes the base."""
    number = module.fields.index(field) + 1 if field in module.fields else 0
    return catalog.record_id(catalog.METADATA_CODE, 1000 * module.code + number)


def _label(field: Field) -> str:
    return field.api_name.replace("__s", "").replace("_", " ")


def _field_ref(module: Module, api_name: str) -> dict[str, Any]:
    """A minified field, as multi-select lookup metadata names the linking module's lookups."""
    field = module.field_map[api_name]
    return {"api_name": api_name, "field_label": _label(field), "id": _field_id(module, field)}


def _default_length(field: Field) -> int:
    return {"integer": 9, "bigint": 18, "currency": 16, "double": 16, "percent": 5}.get(
        field.data_type, 255
    )


def _type_details(module: Module, field: Field) -> dict[str, Any]:
    """The type-specific sub-objects of a field entry."""
    data_type = field.data_type
    if data_type in ("picklist", "multiselectpicklist"):
        return {
            "pick_list_values": [
                {
                    "display_value": value,
                    "actual_value": value,
                    "reference_value": value,
                    "sequence_number": number,
                    "id": catalog.record_id(catalog.METADATA_CODE, 500_000 + number),
                    "type": "used",
                    "colour_code": None,
                }
                for number, value in enumerate(field.picklist, start=1)
            ]
        }
    if data_type in ("lookup", "multi_module_lookup") and field.lookup:
        target = catalog.MODULES_BY_NAME[field.lookup]
        return {
            "lookup": {
                "display_label": field.api_name.replace("_", " "),
                "api_name": field.api_name,
                "module": {
                    "api_name": target.api_name,
                    "id": catalog.record_id(catalog.METADATA_CODE, target.code),
                },
                "id": catalog.record_id(catalog.METADATA_CODE, 700_000 + target.code),
                "query_details": {},
                "revalidate_filter_during_edit": False,
            }
        }
    if data_type == "formula":
        return {"formula": {"return_type": field.return_type, "assume_default": False}}
    if data_type == "autonumber":
        return {"auto_number": {"prefix": "SV-", "suffix": "", "start_number": 1}}
    if data_type == "textarea":
        return {"textarea": {"type": "large" if (field.length or 0) > 2000 else "small"}}
    if data_type == "subform":
        items = catalog.MODULES_BY_NAME[field.subform or ""]
        return {
            "associated_module": {
                "module": items.api_name,
                "id": catalog.record_id(catalog.METADATA_CODE, items.code),
            }
        }
    if data_type == "multiselectlookup":
        linking = catalog.MODULES_BY_NAME["Visits_X_Accounts"]
        linking_module = {
            "api_name": linking.api_name,
            "id": catalog.record_id(catalog.METADATA_CODE, linking.code),
        }
        connected_module = {
            "api_name": "Accounts",
            "id": catalog.record_id(catalog.METADATA_CODE, 3),
        }
        return {
            "multiselectlookup": {
                # The keys of Zoho's v8 OpenAPI file (fields.json, schema multiselectlookup) ...
                "display_label": "Related Accounts",
                "linking_module": linking_module,
                "lookup_apiname": "Linked_Account",
                "connected_module": connected_module,
                "api_name": field.api_name,
                "connectedfield_apiname": "Linked_Visit",
                "connectedlookup_apiname": "Linked_Visit",
                "id": catalog.record_id(catalog.METADATA_CODE, 800_000 + module.code),
                "record_access": True,
                # ... and the ones Zoho's v8 Python SDK reads instead (zohocrmsdk8-0:
                # crm/api/fields/multiselectlookup.py, linking_details.py, connected_details.py).
                # Its util/utility.py set_data_type takes linking_details.module to read the
                # linking rows with that module's fields; without it Linked_Account stays a map.
                "linking_details": {
                    "module": {**linking_module, "plural_label": linking.plural, "visibility": 1},
                    "lookup_field": _field_ref(linking, "Linked_Visit"),
                    "connected_lookup_field": _field_ref(linking, "Linked_Account"),
                },
                "connected_details": {
                    "module": {**connected_module, "plural_label": "Accounts"},
                    "field": _field_ref(linking, "Linked_Visit"),
                },
            }
        }
    return {}
