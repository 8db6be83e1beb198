"""The rate-limit middleware over HTTP: headers, 429 envelope, windows per client and kind."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.api.ratelimit import RateLimitMiddleware
from dpi_server.domain.locales import LOCALES
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal, RateLimitPolicy
from dpi_server.services.ratelimit import RateLimiter
from dpi_server.testing.clock import FakeClock

# 08:00:20 UTC; the first write window closes at 08:01:00 UTC, 09:01:00 in Madrid.
START = datetime(2026, 1, 5, 8, 0, 20, tzinfo=UTC)
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
)


def _principal(pk: int, *, enabled: bool = True, locale: str = "es") -> Principal:
    return Principal(
        client_pk=pk,
        client_id=f"client-{pk}",
        locale=LOCALES[locale],
        rate_limit=RateLimitPolicy(enabled=enabled),
    )


PRINCIPALS = {
    "1": _principal(1),
    "2": _principal(2),
    "br": _principal(3, locale="br"),
    "off": _principal(4, enabled=False),
}


class FakeAuth:
    """Stands in for the auth middleware: the `x-test-client` header picks the principal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            chosen = dict(scope["headers"]).get(b"x-test-client")
            if chosen is not None:
                principal = PRINCIPALS[chosen.decode()]
                scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        await self.app(scope, receive, send)


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok", headers={"x-from-app": "1"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def client(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    inner = Starlette(routes=[Route("/r", _ok, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
    limiter = RateLimiter(MemoryRateLimitStore())
    app = FakeAuth(RateLimitMiddleware(inner, limiter, clock))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def _write(http: httpx.AsyncClient, who: str = "1", method: str = "POST") -> httpx.Response:
    return await http.request(method, "/r", headers={"x-test-client": who})


async def _read(http: httpx.AsyncClient, who: str = "1") -> httpx.Response:
    return await http.get("/r", headers={"x-test-client": who})


class TestQuotaHeaders:
    """Every limited response carries X-RateLimit-* for its window (behaviour.md §6)."""

    async def test_write_reports_the_minute_window(self, client: httpx.AsyncClient) -> None:
        response = await _write(client)
        assert response.status_code == 200
        assert response.text == "ok"
        assert response.headers["x-from-app"] == "1"
        assert response.headers["x-ratelimit-limit"] == "40"
        assert response.headers["x-ratelimit-used"] == "1"
        assert response.headers["x-ratelimit-remaining"] == "39"
        assert response.headers["x-ratelimit-reset"] == "2026-01-05T09:01:00+01:00"

    async def test_read_reports_the_hour_window(self, client: httpx.AsyncClient) -> None:
        response = await _read(client)
        assert response.headers["x-ratelimit-limit"] == "8000"
        assert response.headers["x-ratelimit-remaining"] == "7999"
        assert response.headers["x-ratelimit-reset"] == "2026-01-05T10:00:00+01:00"

    async def test_reset_is_shown_in_the_client_locale_zone(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await _write(client, "br")
        assert response.headers["x-ratelimit-reset"] == "2026-01-05T05:01:00-03:00"

    @pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
    async def test_every_write_method_uses_the_write_window(
        self, client: httpx.AsyncClient, method: str
    ) -> None:
        response = await _write(client, method=method)
        assert response.headers["x-ratelimit-limit"] == "40"


class TestExhaustion:
    """The 41st write in a minute gets 429 with headers and Retry-After (decisions.md)."""

    async def test_41st_write_is_refused(self, client: httpx.AsyncClient) -> None:
        for _ in range(40):
            assert (await _write(client)).status_code == 200
        response = await _write(client)
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/vnd.error+docplanner+json"
        assert response.content == b'{"errors":[],"message":"Too Many Requests"}'
        assert json.loads(response.content) == {"errors": [], "message": "Too Many Requests"}
        assert response.headers["retry-after"] == "40"
        assert response.headers["x-ratelimit-limit"] == "40"
        assert response.headers["x-ratelimit-used"] == "40"
        assert response.headers["x-ratelimit-remaining"] == "0"
        assert response.headers["x-ratelimit-reset"] == "2026-01-05T09:01:00+01:00"
        assert "x-from-app" not in response.headers

    async def test_refused_requests_are_not_counted(
        self, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        for _ in range(40):
            await _write(client)
        for _ in range(5):
            clock.advance(seconds=1)
            response = await _write(client)
            assert response.status_code == 429
            assert response.headers["x-ratelimit-used"] == "40"
        assert response.headers["retry-after"] == "35"

    async def test_writes_succeed_again_in_the_next_window(
        self, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        for _ in range(41):
            await _write(client)
        clock.advance(seconds=40)
        response = await _write(client)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-used"] == "1"
        assert response.headers["x-ratelimit-reset"] == "2026-01-05T09:02:00+01:00"


class TestSeparateWindows:
    """Reads and writes, and different clients, never share a window (decisions.md)."""

    async def test_reads_still_pass_when_writes_are_exhausted(
        self, client: httpx.AsyncClient
    ) -> None:
        for _ in range(41):
            await _write(client)
        response = await _read(client)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-used"] == "1"

    async def test_reads_do_not_use_up_writes(self, client: httpx.AsyncClient) -> None:
        for _ in range(45):
            await _read(client)
        response = await _write(client)
        assert response.headers["x-ratelimit-used"] == "1"

    async def test_two_clients_do_not_share_windows(self, client: httpx.AsyncClient) -> None:
        for _ in range(41):
            await _write(client, "1")
        response = await _write(client, "2")
        assert response.status_code == 200
        assert response.headers["x-ratelimit-used"] == "1"


class TestPassThrough:
    """Disabled clients and unauthenticated requests get no X-RateLimit headers (§6)."""

    async def test_disabled_client_gets_no_headers_and_no_limit(
        self, client: httpx.AsyncClient
    ) -> None:
        for _ in range(45):
            response = await _write(client, "off")
            assert response.status_code == 200
        assert not any(name in response.headers for name in RATE_HEADERS)

    async def test_request_without_principal_passes_untouched(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/r")
        assert response.status_code == 200
        assert not any(name in response.headers for name in RATE_HEADERS)

    async def test_non_http_scopes_pass_untouched(self, clock: FakeClock) -> None:
        seen: list[str] = []

        async def inner(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["type"])

        async def receive() -> Message:
            raise AssertionError("not read")

        async def send(message: Message) -> None:
            raise AssertionError("not sent")

        middleware = RateLimitMiddleware(inner, RateLimiter(MemoryRateLimitStore()), clock)
        state = {PRINCIPAL_STATE_KEY: PRINCIPALS["1"]}
        await middleware({"type": "websocket", "state": state}, receive, send)
        assert seen == ["websocket"]
