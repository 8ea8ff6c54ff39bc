r"""Filter conditions: Zoho search criteria that also know their COQL form.

``query_condition("Last_Name", "=", "Burns, B")`` is ``["(Last_Name:equals:Burns\, B)"]``: a
list holding one criteria condition, escaped as Zoho requires. Each condition keeps its parts,
so a read can run it as COQL when search's 2,000-record cap or its "equals means contains" rule
would not do.

Sources: Zoho's Search Records page
(https://www.zoho.com/crm/developer/docs/api/v8/search-records.html) and its COQL pages
(https://www.zoho.com/crm/developer/docs/api/v8/Get-Records-through-COQL-Query.html,
https://www.zoho.com/crm/developer/docs/api/v8/COQL-Limitations.html).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from zoho_connector.errors import ZohoInputError
from zoho_connector.formats import crm_date, crm_datetime

FORMATS = ("text", "number", "date", "datetime", "boolean")
#: Zoho's own operator names, and the symbols that stand for them.
OPERATORS = {
    "=": "equals",
    "==": "equals",
    "equals": "equals",
    "!=": "not_equal",
    "not_equal": "not_equal",
    ">": "greater_than",
    "greater_than": "greater_than",
    ">=": "greater_equal",
    "greater_equal": "greater_equal",
    "<": "less_than",
    "less_than": "less_than",
    "<=": "less_equal",
    "less_equal": "less_equal",
    "in": "in",
    "between": "between",
    "starts_with": "starts_with",
}
_COQL_OPERATORS = {
    "equals": "=",
    "not_equal": "!=",
    "greater_than": ">",
    "greater_equal": ">=",
    "less_than": "<",
    "less_equal": "<=",
}
#: Search takes at most ten conditions (Zoho's Search Records page).
MAX_CONDITIONS = 10
#: COQL's ``in`` takes at most 50 values (Zoho's COQL limitations); a longer list becomes
#: ``or``-ed ``in`` groups.
COQL_IN_VALUES = 50


class Condition(str):
    """One criteria condition, ``(field:operator:value)``, that can also render as COQL."""

    field: str
    operator: str
    values: tuple[str, ...]
    value_format: str

    def __new__(cls, field: str, operator: str, values: Sequence[str], format: str) -> Condition:
        """Build the condition from formatted values (see :func:`query_condition`)."""
        text = f"({field}:{operator}:{','.join(_escape(value) for value in values)})"
        condition = super().__new__(cls, text)
        condition.field = field
        condition.operator = operator
        condition.values = tuple(values)
        condition.value_format = format
        return condition

    def coql(self) -> str:
        """The condition as a COQL WHERE expression."""
        literals = [coql_literal(value, self.value_format) for value in self.values]
        if self.operator == "in":
            groups = [
                f"{self.field} in ({', '.join(literals[start : start + COQL_IN_VALUES])})"
                for start in range(0, len(literals), COQL_IN_VALUES)
            ]
            return nest(groups, "or")
        if self.operator == "between":
            return f"{self.field} between {literals[0]} and {literals[1]}"
        if self.operator == "starts_with":
            return f"{self.field} like {coql_literal(self.values[0] + '%', 'text')}"
        return f"{self.field} {_COQL_OPERATORS[self.operator]} {literals[0]}"


def query_condition(
    field: str,
    operator: str,
    value: Any,
    format: str = "text",
    utc: bool = True,
) -> list[Condition]:
    """A list holding one Zoho criteria condition.

    Args:
        field: The field's API name.
        operator: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``in``, ``between``,
            ``starts_with``, or Zoho's own names (``equals``, ``not_equal``, ...).
        value: The value; a sequence of values for ``in``, a pair for ``between``.
        format: How to write the value: ``text``, ``number``, ``date``, ``datetime`` or
            ``boolean``.
        utc: For datetimes: convert to UTC (True) or keep the value's own offset.

    Raises:
        ZohoInputError: An unknown operator or format, or a value that does not fit.
    """
    zoho_operator = OPERATORS.get(operator.strip().lower() if operator else "")
    if zoho_operator is None:
        msg = f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}"
        raise ZohoInputError(msg)
    if format not in FORMATS:
        msg = f"unknown format {format!r}; expected one of {', '.join(FORMATS)}"
        raise ZohoInputError(msg)
    if not field or not isinstance(field, str):
        msg = "a condition needs a field API name"
        raise ZohoInputError(msg)
    raw = _values(zoho_operator, value)
    try:
        values = [_format_value(item, format, utc=utc) for item in raw]
    except (TypeError, ValueError) as error:
        msg = f"value {value!r} of {field} is not a valid {format}: {error}"
        raise ZohoInputError(msg) from None
    return [Condition(field, zoho_operator, values, format)]


def parse_criteria(text: str, formats: Mapping[str, str] | None = None) -> list[Condition]:
    r"""Zoho search criteria text as the conditions it joins with ``and``.

    ``((Last_Name:equals:Burns\, B)and(City:starts_with:K))`` is two conditions. Values are
    unescaped as Zoho escapes them; each takes its field's format in ``formats`` (one of
    :data:`FORMATS`; ``text`` for a field not named).

    Raises:
        ZohoInputError: Text that is no criteria, an unknown operator, or ``or``: a read's
            conditions must all hold (run one read per alternative instead).
    """
    parser = _CriteriaParser(text.strip(), formats or {})
    found = parser.group()
    if parser.position != len(parser.text):
        parser.fail("text after the criteria")
    return found


class _CriteriaParser:
    """A recursive reader of ``(field:operator:value)`` groups joined by ``and``."""

    def __init__(self, text: str, formats: Mapping[str, str]) -> None:
        self.text = text
        self.formats = formats
        self.position = 0

    def fail(self, problem: str) -> NoReturn:
        msg = f"criteria {self.text!r}: {problem} at character {self.position + 1}"
        raise ZohoInputError(msg)

    def group(self) -> list[Condition]:
        if not self.text.startswith("(", self.position):
            self.fail("expected (")
        self.position += 1
        if not self.text.startswith("(", self.position):
            return [self.leaf()]
        found = self.group()
        while not self.text.startswith(")", self.position):
            joiner = self.text[self.position : self.position + 3].lower()
            if joiner == "and":
                self.position += 3
            elif joiner.startswith("or"):
                self.fail("'or' cannot join a read's conditions, which must all hold")
            else:
                self.fail("expected and")
            found += self.group()
        self.position += 1
        return found

    def leaf(self) -> Condition:
        parts: list[str] = [""]
        while self.position < len(self.text) and self.text[self.position] != ")":
            char = self.text[self.position]
            if char == "\\" and self.position + 1 < len(self.text):
                self.position += 1
                parts[-1] += "\\" + self.text[self.position]
            elif char == ":" and len(parts) < 3:
                parts.append("")
            else:
                parts[-1] += char
            self.position += 1
        if self.position == len(self.text) or len(parts) != 3:
            self.fail("expected (field:operator:value)")
        self.position += 1
        field, operator, value = parts
        zoho_operator = OPERATORS.get(operator.lower())
        if zoho_operator is None:
            self.fail(f"unknown operator {operator!r}")
        many = zoho_operator in ("in", "between")
        values = _unescaped_split(value) if many else [_unescape(value)]
        value_format = self.formats.get(field, "text")
        return Condition(field, zoho_operator, values, value_format)


def _unescaped_split(text: str) -> list[str]:
    """Values split at commas that are not escaped, then unescaped."""
    values, current, escaped = [], "", False
    for char in text:
        if escaped:
            current, escaped = current + "\\" + char, False
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append(_unescape(current))
            current = ""
        else:
            current += char
    return [*values, _unescape(current)]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def criteria(conditions: Iterable[str]) -> str:
    """Conditions joined with ``and`` as Zoho's search criteria.

    Raises:
        ZohoInputError: More than ten conditions, which Zoho refuses.
    """
    items = list(conditions)
    if not items:
        msg = "criteria need at least one condition"
        raise ZohoInputError(msg)
    if len(items) > MAX_CONDITIONS:
        msg = f"Zoho search takes at most {MAX_CONDITIONS} conditions, not {len(items)}"
        raise ZohoInputError(msg)
    return items[0] if len(items) == 1 else f"({'and'.join(items)})"


def coql_where(conditions: Sequence[Condition]) -> str:
    """Conditions joined with ``and`` as a COQL WHERE clause, parenthesised as COQL requires."""
    return nest([condition.coql() for condition in conditions], "and")


def nest(expressions: Sequence[str], joiner: str) -> str:
    """Expressions joined two at a time, ``((A and B) and C)``, as COQL requires."""
    joined = expressions[0]
    for expression in expressions[1:]:
        joined = f"({joined}) {joiner} ({expression})"
    return joined


def _values(operator: str, value: Any) -> list[Any]:
    if operator in ("in", "between"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            msg = f"{operator} needs a sequence of values, not {value!r}"
            raise ZohoInputError(msg)
        items = list(value)
        if operator == "between" and len(items) != 2:
            msg = f"between needs two values, not {len(items)}"
            raise ZohoInputError(msg)
        if not items:
            msg = "in needs at least one value"
            raise ZohoInputError(msg)
        return items
    return [value]


def _format_value(value: Any, format: str, *, utc: bool) -> str:
    if value is None:
        msg = "a condition needs a value (None matches nothing in Zoho's criteria)"
        raise TypeError(msg)
    if format == "text":
        return str(value)
    if format == "number":
        if isinstance(value, bool):
            msg = "a boolean is not a number"
            raise TypeError(msg)
        return format_number(value)
    if format == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower()
        if not isinstance(value, bool):
            msg = "expected true or false"
            raise TypeError(msg)
        return "true" if value else "false"
    if format == "date":
        return crm_date(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), dt.UTC)
    return crm_datetime(value, utc=utc)


def format_number(value: Any) -> str:
    """A number as plain digits (never ``1e-05``)."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        msg = f"{value!r} is not a number"
        raise ValueError(msg) from None
    if not number.is_finite():
        msg = f"{value!r} is not a finite number"
        raise ValueError(msg)
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _escape(value: str) -> str:
    r"""Backslash-escape what search criteria reserve: ``\``, ``(``, ``)`` and ``,``."""
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace(",", "\\,")


def coql_literal(value: str, format: str = "text") -> str:
    """A value as a COQL literal: numbers bare, anything else quoted and escaped."""
    if format == "number":
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
