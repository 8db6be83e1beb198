"""Domain events: what happened, recorded with the change in one transaction.

The notifications work turns each into the Docplanner notification of the same wire name
(behaviour.md §11.1). `origin_client_pk` is the API client whose call caused the event (None
for the marketplace side), so a client's own changes are not echoed back to it (decisions.md
"Notifications").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SLOT_BOOKED = "slot-booked"
BOOKING_CANCELED = "booking-canceled"
BOOKING_MOVED = "booking-moved"
BOOKING_CONFIRMED = "booking-confirmed"
BOOKING_PAYMENT_STATUS_CHANGED = "booking-payment-status-changed"
BREAK_CREATED = "break-created"
BREAK_MOVED = "break-moved"
BREAK_REMOVED = "break-removed"
PRESENCE_MARKED = "presence-marked"
ADDRESS_SERVICE_CREATED = "address-service-created"
ADDRESS_SERVICE_CHANGED = "address-service-changed"
ADDRESS_SERVICE_DELETED = "address-service-deleted"
ADDRESS_COMMERCIAL_TYPE_CHANGED = "address-commercial-type-changed"
ADDRESS_ASSIGNED = "address-assigned"
ADDRESS_UNASSIGNED = "address-unassigned"
# Real-time (synchronous) names; never stored as events, listed for completeness.
SLOT_BOOKING = "slot-booking"
BOOKING_MOVING = "booking-moving"

STORED_EVENT_NAMES = frozenset(
    {
        SLOT_BOOKED,
        BOOKING_CANCELED,
        BOOKING_MOVED,
        BOOKING_CONFIRMED,
        BOOKING_PAYMENT_STATUS_CHANGED,
        BREAK_CREATED,
        BREAK_MOVED,
        BREAK_REMOVED,
        PRESENCE_MARKED,
        ADDRESS_SERVICE_CREATED,
        ADDRESS_SERVICE_CHANGED,
        ADDRESS_SERVICE_DELETED,
        ADDRESS_COMMERCIAL_TYPE_CHANGED,
        ADDRESS_ASSIGNED,
        ADDRESS_UNASSIGNED,
    }
)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One state change. `payload` holds ids and values, never rendered JSON: rendering in
    the locale's zone is the notification layer's job."""

    name: str
    occurred_at: datetime
    facility_id: int
    doctor_id: int
    address_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    origin_client_pk: int | None = None

    def __post_init__(self) -> None:
        if self.name not in STORED_EVENT_NAMES:
            raise ValueError(f"unknown event name {self.name!r}")
