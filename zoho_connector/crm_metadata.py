"""Zoho CRM's module and field metadata, fetched once per client, and the checks it allows.

Source: https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html and
https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from zoho_connector import fields as zoho_fields
from zoho_connector.client import ZohoClient
from zoho_connector.errors import ZohoInputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


class CrmMetadata(ZohoClient):
    """A Zoho client that knows the CRM org's modules and their fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metadata_lock = threading.Lock()
        self._modules: list[dict[str, Any]] | None = None
        self._fields: dict[str, list[dict[str, Any]]] = {}

    def modules(self) -> list[dict[str, Any]]:
        """``settings/modules``, fetched once per client."""
        with self._metadata_lock:
            if self._modules is None:
                body = self.request("GET", "settings/modules") or {}
                self._modules = list(body.get("modules", []))
            return self._modules

    def module(self, name: str) -> dict[str, Any]:
        """The metadata of a module the API serves, matched case-insensitively.

        Raises:
            ZohoInputError: No such module, or one the API does not serve.
        """
        for module in self.modules():
            if module["api_name"].lower() == name.lower():
                if not module.get("api_supported", True):
                    msg = f"Zoho CRM's API does not serve the module {module['api_name']!r}"
                    raise ZohoInputError(msg)
                return module
        known = ", ".join(sorted(m["api_name"] for m in self.modules() if m.get("api_supported")))
        msg = f"unknown Zoho CRM module {name!r}; the org has: {known}"
        raise ZohoInputError(msg)

    def fields(self, module: str) -> list[dict[str, Any]]:
        """``settings/fields`` of a module, fetched once per client."""
        return self._fields_of(self.module(module)["api_name"])

    def row_fields(self, field: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The fields of a subform's rows or a multi-select lookup's linking rows (else none).

        Their modules (``generated_type`` ``subform``, ``linking``) serve no records but
        have their ``settings/fields``.
        """
        name = zoho_fields.row_module(field)
        return [] if name is None else self._fields_of(name)

    def _fields_of(self, name: str) -> list[dict[str, Any]]:
        with self._metadata_lock:
            if name not in self._fields:
                body = self.request("GET", "settings/fields", params={"module": name}) or {}
                self._fields[name] = list(body.get("fields", []))
            return self._fields[name]

    def _field_names(self, module: str, fields: Sequence[str] | None) -> list[str]:
        """The fields to read: all (that a list call returns) or the ones asked, checked.

        Raises:
            ZohoInputError: A field the module lacks.
        """
        known = {field["api_name"]: field for field in self.fields(module)}
        if fields is None:
            return [
                name
                for name, field in known.items()
                if name != "id" and zoho_fields.in_lists(field)
            ]
        unknown = [name for name in fields if name not in known and name != "id"]
        if unknown:
            msg = f"{module} has no field(s) {', '.join(unknown)}"
            raise ZohoInputError(msg)
        return [name for name in fields if name != "id"]

    def _known_fields(self, module: str) -> set[str]:
        return {field["api_name"] for field in self.fields(module)} | {"id"}

    def _check_fields(self, module: str, keys: Iterable[str]) -> None:
        """Refuse keys that are no field of the module: Zoho would drop them without a word.

        Raises:
            ZohoInputError: The unknown keys (``$`` meta keys are let through).
        """
        known = self._known_fields(module)
        unknown = sorted({key for key in keys if key not in known and not key.startswith("$")})
        if unknown:
            msg = f"{module} has no field(s) {', '.join(unknown)}"
            raise ZohoInputError(msg)
