"""Reading what is free at an address: stored periods minus bookings and breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dpi_server.domain.calendar import Interval, PeriodService, WorkPeriod
from dpi_server.domain.directory import AddressService
from dpi_server.services.repositories import UnitOfWork

# The longest service fits inside one single-day period, so a day of margin around a window
# catches every period and every busy interval that can touch it.
MARGIN = timedelta(days=1, hours=2)


@dataclass(frozen=True, slots=True)
class Availability:
    periods: list[WorkPeriod]
    busy: list[Interval]
    # The address's live services by id: what the periods may offer.
    services: dict[int, AddressService]


async def load_availability(
    uow: UnitOfWork,
    address_id: int,
    start: datetime,
    end: datetime,
    *,
    ignore_booking_id: int | None = None,
    live_services: Sequence[AddressService] | None = None,
) -> Availability:
    """Periods and busy time around `[start, end)`; periods offer only live services.

    Three reads: the live services (none when the caller read them: `live_services`), the
    periods, and the busy time (bookings and breaks)."""
    if live_services is None:
        live_services = await uow.address_services.list(address_id)
    live = {s.id: s for s in live_services}
    periods = []
    # Periods repeat a few service lists: each is filtered once, and a period is copied only
    # when it offers a service no longer live (a quarter may hold 10,000 periods).
    offered: dict[tuple[PeriodService, ...], tuple[PeriodService, ...]] = {}
    for period in await uow.calendar.periods_between(address_id, start - MARGIN, end + MARGIN):
        services = offered.get(period.services)
        if services is None:
            services = tuple(s for s in period.services if s.address_service_id in live)
            offered[period.services] = services
        if not services:
            continue
        periods.append(
            period if services == period.services else replace(period, services=services)
        )
    busy = await uow.calendar.busy_between(
        address_id, start - MARGIN, end + MARGIN, ignore_booking_id
    )
    return Availability(periods, busy, live)
