"""Typed values for the CRM query languages: search criteria and COQL.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/search-records.html and
https://www.zoho.com/crm/developer/docs/api/v8/Get-Records-through-COQL-Query.html.

Both languages compare the wire values a record holds (by data type, as the sample attributes of
https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html give them) with literals typed
by the field: numbers numerically (bigint digit strings too), datetimes as instants, dates as
``YYYY-MM-DD`` strings, text case-insensitively, lookups by id, multi-select picklists as sets of
options. Everything here is built once per query; the returned callables run once per record.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any, ParamSpec

from zoho_emulator import timefmt
from zoho_emulator.crm.catalog import Field

P = ParamSpec("P")
#: A test of one non-null value, already converted (see :func:`converter`).
Test = Callable[[Any], bool]

#: The record id, queried like a field: a getter answers it with the record's id (digit string).
ID_FIELD = Field("id", "bigint", read_only=True)

INTEGER_TYPES = frozenset({"integer", "bigint"})
NUMBER_TYPES = INTEGER_TYPES | {"double", "currency", "percent"}
#: Types whose values have an order: numbers, dates and datetimes.
ORDERED_TYPES = NUMBER_TYPES | {"date", "datetime"}
#: Types whose values are plain strings.
STRING_TYPES = frozenset(
    {"text", "email", "phone", "website", "textarea", "autonumber", "picklist"}
)
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup", "multi_module_lookup", "layout"})

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_ORDER = {"eq": operator.eq, "gt": operator.gt, "ge": operator.ge}
_ORDER |= {"lt": operator.lt, "le": operator.le}


def value_type(field: Field) -> str:
    """The type a field's values compare as.

    A formula compares as its return type; Tag (a ``text`` field of JSON objects) as
    ``jsonarray``, which no comparison supports.
    """
    if field.json_array:
        return "jsonarray"
    if field.data_type == "formula":
        return field.return_type or "text"
    return field.data_type


def parse_literal(kind: str, text: str) -> Any:
    """A query literal as a comparable value of a scalar type (see :func:`converter`).

    Raises:
        ValueError: The text is no value of that type: integers take digits only, datetimes
            need an offset (``2024-05-10T01:10:47-07:00``), booleans are ``true``/``false``.
    """
    if kind in INTEGER_TYPES and _INTEGER.fullmatch(text):
        return int(text)
    if kind in NUMBER_TYPES - INTEGER_TYPES and _DECIMAL.fullmatch(text):
        return float(text)
    if kind == "date" and timefmt.is_date(text):
        return text
    if kind == "datetime" and "T" in text:
        return timefmt.parse_loose_datetime(text)
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind in STRING_TYPES:
        return text.casefold()
    msg = f"not a {kind} value: {text!r}"
    raise ValueError(msg)


def epoch(wire: str) -> float:
    """A stored datetime (always with its offset) as epoch seconds."""
    return dt.datetime.fromisoformat(wire).timestamp()


def lookup_id(wire: dict[str, Any]) -> str:
    """The id a lookup value points at."""
    return str(wire["id"])


def options(wire: Sequence[str]) -> frozenset[str]:
    """A multi-select picklist value as its set of options, case-folded."""
    return frozenset(option.casefold() for option in wire)


def option_set(text: str) -> frozenset[str]:
    """Options written ``'English;German'``, as both languages write multi-select values."""
    return frozenset(option.casefold() for option in text.split(";"))


def converter(kind: str) -> Callable[[Any], Any]:
    """How to turn a non-null wire value of a type into its comparable form."""
    if kind in INTEGER_TYPES:
        return int
    if kind == "datetime":
        return epoch
    if kind in STRING_TYPES:
        return str.casefold
    if kind in LOOKUP_TYPES:
        return lookup_id
    if kind == "multiselectpicklist":
        return options
    return identity


def identity(value: Any) -> Any:
    """The value itself: the converter of types compared as they are stored."""
    return value


def is_empty(wire: Any) -> bool:
    """Whether a wire value is empty (``null``, or an empty string or list)."""
    return wire is None or wire in ("", [])


def comparison(kind: str, literals: Sequence[Any]) -> Test:
    """A test of one comparable value against parsed literals.

    Args:
        kind: ``eq``, ``gt``, ``ge``, ``lt``, ``le`` (one literal), ``between`` (two, inclusive)
            or ``in`` (any number).
        literals: The literals, in the value's comparable form.
    """
    if kind == "in":
        return frozenset(literals).__contains__
    if kind == "between":
        low, high = literals
        return lambda value: low <= value <= high
    compare, bound = _ORDER[kind], literals[0]
    return lambda value: bool(compare(value, bound))


def contains(needle: str) -> Test:
    """A test of case-folded text containing a case-folded needle."""
    return lambda value: needle in value


def starts_with(prefix: str) -> Test:
    """A test of case-folded text starting with a case-folded prefix."""
    return lambda value: bool(value.startswith(prefix))


def ends_with(suffix: str) -> Test:
    """A test of case-folded text ending with a case-folded suffix."""
    return lambda value: bool(value.endswith(suffix))


def includes_any(wanted: Collection[frozenset[str]]) -> Test:
    """A test of a set of options holding every option of at least one wanted set."""
    return lambda value: any(want <= value for want in wanted)


def sort_key(wire: Any) -> tuple[Any, ...]:
    """A sort key for any wire value, so one column's values order by their type.

    Empty values come first, as SQL sorts NULL (last when the sort is reversed); numbers, digit
    strings (bigint) and lookups (by id) numerically; datetimes as instants; other text
    case-insensitively (``YYYY-MM-DD`` dates order as days); multi-select picklists by their
    sorted options.
    """
    if is_empty(wire):
        return (0,)
    if isinstance(wire, bool | int | float):
        return (1, 0, wire)
    if isinstance(wire, dict):
        return (1, 0, int(lookup_id(wire)))
    if isinstance(wire, list):
        return (1, 2, ";".join(sorted(options(wire))))
    if wire.isascii() and wire.isdigit():
        return (1, 0, int(wire))
    if _DATETIME.fullmatch(wire):
        return (1, 1, epoch(wire))
    return (1, 2, wire.casefold())


def all_of(tests: Sequence[Callable[P, bool]]) -> Callable[P, bool]:
    """A test passing when every test passes (short-circuiting)."""
    if len(tests) == 1:
        return tests[0]

    def conjunction(*args: P.args, **kwargs: P.kwargs) -> bool:
        for test in tests:  # noqa: SIM110 - runs per record: a loop beats all() on a generator
            if not test(*args, **kwargs):
                return False
        return True

    return conjunction


def any_of(tests: Sequence[Callable[P, bool]]) -> Callable[P, bool]:
    """A test passing when any test passes (short-circuiting)."""
    if len(tests) == 1:
        return tests[0]

    def disjunction(*args: P.args, **kwargs: P.kwargs) -> bool:
        for test in tests:  # noqa: SIM110 - runs per record: a loop beats any() on a generator
            if test(*args, **kwargs):
                return True
        return False

    return disjunction
