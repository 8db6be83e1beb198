"""The data of the in-memory twin of the database, and one transaction's view of it.

`Tables` mirrors `adapters/db/tables.py`: one container per table, holding frozen records (or
tuples) only, so a shallow copy of every container is a complete, independent snapshot. A
transaction reads the snapshot committed when it began and copies it on its first write;
`commit()` publishes the copy in one assignment. Nothing a transaction does is visible to any
other before that, and leaving without it drops the copy (copy-on-write, no undo log).

Constraints the schema enforces are enforced here with the same outcome the SQL adapters give
after `adapters/db/errors.py`: a documented answer for the natural keys that have one, and
`StorageConflict` for any other unique or foreign-key violation.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Container
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime

from dpi_server.domain.bookings import Booking
from dpi_server.domain.calendar import WorkPeriod
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.clients import ApiClient
from dpi_server.domain.directory import (
    Address,
    AddressService,
    Doctor,
    Facility,
    InsurancePlan,
    Service,
)
from dpi_server.domain.events import Event
from dpi_server.services.ports import StorageConflict


@dataclass(frozen=True, slots=True)
class TokenRow:
    client_pk: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PeriodRow:
    address_id: int
    day: date
    period: WorkPeriod


@dataclass(frozen=True, slots=True)
class ReplaceMarker:
    started_at: datetime
    finished_at: datetime | None


@dataclass
class Tables:
    """Every table of the schema; keys are primary keys, values frozen records."""

    clients: dict[int, ApiClient] = field(default_factory=dict)
    tokens: dict[str, TokenRow] = field(default_factory=dict)
    facilities: dict[int, Facility] = field(default_factory=dict)
    # (client pk, facility id) -> can edit calendars
    client_facilities: dict[tuple[int, int], bool] = field(default_factory=dict)
    # id -> (locale, name)
    specializations: dict[int, tuple[str, str]] = field(default_factory=dict)
    # facility_ids are left empty here and read from doctor_facilities
    doctors: dict[int, Doctor] = field(default_factory=dict)
    doctor_specializations: set[tuple[int, int]] = field(default_factory=set)
    # id -> (doctor id, number)
    license_numbers: dict[int, tuple[int, str]] = field(default_factory=dict)
    doctor_facilities: set[tuple[int, int]] = field(default_factory=set)
    addresses: dict[int, Address] = field(default_factory=dict)
    # id -> (service, locale)
    services: dict[int, tuple[Service, str]] = field(default_factory=dict)
    service_specializations: set[tuple[int, int]] = field(default_factory=set)
    address_services: dict[int, AddressService] = field(default_factory=dict)
    # id -> (locale, name)
    insurance_providers: dict[int, tuple[str, str]] = field(default_factory=dict)
    insurance_plans: dict[int, InsurancePlan] = field(default_factory=dict)
    address_providers: set[tuple[int, int]] = field(default_factory=set)
    address_plans: set[tuple[int, int]] = field(default_factory=set)
    # address id -> (calendar, created at)
    calendars: dict[int, tuple[Calendar, datetime]] = field(default_factory=dict)
    work_periods: dict[int, PeriodRow] = field(default_factory=dict)
    breaks: dict[int, CalendarBreak] = field(default_factory=dict)
    bookings: dict[int, Booking] = field(default_factory=dict)
    opinion_requests: dict[int, datetime] = field(default_factory=dict)
    replace_requests: dict[tuple[int, str], ReplaceMarker] = field(default_factory=dict)
    # the last id handed out per table (rolled back with everything else)
    last_ids: dict[str, int] = field(default_factory=dict)

    def copy(self) -> Tables:
        """An independent snapshot: the containers are new, the frozen records shared."""
        return Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})


class InMemoryStore:
    """The committed data of an in-memory deployment, its event outbox and its writer lock.

    Use one store per event loop (the lock belongs to the loop that first waits on it).
    `events` lists every event committed, in order, as the `domain_events` table would;
    `commits` counts the commits that changed something.
    """

    def __init__(self) -> None:
        self.tables = Tables()
        self.events: list[Event] = []
        self.commits = 0
        self.write_lock = asyncio.Lock()
        # (address id, payload hash) claimed by a live transaction, and by which one
        self.replace_holds: dict[tuple[int, str], object] = {}


class Transaction:
    """One unit of work's view of the store: the snapshot it read, and its private copy."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.base: Tables | None = None
        self.work: Tables | None = None

    def begin(self) -> None:
        self.base = self.store.tables
        self.work = None

    def end(self) -> None:
        self.base = None
        self.work = None
        self.release_holds()

    def release_holds(self) -> None:
        """Drop the replace-request claims of this transaction (they last until it ends)."""
        holds = self.store.replace_holds
        for key in [k for k, owner in holds.items() if owner is self]:
            del holds[key]

    @property
    def tables(self) -> Tables:
        """What this transaction sees: its own changes over the snapshot it began with."""
        if self.work is not None:
            return self.work
        assert self.base is not None, "unit of work not entered"
        return self.base

    def writable(self) -> Tables:
        if self.work is None:
            self.work = self.tables.copy()
        return self.work

    def new_id(self, table: str) -> int:
        tables = self.writable()
        tables.last_ids[table] = tables.last_ids.get(table, 0) + 1
        return tables.last_ids[table]


def utc(value: datetime) -> datetime:
    """What a `UTCDateTime` column keeps: aware UTC; naive values are refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def require_row(table: Container[object], key: int | None, what: str) -> None:
    """A foreign key: `key` (when not NULL) must name a row of `table`."""
    if key is not None and key not in table:
        raise StorageConflict(f"FOREIGN KEY constraint failed ({what} {key})")


def require_new(table: Container[object], key: object, what: str) -> None:
    """A primary or unique key: `key` must not be taken yet."""
    if key in table:
        raise StorageConflict(f"UNIQUE constraint failed: {what} {key!r}")


def not_null(record: object, *names: str) -> None:
    """Columns declared `nullable=False` refuse an explicit None."""
    for name in names:
        if getattr(record, name) is None:
            raise StorageConflict(f"NOT NULL constraint failed: {type(record).__name__}.{name}")
