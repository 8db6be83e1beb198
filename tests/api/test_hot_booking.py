"""The lean path of bookSlot (api/hot_booking.py) answers what the full stack answers: the
same status, headers and body for a booking, and every refusal left to the full stack, which
answers it as before with nothing changed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from dpi_server.api import hot_booking
from dpi_server.api.hot_booking import HotBookingMiddleware
from tests.api.calendar_support import TUE, Cal, at, book_body, period, q
from tests.api.hot_path_support import wire
from tests.conftest import Api


@pytest.fixture
def answered_hot(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per bookSlot request that reached the lean path: whether it answered there."""
    seen: list[bool] = []
    original = HotBookingMiddleware._book

    async def spy(self: HotBookingMiddleware, *args: Any) -> bytes | None:
        body = await original(self, *args)
        seen.append(body is not None)
        return body

    monkeypatch.setattr(HotBookingMiddleware, "_book", spy)
    return seen


def same_but_visit(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    """`wire`, the body parsed and what differs between two visits (id, times) blanked."""
    status, headers, raw = wire(response)
    body = json.loads(raw)
    for key in ("id", "start_at", "end_at"):
        body[key] = "<visit>"
    # The body's length moves with the id's and the times' digits.
    headers = [(k, "<n>" if k == "content-length" else v) for k, v in headers]
    return status, headers, body


async def open_tuesday(cal: Cal) -> None:
    assert (await cal.enable()).status_code == 200
    await cal.publish(period(at(TUE, "09:00"), at(TUE, "13:00"), (cal.sid(), 30)))


@pytest.mark.parametrize("extensions", ["", "?with=booking.patient,booking.address_service"])
async def test_a_booking_is_the_full_stacks_answer(
    api: Api, full_stack: httpx.AsyncClient, answered_hot: list[bool], extensions: str
) -> None:
    cal = Cal(api, await api.estate())
    await open_tuesday(cal)
    body = book_body(cal.sid(), 30, comment="Hot")

    hot = await api.http.post(
        f"{cal.path()}/slots/{q(at(TUE, '09:00'))}/book{extensions}", json=body, headers=cal.h
    )
    full = await full_stack.post(
        f"{cal.path()}/slots/{q(at(TUE, '10:00'))}/book{extensions}", json=body, headers=cal.h
    )

    assert hot.status_code == 200, hot.text
    assert answered_hot == [True]
    assert same_but_visit(hot) == same_but_visit(full)
    assert hot.json()["start_at"] == at(TUE, "09:00")
    listed = (await cal.bookings()).json()["_items"]
    assert sorted(b["id"] for b in listed) == sorted([hot.json()["id"], full.json()["id"]])


async def test_refusals_are_the_full_stacks_and_change_nothing(
    api: Api, full_stack: httpx.AsyncClient, answered_hot: list[bool]
) -> None:
    cal, other = Cal(api, await api.estate()), Cal(api, await api.estate())
    await open_tuesday(cal)
    await open_tuesday(other)
    await cal.booked(at(TUE, "09:00"))
    answered_hot.clear()
    before = await cal.state()
    good = json.dumps(book_body(cal.sid())).encode()
    cases: dict[str, tuple[str, bytes]] = {
        "taken slot": (f"{cal.path()}/slots/{q(at(TUE, '09:00'))}/book", good),
        "off the grid": (f"{cal.path()}/slots/{q(at(TUE, '09:10'))}/book", good),
        "unreadable start": (f"{cal.path()}/slots/tomorrow/book", good),
        "invalid JSON": (f"{cal.path()}/slots/{q(at(TUE, '11:00'))}/book", b"{nope"),
        "no body": (f"{cal.path()}/slots/{q(at(TUE, '11:00'))}/book", b""),
        "missing patient": (
            f"{cal.path()}/slots/{q(at(TUE, '11:00'))}/book",
            json.dumps({"address_service_id": cal.sid(), "duration": 30}).encode(),
        ),
        "foreign address": (f"{other.path()}/slots/{q(at(TUE, '11:00'))}/book", good),
        "unknown address": (
            f"/api/v3/integration/facilities/x/doctors/1/addresses/1/slots/"
            f"{q(at(TUE, '11:00'))}/book",
            good,
        ),
    }
    for name, (url, content) in cases.items():
        headers = {**cal.h, "Content-Type": "application/json"}
        hot = await api.http.post(url, content=content, headers=headers)
        full = await full_stack.post(url, content=content, headers=headers)
        assert hot.status_code >= 400, name
        assert wire(hot) == wire(full), name
    assert answered_hot == [False] * len(cases)
    assert await cal.state() == before


async def test_the_body_is_replayed_whole_or_as_a_disconnect() -> None:
    """What the full stack reads after the lean path read the body: the same bytes once, then
    the connection's own messages; a body cut by a disconnect stays a disconnect."""
    later: list[dict[str, Any]] = [{"type": "http.disconnect"}]

    async def connection() -> dict[str, Any]:
        return later.pop()

    replay = hot_booking._replaying(b'{"a": 1}', True, connection)
    assert await replay() == {"type": "http.request", "body": b'{"a": 1}', "more_body": False}
    assert await replay() == {"type": "http.disconnect"}

    cut = hot_booking._replaying(b'{"a"', False, connection)
    assert await cut() == {"type": "http.disconnect"}


async def test_a_body_in_chunks_is_read_whole() -> None:
    parts = [
        {"type": "http.request", "body": b'{"a"', "more_body": True},
        {"type": "http.request", "body": b": 1}", "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0)
        return parts.pop(0)

    assert await hot_booking._read_body(receive) == (b'{"a": 1}', True)
