"""One contract for the storage ports, three backends: the in-memory unit of work that the
services unit tests run on (`dpi_server.testing.memory`), SQLite and PostgreSQL.

Every repository method of `services/repositories.py` is exercised here, plus what the unit of
work promises: changes visible only after `commit()`, nothing kept without it, writers on one
address one at a time, and events stored with the change (read back through
`domain/event_codec.py` from `domain_events` for SQL, from the store for memory). When the
in-memory twin passes the same suite as SQL, a use case tested on it behaves as in production.

SQL databases are shared by the tests of a session, so each test makes its own estate through
the ports and looks only at its own rows.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dpi_server.adapters.db import tables as t
from dpi_server.adapters.db.engine import create_engine
from dpi_server.adapters.db.sqlite_inline import InlineSqlite
from dpi_server.adapters.db.uow import SqlUnitOfWork
from dpi_server.domain import errors
from dpi_server.domain.actors import Origin
from dpi_server.domain.booking_rules import MAX_DURATION_MINUTES
from dpi_server.domain.bookings import NewBooking, Patient
from dpi_server.domain.calendar import Interval, PeriodService, WorkPeriod
from dpi_server.domain.calendar.records import Calendar, CalendarBreak
from dpi_server.domain.directory import Estate, InsurancePlan, InsuranceProvider, Specialization
from dpi_server.domain.event_codec import decode_event
from dpi_server.domain.events import BreakCreated, Event, EventContext, SlotBooked
from dpi_server.services.ports import StorageConflict
from dpi_server.services.repositories import (
    BulkDoctor,
    NewClient,
    NewDoctor,
    UnitOfWork,
    UnitOfWorkFactory,
)
from dpi_server.testing.memory import InMemoryStore, InMemoryUnitOfWork, memory_uow_factory

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A `domain_events` row: its indexed columns and the event decoded from its payload."""

    name: str
    occurred_at: datetime
    facility_id: int
    doctor_id: int
    address_id: int
    origin_client_pk: int | None
    event: Event


@dataclass
class Backend:
    name: str
    uow: UnitOfWorkFactory
    store: InMemoryStore | None = None
    engine: AsyncEngine | None = None
    first_event_id: int = 0

    async def events(self) -> list[StoredEvent]:
        """Events stored since this backend was set up for the test, oldest first."""
        if self.store is not None:
            return [
                StoredEvent(
                    e.NAME,
                    e.context.occurred_at,
                    e.context.facility_id,
                    e.context.doctor_id,
                    e.context.address_id,
                    e.context.origin.client_pk,
                    e,
                )
                for e in self.store.events
            ]
        assert self.engine is not None
        d = t.domain_events
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(select(d).where(d.c.id > self.first_event_id).order_by(d.c.id))
            ).mappings()
            return [
                StoredEvent(
                    r["name"],
                    r["occurred_at"],
                    r["facility_id"],
                    r["doctor_id"],
                    r["address_id"],
                    r["origin_client_pk"],
                    decode_event(json.loads(r["payload"])),
                )
                for r in rows
            ]


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        "sqlite-aiosqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def backend_url(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """(backend, database URL). `sqlite` runs statements inline as `dpi serve` does
    (adapters/db/sqlite_inline.py); `sqlite-aiosqlite` is the DPI_SQLITE_INLINE=false path."""
    if request.param == "memory":
        return request.param, None
    database = "sqlite" if request.param.startswith("sqlite") else request.param
    return request.param, str(request.getfixturevalue(f"{database}_url"))


@pytest.fixture
async def backend(backend_url: tuple[str, str | None]) -> AsyncIterator[Backend]:
    kind, url = backend_url
    if url is None:
        store = InMemoryStore()
        yield Backend("memory", memory_uow_factory(store), store=store)
        return
    engine = create_engine(url)
    inline = InlineSqlite(url) if kind == "sqlite" else None

    def make(*, write: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(engine, write=write, inline=inline)

    async with engine.connect() as conn:
        last = await conn.scalar(select(func.max(t.domain_events.c.id)))
    try:
        yield Backend(engine.dialect.name, make, engine=engine, first_event_id=int(last or 0))
    finally:
        if inline is not None:
            inline.dispose()
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Seeded:
    """Ids of one test's own estate, made through the ports."""

    locale: str
    client_pk: int
    facility_id: int
    other_facility_id: int
    spec_id: int
    doctor_id: int
    address_id: int
    online_address_id: int
    service_id: int
    diagnostic_service_id: int
    address_service_id: int
    provider_id: int
    plan_ids: tuple[int, ...]


async def seed(backend: Backend) -> Seeded:
    async with backend.uow(write=True) as uow:
        w = uow.estate_writer
        spec = await w.add_specialization("pl", "Cardiology")
        service = await w.add_service(
            "pl", "Consultation", is_diagnostic=False, specialization_ids=[spec]
        )
        diagnostic = await w.add_service("pl", "ECG", is_diagnostic=True, specialization_ids=[])
        provider = await w.add_insurance_provider("pl", "Insurer", ["Basic", "Gold"])
        facility = await w.add_facility("pl", "Clinic")
        other = await w.add_facility("pl", "Other clinic")
        doctor = await w.add_doctor(
            "pl",
            "Anna",
            "Nowak",
            is_commercial=True,
            profile_url="https://www.znanylekarz.pl/anna-nowak",
            specialization_ids=[spec],
            license_numbers=["L-1", "L-2"],
        )
        await w.connect_doctor(doctor, facility)
        await w.connect_doctor(doctor, other)
        address = await w.add_address(facility, doctor, name="Main", city_name="Warszawa")
        online = await w.add_address(facility, doctor, name="Online", is_online_only=True)
        created = await uow.address_services.add(
            address, T0, service_id=service, name="Consultation", default_duration=30
        )
        plans = tuple(p.id for p in await uow.insurance.plans(provider))
        client = await uow.clients.add(
            NewClient(f"contract-{uuid.uuid4().hex}", "secret-hash", "Contract", "pl", T0)
        )
        await uow.commit()
    return Seeded(
        "pl",
        client.pk,
        facility,
        other,
        spec,
        doctor,
        address,
        online,
        service,
        diagnostic,
        created.id,
        provider,
        plans,
    )


def new_booking(s: Seeded, start: datetime, **changes: object) -> NewBooking:
    draft = NewBooking(
        facility_id=s.facility_id,
        doctor_id=s.doctor_id,
        address_id=s.address_id,
        address_service_id=s.address_service_id,
        start=start,
        duration=30,
        status="booked",
        booked_by="integration",
        booked_at=T0,
        patient=Patient("Jan", "+48 600-100-200", surname="Kowalski", birth_date=date(1980, 1, 2)),
        signature=str(uuid.uuid4()),
        created_by_client_pk=s.client_pk,
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def period(start: datetime, minutes: int = 60, *services: tuple[int, int]) -> WorkPeriod:
    return WorkPeriod(
        start,
        start + timedelta(minutes=minutes),
        tuple(PeriodService(a, d) for a, d in services),
    )


class TestUnitOfWork:
    async def test_changes_are_visible_to_later_units_after_commit(self, backend: Backend) -> None:
        """A committed change is what the next unit of work reads."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            await uow.calendar.create(s.address_id, "enabled", T0)
            await uow.commit()

        async with backend.uow() as uow:
            assert await uow.calendar.get(s.address_id) == Calendar(s.address_id, "enabled")

    async def test_leaving_without_commit_keeps_nothing(self, backend: Backend) -> None:
        """A unit that ends without `commit()` rolls every change back."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            await uow.calendar.create(s.address_id, "enabled", T0)
            assert await uow.calendar.get(s.address_id) is not None

        async with backend.uow() as uow:
            assert await uow.calendar.get(s.address_id) is None

    async def test_an_error_rolls_back_and_leaves_unchanged(self, backend: Backend) -> None:
        """An exception inside the unit rolls it back and reaches the caller as it was."""
        s = await seed(backend)

        async def create_then_fail() -> None:
            async with backend.uow(write=True) as uow:
                await uow.calendar.create(s.address_id, "enabled", T0)
                raise KeyError("boom")

        with pytest.raises(KeyError):
            await create_then_fail()

        async with backend.uow() as uow:
            assert await uow.calendar.get(s.address_id) is None

    async def test_uncommitted_changes_are_invisible_to_other_units(self, backend: Backend) -> None:
        """A reader running beside a writer sees the data as it was before the writer."""
        s = await seed(backend)

        async with backend.uow(write=True) as writer:
            await writer.calendar.create(s.address_id, "enabled", T0)
            async with backend.uow() as reader:
                seen = await reader.calendar.get(s.address_id)
            await writer.commit()

        assert seen is None

    async def test_changes_after_commit_need_their_own_commit(self, backend: Backend) -> None:
        """Only what came before `commit()` is kept when the unit ends."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            await uow.calendar.create(s.address_id, "enabled", T0)
            await uow.commit()
            await uow.calendar.set_status(s.address_id, "disabled")

        async with backend.uow() as uow:
            assert await uow.calendar.get(s.address_id) == Calendar(s.address_id, "enabled")

    async def test_a_read_unit_may_commit_a_change(self, backend: Backend) -> None:
        """A unit opened without `write=True` still commits when nothing stands in its way."""
        s = await seed(backend)

        async with backend.uow() as uow:
            await uow.calendar.create(s.address_id, "disabled", T0)
            await uow.commit()

        async with backend.uow() as uow:
            assert await uow.calendar.get(s.address_id) == Calendar(s.address_id, "disabled")

    async def test_writers_of_one_address_run_one_after_the_other(self, backend: Backend) -> None:
        """A second writer that locks the address waits for the first one to finish, then
        reads what it committed (ARCHITECTURE.md "Concurrency and correctness")."""
        s = await seed(backend)
        locked = asyncio.Event()

        async def second() -> Calendar | None:
            async with backend.uow(write=True) as uow:
                await uow.calendar.lock_address(s.address_id)
                locked.set()
                return await uow.calendar.get(s.address_id)

        async with backend.uow(write=True) as first:
            await first.calendar.lock_address(s.address_id)
            task = asyncio.create_task(second())
            await asyncio.sleep(0.2)
            waited = not locked.is_set()
            await first.calendar.create(s.address_id, "enabled", T0)
            await first.commit()
        seen = await asyncio.wait_for(task, timeout=10)

        assert waited
        assert seen == Calendar(s.address_id, "enabled")


def _events(s: Seeded, origin: Origin) -> list[Event]:
    at = EventContext(T0, s.facility_id, s.doctor_id, s.address_id, origin)
    calendar_break = CalendarBreak(7, s.address_id, T0, T0 + timedelta(hours=1), "Lunch", 7)
    booking = new_booking(s, T0 + timedelta(days=1)).stored_as(11)
    return [
        BreakCreated(context=at, calendar_break=calendar_break),
        SlotBooked(context=replace(at, origin=Origin("patient")), booking=booking),
    ]


class TestEventOutbox:
    async def test_commit_stores_collected_events_in_order(self, backend: Backend) -> None:
        """Collected events are stored by `commit()`, in the order raised, each read back equal
        to what was raised, with its where-and-who in the row's columns."""
        s = await seed(backend)
        raised = _events(s, Origin("integration", s.client_pk))

        async with backend.uow(write=True) as uow:
            uow.collect(raised[:1])
            uow.collect(raised[1:])
            await uow.commit()

        stored = await backend.events()
        assert [e.event for e in stored] == raised
        assert [e.name for e in stored] == ["break-created", "slot-booked"]
        assert [(e.facility_id, e.doctor_id, e.address_id) for e in stored] == [
            (s.facility_id, s.doctor_id, s.address_id)
        ] * 2
        assert [e.origin_client_pk for e in stored] == [s.client_pk, None]
        assert [e.occurred_at for e in stored] == [T0, T0]

    async def test_no_events_without_commit(self, backend: Backend) -> None:
        """A unit that ends without `commit()` stores none of the events it collected."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            uow.collect(_events(s, Origin("doctor")))

        assert await backend.events() == []

    async def test_events_collected_after_commit_are_not_stored(self, backend: Backend) -> None:
        """`commit()` stores what was collected before it; what comes after needs a commit."""
        s = await seed(backend)
        first, second = _events(s, Origin("doctor"))

        async with backend.uow(write=True) as uow:
            uow.collect([first])
            await uow.commit()
            uow.collect([second])

        assert [e.event for e in await backend.events()] == [first]


class TestClients:
    async def test_add_then_read_by_key_and_by_client_id(self, backend: Backend) -> None:
        """A new client is active, not revoked, with the default limits and its features."""
        client_id = f"c-{uuid.uuid4().hex}"
        async with backend.uow(write=True) as uow:
            added = await uow.clients.add(
                NewClient(client_id, "h", "Name", "pl", T0, frozenset({"b", "a"}))
            )
            await uow.commit()

        async with backend.uow() as uow:
            by_pk = await uow.clients.get(added.pk)
            by_id = await uow.clients.get_by_client_id(client_id)
            unknown = await uow.clients.get_by_client_id("nobody-" + client_id)

        assert by_pk == by_id == added
        assert unknown is None
        assert (added.client_id, added.name, added.locale, added.created_at) == (
            client_id,
            "Name",
            "pl",
            T0,
        )
        assert added.is_active
        assert added.revoked_at is None
        assert (added.read_limit, added.read_window_seconds) == (8000, 3600)
        assert (added.write_limit, added.write_window_seconds) == (40, 60)
        assert added.rate_limit_enabled
        assert added.features == frozenset({"a", "b"})

    async def test_duplicate_client_id_is_a_storage_conflict(self, backend: Backend) -> None:
        """The unique client id makes a racing second insert fail as a retryable conflict."""
        client_id = f"c-{uuid.uuid4().hex}"
        async with backend.uow(write=True) as uow:
            await uow.clients.add(NewClient(client_id, "h", "One", "pl", T0))
            await uow.commit()

        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.clients.add(NewClient(client_id, "h", "Two", "pl", T0))

    async def test_list_is_ordered_by_key(self, backend: Backend) -> None:
        """Clients are listed oldest first."""
        async with backend.uow(write=True) as uow:
            one = await uow.clients.add(NewClient(f"c-{uuid.uuid4().hex}", "h", "1", "pl", T0))
            two = await uow.clients.add(NewClient(f"c-{uuid.uuid4().hex}", "h", "2", "pl", T0))
            await uow.commit()

        async with backend.uow() as uow:
            listed = [c.pk for c in await uow.clients.list()]

        assert listed == sorted(listed)
        assert listed.index(one.pk) < listed.index(two.pk)

    async def test_update_and_revoke(self, backend: Backend) -> None:
        """Updates change the named columns only; revoking deactivates; no changes is a no-op."""
        async with backend.uow(write=True) as uow:
            added = await uow.clients.add(NewClient(f"c-{uuid.uuid4().hex}", "h", "N", "pl", T0))
            await uow.clients.update(added.pk, write_limit=5, features={"x"})
            await uow.clients.update(added.pk)
            await uow.clients.revoke(added.pk, T0 + timedelta(hours=1))
            await uow.commit()

        async with backend.uow() as uow:
            found = await uow.clients.get(added.pk)

        assert found == replace(
            added,
            write_limit=5,
            features=frozenset({"x"}),
            is_active=False,
            revoked_at=T0 + timedelta(hours=1),
        )
        assert not found.usable

    async def test_estate_follows_assignments(self, backend: Backend) -> None:
        """Assigning twice keeps the last edit right; unassigning removes the facility."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            await uow.clients.assign_facility(s.client_pk, s.facility_id, True)
            await uow.clients.assign_facility(s.client_pk, s.other_facility_id, True)
            await uow.clients.assign_facility(s.client_pk, s.other_facility_id, False)
            both = await uow.clients.estate(s.client_pk)
            await uow.clients.unassign_facility(s.client_pk, s.facility_id)
            await uow.commit()
        async with backend.uow() as uow:
            after = await uow.clients.estate(s.client_pk)

        assert both == Estate(
            frozenset({s.facility_id, s.other_facility_id}), frozenset({s.facility_id})
        )
        assert after == Estate(frozenset({s.other_facility_id}), frozenset())

    async def test_assigning_an_unknown_facility_is_a_storage_conflict(
        self, backend: Backend
    ) -> None:
        """Foreign keys hold: a facility that does not exist cannot be assigned."""
        s = await seed(backend)

        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.clients.assign_facility(s.client_pk, 10**9, True)

    async def test_environment_and_production_estates(self, backend: Backend) -> None:
        """Clients are sandbox unless created production; only active production clients'
        facilities count as production estates."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            live = await uow.clients.add(
                NewClient(f"c-{uuid.uuid4().hex}", "h", "Live", "pl", T0, environment="production")
            )
            gone = await uow.clients.add(
                NewClient(f"c-{uuid.uuid4().hex}", "h", "Gone", "pl", T0, environment="production")
            )
            await uow.clients.assign_facility(live.pk, s.facility_id, True)
            await uow.clients.assign_facility(gone.pk, s.other_facility_id, True)
            await uow.clients.assign_facility(s.client_pk, s.other_facility_id, True)
            await uow.clients.revoke(gone.pk, T0)
            await uow.commit()

        async with backend.uow() as uow:
            held = await uow.clients.production_facility_ids()
            anyone = await uow.clients.any_live_production()
            sandbox = await uow.clients.get(s.client_pk)
        # Committed: the database is shared by the worker's later tests, and a live production
        # client left in it would refuse their time travel and reset.
        async with backend.uow(write=True) as uow:
            await uow.clients.update(live.pk, environment="sandbox")
            await uow.commit()
        async with backend.uow() as uow:
            after = await uow.clients.production_facility_ids()

        assert live.environment == "production"
        assert sandbox is not None
        assert sandbox.environment == "sandbox"
        assert s.facility_id in held
        assert s.other_facility_id not in held
        assert anyone
        assert s.facility_id not in after


class TestTokens:
    async def test_add_find_and_delete_for_client(self, backend: Backend) -> None:
        """A token is found by its hash until its client's tokens are deleted."""
        s = await seed(backend)
        token = uuid.uuid4().hex
        expires = T0 + timedelta(days=1)

        async with backend.uow(write=True) as uow:
            await uow.tokens.add(token, s.client_pk, T0, expires)
            await uow.commit()
        async with backend.uow() as uow:
            found = await uow.tokens.find(token)
            unknown = await uow.tokens.find(uuid.uuid4().hex)
        async with backend.uow(write=True) as uow:
            await uow.tokens.delete_for_client(s.client_pk)
            await uow.commit()
        async with backend.uow() as uow:
            gone = await uow.tokens.find(token)

        assert found == (s.client_pk, expires)
        assert unknown is None
        assert gone is None

    async def test_purge_drops_only_tokens_expired_before(self, backend: Backend) -> None:
        """Purging removes the tokens that expired before the instant and says how many."""
        s = await seed(backend)
        old, young = uuid.uuid4().hex, uuid.uuid4().hex
        long_ago = datetime(2000, 1, 1, tzinfo=UTC)
        async with backend.uow(write=True) as uow:
            await uow.tokens.add(old, s.client_pk, long_ago, long_ago + timedelta(hours=1))
            await uow.tokens.add(young, s.client_pk, long_ago, long_ago + timedelta(days=400))
            await uow.commit()

        async with backend.uow(write=True) as uow:
            purged = await uow.tokens.purge_expired(long_ago + timedelta(days=1))
            await uow.commit()

        async with backend.uow() as uow:
            assert await uow.tokens.find(old) is None
            assert await uow.tokens.find(young) is not None
        assert purged == 1


class TestDirectory:
    async def test_facilities_by_id_and_count(self, backend: Backend) -> None:
        """Facilities come back by id, ordered, unknown ids left out; the count follows adds."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            before = await uow.estate_writer.count_facilities()
            extra = await uow.estate_writer.add_facility("cz", "Klinika")
            after = await uow.estate_writer.count_facilities()
            listed = await uow.directory.facilities([extra, 10**9, s.facility_id])
            none = await uow.directory.facilities([])
            one = await uow.directory.get_facility(s.facility_id)
            missing = await uow.directory.get_facility(10**9)

        assert after == before + 1
        assert [(f.id, f.name, f.locale) for f in listed] == [
            (s.facility_id, "Clinic", "pl"),
            (extra, "Klinika", "cz"),
        ]
        assert none == []
        assert one == listed[0]
        assert missing is None

    async def test_all_facilities_in_id_order_up_to_a_limit(self, backend: Backend) -> None:
        """Every facility comes back, oldest first, at most `limit` of them."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            extra = await uow.estate_writer.add_facility("pl", "Another clinic")
            await uow.commit()

        async with backend.uow() as uow:
            listed = await uow.directory.all_facilities(10_000)
            first = await uow.directory.all_facilities(1)

        ids = [f.id for f in listed]
        assert ids == sorted(ids)
        assert {s.facility_id, extra} <= set(ids)
        assert first == listed[:1]

    async def test_doctors_in_bulk(self, backend: Backend) -> None:
        """`add_doctors` stores what one-by-one writes would: doctors, their specializations,
        licenses, facility link, one address each and its services, ids in the given order."""
        s = await seed(backend)
        service_row = {
            "service_id": s.service_id,
            "name": "Consultation",
            "price_cents": 15000,
            "is_price_from": False,
            "is_default": True,
            "description": None,
            "default_duration": 30,
            "is_visible": True,
            "min_age": None,
            "max_age": None,
            "custom_name": None,
            "is_public_insurance_flow": False,
        }
        bulk = [
            BulkDoctor(
                NewDoctor(f"Bulk{i}", "Doc", True, None, (s.spec_id,), (f"B-{i}",)),
                {"name": f"Room {i}", "city_name": "Poznań"},
                (service_row,) if i else (),
            )
            for i in range(3)
        ]

        async with backend.uow(write=True) as uow:
            made = await uow.estate_writer.add_doctors("pl", s.other_facility_id, bulk, T0)
            await uow.commit()
        async with backend.uow() as uow:
            of_facility = await uow.directory.doctors_of_facility(s.other_facility_id)
            licenses = await uow.directory.license_numbers_of([d for d, _a in made])
            specs = await uow.directory.specializations_of([d for d, _a in made])
            addresses = [await uow.directory.addresses_of(s.other_facility_id, d) for d, _a in made]
            offered = [await uow.address_services.list(a) for _d, a in made]

        doctor_ids = [d for d, _a in made]
        assert doctor_ids == sorted(doctor_ids)
        assert [d.name for d in of_facility if d.id in doctor_ids] == ["Bulk0", "Bulk1", "Bulk2"]
        assert [licenses[d][0].license_number for d in doctor_ids] == ["B-0", "B-1", "B-2"]
        assert all(specs[d] == [Specialization(s.spec_id, "Cardiology")] for d in doctor_ids)
        assert [[a.id for a in found] for found in addresses] == [[a] for _d, a in made]
        assert addresses[1][0].city_name == "Poznań"
        assert addresses[1][0].commercial_type == "premium"
        assert [len(x) for x in offered] == [0, 1, 1]
        assert offered[2][0].service_id == s.service_id
        assert offered[2][0].default_duration == 30

    async def test_doctors_with_their_facilities_specializations_and_licenses(
        self, backend: Backend
    ) -> None:
        """A doctor knows the facilities it is connected to; its specializations and license
        numbers are read in bulk, in id order."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            second = await uow.estate_writer.add_doctor(
                "pl",
                "Piotr",
                "Lis",
                is_commercial=False,
                profile_url=None,
                specialization_ids=[],
                license_numbers=[],
            )
            await uow.estate_writer.connect_doctor(second, s.facility_id)
            await uow.commit()
        async with backend.uow() as uow:
            doctor = await uow.directory.get_doctor(s.doctor_id)
            of_facility = await uow.directory.doctors_of_facility(s.facility_id)
            of_other = await uow.directory.doctors_of_facility(s.other_facility_id)
            specs = await uow.directory.specializations_of([s.doctor_id, second])
            licenses = await uow.directory.license_numbers_of([s.doctor_id, second])
            missing = await uow.directory.get_doctor(10**9)

        assert doctor is not None
        assert (doctor.name, doctor.surname, doctor.locale, doctor.is_commercial) == (
            "Anna",
            "Nowak",
            "pl",
            True,
        )
        assert doctor.profile_url == "https://www.znanylekarz.pl/anna-nowak"
        assert doctor.facility_ids == frozenset({s.facility_id, s.other_facility_id})
        assert [d.id for d in of_facility] == [s.doctor_id, second]
        assert of_facility[0] == doctor
        assert of_facility[1].facility_ids == frozenset({s.facility_id})
        assert [d.id for d in of_other] == [s.doctor_id]
        assert dict(specs) == {s.doctor_id: [Specialization(s.spec_id, "Cardiology")]}
        assert [n.license_number for n in licenses[s.doctor_id]] == ["L-1", "L-2"]
        assert licenses[s.doctor_id][0].id < licenses[s.doctor_id][1].id
        assert second not in licenses
        assert missing is None

    async def test_addresses_with_defaults_and_updates(self, backend: Backend) -> None:
        """Columns left out take the table's defaults; updates change the named columns."""
        s = await seed(backend)
        removed = datetime(2026, 3, 3, 10, 0, tzinfo=WARSAW)

        async with backend.uow(write=True) as uow:
            await uow.directory.update_address(
                s.address_id, insurance_support="insurance", integration_removed_at=removed
            )
            await uow.directory.update_address(s.address_id)
            await uow.commit()
        async with backend.uow() as uow:
            address = await uow.directory.get_address(s.address_id)
            listed = await uow.directory.addresses_of(s.facility_id, s.doctor_id)
            elsewhere = await uow.directory.addresses_of(s.other_facility_id, s.doctor_id)

        assert address is not None
        assert (address.name, address.city_name, address.post_code, address.street) == (
            "Main",
            "Warszawa",
            None,
            None,
        )
        assert not address.is_online_only
        assert not address.visit_payment
        assert (address.commercial_type, address.insurance_support) == ("premium", "insurance")
        assert not (address.extra_field_gender)
        assert not (address.extra_field_nin)
        assert not (address.extra_field_birth_date)
        assert address.is_enabled
        assert address.payment_account is None
        assert address.integration_removed_at == removed
        assert address.integration_removed_at.utcoffset() == timedelta(0)
        assert [a.id for a in listed] == [s.address_id, s.online_address_id]
        assert listed[1].is_online_only
        assert elsewhere == []

    async def test_services_of_the_dictionary(self, backend: Backend) -> None:
        """The dictionary filters by locale, diagnostics and specialization, in id order."""
        s = await seed(backend)
        mine = {s.service_id, s.diagnostic_service_id}

        async with backend.uow() as uow:
            everything = await uow.directory.services("pl", False, None)
            diagnostics = await uow.directory.services("pl", True, None)
            for_spec = await uow.directory.services("pl", False, s.spec_id)
            other_locale = await uow.directory.services("cz", False, None)
            one = await uow.directory.get_service(s.service_id)
            locale = await uow.directory.service_locale(s.service_id)
            missing = (
                await uow.directory.get_service(10**9),
                await uow.directory.service_locale(10**9),
            )

        assert [x.id for x in everything if x.id in mine] == [s.service_id, s.diagnostic_service_id]
        assert [x.id for x in everything] == sorted(x.id for x in everything)
        assert [x.id for x in diagnostics if x.id in mine] == [s.diagnostic_service_id]
        assert [x.id for x in for_spec if x.id in mine] == [s.service_id]
        assert not mine & {x.id for x in other_locale}
        assert one is not None
        assert (one.name, one.is_diagnostic) == ("Consultation", False)
        assert locale == "pl"
        assert missing == (None, None)

    async def test_an_address_needs_its_facility_and_doctor(self, backend: Backend) -> None:
        """Foreign keys hold: an address of an unknown doctor is a storage conflict."""
        s = await seed(backend)

        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.estate_writer.add_address(s.facility_id, 10**9, name="Nowhere")


class TestAddressServices:
    async def test_add_fills_defaults_and_get_reads_it_back(self, backend: Backend) -> None:
        """A new address service takes the table's defaults for what it was not given."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            created = await uow.address_services.add(
                s.address_id, T0, service_id=s.diagnostic_service_id, name="ECG"
            )
            await uow.commit()
        async with backend.uow() as uow:
            found = await uow.address_services.get(created.id)

        assert found == created
        assert (created.address_id, created.service_id, created.name) == (
            s.address_id,
            s.diagnostic_service_id,
            "ECG",
        )
        assert created.price_cents is None
        assert created.default_duration is None
        assert not (created.is_price_from)
        assert not (created.is_default)
        assert not (created.is_public_insurance_flow)
        assert created.is_visible
        assert created.deleted_at is None

    async def test_list_update_and_soft_delete(self, backend: Backend) -> None:
        """Lists hold live services in id order; a soft-deleted one is still found by id."""
        s = await seed(backend)
        later = T0 + timedelta(hours=2)

        async with backend.uow(write=True) as uow:
            second = await uow.address_services.add(s.address_id, T0, service_id=None, name="Own")
            await uow.address_services.update(second.id, price_cents=12345, custom_name="Mine")
            await uow.address_services.update(second.id)
            listed = [x.id for x in await uow.address_services.list(s.address_id)]
            await uow.address_services.soft_delete(s.address_service_id, later)
            await uow.commit()
        async with backend.uow() as uow:
            live = await uow.address_services.list(s.address_id)
            deleted = await uow.address_services.get(s.address_service_id)
            active = await uow.address_services.active_for_service(s.address_id, s.service_id)

        assert listed == [s.address_service_id, second.id]
        assert live == [replace(second, price_cents=12345, custom_name="Mine")]
        assert deleted is not None
        assert deleted.deleted_at == later
        assert not active

    async def test_one_active_copy_of_a_dictionary_service(self, backend: Backend) -> None:
        """A second active copy is the documented 409; after a soft delete it may be added."""
        s = await seed(backend)

        with pytest.raises(errors.AddressServiceAlreadyExists):
            async with backend.uow(write=True) as uow:
                await uow.address_services.add(s.address_id, T0, service_id=s.service_id, name="X")
        async with backend.uow(write=True) as uow:
            await uow.address_services.soft_delete(s.address_service_id, T0)
            again = await uow.address_services.add(
                s.address_id, T0, service_id=s.service_id, name="Again"
            )
            await uow.commit()
        async with backend.uow() as uow:
            active = await uow.address_services.active_for_service(s.address_id, s.service_id)
            elsewhere = await uow.address_services.active_for_service(
                s.online_address_id, s.service_id
            )

        assert again.id != s.address_service_id
        assert active
        assert not elsewhere


class TestInsurance:
    async def test_dictionary_providers_and_plans(self, backend: Backend) -> None:
        """Providers are listed per locale; a provider is found with its locale; plans in order."""
        s = await seed(backend)

        async with backend.uow() as uow:
            providers = await uow.insurance.providers("pl")
            elsewhere = await uow.insurance.providers("cz")
            found = await uow.insurance.get_provider(s.provider_id)
            missing = await uow.insurance.get_provider(10**9)
            plans = await uow.insurance.plans(s.provider_id)

        assert InsuranceProvider(s.provider_id, "Insurer") in providers
        assert [p.id for p in providers] == sorted(p.id for p in providers)
        assert s.provider_id not in {p.id for p in elsewhere}
        assert found == (InsuranceProvider(s.provider_id, "Insurer"), "pl")
        assert missing is None
        assert plans == [
            InsurancePlan(s.plan_ids[0], s.provider_id, "Basic"),
            InsurancePlan(s.plan_ids[1], s.provider_id, "Gold"),
        ]

    async def test_link_set_plans_and_unlink(self, backend: Backend) -> None:
        """An address accepts linked providers with the plans set for it; unlinking drops both."""
        s = await seed(backend)
        basic, gold = s.plan_ids

        async with backend.uow(write=True) as uow:
            await uow.insurance.link(s.address_id, s.provider_id)
            await uow.insurance.set_plans(s.address_id, s.provider_id, [gold, basic, gold])
            await uow.insurance.set_plans(s.address_id, s.provider_id, [gold])
            await uow.commit()
        async with backend.uow() as uow:
            linked = await uow.insurance.is_linked(s.address_id, s.provider_id)
            accepted = await uow.insurance.address_providers(s.address_id)
            other = await uow.insurance.address_providers(s.online_address_id)
        async with backend.uow(write=True) as uow:
            await uow.insurance.unlink(s.address_id, s.provider_id)
            await uow.commit()
        async with backend.uow() as uow:
            unlinked = await uow.insurance.is_linked(s.address_id, s.provider_id)
            after = await uow.insurance.address_providers(s.address_id)

        assert linked
        assert accepted == [
            InsuranceProvider(
                s.provider_id, "Insurer", (InsurancePlan(gold, s.provider_id, "Gold"),)
            )
        ]
        assert other == []
        assert not unlinked
        assert after == []

    async def test_linking_twice_is_the_documented_400(self, backend: Backend) -> None:
        """The (address, provider) key answers a duplicate link with its documented error."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            await uow.insurance.link(s.address_id, s.provider_id)
            await uow.commit()

        with pytest.raises(errors.AddInsuranceValidationError):
            async with backend.uow(write=True) as uow:
                await uow.insurance.link(s.address_id, s.provider_id)


class TestCalendars:
    async def test_calendar_with_services_in_one_read(self, backend: Backend) -> None:
        """`get_with_services` is `get` plus the live services, whichever side is missing."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            second = await uow.address_services.add(s.address_id, T0, service_id=None, name="B")
            await uow.address_services.soft_delete(second.id, T0)
            await uow.commit()
        async with backend.uow() as uow:
            bare = await uow.calendar.get_with_services(s.address_id)
            listed = await uow.address_services.list(s.address_id)
            empty = await uow.calendar.get_with_services(s.online_address_id)
        async with backend.uow(write=True) as uow:
            await uow.calendar.create(s.address_id, "enabled", T0)
            await uow.calendar.create(s.online_address_id, "disabled", T0)
            await uow.commit()
        async with backend.uow() as uow:
            both = await uow.calendar.get_with_services(s.address_id)
            alone = await uow.calendar.get_with_services(s.online_address_id)
            unknown = await uow.calendar.get_with_services(10**9)

        assert [x.id for x in listed] == [s.address_service_id]
        assert bare == (None, listed)
        assert empty == (None, [])
        assert both == (Calendar(s.address_id, "enabled"), listed)
        assert alone == (Calendar(s.online_address_id, "disabled"), [])
        assert unknown == (None, [])

    async def test_create_status_and_published(self, backend: Backend) -> None:
        """A calendar is created unpublished; status and the published mark change in place."""
        s = await seed(backend)

        async with backend.uow(write=True) as uow:
            created = await uow.calendar.create(s.address_id, "enabled", T0)
            await uow.calendar.set_status(s.address_id, "disabled")
            await uow.calendar.mark_published(s.address_id)
            await uow.calendar.lock_address(s.address_id)
            await uow.commit()
        async with backend.uow() as uow:
            found = await uow.calendar.get(s.address_id)
            missing = await uow.calendar.get(s.online_address_id)

        assert created == Calendar(s.address_id, "enabled", False)
        assert found == Calendar(s.address_id, "disabled", True)
        assert not found.enabled
        assert missing is None

    async def test_a_second_calendar_for_an_address_is_a_storage_conflict(
        self, backend: Backend
    ) -> None:
        """One calendar per address: a racing second create fails as a retryable conflict."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            await uow.calendar.create(s.address_id, "enabled", T0)
            await uow.commit()

        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.calendar.create(s.address_id, "enabled", T0)

    async def test_replace_days_and_read_periods(self, backend: Backend) -> None:
        """Periods are stored per day and replaced per day; reads overlap half-open, by start."""
        s = await seed(backend)
        monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
        a = s.address_service_id
        mon_late = period(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), 60, (a, 30))
        mon_early = replace(
            period(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 120, (a, 30), (a + 1000, 20)),
            insurance_accepted="with-insurance-only",
            insurance_providers=(s.provider_id,),
        )
        tue = period(datetime(2026, 3, 3, 9, 0, tzinfo=WARSAW), 60, (a, 15))
        tue_new = period(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), 30, (a, 10))

        async with backend.uow(write=True) as uow:
            await uow.calendar.replace_days(
                s.address_id,
                [monday, tuesday],
                [(monday, mon_late), (monday, mon_early), (tuesday, tue)],
            )
            await uow.commit()
        async with backend.uow(write=True) as uow:
            await uow.calendar.replace_days(s.address_id, [tuesday], [(tuesday, tue_new)])
            await uow.calendar.replace_days(s.address_id, [], [])
            await uow.commit()
        async with backend.uow() as uow:
            all_days = await uow.calendar.periods_on_days(s.address_id, [monday, tuesday])
            no_days = await uow.calendar.periods_on_days(s.address_id, [])
            touching = await uow.calendar.periods_between(
                s.address_id, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), mon_late.start
            )
            inside = await uow.calendar.periods_between(
                s.address_id, datetime(2026, 3, 2, 9, 59, tzinfo=UTC), mon_late.start
            )
            elsewhere = await uow.calendar.periods_between(
                s.online_address_id, mon_early.start, tue_new.end
            )

        assert all_days == [mon_early, mon_late, tue_new]
        assert all_days[0].services == (PeriodService(a, 30), PeriodService(a + 1000, 20))
        assert all_days[0].insurance_providers == (s.provider_id,)
        assert all_days[0].start.utcoffset() == timedelta(0)
        assert no_days == []
        assert touching == []
        assert inside == [mon_early]
        assert (inside[0].start.tzinfo, inside[0].end.tzinfo) == (UTC, UTC)
        assert elsewhere == []

    async def test_many_periods_sharing_lists_read_back_alike(self, backend: Backend) -> None:
        """A maximal replaceSlots' worth of periods (stored off the loop, their service and
        provider lists written once per distinct list) reads back exactly as given."""
        s = await seed(backend)
        a = s.address_service_id
        monday = date(2026, 3, 2)
        first = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
        stored = []
        for n in range(600):
            p = period(first + timedelta(minutes=2 * n), 1, (a, 1) if n % 2 else (a + 1, 1))
            if n % 3 == 0:
                p = replace(p, insurance_accepted="with-insurance-only",
                            insurance_providers=(s.provider_id,))  # fmt: skip
            stored.append((monday, p))
        async with backend.uow(write=True) as uow:
            await uow.calendar.replace_days(s.address_id, [monday], stored)
            await uow.commit()
        async with backend.uow() as uow:
            found = await uow.calendar.periods_on_days(s.address_id, [monday])

        assert found == [p for _, p in stored]

    async def test_periods_need_their_address(self, backend: Backend) -> None:
        """Foreign keys hold: periods of an unknown address are a storage conflict."""
        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.calendar.replace_days(
                    10**9, [date(2026, 3, 2)], [(date(2026, 3, 2), period(T0))]
                )


class TestBreaks:
    async def test_add_get_find_and_list(self, backend: Backend) -> None:
        """Breaks are found by id or by (range, description); lists overlap half-open."""
        s = await seed(backend)
        since = datetime(2026, 3, 2, 12, 0, tzinfo=WARSAW)
        till = since + timedelta(hours=1)

        async with backend.uow(write=True) as uow:
            lunch = await uow.calendar.add_break(s.address_id, since, till, "Lunch", None, T0)
            early = await uow.calendar.add_break(
                s.address_id, since - timedelta(hours=3), since - timedelta(hours=2), None, None, T0
            )
            await uow.commit()
        async with backend.uow() as uow:
            got = await uow.calendar.get_break(lunch.id)
            by_text = await uow.calendar.find_break(s.address_id, since, till, "Lunch")
            by_none = await uow.calendar.find_break(s.address_id, early.since, early.till, None)
            wrong_text = await uow.calendar.find_break(s.address_id, since, till, None)
            listed = await uow.calendar.breaks_between(s.address_id, early.since, till)
            touching = await uow.calendar.breaks_between(s.address_id, till, till + timedelta(1))
            missing = await uow.calendar.get_break(10**9)

        assert lunch == CalendarBreak(lunch.id, s.address_id, since, till, "Lunch", None)
        assert got == lunch
        assert got is not None
        assert got.since.utcoffset() == timedelta(0)
        assert by_text == lunch
        assert by_none == early
        assert wrong_text is None
        assert listed == [early, lunch]
        assert touching == []
        assert missing is None

    async def test_groups_move_and_delete(self, backend: Backend) -> None:
        """Breaks of one group are read, moved and deleted together."""
        s = await seed(backend)
        since, till = T0, T0 + timedelta(hours=1)
        moved_since, moved_till = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)

        async with backend.uow(write=True) as uow:
            head = await uow.calendar.add_break(s.address_id, since, till, None, None, T0)
            await uow.calendar.set_break_group(head.id, head.id)
            twin = await uow.calendar.add_break(s.online_address_id, since, till, None, head.id, T0)
            alone = await uow.calendar.add_break(
                s.address_id, till, till + timedelta(hours=1), None, None, T0
            )
            group = await uow.calendar.breaks_in_group(head.id)
            await uow.calendar.move_breaks([b.id for b in group], moved_since, moved_till)
            await uow.commit()
        async with backend.uow() as uow:
            moved = await uow.calendar.breaks_in_group(head.id)
            untouched = await uow.calendar.get_break(alone.id)
        async with backend.uow(write=True) as uow:
            await uow.calendar.delete_breaks([head.id, twin.id])
            await uow.commit()
        async with backend.uow() as uow:
            after = await uow.calendar.breaks_in_group(head.id)
            kept = await uow.calendar.breaks_between(s.address_id, since, moved_till)

        assert [b.id for b in group] == [head.id, twin.id]
        assert group[0].group_id == head.id
        assert moved == [
            CalendarBreak(head.id, s.address_id, moved_since, moved_till, None, head.id),
            CalendarBreak(twin.id, s.online_address_id, moved_since, moved_till, None, head.id),
        ]
        assert untouched == alone
        assert after == []
        assert kept == [alone]

    async def test_a_deleted_break_id_is_never_reused(self, backend: Backend) -> None:
        """Break ids name one break for ever: integrators keep them, and events name them."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            first = await uow.calendar.add_break(
                s.address_id, T0, T0 + timedelta(hours=1), None, None, T0
            )
            await uow.commit()
        async with backend.uow(write=True) as uow:
            await uow.calendar.delete_breaks([first.id])
            await uow.commit()

        async with backend.uow(write=True) as uow:
            second = await uow.calendar.add_break(
                s.address_id, T0, T0 + timedelta(hours=2), None, None, T0
            )
            await uow.commit()

        assert second.id > first.id

    async def test_a_break_needs_its_address(self, backend: Backend) -> None:
        """Foreign keys hold: a break of an unknown address is a storage conflict."""
        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.calendar.add_break(10**9, T0, T0 + timedelta(hours=1), None, None, T0)


class TestReplaceRequests:
    async def test_markers_are_upserted_and_purged(self, backend: Backend) -> None:
        """A marker says when a payload was last applied; older markers are purged."""
        s = await seed(backend)
        later = T0 + timedelta(hours=3)

        async with backend.uow(write=True) as uow:
            held = await uow.calendar.hold_replace_request(s.address_id, "first")
            before = await uow.calendar.replace_request_finished(s.address_id, "first")
            await uow.calendar.record_replace_request(s.address_id, "first", T0, T0)
            await uow.calendar.record_replace_request(s.address_id, "second", T0, T0)
            await uow.commit()
        async with backend.uow(write=True) as uow:
            first = await uow.calendar.replace_request_finished(s.address_id, "first")
            await uow.calendar.record_replace_request(s.address_id, "first", later, later)
            await uow.commit()
        async with backend.uow() as uow:
            again = await uow.calendar.replace_request_finished(s.address_id, "first")
            purged = await uow.calendar.replace_request_finished(s.address_id, "second")

        assert held
        assert before is None
        assert first == T0
        assert again == later
        assert purged is None

    async def test_a_payload_is_held_by_one_transaction_at_a_time(self, backend: Backend) -> None:
        """While one transaction applies a payload to an address, another cannot hold it; once
        the first commits or ends, it can (PostgreSQL's advisory lock; memory alike)."""
        if backend.name == "sqlite":
            pytest.skip("SQLite runs one writer at a time instead (BEGIN IMMEDIATE)")
        s = await seed(backend)

        async with backend.uow() as first:
            mine = await first.calendar.hold_replace_request(s.address_id, "p")
            mine_again = await first.calendar.hold_replace_request(s.address_id, "p")
            async with backend.uow() as second:
                theirs = await second.calendar.hold_replace_request(s.address_id, "p")
                other_payload = await second.calendar.hold_replace_request(s.address_id, "q")
                await first.commit()
                after_commit = await second.calendar.hold_replace_request(s.address_id, "p")
        async with backend.uow() as third:
            later = await third.calendar.hold_replace_request(s.address_id, "p")

        assert (mine, mine_again, theirs, other_payload) == (True, True, False, True)
        assert (after_commit, later) == (True, True)


class TestBookings:
    async def test_a_new_visit_is_its_own_origin(self, backend: Backend) -> None:
        """A booking that starts a move chain gets its own id as `origin_booking_id`; a
        replacement keeps the chain's origin, and the newest id of the chain is known."""
        s = await seed(backend)
        start = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)

        async with backend.uow(write=True) as uow:
            first = await uow.bookings.add(new_booking(s, start))
            second = await uow.bookings.add(
                new_booking(s, start + timedelta(hours=1), origin_booking_id=first.id)
            )
            await uow.commit()
        async with backend.uow() as uow:
            stored = await uow.bookings.get(first.id)
            newest = await uow.bookings.newest_in_chain(first.id)
            lonely = await uow.bookings.newest_in_chain(10**9)
            missing = await uow.bookings.get(10**9)

        assert first.origin_booking_id == first.id
        assert second.origin_booking_id == first.id
        assert stored == first
        assert newest == second.id
        assert lonely == 10**9
        assert missing is None

    async def test_save_replaces_every_field(self, backend: Backend) -> None:
        """Saving a booking stores its new state whole."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            added = await uow.bookings.add(new_booking(s, datetime(2026, 3, 5, 9, 0, tzinfo=UTC)))
            await uow.commit()
        changed = replace(
            added.cancel("doctor", T0 + timedelta(hours=1), "ill"),
            presence="absent",
            confirmed=True,
            confirmed_by="user",
            confirmed_at=T0,
            moved_to_id=added.id + 1,
            visit_payment=True,
            visit_payment_status="paid",
            patient=replace(added.patient, email="jan@example.com", nin="80010212345"),
        )

        async with backend.uow(write=True) as uow:
            await uow.bookings.save(changed)
            await uow.commit()
        async with backend.uow() as uow:
            stored = await uow.bookings.get(added.id)

        assert stored == changed

    async def test_busy_time_counts_live_visits_only(self, backend: Backend) -> None:
        """Busy intervals are the booked, not deleted visits overlapping the window, but the
        one ignored (a visit being moved); breaks are busy too."""
        s = await seed(backend)
        nine = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        async with backend.uow(write=True) as uow:
            live = await uow.bookings.add(new_booking(s, nine))
            canceled = await uow.bookings.add(new_booking(s, nine + timedelta(hours=1)))
            deleted = await uow.bookings.add(new_booking(s, nine + timedelta(hours=2)))
            await uow.bookings.save(canceled.cancel("user", T0))
            await uow.bookings.save(replace(deleted, deleted_at=T0))
            await uow.bookings.add(new_booking(s, nine, address_id=s.online_address_id))
            await uow.calendar.add_break(
                s.address_id, nine + timedelta(hours=3), nine + timedelta(hours=4), None, None, T0
            )
            await uow.commit()

        async with backend.uow() as uow:
            window = (nine, nine + timedelta(hours=5))
            busy = await uow.calendar.busy_between(s.address_id, *window, None)
            ignoring = await uow.calendar.busy_between(s.address_id, *window, live.id)
            touching = await uow.calendar.busy_between(
                s.address_id, nine + timedelta(minutes=30), nine + timedelta(hours=1), None
            )

        lunch = Interval(nine + timedelta(hours=3), nine + timedelta(hours=4))
        assert sorted(busy, key=lambda i: i.start) == [
            Interval(nine, nine + timedelta(minutes=30)),
            lunch,
        ]
        assert ignoring == [lunch]
        assert touching == []
        assert {i.start.tzinfo for i in busy} | {i.end.tzinfo for i in busy} == {UTC}

    async def test_busy_time_finds_the_longest_visit_by_its_end(self, backend: Backend) -> None:
        """A visit of the longest duration (a day) is busy in a window that only its last
        minutes touch: the overlap search looks back that far, no further."""
        s = await seed(backend)
        midnight = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
        async with backend.uow(write=True) as uow:
            await uow.bookings.add(new_booking(s, midnight, duration=MAX_DURATION_MINUTES))
            await uow.commit()

        last_minute = midnight + timedelta(minutes=MAX_DURATION_MINUTES - 1)
        async with backend.uow() as uow:
            busy = await uow.calendar.busy_between(
                s.address_id, last_minute, last_minute + timedelta(minutes=30), None
            )

        assert busy == [Interval(midnight, midnight + timedelta(days=1))]

    async def test_list_between_pages_by_start(self, backend: Backend) -> None:
        """Bookings starting in [start, end), by start then id, paginated, with the total."""
        s = await seed(backend)
        nine = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        async with backend.uow(write=True) as uow:
            late = await uow.bookings.add(new_booking(s, nine + timedelta(hours=2)))
            early = await uow.bookings.add(new_booking(s, nine))
            tie = await uow.bookings.add(new_booking(s, nine))
            canceled = await uow.bookings.add(new_booking(s, nine + timedelta(hours=1)))
            await uow.bookings.save(canceled.cancel("user", T0))
            gone = await uow.bookings.add(new_booking(s, nine + timedelta(hours=1)))
            await uow.bookings.save(replace(gone, deleted_at=T0))
            await uow.bookings.add(new_booking(s, nine + timedelta(hours=3)))
            await uow.commit()
        end = nine + timedelta(hours=3)

        async with backend.uow() as uow:
            everything, total = await uow.bookings.list_between(s.address_id, nine, end, None, None)
            page, page_total = await uow.bookings.list_between(s.address_id, nine, end, 2, 2)
            first_page, _ = await uow.bookings.list_between(s.address_id, nine, end, None, 1)

        assert [b.id for b in everything] == [early.id, tie.id, canceled.id, late.id]
        assert total == page_total == 4
        assert [b.id for b in page] == [canceled.id, late.id]
        assert [b.id for b in first_page] == [early.id]

    async def test_visits_by_phone_match_digits(self, backend: Backend) -> None:
        """Visits of the doctor at the facility match on the phone's digits, deleted ones not."""
        s = await seed(backend)
        nine = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        other_phone = replace(new_booking(s, nine).patient, phone="+48 700 000 000")
        async with backend.uow(write=True) as uow:
            match = await uow.bookings.add(new_booking(s, nine))
            gone = await uow.bookings.add(new_booking(s, nine + timedelta(hours=1)))
            await uow.bookings.save(replace(gone, deleted_at=T0))
            await uow.bookings.add(new_booking(s, nine, patient=other_phone))
            await uow.commit()

        async with backend.uow() as uow:
            found = await uow.bookings.visits_by_phone(s.facility_id, s.doctor_id, "48600100200")
            other_facility = await uow.bookings.visits_by_phone(
                s.other_facility_id, s.doctor_id, "48600100200"
            )

        assert [b.id for b in found] == [match.id]
        assert other_facility == []

    async def test_opinion_requests_once_per_visit(self, backend: Backend) -> None:
        """A visit's opinion request is recorded once; a second one is the documented 409."""
        s = await seed(backend)
        async with backend.uow(write=True) as uow:
            visit = await uow.bookings.add(new_booking(s, datetime(2026, 3, 1, 9, tzinfo=UTC)))
            before = await uow.bookings.opinion_requested(visit.id)
            await uow.bookings.record_opinion_request(visit.id, T0)
            await uow.commit()
        async with backend.uow() as uow:
            after = await uow.bookings.opinion_requested(visit.id)

        with pytest.raises(errors.OpinionAlreadyExists):
            async with backend.uow(write=True) as uow:
                await uow.bookings.record_opinion_request(visit.id, T0)
        assert (before, after) == (False, True)

    async def test_a_visit_needs_its_address(self, backend: Backend) -> None:
        """Foreign keys hold: a booking at an unknown address is a storage conflict."""
        s = await seed(backend)

        with pytest.raises(StorageConflict):
            async with backend.uow(write=True) as uow:
                await uow.bookings.add(new_booking(s, T0, address_id=10**9))


class TestInMemoryOnly:
    """What only the in-memory twin offers: the flag and counters tests read."""

    async def test_committed_flag_and_counters(self) -> None:
        """`committed` turns true on commit; the store counts commits that changed something."""
        store = InMemoryStore()
        uow = InMemoryUnitOfWork(store, write=True)

        async with uow:
            await uow.estate_writer.add_facility("pl", "Clinic")
            assert not uow.committed
            await uow.commit()
        async with InMemoryUnitOfWork(store) as reader:
            await reader.commit()

        assert uow.committed
        assert reader.committed
        assert store.commits == 1

    async def test_a_read_unit_loses_to_a_writer_that_committed_first(self) -> None:
        """A unit opened without `write=True` whose snapshot is stale cannot commit its change
        ("database is locked" on SQLite); the use case's retry runs it again."""
        store = InMemoryStore()
        factory = memory_uow_factory(store)

        async def late_reader() -> None:
            async with factory() as reader:
                await reader.estate_writer.add_facility("pl", "Late")
                async with factory(write=True) as writer:
                    await writer.estate_writer.add_facility("pl", "Early")
                    await writer.commit()
                await reader.commit()

        with pytest.raises(StorageConflict):
            await late_reader()

        async with factory() as uow:
            assert await uow.estate_writer.count_facilities() == 1

    async def test_events_that_cannot_be_stored_fail_the_commit(self) -> None:
        """The outbox's serializer runs on commit: an event with a naive time is refused."""
        store = InMemoryStore()
        naive = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - the point of the test
        at = EventContext(naive, 1, 1, 1, Origin("doctor"))

        async def commit_naive() -> None:
            async with InMemoryUnitOfWork(store, write=True) as uow:
                uow.collect(
                    [BreakCreated(context=at, calendar_break=CalendarBreak(1, 1, T0, T0, None))]
                )
                await uow.commit()

        with pytest.raises(ValueError, match="aware"):
            await commit_naive()

        assert store.events == []

    async def test_a_unit_commits_once(self) -> None:
        """A second `commit()` fails, as SQLAlchemy's inactive transaction does."""
        async with InMemoryUnitOfWork(InMemoryStore(), write=True) as uow:
            await uow.commit()
            with pytest.raises(RuntimeError, match="already committed"):
                await uow.commit()
