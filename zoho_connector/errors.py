"""Exceptions carrying Zoho's own error code, message and details; never a secret."""

from __future__ import annotations

import json
from typing import Any


class ZohoError(Exception):
    """An error Zoho answered (or the connector met while talking to Zoho).

    Args:
        code: Zoho's error code (``INVALID_DATA``, ``invalid_client``, ``TOO_MANY_REQUESTS``...).
        message: Zoho's message, or the connector's explanation.
        details: Zoho's ``details`` object (``api_name``, ``expected_data_type``...).
        status: The HTTP status, when there was an answer.
        hint: What the user can do about it.
    """

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.details:
            text += f" {json.dumps(self.details, ensure_ascii=False, sort_keys=True)}"
        if self.status is not None:
            text += f" (HTTP {self.status})"
        if self.hint:
            text += f". {self.hint}"
        return text


class ZohoAuthError(ZohoError):
    """Zoho refused the credentials, the token or its scopes."""


class ZohoRateLimitError(ZohoError):
    """Zoho kept refusing calls for rate limits (concurrency or API credits)."""


class ZohoCreditsError(ZohoRateLimitError):
    """The org's API credits for the day are spent: every call fails until they come back."""


class ZohoRefreshLimitError(ZohoAuthError, ZohoRateLimitError):
    """Zoho Accounts kept refusing new access tokens for its refresh limit past the wait.

    No setting is wrong: a run once the limit's window has passed goes on.
    """


class ZohoInputError(ValueError):
    """Bad input caught before any call: unknown module or field, a missing column."""


class ZohoBudgetError(ZohoError):
    """The run's credit budget (``max_credits``) would be passed by the next call."""


#: Errors of the run, not of a record: no write succeeds until they pass (the day's credits
#: spent, the token refused or not renewed, the rate limit outlasting the retries, the run's
#: budget reached). They end a load, never fail its records one by one.
RUN_ERRORS: tuple[type[ZohoError], ...] = (ZohoAuthError, ZohoRateLimitError, ZohoBudgetError)

#: The most characters of a value a message shows: a longer one is cut, its length given.
SHOWN = 100


def shown(text: str) -> str:
    """``text`` as a message shows it: a long one cut to its start, and its length.

    A 10 MB value is named, not copied into the log.
    """
    if len(text) <= SHOWN:
        return text
    return f"{text[:SHOWN]}... ({len(text):,} characters)"
