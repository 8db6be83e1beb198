"""The unpaid auto-cancel (behaviour.md §9 "Payments"): a visit paid online and still unpaid
90 minutes after booking is canceled with `booking-canceled`, driven here by time travel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dpi_server.bootstrap import build
from dpi_server.config import Settings
from dpi_server.domain.bookings import CANCELED
from dpi_server.testing.estate import TestEstate
from tests.api.notification_support import DOCTOR, Marketplace, pull_all, validate
from tests.api.support import success
from tests.conftest import Api
from tests.sandbox.clock_support import advance, clock_call, operator

__all__ = ["operator"]
ONLINE = 1  # the estate's address with online payment


async def booked_unpaid(
    api: Api, headers: dict[str, str], **details: Any
) -> tuple[TestEstate, int]:
    """A frozen clock and a patient's visit at the online-payment address, its
    `slot-booked` already pulled."""
    estate = await api.estate()
    market = Marketplace(api, estate)
    await market.open_tuesday(address=ONLINE)
    await clock_call(api, headers, "freeze")
    view = await market.book(address=ONLINE, **details)
    assert [n["name"] for n in await pull_all(api, estate)] == ["slot-booked"]
    return estate, view.booking.id


async def read_back(api: Api, estate: TestEstate, booking_id: int) -> Any:
    path = f"{estate.address_path(ONLINE)}/bookings/{booking_id}"
    return success(await api.http.get(path, headers=estate.headers))


async def test_an_unpaid_visit_is_canceled_91_minutes_after_booking(
    api: Api, operator: dict[str, str]
) -> None:
    estate, booking_id = await booked_unpaid(api, operator, visit_payment=True)
    booked_at = api.container.services.clock.now()

    travel = await advance(api, operator, "PT91M")

    assert travel["ran"]["canceled"] >= 1
    [notification] = await pull_all(api, estate)
    assert validate(notification) == "booking-canceled"
    visit = notification["data"]["visit_booking"]
    assert visit["id"] == str(booking_id)
    assert visit["status"] == CANCELED
    assert visit["canceled_by"] == "user"
    body = await read_back(api, estate, booking_id)
    assert body["status"] == CANCELED
    assert body["canceled_by"] == "user"
    # The cancel ran with the clock at its own due time, 90 minutes after booking.
    assert body["canceled_at"].startswith("2026-01-05T10:30:00")
    assert booked_at.isoformat().startswith("2026-01-05T08:00:00")


async def test_an_unpaid_visit_still_stands_after_89_minutes(
    api: Api, operator: dict[str, str]
) -> None:
    estate, booking_id = await booked_unpaid(api, operator, visit_payment=True)

    await advance(api, operator, "PT89M")

    assert await pull_all(api, estate) == []
    assert (await read_back(api, estate, booking_id))["status"] == "booked"


@pytest.mark.parametrize("status", ["paid", "waiting_for_confirmation"])
async def test_a_paid_visit_is_not_canceled(
    api: Api, operator: dict[str, str], status: str
) -> None:
    estate, booking_id = await booked_unpaid(api, operator, visit_payment=True)
    market = Marketplace(api, estate)
    found = await market.booking_scope(booking_id, address=ONLINE)
    await api.container.services.bookings.change_payment_status(found, status)
    await pull_all(api, estate)

    await advance(api, operator, "PT3H")

    assert await pull_all(api, estate) == []
    assert (await read_back(api, estate, booking_id))["status"] == "booked"


async def test_a_visit_not_paid_online_is_not_canceled(api: Api, operator: dict[str, str]) -> None:
    """The doctor's own booking at the online-payment address is not sent to pay (a
    patient's is: domain/booking_rules.py `pays_online`)."""
    estate, booking_id = await booked_unpaid(api, operator, actor=DOCTOR)

    await advance(api, operator, "PT3H")

    assert await pull_all(api, estate) == []
    assert (await read_back(api, estate, booking_id))["status"] == "booked"


async def test_the_scheduler_in_real_time_cancels_once(api: Api) -> None:
    """The real-time path (what `dpi serve` and `dpi worker` run): a second run, as another
    process would make, finds nothing left to cancel."""
    estate = await api.estate()
    market = Marketplace(api, estate)
    await market.open_tuesday(address=ONLINE)
    view = await market.book(address=ONLINE, visit_payment=True)
    await pull_all(api, estate)
    scheduler = api.container.services.scheduler
    api.clock.advance(minutes=95)

    first = await scheduler.run_due()
    second = await scheduler.run_due()

    assert first.canceled >= 1
    assert second.canceled == 0
    [notification] = await pull_all(api, estate)
    assert notification["name"] == "booking-canceled"
    assert notification["data"]["visit_booking"]["id"] == str(view.booking.id)


async def test_two_processes_cancel_a_visit_exactly_once(api: Api, settings: Settings) -> None:
    """Two schedulers on one database (two processes' wiring) run at the same moment: one
    cancel, one `booking-canceled`."""
    estate = await api.estate()
    market = Marketplace(api, estate)
    await market.open_tuesday(address=ONLINE)
    view = await market.book(address=ONLINE, visit_payment=True)
    await pull_all(api, estate)
    other = build(settings, clock=api.clock)
    try:
        api.clock.advance(minutes=120)
        await asyncio.gather(
            api.container.services.scheduler.run_due(), other.services.scheduler.run_due()
        )
    finally:
        await other.close()

    [notification] = await pull_all(api, estate)
    assert notification["name"] == "booking-canceled"
    assert notification["data"]["visit_booking"]["id"] == str(view.booking.id)
    assert (await read_back(api, estate, view.booking.id))["status"] == CANCELED
