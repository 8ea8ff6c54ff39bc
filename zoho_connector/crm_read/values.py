"""Values as Get Records returns them, from the ids that COQL and Bulk Read return instead.

COQL returns a lookup as ``{"id"}``
(https://www.zoho.com/crm/developer/docs/api/v8/Get-Records-through-COQL-Query.html) and Bulk
Read as a bare id (not documented by Zoho, whose CSV cells' form we assume).
A reader asks for each module lookup's name in a dotted column (``Account_Name.Account_Name``)
and completes owners, user lookups, layouts and tags from the org's own lists, each fetched
once per client when first needed: never a call per record.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from zoho_connector import fields as zoho_fields

if TYPE_CHECKING:
    from zoho_connector.crm_read.request import Call, PageRead

#: Turns one row of COQL or Bulk Read into a record shaped as Get Records returns it.
Completer = Callable[[dict[str, Any]], dict[str, Any]]


class References:
    """The org's users, and each module's layouts and tags, fetched once, when first needed.

    Args:
        call: The client's API call.
    """

    def __init__(self, call: Call) -> None:
        self._call = call
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, Any]] | None = None
        self._layouts: dict[str, dict[str, str]] = {}
        self._tags: dict[str, list[dict[str, Any]]] = {}

    def user(self, user_id: str) -> dict[str, Any]:
        """A user by id (every type of user; empty when Zoho lists no such user)."""
        users = self._users
        if users is None:  # fetched once; read without the lock afterwards
            with self._lock:
                if self._users is None:
                    self._users = {user["id"]: user for user in self._every_user()}
                users = self._users
        return users.get(user_id, {})

    def layout_name(self, module: str, layout_id: str) -> str | None:
        """The name of one of a module's layouts."""
        return self.layouts(module).get(layout_id)

    def layouts(self, module: str) -> dict[str, str]:
        """A module's layouts, id to name (fetched once)."""
        layouts = self._layouts.get(module)
        if layouts is None:
            with self._lock:
                if module not in self._layouts:
                    body = self._call("GET", "settings/layouts", params={"module": module}) or {}
                    self._layouts[module] = {
                        str(layout["id"]): str(layout.get("name"))
                        for layout in body.get("layouts") or []
                    }
                layouts = self._layouts[module]
        return layouts

    def tags(self, module: str) -> list[dict[str, Any]]:
        """A module's tags: ``id``, ``name``, ``color_code``."""
        with self._lock:
            if module not in self._tags:
                body = self._call("GET", "settings/tags", params={"module": module}) or {}
                self._tags[module] = [
                    {
                        "name": tag.get("name"),
                        "id": str(tag["id"]),
                        "color_code": tag.get("color_code"),
                    }
                    for tag in body.get("tags") or []
                ]
            return self._tags[module]

    def _every_user(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"type": "AllUsers", "page": page, "per_page": 200}
            body = self._call("GET", "users", params=params) or {}
            users += body.get("users") or []
            if not (body.get("info") or {}).get("more_records"):
                return users
            page += 1


def columns(read: PageRead) -> list[str]:
    """What COQL and Bulk Read must select: each listed field, and each module lookup's name."""
    selected: list[str] = []
    for name in read.listed_fields:
        selected.append(name)
        path = zoho_fields.name_path({**read.field(name), "api_name": name})
        if path is not None:
            selected.append(path)
    return selected


def completer(read: PageRead, references: References) -> Completer:
    """How to turn a row of COQL or Bulk Read into a record shaped as Get Records returns it."""
    steps: list[Callable[[dict[str, Any]], None]] = []
    for name in read.listed_fields:
        field = {**read.field(name), "api_name": name}
        step = _step(read.module, field, references)
        if step is not None:
            steps.append(step)

    names = ["id", *read.listed_fields]
    getter = operator.itemgetter(*names)
    in_order = getter if len(names) > 1 else lambda row: (getter(row),)

    def complete(row: dict[str, Any]) -> dict[str, Any]:
        for step in steps:
            step(row)
        # Keys in Get Records' order: the id, then the fields as asked.
        try:
            return dict(zip(names, in_order(row), strict=True))
        except KeyError:  # a column Zoho left out
            return {name: row.get(name) for name in names}

    return complete


def _step(
    module: str, field: Mapping[str, Any], references: References
) -> Callable[[dict[str, Any]], None] | None:
    name = str(field["api_name"])
    data_type = field.get("data_type")
    if zoho_fields.is_tag(field):
        return _tags_step(module, name, references)
    if data_type == "lookup":
        path = zoho_fields.name_path(field)

        def module_lookup(row: dict[str, Any]) -> None:
            target = _id(row.get(name))
            label = row.pop(path, None) if path else None
            row[name] = None if target is None else {"name": label, "id": target}

        return module_lookup
    if data_type in ("ownerlookup", "userlookup"):
        with_email = data_type == "ownerlookup"

        def user_lookup(row: dict[str, Any]) -> None:
            target = _id(row.get(name))
            if target is None:
                row[name] = None
                return
            user = references.user(target)
            if with_email:
                row[name] = {
                    "name": user.get("full_name"),
                    "id": target,
                    "email": user.get("email"),
                }
            else:
                row[name] = {"name": user.get("full_name"), "id": target}

        return user_lookup
    if data_type == "layout":

        def layout(row: dict[str, Any]) -> None:
            target = _id(row.get(name))
            row[name] = (
                None
                if target is None
                else {"name": references.layout_name(module, target), "id": target}
            )

        return layout
    return None


def _tags_step(module: str, name: str, references: References) -> Callable[[dict[str, Any]], None]:
    """Tags as ``[{name, id, color_code}]`` from COQL's objects or Bulk Read's names."""
    known: dict[str, dict[str, dict[str, Any]]] = {}  # by "id" and by "name", once asked

    def lookups() -> dict[str, dict[str, dict[str, Any]]]:
        if not known:
            tags = references.tags(module)
            known["id"] = {tag["id"]: tag for tag in tags}
            known["name"] = {tag["name"]: tag for tag in tags}
        return known

    def tags(row: dict[str, Any]) -> None:
        value = row.get(name)
        if not value:
            row[name] = []
            return
        if isinstance(value, str):  # Bulk Read: the names, comma-separated
            by_name = lookups()["name"]
            row[name] = [
                by_name.get(tag_name, {"name": tag_name, "id": None, "color_code": None})
                for tag_name in split_names(value, list(by_name))
            ]
            return
        by_id = lookups()["id"]
        row[name] = [by_id.get(str(item.get("id")), item) for item in value]

    return tags


def split_names(text: str, known: list[str]) -> list[str]:
    """Names joined by commas, where a known name may hold a comma itself ("Partner, EU")."""
    names: list[str] = []
    longest_first = sorted(known, key=len, reverse=True)
    start = 0
    while start < len(text):
        found = next(
            (
                name
                for name in longest_first
                if text.startswith(name, start) and text[start + len(name) :][:1] in ("", ",")
            ),
            None,
        )
        if found is not None:
            end = start + len(found)
        else:
            comma = text.find(",", start)
            end = len(text) if comma < 0 else comma
        names.append(text[start:end])
        start = end + 1
    return names


def _id(value: Any) -> str | None:
    """The id in a lookup value: COQL's ``{"id": ...}`` or Bulk Read's bare id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value not in (None, "") else None
