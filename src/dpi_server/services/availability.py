"""Reading what is free at an address: stored periods minus bookings and breaks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dpi_server.domain.calendar import Interval, WorkPeriod
from dpi_server.services.repositories import UnitOfWork

# The longest service fits inside one single-day period, so a day of margin around a window
# catches every period and every busy interval that can touch it.
MARGIN = timedelta(days=1, hours=2)


@dataclass(frozen=True, slots=True)
class Availability:
    periods: list[WorkPeriod]
    busy: list[Interval]


async def load_availability(
    uow: UnitOfWork,
    address_id: int,
    start: datetime,
    end: datetime,
    *,
    ignore_booking_id: int | None = None,
) -> Availability:
    """Periods and busy time around `[start, end)`; periods offer only live services."""
    live = {s.id for s in await uow.address_services.list(address_id)}
    periods = []
    for period in await uow.calendar.periods_between(address_id, start - MARGIN, end + MARGIN):
        services = tuple(s for s in period.services if s.address_service_id in live)
        if services:
            periods.append(replace(period, services=services))
    busy = [
        Interval(s, e)
        for booking_id, s, e in await uow.bookings.busy_between(
            address_id, start - MARGIN, end + MARGIN
        )
        if booking_id != ignore_booking_id
    ]
    busy += [
        Interval(b.since, b.till)
        for b in await uow.calendar.breaks_between(address_id, start - MARGIN, end + MARGIN)
    ]
    # Slots held while a real-time client is asked are taken for everyone else (§12).
    busy += [
        Interval(s, e)
        for _, s, e in await uow.notifications.holds_between(
            address_id, start - MARGIN, end + MARGIN
        )
    ]
    return Availability(periods, busy)
