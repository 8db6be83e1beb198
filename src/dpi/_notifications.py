"""The notification envelope `{name, data, created_at}` and its 17 event types
(behaviour.md §11.1, wire.md §3.5), pulled or pushed alike.

`parse_notification` turns a body into the model of its `name`. A name this SDK does not know
becomes an `UnknownNotification` that keeps the raw `data`: a pulled notification is already
consumed on the server, so a new event type must never make a consumer throw it away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx
from pydantic import AwareDatetime, Field

from dpi._models import (
    Address,
    AddressService,
    BookingBase,
    BookingInsurance,
    BookingPatient,
    Doctor,
    Facility,
    Model,
)


class NotificationInsurance(BookingInsurance):
    """The insurance of a notified booking; older payloads named the id
    `insurance_provider_id` (wire.md §3.5), newer ones `id`: both are read into `id`."""

    insurance_provider_id: str | None = None

    def model_post_init(self, context: Any, /) -> None:
        if self.id is None:
            self.id = self.insurance_provider_id


class VisitBooking(BookingBase):
    """A booking as notifications show it (BookingNotification): with `signature`, an opaque
    per-visit id, and without presence or moving data."""

    id: str | None = None
    address_service: AddressService | None = None
    patient: BookingPatient | None = None
    signature: str | None = None
    insurance: NotificationInsurance | None = None


class VisitBookingRequest(Model):
    """A booking that does not exist yet (real-time `slot-booking`, `booking-moving`)."""

    booking_at: AwareDatetime | None = None
    booking_by: str | None = None
    duration: int | None = None
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None
    address_service: AddressService | None = None
    patient: BookingPatient | None = None
    signature: str | None = None
    comment: str | None = None
    visit_payment: bool | None = None


class NotificationBreak(Model):
    """The break of `break-created`, `break-moved` and `break-removed`."""

    id: str | None = None
    since: AwareDatetime | None = None
    till: AwareDatetime | None = None


class PaymentStatusChange(Model):
    """`visit_payment_status` of `booking-payment-status-changed`."""

    status_from: str | None = None
    status_to: str | None = None
    changed_at: AwareDatetime | None = None


class NotificationData(Model):
    """What every notification's `data` holds: where the event happened."""

    facility: Facility | None = None
    doctor: Doctor | None = None
    address: Address | None = None


class SlotBookingData(NotificationData):
    """`data` of `slot-booking`."""

    visit_booking_request: VisitBookingRequest | None = None


class VisitBookingData(NotificationData):
    """`data` of `slot-booked`, `booking-canceled` and `booking-confirmed`."""

    visit_booking: VisitBooking | None = None


class BookingMovedData(NotificationData):
    """`data` of `booking-moved`: the canceled original and its replacement (a new id)."""

    old_visit_booking: VisitBooking | None = None
    new_visit_booking: VisitBooking | None = None


class BookingMovingData(NotificationData):
    """`data` of the real-time `booking-moving`."""

    canceling_booking: VisitBooking | None = None
    creating_booking: VisitBookingRequest | None = None


class PaymentStatusChangedData(NotificationData):
    """`data` of `booking-payment-status-changed`."""

    visit_booking: VisitBooking | None = None
    visit_payment_status: PaymentStatusChange | None = None


class BreakData(NotificationData):
    """`data` of the break events; `break` is a keyword in Python, hence `break_`."""

    break_: NotificationBreak | None = Field(default=None, alias="break")


class PresenceMarkedData(NotificationData):
    """`data` of `presence-marked`; `presence` is upper case here: `PRESENT` or `ABSENT`."""

    visit_booking: VisitBooking | None = None
    presence: str | None = None


class AddressServiceData(NotificationData):
    """`data` of the `address-service-*` events."""

    address_service: AddressService | None = None


class BaseNotification(Model):
    """Fields every notification has. `name` is the wire name of the event."""

    name: str
    created_at: AwareDatetime | None = None
    realtime: ClassVar[bool] = False


class SlotBookingNotification(BaseNotification):
    """Real-time: a patient is about to book; answer allow or deny (see `WebhookApp`)."""

    name: Literal["slot-booking"] = "slot-booking"
    data: SlotBookingData
    realtime: ClassVar[bool] = True


class SlotBookedNotification(BaseNotification):
    """A visit was booked by a patient or by the doctor."""

    name: Literal["slot-booked"] = "slot-booked"
    data: VisitBookingData


class BookingCanceledNotification(BaseNotification):
    """A visit was canceled (also the automatic cancel of an unpaid one)."""

    name: Literal["booking-canceled"] = "booking-canceled"
    data: VisitBookingData


class BookingMovedNotification(BaseNotification):
    """A visit moved: the old booking is canceled and a new one (new id) created."""

    name: Literal["booking-moved"] = "booking-moved"
    data: BookingMovedData


class BookingMovingNotification(BaseNotification):
    """Real-time: a patient is about to move a visit; answer allow or deny."""

    name: Literal["booking-moving"] = "booking-moving"
    data: BookingMovingData
    realtime: ClassVar[bool] = True


class BookingConfirmedNotification(BaseNotification):
    """The patient or the doctor confirmed a visit."""

    name: Literal["booking-confirmed"] = "booking-confirmed"
    data: VisitBookingData


class BookingPaymentStatusChangedNotification(BaseNotification):
    """A visit's payment status changed."""

    name: Literal["booking-payment-status-changed"] = "booking-payment-status-changed"
    data: PaymentStatusChangedData


class BreakCreatedNotification(BaseNotification):
    """The doctor added a break."""

    name: Literal["break-created"] = "break-created"
    data: BreakData


class BreakMovedNotification(BaseNotification):
    """The doctor changed a break's dates."""

    name: Literal["break-moved"] = "break-moved"
    data: BreakData


class BreakRemovedNotification(BaseNotification):
    """The doctor deleted a break."""

    name: Literal["break-removed"] = "break-removed"
    data: BreakData


class PresenceMarkedNotification(BaseNotification):
    """The doctor or the patient marked presence."""

    name: Literal["presence-marked"] = "presence-marked"
    data: PresenceMarkedData


class AddressServiceCreatedNotification(BaseNotification):
    """An address service was created."""

    name: Literal["address-service-created"] = "address-service-created"
    data: AddressServiceData


class AddressServiceChangedNotification(BaseNotification):
    """An address service was changed."""

    name: Literal["address-service-changed"] = "address-service-changed"
    data: AddressServiceData


class AddressServiceDeletedNotification(BaseNotification):
    """An address service was deleted."""

    name: Literal["address-service-deleted"] = "address-service-deleted"
    data: AddressServiceData


class AddressCommercialTypeChangedNotification(BaseNotification):
    """An address's commercial type changed (`data.address.commercial_type`)."""

    name: Literal["address-commercial-type-changed"] = "address-commercial-type-changed"
    data: NotificationData


class AddressAssignedNotification(BaseNotification):
    """An address was assigned to the doctor."""

    name: Literal["address-assigned"] = "address-assigned"
    data: NotificationData


class AddressUnassignedNotification(BaseNotification):
    """An address was unassigned from the doctor."""

    name: Literal["address-unassigned"] = "address-unassigned"
    data: NotificationData


class UnknownNotification(BaseNotification):
    """An event this SDK does not know (or whose `data` it could not read): `data` is the raw
    JSON object, kept so that nothing already consumed is lost."""

    data: dict[str, Any] = Field(default_factory=dict)


Notification = (
    SlotBookingNotification
    | SlotBookedNotification
    | BookingCanceledNotification
    | BookingMovedNotification
    | BookingMovingNotification
    | BookingConfirmedNotification
    | BookingPaymentStatusChangedNotification
    | BreakCreatedNotification
    | BreakMovedNotification
    | BreakRemovedNotification
    | PresenceMarkedNotification
    | AddressServiceCreatedNotification
    | AddressServiceChangedNotification
    | AddressServiceDeletedNotification
    | AddressCommercialTypeChangedNotification
    | AddressAssignedNotification
    | AddressUnassignedNotification
    | UnknownNotification
)
"""Any notification: one of the 17 event models, or `UnknownNotification`."""

NOTIFICATION_TYPES: Mapping[str, type[BaseNotification]] = {
    cls.model_fields["name"].default: cls
    for cls in (
        SlotBookingNotification,
        SlotBookedNotification,
        BookingCanceledNotification,
        BookingMovedNotification,
        BookingMovingNotification,
        BookingConfirmedNotification,
        BookingPaymentStatusChangedNotification,
        BreakCreatedNotification,
        BreakMovedNotification,
        BreakRemovedNotification,
        PresenceMarkedNotification,
        AddressServiceCreatedNotification,
        AddressServiceChangedNotification,
        AddressServiceDeletedNotification,
        AddressCommercialTypeChangedNotification,
        AddressAssignedNotification,
        AddressUnassignedNotification,
    )
}
"""The model of each known event name."""


class NotificationBatch(Model):
    """The answer of `notifications.pull_many`: the notifications, oldest first, and how many
    are still queued."""

    notifications: list[Notification]
    remaining: int = 0

    @classmethod
    def from_response(cls, response: httpx.Response) -> NotificationBatch:
        """Read a pullMultipleNotification answer; no item can make it fail."""
        body = response.json()
        if not isinstance(body, Mapping):
            raise ValueError("a batch is a JSON object")
        items = body.get("notifications") or []
        return cls(
            notifications=[parse_pulled(item) for item in items],
            remaining=int(body.get("remaining") or 0),
        )


class HandlerFailed(Exception):
    """A consumer's handler raised (the original error is `__cause__`).

    Attributes:
        notification: the notification the handler failed on.
        unhandled: the rest of its batch, oldest first. They were pulled, so the server will
            not serve them again: keep them (or handle them) before pulling on.
    """

    def __init__(self, notification: Notification, unhandled: list[Notification]) -> None:
        self.notification = notification
        self.unhandled = unhandled
        super().__init__(
            f"handler failed on {notification.name!r}; {len(unhandled)} more left unhandled"
        )


def parse_notification(body: bytes | str | Mapping[str, Any]) -> Notification:
    """The typed model of one notification: a push body (bytes or text) or a decoded object.

    Raises `ValueError` only when `body` is not a JSON object with a string `name`; a known
    name whose `data` does not fit its model is returned as an `UnknownNotification`.
    """
    raw: Any = json.loads(body) if isinstance(body, bytes | str) else body
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise ValueError("a notification is a JSON object with a string `name`")
    model = NOTIFICATION_TYPES.get(raw["name"])
    if model is not None:
        try:
            return model.model_validate(raw)  # type: ignore[return-value]
        except ValueError:
            pass  # a payload that drifted from its schema is still worth keeping
    return _unknown(raw)


def _unknown(raw: Mapping[str, Any]) -> UnknownNotification:
    """Keep whatever can be kept: the name, the data object, the time when it is readable."""
    data = raw.get("data")
    kept = {
        "name": str(raw.get("name", "")),
        "data": dict(data) if isinstance(data, Mapping) else {},
    }
    try:
        return UnknownNotification.model_validate({**kept, "created_at": raw.get("created_at")})
    except ValueError:
        return UnknownNotification.model_validate(kept)


def parse_pulled(raw: Any) -> Notification:
    """`parse_notification` for what the pull queue answered: it never raises, since the
    server has already consumed the notification; anything unreadable is kept as unknown."""
    try:
        return parse_notification(raw)
    except ValueError:
        return _unknown(raw if isinstance(raw, Mapping) else {"data": {"raw": raw}})
