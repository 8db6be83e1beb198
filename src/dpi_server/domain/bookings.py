"""Bookings (visits) and the rules of their lifecycle (behaviour.md §8.5-§8.6, §10)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

from dpi_server.domain import errors

BOOKED = "booked"
CANCELED = "canceled"
CONFIRMED_BY_USER = "user"
CONFIRMED_BY_ADMIN = "admin"
CONFIRMERS = (CONFIRMED_BY_USER, CONFIRMED_BY_ADMIN)
PRESENT = "present"
ABSENT = "absent"
# Payments that no longer hold money (behaviour.md §8.6: they do not block a move).
RELEASED_PAYMENT_STATUSES = frozenset({"refunded", "charged_back"})
PAYMENT_STATUSES = ("paid", "waiting_for_confirmation", "not-paid", "refunded", "charged_back")
# A visit paid online that is still unpaid this long after booking is canceled
# (decisions.md "Bookings"); "unpaid" is no status yet or `not-paid` (docs/decisions.md).
UNPAID_GRACE = timedelta(minutes=90)
UNPAID_STATUSES = frozenset({None, "not-paid"})


@dataclass(frozen=True, slots=True)
class Patient:
    name: str
    phone: str
    surname: str | None = None
    email: str | None = None
    birth_date: date | None = None
    nin: str | None = None
    gender: str | None = None
    insurance_number: str | None = None
    marketing_consent: bool | None = None
    data_privacy_consent: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewBooking:
    """A visit about to be stored: everything but the id, which storage assigns."""

    facility_id: int
    doctor_id: int
    address_id: int
    address_service_id: int | None
    start: datetime
    duration: int
    status: str
    booked_by: str
    booked_at: datetime
    patient: Patient
    signature: str
    canceled_by: str = ""
    canceled_at: datetime | None = None
    cancel_reason: str | None = None
    comment: str | None = None
    label: str | None = None
    is_returning: bool = False
    is_recurring: bool = False
    insurance_provider_id: int | None = None
    insurance_plan_id: int | None = None
    presence: str | None = None
    confirmed: bool = False
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    origin_booking_id: int | None = None
    moved_to_id: int | None = None
    visit_payment: bool = False
    visit_payment_status: str | None = None
    deleted_at: datetime | None = None
    created_by_client_pk: int | None = None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration)

    def stored_as(self, booking_id: int) -> Booking:
        values = {f.name: getattr(self, f.name) for f in fields(NewBooking)}
        return Booking(id=booking_id, **values)


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking(NewBooking):
    id: int

    @property
    def is_booked(self) -> bool:
        return self.status == BOOKED and self.deleted_at is None

    def cancel(self, by: str, at: datetime, reason: str | None = None) -> Booking:
        """Cancel a booked visit; anything else is the documented 400."""
        if not self.is_booked:
            raise errors.BookingNotBooked(self.id)
        return replace(self, status=CANCELED, canceled_by=by, canceled_at=at, cancel_reason=reason)

    def awaits_payment(self) -> bool:
        """Booked, to be paid online, and not paid (nor on the way to being) yet."""
        return (
            self.is_booked and self.visit_payment and self.visit_payment_status in UNPAID_STATUSES
        )

    def check_movable(self) -> None:
        """A move cancels this visit and creates a new one; only a booked visit moves once."""
        if not self.is_booked or self.moved_to_id is not None:
            raise errors.VisitAlreadyMovedOrDeleted()

    def holds_money(self) -> bool:
        return (
            self.visit_payment
            and self.visit_payment_status is not None
            and self.visit_payment_status not in RELEASED_PAYMENT_STATUSES
        )

    def confirm(self, confirmed_by: str, now: datetime) -> Booking:
        """The four 409 cases of confirmBooking (behaviour.md §8.6), in the spec's order."""
        if confirmed_by not in CONFIRMERS:
            raise errors.ConfirmBookingValidationError()
        if self.deleted_at is not None:
            raise errors.VisitDeleted()
        if self.status == CANCELED:
            raise errors.VisitCanceled()
        if self.confirmed:
            raise errors.VisitAlreadyConfirmed()
        if self.start <= now:
            raise errors.VisitInThePast()
        return replace(self, confirmed=True, confirmed_by=confirmed_by, confirmed_at=now)

    def mark_presence(self, presence: str, now: datetime) -> Booking:
        """Presence is for visits that have started and were not canceled (behaviour.md §10)."""
        if self.status == CANCELED or self.deleted_at is not None:
            raise errors.VisitMarkedAsCanceled()
        if self.start > now:
            raise errors.VisitInTheFuture()
        return replace(self, presence=presence)


def normalise_label(label: str | None) -> str | None:
    """The PHP SDK sends `"label": "null"` by default; that means no label (wire.md §1.6)."""
    if label is None or label == "null":
        return None
    return label
