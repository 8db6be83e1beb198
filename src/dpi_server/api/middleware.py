"""Pure ASGI middleware for the hot path: HTTPS redirect, body limit, bearer authentication.

They are plain ASGI (not BaseHTTPMiddleware) so each request pays only for what it uses
(ARCHITECTURE.md "Chosen parts").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api.media import ERROR_MEDIA_TYPE, error_body
from dpi_server.domain.locales import LOCALES, locale_for_host
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


# A Host header is a name or an IP literal and an optional port, nothing else (RFC 9110 §7.2).
_HOST = re.compile(
    r"(?P<name>[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::(?P<port>[0-9]{1,5}))?"
)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def host_name(host: str) -> str:
    """A configured host as it appears in a Host header: lowercase, IPv6 in brackets."""
    name = host.strip().lower().rstrip(".")
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    return name


class HostGuardMiddleware:
    """Keep the `Host` header only when it names a host this deployment answers for.

    Redirects and absolute URLs (`Location` of created objects) are built from `Host`, so a
    hostile value (`evil.example/x?`) would make us redirect anywhere (issue #12, item 2).
    Known hosts are the 13 marketplace domains (with and without `www.`), the loopback names,
    and whatever the operator configured (`--public-host`, the bind address); any other
    value, and a request with no or several `Host` headers, is rewritten to `fallback`
    (with `fallback_port`). The locale is chosen before the rewrite, from the host as sent,
    so an unknown host still gets the default locale.
    """

    def __init__(
        self,
        app: ASGIApp,
        fallback: str,
        fallback_port: int,
        extra_hosts: Iterable[str] = (),
        default_locale: str = "pl",
    ) -> None:
        self.app = app
        self.default_locale = default_locale
        names = {loc.domain for loc in LOCALES.values()} | {loc.host for loc in LOCALES.values()}
        names.update(LOOPBACK_HOSTS)
        names.update(host_name(h) for h in extra_hosts if h)
        fallback_name = host_name(fallback)
        names.add(fallback_name)
        self.known = frozenset(names)
        authority = fallback_name if fallback_port == 443 else f"{fallback_name}:{fallback_port}"
        self.fallback = authority.encode("ascii")

    def checked(self, values: list[bytes]) -> bytes | None:
        """The Host value to keep, or None when it must be replaced."""
        if len(values) != 1:
            return None
        try:
            text = values[0].decode("ascii").strip().lower()
        except UnicodeDecodeError:
            return None
        match = _HOST.fullmatch(text.replace(".:", ":").rstrip("."))
        if match is None or match["name"] not in self.known:
            return None
        port = match["port"]
        if port is not None and not 0 < int(port) < 65536:
            return None
        return f"{match['name']}:{int(port)}".encode() if port else match["name"].encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        values = [value for key, value in scope["headers"] if key == b"host"]
        kept = self.checked(values)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["locale"] = locale_for_host(kept.decode() if kept else None, self.default_locale)
        if kept is None or values != [kept]:
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            headers.append((b"host", kept or self.fallback))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


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
        state: dict[str, Any] = scope.setdefault("state", {})
        # HostGuardMiddleware picked it from the Host as sent; without it, pick it here.
        locale = state.get("locale") or locale_for_host(headers.get("host"), self.default_locale)
        state["locale"] = locale
        credential = bearer_credential(headers.getlist("authorization"))
        if credential is None:
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
        if isinstance(credential, MalformedAuthorization):
            await _send_simple(
                send,
                401,
                error_body(credential.message),
                [
                    (b"content-type", ERROR_MEDIA_TYPE.encode()),
                    (b"www-authenticate", b'Bearer error="invalid_request"'),
                ],
            )
            return
        try:
            principal = await self.auth().authenticate(credential, locale)
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


# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC
# 7235 §2.1), so `bearer` and `BEARER` are the same scheme.
_BEARER_SCHEME = re.compile(r"(?i:bearer)(?: +|$)")
AMBIGUOUS_AUTHORIZATION = "Send exactly one Authorization header with one Bearer token."


class MalformedAuthorization:
    """An Authorization that names Bearer but cannot be read as exactly one token."""

    def __init__(self, message: str) -> None:
        self.message = message


def bearer_credential(values: list[str]) -> str | MalformedAuthorization | None:
    """The one bearer token of a request's `Authorization` headers.

    None when there is none to use (no header, another scheme, or an empty `Bearer `, which
    an unconfigured SDK sends: decisions.md "Wire"). Several headers, or several credentials
    in one (`Bearer a b`, `Bearer a, Bearer b`), are ambiguous: which one counts would depend
    on which a component happens to read, so they are refused.
    """
    if len(values) > 1:
        return MalformedAuthorization(AMBIGUOUS_AUTHORIZATION)
    if not values:
        return None
    value = values[0].strip(" \t")
    scheme = _BEARER_SCHEME.match(value)
    if scheme is None:
        return None
    token = value[scheme.end() :]
    if not token:
        return None
    if any(c in token for c in " \t,"):
        return MalformedAuthorization(AMBIGUOUS_AUTHORIZATION)
    return token


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
