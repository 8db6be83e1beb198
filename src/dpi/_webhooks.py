"""Receiving push notifications and real-time calls: a small ASGI app, plus Standard Webhooks
signatures (https://www.standardwebhooks.com/).

Docplanner POSTs every event as JSON to the vendor's HTTPS endpoint and counts any 2xx as
delivered (behaviour.md §11.3). For real-time clients `slot-booking` and `booking-moving`
come synchronously, before the patient's action is committed: a 2xx allows it, a 4xx with
`{"error_code": N}` denies it with the custom message number N (behaviour.md §12).
Docplanner itself signs nothing (an optional API-key header at most); the signature check is
for deployments that put a signing relay (or dpi, when configured) in front.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from dpi._notifications import (
    BookingMovingNotification,
    Notification,
    SlotBookingNotification,
    parse_notification,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

RealtimeNotification = SlotBookingNotification | BookingMovingNotification
"""The two synchronous calls that await an answer."""

_MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class Allow:
    """Answer to a real-time call: let the booking or move go ahead (200)."""


@dataclass(frozen=True)
class Deny:
    """Answer to a real-time call: block it. `error_code` selects the patient's message (from
    the dictionary agreed with Docplanner); `status` must be a 4xx."""

    error_code: int | None = None
    status: int = 409

    def __post_init__(self) -> None:
        if not 400 <= self.status < 500:
            raise ValueError("a denial is a 4xx status")


Decision = Allow | Deny
"""What a real-time handler returns."""


class InvalidSignature(ValueError):
    """A push body whose Standard Webhooks signature is missing, wrong or too old."""


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign_webhook(secret: str | bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value (`v1,<base64 HMAC-SHA256>`) of a body.

    `secret` is `whsec_<base64 key>` as Standard Webhooks writes it, or the raw key bytes.
    """
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_webhook(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> None:
    """Check `webhook-id`, `webhook-timestamp` and `webhook-signature` against `body`.

    Raises `InvalidSignature` when a header is missing, the timestamp is more than `tolerance`
    seconds away from `now` (replays), or no `v1` signature matches.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise InvalidSignature("missing or malformed webhook-* headers") from exc
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature("webhook-timestamp outside the tolerance")
    expected = sign_webhook(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("no matching v1 signature")


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class WebhookApp:
    """An ASGI app that receives Docplanner's POSTs (mount it under any path).

    ```python
    app = dpi.WebhookApp(on_notification=store, on_realtime=lambda n: dpi.Allow())
    # uvicorn module:app
    ```

    Args:
        on_notification: called with every parsed event that is not a real-time call (sync or
            async). An exception answers 500, so Docplanner retries.
        on_realtime: called with `slot-booking` / `booking-moving`; returns `Allow()` or
            `Deny(error_code=...)` (sync or async). Without it every real-time call is allowed.
            Answer well within Docplanner's 5 seconds.
        signing_secret: when set, bodies must carry a valid Standard Webhooks signature.
        api_key: `(header, value)` that every request must carry (Docplanner's optional
            API-key header).
        tolerance: the signature timestamp's allowed distance from now, in seconds.
    """

    def __init__(
        self,
        *,
        on_notification: Callable[[Notification], object] | None = None,
        on_realtime: Callable[[RealtimeNotification], Decision | Awaitable[Decision]] | None = None,
        signing_secret: str | bytes | None = None,
        api_key: tuple[str, str] | None = None,
        tolerance: float = 300.0,
    ) -> None:
        self.on_notification = on_notification
        self.on_realtime = on_realtime
        self._secret = signing_secret
        self._api_key = (api_key[0].lower(), api_key[1]) if api_key else None
        self.tolerance = tolerance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"message": "Method Not Allowed"}, [(b"allow", b"POST")])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, {"message": "Request body is too large"})
            return
        status, answer = await self._handle(headers, body)
        await _respond(send, status, answer)

    async def _handle(self, headers: Mapping[str, str], body: bytes) -> tuple[int, Any]:
        if self._api_key is not None and not hmac.compare_digest(
            headers.get(self._api_key[0], ""), self._api_key[1]
        ):
            return 401, {"message": "Invalid API key"}
        if self._secret is not None:
            try:
                verify_webhook(self._secret, headers, body, tolerance=self.tolerance)
            except InvalidSignature as exc:
                return 401, {"message": str(exc)}
        try:
            notification = parse_notification(body)
        except ValueError:
            return 400, {"message": "Body is not a notification"}
        if isinstance(notification, SlotBookingNotification | BookingMovingNotification):
            decision = (
                Allow()
                if self.on_realtime is None
                else await _maybe_await(self.on_realtime(notification))
            )
            if isinstance(decision, Deny):
                return decision.status, (
                    {} if decision.error_code is None else {"error_code": decision.error_code}
                )
            return 200, {}
        if self.on_notification is not None:
            try:
                await _maybe_await(self.on_notification(notification))
            except Exception:
                # Not swallowed: a 500 makes Docplanner retry (and later bury) the push.
                return 500, {"message": "Handler failed"}
        return 200, {}

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(
    send: Send, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
