"""Injected faults on the public API (issue #10, item 4; rules in services/faults.py).

It runs after authentication and before the rate limiter, so a faulted request is never
counted (a real 429 is not either) while an injected 429 reports the client's real window
(`RateLimiter.peek`). While no plan is installed the cost is one attribute read.

Every injected answer says so in `X-Dpi-Fault`. A dropped connection closes the socket
without a byte of answer: through uvicorn the transport of the request is reached from the
server's own `receive` (kept by api/request_id.py), and the request then returns once the
server has seen the disconnect, so it neither answers 500 nor logs an error. On a server
whose transport cannot be reached (the in-process test transport) the request fails with
`ConnectionDropped` instead, which such a client sees as a connection error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api.media import ERROR_MEDIA_TYPE
from dpi_server.api.operations import OperationTable, is_public
from dpi_server.api.ratelimit import rate_limit_headers
from dpi_server.api.request_id import RAW_RECEIVE_STATE_KEY
from dpi_server.domain.errors import TooManyRequests
from dpi_server.domain.ratelimit import seconds_until, window_at
from dpi_server.services.faults import DROP, ERROR_429, Fault
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services

FAULT_HEADER = b"x-dpi-fault"
FAULT_STATE_KEY = "dpi.fault"
_MESSAGES = {
    500: "Internal server error",
    503: "Service Unavailable",
    429: TooManyRequests.message,
}
# The token endpoint's attempt window (services/ratelimit.py), for a 429 with no client.
_TOKEN_WINDOW_SECONDS = 60


class ConnectionDropped(Exception):
    """An injected dropped connection where the server's transport is out of reach."""


class FaultMiddleware:
    def __init__(self, app: ASGIApp, services: Services, operations: OperationTable) -> None:
        # Services are read per request, and only for public operations: the OpenAPI export
        # and the docs pages run on an empty `Services`.
        self.app = app
        self.services = services
        self.operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        faults = self.services.faults
        if not faults.active:
            await self.app(scope, receive, send)
            return
        operation = self.operations.find(scope["method"], scope["path"])
        fault = (
            None
            if operation is None
            else faults.draw(operation, in_wildcard=operation != self.operations.token_operation)
        )
        if fault is None:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state[FAULT_STATE_KEY] = fault.label
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.kind == DROP:
            await _drop(state)
        elif fault.kind is not None:
            await self._answer(fault, scope, send)
        else:
            await self.app(scope, receive, _labelled(send, fault))

    async def _answer(self, fault: Fault, scope: Scope, send: Send) -> None:
        status = int(fault.kind or 500)
        headers = [
            (b"content-type", ERROR_MEDIA_TYPE.encode()),
            (FAULT_HEADER, fault.label.encode()),
        ]
        if fault.kind == ERROR_429:
            headers.extend(await self._too_many_headers(scope))
        body = orjson.dumps({"errors": [], "message": _MESSAGES[status]})
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _too_many_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """`Retry-After` and the `X-RateLimit-*` of the client's current window, as a real
        429 of that window would send them."""
        now = self.services.clock.now()
        principal = _principal(scope)
        limiter = self.services.rate_limiter
        decision = (
            None if principal is None else await limiter.peek(principal, scope["method"], now)
        )
        if decision is None or principal is None:
            end = window_at(now, _TOKEN_WINDOW_SECONDS).end
            return [(b"retry-after", str(seconds_until(end, now)).encode())]
        retry_after = seconds_until(decision.reset_at, now)
        return [
            (b"retry-after", str(retry_after).encode()),
            *rate_limit_headers(decision, principal),
        ]


def _labelled(send: Send, fault: Fault) -> Send:
    async def send_labelled(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), (FAULT_HEADER, fault.label.encode())]
            message = {**message, "headers": headers}
        await send(message)

    return send_labelled


def _principal(scope: Scope) -> Principal | None:
    state = scope.get("state")
    found = state.get(PRINCIPAL_STATE_KEY) if isinstance(state, Mapping) else None
    return found if isinstance(found, Principal) else None


async def _drop(state: dict[str, Any]) -> None:
    raw_receive = state.get(RAW_RECEIVE_STATE_KEY)
    transport = getattr(getattr(raw_receive, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if raw_receive is None or close is None:
        raise ConnectionDropped("injected fault: connection dropped")
    close()
    # uvicorn answers 500 to a request that returns before its disconnect was seen.
    while (await raw_receive())["type"] != "http.disconnect":
        pass
