"""getSlots' and bookSlot's reads of periods and busy time, built for many rows.

Both statements are built once (building them per call cost about as much as running them),
and their instants are read as the driver stores them and converted in one pass: SQLAlchemy
runs two Python calls per value of a UTCDateTime column (the dialect's parser, then
`process_result_value`), which for the thousand instants of a quarter's bookings cost more
than the query did.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, select, type_coerce, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from dpi_server.adapters.db import notification_tables as nt
from dpi_server.adapters.db import tables as t
from dpi_server.domain.booking_rules import MAX_DURATION_MINUTES
from dpi_server.domain.calendar import PeriodService


def as_stored(column: ColumnElement[datetime]) -> ColumnElement[Any]:
    """A UTCDateTime column read as the driver hands it over, for `utc_from_driver`."""
    return type_coerce(column, NullType())


def utc_from_driver(value: str | datetime) -> datetime:
    """What UTCDateTime (adapters/db/tables.py) reads from a driver's value: SQLite's ISO
    text (naive, UTC) or another driver's datetime."""
    if isinstance(value, str):
        try:
            # Parsing with the offset appended costs a sixth of `.replace(tzinfo=UTC)`.
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


# A calendar repeats a few service lists over thousands of periods: each distinct JSON text is
# parsed once (the tuples are immutable, so the periods may share them).
@lru_cache(maxsize=4096)
def stored_services(stored: str) -> tuple[PeriodService, ...]:
    return tuple(PeriodService(int(a), int(d)) for a, d in json.loads(stored))


@lru_cache(maxsize=4096)
def stored_providers(stored: str) -> tuple[int, ...]:
    return tuple(int(p) for p in json.loads(stored))


def _periods_between() -> Select[Any]:
    """`SqlCalendarRepository.periods_between`'s statement; its rows go to `_period`."""
    w = t.work_periods
    start: BindParameter[datetime] = bindparam("start")
    end: BindParameter[datetime] = bindparam("end")
    return (
        select(
            as_stored(w.c.start).label("start"),
            as_stored(w.c.end).label("end"),
            w.c.services,
            w.c.insurance_accepted,
            w.c.insurance_providers,
        )
        .where(and_(w.c.address_id == bindparam("address_id"), w.c.start < end, w.c.end > start))
        .order_by(w.c.start)
    )


PERIODS_BETWEEN = _periods_between()


def _busy_between() -> Any:
    """`SqlCalendarRepository.busy_between`'s statement. Slots held while a real-time client
    is asked are taken for everyone else (§12)."""
    b, k, h = t.bookings, t.calendar_breaks, nt.slot_holds
    address_id: BindParameter[int] = bindparam("address_id")
    start: BindParameter[datetime] = bindparam("start")
    end: BindParameter[datetime] = bindparam("end")
    raw = as_stored
    bookings = select(raw(b.c.start).label("since"), raw(b.c.end).label("till")).where(
        and_(
            b.c.address_id == address_id,
            b.c.status == "booked",
            b.c.deleted_at.is_(None),
            b.c.start < end,
            b.c.end > start,
            # Redundant but for the index (address_id, start): without a lower bound on
            # `start` every booking before the window was scanned, so each booking cost more
            # than the last (see `busy_between_parameters`).
            b.c.start > bindparam("earliest"),
            b.c.id != bindparam("ignore_booking_id"),
        )
    )
    breaks = select(raw(k.c.since), raw(k.c.till)).where(
        and_(k.c.address_id == address_id, k.c.since < end, k.c.till > start)
    )
    holds = select(raw(h.c.start), raw(h.c.end)).where(
        and_(h.c.address_id == address_id, h.c.start < end, h.c.end > start)
    )
    return union_all(bookings, breaks, holds)


BUSY_BETWEEN = _busy_between()
# No visit is longer than this (every visit passes domain/booking_rules.py
# `check_booking_duration`), so none that starts earlier can reach a window.
LONGEST_VISIT = timedelta(minutes=MAX_DURATION_MINUTES)


def busy_between_parameters(
    address_id: int, start: datetime, end: datetime, ignore_booking_id: int | None
) -> dict[str, Any]:
    return {
        "address_id": address_id,
        "start": start,
        "end": end,
        "ignore_booking_id": ignore_booking_id or 0,
        "earliest": start - LONGEST_VISIT,
    }
