"""The one HTTP stack: OAuth header, retries with backoff, rate limits and bounded concurrency.

Every call from the CRM and Desk clients goes through :class:`HttpStack`. It retries 429s, 5xx
answers, timeouts and dropped connections with exponential backoff and full jitter, honours
``Retry-After``, refreshes the token once when Zoho calls it invalid, and never lets more than
``n_concurrent`` calls be in flight at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from zoho_connector.errors import ZohoAuthError, ZohoCreditsError, ZohoError, ZohoRateLimitError
from zoho_connector.formats import time_of_day_in
from zoho_connector.usage import Budget, Ledger

if TYPE_CHECKING:
    from zoho_connector.auth import AccessToken

_log = logging.getLogger("zoho_connector")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Error codes meaning "this access token is no good": CRM's INVALID_TOKEN
#: (https://www.zoho.com/crm/help/api/error-messages.html), and Desk's INVALID_OAUTH, which Zoho
#: does not document: we assume it, as public Desk clients (Tapdata's) refresh on it.
INVALID_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTH"})
#: Fresh access tokens one call may ask for when Zoho calls its token invalid: other
#: processes' refreshes can evict a token (Zoho keeps fifteen alive), a wrong host never heals.
TOKEN_RENEWALS = 3
TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


#: The credits an answered call spent: (method, url, params, json body, response) -> credits.
Cost = Callable[[str, str, Any, Any, requests.Response], int]


def _answered() -> requests.Response:
    """An empty 200 answer: what a call's credits are estimated on before it is made."""
    response = requests.Response()
    response.status_code = 200
    return response


_ANSWERED = _answered()


@dataclasses.dataclass
class Bill:
    """The credits one attempt of a call spent (none until Zoho answers it)."""

    spent: int = 0


@dataclasses.dataclass(frozen=True)
class Call:
    """One API call, as every attempt of it is sent."""

    method: str
    url: str
    params: Any
    json: Any
    headers: Mapping[str, str]
    stream: bool
    files: Any = None


@dataclasses.dataclass(frozen=True)
class Failure:
    """Why an attempt did not give Zoho's final answer (a retry may)."""

    reason: str
    retry_after: float | None = None
    throttled: bool = False


#: An attempt whose access token Zoho called invalid: renew it and try again.
RENEW = Failure("the access token was refused")


@dataclasses.dataclass
class RetryPolicy:
    """How hard to retry.

    Attributes:
        attempts: Attempts per call, the first included.
        backoff: Base of the exponential backoff, in seconds.
        max_backoff: Longest single wait, in seconds.
    """

    attempts: int = 8
    backoff: float = 0.5
    max_backoff: float = 60.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


class Slots:
    """At most ``ceiling`` calls in flight, and fewer while Zoho answers 429.

    Additive increase, multiplicative decrease: clients sharing an org's concurrency limit
    settle under it instead of retrying into it.
    """

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self._in_use = 0
        self._since_throttle = 0
        self._condition = threading.Condition()

    def __enter__(self) -> None:
        with self._condition:
            while self._in_use >= self.limit:
                self._condition.wait()
            self._in_use += 1

    def __exit__(self, *_: object) -> None:
        with self._condition:
            self._in_use -= 1
            self._condition.notify()

    def throttled(self) -> None:
        """Zoho refused a call for concurrency: halve the calls in flight."""
        with self._condition:
            self.limit = max(1, self.limit // 2)
            self._since_throttle = 0

    def succeeded(self) -> None:
        """A call went through: after as many successes as the limit, allow one more."""
        with self._condition:
            self._since_throttle += 1
            if self.limit < self.ceiling and self._since_throttle >= self.limit:
                self.limit += 1
                self._since_throttle = 0
                self._condition.notify()


class HttpStack:
    """Authenticated, retried, concurrency-bounded HTTP calls to one Zoho product.

    Args:
        token: The shared access token.
        n_concurrent: Calls allowed in flight at once.
        timeout: Seconds to wait for an answer.
        verify: TLS verification; on unless the user turns it off.
        cert: Client certificate.
        headers: Headers sent on every call (e.g. Desk's ``orgId``).
        retry: The retry policy.
        cost: The API credits an answered call spent (one by default).
        budget: The run's credit budget, shared with other stacks; none by default.
    """

    def __init__(
        self,
        token: AccessToken,
        *,
        n_concurrent: int = 4,
        timeout: float = 120,
        verify: bool | str | None = None,
        cert: Any = None,
        headers: dict[str, str] | None = None,
        retry: RetryPolicy | None = None,
        cost: Cost | None = None,
        budget: Budget | None = None,
    ) -> None:
        if n_concurrent < 1:
            msg = f"n_concurrent must be at least 1, not {n_concurrent}"
            raise ValueError(msg)
        self.token = token
        self.n_concurrent = n_concurrent
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._slots = Slots(n_concurrent)
        self._session = requests.Session()
        self._session.verify = True if verify is None else verify
        self._session.cert = cert
        self._session.headers.update(headers or {})
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(10, n_concurrent))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self.ledger = Ledger()
        self.budget = budget
        self._clock_skew = 0.0  # Zoho's clock minus ours, from its answers' Date header
        self._cost = cost or (lambda *_: 1)

    def server_now(self) -> dt.datetime:
        """Zoho's clock, from the Date header of its last answer (ours until one came).

        The header is whole seconds, and stamped before the answer travelled: never ahead.
        """
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._clock_skew)

    def _note_clock(self, response: requests.Response) -> None:
        stamp = response.headers.get("Date")
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                moment = email.utils.parsedate_to_datetime(stamp)
                self._clock_skew = moment.timestamp() - time.time()

    def set_header(self, name: str, value: str) -> None:
        """Send a header on every call from now on (Desk's ``orgId``, once it is known)."""
        self._session.headers[name] = value

    def auth_headers(self) -> dict[str, str]:
        """The OAuth header of the current access token."""
        return {"Authorization": f"Zoho-oauthtoken {self.token.get()}"}

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        attempts: int | None = None,
        stream: bool = False,
        files: Any = None,
    ) -> requests.Response:
        """One call, retried until Zoho answers something other than a transient failure.

        A call that is not idempotent (an insert) is not sent again after the connection
        failed once the request may have reached Zoho: Zoho may have applied it, and a retry
        could duplicate records. Zoho's 429 and 5xx answers are retried for every call.

        Args:
            method: HTTP method.
            url: The full URL.
            params: Query parameters.
            json: The JSON body.
            headers: Extra headers.
            idempotent: Whether sending the call twice is harmless; by default, every
                method but POST.
            attempts: Attempts for this call (default: the retry policy's).
            stream: Leave the body unread, for the caller to stream (a download).
            files: Multipart files (an upload), as ``requests`` takes them.

        Raises:
            ZohoRateLimitError: Still rate limited after every attempt.
            ZohoError: Still failing (5xx or network) after every attempt, or OUTCOME_UNKNOWN
                for a failed call that must not be repeated.
        """
        call = Call(method, url, params, json, headers or {}, stream, files)
        safe_to_repeat = method.upper() != "POST" if idempotent is None else idempotent
        limit = attempts or self.retry.attempts
        renewals = 0
        attempt = 1
        while True:
            token = self.token.get()
            outcome = self._attempt(
                call, token, safe_to_repeat=safe_to_repeat, renewable=renewals < TOKEN_RENEWALS
            )
            if isinstance(outcome, requests.Response):
                return outcome
            if outcome is RENEW:  # Zoho called the token invalid: not a failed attempt
                self.token.invalidate(token)
                renewals += 1
                continue
            if attempt >= limit:
                self._give_up(method, url, outcome.reason, attempt, throttled=outcome.throttled)
            wait = self.retry.wait(attempt, outcome.retry_after)
            _log.warning(
                "Zoho %s %s: %s; retry %d/%d in %.1fs",
                method,
                _path(url),
                outcome.reason,
                attempt,
                limit - 1,
                wait,
            )
            time.sleep(wait)
            attempt += 1

    def _attempt(
        self, call: Call, token: str, *, safe_to_repeat: bool, renewable: bool
    ) -> requests.Response | Failure:
        """One attempt of a call, in a slot and billed: Zoho's final answer, or why not.

        Raises:
            ZohoCreditsError: Zoho says the day's credits are spent.
            ZohoError: OUTCOME_UNKNOWN: a call not safe to repeat failed after it may have
                reached Zoho.
        """
        headers = {"Authorization": f"Zoho-oauthtoken {token}", **call.headers}
        with self._slots, self._billed(call) as bill:
            self.ledger.record(calls=1)
            try:
                response = self._session.request(
                    call.method,
                    call.url,
                    params=call.params,
                    json=call.json,
                    headers=headers,
                    timeout=self.timeout,
                    stream=call.stream,
                    files=call.files,
                )
            except TRANSIENT_ERRORS as error:
                if not safe_to_repeat and _may_have_arrived(error):
                    msg = (
                        f"{call.method} {_path(call.url)} failed with {type(error).__name__} "
                        "after it may have reached Zoho; not repeated, so as not to write "
                        "twice. Check whether it was applied before sending it again"
                    )
                    raise ZohoError("OUTCOME_UNKNOWN", msg) from None
                return Failure(type(error).__name__)
            self._note_clock(response)
            status = response.status_code
            if status == 401 and renewable and _error_code(response) in INVALID_TOKEN_CODES:
                return RENEW
            if status == 429:
                self._refuse_if_credits_spent(call, response)
            if status in RETRYABLE_STATUSES:
                if status == 429:
                    self._slots.throttled()
                reason = f"HTTP {status} {_error_code(response) or ''}".strip()
                return Failure(reason, _retry_after(response), throttled=status == 429)
            self._slots.succeeded()
            bill.spent = self._cost_of(call, response)
            self.ledger.record(credits=bill.spent)
            return response

    def _cost_of(self, call: Call, response: requests.Response) -> int:
        """The credits a call spent, given Zoho's answer (or costs, before any answer)."""
        return self._cost(call.method, call.url, call.params, call.json, response)

    @contextlib.contextmanager
    def _billed(self, call: Call) -> Iterator[Bill]:
        """Hold a call's credits against the run's budget while it is made; settle after.

        Raises:
            ZohoBudgetError: The call could pass the budget: it is not made.
        """
        bill = Bill()
        if self.budget is None:
            yield bill
            return
        held = self._cost_of(call, _ANSWERED)
        self.budget.hold(held)
        try:
            yield bill
        finally:
            self.budget.settle(held, bill.spent)

    def _refuse_if_credits_spent(self, call: Call, response: requests.Response) -> None:
        """Stop at once when a 429 says the day's credits are spent: retries cannot help.

        Desk says so by its code (THRESHOLD_EXCEEDED, with Retry-After); CRM answers 429
        TOO_MANY_REQUESTS for concurrency and credits alike, so the credits left it reports
        (X-API-CREDITS-REMAINING) tell them apart when it sends them
        (https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html).

        Raises:
            ZohoCreditsError: They are spent.
        """
        code = _error_code(response) or "TOO_MANY_REQUESTS"
        left = _credits_left(response)
        if code != "THRESHOLD_EXCEEDED" and (
            left is None or left >= self._cost_of(call, _ANSWERED)
        ):
            return
        wait = _retry_after(response)
        back = (
            f"they come back in {wait / 60:.0f} min (at {time_of_day_in(wait)})"
            if wait is not None
            else "each call's credits come back 24 hours after it was made"
        )
        raise ZohoCreditsError(
            code,
            f"{call.method} {_path(call.url)}: Zoho's API credits for the day are spent; {back}",
            status=429,
            hint="the STATE written says what was done: run again then, and the run goes on "
            "from there",
        )

    def _give_up(
        self, method: str, url: str, failure: str, attempts: int, *, throttled: bool
    ) -> None:
        message = f"{method} {_path(url)} still failing after {attempts} attempts: {failure}"
        if throttled:
            raise ZohoRateLimitError(
                "TOO_MANY_REQUESTS",
                message,
                hint="other apps take the org's concurrency limit (lower n_concurrent), or the "
                "day's API credits are spent (they come back 24 hours after each call); the "
                "STATE written lets the next run go on",
            )
        raise ZohoError("RETRIES_EXHAUSTED", message)


def _may_have_arrived(error: Exception) -> bool:
    """Whether a failed call may have reached Zoho (anything but a failure to connect)."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    cause: BaseException | None = error
    for _ in range(10):  # urllib3 wraps the socket error a few levels down
        if cause is None:
            break
        if isinstance(cause, NewConnectionError):
            return False
        cause = cause.__cause__ or cause.__context__ or _reason(cause)
    return True


def _reason(error: BaseException) -> BaseException | None:
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    args = getattr(error, "args", ())
    return next((arg for arg in args if isinstance(arg, BaseException)), None)


def _error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    code = body.get("code") or body.get("errorCode")
    return str(code) if code is not None else None


def _credits_left(response: requests.Response) -> int | None:
    """The credits CRM says the org has left, when it says (``X-API-CREDITS-REMAINING``)."""
    value = response.headers.get("X-API-CREDITS-REMAINING")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _path(url: str) -> str:
    """The URL without its query string (which may hold criteria on personal data)."""
    return url.split("?", 1)[0]


def raise_for_error(response: requests.Response) -> None:
    """Turn a Zoho error answer into an exception carrying Zoho's code, message and details.

    CRM bodies carry ``code``/``message``/``details``
    (https://www.zoho.com/crm/help/api/error-messages.html); Desk bodies ``errorCode``/
    ``message``/``errors`` (the Errors section of https://desk.zoho.com/DeskAPIDocument);
    token-level failures are :class:`ZohoAuthError`.

    Raises:
        ZohoAuthError: 401, or an OAuth scope/organization error.
        ZohoRateLimitError: 429.
        ZohoError: Any other error status.
    """
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or body.get("errorCode") or f"HTTP_{response.status_code}")
    message = str(body.get("message") or response.reason or "error")
    raw_details = body.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    if body.get("errors"):
        details = {**details, "errors": body["errors"]}
    kind: type[ZohoError] = ZohoError
    if response.status_code == 401 or "SCOPE" in code or code == "OAUTH_ORG_MISMATCH":
        kind = ZohoAuthError
    elif response.status_code == 429:
        kind = ZohoRateLimitError
    raise kind(code, message, details, status=response.status_code, hint=_hint(code))


_CODE_HINTS = {
    "OAUTH_SCOPE_MISMATCH": "The refresh token lacks a scope this call needs; generate it with "
    "the scopes listed in the README",
    "SCOPE_MISMATCH": "The refresh token lacks a Desk scope this call needs",
    "INVALID_TOKEN": "Zoho refused access tokens it had just issued: check that crm_url belongs "
    "to the data center of accounts_url (data_center)",
    "INVALID_OAUTH": "Zoho refused access tokens it had just issued: check that desk_url belongs "
    "to the data center of accounts_url (data_center)",
    "OAUTH_ORG_MISMATCH": "The Desk org id does not belong to this token",
    "THRESHOLD_EXCEEDED": "Zoho Desk's API credits for the day are used up",
}


def _hint(code: str) -> str | None:
    return _CODE_HINTS.get(code)
