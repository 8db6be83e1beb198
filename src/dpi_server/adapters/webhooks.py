"""Outbound HTTP to vendors: push deliveries, real-time gate calls and health checks.

One httpx connection pool per process (`httpx.AsyncHTTPTransport`, so connections are
reused), with at most `max_concurrency` requests in flight. Requests go straight to the
transport: a webhook needs none of the client layer's cookies, redirects or auth, and
skipping it saves about a fifth of the CPU a delivery costs (scripts/bench_notifications.py).
Never raises for network trouble: a timeout, a refused connection or a TLS failure comes back
as an answer without a status, which the rules count as a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpx

from dpi_server.services.notification_ports import HttpAnswer

MAX_ERROR_BODY = 4096
_BASE_HEADERS = {"User-Agent": "dpi-notifications/1", "Accept": "*/*"}


class HttpxWebhookSender:
    def __init__(self, *, max_concurrency: int = 64, verify: bool | str = True) -> None:
        self._limit = asyncio.Semaphore(max_concurrency)
        self._max = max_concurrency
        self._verify = verify
        self._transport: httpx.AsyncHTTPTransport | None = None

    def _pool(self) -> httpx.AsyncHTTPTransport:
        # Made on first use, inside the running event loop.
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport(
                verify=self._verify,
                limits=httpx.Limits(max_connections=self._max, max_keepalive_connections=self._max),
            )
        return self._transport

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], within: float
    ) -> HttpAnswer:
        return await self._call("POST", url, body, headers, within)

    async def get(self, url: str, headers: Mapping[str, str], within: float) -> HttpAnswer:
        return await self._call("GET", url, None, headers, within)

    async def _call(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        within: float,
    ) -> HttpAnswer:
        request = httpx.Request(
            method,
            url,
            content=body,
            headers={**_BASE_HEADERS, **headers},
            extensions={"timeout": httpx.Timeout(within).as_dict()},
        )
        async with self._limit:
            started = time.perf_counter()
            try:
                # The whole exchange, connect to last byte, must fit in `within` seconds.
                async with asyncio.timeout(within):
                    response = await self._pool().handle_async_request(request)
                    try:
                        content = await response.aread()
                    finally:
                        await response.aclose()
            except (TimeoutError, httpx.TimeoutException):
                return HttpAnswer(None, _ms(started), f"timeout after {within:g} s")
            except httpx.HTTPError as exc:
                return HttpAnswer(None, _ms(started), f"{type(exc).__name__}: {exc}")
            return HttpAnswer(
                response.status_code,
                _ms(started),
                None if response.is_success else f"HTTP {response.status_code}",
                content[:MAX_ERROR_BODY],
                response.headers.get("content-type", ""),
            )

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
