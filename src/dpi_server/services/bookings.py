"""Booking, reading, cancelling, moving, confirming and presence (behaviour.md §8.5-§8.6, §10).

Every command takes a scope already checked for its actor (`services/access.py`) and parsed
inputs; the rules live in `domain/booking_rules.py`, which returns the events each change
raises, and the unit of work stores them with the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dpi_server.domain import booking_rules as rules
from dpi_server.domain import errors
from dpi_server.domain.bookings import Booking, NewBooking
from dpi_server.domain.directory import Address, AddressService, Doctor
from dpi_server.services.access import AddressScope, BookingScope, DoctorScope
from dpi_server.services.availability import load_availability
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory
from dpi_server.services.transactions import retrying

MAX_PAGE_SIZE = 100
_PHONE = re.compile(r"^\+?[0-9]{9,15}$")


@dataclass(frozen=True, slots=True)
class BookSlot:
    """bookSlot's body, parsed: ids that name nothing are 0."""

    address_service_id: int
    duration: int
    details: rules.VisitDetails


@dataclass(frozen=True, slots=True)
class MoveBooking:
    """moveBooking's body, parsed; `address_id` None keeps the visit's address."""

    start: datetime
    address_service_id: int
    duration: int | None = None
    address_id: int | None = None


@dataclass(frozen=True, slots=True)
class BookingWindow:
    """getBookings' range and optional page (`page` None: everything in one answer)."""

    start: datetime
    end: datetime
    page: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking with what rendering needs: its service, insurance names and move chain."""

    booking: Booking
    address_service: AddressService | None
    insurance_name: str | None = None
    plan_name: str | None = None
    newest_booking_id: int | None = None


@dataclass(frozen=True, slots=True)
class BookingPage:
    views: list[BookingView]
    total: int
    page: int | None
    limit: int | None


class BookingService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # --- book -------------------------------------------------------------------------------
    async def book(
        self,
        scope: AddressScope,
        start: rules.RequestedStart,
        request: BookSlot,
        *,
        hold: str | None = None,
    ) -> BookingView:
        """bookSlot (§8.5): the booking, or the documented 404/422 cases. `hold` is the
        real-time gate's hold on this slot, released in the booking's transaction."""

        async def attempt() -> BookingView:
            async with self._uow(write=True) as uow:
                now = self._clock.now()
                planned = await plan_booking(uow, scope, start, request, now, release=hold)
                booking = await uow.bookings.add(planned.draft)
                uow.collect([rules.booked(booking, scope.actor, now)])
                await uow.commit()
            # A new visit is the newest of its own chain.
            return BookingView(
                booking, planned.service, *planned.insurance, newest_booking_id=booking.id
            )

        return await retrying(attempt)

    # --- read -------------------------------------------------------------------------------
    async def list(self, scope: AddressScope, window: BookingWindow) -> BookingPage:
        """getBookings: bookings starting in [start, end); paginated only when `page` is given."""
        if window.end <= window.start:
            raise errors.FieldErrors({"end": ["The end date must be after the start date."]})
        if window.limit is not None and window.limit > MAX_PAGE_SIZE:
            raise errors.FieldErrors({"limit": [f"This value should be {MAX_PAGE_SIZE} or less."]})
        size = (window.limit or MAX_PAGE_SIZE) if window.page is not None else None
        offset = (window.page - 1) * size if window.page is not None and size else None
        async with self._uow() as uow:
            found, total = await uow.bookings.list_between(
                scope.address.id, window.start, window.end, offset, size
            )
            views = [await _view(uow, b) for b in found]
        return BookingPage(views, total, window.page, size)

    async def get(self, found: BookingScope) -> BookingView:
        async with self._uow() as uow:
            return await _view(uow, found.booking, chain=True)

    # --- change -----------------------------------------------------------------------------
    async def cancel(self, found: BookingScope, reason: str | None) -> Booking:
        """cancelBooking: 204; 400 when the visit is not booked (§8.6). Returns the visit as
        changed, as every command below does."""
        if not found.at.may_edit(found.booking.facility_id):
            raise errors.UnableToCancelForAddress()

        async def attempt() -> Booking:
            async with self._uow(write=True) as uow:
                await uow.calendar.lock_address(found.booking.address_id)
                booking = await _current(uow, found.booking)
                change = rules.cancel(booking, found.at.actor, self._clock.now(), reason)
                return await _store(uow, change)

        return await retrying(attempt)

    async def move(
        self, found: BookingScope, request: MoveBooking, *, hold: str | None = None
    ) -> BookingView:
        """moveBooking (§8.6): cancel and re-create with a new id at the target (`hold`: as
        in `book`)."""
        if request.duration is not None:
            rules.check_booking_duration(request.duration)
        scope = found.at

        async def attempt() -> BookingView:
            async with self._uow(write=True) as uow:
                now = self._clock.now()
                planned = await plan_move(uow, found, request, now, release=hold)
                canceled, draft = planned.canceled, planned.draft
                created = await uow.bookings.add(draft)
                old = replace(canceled, moved_to_id=created.id)
                await uow.bookings.save(old)
                uow.collect([rules.moved(old, created, scope.actor, now)])
                # The replacement is the newest visit of its chain.
                view = replace(await _view(uow, created), newest_booking_id=created.id)
                await uow.commit()
            return view

        return await retrying(attempt)

    async def confirm(self, found: BookingScope, confirmed_by: str | None) -> Booking:
        """confirmBooking: 204; 400 bad confirmed_by, the four 409s (§8.6)."""
        if not found.at.may_edit(found.booking.facility_id):
            raise errors.ConfirmBookingInvalidIntegration()

        async def attempt() -> Booking:
            async with self._uow(write=True) as uow:
                booking = await _current(uow, found.booking)
                change = rules.confirm(booking, confirmed_by, found.at.actor, self._clock.now())
                return await _store(uow, change)

        return await retrying(attempt)

    async def mark_presence(self, found: BookingScope, present: bool) -> Booking:
        """Presence (§10): 204; 409 canceled, 400 future."""

        async def attempt() -> Booking:
            async with self._uow(write=True) as uow:
                booking = await _current(uow, found.booking)
                change = rules.mark_presence(booking, present, found.at.actor, self._clock.now())
                return await _store(uow, change)

        return await retrying(attempt)

    async def change_payment_status(self, found: BookingScope, status: str) -> Booking:
        """The marketplace side's payment provider reports a new status for a paid visit."""

        async def attempt() -> Booking:
            async with self._uow(write=True) as uow:
                booking = await _current(uow, found.booking)
                change = rules.change_payment_status(
                    booking, status, found.at.actor, self._clock.now()
                )
                return await _store(uow, change)

        return await retrying(attempt)

    async def request_opinion(self, scope: DoctorScope, phone: str | None) -> None:
        """requestOpinion (§8.6): matched on the patient's phone among this doctor's visits."""
        number = re.sub(r"[\s\-()]", "", phone or "")
        if not _PHONE.match(number):
            raise errors.OpinionRequestValidationError()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                # Matched on digits alone: "+48 123 123 123" and 48123123123 (the OAS
                # example's spelling) name the same patient.
                visits = await uow.bookings.visits_by_phone(
                    scope.facility.id, scope.doctor.id, phone_digits(number)
                )
                now = self._clock.now()
                past = [v for v in visits if v.is_booked and v.start <= now]
                if not past:
                    if any(v.is_booked for v in visits):
                        raise errors.CannotSendRequestForOpinion()
                    raise errors.VisitNotFound()
                latest = max(past, key=lambda v: v.start)
                if await uow.bookings.opinion_requested(latest.id):
                    raise errors.OpinionAlreadyExists()
                await uow.bookings.record_opinion_request(latest.id, now)
                await uow.commit()

        await retrying(attempt)


@dataclass(frozen=True, slots=True)
class PlannedBooking:
    """A visit bookSlot's checks allow, with what its answer shows."""

    draft: NewBooking
    service: AddressService
    insurance: tuple[str | None, str | None]


async def plan_booking(
    uow: UnitOfWork,
    scope: AddressScope,
    start: rules.RequestedStart,
    request: BookSlot,
    now: datetime,
    *,
    release: str | None = None,
) -> PlannedBooking:
    """bookSlot's checks in the spec's order (§8.5) and the visit they allow, with the
    address locked for the rest of `uow`. `release` is a real-time gate's hold on this slot,
    dropped before the slot is looked at. Shared by the booking itself and the gate, which
    asks the vendor about exactly the visit the booking would make."""
    address = scope.address
    await uow.calendar.lock_address(address.id)
    if release is not None:
        await uow.notifications.release_hold(release)
    calendar = await uow.calendar.get(address.id)
    # The address's live services come with the availability: the requested one is among
    # them or does not exist here (one read for both). A request that will fail anyway reads
    # only the service.
    around = None
    if start.at is not None and rules.duration_is_valid(request.duration):
        end = start.at + timedelta(minutes=request.duration)
        around = await load_availability(uow, address.id, start.at, end)
        requested = around.services.get(request.address_service_id)
    else:
        requested = await uow.address_services.get(request.address_service_id)
    service, at = rules.check_book_request(
        address=address,
        doctor=scope.doctor,
        calendar=calendar,
        may_edit=scope.may_edit(address.facility_id),
        service=requested,
        start=start,
        duration=request.duration,
    )
    assert around is not None
    details = request.details
    names = await _check_insurance(
        uow, address, details.insurance_provider_id, details.insurance_plan_id
    )
    target = rules.AddressCalendar(address, around.periods, around.busy)
    draft = rules.book(target, service, at, request.duration, details, scope.actor, now, scope.zone)
    return PlannedBooking(draft, service, names)


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """What moveBooking's checks allow: the visit as it is now, its canceled state and its
    replacement at the target."""

    booking: Booking
    canceled: Booking
    draft: NewBooking
    service: AddressService
    target: Address
    target_doctor: Doctor


async def plan_move(
    uow: UnitOfWork,
    found: BookingScope,
    request: MoveBooking,
    now: datetime,
    *,
    release: str | None = None,
) -> PlannedMove:
    """moveBooking's checks in the spec's order (§8.6), with both calendars locked for the
    rest of `uow`; `release` as in `plan_booking`."""
    scope = found.at
    source = scope.address
    (await _current(uow, found.booking)).check_movable()
    target, target_doctor = await lock_move_target(uow, source, request)
    if release is not None:
        await uow.notifications.release_hold(release)
    booking = await _current(uow, found.booking)
    service = await uow.address_services.get(request.address_service_id)
    service = rules.check_move_target(booking, source, target, target_doctor, service)
    calendar = await uow.calendar.get(target.id)
    rules.require_bookable(calendar, scope.may_edit(target.facility_id))
    length = request.duration or booking.duration
    around = await _calendar_at(uow, target, request.start, length, ignore_booking_id=booking.id)
    canceled, draft = rules.move(
        booking, around, service, request.start, request.duration, scope.actor, now, scope.zone
    )
    return PlannedMove(booking, canceled, draft, service, target, target_doctor)


async def lock_move_target(
    uow: UnitOfWork, source: Address, request: MoveBooking
) -> tuple[Address, Doctor]:
    """The address a visit moves to (404 when unknown) and its doctor, with both calendars
    locked, always in the same order so that crossing moves cannot deadlock."""
    target = source
    if request.address_id is not None:
        other = await uow.directory.get_address(request.address_id)
        if other is None:
            raise errors.AddressDoesNotExist()
        target = other
    doctor = await uow.directory.get_doctor(target.doctor_id)
    assert doctor is not None
    for address_id in sorted({source.id, target.id}):
        await uow.calendar.lock_address(address_id)
    return target, doctor


async def _store(uow: UnitOfWork, change: rules.Changed[Booking]) -> Booking:
    """Save a changed visit with its events and commit."""
    await uow.bookings.save(change.value)
    uow.collect(change.events)
    await uow.commit()
    return change.value


async def _current(uow: UnitOfWork, seen: Booking) -> Booking:
    """The booking as it is now, under this transaction (it may have changed since the path
    was checked)."""
    booking = await uow.bookings.get(seen.id)
    if booking is None:
        raise errors.ObjectNotFound()
    return booking


async def _calendar_at(
    uow: UnitOfWork,
    address: Address,
    start: datetime,
    duration: int,
    *,
    ignore_booking_id: int | None = None,
) -> rules.AddressCalendar:
    end = start + timedelta(minutes=duration)
    found = await load_availability(
        uow, address.id, start, end, ignore_booking_id=ignore_booking_id
    )
    return rules.AddressCalendar(address, found.periods, found.busy)


async def _check_insurance(
    uow: UnitOfWork, address: Address, provider_id: int | None, plan_id: int | None
) -> tuple[str | None, str | None]:
    """The provider must be accepted at the address, the plan one of those accepted there.
    Returns the provider's and the plan's names, as the booking shows them."""
    if provider_id is None:
        if plan_id is not None:
            raise errors.FieldErrors(
                {"insurance_plan_id": ["A plan needs its insurance_provider_id."]}
            )
        return None, None
    linked = {p.id: p for p in await uow.insurance.address_providers(address.id)}
    if provider_id not in linked:
        raise errors.FieldErrors(
            {"insurance_provider_id": ["This insurance provider is not accepted at this address."]}
        )
    provider = linked[provider_id]
    if plan_id is None:
        return provider.name, None
    plan = next((p for p in provider.plans if p.id == plan_id), None)
    if plan is None:
        raise errors.FieldErrors(
            {"insurance_plan_id": ["This plan is not accepted at this address."]}
        )
    return provider.name, plan.name


async def _view(uow: UnitOfWork, booking: Booking, *, chain: bool = False) -> BookingView:
    service = (
        await uow.address_services.get(booking.address_service_id)
        if booking.address_service_id is not None
        else None
    )
    insurance_name = plan_name = None
    if booking.insurance_provider_id is not None:
        found = await uow.insurance.get_provider(booking.insurance_provider_id)
        insurance_name = found[0].name if found else None
        if booking.insurance_plan_id is not None:
            plans = await uow.insurance.plans(booking.insurance_provider_id)
            plan_name = next((p.name for p in plans if p.id == booking.insurance_plan_id), None)
    newest = None
    if chain and booking.origin_booking_id is not None:
        newest = await uow.bookings.newest_in_chain(booking.origin_booking_id)
    return BookingView(booking, service, insurance_name, plan_name, newest)


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how visits are matched to opinion requests."""
    return re.sub(r"\D", "", phone)
