r"""Zoho CRM search: ``criteria``, ``email``, ``phone`` and ``word``.

Source: https://www.zoho.com/crm/developer/docs/api/v8/search-records.html (Zoho's Search
Records page).

A search is parsed once into a :data:`Predicate`, then run on each record with a :data:`Getter`:
``get(field)`` answers the current wire value of one field of the record under test (lookups
with the target's current name), and ``get(compare.ID_FIELD)`` the record's id, so criteria may
test ``id`` too.

Criteria grammar: a condition ``(api_name:operator:value)``, or a group of parenthesised members
joined by one connective, ``((a)and(b)and(c))`` or ``((a)or(b))``, nested at will; whitespace
around connectives is allowed, ``and``/``or`` in any case. Inside a value ``\(``, ``\)``, ``\,``
and ``\\`` stand for the character; an unescaped comma separates the values of ``between``
(two) and ``in`` (up to 100). Values arrive URL-decoded and may contain ``:``.

Semantics (a negative operator is the complement of its positive, so ``not_equal`` also
matches empty values; every other operator never matches an empty value):

- ``equals`` on text, email, phone, website and textarea is a case-insensitive "contains"
  (Search Records); on picklists, autonumbers and lookups it is exact, case-insensitive.
- ``starts_with`` is a case-insensitive prefix; ``in`` an exact case-insensitive match of any.
- numbers compare numerically, dates as days, datetimes (offset required) as instants;
  ``between`` is inclusive.
- lookups: an all-digit value is an id, anything else the target's name.
- multi-select picklists (not documented by Zoho; we assume this): ``equals A;B`` holds when the
  record has every listed option, ``in A,B`` when it has any, ``starts_with`` when any option
  starts so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from zoho_emulator.crm import compare
from zoho_emulator.crm.catalog import Field, Module
from zoho_emulator.errors import CrmError, crm_invalid_param

Getter = Callable[[Field], Any]
Predicate = Callable[[Getter], bool]

MAX_CONDITIONS = 10
MAX_IN_VALUES = 100
SEARCH_PARAMS = ("criteria", "email", "phone", "word")

_ORDERED_OPS = frozenset(
    {"equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than"}
) | {"between", "in"}
_CHOICE_OPS = frozenset({"equals", "not_equal", "in"})
#: Operators per value type, as the Search Records page's table lists them.
_OPERATORS: dict[str, frozenset[str]] = {
    **dict.fromkeys(compare.ORDERED_TYPES, _ORDERED_OPS),
    **dict.fromkeys(
        ("text", "email", "phone", "website"),
        frozenset({"equals", "not_equal", "starts_with", "in"}),
    ),
    "textarea": frozenset({"equals", "not_equal", "starts_with"}),
    **dict.fromkeys(("picklist", "autonumber", "lookup", "ownerlookup", "userlookup"), _CHOICE_OPS),
    "multiselectpicklist": frozenset({"equals", "not_equal", "in", "starts_with"}),
    "boolean": frozenset({"equals", "not_equal"}),
}
_ORDER_KIND = {"equals": "eq", "greater_than": "gt", "greater_equal": "ge"}
_ORDER_KIND |= {"less_than": "lt", "less_equal": "le", "between": "between", "in": "in"}
#: Text types on which ``equals`` means "contains" (Search Records; not picklists).
_CONTAINS_TYPES = frozenset({"text", "email", "phone", "website", "textarea"})
_CONNECTIVE = re.compile(r"[A-Za-z]+")
_HEAD = re.compile(r"([A-Za-z0-9_]+):([A-Za-z_]+):")
_ESCAPABLE = "(),\\"
_PHONE = re.compile(r"\+?[0-9\s\-().]{3,50}")
#: ``word`` may hold letters, digits, spaces and these; anything else is a special character
#: (Search Records says only "no special characters": this set is the emulator's reading of it).
_WORD_PUNCTUATION = frozenset(".-_@'")


def search_predicate(params: Mapping[str, str], module: Module) -> Predicate:
    """The predicate of a search request.

    Exactly one parameter is used, by precedence ``criteria`` > ``email`` > ``phone`` > ``word``
    (Search Records). ``email`` matches any email field containing it, ``phone`` any phone
    field whose digits contain its digits, ``word`` any text-like field containing it (all
    case-insensitive). Partial email matches, the phone pattern (``+``, digits, spaces,
    ``-().``, 3 to 50 characters) and 2 to 100 characters for ``word`` follow Zoho's v8 OpenAPI
    description of the same parameters (crm-oas, bulk search).

    Raises:
        CrmError: None of the four (400 EXPECTED_PARAM_MISSING); a malformed value (400
            INVALID_DATA for email/phone/word, see :func:`parse_criteria` for criteria).
    """
    if "criteria" in params:
        return parse_criteria(params["criteria"], module)
    if "email" in params:
        needle = params["email"].strip().casefold()
        if not needle or len(needle) > 255:
            raise crm_invalid_param("email")
        return _any_field(module, ("email",), compare.contains(needle))
    if "phone" in params:
        phone = params["phone"].strip()
        digits = _digits(phone)
        if not _PHONE.fullmatch(phone) or not digits:
            raise crm_invalid_param("phone")
        return _any_field(module, ("phone",), lambda value: digits in _digits(value))
    if "word" in params:
        word = params["word"].strip()
        if not 2 <= len(word) <= 100 or not all(_word_character(ch) for ch in word):
            raise crm_invalid_param("word")
        return _any_field(module, compare.STRING_TYPES, compare.contains(word.casefold()))
    raise CrmError(
        400,
        "EXPECTED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_names": list(SEARCH_PARAMS)},
    )


def parse_criteria(text: str, module: Module) -> Predicate:
    """Parse a ``criteria`` parameter (already URL-decoded) for a module.

    Raises:
        CrmError: 400 INVALID_QUERY for malformed criteria, an unknown or unsearchable field, an
            operator the field's type does not take, or a value it cannot hold (details name the
            field as ``api_name`` and the ``operator``); 400 LIMIT_EXCEEDED beyond 10
            conditions or 100 ``in`` values.
    """
    return _CriteriaParser(text, module).parse()


def _any_field(module: Module, kinds: Collection[str], test: compare.Test) -> Predicate:
    fields = tuple(field for field in module.fields if compare.value_type(field) in kinds)

    def predicate(get: Getter) -> bool:
        for field in fields:
            value = get(field)
            if value is not None and test(str(value).casefold()):
                return True
        return False

    return predicate


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _word_character(ch: str) -> bool:
    return ch.isalnum() or ch.isspace() or ch in _WORD_PUNCTUATION


def _invalid(reason: str, **details: Any) -> CrmError:
    return CrmError(400, "INVALID_QUERY", "invalid query formed", {"reason": reason, **details})


class _CriteriaParser:
    def __init__(self, text: str, module: Module) -> None:
        self.text = text
        self.pos = 0
        self.module = module
        self.conditions = 0

    def parse(self) -> Predicate:
        predicate = self._group()
        self._skip_spaces()
        if self.pos != len(self.text):
            raise self._malformed()
        return predicate

    def _group(self) -> Predicate:
        self._skip_spaces()
        self._expect("(")
        self._skip_spaces()
        if not self.text.startswith("(", self.pos):
            return self._condition()
        members = [self._group()]
        connective = ""
        while True:
            self._skip_spaces()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                break
            word = _CONNECTIVE.match(self.text, self.pos)
            found = word.group().lower() if word else ""
            # One connective per group: mixing and/or needs its own parentheses.
            if found not in ("and", "or") or connective not in ("", found):
                raise self._malformed()
            connective = found
            self.pos = word.end() if word else self.pos
            members.append(self._group())
        return compare.any_of(members) if connective == "or" else compare.all_of(members)

    def _condition(self) -> Predicate:
        head = _HEAD.match(self.text, self.pos)
        if head is None:
            raise self._malformed()
        name, operator = head.groups()
        self.pos = head.end()
        values = self._values()
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise _limit(f"a maximum of {MAX_CONDITIONS} criteria is allowed", MAX_CONDITIONS)
        field = compare.ID_FIELD if name == "id" else self.module.field(name)
        if field is None:
            raise _invalid("invalid field", api_name=name)
        kind = compare.value_type(field)
        allowed = _OPERATORS.get(kind)
        if allowed is None:
            raise _invalid("the field is not supported in search", api_name=name)
        if operator not in allowed:
            raise _invalid("invalid operator found", api_name=name, operator=operator)
        if operator == "in" and len(values) > MAX_IN_VALUES:
            raise _limit(f"a maximum of {MAX_IN_VALUES} values is allowed for in", MAX_IN_VALUES)
        arity = len(values) == 2 if operator == "between" else operator == "in" or len(values) == 1
        if not arity or "" in values:
            raise _invalid("invalid value", api_name=name, operator=operator)
        try:
            return _predicate(field, kind, operator, values)
        except ValueError:
            raise _invalid("invalid value", api_name=name, operator=operator) from None

    def _values(self) -> list[str]:
        """The comma-separated values up to the condition's closing parenthesis (consumed)."""
        values: list[str] = []
        current: list[str] = []
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            self.pos += 1
            if ch == "\\" and self.pos < len(text) and text[self.pos] in _ESCAPABLE:
                current.append(text[self.pos])
                self.pos += 1
            elif ch == ")":
                values.append("".join(current))
                return values
            elif ch == ",":
                values.append("".join(current))
                current = []
            elif ch == "(":
                raise self._malformed()
            else:
                current.append(ch)
        raise self._malformed()

    def _expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise self._malformed()
        self.pos += len(token)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _malformed(self) -> CrmError:
        near = self.text[self.pos : self.pos + 30]
        return _invalid("the criteria is malformed", near=near)


def _limit(message: str, limit: int) -> CrmError:
    return CrmError(400, "LIMIT_EXCEEDED", message, {"param_name": "criteria", "limit": limit})


def _predicate(field: Field, kind: str, operator: str, values: list[str]) -> Predicate:
    """One condition; raises ValueError for a value the field's type cannot hold."""
    positive = "equals" if operator == "not_equal" else operator
    convert, test = _test(kind, positive, values)

    def matches(get: Getter) -> bool:
        value = get(field)
        return value is not None and test(convert(value))

    if operator == "not_equal":
        return lambda get: not matches(get)
    return matches


def _test(kind: str, operator: str, values: list[str]) -> tuple[Callable[[Any], Any], compare.Test]:
    """How to convert a field's wire value, and the test of the converted value."""
    if kind in compare.LOOKUP_TYPES:
        return _lookup_test(values)
    convert = compare.converter(kind)
    if kind == "multiselectpicklist":
        if operator == "starts_with":
            prefix = values[0].casefold()
            return convert, lambda chosen: any(option.startswith(prefix) for option in chosen)
        return convert, compare.includes_any([compare.option_set(value) for value in values])
    literals = [compare.parse_literal(kind, value) for value in values]
    if operator == "starts_with":
        return convert, compare.starts_with(literals[0])
    if operator == "equals" and kind in _CONTAINS_TYPES:
        return convert, compare.contains(literals[0])
    return convert, compare.comparison(_ORDER_KIND[operator], literals)


def _lookup_test(values: list[str]) -> tuple[Callable[[Any], Any], compare.Test]:
    ids = frozenset(value for value in values if value.isdigit())
    names = frozenset(value.casefold() for value in values if not value.isdigit())

    def test(lookup: dict[str, Any]) -> bool:
        return lookup.get("id") in ids or (lookup.get("name") or "").casefold() in names

    return compare.identity, test
