"""SQL repositories for calendars, work periods, breaks and bookings."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.directory_repositories import address_service_of
from dpi_server.adapters.db.slot_reads import (
    BUSY_BETWEEN,
    PERIODS_BETWEEN,
    busy_between_parameters,
    stored_providers,
    stored_services,
    utc_from_driver,
)
from dpi_server.adapters.db.sqlite_inline import OFFLOAD_ROWS, InlineConnection
from dpi_server.domain.bookings import Booking, NewBooking, Patient
from dpi_server.domain.calendar import Interval, PeriodService, WorkPeriod
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.directory import AddressService
from dpi_server.services.offload import off_loop

# Reads of periods over more than a week (a quarter: ~10,000 rows) leave the event loop.
LARGE_SPAN = timedelta(days=7)

# The statements every booking runs, built once. Building a SQLAlchemy statement and its cache
# key costs ~10 times what executing it on SQLite does (~250 µs against ~25 µs on this
# machine): for bookSlot, six statements, that was a fifth of its time (issue #8). A
# statement object built once keeps its cache key, and the values go in as parameters.
_ADDRESS_ROW_LOCK = (
    select(t.addresses.c.id).where(t.addresses.c.id == bindparam("address_id")).with_for_update()
)


def _calendar_with_services() -> Select[Any]:
    c, a, ad = t.calendars, t.address_services, t.addresses
    return (
        select(
            c.c.status.label("calendar_status"),
            c.c.has_published.label("calendar_published"),
            c.c.address_id.label("calendar_address_id"),
            *a.c,
        )
        .select_from(ad)
        .outerjoin(c, c.c.address_id == ad.c.id)
        .outerjoin(a, and_(a.c.address_id == ad.c.id, a.c.deleted_at.is_(None)))
        .where(ad.c.id == bindparam("address_id"))
        .order_by(a.c.id)
    )


_CALENDAR_WITH_SERVICES = _calendar_with_services()
_INSERT_BOOKING = insert(t.bookings)


def _period_rows(
    address_id: int, periods: Sequence[tuple[date, WorkPeriod]]
) -> list[dict[str, Any]]:
    # A calendar repeats a few service and provider lists over thousands of periods.
    services: dict[tuple[PeriodService, ...], str] = {}
    providers: dict[tuple[int, ...], str] = {}
    rows = []
    for day, p in periods:
        if p.services not in services:
            services[p.services] = json.dumps(
                [[s.address_service_id, s.duration] for s in p.services]
            )
        if p.insurance_providers not in providers:
            providers[p.insurance_providers] = json.dumps(list(p.insurance_providers))
        rows.append(
            {
                "address_id": address_id,
                "day": day,
                "start": p.start,
                "end": p.end,
                "services": services[p.services],
                "insurance_accepted": p.insurance_accepted,
                "insurance_providers": providers[p.insurance_providers],
            }
        )
    return rows


class SqlCalendarRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_address(self, address_id: int) -> None:
        """Serialise writers per address. PostgreSQL: a row lock held to commit. SQLite:
        the unit of work already began IMMEDIATE, so the database lock is held."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(_ADDRESS_ROW_LOCK, {"address_id": address_id})

    async def get(self, address_id: int) -> Calendar | None:
        c = t.calendars
        row = (
            (await self._conn.execute(select(c).where(c.c.address_id == address_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Calendar(row["address_id"], row["status"], row["has_published"])

    async def get_with_services(
        self, address_id: int
    ) -> tuple[Calendar | None, list[AddressService]]:
        """The calendar and the live address services in one statement: the address row
        drives two outer joins, so either side may be missing."""
        rows = (
            await self._conn.execute(_CALENDAR_WITH_SERVICES, {"address_id": address_id})
        ).mappings()
        calendar = None
        services = []
        for row in rows:
            if calendar is None and row["calendar_address_id"] is not None:
                calendar = Calendar(
                    row["calendar_address_id"], row["calendar_status"], row["calendar_published"]
                )
            if row["id"] is not None:
                services.append(address_service_of(row))
        return calendar, services

    async def create(self, address_id: int, status: str, at: datetime) -> Calendar:
        await self._conn.execute(
            insert(t.calendars).values(
                address_id=address_id, status=status, created_at=at, has_published=False
            )
        )
        return Calendar(address_id, status, False)

    async def set_status(self, address_id: int, status: str) -> None:
        c = t.calendars
        await self._conn.execute(
            update(c).where(c.c.address_id == address_id).values(status=status)
        )

    async def mark_published(self, address_id: int) -> None:
        c = t.calendars
        await self._conn.execute(
            update(c).where(c.c.address_id == address_id).values(has_published=True)
        )

    @staticmethod
    def _period(row: Row[Any]) -> WorkPeriod:
        return WorkPeriod(
            start=utc_from_driver(row.start),
            end=utc_from_driver(row.end),
            services=stored_services(row.services),
            insurance_accepted=row.insurance_accepted,
            insurance_providers=stored_providers(row.insurance_providers),
        )

    async def periods_between(
        self, address_id: int, start: datetime, end: datetime
    ) -> list[WorkPeriod]:
        """Periods overlapping [start, end), in order of start."""
        return await self._periods(
            PERIODS_BETWEEN,
            {"address_id": address_id, "start": start, "end": end},
            large=end - start > LARGE_SPAN,
        )

    async def periods_on_days(self, address_id: int, days: Sequence[date]) -> list[WorkPeriod]:
        w = t.work_periods
        if not days:
            return []
        statement = (
            select(w)
            .where(and_(w.c.address_id == address_id, w.c.day.in_(list(days))))
            .order_by(w.c.start)
        )
        # Days may hold a period a minute (a maximal replaceSlots stores 10,000 in a week).
        return await self._periods(statement, large=len(days) > 1)

    async def _periods(
        self, statement: Select[Any], parameters: dict[str, Any] | None = None, *, large: bool
    ) -> list[WorkPeriod]:
        """The periods `statement` selects; many of them are read and converted in a thread
        on the inline SQLite path (adapters/db/sqlite_inline.py), not on the event loop."""
        conn, period = self._conn, self._period
        if large and isinstance(conn, InlineConnection):
            return await conn.in_thread(
                lambda sync: [period(r) for r in sync.execute(statement, parameters).all()]
            )
        return [period(r) for r in (await conn.execute(statement, parameters)).all()]

    async def replace_days(
        self, address_id: int, days: Sequence[date], periods: Sequence[tuple[date, WorkPeriod]]
    ) -> None:
        """Drop every period stored on `days` and store `periods` (each with its day)."""
        w = t.work_periods
        if days:
            await self._conn.execute(
                delete(w).where(and_(w.c.address_id == address_id, w.c.day.in_(list(days))))
            )
        if periods:
            # A maximal replaceSlots stores 10,000 periods: their rows are made off the loop.
            large = len(periods) > OFFLOAD_ROWS
            rows = await off_loop(large, _period_rows, address_id, periods)
            await self._conn.execute(insert(w), rows)

    @staticmethod
    def _break(row: RowMapping) -> CalendarBreak:
        return CalendarBreak(
            id=row["id"],
            address_id=row["address_id"],
            since=row["since"],
            till=row["till"],
            description=row["description"],
            group_id=row["group_id"],
        )

    async def breaks_between(
        self, address_id: int, since: datetime, till: datetime
    ) -> list[CalendarBreak]:
        b = t.calendar_breaks
        rows = (
            await self._conn.execute(
                select(b)
                .where(and_(b.c.address_id == address_id, b.c.since < till, b.c.till > since))
                .order_by(b.c.since, b.c.id)
            )
        ).mappings()
        return [self._break(r) for r in rows]

    async def busy_between(
        self, address_id: int, start: datetime, end: datetime, ignore_booking_id: int | None
    ) -> list[Interval]:
        """Bookings, breaks and holds overlapping [start, end), in no particular order."""
        parameters = busy_between_parameters(address_id, start, end, ignore_booking_id)
        rows = await self._conn.execute(BUSY_BETWEEN, parameters)
        read = utc_from_driver
        return [Interval(read(since), read(till)) for since, till in rows.all()]

    async def get_break(self, break_id: int) -> CalendarBreak | None:
        b = t.calendar_breaks
        row = (await self._conn.execute(select(b).where(b.c.id == break_id))).mappings().first()
        return None if row is None else self._break(row)

    async def find_break(
        self, address_id: int, since: datetime, till: datetime, description: str | None
    ) -> CalendarBreak | None:
        b = t.calendar_breaks
        desc = b.c.description.is_(None) if description is None else b.c.description == description
        row = (
            (
                await self._conn.execute(
                    select(b).where(
                        and_(
                            b.c.address_id == address_id, b.c.since == since, b.c.till == till, desc
                        )
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else self._break(row)

    async def add_break(
        self,
        address_id: int,
        since: datetime,
        till: datetime,
        description: str | None,
        group_id: int | None,
        at: datetime,
    ) -> CalendarBreak:
        result = await self._conn.execute(
            insert(t.calendar_breaks).values(
                address_id=address_id,
                since=since,
                till=till,
                description=description,
                group_id=group_id,
                created_at=at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return CalendarBreak(int(key[0]), address_id, since, till, description, group_id)

    async def set_break_group(self, break_id: int, group_id: int) -> None:
        b = t.calendar_breaks
        await self._conn.execute(update(b).where(b.c.id == break_id).values(group_id=group_id))

    async def breaks_in_group(self, group_id: int) -> list[CalendarBreak]:
        b = t.calendar_breaks
        rows = (
            await self._conn.execute(select(b).where(b.c.group_id == group_id).order_by(b.c.id))
        ).mappings()
        return [self._break(r) for r in rows]

    async def move_breaks(self, ids: Sequence[int], since: datetime, till: datetime) -> None:
        b = t.calendar_breaks
        await self._conn.execute(
            update(b).where(b.c.id.in_(list(ids))).values(since=since, till=till)
        )

    async def delete_breaks(self, ids: Sequence[int]) -> None:
        b = t.calendar_breaks
        await self._conn.execute(delete(b).where(b.c.id.in_(list(ids))))

    async def hold_replace_request(self, address_id: int, payload_hash: str) -> bool:
        """On PostgreSQL a transaction-scoped advisory lock on (address, payload): another
        process applying the same payload holds it. SQLite runs one writer at a time (BEGIN
        IMMEDIATE), so a second identical request only starts once the first has finished."""
        if self._conn.dialect.name != "postgresql":
            return True
        key = int.from_bytes(
            hashlib.sha256(f"{address_id}:{payload_hash}".encode()).digest()[:8], "big", signed=True
        )
        held = await self._conn.scalar(select(func.pg_try_advisory_xact_lock(key)))
        return bool(held)

    async def replace_request_finished(self, address_id: int, payload_hash: str) -> datetime | None:
        r = t.replace_requests
        found: datetime | None = await self._conn.scalar(
            select(r.c.finished_at).where(
                and_(r.c.address_id == address_id, r.c.payload_hash == payload_hash)
            )
        )
        return found

    async def record_replace_request(
        self, address_id: int, payload_hash: str, at: datetime, purge_before: datetime
    ) -> None:
        r = t.replace_requests
        upsert = _insert_for(self._conn)(r).values(
            address_id=address_id, payload_hash=payload_hash, started_at=at, finished_at=at
        )
        await self._conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[r.c.address_id, r.c.payload_hash],
                set_={"started_at": at, "finished_at": at},
            )
        )
        await self._conn.execute(delete(r).where(r.c.finished_at < purge_before))


def _insert_for(conn: AsyncConnection) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL have it)."""
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


_PATIENT_COLUMNS = {
    "name": "patient_name",
    "surname": "patient_surname",
    "email": "patient_email",
    "phone": "patient_phone",
    "birth_date": "patient_birth_date",
    "nin": "patient_nin",
    "gender": "patient_gender",
    "insurance_number": "patient_insurance_number",
    "marketing_consent": "marketing_consent",
    "data_privacy_consent": "data_privacy_consent",
}
_BOOKING_FIELDS = (
    "facility_id",
    "doctor_id",
    "address_id",
    "address_service_id",
    "start",
    "duration",
    "status",
    "booked_by",
    "booked_at",
    "canceled_by",
    "canceled_at",
    "cancel_reason",
    "comment",
    "label",
    "is_returning",
    "is_recurring",
    "insurance_provider_id",
    "insurance_plan_id",
    "presence",
    "confirmed",
    "confirmed_by",
    "confirmed_at",
    "origin_booking_id",
    "moved_to_id",
    "signature",
    "visit_payment",
    "visit_payment_status",
    "deleted_at",
    "created_by_client_pk",
)


def _booking_values(booking: NewBooking) -> dict[str, Any]:
    values = {name: getattr(booking, name) for name in _BOOKING_FIELDS}
    values["end"] = booking.end
    values["patient_phone_digits"] = re.sub(r"\D", "", booking.patient.phone)
    for attr, column in _PATIENT_COLUMNS.items():
        values[column] = getattr(booking.patient, attr)
    return values


def _booking(row: RowMapping) -> Booking:
    patient = Patient(**{attr: row[column] for attr, column in _PATIENT_COLUMNS.items()})
    values = {name: row[name] for name in _BOOKING_FIELDS}
    values["origin_booking_id"] = row["origin_booking_id"] or row["id"]
    return Booking(id=row["id"], patient=patient, **values)


class SqlBookingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, booking: NewBooking) -> Booking:
        values = _booking_values(booking)
        result = await self._conn.execute(_INSERT_BOOKING, values)
        key = result.inserted_primary_key
        assert key is not None
        new_id = int(key[0])
        # A visit that starts a move chain is its own origin; storage leaves that NULL (one
        # statement less per booking) and `_booking` reads it back as the visit's own id.
        return replace(booking, origin_booking_id=booking.origin_booking_id or new_id).stored_as(
            new_id
        )

    async def save(self, booking: Booking) -> None:
        values = _booking_values(booking)
        await self._conn.execute(
            update(t.bookings).where(t.bookings.c.id == booking.id).values(**values)
        )

    async def get(self, booking_id: int) -> Booking | None:
        b = t.bookings
        row = (await self._conn.execute(select(b).where(b.c.id == booking_id))).mappings().first()
        return None if row is None else _booking(row)

    async def list_between(
        self, address_id: int, start: datetime, end: datetime, offset: int | None, limit: int | None
    ) -> tuple[list[Booking], int]:
        """Bookings starting in [start, end), oldest first, and how many there are in all."""
        b = t.bookings
        where = and_(
            b.c.address_id == address_id,
            b.c.deleted_at.is_(None),
            b.c.start >= start,
            b.c.start < end,
        )
        query = select(b).where(where).order_by(b.c.start, b.c.id)
        if limit is not None:
            query = query.offset(offset or 0).limit(limit)
        rows = (await self._conn.execute(query)).mappings().all()
        total = int(await self._conn.scalar(select(func.count()).select_from(b).where(where)) or 0)
        return [_booking(r) for r in rows], total

    async def visits_by_phone(self, facility_id: int, doctor_id: int, digits: str) -> list[Booking]:
        b = t.bookings
        rows = (
            await self._conn.execute(
                select(b).where(
                    and_(
                        b.c.facility_id == facility_id,
                        b.c.doctor_id == doctor_id,
                        b.c.patient_phone_digits == digits,
                        b.c.deleted_at.is_(None),
                    )
                )
            )
        ).mappings()
        return [_booking(r) for r in rows]

    async def unpaid_booked_before(self, before: datetime, limit: int) -> list[Booking]:
        b = t.bookings
        rows = (
            await self._conn.execute(
                select(b)
                .where(_unpaid(), b.c.booked_at <= before)
                .order_by(b.c.booked_at, b.c.id)
                .limit(limit)
            )
        ).mappings()
        return [_booking(r) for r in rows]

    async def oldest_unpaid_booked_at(self) -> datetime | None:
        found: datetime | None = await self._conn.scalar(
            select(func.min(t.bookings.c.booked_at)).where(_unpaid())
        )
        return found

    async def opinion_requested(self, booking_id: int) -> bool:
        o = t.opinion_requests
        found = await self._conn.scalar(select(o.c.booking_id).where(o.c.booking_id == booking_id))
        return found is not None

    async def record_opinion_request(self, booking_id: int, at: datetime) -> None:
        await self._conn.execute(
            insert(t.opinion_requests).values(booking_id=booking_id, requested_at=at)
        )

    async def newest_in_chain(self, origin_booking_id: int) -> int:
        b = t.bookings
        value = await self._conn.scalar(
            select(func.max(b.c.id)).where(
                or_(b.c.origin_booking_id == origin_booking_id, b.c.id == origin_booking_id)
            )
        )
        return int(value) if value is not None else origin_booking_id


def _unpaid() -> Any:
    """What `Booking.awaits_payment` means, at an address with online payment; its first two
    terms are those of the partial index `ix_bookings_unpaid_booked_at`."""
    b, a = t.bookings, t.addresses
    return and_(
        # Spelt as the index's predicate is, so both planners see it applies.
        text("bookings.status = 'booked'"),
        text("bookings.visit_payment"),
        b.c.deleted_at.is_(None),
        or_(b.c.visit_payment_status.is_(None), b.c.visit_payment_status == "not-paid"),
        b.c.address_id.in_(select(a.c.id).where(a.c.visit_payment.is_(True))),
    )
