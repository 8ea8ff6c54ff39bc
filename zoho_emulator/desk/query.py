"""Desk query parameters: unknown ones and bad values are refused with 422.

Zoho refuses an unknown ``sortOrder`` so (an answer quoted in a public repository); that it
refuses every unknown parameter is not documented by Zoho: we assume it. The 422 bodies follow
Zoho's OpenAPI files.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from zoho_emulator import timefmt
from zoho_emulator.errors import DeskError, desk_unprocessable

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

_INTEGER = re.compile(r"-?\d{1,18}")
#: Credits of a list or search page by its ``from``: (highest offset, credits). Not confirmed by
#: Zoho: third-party summaries of Desk's credit table, which we assume.
_PAGE_CREDITS = ((2_000, 3), (10_000, 5), (50_000, 10), (100_000, 50))
_DEEP_PAGE_CREDITS = 100


def invalid(name: str) -> DeskError:
    """The 422 for a bad query parameter value (the OAS example message)."""
    return desk_unprocessable(f"The value passed for the '{name}' query parameter is invalid.")


def missing(name: str) -> DeskError:
    """The 422 for a required query parameter that was not sent."""
    return desk_unprocessable(f"The query parameter '{name}' is missing in the input.")


@dataclasses.dataclass(frozen=True)
class Paging:
    """How an endpoint pages.

    Attributes:
        default_limit: ``limit`` when none is sent.
        max_limit: The largest ``limit`` accepted.
        search: Search paging: ``from`` is 0-based and capped by ``search_from_cap``. List
            paging: ``from`` is a 1-based index, and 0 is taken as the first record (Zoho's
            docs disagree on the base: we assume 1).
    """

    default_limit: int
    max_limit: int
    search: bool = False


@dataclasses.dataclass(frozen=True)
class Page:
    """One requested page.

    Attributes:
        start: 0-based offset of its first record.
        limit: Records asked for.
        offset: ``from`` as sent, which sets the page's credits.
    """

    start: int
    limit: int
    offset: int

    @property
    def credits(self) -> int:
        """API credits of the page: deeper pages cost more (see ``_PAGE_CREDITS``)."""
        return next((cost for top, cost in _PAGE_CREDITS if self.offset <= top), _DEEP_PAGE_CREDITS)


class Query:
    """The query parameters of one call, checked against those the endpoint accepts.

    Args:
        params: The request's query parameters.
        allowed: Names the endpoint accepts (``orgId`` is always accepted).

    Raises:
        DeskError: A parameter is unknown (422) or sent twice.
    """

    def __init__(self, params: QueryParams, allowed: frozenset[str]) -> None:
        for name in params:
            if name != "orgId" and name not in allowed:
                raise desk_unprocessable(f"Extra query parameter '{name}' is present in the input.")
            if len(params.getlist(name)) > 1:
                raise invalid(name)
        self._params = params

    def text(self, name: str, *, min_length: int = 1) -> str | None:
        """A string parameter, None when absent.

        Raises:
            DeskError: It is shorter than ``min_length``.
        """
        value = self._params.get(name)
        if value is not None and len(value) < min_length:
            raise invalid(name)
        return value

    def required(self, name: str) -> str:
        """A parameter that must be sent.

        Raises:
            DeskError: It is missing or empty.
        """
        value = self.text(name)
        if value is None:
            raise missing(name)
        return value

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        """An integer parameter within ``[low, high]``.

        Raises:
            DeskError: Not an integer, or out of range.
        """
        value = self._params.get(name)
        if value is None:
            return default
        if not _INTEGER.fullmatch(value):
            raise invalid(name)
        number = int(value)
        if number < low or (high is not None and number > high):
            raise invalid(name)
        return number

    def boolean(self, name: str) -> bool | None:
        """A ``true``/``false`` parameter, None when absent.

        Raises:
            DeskError: Another value.
        """
        value = self.choice(name, ("true", "false"))
        return None if value is None else value == "true"

    def choice(self, name: str, options: tuple[str, ...]) -> str | None:
        """One of fixed values, None when absent.

        Raises:
            DeskError: Another value.
        """
        value = self._params.get(name)
        if value is not None and value not in options:
            raise invalid(name)
        return value

    def values(
        self, name: str, *, options: tuple[str, ...] | None = None, max_items: int | None = None
    ) -> tuple[str, ...] | None:
        """Comma-separated values, None when absent.

        Raises:
            DeskError: Empty items, too many, or items outside ``options``.
        """
        value = self._params.get(name)
        if value is None:
            return None
        items = tuple(item.strip() for item in value.split(","))
        if not all(items) or (max_items is not None and len(items) > max_items):
            raise invalid(name)
        if options is not None and any(item not in options for item in items):
            raise invalid(name)
        return items

    def ids(self, name: str, *, max_items: int | None = None) -> tuple[str, ...] | None:
        """Comma-separated numeric ids, None when absent.

        Raises:
            DeskError: An item is not a number, or there are too many.
        """
        items = self.values(name, max_items=max_items)
        if items is not None and not all(item.isdigit() for item in items):
            raise invalid(name)
        return items

    def sort(
        self, options: tuple[str, ...], default: str, *, descending_default: bool = False
    ) -> tuple[str, bool]:
        """``sortBy``: the key, and whether descending (a ``-`` prefix, as Desk documents).

        Raises:
            DeskError: A key outside ``options``.
        """
        value = self._params.get("sortBy")
        if value is None:
            return default, descending_default
        descending = value.startswith("-")
        key = value[1:] if descending else value
        if key not in options:
            raise invalid("sortBy")
        return key, descending

    def time_range(self, name: str) -> tuple[int, int] | None:
        """A ``start,end`` range of Desk datetimes, in epoch milliseconds.

        Raises:
            DeskError: Not two datetimes, or the end before the start.
        """
        value = self._params.get(name)
        if value is None:
            return None
        parts = value.split(",")
        try:
            start, end = (timefmt.parse_desk_datetime(part) for part in parts)
        except ValueError:
            raise invalid(name) from None
        if start > end:
            raise invalid(name)
        return start, end

    def page(self, paging: Paging, search_cap: int) -> Page:
        """``from`` and ``limit``.

        Raises:
            DeskError: Either is not an integer or is out of range; search ``from`` above
                the cap (the trigger of that 422 is not documented by Zoho: we assume it).
        """
        limit = self.integer("limit", paging.default_limit, 1, paging.max_limit)
        if paging.search:
            offset = self.integer("from", 0, 0, search_cap)
            return Page(start=offset, limit=limit, offset=offset)
        offset = self.integer("from", 1, 0)
        return Page(start=max(offset - 1, 0), limit=limit, offset=offset)
