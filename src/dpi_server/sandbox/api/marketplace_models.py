"""The JSON of the marketplace side's `/_sandbox/` routes: request bodies that the public API
has no model for, and the answers (a booking, slots, a break, an address service, an address).

Ids are strings of digits and date-times carry the facility's offset, as in the public API.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from dpi_server.api.schemas import BookSlotRequest
from dpi_server.api.text_limits import Code, Id, PersonName, RequiredDateText
from dpi_server.domain.bookings import PAYMENT_STATUSES
from dpi_server.domain.calendar.records import CalendarBreak
from dpi_server.domain.directory import COMMERCIAL_TYPES, INSURANCE_SUPPORT, Address, AddressService
from dpi_server.domain.timefmt import format_datetime
from dpi_server.services.bookings import BookingView
from dpi_server.services.calendar import SlotView


# --- requests -----------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class MarketplaceBookingRequest(BookSlotRequest):
    """A visit booked in the slot at `start`. Without `duration` the visit lasts what the slot
    offers for the service (a patient picks a slot, not a length)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    start: RequiredDateText
    duration: int = Field(default=0, strict=True)


class MarketplaceMoveRequest(_Body):
    """Where the visit goes; the service defaults to the visit's own."""

    start: RequiredDateText
    address_service_id: Id | None = None
    duration: int | None = Field(default=None, strict=True)
    address_id: Id | None = None


class MarketplacePaymentRequest(_Body):
    status: Literal[PAYMENT_STATUSES]  # type: ignore[valid-type]


class MarketplacePresenceRequest(_Body):
    presence: Literal["present", "absent"]


class MarketplaceCommercialTypeRequest(_Body):
    commercial_type: Literal[COMMERCIAL_TYPES]  # type: ignore[valid-type]


class MarketplaceNewAddressRequest(_Body):
    name: PersonName | None = None
    city_name: PersonName | None = None
    post_code: Code | None = None
    street: PersonName | None = None
    is_online_only: bool = False
    visit_payment: bool = False
    commercial_type: Literal[COMMERCIAL_TYPES] = "premium"  # type: ignore[valid-type]
    insurance_support: Literal[INSURANCE_SUPPORT] = "private"  # type: ignore[valid-type]
    payment_account: Code | None = None


# --- answers ------------------------------------------------------------------------------
class MarketplacePatient(BaseModel):
    name: str
    surname: str | None
    phone: str
    email: str | None


class MarketplaceBooking(BaseModel):
    id: str
    facility_id: str
    doctor_id: str
    address_id: str
    status: str
    start_at: str
    end_at: str
    duration: int
    booked_by: str
    booked_at: str
    canceled_by: str
    canceled_at: str | None
    address_service_id: str | None
    address_service_name: str | None
    patient: MarketplacePatient
    comment: str | None
    confirmed: bool
    presence: str | None
    visit_payment: bool
    visit_payment_status: str | None
    moved_to_id: str | None


class MarketplaceSlotService(BaseModel):
    address_service_id: str
    name: str
    duration: int


class MarketplaceSlot(BaseModel):
    start: str
    services: list[MarketplaceSlotService]


class MarketplaceSlots(BaseModel):
    slots: list[MarketplaceSlot]


class MarketplaceBreak(BaseModel):
    id: str
    address_id: str
    since: str
    till: str
    description: str | None


class MarketplaceAddressService(BaseModel):
    id: str
    address_id: str
    service_id: str | None
    name: str
    price: int | None
    is_price_from: bool
    is_visible: bool
    default_duration: int | None
    description: str | None
    custom_name: str | None
    deleted: bool


class MarketplaceAddress(BaseModel):
    id: str
    facility_id: str
    doctor_id: str
    name: str | None
    city_name: str | None
    post_code: str | None
    street: str | None
    is_online_only: bool
    visit_payment: bool
    commercial_type: str
    insurance_support: str
    is_assigned: bool


class MarketplaceVendorRefusal(BaseModel):
    """A real-time client did not allow the patient's booking or move (behaviour.md §12):
    the slot stays free; `error_code` is the vendor's `{"error_code": N}` if it sent one."""

    errors: list[str]
    message: str
    error_code: int | None
    reason: str


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def booking_out(view: BookingView, zone: ZoneInfo) -> MarketplaceBooking:
    b, service = view.booking, view.address_service
    return MarketplaceBooking(
        id=str(b.id),
        facility_id=str(b.facility_id),
        doctor_id=str(b.doctor_id),
        address_id=str(b.address_id),
        status=b.status,
        start_at=format_datetime(b.start, zone),
        end_at=format_datetime(b.end, zone),
        duration=b.duration,
        booked_by=b.booked_by,
        booked_at=format_datetime(b.booked_at, zone),
        canceled_by=b.canceled_by,
        canceled_at=None if b.canceled_at is None else format_datetime(b.canceled_at, zone),
        address_service_id=_id(b.address_service_id),
        address_service_name=None if service is None else service.name,
        patient=MarketplacePatient(
            name=b.patient.name,
            surname=b.patient.surname,
            phone=b.patient.phone,
            email=b.patient.email,
        ),
        comment=b.comment,
        confirmed=b.confirmed,
        presence=b.presence,
        visit_payment=b.visit_payment,
        visit_payment_status=b.visit_payment_status,
        moved_to_id=_id(b.moved_to_id),
    )


def slots_out(found: list[SlotView], zone: ZoneInfo) -> MarketplaceSlots:
    return MarketplaceSlots(
        slots=[
            MarketplaceSlot(
                start=format_datetime(slot.start, zone),
                services=[
                    MarketplaceSlotService(
                        address_service_id=str(s.id), name=s.name, duration=minutes
                    )
                    for s, minutes in slot.services
                ],
            )
            for slot in found
        ]
    )


def break_out(value: CalendarBreak, zone: ZoneInfo) -> MarketplaceBreak:
    return MarketplaceBreak(
        id=str(value.id),
        address_id=str(value.address_id),
        since=format_datetime(value.since, zone),
        till=format_datetime(value.till, zone),
        description=value.description,
    )


def address_service_out(
    value: AddressService, *, deleted: bool = False
) -> MarketplaceAddressService:
    return MarketplaceAddressService(
        id=str(value.id),
        address_id=str(value.address_id),
        service_id=_id(value.service_id),
        name=value.name,
        price=value.price,
        is_price_from=value.is_price_from,
        is_visible=value.is_visible,
        default_duration=value.default_duration,
        description=value.description,
        custom_name=value.custom_name,
        deleted=deleted or value.deleted_at is not None,
    )


def address_out(value: Address) -> MarketplaceAddress:
    return MarketplaceAddress(
        id=str(value.id),
        facility_id=str(value.facility_id),
        doctor_id=str(value.doctor_id),
        name=value.name,
        city_name=value.city_name,
        post_code=value.post_code,
        street=value.street,
        is_online_only=value.is_online_only,
        visit_payment=value.visit_payment,
        commercial_type=value.commercial_type,
        insurance_support=value.insurance_support,
        is_assigned=value.is_enabled,
    )
