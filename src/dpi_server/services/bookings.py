"""Booking, reading, cancelling, moving, confirming and presence (behaviour.md §8.5-§8.6, §10)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from dpi_server.domain import errors, events
from dpi_server.domain.bookings import (
    ABSENT,
    BOOKED,
    BY_INTEGRATION,
    PRESENT,
    Booking,
    Patient,
    check_booking_duration,
    normalise_label,
)
from dpi_server.domain.calendar import BookingCheck, check_booking
from dpi_server.domain.directory import Address, AddressService
from dpi_server.domain.timefmt import format_datetime, parse_date_or_datetime, parse_datetime
from dpi_server.services.availability import (
    load_availability,
    parse_required_datetime,
    require_commercial,
)
from dpi_server.services.directory import ResolvedPath, parse_id, resolve_path
from dpi_server.services.ports import Clock
from dpi_server.services.principal import Principal
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory

Path = tuple[str, str, str]
MAX_PAGE_SIZE = 100
_PHONE = re.compile(r"^\+?[0-9]{9,15}$")


@dataclass(frozen=True, slots=True)
class BookRequest:
    address_service_id: str
    duration: int
    patient: Patient
    is_returning: bool = False
    is_recurring: bool = False
    comment: str | None = None
    label: str | None = None
    insurance_provider_id: str | None = None
    insurance_plan_id: str | None = None


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


def _booking_event(
    name: str, booking: Booking, principal: Principal, at: datetime, **extra: Any
) -> events.DomainEvent:
    return events.DomainEvent(
        name=name,
        occurred_at=at,
        facility_id=booking.facility_id,
        doctor_id=booking.doctor_id,
        address_id=booking.address_id,
        payload={"booking_id": booking.id, **extra},
        origin_client_pk=principal.client_pk,
    )


MAX_PAGE = 10**9


def _positive_int(name: str, value: str | None, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise errors.FieldErrors({name: ["This value should be a positive integer."]})
    if len(value) > 12 or int(value) > MAX_PAGE:
        # Keeps offsets inside 64-bit SQL integers.
        raise errors.FieldErrors({name: [f"This value should be {MAX_PAGE} or less."]})
    return int(value)


class BookingService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # --- helpers ----------------------------------------------------------------------------
    async def _view(self, uow: UnitOfWork, booking: Booking, *, chain: bool = False) -> BookingView:
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

    async def _load(
        self,
        uow: UnitOfWork,
        principal: Principal,
        path: Path,
        booking_id: str,
        *,
        include_deleted: bool = False,
    ) -> tuple[ResolvedPath, Booking]:
        """404 for an unknown booking, then the path's rules, then 403 when it lives elsewhere.

        A booking deleted on Docplanner's side is unknown, except where the spec gives it an
        answer of its own (`include_deleted`: confirm's 409 `Visit has been deleted`).
        """
        key = parse_id(booking_id)
        booking = await uow.bookings.get(key) if key is not None else None
        if booking is None or (booking.deleted_at is not None and not include_deleted):
            raise errors.ObjectNotFound()
        resolved = await resolve_path(uow, principal, *path)
        if booking.address_id != resolved.require_address().id:
            raise errors.BookingDoesNotBelongToAddress()
        return resolved, booking

    async def _insurance(
        self, uow: UnitOfWork, address: Address, provider: str | None, plan: str | None
    ) -> tuple[int | None, int | None]:
        if provider in (None, ""):
            if plan not in (None, ""):
                raise errors.FieldErrors(
                    {"insurance_plan_id": ["A plan needs its insurance_provider_id."]}
                )
            return None, None
        provider_id = parse_id(str(provider))
        linked = {p.id: p for p in await uow.insurance.address_providers(address.id)}
        if provider_id is None or provider_id not in linked:
            raise errors.FieldErrors(
                {
                    "insurance_provider_id": [
                        "This insurance provider is not accepted at this address."
                    ]
                }
            )
        if plan in (None, ""):
            return provider_id, None
        plan_id = parse_id(str(plan))
        if plan_id is None or plan_id not in {p.id for p in linked[provider_id].plans}:
            raise errors.FieldErrors(
                {"insurance_plan_id": ["This plan is not accepted at this address."]}
            )
        return provider_id, plan_id

    # --- book -------------------------------------------------------------------------------
    async def book(
        self, principal: Principal, path: Path, start_text: str, request: BookRequest
    ) -> BookingView:
        """bookSlot (§8.5): 200 with the booking, or the documented 404/422 cases."""
        zone = principal.locale.zone
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            check_booking_duration(request.duration)
            address = resolved.require_address()
            doctor = resolved.doctor
            assert doctor is not None
            require_commercial(address, doctor)
            await uow.calendar.lock_address(address.id)
            calendar = await uow.calendar.get(address.id)
            # A read-only client may not book, as it may not cancel (UnableToCancelForAddress).
            if (
                calendar is None
                or not calendar.enabled
                or not resolved.estate.may_edit(address.facility_id)
            ):
                raise errors.UnableToBookForAddress()
            service_key = parse_id(request.address_service_id)
            service = await uow.address_services.get(service_key) if service_key else None
            if (
                service is None
                or service.deleted_at is not None
                or service.address_id != address.id
            ):
                raise errors.ServiceDoesNotExist()
            start = parse_datetime(start_text)
            if start is None:
                raise errors.UnableToPerformBookingWithSlot(start_text)
            shown = format_datetime(start, zone)
            provider_id, plan_id = await self._insurance(
                uow, address, request.insurance_provider_id, request.insurance_plan_id
            )
            now = self._clock.now()
            end = start + timedelta(minutes=request.duration)
            availability = await load_availability(uow, address.id, start, end)
            verdict = check_booking(
                availability.periods, availability.busy, start, request.duration, service.id, now
            )
            if verdict is BookingCheck.SLOT_NOT_FOUND:
                raise errors.UnableToPerformBookingWithSlot(shown)
            if verdict is BookingCheck.SERVICE_NOT_SUPPORTED:
                raise errors.UnableToPerformBookingWithService(shown, service.id)
            booking = await uow.bookings.add(
                Booking(
                    id=0,
                    facility_id=address.facility_id,
                    doctor_id=doctor.id,
                    address_id=address.id,
                    address_service_id=service.id,
                    start=start,
                    duration=request.duration,
                    status=BOOKED,
                    booked_by=BY_INTEGRATION,
                    booked_at=now,
                    patient=request.patient,
                    signature=str(uuid.uuid4()),
                    comment=request.comment,
                    label=normalise_label(request.label),
                    is_returning=request.is_returning,
                    is_recurring=request.is_recurring,
                    insurance_provider_id=provider_id,
                    insurance_plan_id=plan_id,
                    created_by_client_pk=principal.client_pk,
                )
            )
            await uow.events.add(_booking_event(events.SLOT_BOOKED, booking, principal, now))
            view = await self._view(uow, booking, chain=True)
            await uow.commit()
        return view

    # --- read -------------------------------------------------------------------------------
    async def list(
        self,
        principal: Principal,
        path: Path,
        start: str | None,
        end: str | None,
        page: str | None,
        limit: str | None,
    ) -> BookingPage:
        """getBookings: bookings starting in [start, end); paginated only when `page` is given."""
        async with self._uow() as uow:
            resolved = await resolve_path(uow, principal, *path)
            window_start = parse_required_datetime("start", start)
            window_end = parse_required_datetime("end", end)
            if window_end <= window_start:
                raise errors.FieldErrors({"end": ["The end date must be after the start date."]})
            page_no = _positive_int("page", page, None)
            size = _positive_int("limit", limit, MAX_PAGE_SIZE if page_no is not None else None)
            if size is not None and size > MAX_PAGE_SIZE:
                raise errors.FieldErrors(
                    {"limit": [f"This value should be {MAX_PAGE_SIZE} or less."]}
                )
            if page_no is None:
                size = None
            offset = (page_no - 1) * size if page_no is not None and size is not None else None
            found, total = await uow.bookings.list_between(
                resolved.require_address().id, window_start, window_end, offset, size
            )
            views = [await self._view(uow, b) for b in found]
        return BookingPage(views, total, page_no, size)

    async def get(self, principal: Principal, path: Path, booking_id: str) -> BookingView:
        async with self._uow() as uow:
            _, booking = await self._load(uow, principal, path, booking_id)
            return await self._view(uow, booking, chain=True)

    # --- change -----------------------------------------------------------------------------
    async def cancel(
        self, principal: Principal, path: Path, booking_id: str, reason: str | None
    ) -> None:
        """cancelBooking: 204; 400 when the visit is not booked (§8.6)."""
        async with self._uow(write=True) as uow:
            resolved, booking = await self._load(uow, principal, path, booking_id)
            if not resolved.estate.may_edit(booking.facility_id):
                raise errors.UnableToCancelForAddress()
            await uow.calendar.lock_address(booking.address_id)
            now = self._clock.now()
            canceled = booking.cancel(BY_INTEGRATION, now, reason)
            await uow.bookings.save(canceled)
            await uow.events.add(_booking_event(events.BOOKING_CANCELED, canceled, principal, now))
            await uow.commit()

    async def move(
        self,
        principal: Principal,
        path: Path,
        booking_id: str,
        *,
        address_service_id: str,
        start: str,
        duration: int | None,
        address_id: str | None,
    ) -> BookingView:
        """moveBooking (§8.6): cancel and re-create with a new id at the target."""
        zone = principal.locale.zone
        async with self._uow(write=True) as uow:
            resolved, booking = await self._load(uow, principal, path, booking_id)
            new_start = parse_required_datetime("start", start)
            if duration is not None:
                check_booking_duration(duration)
            source = resolved.require_address()
            booking.check_movable()
            target = source
            if address_id not in (None, ""):
                key = parse_id(str(address_id))
                found = await uow.directory.get_address(key) if key is not None else None
                if found is None:
                    raise errors.AddressDoesNotExist()
                if found.facility_id != source.facility_id:
                    raise errors.BookingOutsideFacility()
                target = found
            target_doctor = await uow.directory.get_doctor(target.doctor_id)
            assert target_doctor is not None
            require_commercial(target, target_doctor)
            service_key = parse_id(address_service_id)
            service = await uow.address_services.get(service_key) if service_key else None
            if service is None or service.deleted_at is not None:
                raise errors.ServiceDoesNotExistForMove()
            if service.address_id != target.id:
                raise errors.ServiceDoesNotBelongToAddress()
            if booking.holds_money() and target.payment_account != source.payment_account:
                raise errors.BookingCannotCrossPaymentAccounts()
            for address in sorted({source.id, target.id}):
                await uow.calendar.lock_address(address)
            calendar = await uow.calendar.get(target.id)
            if (
                calendar is None
                or not calendar.enabled
                or not resolved.estate.may_edit(target.facility_id)
            ):
                raise errors.UnableToBookForAddress()
            length = duration or booking.duration
            end = new_start + timedelta(minutes=length)
            availability = await load_availability(
                uow, target.id, new_start, end, ignore_booking_id=booking.id
            )
            now = self._clock.now()
            shown = format_datetime(new_start, zone)
            verdict = check_booking(
                availability.periods, availability.busy, new_start, length, service.id, now
            )
            if verdict is BookingCheck.SLOT_NOT_FOUND:
                raise errors.UnableToPerformBookingWithSlot(shown)
            if verdict is BookingCheck.SERVICE_NOT_SUPPORTED:
                raise errors.UnableToPerformBookingWithService(shown, service.id)
            canceled = booking.cancel(BY_INTEGRATION, now)
            await uow.bookings.save(canceled)
            created = await uow.bookings.add(
                replace(
                    booking,
                    id=0,
                    facility_id=target.facility_id,
                    doctor_id=target.doctor_id,
                    address_id=target.id,
                    address_service_id=service.id,
                    start=new_start,
                    duration=length,
                    booked_at=now,
                    signature=str(uuid.uuid4()),
                    confirmed=False,
                    confirmed_by=None,
                    confirmed_at=None,
                    presence=None,
                    moved_to_id=None,
                    created_by_client_pk=principal.client_pk,
                )
            )
            await uow.bookings.save(replace(canceled, moved_to_id=created.id))
            await uow.events.add(
                _booking_event(
                    events.BOOKING_MOVED, created, principal, now, old_booking_id=booking.id
                )
            )
            view = await self._view(uow, created, chain=True)
            await uow.commit()
        return view

    async def confirm(
        self, principal: Principal, path: Path, booking_id: str, confirmed_by: str | None
    ) -> None:
        """confirmBooking: 204; 400 bad confirmed_by, the four 409s (§8.6)."""
        async with self._uow(write=True) as uow:
            resolved, booking = await self._load(
                uow, principal, path, booking_id, include_deleted=True
            )
            if not resolved.estate.may_edit(booking.facility_id):
                raise errors.ConfirmBookingInvalidIntegration()
            now = self._clock.now()
            confirmed = booking.confirm(confirmed_by or "", now)
            await uow.bookings.save(confirmed)
            await uow.events.add(
                _booking_event(
                    events.BOOKING_CONFIRMED, confirmed, principal, now, confirmed_by=confirmed_by
                )
            )
            await uow.commit()

    async def mark_presence(
        self, principal: Principal, path: Path, booking_id: str, present: bool
    ) -> None:
        """Presence (§10): 204; 404 other doctor's visit, 409 canceled, 400 future."""
        async with self._uow(write=True) as uow:
            key = parse_id(booking_id)
            booking = await uow.bookings.get(key) if key is not None else None
            if booking is None:
                raise errors.ObjectNotFound()
            resolved = await resolve_path(uow, principal, *path)
            assert resolved.doctor is not None
            if booking.doctor_id != resolved.doctor.id:
                raise errors.VisitDoesNotBelongToDoctor()
            if booking.address_id != resolved.require_address().id:
                raise errors.BookingDoesNotBelongToAddress()
            now = self._clock.now()
            marked = booking.mark_presence(PRESENT if present else ABSENT, now)
            await uow.bookings.save(marked)
            await uow.events.add(
                _booking_event(
                    events.PRESENCE_MARKED,
                    marked,
                    principal,
                    now,
                    presence="PRESENT" if present else "ABSENT",
                )
            )
            await uow.commit()

    async def request_opinion(
        self, principal: Principal, facility_id: str, doctor_id: str, phone: str | None
    ) -> None:
        """requestOpinion (§8.6): matched on the patient's phone among this doctor's visits."""
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, facility_id, doctor_id)
            assert resolved.doctor is not None
            number = re.sub(r"[\s\-()]", "", phone or "")
            if not _PHONE.match(number):
                raise errors.OpinionRequestValidationError()
            # Matched on digits alone: "+48 123 123 123" and 48123123123 (the OAS example's
            # spelling) name the same patient.
            visits = await uow.bookings.visits_by_phone(
                resolved.facility.id, resolved.doctor.id, phone_digits(number)
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


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how visits are matched to opinion requests."""
    return re.sub(r"\D", "", phone)


def birth_date_of(value: str | None, zone: Any) -> date | None:
    """`birth_date` as `YYYY-MM-DD` or a full date-time (the PHP SDK's quirk, wire.md §1.6)."""
    if value is None or value == "":
        return None
    parsed = parse_date_or_datetime(value, zone)
    if parsed is None:
        raise errors.FieldErrors({"patient.birth_date": ["This value is not a valid date."]})
    return parsed
