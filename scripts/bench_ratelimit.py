"""Rate-limiter overhead per request: a tiny app with and without `RateLimitMiddleware`.

Usage: .venv/bin/python scripts/bench_ratelimit.py [-n 3000] [--redis-url URL]
The Redis row runs when --redis-url or DPI_TEST_REDIS_URL is given. Requests go through
httpx's ASGITransport, so absolute numbers include httpx; the overhead column is what matters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dpi_server.adapters.clock import SystemClock
from dpi_server.adapters.ratelimit_memory import MemoryRateLimitStore
from dpi_server.adapters.ratelimit_redis import RedisRateLimitStore
from dpi_server.api.ratelimit import RateLimitMiddleware
from dpi_server.domain.locales import LOCALES
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal, RateLimitPolicy
from dpi_server.services.ratelimit import RateLimiter, RateLimitStore

# Limits far above N so every request takes the allowed path, the one production pays for.
PRINCIPAL = Principal(
    client_pk=1,
    client_id="bench",
    locale=LOCALES["es"],
    rate_limit=RateLimitPolicy(read_limit=10**9, write_limit=10**9),
)


class SetPrincipal:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = PRINCIPAL
        await self.app(scope, receive, send)


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _inner() -> Starlette:
    return Starlette(routes=[Route("/r", _ok, methods=["GET", "POST"])])


@dataclass
class Row:
    name: str
    per_request_us: float
    check_us: float | None


async def _time_requests(app: ASGIApp, n: int, method: str, repeat: int = 3) -> float:
    """Best of `repeat` runs: the minimum is the least disturbed by GC and the scheduler."""
    transport = httpx.ASGITransport(app=app)
    best = float("inf")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for _ in range(min(200, n)):
            await http.request(method, "/r")
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(n):
                response = await http.request(method, "/r")
                if response.status_code != 200:
                    raise RuntimeError(f"unexpected {response.status_code}")
            best = min(best, (time.perf_counter() - started) / n * 1e6)
    return best


async def _time_check(limiter: RateLimiter, n: int, method: str) -> float:
    clock = SystemClock()
    started = time.perf_counter()
    for _ in range(n):
        await limiter.check(PRINCIPAL, method, clock.now())
    return (time.perf_counter() - started) / n * 1e6


async def _bench_store(name: str, store: RateLimitStore, n: int, method: str) -> Row:
    limiter = RateLimiter(store)
    app = SetPrincipal(RateLimitMiddleware(_inner(), limiter, SystemClock()))
    per_request = await _time_requests(app, n, method)
    return Row(name, per_request, await _time_check(limiter, n, method))


async def run(n: int, redis_url: str | None, method: str) -> list[Row]:
    rows = [Row("no middleware", await _time_requests(SetPrincipal(_inner()), n, method), None)]
    rows.append(await _bench_store("memory", MemoryRateLimitStore(), n, method))
    if redis_url:
        client = Redis.from_url(redis_url)
        prefix = f"dpi:bench:{uuid.uuid4().hex}:"
        try:
            rows.append(
                await _bench_store("redis", RedisRateLimitStore(client, prefix=prefix), n, method)
            )
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()
    return rows


def render(rows: list[Row], n: int, method: str) -> str:
    baseline = rows[0].per_request_us
    lines = [
        f"{n} {method} requests per run, best of 3, via httpx.ASGITransport (microseconds)",
        f"{'backend':<14}{'per request':>13}{'overhead':>11}{'check() alone':>16}",
    ]
    for row in rows:
        overhead = "-" if row.check_us is None else f"{row.per_request_us - baseline:+.1f}"
        check = "-" if row.check_us is None else f"{row.check_us:.1f}"
        lines.append(f"{row.name:<14}{row.per_request_us:>13.1f}{overhead:>11}{check:>16}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--requests", type=int, default=3000)
    parser.add_argument("--method", default="GET", choices=["GET", "POST"])
    parser.add_argument("--redis-url", default=os.environ.get("DPI_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.requests, args.redis_url, args.method))
    sys.stdout.write(render(rows, args.requests, args.method))


if __name__ == "__main__":
    main()
