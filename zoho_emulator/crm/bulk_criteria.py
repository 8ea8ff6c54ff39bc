"""Bulk Read columns and criteria, evaluated per record like COQL.

Source: https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html (its criteria
table).

A Bulk Read names its columns as ``fields`` entries: a field of the module, or
``lookup.field`` for a field of a lookup's target (``Account_Name.Account_Name``,
``Owner.email``: owner and user lookups reach COQL's :data:`~zoho_emulator.crm.coql.USERS`).
Columns are :class:`~zoho_emulator.crm.coql.Column` values, read with ``coql.column_value``
through ``CrmOrg.resolve_lookup``, so a dotted column means what it means in COQL.

Criteria are JSON: a condition ``{"field": {"api_name": X}, "comparator": C, "value": V}``, or
``{"group_operator": "and"|"or", "group": [...]}`` nested at will. Values compare as COQL
compares them (see :mod:`zoho_emulator.crm.compare`): text case-insensitively, numbers
numerically, datetimes as instants, lookups by id, multi-select picklists as sets of options.
``${EMPTY}`` with ``equal``/``not_equal`` tests for an empty value; every other condition fails
on an empty value, as SQL's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoho_emulator import timefmt
from zoho_emulator.crm import catalog, compare, coql
from zoho_emulator.errors import CrmError

if TYPE_CHECKING:
    from zoho_emulator.crm.catalog import Field, Module

#: UNCONFIRMED: Zoho documents no cap; COQL's 25 criteria.
MAX_CRITERIA = 25
#: Text values are at most 255 characters (the create-job page).
MAX_TEXT = 255
EMPTY = "${EMPTY}"

_NUMBER_OPS = frozenset({"equal", "not_equal", "in", "not_in"}) | {
    "less_than",
    "less_equal",
    "greater_than",
    "greater_equal",
}
_TEXT_OPS = frozenset({"equal", "not_equal", "in", "not_in"}) | {
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
}
_DATE_OPS = _NUMBER_OPS | {"between", "not_between"}
#: Text types of the create-job page's table. Textarea is not listed there: not documented by
#: Zoho, we assume it takes none.
_TEXT_TYPES = ("text", "email", "phone", "website", "autonumber", "picklist", "multiselectpicklist")
#: Comparators per value type, as the create-job page lists them; Tag, subforms and textarea
#: take none.
_COMPARATORS: dict[str, frozenset[str]] = {
    **dict.fromkeys(compare.NUMBER_TYPES, _NUMBER_OPS),
    **dict.fromkeys(_TEXT_TYPES, _TEXT_OPS),
    **dict.fromkeys(("date", "datetime"), _DATE_OPS),
    "boolean": frozenset({"equal"}),
    **dict.fromkeys(compare.LOOKUP_TYPES, frozenset({"equal", "not_equal", "in", "not_in"})),
}
_NEGATIVE = {"not_equal": "equal", "not_in": "in", "not_contains": "contains"}
_NEGATIVE |= {"not_between": "between"}
_LIST_OPS = frozenset({"in", "not_in", "between", "not_between"})
_ORDER_KIND = {"equal": "eq", "less_than": "lt", "less_equal": "le", "greater_than": "gt"}
_ORDER_KIND |= {"greater_equal": "ge", "in": "in", "between": "between"}
_TEXT_TESTS = {"contains": compare.contains, "starts_with": compare.starts_with}
_TEXT_TESTS |= {"ends_with": compare.ends_with}


def column(module: Module, name: str) -> coql.Column | None:
    """The column a Bulk Read field name names, or None when the module has no such field.

    ``id`` is the record id; ``lookup.field`` (one dot) a field of a lookup's target module,
    or of a user for owner and user lookups.
    """
    head, dot, tail = name.partition(".")
    field = _field(module, head)
    if field is None or not dot:
        return None if field is None else coql.Column(name, (field,))
    target = _target(field)
    inner = _field(target, tail) if target is not None and "." not in tail else None
    return None if inner is None else coql.Column(name, (field, inner))


def parse_criteria(criteria: Any, module: Module) -> coql.Where:
    """The test of a Bulk Read ``criteria`` object on one record (a COQL :data:`~coql.Where`).

    Raises:
        CrmError: 400 INVALID_QUERY for a malformed criteria, an unknown field, a comparator
            the field's type does not take or a value it cannot hold (details name the
            ``api_name`` and ``comparator``); 400 LIMIT_EXCEEDED beyond 25 conditions.
    """
    return _CriteriaParser(module).node(criteria)


def _field(module: Module, name: str) -> Field | None:
    return compare.ID_FIELD if name == "id" else module.field(name)


def _target(field: Field) -> Module | None:
    """The module a lookup reaches through a dot (multi-module lookups reach none)."""
    if field.data_type not in ("lookup", "ownerlookup", "userlookup") or not field.lookup:
        return None
    return coql.USERS if field.lookup == "users" else catalog.MODULES_BY_NAME.get(field.lookup)


def _invalid(reason: str, **details: Any) -> CrmError:
    return CrmError(400, "INVALID_QUERY", "invalid query formed", {"reason": reason, **details})


class _CriteriaParser:
    def __init__(self, module: Module) -> None:
        self.module = module
        self.conditions = 0

    def node(self, node: Any) -> coql.Where:
        if not isinstance(node, dict):
            raise _invalid("the criteria must be an object")
        if "group" not in node and "group_operator" not in node:
            self.conditions += 1
            if self.conditions > MAX_CRITERIA:
                raise CrmError(
                    400,
                    "LIMIT_EXCEEDED",
                    f"a maximum of {MAX_CRITERIA} criteria is allowed",
                    {"param_name": "criteria", "limit": MAX_CRITERIA},
                )
            return _condition(node, self.module)
        members = node.get("group")
        operator = node.get("group_operator")
        if not isinstance(operator, str) or operator.lower() not in ("and", "or"):
            raise _invalid("invalid group_operator", group_operator=operator)
        if not isinstance(members, list) or not members:
            raise _invalid("a group needs a non-empty list of criteria")
        tests = [self.node(member) for member in members]
        return compare.any_of(tests) if operator.lower() == "or" else compare.all_of(tests)


def _condition(node: dict[str, Any], module: Module) -> coql.Where:
    field_ref = node.get("field")
    name = field_ref.get("api_name") if isinstance(field_ref, dict) else None
    if not isinstance(name, str):
        raise _invalid("a criterion needs field.api_name")
    comparator = node.get("comparator")
    found = column(module, name)
    if found is None:
        raise _invalid("invalid field", api_name=name)
    kind = compare.value_type(found.field)
    allowed = _COMPARATORS.get(kind)
    if allowed is None:
        raise _invalid("the field is not supported in criteria", api_name=name)
    if comparator not in allowed:
        raise _invalid("invalid comparator", api_name=name, comparator=comparator)
    value = node.get("value")
    if value == EMPTY:
        if comparator not in ("equal", "not_equal"):
            raise _invalid("invalid value", api_name=name, comparator=comparator)
        wanted = comparator == "equal"
        return lambda get, resolve: (
            compare.is_empty(coql.column_value(found, get, resolve)) == wanted
        )
    try:
        test = _test(kind, _NEGATIVE.get(comparator, comparator), _values(comparator, value))
    except ValueError:
        raise _invalid("invalid value", api_name=name, comparator=comparator) from None
    convert = compare.converter(kind)
    negated = comparator in _NEGATIVE

    def where(get: coql.Getter, resolve: coql.Resolver) -> bool:
        wire = coql.column_value(found, get, resolve)
        return not compare.is_empty(wire) and test(convert(wire)) != negated

    return where


def _values(comparator: str, value: Any) -> list[Any]:
    """The values of a condition: a list for in/between (two for between), else one."""
    if comparator not in _LIST_OPS:
        if isinstance(value, list):
            raise ValueError(value)
        return [value]
    if not isinstance(value, list) or not value:
        raise ValueError(value)
    if comparator in ("between", "not_between") and len(value) != 2:
        raise ValueError(value)
    return value


def _test(kind: str, comparator: str, values: list[Any]) -> compare.Test:
    """The test of a converted wire value for a positive comparator.

    Raises ValueError for values the type cannot hold.
    """
    if kind == "multiselectpicklist":
        texts = [_text(value) for value in values]
        if comparator in _TEXT_TESTS:
            # UNCONFIRMED: a multi-select matches when any one of its options does.
            option_test = _TEXT_TESTS[comparator](texts[0].casefold())
            return lambda chosen: any(option_test(option) for option in chosen)
        wanted = [compare.option_set(text) for text in texts]
        return compare.includes_any(wanted) if comparator == "in" else wanted[0].__eq__
    literals = [_literal(kind, value) for value in values]
    if comparator in _TEXT_TESTS:
        return _TEXT_TESTS[comparator](literals[0])
    return compare.comparison(_ORDER_KIND[comparator], literals)


def _literal(kind: str, value: Any) -> Any:
    """A JSON criteria value as a comparable value of a type (ValueError if it cannot be)."""
    if kind in compare.LOOKUP_TYPES:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(text, str) and text.isascii() and text.isdigit()):
            raise ValueError(value)
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        return compare.parse_literal(kind, _text(value))
    if kind in compare.NUMBER_TYPES and isinstance(value, int | float):
        if isinstance(value, bool):
            raise ValueError(value)
        return compare.parse_literal(kind, str(value))
    if kind == "datetime":
        # The create-job page: ISO 8601 with an offset and no milliseconds, stricter than
        # search's.
        return timefmt.parse_crm_datetime(_text(value))
    return compare.parse_literal(kind, _text(value))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise ValueError(value)
    return value
