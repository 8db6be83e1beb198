"""Pure-ASGI rate-limit middleware (decisions.md "Rate limits", behaviour.md §6).

It runs after authentication, which leaves the `Principal` in `scope["state"]`; requests without
one (token endpoint, pages, unauthenticated calls) pass untouched. Written against raw ASGI rather
than `BaseHTTPMiddleware` because it sits on every API request and must not add a task and a
stream copy per response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.domain.errors import TooManyRequests
from dpi_server.domain.ratelimit import Decision
from dpi_server.domain.timefmt import format_datetime
from dpi_server.services.ports import Clock
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.ratelimit import RateLimiter

ERROR_MEDIA_TYPE = "application/vnd.error+docplanner+json"

_TOO_MANY_BODY = json.dumps(
    {"errors": [], "message": TooManyRequests.message}, separators=(",", ":")
).encode()


def rate_limit_headers(decision: Decision, principal: Principal) -> list[tuple[bytes, bytes]]:
    """The `X-RateLimit-*` headers for `decision`, the reset shown in the client's own zone."""
    reset = format_datetime(decision.reset_at, principal.locale.zone)
    return [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-used", str(decision.used).encode()),
        (b"x-ratelimit-reset", reset.encode()),
    ]


class RateLimitMiddleware:
    """Counts each authenticated request, adds the quota headers, answers 429 when exhausted."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, clock: Clock) -> None:
        self.app = app
        self.limiter = limiter
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = _principal(scope) if scope["type"] == "http" else None
        if principal is None:
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.check(principal, scope["method"], self.clock.now())
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision, principal)
        if not decision.allowed:
            await _too_many_requests(send, headers, decision.retry_after_seconds)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _principal(scope: Scope) -> Principal | None:
    state = scope.get("state")
    if not isinstance(state, Mapping):
        return None
    principal = state.get(PRINCIPAL_STATE_KEY)
    return principal if isinstance(principal, Principal) else None


async def _too_many_requests(
    send: Send, headers: list[tuple[bytes, bytes]], retry_after: int
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": TooManyRequests.status,
            "headers": [
                (b"content-type", ERROR_MEDIA_TYPE.encode()),
                (b"content-length", str(len(_TOO_MANY_BODY)).encode()),
                (b"retry-after", str(retry_after).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_MANY_BODY})
