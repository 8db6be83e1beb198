"""Outbound HTTP to vendors: push deliveries, real-time gate calls and health checks.

One `httpx.AsyncClient` per process (connection reuse), with at most `max_concurrency`
requests in flight. Never raises for network trouble: a timeout, a refused connection or a
TLS failure comes back as an answer without a status, which the rules count as a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpx

from dpi_server.services.notification_ports import HttpAnswer

MAX_ERROR_BODY = 4096


class HttpxWebhookSender:
    def __init__(self, *, max_concurrency: int = 64, verify: bool | str = True) -> None:
        self._limit = asyncio.Semaphore(max_concurrency)
        self._max = max_concurrency
        self._verify = verify
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, inside the running event loop.
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=self._verify,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=self._max, max_keepalive_connections=self._max),
                headers={"User-Agent": "dpi-notifications/1"},
            )
        return self._client

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
        async with self._limit:
            started = time.perf_counter()
            try:
                # The whole exchange, connect to last byte, must fit in `timeout`.
                async with asyncio.timeout(within):
                    response = await self._http().request(
                        method, url, content=body, headers=dict(headers), timeout=within
                    )
            except (TimeoutError, httpx.TimeoutException):
                return HttpAnswer(None, _ms(started), f"timeout after {within:g} s")
            except httpx.HTTPError as exc:
                return HttpAnswer(None, _ms(started), f"{type(exc).__name__}: {exc}")
            return HttpAnswer(
                response.status_code,
                _ms(started),
                None if response.is_success else f"HTTP {response.status_code}",
                response.content[:MAX_ERROR_BODY],
                response.headers.get("content-type", ""),
            )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
