"""A small estate on the in-memory unit of work, built through the ports, and the use cases
wired to it: what every services unit test arranges on.

Layout (locale `pl`, Europe/Warsaw; the clock starts on Monday 2026-01-05 08:00 UTC):
one facility with a commercial doctor who has an `office` (premium, offline, payment account
ACC-1), an `online` (online-only, ACC-2) and a `basic` (not commercial) address. The office
offers Consultation (30 min) and ECG (20 min) and accepts one insurer with its Basic plan; the
online address offers Consultation. Client `integrator` may edit the facility's calendars,
`viewer` may only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dpi_server.domain.actors import Actor, DoctorActor, IntegrationActor, PatientActor
from dpi_server.domain.booking_rules import RequestedStart, VisitDetails
from dpi_server.domain.bookings import Booking, Patient
from dpi_server.domain.calendar import PeriodService, WorkPeriod
from dpi_server.domain.events import Event
from dpi_server.services.access import AccessService, AddressRef, AddressScope, BookingScope
from dpi_server.services.address_services import AddressServicesService
from dpi_server.services.bookings import BookingService, BookingView, BookSlot
from dpi_server.services.calendar import CalendarService
from dpi_server.services.repositories import NewClient, UnitOfWorkFactory
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.memory import InMemoryStore, memory_uow_factory

WARSAW = ZoneInfo("Europe/Warsaw")
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TOMORROW = date(2026, 1, 6)
# 09:00 on Tuesday in Warsaw (UTC+1 in January).
NINE = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
PATIENT = Patient("Jan", "+48 600 100 200", surname="Kowalski", email="jan@example.com")


def at_warsaw(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Warsaw as the UTC instant the storage keeps."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW).astimezone(UTC)


@dataclass
class Ids:
    facility: int
    doctor: int
    office: int
    online: int
    basic: int
    consultation: int
    ecg: int
    czech_service: int
    follow_up: int
    consult_at_office: int
    ecg_at_office: int
    consult_online: int
    provider: int
    basic_plan: int
    gold_plan: int
    integrator_pk: int
    viewer_pk: int


@dataclass
class World:
    store: InMemoryStore
    clock: FakeClock
    uow: UnitOfWorkFactory
    ids: Ids
    access: AccessService = field(init=False)
    bookings: BookingService = field(init=False)
    calendar: CalendarService = field(init=False)
    address_services: AddressServicesService = field(init=False)

    def __post_init__(self) -> None:
        self.access = AccessService(self.uow)
        self.bookings = BookingService(self.uow, self.clock)
        self.calendar = CalendarService(self.uow, self.clock)
        self.address_services = AddressServicesService(self.uow, self.clock)

    @property
    def integrator(self) -> IntegrationActor:
        return IntegrationActor(self.ids.integrator_pk, "pl")

    @property
    def viewer(self) -> IntegrationActor:
        return IntegrationActor(self.ids.viewer_pk, "pl")

    @property
    def patient(self) -> PatientActor:
        return PatientActor()

    @property
    def doctor(self) -> DoctorActor:
        return DoctorActor()

    def ref(self, address_id: int | None = None) -> AddressRef:
        return AddressRef(self.ids.facility, self.ids.doctor, address_id or self.ids.office)

    async def scope(
        self, actor: Actor | None = None, address_id: int | None = None
    ) -> AddressScope:
        return await self.access.address(actor or self.integrator, self.ref(address_id))

    async def booking_scope(
        self, booking_id: int, actor: Actor | None = None, address_id: int | None = None
    ) -> BookingScope:
        return await self.access.booking(actor or self.integrator, self.ref(address_id), booking_id)

    async def publish(self, address_id: int, *periods: WorkPeriod) -> None:
        """An enabled calendar with `periods` stored, written straight through the ports."""
        async with self.uow(write=True) as uow:
            if await uow.calendar.get(address_id) is None:
                await uow.calendar.create(address_id, "enabled", self.clock.now())
            by_day = [(p.start.astimezone(WARSAW).date(), p) for p in periods]
            await uow.calendar.replace_days(address_id, sorted({d for d, _ in by_day}), by_day)
            await uow.calendar.mark_published(address_id)
            await uow.commit()

    async def open_office_tomorrow(self) -> None:
        """Tuesday 09:00-12:00 Warsaw at the office: Consultation (30) and ECG (20)."""
        await self.publish(
            self.ids.office,
            period(
                at_warsaw(TOMORROW, 9),
                at_warsaw(TOMORROW, 12),
                (self.ids.consult_at_office, 30),
                (self.ids.ecg_at_office, 20),
            ),
        )

    async def book(
        self,
        start: datetime = NINE,
        *,
        actor: Actor | None = None,
        address_service_id: int | None = None,
        duration: int = 30,
        details: VisitDetails | None = None,
    ) -> BookingView:
        scope = await self.scope(actor)
        return await self.bookings.book(
            scope,
            RequestedStart(start, start.isoformat()),
            BookSlot(
                address_service_id or self.ids.consult_at_office,
                duration,
                details or VisitDetails(PATIENT),
            ),
        )

    async def stored_booking(self, booking_id: int) -> Booking:
        async with self.uow() as uow:
            found = await uow.bookings.get(booking_id)
        assert found is not None
        return found

    def take_events(self) -> list[Event]:
        """The events committed since the last call (arrange steps raise some too)."""
        taken = list(self.store.events)
        self.store.events.clear()
        return taken


def period(start: datetime, end: datetime, *services: tuple[int, int]) -> WorkPeriod:
    return WorkPeriod(start, end, tuple(PeriodService(a, d) for a, d in services))


async def build_world() -> World:
    store = InMemoryStore()
    clock = FakeClock(START)
    uow = memory_uow_factory(store)
    now = clock.now()
    async with uow(write=True) as u:
        w = u.estate_writer
        consultation = await w.add_service(
            "pl", "Consultation", is_diagnostic=False, specialization_ids=[]
        )
        ecg = await w.add_service("pl", "ECG", is_diagnostic=True, specialization_ids=[])
        follow_up = await w.add_service(
            "pl", "Follow-up", is_diagnostic=False, specialization_ids=[]
        )
        czech = await w.add_service("cz", "Konzultace", is_diagnostic=False, specialization_ids=[])
        provider = await w.add_insurance_provider("pl", "Insurer", ["Basic", "Gold"])
        basic_plan, gold_plan = (p.id for p in await u.insurance.plans(provider))
        facility = await w.add_facility("pl", "Clinic")
        doctor = await w.add_doctor(
            "pl",
            "Anna",
            "Nowak",
            is_commercial=True,
            profile_url=None,
            specialization_ids=[],
            license_numbers=[],
        )
        await w.connect_doctor(doctor, facility)
        office = await w.add_address(facility, doctor, name="Office", payment_account="ACC-1")
        online = await w.add_address(
            facility, doctor, name="Online", is_online_only=True, payment_account="ACC-2"
        )
        basic = await w.add_address(facility, doctor, name="Basic", commercial_type="basic")

        async def offer(address_id: int, service_id: int, name: str, minutes: int) -> int:
            created = await u.address_services.add(
                address_id, now, service_id=service_id, name=name, default_duration=minutes
            )
            return created.id

        consult_at_office = await offer(office, consultation, "Consultation", 30)
        ecg_at_office = await offer(office, ecg, "ECG", 20)
        consult_online = await offer(online, consultation, "Consultation", 30)
        await u.insurance.link(office, provider)
        await u.insurance.set_plans(office, provider, [basic_plan])
        integrator = await u.clients.add(NewClient("integrator", "h", "Integrator", "pl", now))
        viewer = await u.clients.add(NewClient("viewer", "h", "Viewer", "pl", now))
        await u.clients.assign_facility(integrator.pk, facility, True)
        await u.clients.assign_facility(viewer.pk, facility, False)
        await u.commit()
    ids = Ids(
        facility=facility,
        doctor=doctor,
        office=office,
        online=online,
        basic=basic,
        consultation=consultation,
        ecg=ecg,
        czech_service=czech,
        follow_up=follow_up,
        consult_at_office=consult_at_office,
        ecg_at_office=ecg_at_office,
        consult_online=consult_online,
        provider=provider,
        basic_plan=basic_plan,
        gold_plan=gold_plan,
        integrator_pk=integrator.pk,
        viewer_pk=viewer.pk,
    )
    return World(store, clock, uow, ids)
