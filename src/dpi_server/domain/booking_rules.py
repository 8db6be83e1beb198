"""Placing, moving and changing visits at an address, and the events each change raises
(behaviour.md §8.5-§8.6, §10, §11.1).

The use case loads an `AddressCalendar` (under the address lock) and hands it here with the
parsed request; these functions decide, in the spec's order of checks, and return the new
state with its events. Book and move share one set of guards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from dpi_server.domain import errors
from dpi_server.domain.actors import (
    Actor,
    IntegrationActor,
    PatientActor,
    author_value,
    origin_of,
)
from dpi_server.domain.bookings import (
    ABSENT,
    BOOKED,
    CONFIRMED_BY_ADMIN,
    CONFIRMED_BY_USER,
    PAYMENT_STATUSES,
    PRESENT,
    Booking,
    NewBooking,
    Patient,
)
from dpi_server.domain.calendar import BookingCheck, Interval, WorkPeriod, check_booking
from dpi_server.domain.calendar.records import Calendar
from dpi_server.domain.directory import Address, AddressService, Doctor
from dpi_server.domain.events import (
    BookingCanceled,
    BookingConfirmed,
    BookingMoved,
    BookingPaymentStatusChanged,
    Event,
    PresenceMarked,
    SlotBooked,
    at_booking,
)
from dpi_server.domain.timefmt import format_datetime

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Changed(Generic[T]):
    """A new state and the events its change raised."""

    value: T
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class AddressCalendar:
    """What is free and busy around the asked time at one address."""

    address: Address
    periods: list[WorkPeriod]
    busy: list[Interval]


@dataclass(frozen=True, slots=True)
class RequestedStart:
    """A slot start as asked for: `at` is None when the text was not a date-time; the text is
    kept because the 404 message repeats what was asked."""

    at: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class VisitDetails:
    """What the booker tells about the visit besides where and when."""

    patient: Patient
    comment: str | None = None
    label: str | None = None
    is_returning: bool = False
    is_recurring: bool = False
    insurance_provider_id: int | None = None
    insurance_plan_id: int | None = None
    visit_payment: bool = False


# The longest visit, in minutes. Every visit is made through `check_booking_duration`, so no
# stored visit is longer: storage relies on that to bound its overlap searches.
MAX_DURATION_MINUTES = 24 * 60


def duration_is_valid(duration: int) -> bool:
    return 1 <= duration <= MAX_DURATION_MINUTES


def check_booking_duration(duration: int) -> None:
    if not duration_is_valid(duration):
        raise errors.FieldErrors({"duration": ["This value should be between 1 and 1440."]})


def require_commercial(address: Address, doctor: Doctor | None) -> None:
    """Calendars run only for commercial doctors at premium/saas addresses (§8.1): 422."""
    if not address.is_commercial or (doctor is not None and not doctor.is_commercial):
        raise errors.NotCommercial(address.id)


def require_bookable(calendar: Calendar | None, may_edit: bool) -> None:
    """A disabled or missing calendar takes no visits; neither does a read-only client's
    address (as it may not cancel there either): 404 `Unable to book a visit for this address`."""
    if calendar is None or not calendar.enabled or not may_edit:
        raise errors.UnableToBookForAddress()


def require_fit(
    target: AddressCalendar,
    start: datetime,
    duration: int,
    service_id: int,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """The slot must be one getSlots lists, and the service must fit there for `duration`."""
    verdict = check_booking(target.periods, target.busy, start, duration, service_id, now)
    shown = format_datetime(start, zone)
    if verdict is BookingCheck.SLOT_NOT_FOUND:
        raise errors.UnableToPerformBookingWithSlot(shown)
    if verdict is BookingCheck.SERVICE_NOT_SUPPORTED:
        raise errors.UnableToPerformBookingWithService(shown, service_id)


def check_book_request(
    *,
    address: Address,
    doctor: Doctor,
    calendar: Calendar | None,
    may_edit: bool,
    service: AddressService | None,
    start: RequestedStart,
    duration: int,
) -> tuple[AddressService, datetime]:
    """bookSlot's checks before the calendar is read, in the spec's order (§8.5)."""
    check_booking_duration(duration)
    require_commercial(address, doctor)
    require_bookable(calendar, may_edit)
    if service is None or service.deleted_at is not None or service.address_id != address.id:
        raise errors.ServiceDoesNotExist()
    if start.at is None:
        raise errors.UnableToPerformBookingWithSlot(start.text)
    return service, start.at


def book(
    target: AddressCalendar,
    service: AddressService,
    start: datetime,
    duration: int,
    details: VisitDetails,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
) -> NewBooking:
    """The visit to store when the slot is free for this service and duration."""
    require_fit(target, start, duration, service.id, now, zone)
    return NewBooking(
        facility_id=target.address.facility_id,
        doctor_id=target.address.doctor_id,
        address_id=target.address.id,
        address_service_id=service.id,
        start=start,
        duration=duration,
        status=BOOKED,
        booked_by=author_value(actor),
        booked_at=now,
        patient=details.patient,
        signature=str(uuid.uuid4()),
        comment=details.comment,
        label=details.label,
        is_returning=details.is_returning,
        is_recurring=details.is_recurring,
        insurance_provider_id=details.insurance_provider_id,
        insurance_plan_id=details.insurance_plan_id,
        visit_payment=details.visit_payment or pays_online(target.address, actor),
        created_by_client_pk=_client_pk(actor),
    )


def pays_online(address: Address, actor: Actor) -> bool:
    """A patient booking on the marketplace at an address with online payment is sent to pay
    (behaviour.md §9 "Payments"); the doctor's and the API's bookings are not."""
    return isinstance(actor, PatientActor) and address.visit_payment


def booked(booking: Booking, actor: Actor, now: datetime) -> SlotBooked:
    return SlotBooked(context=at_booking(booking, origin_of(actor), now), booking=booking)


def cancel(booking: Booking, actor: Actor, now: datetime, reason: str | None) -> Changed[Booking]:
    canceled = booking.cancel(author_value(actor), now, reason)
    return Changed(
        canceled,
        (BookingCanceled(context=at_booking(canceled, origin_of(actor), now), booking=canceled),),
    )


def check_move_target(
    booking: Booking,
    source: Address,
    target: Address,
    target_doctor: Doctor,
    service: AddressService | None,
) -> AddressService:
    """moveBooking's checks that need no calendar (§8.6), in the spec's order."""
    booking.check_movable()
    if target.facility_id != source.facility_id:
        raise errors.BookingOutsideFacility()
    require_commercial(target, target_doctor)
    if service is None or service.deleted_at is not None:
        raise errors.ServiceDoesNotExistForMove()
    if service.address_id != target.id:
        raise errors.ServiceDoesNotBelongToAddress()
    if booking.holds_money() and target.payment_account != source.payment_account:
        raise errors.BookingCannotCrossPaymentAccounts()
    return service


def move(
    booking: Booking,
    target: AddressCalendar,
    service: AddressService,
    start: datetime,
    duration: int | None,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[Booking, NewBooking]:
    """The canceled original and its replacement (a new visit with a new signature and fresh
    confirmation and presence). `target.busy` must not count the moved visit itself; the
    caller has checked `require_bookable` on the target's calendar."""
    length = duration or booking.duration
    canceled = booking.cancel(author_value(actor), now)
    kept = VisitDetails(
        patient=booking.patient,
        comment=booking.comment,
        label=booking.label,
        is_returning=booking.is_returning,
        is_recurring=booking.is_recurring,
        insurance_provider_id=booking.insurance_provider_id,
        insurance_plan_id=booking.insurance_plan_id,
        visit_payment=booking.visit_payment,
    )
    draft = book(target, service, start, length, kept, actor, now, zone)
    replacement = replace(
        draft,
        booked_by=booking.booked_by,
        visit_payment_status=booking.visit_payment_status,
        origin_booking_id=booking.origin_booking_id or booking.id,
    )
    return canceled, replacement


def moved(old: Booking, new: Booking, actor: Actor, now: datetime) -> BookingMoved:
    return BookingMoved(
        context=at_booking(new, origin_of(actor), now), old_booking=old, new_booking=new
    )


def confirmer(actor: Actor, asked: str | None) -> str:
    """`confirmed_by` of a confirmation: an API client says who (§8.6); on the marketplace it
    is who acts, the patient (`user`) or the doctor's calendar (`admin`)."""
    if isinstance(actor, IntegrationActor) or asked:
        return asked or ""
    return CONFIRMED_BY_USER if isinstance(actor, PatientActor) else CONFIRMED_BY_ADMIN


def confirm(
    booking: Booking, confirmed_by: str | None, actor: Actor, now: datetime
) -> Changed[Booking]:
    confirmed = booking.confirm(confirmer(actor, confirmed_by), now)
    return Changed(
        confirmed,
        (
            BookingConfirmed(
                context=at_booking(confirmed, origin_of(actor), now), booking=confirmed
            ),
        ),
    )


def mark_presence(booking: Booking, present: bool, actor: Actor, now: datetime) -> Changed[Booking]:
    marked = booking.mark_presence(PRESENT if present else ABSENT, now)
    return Changed(
        marked,
        (
            PresenceMarked(
                context=at_booking(marked, origin_of(actor), now),
                booking=marked,
                presence="PRESENT" if present else "ABSENT",
            ),
        ),
    )


def change_payment_status(
    booking: Booking, status: str, actor: Actor, now: datetime
) -> Changed[Booking]:
    """A visit's online payment moved to `status` (one vocabulary, decisions.md "Bookings")."""
    if status not in PAYMENT_STATUSES:
        raise errors.FieldErrors(
            {"status": [f"The value must be one of: {', '.join(PAYMENT_STATUSES)}."]}
        )
    if not booking.visit_payment:
        raise errors.FieldErrors({"status": ["This visit is not paid online."]})
    if booking.visit_payment_status == status:
        return Changed(booking)
    changed = replace(booking, visit_payment_status=status)
    event = BookingPaymentStatusChanged(
        context=at_booking(changed, origin_of(actor), now),
        booking=changed,
        status_from=booking.visit_payment_status,
        status_to=status,
        changed_at=now,
    )
    return Changed(changed, (event,))


def _client_pk(actor: Actor) -> int | None:
    return actor.client_pk if isinstance(actor, IntegrationActor) else None
