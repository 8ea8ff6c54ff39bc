"""Zoho CRM COQL: a ``select_query`` parsed once, evaluated per record.

Sources: https://www.zoho.com/crm/developer/docs/api/v8/Get-Records-through-COQL-Query.html and
https://www.zoho.com/crm/developer/docs/api/v8/COQL-Limitations.html.

How the route layer runs a :class:`CoqlQuery` from :func:`parse_coql`:

- A :data:`Getter` answers ``get(field)`` with the current wire value of one field of the base
  record, and ``get(compare.ID_FIELD)`` with the record's id (COQL filters and sorts on ``id``).
- A :data:`Resolver` answers ``resolve(lookup_value, field)`` with the current value of ``field``
  on the record (or user) the lookup wire value ``{"id": ...}`` points at, None when it is gone.
  ``field`` belongs to the lookup's target module, or to :data:`USERS` for owner/user lookups.
- ``query.where`` is a :data:`Where`, ``where(get, resolve) -> bool``. Its type admits None,
  but a parsed query always has one: Zoho requires the WHERE clause (its examples add
  ``where id is not null`` for want of a filter; crm-oas v8 answers ``missing clause``).
- Order: Zoho's default is ascending ``id``. Start from the matches in id order, then for each
  ``(column, descending)`` of ``query.order_by`` from last to first, stable-sort with
  ``key=sort_key(column_value(column, get, resolve))`` and ``reverse=descending``; ties keep
  id order and empty values sort first ascending, last descending (SQL's NULL order).
- Page: ``matches[offset : offset + limit]``; :func:`row` builds each output row, ``credits``
  is the call's cost.
- ``query.ranges`` tells, per column, the bounds every match lies within, so a runner may
  start a walk in the column's order at the low bound and stop past the high one; and
  ``query.certain`` the values that make a match alone, on which the runner need not test.

Syntax: ``select a, b.c [as 'alias'] from Module where ... [order by a [asc|desc], ...]
[limit n [offset m] | limit m, n]``; keywords in any case, module names too, field API names
exact. Literals: ``'text'`` or ``"text"`` (a quote inside doubled or backslash-escaped), numbers
unquoted or quoted, ``'true'``/``true``, ``'YYYY-MM-DD'``, datetimes with an offset,
multi-select picklists ``'English;German'``. WHERE takes ``=, !=, >, <, >=, <=, [not] between x
and y, [not] in (...), [not] like, is [not] null`` per field type, and at most two criteria per
parenthesis level: ``((A and B) and C)``.

Comparisons follow SQL: text and picklists compare exactly but case-insensitively, lookups by
id, multi-select picklists as sets (``=`` the same options, ``in`` any of them), and nothing but
``is null`` matches an empty value. ``select *``, aggregates and GROUP BY, custom views
(``Leads#cvid``) and multi-module lookups (``What_Id->Leads``) answer SYNTAX_ERROR.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from zoho_emulator.crm import catalog, compare
from zoho_emulator.crm.catalog import Field, Module
from zoho_emulator.crm.compare import sort_key
from zoho_emulator.errors import CrmError

__all__ = [
    "USERS",
    "Column",
    "CoqlQuery",
    "Getter",
    "Ranges",
    "Resolver",
    "Where",
    "column_value",
    "parse_coql",
    "row",
    "sort_key",
]

Getter = Callable[[Field], Any]
Resolver = Callable[[Any, Field], Any]
Where = Callable[[Getter, Resolver], bool]
#: Per column path as written (``Modified_Time``, ``id``): an interval ``(low, high)`` of the
#: column's comparable values (epoch seconds for datetimes, ints for bigint and ids); None for
#: an unbounded end.
Ranges = dict[str, tuple[Any, Any]]

DEFAULT_LIMIT = 200
MAX_LIMIT = 2000
MAX_ROWS = 100_000
MAX_COLUMNS = 50
MAX_CRITERIA = 25
MAX_IN_VALUES = 50
MAX_ORDER_BY = 10
MAX_HOPS = 2

#: Users as owner and user lookups reach them: ``Owner.email``, ``Technician.full_name``.
USERS = Module(
    "users",
    catalog.USER_MODULE_CODE,
    "User",
    fields=(
        Field("first_name", "text"),
        Field("last_name", "text"),
        Field("full_name", "text"),
        Field("email", "email"),
    ),
    api_supported=False,
)

_KEYWORDS = frozenset(
    {"select", "from", "where", "and", "or", "not", "in", "like", "between", "is", "null"}
) | {"order", "by", "asc", "desc", "limit", "offset", "as", "group", "true", "false"}
_AGGREGATES = frozenset({"sum", "min", "max", "avg", "count"})
_ORDERED_OPS = frozenset({"=", "!=", ">", "<", ">=", "<=", "between", "not between"})
_NULL_OPS = frozenset({"is null", "is not null"})
_MEMBER_OPS = frozenset({"in", "not in"})
_CHOICE_OPS = frozenset({"=", "!="}) | _MEMBER_OPS | _NULL_OPS
#: WHERE comparators per value type. Textarea, Tag, subforms and multi-select lookups have none
#: (Zoho's COQL pages: multi-line fields are not allowed in criteria).
_OPERATORS: dict[str, frozenset[str]] = {
    **dict.fromkeys(compare.ORDERED_TYPES, _ORDERED_OPS | _MEMBER_OPS | _NULL_OPS),
    **dict.fromkeys(
        ("text", "email", "phone", "website", "autonumber"),
        _CHOICE_OPS | {"like", "not like"},
    ),
    **dict.fromkeys(("picklist", "multiselectpicklist", *compare.LOOKUP_TYPES), _CHOICE_OPS),
    "boolean": frozenset({"="}),
}
_POSITIVE = {"!=": "=", "not between": "between", "not in": "in", "not like": "like"}
_COMPARISON = {"=": "eq", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
_COMPARISON |= {"between": "between", "in": "in"}
_UNSELECTABLE = catalog.DETAIL_ONLY_TYPES
_UNSORTABLE = _UNSELECTABLE | {"jsonarray"}
_TOKEN = re.compile(
    r"""(?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    |(?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    |(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
    |(?P<symbol><=|>=|!=|<>|[=<>(),*])""",
    re.VERBOSE | re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class Column:
    """One select or order-by column.

    Attributes:
        key: Its key in a row: the alias, else the column as written
            (``Account_Name.Account_Name``).
        path: The fields leading to the value: one field of the base module, or up to two
            lookups followed by a field of the last lookup's target (``compare.ID_FIELD`` for
            ``.id``).
    """

    key: str
    path: tuple[Field, ...]

    @property
    def field(self) -> Field:
        """The field whose value the column holds."""
        return self.path[-1]


@dataclasses.dataclass(frozen=True)
class CoqlQuery:
    """A parsed COQL query.

    Attributes:
        module: The module queried.
        columns: The select columns, in order.
        where: The WHERE clause (see the module docstring).
        order_by: The ORDER BY columns with their direction (True = descending).
        limit: How many rows to return.
        offset: How many matches to skip.
        ranges: Closed intervals every match of the WHERE clause lies within.
        certain: Open intervals: a value strictly inside makes a record match, whatever its
            other fields hold.
    """

    module: Module
    columns: tuple[Column, ...]
    where: Where | None
    order_by: tuple[tuple[Column, bool], ...]
    limit: int
    offset: int
    ranges: Ranges = dataclasses.field(default_factory=dict)
    certain: Ranges = dataclasses.field(default_factory=dict)

    @property
    def credits(self) -> int:
        """API credits by LIMIT band: 1-200 → 1, 201-1,000 → 2, 1,001-2,000 → 3.

        As Zoho's COQL overview gives them
        (https://www.zoho.com/developer/docs/vertical-solutions/api/v4/COQL-Overview.html).
        """
        return 1 if self.limit <= 200 else 2 if self.limit <= 1000 else 3


def parse_coql(text: str) -> CoqlQuery:
    """Parse a ``select_query``.

    Raises:
        CrmError: 400 SYNTAX_ERROR (details ``line``/``column``/``near``, ``clause`` for a
            missing clause, or ``operator``), INVALID_QUERY (unknown module or column, a
            comparator or value the column's type does not take: details ``column_name``,
            ``operator``, ``reason``), INVALID_MODULE (a module the API does not serve),
            LIMIT_EXCEEDED, DUPLICATE_DATA, DUPLICATE_ALIAS, INVALID_ALIAS, INVALID_DATA
            (LIMIT 0).
    """
    return _Parser(text).query()


def column_value(column: Column, get: Getter, resolve: Resolver) -> Any:
    """The wire value of a column for one record (lookups as stored: ``{"name", "id", ...}``)."""
    path = column.path
    value = get(path[0])
    for field in path[1:]:
        if value is None:
            return None
        value = value.get("id") if field is compare.ID_FIELD else resolve(value, field)
    return value


def row(query: CoqlQuery, record_id: str, get: Getter, resolve: Resolver) -> dict[str, Any]:
    """A record as COQL returns it: the columns by key, lookups as ``{"id"}``, then ``id``."""
    result = {
        column.key: _output(column, column_value(column, get, resolve)) for column in query.columns
    }
    result["id"] = record_id
    return result


def _output(column: Column, value: Any) -> Any:
    if isinstance(value, dict):
        return {"id": value["id"]}
    if column.field.json_array and isinstance(value, list):
        # UNCONFIRMED: no COQL sample of Zoho's shows Tag. We play the reduced reading, as
        # lookups come reduced: each tag's name and id, without its color_code.
        return [{"name": tag["name"], "id": tag["id"]} for tag in value]
    return value


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int

    @property
    def value(self) -> str:
        """The text, unquoted and unescaped for a string."""
        if self.kind != "string":
            return self.text
        quote = self.text[0]
        escapes = re.compile(rf"\\(.)|{quote}{quote}", re.DOTALL)
        return escapes.sub(lambda match: match.group(1) or quote, self.text[1:-1])

    @property
    def keyword(self) -> str:
        """The keyword the token is, in lower case, or ""."""
        lowered = self.text.lower()
        return lowered if self.kind == "name" and lowered in _KEYWORDS else ""

    @property
    def names_column(self) -> bool:
        """Whether the token can name a column: a non-keyword name or a quoted one."""
        return self.kind == "string" or (self.kind == "name" and not self.keyword)


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            tokens.append(_Token("end", "", pos))
            return tokens
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise _syntax("unexpected token", {**_location(text, pos), "near": text[pos:][:30]})
        tokens.append(_Token(match.lastgroup, match.group(), pos))
        pos = match.end()


def _location(text: str, pos: int) -> dict[str, int]:
    return {"line": text.count("\n", 0, pos) + 1, "column": pos - text.rfind("\n", 0, pos)}


def _syntax(message: str, details: dict[str, Any]) -> CrmError:
    return CrmError(400, "SYNTAX_ERROR", message, details)


def _invalid(message: str, details: dict[str, Any]) -> CrmError:
    return CrmError(400, "INVALID_QUERY", message, details)


def _limit_exceeded(message: str, clause: str, allowed: int) -> CrmError:
    return CrmError(400, "LIMIT_EXCEEDED", message, {"clause": clause, "allowed_count": allowed})


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.criteria = 0

    def query(self) -> CoqlQuery:
        if not self._accept("select"):
            raise _syntax("given coql query not supported", {})
        items = [self._select_item()]
        while self._accept(","):
            items.append(self._select_item())
        self._clause("from")
        module = self._module()
        columns = _select_columns(module, items)
        self._clause("where")
        condition = self._condition(module)
        if self._peek().keyword == "group":
            raise self._not_emulated(self._peek())
        order_by: tuple[tuple[Column, bool], ...] = ()
        if self._accept("order"):
            self._expect("by")
            order_by = self._order_by(module)
        limit, offset = self._limit() if self._accept("limit") else (DEFAULT_LIMIT, 0)
        if self._peek().kind != "end":
            raise self._unexpected()
        return CoqlQuery(
            module,
            columns,
            condition.where,
            order_by,
            limit,
            offset,
            condition.ranges,
            condition.certain,
        )

    # -- clauses -----------------------------------------------------------------------------

    def _select_item(self) -> tuple[str, str | None]:
        token = self._next()
        if token.kind == "name" and self._peek().text == "(":
            raise self._not_emulated(token)
        if not token.names_column:
            raise self._unexpected(token)
        alias = None
        if self._accept("as"):
            alias_token = self._next()
            if not alias_token.names_column:
                raise self._unexpected(alias_token)
            alias = alias_token.value
            if not alias:
                details = {"alias": "", "column_name": token.value}
                raise CrmError(400, "INVALID_ALIAS", "invalid alias", details)
        return token.value, alias

    def _module(self) -> Module:
        token = self._next()
        if token.kind != "name" or token.keyword:
            raise self._unexpected(token)
        module = catalog.lookup_module(token.text)
        if module is None:
            raise _invalid("invalid module given", {"module": token.text})
        if not module.api_supported:
            raise CrmError(400, "INVALID_MODULE", "the given module is not supported in api", {})
        return module

    def _condition(self, module: Module) -> _Clause:
        """One parenthesis level: a criterion, or two joined by ``and``/``or``.

        A third connective at the same level is then an unexpected token: Zoho wants more than
        two criteria grouped in pairs, ``((A and B) and C)``.
        """
        first = self._term(module)
        connective = self._peek().keyword
        if connective not in ("and", "or"):
            return first
        self._next()
        second = self._term(module)
        tests = [first.where, second.where]
        if connective == "or":
            return _Clause(
                compare.any_of(tests),
                _either_ranges(first.ranges, second.ranges),
                _either_certain(first.certain, second.certain),
            )
        return _Clause(
            compare.all_of(tests),
            _meet_each(first.ranges, second.ranges, first.ranges.keys() | second.ranges.keys()),
            _meet_each(first.certain, second.certain, first.certain.keys() & second.certain.keys()),
        )

    def _term(self, module: Module) -> _Clause:
        if self._accept("("):
            condition = self._condition(module)
            self._expect(")")
            return condition
        token = self._next()
        if not token.names_column:
            raise self._unexpected(token)
        column = _column(module, token.value, "where")
        operator, literals = self._comparator()
        self.criteria += 1
        if self.criteria > MAX_CRITERIA:
            message = f"a maximum of {MAX_CRITERIA} criteria is allowed in where"
            raise _limit_exceeded(message, "where", MAX_CRITERIA)
        return _criterion(column, operator, literals)

    def _comparator(self) -> tuple[str, list[_Token]]:
        token = self._next()
        if token.kind == "symbol" and token.text in ("=", "!=", ">", "<", ">=", "<="):
            return token.text, [self._literal()]
        if token.text == "<>":
            raise _syntax("operator not supported", {"operator": "<>"})
        word = token.keyword
        if word == "is":
            negated = self._accept("not")
            self._expect("null")
            return ("is not null" if negated else "is null"), []
        prefix = ""
        if word == "not":
            token = self._next()
            word = token.keyword
            if word not in ("between", "in", "like"):
                raise _syntax("operator not supported", {"operator": "not"})
            prefix = "not "
        if word == "between":
            low = self._literal()
            self._expect("and")
            return prefix + word, [low, self._literal()]
        if word == "in":
            self._expect("(")
            values = [self._literal()]
            while self._accept(","):
                values.append(self._literal())
            self._expect(")")
            return prefix + word, values
        if word == "like":
            return prefix + word, [self._literal()]
        raise self._unexpected(token)

    def _literal(self) -> _Token:
        token = self._next()
        if token.kind in ("string", "number") or token.keyword in ("true", "false"):
            return token
        raise self._unexpected(token)

    def _order_by(self, module: Module) -> tuple[tuple[Column, bool], ...]:
        items: list[tuple[Column, bool]] = []
        while True:
            token = self._next()
            if not token.names_column:
                raise self._unexpected(token)
            column = _column(module, token.value, "order by")
            if compare.value_type(column.field) in _UNSORTABLE:
                raise _invalid("unsupported column", {"column_name": column.key})
            if any(column.key == seen.key for seen, _ in items):
                raise CrmError(400, "DUPLICATE_DATA", "duplicate data", {"column_name": column.key})
            descending = self._accept("desc")
            if not descending:
                self._accept("asc")
            items.append((column, descending))
            if not self._accept(","):
                break
        if len(items) > MAX_ORDER_BY:
            message = f"a maximum of {MAX_ORDER_BY} columns is allowed in order by"
            raise _limit_exceeded(message, "order by", MAX_ORDER_BY)
        return tuple(items)

    def _limit(self) -> tuple[int, int]:
        limit_token = self._operand()
        offset_token = None
        if self._accept(","):
            offset_token, limit_token = limit_token, self._operand()
        elif self._accept("offset"):
            offset_token = self._operand()
        limit = _count(limit_token, "limit")
        if limit <= 0:
            raise CrmError(400, "INVALID_DATA", "limit should be greater than 0", {})
        if limit > MAX_LIMIT:
            message = f"a maximum of {MAX_LIMIT} records can be fetched per call"
            raise _limit_exceeded(message, "limit", MAX_LIMIT)
        offset = 0
        if offset_token is not None:
            offset = _count(offset_token, "offset")
            if offset < 0:
                raise _invalid("offset given seems to be invalid", {"offset": offset_token.text})
        if offset + limit > MAX_ROWS:
            message = f"a maximum of {MAX_ROWS} records can be fetched through limit and offset"
            raise _limit_exceeded(message, "offset", MAX_ROWS)
        return limit, offset

    # -- tokens ------------------------------------------------------------------------------

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def _operand(self) -> _Token:
        """The next token, which must exist."""
        if self._peek().kind == "end":
            raise self._unexpected()
        return self._next()

    def _accept(self, text: str) -> bool:
        """Consume the next token if it is that keyword or symbol."""
        token = self._peek()
        if token.keyword == text or (token.kind == "symbol" and token.text == text):
            self._next()
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            raise self._unexpected()

    def _clause(self, keyword: str) -> None:
        """Consume a mandatory clause keyword: missing when the query ends or goes on elsewhere."""
        if self._accept(keyword):
            return
        if self._peek().kind == "end" or self._peek().keyword:
            raise _syntax("missing clause", {"clause": keyword})
        raise self._unexpected()

    def _unexpected(self, token: _Token | None = None) -> CrmError:
        culprit = token or self._peek()
        if culprit.kind == "end" and self.index:
            culprit = self.tokens[self.index - 1]
        details = {**_location(self.text, culprit.pos), "near": culprit.text}
        return _syntax("unexpected token", details)

    def _not_emulated(self, token: _Token) -> CrmError:
        if token.text.lower() in _AGGREGATES or token.keyword == "group":
            message = "aggregate functions and group by are not supported by the emulator"
            return _syntax(message, {"near": token.text})
        return self._unexpected(token)


def _select_columns(module: Module, items: list[tuple[str, str | None]]) -> tuple[Column, ...]:
    if len(items) > MAX_COLUMNS:
        message = f"a maximum of {MAX_COLUMNS} columns is allowed in select"
        raise _limit_exceeded(message, "select", MAX_COLUMNS)
    columns: list[Column] = []
    for path, alias in items:
        if any(path == _path(column) for column in columns):
            raise CrmError(400, "DUPLICATE_DATA", "duplicate select column", {"column_name": path})
        column = _column(module, path, "select", alias)
        if compare.value_type(column.field) in _UNSELECTABLE:
            raise _invalid("unsupported column", {"column_name": path})
        twins = [_path(other) for other in columns if other.key == column.key]
        if twins:
            details = {"alias": column.key, "referred_columns": [*twins, path]}
            raise CrmError(400, "DUPLICATE_ALIAS", "duplicate alias", details)
        columns.append(column)
    return tuple(columns)


def _path(column: Column) -> str:
    return ".".join(field.api_name for field in column.path)


def _column(module: Module, path: str, clause: str, alias: str | None = None) -> Column:
    """The column a path names: a field, or lookups then a field of the last lookup's target."""
    names = path.split(".")
    if len(names) > MAX_HOPS + 1:
        message = f"a maximum of {MAX_HOPS} relations is allowed in a column"
        raise _limit_exceeded(message, clause, MAX_HOPS)
    fields: list[Field] = []
    current: Module | None = module
    for name in names:
        field = None
        if current is not None:
            field = compare.ID_FIELD if name == "id" else current.field(name)
        if field is None:
            raise _invalid("Invalid query formed", {"column_name": path, "clause": clause})
        fields.append(field)
        current = _target(field)
    return Column(alias or path, tuple(fields))


def _target(field: Field) -> Module | None:
    """The module a lookup field reaches through a dot (multi-module lookups need ``->``)."""
    if field.data_type not in ("lookup", "ownerlookup", "userlookup") or not field.lookup:
        return None
    return USERS if field.lookup == "users" else catalog.MODULES_BY_NAME.get(field.lookup)


def _count(token: _Token, clause: str) -> int:
    if token.kind != "number" or "." in token.text:
        raise _invalid(f"{clause} given seems to be invalid", {clause: token.text})
    return int(token.text)


def _criterion(column: Column, operator: str, literals: list[_Token]) -> _Clause:
    """One WHERE criterion, checked against the column's type."""
    kind = compare.value_type(column.field)
    allowed = _OPERATORS.get(kind)
    if allowed is None:
        value = literals[0].value if literals else ""
        details = {"cv_criteria": False, "column_name": column.key, "value": value}
        raise _invalid("unsupported column in criteria", {**details, "operator": operator})
    if operator not in allowed:
        details = {"reason": "invalid operator found", "column_name": column.key}
        raise _invalid("Invalid query formed", {**details, "operator": operator})
    if operator in _MEMBER_OPS and len(literals) > MAX_IN_VALUES:
        message = f"a maximum of {MAX_IN_VALUES} values is allowed for {operator}"
        raise _limit_exceeded(message, "where", MAX_IN_VALUES)
    if operator in _NULL_OPS:
        wanted = operator == "is null"
        return _Clause(
            lambda get, resolve: compare.is_empty(column_value(column, get, resolve)) == wanted
        )
    try:
        test = _test(kind, operator, literals)
        bounds = _bounds(kind, operator, literals)
    except ValueError:
        details = {"reason": "invalid value found", "column_name": column.key}
        details |= {"operator": operator, "expected_data_type": kind}
        raise _invalid("Invalid query formed", details) from None
    convert = compare.converter(kind)
    negated = operator in _POSITIVE

    def where(get: Getter, resolve: Resolver) -> bool:
        value = column_value(column, get, resolve)
        return not compare.is_empty(value) and test(convert(value)) != negated

    if bounds is None:
        return _Clause(where)
    within, certain = bounds
    path = _path(column)
    return _Clause(where, {path: within}, {} if certain is None else {path: certain})


@dataclasses.dataclass(frozen=True)
class _Clause:
    """A parsed WHERE condition: its test, and what it tells of its matches (see CoqlQuery)."""

    where: Where
    ranges: Ranges = dataclasses.field(default_factory=dict)
    certain: Ranges = dataclasses.field(default_factory=dict)


def _bounds(
    kind: str, operator: str, literals: list[_Token]
) -> tuple[tuple[Any, Any], tuple[Any, Any] | None] | None:
    """The closed range of a criterion on an ordered type, and its open one.

    Its matches lie within the closed range, and every value strictly inside the open one
    matches; ``=`` and ``in`` have no open range (points, with nothing strictly inside).

    Raises ValueError for literals the type cannot hold.
    """
    if kind not in compare.ORDERED_TYPES or operator not in _COMPARISON:
        return None
    values = [_scalar(kind, token) for token in literals]
    if operator in ("=", "in"):
        return (min(values), max(values)), None
    if operator == "between":
        span = (values[0], values[1])
    else:
        span = (values[0], None) if operator.startswith(">") else (None, values[0])
    return span, span


def _meet(first: tuple[Any, Any], second: tuple[Any, Any]) -> tuple[Any, Any]:
    """The intersection of two intervals."""
    (low_a, high_a), (low_b, high_b) = first, second
    low = low_b if low_a is None else low_a if low_b is None else max(low_a, low_b)
    high = high_b if high_a is None else high_a if high_b is None else min(high_a, high_b)
    return low, high


def _hull(first: tuple[Any, Any], second: tuple[Any, Any]) -> tuple[Any, Any]:
    """The smallest interval holding both."""
    (low_a, high_a), (low_b, high_b) = first, second
    low = None if low_a is None or low_b is None else min(low_a, low_b)
    high = None if high_a is None or high_b is None else max(high_a, high_b)
    return low, high


def _meet_each(first: Ranges, second: Ranges, paths: Iterable[str]) -> Ranges:
    """The intervals of an ``and`` on each of the paths (a side without one: the other's)."""
    unbounded = (None, None)
    return {path: _meet(first.get(path, unbounded), second.get(path, unbounded)) for path in paths}


def _either_ranges(first: Ranges, second: Ranges) -> Ranges:
    """Where the matches of an ``or`` lie: on columns both sides confine, the hull."""
    hulls = {path: _hull(first[path], second[path]) for path in first.keys() & second.keys()}
    return {path: hull for path, hull in hulls.items() if hull != (None, None)}


def _either_certain(first: Ranges, second: Ranges) -> Ranges:
    """The values that make an ``or`` match: either side's, both's hull where they overlap."""
    certain = {**second, **first}
    for path in first.keys() & second.keys():
        low, high = _meet(first[path], second[path])
        if low is None or high is None or low < high:
            certain[path] = _hull(first[path], second[path])
    return certain


def _test(kind: str, operator: str, literals: list[_Token]) -> compare.Test:
    """The test of a converted value (the positive one for ``not ...`` and ``!=``).

    Raises ValueError for literals the type cannot hold.
    """
    if operator in ("like", "not like"):
        return _like(literals[0], negated=operator == "not like")
    if kind == "multiselectpicklist":
        wanted = [compare.option_set(_string(token)) for token in literals]
        return compare.includes_any(wanted) if operator in _MEMBER_OPS else wanted[0].__eq__
    values = [_scalar(kind, token) for token in literals]
    return compare.comparison(_COMPARISON[_POSITIVE.get(operator, operator)], values)


def _scalar(kind: str, token: _Token) -> Any:
    if kind in compare.LOOKUP_TYPES:
        if not (token.value.isascii() and token.value.isdigit()):
            raise ValueError(token.value)
        return token.value
    if kind in compare.STRING_TYPES:
        return _string(token).casefold()
    return compare.parse_literal(kind, token.value)


def _string(token: _Token) -> str:
    if token.kind != "string":
        raise ValueError(token.text)
    return token.value


def _like(token: _Token, *, negated: bool) -> compare.Test:
    """``like '%x%'``, ``'x%'`` or ``'%x'``; ``not like`` only ``'%x%'``."""
    pattern = _string(token).casefold()
    inner = pattern.strip("%")
    if not inner or "%" in inner or pattern == inner:
        raise ValueError(pattern)
    if pattern == f"%{inner}%":
        return compare.contains(inner)
    if negated:
        raise ValueError(pattern)
    if pattern == f"{inner}%":
        return compare.starts_with(inner)
    if pattern == f"%{inner}":
        return compare.ends_with(inner)
    raise ValueError(pattern)
