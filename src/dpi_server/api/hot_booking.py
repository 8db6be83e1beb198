"""bookSlot answered without FastAPI's routing and dependency layers.

Booking is the write integrations send most, and once its statements were built ahead
(adapters/db/calendar_repositories.py) FastAPI's route matching and dependency solving were a
fifth of what a booking cost (issue #8). Like api/hot_reads.py this layer sits innermost, after
the host check, authentication, the journal, faults and rate limiting, and calls exactly what
the route calls: the address scope, `parse_body`, `book_request`, `BookingService.book` and
`wire_calendar.booked_slot`, so the answer is the route's, byte for byte
(tests/api/test_hot_booking.py compares them).

It keeps only the success. A request any step refuses (a `DomainError`: a foreign or unknown
path, a bad body, a taken slot) changed nothing, so it goes on to the full stack with its body
replayed, and is answered there as it always was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dpi_server.api import wire_calendar
from dpi_server.api.body import HEAVY_BODY_BYTES, parse_body
from dpi_server.api.extensions import parse_with
from dpi_server.api.hot_reads import send_success
from dpi_server.api.inputs import path_id, slot_start
from dpi_server.api.routes.calendar import book_request
from dpi_server.api.schemas import BookSlotRequest
from dpi_server.domain.errors import DomainError
from dpi_server.services.access import AddressRef
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services

# The route's `{name}` path parameters each match one segment, as FastAPI's do.
_BOOK_PATH = re.compile(
    r"/api/v3/integration/facilities/([^/]+)/doctors/([^/]+)/addresses/([^/]+)"
    r"/slots/([^/]+)/book"
)


class HotBookingMiddleware:
    def __init__(self, app: ASGIApp, services: Callable[[], Services]) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = principal = None
        if scope["type"] == "http" and scope["method"] == "POST":
            state: dict[str, Any] = scope.get("state") or {}
            principal = state.get(PRINCIPAL_STATE_KEY)
            if isinstance(principal, Principal):
                match = _BOOK_PATH.fullmatch(scope["path"])
        if match is None or not isinstance(principal, Principal):
            await self.app(scope, receive, send)
            return
        raw, complete = await _read_body(receive)
        body = None
        if complete and len(raw) <= HEAVY_BODY_BYTES:
            body = await self._book(scope, principal, match, raw)
        if body is None:
            await self.app(scope, _replaying(raw, complete, receive), send)
            return
        await send_success(send, body)

    async def _book(
        self, scope: Scope, principal: Principal, match: re.Match[str], raw: bytes
    ) -> bytes | None:
        services = self.services()
        try:
            ref = AddressRef(path_id(match[1]), path_id(match[2]), path_id(match[3]))
            at = await services.access.address(principal.actor, ref)
            request = parse_body(raw, BookSlotRequest)
            view = await services.bookings.book(
                at, slot_start(match[4]), book_request(request, at.zone)
            )
        except DomainError:
            return None  # refused, nothing changed: the full stack answers it
        extensions = parse_with(scope.get("query_string", b""))
        return orjson.dumps(wire_calendar.booked_slot(view, at.zone, extensions))


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether it arrived whole (not cut by a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replaying(raw: bytes, complete: bool, receive: Receive) -> Receive:
    """`receive` as if nothing had been read: the body first, then the connection's own."""
    pending: list[Message] = [
        {"type": "http.request", "body": raw, "more_body": False}
        if complete
        else {"type": "http.disconnect"}
    ]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay
