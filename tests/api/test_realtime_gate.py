"""The real-time gate: a patient's booking or move first asks the vendor, holding the slot
meanwhile (behaviour.md §12, decisions.md "Notifications", issue #9 §5). The vendor is a
real local HTTP server; its answers decide."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from dpi_server.domain.notifications import BookingDeniedByVendor
from tests.api.calendar_support import TUE, Cal, at, book_body
from tests.api.notification_support import (
    DOCTOR,
    Answer,
    Marketplace,
    Receiver,
    configure,
    pull_all,
)
from tests.conftest import Api


@pytest.fixture
def vendor() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


async def gated(api: Api, vendor: Receiver) -> Marketplace:
    estate = await api.estate()
    await configure(api, estate, realtime_url=vendor.url, api_key="rt-key")
    m = Marketplace(api, estate)
    await m.open_tuesday()
    return m


VERDICTS = [
    pytest.param(Answer(200), None, id="2xx-allows"),
    pytest.param(Answer(422, b'{"error_code": 3}'), 3, id="4xx-with-code-denies"),
    pytest.param(Answer(500, b'{"error_code": 9}'), None, id="500-denies"),
    pytest.param(Answer(200, delay=6.0), None, id="6s-timeout-denies"),
]


class TestSlotBooking:
    @pytest.mark.parametrize(("answer", "code"), VERDICTS)
    async def test_the_vendors_answer_decides(
        self, api: Api, vendor: Receiver, answer: Answer, code: int | None
    ) -> None:
        """2xx allows (then slot-booked follows); 4xx with `error_code`, 500 and no answer
        within 5 s deny, the code passed back to the patient's side."""
        vendor.answer = lambda _r: answer
        m = await gated(api, vendor)
        allowed = answer.status == 200 and not answer.delay

        if allowed:
            view = await m.book("09:00")
            assert view.booking.booked_by == "user"
        else:
            with pytest.raises(BookingDeniedByVendor) as denied:
                await m.book("09:00")
            assert denied.value.error_code == code

        [call] = vendor.posts
        assert call.json()["name"] == "slot-booking"
        assert call.headers["x-api-key"] == "rt-key"
        request = call.json()["data"]["visit_booking_request"]
        assert request["start_at"] == at(TUE, "09:00")
        names = [n["name"] for n in await pull_all(api, m.estate)]
        assert names == (["slot-booked"] if allowed else [])

    async def test_a_denied_booking_leaves_the_slot_free(self, api: Api, vendor: Receiver) -> None:
        vendor.answer = lambda _r: Answer(409, b'{"error_code": 1}')
        m = await gated(api, vendor)

        with pytest.raises(BookingDeniedByVendor):
            await m.book("09:00")

        assert at(TUE, "09:00") in await m.cal.starts(TUE)
        doctor = await m.book("09:00", actor=DOCTOR)  # the doctor is not gated
        assert doctor.booking.start == datetime.fromisoformat(at(TUE, "09:00"))

    async def test_a_held_slot_cannot_be_booked_by_anyone_else_meanwhile(
        self, api: Api, vendor: Receiver
    ) -> None:
        """While the vendor is asked the slot is taken for everyone; no transaction is open
        (the integration's booking is answered at once, on SQLite too)."""
        vendor.gate = threading.Event()
        m = await gated(api, vendor)
        patient = asyncio.create_task(m.book("09:00"))
        await _until(lambda: bool(vendor.posts))

        cal = Cal(api, m.estate)
        other = await cal.book(at(TUE, "09:00"), book_body(cal.sid()))
        listed = await cal.starts(TUE)
        vendor.gate.set()
        view = await patient

        assert other.status_code == 404
        assert at(TUE, "09:00") not in listed
        assert view.booking.booked_by == "user"


class TestBookingMoving:
    async def test_an_allowed_move_happens_and_booking_moved_follows(
        self, api: Api, vendor: Receiver
    ) -> None:
        m = await gated(api, vendor)
        booked = await m.book("09:00")

        moved = await m.move(booked.booking.id, "10:30")

        calls = [p.json() for p in vendor.posts]
        assert [c["name"] for c in calls] == ["slot-booking", "booking-moving"]
        moving = calls[1]["data"]
        assert moving["canceling_booking"]["id"] == str(booked.booking.id)
        assert moving["creating_booking"]["start_at"] == at(TUE, "10:30")
        assert moved.booking.id != booked.booking.id
        names = [n["name"] for n in await pull_all(api, m.estate)]
        assert names == ["slot-booked", "booking-moved"]

    async def test_a_denied_move_leaves_the_visit_where_it_was(
        self, api: Api, vendor: Receiver
    ) -> None:
        m = await gated(api, vendor)
        booked = await m.book("09:00")
        vendor.answer = lambda _r: Answer(400, b'{"error_code": 7}')

        with pytest.raises(BookingDeniedByVendor) as denied:
            await m.move(booked.booking.id, "10:30")

        assert denied.value.error_code == 7
        starts = await m.cal.starts(TUE)
        assert at(TUE, "10:30") in starts
        assert at(TUE, "09:00") not in starts
        assert [n["name"] for n in await pull_all(api, m.estate)] == ["slot-booked"]


async def _until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait for the receiver's thread to get somewhere, without a fixed sleep."""
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.01)
