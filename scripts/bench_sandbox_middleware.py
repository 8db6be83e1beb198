#!/usr/bin/env python3
"""CPU time the sandbox's middleware (X-Request-Id, the journal, faults switched off) adds
to one request, in process: the three layers around an ASGI app that answers at once, against
that app alone. The journal keeps a 75-byte response body, as `GET /facilities` of the demo
estate answers.

    .venv/bin/python scripts/bench_sandbox_middleware.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from dpi_server.api.faults import FaultMiddleware
from dpi_server.api.journal import JournalMiddleware
from dpi_server.api.operations import OperationTable
from dpi_server.api.request_id import RequestIdMiddleware
from dpi_server.domain.locales import LOCALES
from dpi_server.services.faults import FaultInjector
from dpi_server.services.journal import RequestJournal
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.testing.clock import FakeClock

BODY = b'{"_items":[{"id":1,"name":"Demo clinic"}],"_page":{"page":1,"limit":10,"count":1}}'[:75]


async def answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x")]})
    await send({"type": "http.response.body", "body": BODY})


class _Services:
    def __init__(self) -> None:
        self.faults = FaultInjector()
        self.journal = RequestJournal()
        self.clock = FakeClock()
        self.rate_limiter = None


async def run(app: Any, requests: int) -> float:
    principal = Principal(1, "client-1", LOCALES["pl"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        return None

    headers = [(b"host", b"testserver"), (b"authorization", b"Bearer x" * 8)]
    started = time.process_time()
    for _ in range(requests):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/v3/integration/facilities",
            "query_string": b"",
            "headers": headers,
            "state": {PRINCIPAL_STATE_KEY: principal},
        }
        await app(scope, receive, send)
    return (time.process_time() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    requests = parser.parse_args().requests
    services: Any = _Services()
    stack = RequestIdMiddleware(
        JournalMiddleware(FaultMiddleware(answer, services, OperationTable(())), services)
    )
    bare = asyncio.run(run(answer, requests))
    wrapped = asyncio.run(run(stack, requests))
    print(f"bare app            {bare:6.2f} us CPU per request")
    print(f"with the sandbox's  {wrapped:6.2f} us CPU per request (+{wrapped - bare:.2f} us)")


if __name__ == "__main__":
    main()
