"""In-memory twins of the calendar and booking ports (`adapters/db/calendar_repositories.py`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from dpi_server.domain import errors
from dpi_server.domain.bookings import BOOKED, Booking, NewBooking
from dpi_server.domain.calendar import Interval, PeriodService, WorkPeriod
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.directory import AddressService
from dpi_server.testing.memory_state import (
    PeriodRow,
    ReplaceMarker,
    Transaction,
    not_null,
    require_new,
    require_row,
    utc,
    utc_or_none,
)


class MemoryCalendarRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def lock_address(self, address_id: int) -> None:
        """Nothing to do: units opened with `write=True` already run one at a time, as on
        SQLite, where `BEGIN IMMEDIATE` holds the database's write lock."""

    async def get(self, address_id: int) -> Calendar | None:
        found = self._tx.tables.calendars.get(address_id)
        return None if found is None else found[0]

    async def get_with_services(
        self, address_id: int
    ) -> tuple[Calendar | None, list[AddressService]]:
        services = [
            s
            for _, s in sorted(self._tx.tables.address_services.items())
            if s.address_id == address_id and s.deleted_at is None
        ]
        return await self.get(address_id), services

    async def create(self, address_id: int, status: str, at: datetime) -> Calendar:
        tables = self._tx.writable()
        require_new(tables.calendars, address_id, "calendar")
        require_row(tables.addresses, address_id, "address")
        tables.calendars[address_id] = (Calendar(address_id, status, False), utc(at))
        return Calendar(address_id, status, False)

    async def set_status(self, address_id: int, status: str) -> None:
        self._change(address_id, status=status)

    async def mark_published(self, address_id: int) -> None:
        self._change(address_id, has_published=True)

    def _change(self, address_id: int, **changes: Any) -> None:
        found = self._tx.tables.calendars.get(address_id)
        if found is not None:
            calendar, created_at = found
            self._tx.writable().calendars[address_id] = (replace(calendar, **changes), created_at)

    def _periods(self, address_id: int) -> list[tuple[int, PeriodRow]]:
        rows = self._tx.tables.work_periods.items()
        return sorted(
            ((i, row) for i, row in rows if row.address_id == address_id),
            key=lambda item: (item[1].period.start, item[0]),
        )

    async def periods_between(
        self, address_id: int, start: datetime, end: datetime
    ) -> list[WorkPeriod]:
        """Periods overlapping [start, end)."""
        return [
            row.period
            for _, row in self._periods(address_id)
            if row.period.start < end and row.period.end > start
        ]

    async def periods_on_days(self, address_id: int, days: Sequence[date]) -> list[WorkPeriod]:
        return [row.period for _, row in self._periods(address_id) if row.day in days]

    async def replace_days(
        self, address_id: int, days: Sequence[date], periods: Sequence[tuple[date, WorkPeriod]]
    ) -> None:
        """Drop every period stored on `days` and store `periods` (each with its day)."""
        if not days and not periods:
            return
        tables = self._tx.writable()
        for period_id, row in self._periods(address_id):
            if row.day in days:
                del tables.work_periods[period_id]
        for day, period in periods:
            require_row(tables.addresses, address_id, "address")
            stored = replace(
                period,
                start=utc(period.start),
                end=utc(period.end),
                services=tuple(
                    PeriodService(s.address_service_id, s.duration) for s in period.services
                ),
                insurance_providers=tuple(period.insurance_providers),
            )
            tables.work_periods[self._tx.new_id("work_periods")] = PeriodRow(
                address_id, day, stored
            )

    def _breaks(self, address_id: int | None = None) -> list[CalendarBreak]:
        return [
            b
            for _, b in sorted(self._tx.tables.breaks.items())
            if address_id is None or b.address_id == address_id
        ]

    async def breaks_between(
        self, address_id: int, since: datetime, till: datetime
    ) -> list[CalendarBreak]:
        found = [b for b in self._breaks(address_id) if b.since < till and b.till > since]
        return sorted(found, key=lambda b: (b.since, b.id))

    async def busy_between(
        self, address_id: int, start: datetime, end: datetime, ignore_booking_id: int | None
    ) -> list[Interval]:
        """Live bookings (but the ignored one) and breaks overlapping [start, end)."""
        bookings = [
            Interval(b.start, b.end)
            for _, b in sorted(self._tx.tables.bookings.items())
            if b.address_id == address_id
            and b.status == BOOKED
            and b.deleted_at is None
            and b.start < end
            and b.end > start
            and b.id != ignore_booking_id
        ]
        breaks = [
            Interval(b.since, b.till)
            for b in self._breaks(address_id)
            if b.since < end and b.till > start
        ]
        return bookings + breaks

    async def get_break(self, break_id: int) -> CalendarBreak | None:
        return self._tx.tables.breaks.get(break_id)

    async def find_break(
        self, address_id: int, since: datetime, till: datetime, description: str | None
    ) -> CalendarBreak | None:
        return next(
            (
                b
                for b in self._breaks(address_id)
                if b.since == since and b.till == till and b.description == description
            ),
            None,
        )

    async def add_break(
        self,
        address_id: int,
        since: datetime,
        till: datetime,
        description: str | None,
        group_id: int | None,
        at: datetime,
    ) -> CalendarBreak:
        tables = self._tx.writable()
        require_row(tables.addresses, address_id, "address")
        utc(at)
        break_id = self._tx.new_id("calendar_breaks")
        tables.breaks[break_id] = CalendarBreak(
            break_id, address_id, utc(since), utc(till), description, group_id
        )
        return CalendarBreak(break_id, address_id, since, till, description, group_id)

    async def set_break_group(self, break_id: int, group_id: int) -> None:
        found = self._tx.tables.breaks.get(break_id)
        if found is not None:
            self._tx.writable().breaks[break_id] = replace(found, group_id=group_id)

    async def breaks_in_group(self, group_id: int) -> list[CalendarBreak]:
        return [b for b in self._breaks() if b.group_id == group_id]

    async def move_breaks(self, ids: Sequence[int], since: datetime, till: datetime) -> None:
        for found in [b for b in self._breaks() if b.id in ids]:
            self._tx.writable().breaks[found.id] = replace(found, since=utc(since), till=utc(till))

    async def delete_breaks(self, ids: Sequence[int]) -> None:
        for found in [b for b in self._breaks() if b.id in ids]:
            del self._tx.writable().breaks[found.id]

    async def hold_replace_request(self, address_id: int, payload_hash: str) -> bool:
        """Like PostgreSQL's transaction-scoped advisory lock: held until the unit ends."""
        holds = self._tx.store.replace_holds
        owner = holds.setdefault((address_id, payload_hash), self._tx)
        return owner is self._tx

    async def replace_request_finished(self, address_id: int, payload_hash: str) -> datetime | None:
        found = self._tx.tables.replace_requests.get((address_id, payload_hash))
        return None if found is None else found.finished_at

    async def record_replace_request(
        self, address_id: int, payload_hash: str, at: datetime, purge_before: datetime
    ) -> None:
        tables = self._tx.writable()
        require_row(tables.addresses, address_id, "address")
        tables.replace_requests[(address_id, payload_hash)] = ReplaceMarker(utc(at), utc(at))
        for key, marker in list(tables.replace_requests.items()):
            if marker.finished_at is not None and marker.finished_at < purge_before:
                del tables.replace_requests[key]


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


class MemoryBookingRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _store(self, booking: Booking) -> None:
        not_null(booking, "status", "booked_by", "signature", "canceled_by")
        not_null(booking.patient, "name", "phone")
        tables = self._tx.writable()
        require_row(tables.facilities, booking.facility_id, "facility")
        require_row(tables.doctors, booking.doctor_id, "doctor")
        require_row(tables.addresses, booking.address_id, "address")
        require_row(tables.address_services, booking.address_service_id, "address service")
        tables.bookings[booking.id] = replace(
            booking,
            start=utc(booking.start),
            booked_at=utc(booking.booked_at),
            canceled_at=utc_or_none(booking.canceled_at),
            confirmed_at=utc_or_none(booking.confirmed_at),
            deleted_at=utc_or_none(booking.deleted_at),
        )

    async def add(self, booking: NewBooking) -> Booking:
        new_id = self._tx.new_id("bookings")
        if booking.origin_booking_id is None:
            # A visit that starts a move chain is its own origin.
            booking = replace(booking, origin_booking_id=new_id)
        stored = booking.stored_as(new_id)
        self._store(stored)
        return stored

    async def save(self, booking: Booking) -> None:
        if booking.id in self._tx.tables.bookings:
            self._store(booking)

    async def get(self, booking_id: int) -> Booking | None:
        return self._tx.tables.bookings.get(booking_id)

    def _all(self) -> list[Booking]:
        return [b for _, b in sorted(self._tx.tables.bookings.items())]

    async def list_between(
        self, address_id: int, start: datetime, end: datetime, offset: int | None, limit: int | None
    ) -> tuple[list[Booking], int]:
        """Bookings starting in [start, end), oldest first, and how many there are in all."""
        found = sorted(
            (
                b
                for b in self._all()
                if b.address_id == address_id and b.deleted_at is None and start <= b.start < end
            ),
            key=lambda b: (b.start, b.id),
        )
        page = found if limit is None else found[(offset or 0) : (offset or 0) + limit]
        return page, len(found)

    async def newest_in_chain(self, origin_booking_id: int) -> int:
        chain = [b.id for b in self._all() if b.origin_booking_id == origin_booking_id]
        return max(chain, default=origin_booking_id)

    async def visits_by_phone(self, facility_id: int, doctor_id: int, digits: str) -> list[Booking]:
        return [
            b
            for b in self._all()
            if b.facility_id == facility_id
            and b.doctor_id == doctor_id
            and _digits(b.patient.phone) == digits
            and b.deleted_at is None
        ]

    async def unpaid_booked_before(self, before: datetime, limit: int) -> list[Booking]:
        found = [b for b in self._unpaid() if b.booked_at <= before]
        return sorted(found, key=lambda b: (b.booked_at, b.id))[:limit]

    async def oldest_unpaid_booked_at(self) -> datetime | None:
        return min((b.booked_at for b in self._unpaid()), default=None)

    def _unpaid(self) -> list[Booking]:
        addresses = self._tx.tables.addresses
        return [
            b
            for b in self._all()
            if b.awaits_payment()
            and b.address_id in addresses
            and addresses[b.address_id].visit_payment
        ]

    async def opinion_requested(self, booking_id: int) -> bool:
        return booking_id in self._tx.tables.opinion_requests

    async def record_opinion_request(self, booking_id: int, at: datetime) -> None:
        tables = self._tx.writable()
        require_row(tables.bookings, booking_id, "booking")
        if booking_id in tables.opinion_requests:
            # the documented 409 for a second request (adapters/db/errors.py)
            raise errors.OpinionAlreadyExists()
        tables.opinion_requests[booking_id] = utc(at)
