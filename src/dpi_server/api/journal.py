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
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api.faults import FAULT_STATE_KEY
from dpi_server.api.operations import TOKEN_PATH, is_public
from dpi_server.api.request_id import REQUEST_ID_STATE_KEY
from dpi_server.api.token_request import MalformedTokenRequest, read_token_request
from dpi_server.services.journal import UNATTRIBUTED, JournalEntry
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services


class JournalMiddleware:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        # Services are read per request, and only for public operations: the OpenAPI export
        # and the docs pages run on an empty `Services`.
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        journal = self.services.journal
        at = self.services.clock.now()
        started = time.perf_counter()
        cap = journal.body_bytes
        # Plain lists mutated by the closures: cheaper than objects on every request.
        request: list[Any] = [b"", 0]  # captured bytes, whole size
        response: list[Any] = [None, (), b"", 0]  # status, headers, captured bytes, whole size

        async def journal_receive() -> Message:
            message = await receive()
            body = message.get("body")
            if body:
                _keep(request, 0, body, cap)
            return message

        async def journal_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response[0] = message["status"]
                response[1] = message.get("headers", ())
            else:
                body = message.get("body")
                if body:
                    _keep(response, 2, body, cap)
            await send(message)

        try:
            await self.app(scope, journal_receive, journal_send)
        finally:
            state: Mapping[str, Any] = scope.get("state") or {}
            journal.record(
                JournalEntry(
                    at,
                    _client_of(scope, state, response[0], request),
                    scope["method"],
                    scope["path"],
                    scope.get("query_string", b""),
                    response[0],
                    (time.perf_counter() - started) * 1000,
                    state.get(REQUEST_ID_STATE_KEY, ""),
                    state.get(FAULT_STATE_KEY),
                    scope["headers"],
                    response[1],
                    request[0],
                    request[1],
                    response[2],
                    response[3],
                )
            )


def _keep(into: list[Any], at: int, chunk: bytes, cap: int) -> None:
    """Add `chunk` to the bytes at `into[at]` up to `cap` and to the size at `into[at + 1]`."""
    size = into[at + 1]
    if size < cap:
        into[at] += chunk[: cap - size]
    into[at + 1] = size + len(chunk)


def _client_of(
    scope: Scope, state: Mapping[str, Any], status: int | None, request: list[Any]
) -> str:
    principal = state.get(PRINCIPAL_STATE_KEY)
    if isinstance(principal, Principal):
        return principal.client_id
    body, size = request
    if status != 200 or scope["path"] != TOKEN_PATH or size > len(body):
        return UNATTRIBUTED
    headers = {k: v for k, v in scope["headers"] if k in (b"authorization", b"content-type")}
    try:
        parsed = read_token_request(
            _text(headers.get(b"authorization")),
            _text(headers.get(b"content-type")),
            body,
            scope.get("query_string", b"").decode("latin-1"),
        )
    except (MalformedTokenRequest, ValueError):
        return UNATTRIBUTED
    return parsed.client_id or UNATTRIBUTED


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
