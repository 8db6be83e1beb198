"""`X-Dpi-Statements` / `X-Dpi-Transactions` response headers, only when counting is enabled.

The benchmark (`scripts/bench_http`) reads them to print statements per request. The headers
are set when the response starts, so they count what ran before the first byte: for every
route that is the whole request, since bodies are rendered before they are sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Tally(Protocol):
    statements: int
    transactions: int


class StatementCountMiddleware:
    def __init__(self, app: ASGIApp, begin_tally: Callable[[], Tally]) -> None:
        self.app = app
        self.begin_tally = begin_tally

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tally = self.begin_tally()

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-dpi-statements", str(tally.statements).encode()),
                    (b"x-dpi-transactions", str(tally.transactions).encode()),
                ]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, counted_send)
