"""Records every integration-API and token request in the journal (services/journal.py).

Pure ASGI, after authentication (the client comes from the principal it left in scope) and
outside the fault and rate-limit middleware (their answers and headers are what the client
got). It adds no database statement: bodies are kept only up to the journal's limit, headers
by reference, and decoding and masking wait until an operator reads the journal. A token
request is put under its client only once a token was issued (the credentials were right);
a refused one names no client we could verify, so it is journaled unattributed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api.faults import FAULT_STATE_KEY
from dpi_server.api.middleware import API_PREFIX
from dpi_server.api.operations import TOKEN_PATH
from dpi_server.api.request_id import REQUEST_ID_STATE_KEY
from dpi_server.api.token_request import MalformedTokenRequest, read_token_request
from dpi_server.services.journal import UNATTRIBUTED, CapturedBody, JournalEntry, RequestJournal
from dpi_server.services.ports import Clock
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services


class JournalMiddleware:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        # Built with the middleware stack, on the first request: `services` is complete then.
        self.app = app
        self.journal: RequestJournal = services.journal
        self.clock: Clock = services.clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (
            scope["path"].startswith(API_PREFIX) or scope["path"] == TOKEN_PATH
        ):
            await self.app(scope, receive, send)
            return
        at = self.clock.now()
        started = time.perf_counter()
        request = _Capture(self.journal.body_bytes)
        response = _Capture(self.journal.body_bytes)
        status: int | None = None
        response_headers: Sequence[tuple[bytes, bytes]] = ()

        async def journal_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.add(message.get("body", b""))
            return message

        async def journal_send(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = message.get("headers", ())
            elif message["type"] == "http.response.body":
                response.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, journal_receive, journal_send)
        finally:
            state: Mapping[str, Any] = scope.get("state") or {}
            request_body = request.captured()
            self.journal.record(
                JournalEntry(
                    at=at,
                    client_id=_client_of(scope, state, status, request_body),
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b""),
                    status=status,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    request_id=state.get(REQUEST_ID_STATE_KEY, ""),
                    fault=state.get(FAULT_STATE_KEY),
                    request_headers=scope["headers"],
                    response_headers=response_headers,
                    request_body=request_body,
                    response_body=response.captured(),
                )
            )


class _Capture:
    """The first `cap` bytes of a body arriving in parts, and its whole size."""

    __slots__ = ("cap", "parts", "size")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if chunk:
            if self.size < self.cap:
                self.parts.append(chunk[: self.cap - self.size])
            self.size += len(chunk)

    def captured(self) -> CapturedBody:
        return CapturedBody(b"".join(self.parts), self.size)


def _client_of(
    scope: Scope, state: Mapping[str, Any], status: int | None, body: CapturedBody
) -> str:
    principal = state.get(PRINCIPAL_STATE_KEY)
    if isinstance(principal, Principal):
        return principal.client_id
    if status != 200 or scope["path"] != TOKEN_PATH or body.truncated:
        return UNATTRIBUTED
    headers = {k: v for k, v in scope["headers"] if k in (b"authorization", b"content-type")}
    try:
        parsed = read_token_request(
            _text(headers.get(b"authorization")),
            _text(headers.get(b"content-type")),
            body.data,
            scope.get("query_string", b"").decode("latin-1"),
        )
    except (MalformedTokenRequest, ValueError):
        return UNATTRIBUTED
    return parsed.client_id or UNATTRIBUTED


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
