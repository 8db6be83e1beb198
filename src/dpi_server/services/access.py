"""Who may act where: paths resolved to typed scopes, once per request, before any input is read.

Every core command on a facility, doctor or address receives a *scope*: the objects its path
names, already checked for the actor. For an API client that is the estate check of
`domain/directory.py:check_path` (404, then 403 not authorized, then 403 does not belong),
plus the leaf ids that come before it (an unknown booking or address service is 404 before
any 403, docs/decisions.md "Access and paths"). Patients, doctors and operators act on the
marketplace side, where only existence matters.

The API resolves the scope in a dependency that runs before the body is parsed, so a foreign
path answers 403 whatever the body holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dpi_server.domain import errors
from dpi_server.domain.actors import Actor, DoctorActor, IntegrationActor, PatientActor
from dpi_server.domain.bookings import Booking
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import (
    Address,
    AddressService,
    Doctor,
    Estate,
    Facility,
    InsuranceProvider,
    check_path,
)
from dpi_server.domain.environments import ProductionEstate
from dpi_server.domain.locales import LOCALES
from dpi_server.services.cache import HotPathCache
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory

# The marketplace side sees every facility and may change every calendar.
_EVERYTHING: Estate | None = None


@dataclass(frozen=True, slots=True)
class FacilityRef:
    facility_id: int


@dataclass(frozen=True, slots=True)
class DoctorRef:
    facility_id: int
    doctor_id: int


@dataclass(frozen=True, slots=True)
class AddressRef:
    facility_id: int
    doctor_id: int
    address_id: int


PathRef = FacilityRef | DoctorRef | AddressRef


@dataclass(frozen=True, slots=True)
class FacilityScope:
    """A facility the actor may see; `estate` is None for marketplace-side actors."""

    actor: Actor
    facility: Facility
    estate: Estate | None

    @property
    def zone(self) -> ZoneInfo:
        """The facility's marketplace time zone: calendar days are days there."""
        return LOCALES[self.facility.locale].zone

    @property
    def locale(self) -> str:
        return self.facility.locale

    def may_edit(self, facility_id: int) -> bool:
        return self.estate is None or self.estate.may_edit(facility_id)


@dataclass(frozen=True, slots=True)
class DoctorScope(FacilityScope):
    doctor: Doctor


@dataclass(frozen=True, slots=True)
class AddressScope(DoctorScope):
    address: Address

    def require_editable(self) -> None:
        """Writes to an address need an estate that may change its facility's calendars:
        403 `You are not authorized to make changes on this calendar` otherwise."""
        if not self.may_edit(self.address.facility_id):
            raise errors.CalendarEditionNotAuthorized()


@dataclass(frozen=True, slots=True)
class BookingScope:
    """A booking found on an address path (the booking as read when the path was checked)."""

    at: AddressScope
    booking: Booking


@dataclass(frozen=True, slots=True)
class BreakScope:
    at: AddressScope
    calendar_break: CalendarBreak


@dataclass(frozen=True, slots=True)
class AddressServiceScope:
    at: AddressScope
    address_service: AddressService


@dataclass(frozen=True, slots=True)
class ProviderScope:
    at: AddressScope
    provider: InsuranceProvider


class AccessService:
    def __init__(self, uow: UnitOfWorkFactory, cache: HotPathCache | None = None) -> None:
        self._uow = uow
        # Estates are read on every request; the cache (services/cache.py) saves that read.
        self._cache = cache

    async def facility(self, actor: Actor, ref: FacilityRef) -> FacilityScope:
        return await self._alone(actor, ref)

    async def doctor(self, actor: Actor, ref: DoctorRef) -> DoctorScope:
        scope = await self._alone(actor, ref)
        assert isinstance(scope, DoctorScope)
        return scope

    async def address(self, actor: Actor, ref: AddressRef) -> AddressScope:
        scope = await self._alone(actor, ref)
        assert isinstance(scope, AddressScope)
        return scope

    async def _alone(self, actor: Actor, ref: PathRef) -> FacilityScope:
        """A scope needing nothing else: from the cache alone when it holds the path (no
        transaction at all), else read in one unit of work."""
        if self._cache is not None:
            return await _resolve(None, actor, ref, self._cache, self._uow)
        async with self._uow() as uow:
            return await _resolve(uow, actor, ref, None, self._uow)

    async def booking(
        self, actor: Actor, ref: AddressRef, booking_id: int, *, include_deleted: bool = False
    ) -> BookingScope:
        """404 for an unknown booking, then the path's rules, then 403 when it lives elsewhere.

        A booking deleted on Docplanner's side is unknown, except where the spec gives it an
        answer of its own (`include_deleted`: confirm's 409 `Visit has been deleted`).
        """
        async with self._uow() as uow:
            booking = await uow.bookings.get(booking_id)
            if booking is None or (booking.deleted_at is not None and not include_deleted):
                raise errors.ObjectNotFound()
            scope = await _resolve_address(uow, actor, ref, self._cache, self._uow)
        if booking.address_id != scope.address.id:
            raise errors.BookingDoesNotBelongToAddress()
        return BookingScope(scope, booking)

    async def doctors_booking(self, actor: Actor, ref: AddressRef, booking_id: int) -> BookingScope:
        """Presence (§10): another doctor's visit is 404 before another address's 403."""
        async with self._uow() as uow:
            booking = await uow.bookings.get(booking_id)
            if booking is None:
                raise errors.ObjectNotFound()
            scope = await _resolve_address(uow, actor, ref, self._cache, self._uow)
        if booking.doctor_id != scope.doctor.id:
            raise errors.VisitDoesNotBelongToDoctor()
        if booking.address_id != scope.address.id:
            raise errors.BookingDoesNotBelongToAddress()
        return BookingScope(scope, booking)

    async def calendar_break(
        self, actor: Actor, ref: AddressRef, break_id: int | None
    ) -> BreakScope:
        """A break of another address, or an id that names none (None), is 404 `Invalid break
        ID` (there is no 403 for it)."""
        async with self._uow() as uow:
            scope = await _resolve_address(uow, actor, ref, self._cache, self._uow)
            found = await uow.calendar.get_break(break_id) if break_id is not None else None
        if found is None or found.address_id != scope.address.id:
            raise errors.BreakNotFoundForGivenAddress()
        return BreakScope(scope, found)

    async def address_service(
        self, actor: Actor, ref: AddressRef, address_service_id: int
    ) -> AddressServiceScope:
        """Existence first (404), then the path's estate rules, then belonging (403)."""
        async with self._uow() as uow:
            found = await uow.address_services.get(address_service_id)
            if found is None or found.deleted_at is not None:
                raise errors.ObjectNotFound()
            scope = await _resolve_address(uow, actor, ref, self._cache, self._uow)
        if found.address_id != scope.address.id:
            raise errors.AddressServiceMismatch()
        return AddressServiceScope(scope, found)

    async def insurance_provider(
        self, actor: Actor, ref: AddressRef, provider_id: int | None
    ) -> ProviderScope:
        """A dictionary provider in the path: unknown, of another locale or an id that names
        none (None) is 404 before the path's 403s."""
        locale = actor.locale if isinstance(actor, IntegrationActor) else None
        async with self._uow() as uow:
            found = await uow.insurance.get_provider(provider_id) if provider_id else None
            if found is None or found[1] != (locale or found[1]):
                raise errors.InsuranceProviderNotFromDictionary()
            scope = await _resolve_address(uow, actor, ref, self._cache, self._uow)
        if found[1] != scope.locale:
            raise errors.InsuranceProviderNotFromDictionary()
        return ProviderScope(scope, found[0])


async def _resolve_address(
    uow: UnitOfWork,
    actor: Actor,
    ref: AddressRef,
    cache: HotPathCache | None,
    factory: UnitOfWorkFactory,
) -> AddressScope:
    scope = await _resolve(uow, actor, ref, cache, factory)
    assert isinstance(scope, AddressScope)
    return scope


PathObjects = tuple[Facility | None, Doctor | None, Address | None]


async def _path_objects(uow: UnitOfWork, ref: PathRef) -> PathObjects:
    facility = await uow.directory.get_facility(ref.facility_id)
    doctor = address = None
    if isinstance(ref, DoctorRef | AddressRef):
        doctor = await uow.directory.get_doctor(ref.doctor_id)
    if isinstance(ref, AddressRef):
        address = await uow.directory.get_address(ref.address_id)
    return facility, doctor, address


def _complete(ref: PathRef) -> Callable[[PathObjects], bool]:
    """Only paths whose every object exists are cached (unknown ids are not hot)."""
    wanted = 1 + isinstance(ref, DoctorRef | AddressRef) + isinstance(ref, AddressRef)
    return lambda found: sum(x is not None for x in found) == wanted


async def _cached_path(
    uow: UnitOfWork | None,
    ref: PathRef,
    cache: HotPathCache,
    factory: UnitOfWorkFactory,
) -> PathObjects:
    async def load() -> PathObjects:
        if uow is not None:
            return await _path_objects(uow, ref)
        async with factory() as own:
            return await _path_objects(own, ref)

    # The ref's type is part of its equality, so a facility and an address path never meet.
    return await cache.memo(("path", ref), load, _complete(ref))


async def _resolve(
    uow: UnitOfWork | None,
    actor: Actor,
    ref: PathRef,
    cache: HotPathCache | None,
    factory: UnitOfWorkFactory,
) -> FacilityScope:
    """Load what the path names (through the cache when there is one; `uow` None: in units
    of work of its own on a miss) and apply the actor's rules; objects of another locale than
    an API client's are unknown to it."""
    locale = actor.locale if isinstance(actor, IntegrationActor) else None
    if cache is not None:
        facility, doctor, address = await _cached_path(uow, ref, cache, factory)
    else:
        assert uow is not None
        facility, doctor, address = await _path_objects(uow, ref)
    if facility is not None and locale is not None and facility.locale != locale:
        facility = None
    if doctor is not None and facility is not None and doctor.locale != facility.locale:
        doctor = None
    estate = _EVERYTHING
    if isinstance(actor, IntegrationActor):
        if cache is not None:
            estate = await cache.estate(actor.client_pk, uow)
        else:
            assert uow is not None
            estate = await uow.clients.estate(actor.client_pk)
    check_path(
        estate if estate is not None else _everything(facility, doctor, address),
        facility=facility,
        doctor=doctor,
        address=address,
        want_doctor=doctor is not None or isinstance(ref, DoctorRef | AddressRef),
        want_address=isinstance(ref, AddressRef),
    )
    assert facility is not None
    await refuse_production(uow, actor, facility.id, cache)
    if doctor is None:
        return FacilityScope(actor, facility, estate)
    if address is None:
        return DoctorScope(actor, facility, estate, doctor)
    return AddressScope(actor, facility, estate, doctor, address)


async def refuse_production(
    uow: UnitOfWork | None, actor: Actor, facility_id: int, cache: HotPathCache | None = None
) -> None:
    """403 for a patient or doctor when an active production client holds the facility: the
    sandbox's marketplace side never acts on production estates (domain/environments.py).
    Read through the cache, so it costs a statement only after clients or estates changed;
    API clients and operators are not concerned."""
    if not isinstance(actor, PatientActor | DoctorActor):
        return
    if cache is not None:
        held = await cache.production_facilities(uow)
    else:
        assert uow is not None, "without a cache the caller's unit of work is read"
        held = await uow.clients.production_facility_ids()
    if facility_id in held:
        raise ProductionEstate()


def _everything(
    facility: Facility | None, doctor: Doctor | None, address: Address | None
) -> Estate:
    """The marketplace side's view: whatever the path names is visible and editable, so only
    existence and belonging are checked."""
    ids = set(doctor.facility_ids if doctor is not None else ())
    ids.update(x.id for x in (facility,) if x is not None)
    ids.update(a.facility_id for a in (address,) if a is not None)
    return Estate(frozenset(ids), frozenset(ids))
