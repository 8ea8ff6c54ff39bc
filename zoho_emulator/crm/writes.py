"""Insert, update, upsert and delete: per-record validation and results.

Every write answers one result per input record, in input order; a bad record fails alone.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/update-records.html,
https://www.zoho.com/crm/developer/docs/api/v8/upsert-records.html and
https://www.zoho.com/crm/developer/docs/api/v8/delete-records.html.
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog
from zoho_emulator.crm.catalog import Field, Module
from zoho_emulator.crm.generator import (
    Generator,
    derive_row,
    formula_expected_revenue,
    formula_label,
    formula_total,
    grand_total,
)
from zoho_emulator.crm.store import Deletion, ModuleStore
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from zoho_emulator.crm.org import CrmOrg

MAX_RECORDS = 100
TRIGGERS = frozenset({"workflow", "approval", "blueprint", "pathfinder", "orchestration"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "picklist"})
_DECIMAL_LIMITS = {"double": 10**16, "currency": 10**16, "percent": 10**5}
_REFERENCE_TYPES = frozenset(
    {"lookup", "multi_module_lookup", "ownerlookup", "userlookup", "layout"}
)
_EXPECTED = {
    "integer": "integer",
    "bigint": "bigint",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "multiselectpicklist": "jsonarray",
    "subform": "jsonarray",
    "multiselectlookup": "jsonarray",
}


def _empty(data_type: str) -> Any:
    """What an empty value of a type reads as.

    A boolean false, a multi-select picklist [] (Zoho sends empty collections as [], never
    null), anything else null.
    """
    if data_type == "boolean":
        return False
    return [] if data_type == "multiselectpicklist" else None


def _text(field: Field, value: Any, path: str, invalid: RecordError) -> str:
    if not isinstance(value, str):
        raise invalid
    if field.length and len(value) > field.length:
        raise RecordError(
            "INVALID_DATA",
            "invalid data",
            {"maximum_length": field.length, "api_name": field.api_name, "json_path": path},
        )
    if field.data_type == "email" and not _EMAIL.fullmatch(value):
        raise invalid
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(value)
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 10**9:
        raise ValueError(value)
    return value


def _bigint(value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isdigit() or len(text) > 18:
        raise ValueError(value)
    return text


def _decimal(limit: int, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) >= limit
    ):
        raise ValueError(value)
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


def _date(value: Any) -> str:
    if not timefmt.is_date(value):
        raise ValueError(value)
    return str(value)


#: The values of plain data types as stored, or ValueError.
_PLAIN_CHECKS: dict[str, Callable[[Any], Any]] = {
    "multiselectpicklist": _strings,
    "integer": _integer,
    "bigint": _bigint,
    **{
        data_type: functools.partial(_decimal, limit)
        for data_type, limit in _DECIMAL_LIMITS.items()
    },
    "boolean": _boolean,
    "date": _date,
}


def _blank(value: Any) -> bool:
    """Whether a value leaves a field empty: null, ``""`` or no rows (``[]``)."""
    return value in (None, "") or value == []


def _missing(field: Field, path: str) -> RecordError:
    """``MANDATORY_NOT_FOUND`` for a required field left empty at ``path``."""
    return RecordError(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": field.api_name, "json_path": f"{path}.{field.api_name}"},
    )


def _check_mandatory(module: Module, values: dict[str, Any], path: str) -> None:
    """Refuse a record (or a subform row) at ``path`` without a field its module requires.

    A required subform (a sales order's line items) needs a row.

    Raises:
        RecordError: ``MANDATORY_NOT_FOUND``, at the field's path.
    """
    for field in module.fields:
        if field.mandatory and _blank(values.get(field.api_name)):
            raise _missing(field, path)


class RecordError(Exception):
    """One record's failure, reported in its place in the results.

    Args:
        code: Zoho's code, e.g. ``MANDATORY_NOT_FOUND``.
        message: Zoho's message.
        details: Zoho's details (``api_name``, ``json_path``, ``expected_data_type``, ...).
    """

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    def entry(self) -> dict[str, Any]:
        """The per-record result entry."""
        return {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }


def check_batch(data: object) -> list[Any]:
    """The ``data`` array of a write body, within Zoho's limits.

    Raises:
        CrmError: Not an array, empty, or more than 100 records.
    """
    if not isinstance(data, list) or not data:
        raise CrmError(
            400, "MANDATORY_NOT_FOUND", "required param not found", {"param_name": "data"}
        )
    if len(data) > MAX_RECORDS:
        raise CrmError(
            400,
            "LIMIT_EXCEEDED",
            "the number of records exceeds the limit",
            {"limit": MAX_RECORDS, "param_name": "data"},
        )
    return data


def check_triggers(value: object) -> None:
    """Validate the ``trigger`` array of a write body.

    Raises:
        CrmError: Not an array of known trigger names.
    """
    if value is None:
        return
    if not isinstance(value, list) or not all(item in TRIGGERS for item in value):
        raise CrmError(400, "INVALID_DATA", "invalid data", {"param_name": "trigger"})


class Writer:
    """Applies writes to one module of an org.

    Args:
        org: The CRM org.
        module: The module written to.
    """

    def __init__(self, org: CrmOrg, module: Module) -> None:
        self.org = org
        self.module = module
        self.store: ModuleStore = org.stores[module.api_name]

    def insert(self, records: Sequence[Any]) -> list[dict[str, Any]]:
        """Create records."""
        return [
            self._attempt(self._insert_one, record, position)
            for position, record in enumerate(records)
        ]

    def update(self, records: Sequence[Any], record_id: str | None = None) -> list[dict[str, Any]]:
        """Update records by the ``id`` each carries (or ``record_id`` for ``PUT /{id}``)."""
        results = []
        for position, record in enumerate(records):
            results.append(self._attempt(self._update_one, record, position, record_id))
        return results

    def upsert(
        self, records: Sequence[Any], duplicate_check_fields: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """Update the record a duplicate-check field matches, or create one (Zoho's upsert)."""
        fields = self._check_fields(duplicate_check_fields)
        return [
            self._attempt(self._upsert_one, record, position, fields)
            for position, record in enumerate(records)
        ]

    def delete(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Delete records into the recycle bin."""
        results = []
        for record_id in ids:
            index = self._index_of(record_id)
            if index is None:
                error = RecordError("INVALID_DATA", "record not deleted", {"id": record_id})
                results.append(error.entry())
                continue
            user = self.org.current_user
            self.store.remove(
                index,
                Deletion(
                    deleted_time=timefmt.now(),
                    display_name=self.store.display_name(index),
                    created_by=self.store.get(index, self.module.field_map["Created_By"]),
                    deleted_by=Generator.owner_value(user, with_email=False),
                ),
            )
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {"id": record_id},
                    "message": "record deleted",
                    "status": "success",
                }
            )
        return results

    # -- one record at a time --------------------------------------------------------------

    def _attempt(self, operation: Any, record: Any, position: int, *extra: Any) -> dict[str, Any]:
        if not isinstance(record, dict):
            return RecordError(
                "INVALID_DATA",
                "invalid data",
                {"json_path": f"$.data[{position}]", "expected_data_type": "jsonobject"},
            ).entry()
        try:
            result: dict[str, Any] = operation(record, position, *extra)
        except RecordError as error:
            return error.entry()
        return result

    def _insert_one(self, record: dict[str, Any], position: int) -> dict[str, Any]:
        values = self._validate(record, position, existing=None)
        _check_mandatory(self.module, values, f"$.data[{position}]")
        self._check_unique(values, position, existing=None)
        now = self.org.now()
        user = Generator.owner_value(self.org.current_user)
        full: dict[str, Any] = {
            field.api_name: _empty(field.data_type) for field in self.module.fields
        }
        defaults = {
            "Owner": user,
            "Created_By": user,
            "Modified_By": user,
            "Created_Time": now,
            "Modified_Time": now,
            "Tag": [],
            "Layout": catalog.layout(self.module),
            "Record_Status__s": "Available",
        }
        full.update({key: value for key, value in defaults.items() if key in full})
        full.update(values)
        index = self.store.base_size + self.store.created
        if "Visit_Number" in full:
            full["Visit_Number"] = f"SV-{index + 1:06d}"
        self._derive(full, index)
        added = self.store.add(full)
        return self._success(added, "record added")

    def _update_one(
        self, record: dict[str, Any], position: int, record_id: str | None
    ) -> dict[str, Any]:
        target = record_id if record_id is not None else record.get("id")
        if target is None:
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "id", "json_path": f"$.data[{position}].id"},
            )
        index = self._index_of(str(target))
        if index is None:
            raise RecordError(
                "INVALID_DATA", "the id given seems to be invalid", {"id": str(target)}
            )
        return self._apply_update(index, record, position, "record updated")

    def _apply_update(
        self, index: int, record: dict[str, Any], position: int, message: str
    ) -> dict[str, Any]:
        values = self._validate(record, position, existing=index)
        self._check_unique(values, position, existing=index)
        current = {field.api_name: self.store.get(index, field) for field in self.module.fields}
        current.update(values)
        if self.module.has_modified_time:
            current["Modified_Time"] = self.org.now()
            current["Modified_By"] = Generator.owner_value(self.org.current_user)
        self._derive(current, index)
        self.store.put(index, current)
        return self._success(index, message)

    def _upsert_one(
        self, record: dict[str, Any], position: int, check_fields: Sequence[Field]
    ) -> dict[str, Any]:
        for field in check_fields:
            value = record.get(field.api_name)
            if value in (None, ""):
                continue
            matches = self.store.find(field, value)
            if matches:
                result = self._apply_update(matches[0], record, position, "record updated")
                return {**result, "duplicate_field": field.api_name, "action": "update"}
        result = self._insert_one(record, position)
        return {**result, "duplicate_field": None, "action": "insert"}

    # -- validation ------------------------------------------------------------------------

    def _check_fields(self, names: Sequence[str] | None) -> list[Field]:
        """Duplicate-check fields in Zoho's order.

        The given ones (else the module's default), then the module's other unique fields.
        """
        if names is not None and (
            not isinstance(names, list) or not all(isinstance(name, str) for name in names)
        ):
            raise CrmError(
                400, "INVALID_DATA", "invalid data", {"param_name": "duplicate_check_fields"}
            )
        default = [self.module.duplicate_check] if self.module.duplicate_check else []
        chosen = list(names) if names else default
        fields = []
        for name in chosen:
            field = self.module.field(name)
            if field is None or not field.writable or field.json_type != "string":
                raise CrmError(
                    400,
                    "INVALID_DATA",
                    "the given field is not valid for duplicate check",
                    {"api_name": name, "param_name": "duplicate_check_fields"},
                )
            fields.append(field)
        fields += [field for field in self.module.fields if field.unique and field not in fields]
        return fields

    def _validate(
        self, record: dict[str, Any], position: int, existing: int | None
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in record.items():
            field = self.module.field(key)
            # Zoho ignores unknown keys, `$` meta keys and fields it computes itself.
            if field is None or not field.writable:
                continue
            path = f"$.data[{position}]"
            values[key] = (
                _empty(field.data_type)
                if _blank(value)
                else self._value(field, value, f"{path}.{key}", existing)
            )
            # An update may leave a required field out, not empty it: nor delete every row of
            # a required subform (not documented by Zoho; we assume it refuses as on insert).
            if field.mandatory and _blank(values[key]):
                raise _missing(field, path)
        return values

    def _value(self, field: Field, value: Any, path: str, existing: int | None) -> Any:
        data_type = field.data_type
        invalid = RecordError(
            "INVALID_DATA",
            "invalid data",
            {
                "expected_data_type": _EXPECTED.get(data_type, field.json_type),
                "api_name": field.api_name,
                "json_path": path,
            },
        )
        if data_type in _TEXT_TYPES:
            return _text(field, value, path, invalid)
        if data_type in _REFERENCE_TYPES:
            return self._reference(field, value, invalid)
        if data_type == "subform":
            return self._subform(field, value, path, existing, invalid)
        if data_type == "multiselectlookup":
            return self._linked(field, value, path, existing, invalid)
        check = self._datetime if data_type == "datetime" else _PLAIN_CHECKS.get(data_type)
        if check is None:
            raise invalid
        try:
            return check(value)
        except ValueError:
            raise invalid from None

    def _datetime(self, value: Any) -> str:
        """A datetime as the org shows it, in its time zone."""
        return timefmt.crm_datetime(timefmt.parse_crm_datetime(value), self.org.zone)

    def _reference(self, field: Field, value: Any, invalid: RecordError) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("id"), str | int):
            raise invalid
        target_id = str(value["id"])
        if field.data_type == "layout":
            layout = catalog.layout(self.module)
            if target_id != layout["id"]:
                raise invalid
            return layout
        if field.lookup == "users":
            user = self.org.user(target_id)
            if user is None or user["status"] != "active":
                raise invalid
            return Generator.owner_value(user, with_email=field.data_type == "ownerlookup")
        located = self.org.locate(target_id)
        if located is None or located[0].module.api_name != field.lookup:
            raise RecordError(
                "INVALID_DATA",
                "the related id given seems to be invalid",
                {
                    "api_name": field.api_name,
                    "json_path": invalid.details["json_path"],
                    "id": target_id,
                },
            )
        store, index = located
        return {"name": store.display_name(index), "id": target_id}

    def _subform(
        self, field: Field, rows: Any, path: str, existing: int | None, invalid: RecordError
    ) -> list[dict[str, Any]]:
        """Subform rows replace the current ones; a row with an ``id`` keeps it.

        A row with the ``id`` of one of the record's rows updates it, one without is added, and
        the record's rows not sent are deleted
        (https://www.zoho.com/crm/developer/docs/api/v8/update-records.html); an ``id`` of no
        row of the record is refused, and so is a row left without a value of a field its
        module requires (a line item's ``Product_Name``), as a record is.
        """
        if not isinstance(rows, list):
            raise invalid
        sub_module = catalog.MODULES_BY_NAME[field.subform or ""]
        current = self.store.get(existing, field) if existing is not None else []
        known = {row["id"]: row for row in current or []}
        now = self.org.now()
        result = []
        for number, row in enumerate(rows):
            row_path = f"{path}[{number}]"
            if not isinstance(row, dict):
                raise RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {"json_path": row_path, "api_name": field.api_name},
                )
            if "_delete" in row:
                continue
            old = known.get(str(row["id"])) if "id" in row else None
            if "id" in row and old is None:
                raise RecordError(
                    "INVALID_DATA",
                    "the id given seems to be invalid",
                    {
                        "api_name": field.api_name,
                        "json_path": f"{row_path}.id",
                        "id": str(row["id"]),
                    },
                )
            new_row = (
                dict(old)
                if old
                else {
                    "id": self.org.next_row_id(),
                    "Created_Time": now,
                    "$in_merge": False,
                    "$field_states": None,
                    "$zia_visions": None,
                    # A row has every field of the subform, null when not set.
                    **{f.api_name: None for f in sub_module.fields if f.writable},
                }
            )
            for key, value in row.items():
                sub_field = sub_module.field(key)
                if sub_field is None or not sub_field.writable:
                    continue
                new_row[key] = (
                    None
                    if value is None
                    else self._value(sub_field, value, f"{row_path}.{key}", None)
                )
            _check_mandatory(sub_module, new_row, row_path)
            derive_row(sub_module, new_row)
            new_row["Modified_Time"] = now
            result.append(new_row)
        return result

    def _linked(
        self, field: Field, rows: Any, path: str, existing: int | None, invalid: RecordError
    ) -> list[dict[str, Any]]:
        """Multi-select lookup rows are added to the current links; ``_delete`` removes one.

        https://www.zoho.com/crm/developer/docs/api/v8/update-records.html: a link is removed
        only by its linking row's ``id`` with ``_delete``.
        """
        if not isinstance(rows, list):
            raise invalid
        links = list(self.store.get(existing, field) or []) if existing is not None else []
        accounts = catalog.MODULES_BY_NAME[field.lookup or ""]
        for number, row in enumerate(rows):
            row_path = f"{path}[{number}]"
            if isinstance(row, dict) and "_delete" in row:
                links = [link for link in links if link["id"] != str(row.get("id"))]
                continue
            target = row.get("Linked_Account") if isinstance(row, dict) else None
            linked_field = Field("Linked_Account", "lookup", lookup=accounts.api_name)
            value = self._reference(
                linked_field,
                target,
                RecordError(
                    "INVALID_DATA",
                    "invalid data",
                    {
                        "api_name": field.api_name,
                        "json_path": row_path,
                        "expected_data_type": "jsonobject",
                    },
                ),
            )
            # Not documented by Zoho; we assume a record already linked stays linked once.
            if all(link["Linked_Account"]["id"] != value["id"] for link in links):
                links.append({"Linked_Account": value, "id": self.org.next_row_id()})
        return links

    def _check_unique(self, values: dict[str, Any], position: int, existing: int | None) -> None:
        for field in self.module.fields:
            value = values.get(field.api_name)
            if not field.unique or value in (None, ""):
                continue
            others = [index for index in self.store.find(field, value) if index != existing]
            if others:
                owner = self.store.get(others[0], self.module.field_map["Owner"])
                raise RecordError(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {
                        "api_name": field.api_name,
                        "json_path": f"$.data[{position}].{field.api_name}",
                        "duplicate_record": {
                            "module": {
                                "api_name": self.module.api_name,
                                "id": catalog.record_id(catalog.METADATA_CODE, self.module.code),
                            },
                            "id": catalog.record_id(self.module.code, others[0]),
                            "Owner": {"name": owner["name"], "id": owner["id"]} if owner else None,
                        },
                    },
                )

    def _derive(self, record: dict[str, Any], index: int) -> None:
        """Recompute what Zoho computes: names, formulas, rows' ``Parent_Id``, Grand_Total."""
        if "Full_Name" in record:
            first, last = record.get("First_Name"), record.get("Last_Name")
            record["Full_Name"] = f"{first} {last}" if first else last
        if "Total_Amount" in record:
            record["Total_Amount"] = formula_total(record.get("Quantity"), record.get("Unit_Price"))
        if "Visit_Label" in record:
            record["Visit_Label"] = formula_label(record.get("Name"), record.get("Status"))
        if "Expected_Revenue" in record:
            record["Expected_Revenue"] = formula_expected_revenue(
                record.get("Amount"), record.get("Probability")
            )
        # Rows written through the API point at their record as seeded ones do; Zoho's
        # SDK reads them with the subform module's fields, where Parent_Id is a lookup.
        name_field = self.module.name_field
        parent = {
            "name": record.get(name_field) if name_field else None,
            "id": catalog.record_id(self.module.code, index),
        }
        subforms = [f.api_name for f in self.module.fields if f.data_type == "subform"]
        for name in subforms:
            for row in record.get(name) or []:
                row["Parent_Id"] = dict(parent)
        if "Grand_Total" in record:
            record["Grand_Total"] = grand_total(
                [row for name in subforms for row in record.get(name) or []]
            )

    def _index_of(self, record_id: str) -> int | None:
        parsed = catalog.parse_id(record_id)
        if parsed is None or parsed[0] != self.module.code or not self.store.exists(parsed[1]):
            return None
        return parsed[1]

    def _success(self, index: int, message: str) -> dict[str, Any]:
        fields = self.module.field_map
        modified = "Modified" if self.module.has_modified_time else "Created"

        def who(name: str) -> dict[str, Any]:
            user = self.store.get(index, fields[name])
            return {"name": user["name"], "id": user["id"]}

        return {
            "code": "SUCCESS",
            "details": {
                "Modified_Time": self.store.get(index, fields[f"{modified}_Time"]),
                "Modified_By": who(f"{modified}_By"),
                "Created_Time": self.store.get(index, fields["Created_Time"]),
                "id": catalog.record_id(self.module.code, index),
                "Created_By": who("Created_By"),
                "$approval_state": "approved",
            },
            "message": message,
            "status": "success",
        }
