"""The hottest authenticated reads, answered without FastAPI's routing and dependency layers.

`GET /facilities` and `getSlots` are what integrations poll most. After the caches
(services/cache.py) their answers need no statement, and the router, the dependency solver and
the response classes were most of their cost (issue #8). This layer sits innermost, after the
host check, authentication and rate limiting, which run unchanged, so it only replaces what
happens once a request is known to be allowed: it sends the bytes the routes would send, with
the same headers in the same order (tests/api/test_hot_reads.py compares both).

It takes only the plain success case. Another method or path, a `with` parameter, a repeated
`start`/`end`, and any request the use cases refuse (a `DomainError`: unknown or foreign path,
bad dates, no slots) go on to the full stack, which answers them as it always did; a refused
request changed nothing, so checking it twice is only slower.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from dpi_server.api import wire, wire_calendar
from dpi_server.api.inputs import path_id, required_datetime
from dpi_server.api.media import SUCCESS_MEDIA_TYPE, items
from dpi_server.domain.directory import Facility
from dpi_server.domain.errors import DomainError
from dpi_server.services.access import AddressRef
from dpi_server.services.principal import PRINCIPAL_STATE_KEY, Principal
from dpi_server.services.registry import Services

FACILITIES_PATH = "/api/v3/integration/facilities"
# FastAPI's `{name}` path parameters match one segment.
_SLOTS_PATH = re.compile(
    r"/api/v3/integration/facilities/([^/]+)/doctors/([^/]+)/addresses/([^/]+)/slots"
)
_CONTENT_TYPE = (b"content-type", SUCCESS_MEDIA_TYPE.encode())


def render_facilities(found: list[Facility]) -> bytes:
    """getFacilities' body, as the route renders it (api/media.py `ok`)."""
    return orjson.dumps(items([wire.facility(f) for f in found]))


async def send_success(send: Send, body: bytes) -> None:
    """A 200 with `body`, the head the routes' `ok` responses have (api/media.py)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode()), _CONTENT_TYPE],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HotReadMiddleware:
    def __init__(self, app: ASGIApp, services: Callable[[], Services]) -> None:
        self.app = app
        self.services = services
        self._queries = SlotsQueries()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = None
        if scope["type"] == "http" and scope["method"] == "GET":
            state: dict[str, Any] = scope.get("state") or {}
            principal = state.get(PRINCIPAL_STATE_KEY)
            if isinstance(principal, Principal):
                body = await self._answer(scope, principal)
        if body is None:
            await self.app(scope, receive, send)
            return
        await send_success(send, body)

    async def _answer(self, scope: Scope, principal: Principal) -> bytes | None:
        path: str = scope["path"]
        services = self.services()
        if path == FACILITIES_PATH:
            return await services.directory.facilities_answer(principal.actor, render_facilities)
        query = self._queries.parse(path, scope.get("query_string", b""))
        if query is None:
            return None
        try:
            at = await services.access.address(principal.actor, query.ref)
            fragments = await services.calendar.slot_answer(
                at, query.start, query.end, wire_calendar.slot_fragments(at.zone)
            )
        except DomainError:
            return None
        return wire_calendar.slots_body(fragments)


class SlotsQuery(NamedTuple):
    ref: AddressRef
    start: datetime
    end: datetime


class SlotsQueries:
    """getSlots requests read into typed inputs, remembered by their path and query string.

    A poller sends the same few URLs over and over, and reading one (the path pattern, the
    query string's percent-decoding, two ISO date-times) was a third of a cached answer's
    CPU (issue #8). The reading is pure, so a remembered one is exact; the bound keeps a
    client that varies its URLs from growing the table.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._known: dict[tuple[str, bytes], SlotsQuery | None] = {}

    def parse(self, path: str, query_string: bytes) -> SlotsQuery | None:
        key = (path, query_string)
        try:
            return self._known[key]
        except KeyError:
            pass
        found = _read(path, query_string)
        if len(self._known) >= self.LIMIT:
            self._known.clear()
        self._known[key] = found
        return found


def _read(path: str, query_string: bytes) -> SlotsQuery | None:
    """The plain getSlots request `path` and `query_string` make, or None for anything the
    full stack must answer (another path, a `with`, a repeated or unreadable value)."""
    match = _SLOTS_PATH.fullmatch(path)
    if match is None:
        return None
    window = _window(query_string)
    if window is None:
        return None
    try:
        return SlotsQuery(
            AddressRef(path_id(match[1]), path_id(match[2]), path_id(match[3])),
            required_datetime("start", window[0]),
            required_datetime("end", window[1]),
        )
    except DomainError:
        return None


def _window(query_string: bytes) -> tuple[str, str] | None:
    """`start` and `end` of a getSlots query, when each is given once and no `with` is."""
    # As Starlette reads a query string (latin-1 bytes, then percent-decoding as UTF-8).
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    found: dict[str, str] = {}
    for key, value in pairs:
        if key.startswith("with") or (key in ("start", "end") and key in found):
            return None
        found[key] = value
    if "start" not in found or "end" not in found:
        return None
    return found["start"], found["end"]
