"""What every API call goes through: counting, latency, the concurrency limit, faults, credits.

Faults are drawn from a generator seeded with ``--seed``, one draw per API call in arrival
order, so a run with the same calls in the same order meets the same faults.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import random
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect

from zoho_emulator.errors import CrmError, DeskError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from zoho_emulator.settings import Settings

CRM_PREFIX = "/crm/"
DESK_PREFIX = "/api/v1/"
#: Zoho's Bulk Write result URLs, ``/v8/crm/{domain}/bulk-write/...``: CRM calls.
_CRM_FILES = re.compile(r"/v\d+/crm/")
#: Seconds until the daily credits come back, told in Desk's Retry-After (not documented by
#: Zoho: public clients report the header; we assume the value).
_CREDITS_RETRY_AFTER = 3600


def product_of(path: str) -> str | None:
    """``crm`` or ``desk`` for an API path; None for OAuth and inspection."""
    if path.startswith(CRM_PREFIX) or _CRM_FILES.match(path):
        return "crm"
    if path.startswith(DESK_PREFIX):
        return "desk"
    return None


class Traffic:
    """Counters and limits shared by every API call.

    Args:
        settings: The emulator settings (limits and fault rates are read on every call, so
            run-time changes apply at once).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.reset()

    def reset(self) -> None:
        """Zero every counter and restart the fault sequence."""
        self.requests = 0
        self.credits = 0
        self.by_endpoint: collections.Counter[str] = collections.Counter()
        self.faults: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self._draws = random.Random(self._settings.seed)

    def snapshot(self) -> dict[str, Any]:
        """The counters as ``GET /__emulator__/stats`` shows them."""
        limit = self._settings.daily_credits
        return {
            "requests": self.requests,
            "credits": self.credits,
            "credits_remaining": max(0, limit - self.credits) if limit else None,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "faults": dict(sorted(self.faults.items())),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
        }

    def charge(self, request: Request, cost: int) -> None:
        """Spend a call's API credits, or refuse the call once the day's credits are spent.

        Raises:
            CrmError: CRM's 429 TOO_MANY_REQUESTS.
            DeskError: Desk's 429 THRESHOLD_EXCEEDED with Retry-After.
        """
        limit = self._settings.daily_credits
        if limit and self.credits + cost > limit:
            self.faults["credits_exhausted"] += 1
            if product_of(request.url.path) == "desk":
                raise DeskError(
                    429,
                    "THRESHOLD_EXCEEDED",
                    "API credits for the day are used up.",
                    headers={"Retry-After": str(_CREDITS_RETRY_AFTER)},
                )
            # The body of a concurrency 429: only the credits header tells them apart.
            raise CrmError(
                429, "TOO_MANY_REQUESTS", "too many requests. please try again after some time"
            )
        self.credits += cost
        request.state.credits = cost

    def credits_left(self) -> int | None:
        """Credits left today, or None without a daily limit."""
        limit = self._settings.daily_credits
        return max(0, limit - self.credits) if limit else None

    def draw_fault(self) -> str | None:
        """``error``, ``drop``, ``slow`` or None for the next call (one draw, in that order)."""
        draw = self._draws.random()
        for fault, rate in (
            ("error", self._settings.error_rate),
            ("drop", self._settings.drop_rate),
            ("slow", self._settings.slow_rate),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return None


class TrafficMiddleware:
    """ASGI middleware applying :class:`Traffic` to API calls.

    Args:
        app: The wrapped application.
        traffic: The shared counters and limits.
        settings: The emulator settings.
        templates: Maps a request scope to its route's path template.
    """

    def __init__(
        self,
        app: ASGIApp,
        traffic: Traffic,
        settings: Settings,
        templates: Any,
    ) -> None:
        self.app = app
        self.traffic = traffic
        self.settings = settings
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count, limit and maybe sabotage one call, then pass it on."""
        product = product_of(scope.get("path", "")) if scope["type"] == "http" else None
        if product is None:
            await self.app(scope, receive, send)
            return
        traffic = self.traffic
        traffic.requests += 1
        traffic.by_endpoint[f"{scope['method']} {self.templates(scope)}"] += 1
        limit = self.settings.concurrency
        if limit and traffic.in_flight >= limit:
            traffic.faults["concurrency_exceeded"] += 1
            await _send_json(send, 429, _too_many(product))
            return
        fault = traffic.draw_fault()
        traffic.in_flight += 1
        traffic.max_in_flight = max(traffic.max_in_flight, traffic.in_flight)
        try:
            if self.settings.latency_ms:
                await asyncio.sleep(self.settings.latency_ms / 1000)
            if fault == "error":
                traffic.faults["errors_injected"] += 1
                await _send_json(send, 500, _internal_error(product))
                return
            if fault == "drop" and _drop_connection(receive):
                traffic.faults["connections_dropped"] += 1
                return
            answer = self._with_credit_headers(scope, send, product)
            if fault == "slow":
                traffic.faults["answers_slowed"] += 1
                answer = _late(answer, self.settings.slow_ms / 1000)
            await self.app(scope, receive, answer)
        except ClientDisconnect:
            traffic.faults["client_disconnected"] += 1  # the caller gave up: nobody to answer
        finally:
            traffic.in_flight -= 1

    def _with_credit_headers(self, scope: Scope, send: Send, product: str) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += self._credit_headers(scope, product)
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers

    def _credit_headers(self, scope: Scope, product: str) -> list[tuple[bytes, bytes]]:
        """Desk's weight and credits left on every answer; CRM's credits left past half."""
        left = self.traffic.credits_left()
        if product == "crm":
            limit = self.settings.daily_credits
            shown = self.settings.crm_credits_header and left is not None and left * 2 <= limit
            return [(b"x-api-credits-remaining", str(left).encode())] if shown else []
        cost = scope.get("state", {}).get("credits", 0)
        headers = [(b"x-rate-limit-request-weight-v3", str(cost).encode())]
        if left is not None:
            headers.append((b"x-rate-limit-remaining-v3", str(left).encode()))
        return headers


def _late(send: Send, seconds: float) -> Send:
    """``send`` holding the answer back ``seconds``: the work is done, only the answer waits.

    Past the wait the caller may be gone (it stopped waiting); the answer then goes nowhere.
    """

    async def send_late(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return send_late


def _drop_connection(receive: Receive) -> bool:
    """Abort the TCP connection under this call, as a network fault would.

    uvicorn's ``receive`` is a bound method of the request cycle holding the transport; when
    it is not reachable (another server), the fault is not injected.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


def _too_many(product: str) -> dict[str, Any]:
    if product == "desk":
        return {"errorCode": "TOO_MANY_REQUESTS", "message": "Too many concurrent requests."}
    return {
        "code": "TOO_MANY_REQUESTS",
        "details": {},
        "message": "too many requests. please try again after some time",
        "status": "error",
    }


def _internal_error(product: str) -> dict[str, Any]:
    if product == "desk":
        return {
            "errorCode": "INTERNAL_SERVER_ERROR",
            "message": "An internal server error occurred while performing this operation.",
        }
    return {
        "code": "INTERNAL_ERROR",
        "details": {},
        "message": "Internal Server Error",
        "status": "error",
    }


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def credits_for_records(count: int, per_credit: int) -> int:
    """Credits of a write of ``count`` records at ``per_credit`` records a credit.

    CRM's rate (10 records a credit) is that of third-party summaries of
    https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html; Desk's is not documented by
    Zoho, and we assume a third-party reading of its credit table.
    """
    return max(1, math.ceil(count / per_credit))
