"""Domain events: one frozen dataclass per stored notification type (behaviour.md §11.1).

Aggregates and domain operations raise them; the unit of work collects them and writes them
in the same transaction as the change (`domain/event_codec.py` is their one serializer). The
notifications work renders each into the Docplanner notification of the same wire `NAME`, in
the locale's zone. Events carry snapshots of what changed (the booking before and after a
move, the break, the address service), so a notification tells what happened then, not what
the database holds when it is delivered.

`origin` records the actor: a change made through the API by one client is not echoed back
to that client (decisions.md "Notifications").

The two real-time calls (`slot-booking`, `booking-moving`) are not events: they are asked
before a change happens and are never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from dpi_server.domain.actors import Origin
from dpi_server.domain.bookings import Booking
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import Address, AddressService

SLOT_BOOKING = "slot-booking"
BOOKING_MOVING = "booking-moving"


@dataclass(frozen=True, slots=True)
class EventContext:
    """What every event knows: when, where (facility, doctor, address) and who caused it."""

    occurred_at: datetime
    facility_id: int
    doctor_id: int
    address_id: int
    origin: Origin


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    NAME: ClassVar[str] = ""

    context: EventContext

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def facility_id(self) -> int:
        return self.context.facility_id

    @property
    def address_id(self) -> int:
        return self.context.address_id

    @property
    def origin(self) -> Origin:
        return self.context.origin


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotBooked(Event):
    NAME: ClassVar[str] = "slot-booked"
    booking: Booking


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingCanceled(Event):
    NAME: ClassVar[str] = "booking-canceled"
    booking: Booking


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingMoved(Event):
    """`old_booking` is the canceled original, `new_booking` its replacement (new id).

    The event lives where the visit is now: the new booking's address, which may be another
    address of the same facility."""

    NAME: ClassVar[str] = "booking-moved"
    old_booking: Booking
    new_booking: Booking


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingConfirmed(Event):
    NAME: ClassVar[str] = "booking-confirmed"
    booking: Booking


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingPaymentStatusChanged(Event):
    NAME: ClassVar[str] = "booking-payment-status-changed"
    booking: Booking
    status_from: str | None
    status_to: str
    changed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceMarked(Event):
    NAME: ClassVar[str] = "presence-marked"
    booking: Booking
    presence: str  # upper case on the wire: PRESENT or ABSENT


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakCreated(Event):
    NAME: ClassVar[str] = "break-created"
    calendar_break: CalendarBreak


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakMoved(Event):
    NAME: ClassVar[str] = "break-moved"
    calendar_break: CalendarBreak


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakRemoved(Event):
    NAME: ClassVar[str] = "break-removed"
    calendar_break: CalendarBreak


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressServiceCreated(Event):
    NAME: ClassVar[str] = "address-service-created"
    address_service: AddressService


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressServiceChanged(Event):
    NAME: ClassVar[str] = "address-service-changed"
    address_service: AddressService


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressServiceDeleted(Event):
    NAME: ClassVar[str] = "address-service-deleted"
    address_service: AddressService


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressCommercialTypeChanged(Event):
    NAME: ClassVar[str] = "address-commercial-type-changed"
    address: Address


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressAssigned(Event):
    NAME: ClassVar[str] = "address-assigned"
    address: Address


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressUnassigned(Event):
    NAME: ClassVar[str] = "address-unassigned"
    address: Address


EVENT_TYPES: tuple[type[Event], ...] = (
    SlotBooked,
    BookingCanceled,
    BookingMoved,
    BookingConfirmed,
    BookingPaymentStatusChanged,
    PresenceMarked,
    BreakCreated,
    BreakMoved,
    BreakRemoved,
    AddressServiceCreated,
    AddressServiceChanged,
    AddressServiceDeleted,
    AddressCommercialTypeChanged,
    AddressAssigned,
    AddressUnassigned,
)
EVENT_BY_NAME: dict[str, type[Event]] = {t.NAME: t for t in EVENT_TYPES}
STORED_EVENT_NAMES = frozenset(EVENT_BY_NAME)


def at_booking(booking: Booking, origin: Origin, at: datetime) -> EventContext:
    """The where-and-who of an event about `booking`."""
    return EventContext(at, booking.facility_id, booking.doctor_id, booking.address_id, origin)


def at_address(address: Address, origin: Origin, at: datetime) -> EventContext:
    """The where-and-who of an event about something of `address`."""
    return EventContext(at, address.facility_id, address.doctor_id, address.id, origin)
