"""Rendering events into Docplanner notifications: `{name, data, created_at}` with the
facility, doctor and address blocks and each type's own keys (behaviour.md §11.1, wire.md
§3.5 and §4.2). Ids are strings; date-times are ATOM in the locale's zone.

The booking, break, address service and address come from the event's snapshots, so a copy
tells what happened when it happened; names that a snapshot does not carry (the facility's,
the doctor's, the address service's and the insurance's) come from a `Directory` read in the
transaction of the change. The JSON Schemas in `dpi_server/notification_schemas/` describe
every shape produced here; the tests validate each emitted payload against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from dpi_server.domain.bookings import Booking, NewBooking, Patient
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import Address, AddressService, Doctor, Facility
from dpi_server.domain.events import (
    BOOKING_MOVING,
    SLOT_BOOKING,
    AddressAssigned,
    AddressCommercialTypeChanged,
    AddressServiceChanged,
    AddressServiceCreated,
    AddressServiceDeleted,
    AddressUnassigned,
    BookingCanceled,
    BookingConfirmed,
    BookingMoved,
    BookingPaymentStatusChanged,
    BreakCreated,
    BreakMoved,
    BreakRemoved,
    Event,
    PresenceMarked,
    SlotBooked,
)
from dpi_server.domain.timefmt import format_datetime

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Directory:
    """Names the snapshots do not carry, as the directory held them at the change."""

    facility: Facility
    doctor: Doctor
    address: Address
    zone: tzinfo
    address_services: dict[int, AddressService] = field(default_factory=dict)
    insurance_names: dict[int, str] = field(default_factory=dict)
    plan_names: dict[int, str] = field(default_factory=dict)


def render(event: Event, directory: Directory) -> Json:
    """The notification of a stored event."""
    address = event.address if isinstance(event, _ADDRESS_EVENTS) else directory.address
    data = _blocks(directory, address, with_commercial_type=isinstance(event, _ADDRESS_EVENTS))
    data.update(_specific(event, directory))
    return envelope(event.NAME, data, event.context.occurred_at, directory.zone)


def envelope(name: str, data: Json, created_at: datetime, zone: tzinfo) -> Json:
    return {"name": name, "data": data, "created_at": format_datetime(created_at, zone)}


def to_body(notification: Json) -> str:
    """The JSON text sent and stored: compact, UTF-8, as real clients receive it."""
    return json.dumps(notification, ensure_ascii=False, separators=(",", ":"))


def slot_booking(request: NewBooking, directory: Directory, at: datetime) -> Json:
    """The real-time `slot-booking` call: a visit about to be booked (behaviour.md §12)."""
    data = _blocks(directory, directory.address)
    data["visit_booking_request"] = _request(request, directory)
    return envelope(SLOT_BOOKING, data, at, directory.zone)


def booking_moving(
    current: Booking, request: NewBooking, directory: Directory, at: datetime
) -> Json:
    """The real-time `booking-moving` call: `current` is about to become `request`."""
    data = _blocks(directory, directory.address)
    data["canceling_booking"] = _booking(current, directory)
    data["creating_booking"] = _request(request, directory)
    return envelope(BOOKING_MOVING, data, at, directory.zone)


_ADDRESS_EVENTS = (AddressCommercialTypeChanged, AddressAssigned, AddressUnassigned)


def _blocks(directory: Directory, address: Address, *, with_commercial_type: bool = False) -> Json:
    facility, doctor = directory.facility, directory.doctor
    block: Json = {
        "id": str(address.id),
        "name": address.name,
        "street": address.street,
        "post_code": address.post_code,
    }
    if with_commercial_type:
        block["commercial_type"] = address.commercial_type
    return {
        "facility": {"id": str(facility.id), "name": facility.name},
        "doctor": {"id": str(doctor.id), "name": doctor.name, "surname": doctor.surname},
        "address": block,
    }


def _specific(event: Event, d: Directory) -> Json:
    if isinstance(event, SlotBooked | BookingCanceled | BookingConfirmed):
        return {"visit_booking": _booking(event.booking, d)}
    if isinstance(event, BookingMoved):
        return {
            "old_visit_booking": _booking(event.old_booking, d),
            "new_visit_booking": _booking(event.new_booking, d),
        }
    if isinstance(event, BookingPaymentStatusChanged):
        return {
            "visit_booking": _booking(event.booking, d),
            "visit_payment_status": {
                "status_from": event.status_from,
                "status_to": event.status_to,
                "changed_at": format_datetime(event.changed_at, d.zone),
            },
        }
    if isinstance(event, PresenceMarked):
        return {"visit_booking": _booking(event.booking, d), "presence": event.presence.upper()}
    if isinstance(event, BreakCreated | BreakMoved | BreakRemoved):
        return {"break": _break(event.calendar_break, d.zone)}
    if isinstance(event, AddressServiceCreated | AddressServiceChanged | AddressServiceDeleted):
        return {"address_service": _address_service(event.address_service)}
    if isinstance(event, _ADDRESS_EVENTS):
        return {}
    raise TypeError(f"no notification for {type(event).__name__}")


def _booking(b: Booking, d: Directory) -> Json:
    """A BookingNotification (wire.md §3.5): the slim service, the patient, the signature."""
    body = _visit_fields(b, d)
    body.update(
        {
            "id": str(b.id),
            "status": b.status,
            "booked_by": b.booked_by,
            "canceled_by": b.canceled_by,
            "booked_at": format_datetime(b.booked_at, d.zone),
            "canceled_at": None
            if b.canceled_at is None
            else format_datetime(b.canceled_at, d.zone),
            "insurance": _insurance(b, d),
        }
    )
    return body


def _request(b: NewBooking, d: Directory) -> Json:
    """A VisitBookingRequestNotification: a visit that does not exist yet (no id)."""
    body = _visit_fields(b, d)
    body["booking_at"] = format_datetime(b.booked_at, d.zone)
    body["booking_by"] = b.booked_by
    return body


def _visit_fields(b: NewBooking, d: Directory) -> Json:
    service = d.address_services.get(b.address_service_id) if b.address_service_id else None
    return {
        "start_at": format_datetime(b.start, d.zone),
        "end_at": format_datetime(b.end, d.zone),
        "duration": b.duration,
        "address_service": None if service is None else _slim_service(service),
        "patient": _patient(b.patient, b.is_returning),
        "signature": b.signature,
        "comment": b.comment,
        "visit_payment": b.visit_payment,
    }


def _slim_service(s: AddressService) -> Json:
    return {
        "id": str(s.id),
        "name": s.name,
        "price": s.price,
        "is_price_from": s.is_price_from,
        "is_visible": s.is_visible,
    }


def _patient(p: Patient, is_returning: bool) -> Json:
    return {
        "name": p.name,
        "surname": p.surname,
        "email": p.email,
        "phone": p.phone,
        "birth_date": None if p.birth_date is None else p.birth_date.isoformat(),
        "nin": p.nin,
        "gender": p.gender,
        "insurance_number": p.insurance_number,
        "is_returning": is_returning,
    }


def _insurance(b: Booking, d: Directory) -> Json | None:
    """`id` rather than the old model's `insurance_provider_id` (spec 1.14 example); an empty
    plan is `""`, as in the example."""
    if b.insurance_provider_id is None:
        return None
    plan_id = b.insurance_plan_id
    return {
        "id": str(b.insurance_provider_id),
        "name": d.insurance_names.get(b.insurance_provider_id, ""),
        "plan": "" if plan_id is None else d.plan_names.get(plan_id, ""),
        "plan_id": "" if plan_id is None else str(plan_id),
    }


def _break(b: CalendarBreak, zone: tzinfo) -> Json:
    return {
        "id": str(b.id),
        "since": format_datetime(b.since, zone),
        "till": format_datetime(b.till, zone),
    }


def _address_service(s: AddressService) -> Json:
    """The full AddressService, as getAddressService answers it."""
    return {
        "id": str(s.id),
        "name": s.name,
        "price": s.price,
        "is_price_from": s.is_price_from,
        "is_default": s.is_default,
        "service_id": None if s.service_id is None else str(s.service_id),
        "description": s.description,
        "is_visible": s.is_visible,
    }
