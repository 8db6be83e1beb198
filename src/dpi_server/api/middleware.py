"""Pure ASGI middleware for the hot path: HTTPS redirect, body limit, bearer authentication.

They are plain ASGI (not BaseHTTPMiddleware) so each request pays only for what it uses
(ARCHITECTURE.md "Chosen parts").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api.media import ERROR_MEDIA_TYPE, error_body
from dpi_server.domain.locales import locale_for_host
from dpi_server.services.auth import AuthService, InvalidToken
from dpi_server.services.principal import PRINCIPAL_STATE_KEY

API_PREFIX = "/api/v3/integration"
MISSING_CREDENTIALS = b'{"message":"Authentication credentials could not be found."}'


async def _send_simple(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HttpsRedirectMiddleware:
    """Answer every plain-HTTP request with a 308 to the same URL on HTTPS (decisions.md).

    The scheme is what uvicorn reports, which honours `X-Forwarded-Proto` only from the
    configured proxy addresses. 308 keeps the method and body of POSTs.
    """

    def __init__(self, app: ASGIApp, https_port: int) -> None:
        self.app = app
        self.https_port = https_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") == "https":
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "localhost")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        authority = name if self.https_port == 443 else f"{name}:{self.https_port}"
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        location = f"https://{authority}{path.decode('latin-1')}"
        if query:
            location += "?" + query.decode("latin-1")
        await _send_simple(send, 308, b"", [(b"location", location.encode("latin-1"))])


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413 before any handler buffers them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(send)

    @staticmethod
    async def _reject(send: Send) -> None:
        await _send_simple(
            send,
            413,
            error_body("Request body is too large"),
            [(b"content-type", ERROR_MEDIA_TYPE.encode())],
        )


class _BodyTooLarge(Exception):
    pass


class BearerAuthMiddleware:
    """Authenticate every `/api/v3/integration/*` request and store its Principal in scope.

    Bodies are exact (decisions.md "Authorization"): no header at all is the bare
    `{"message": ...}` of the live probe; a bad or expired token gets the full envelope.
    """

    def __init__(self, app: ASGIApp, auth: Callable[[], AuthService], default_locale: str) -> None:
        self.app = app
        self.auth = auth
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        locale = locale_for_host(headers.get("host"), self.default_locale)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["locale"] = locale
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _send_simple(
                send,
                401,
                MISSING_CREDENTIALS,
                [
                    (b"content-type", ERROR_MEDIA_TYPE.encode()),
                    (b"www-authenticate", b'Bearer realm="Service"'),
                ],
            )
            return
        try:
            principal = await self.auth().authenticate(token.strip(), locale)
        except InvalidToken as exc:
            await _send_simple(
                send,
                401,
                error_body(exc.message),
                [
                    (b"content-type", ERROR_MEDIA_TYPE.encode()),
                    (b"www-authenticate", b'Bearer error="invalid_token"'),
                ],
            )
            return
        state[PRINCIPAL_STATE_KEY] = principal
        await self.app(_as_json(scope, headers), receive, send)


_JSON_TYPES = (b"application/json", b"application/vnd.docplanner+json")


def _as_json(scope: Scope, headers: Headers) -> Scope:
    """JSON is the API's only body format (behaviour.md §3), so a body sent as form data or
    with no type at all (curl's `-d`) is read as JSON rather than refused."""
    content_type = headers.get("content-type", "").encode("latin-1").lower()
    if content_type.startswith(_JSON_TYPES) or content_type.endswith(b"+json"):
        return scope
    raw = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
    raw.append((b"content-type", b"application/json"))
    return {**scope, "headers": raw}
