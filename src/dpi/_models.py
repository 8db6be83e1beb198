"""Typed models of Docplanner's bodies (wire.md §3), and the `with` extensions as enums.

Response models accept and keep fields they do not know (`model_extra`), so a newer server
never breaks an older SDK, and nested `{"_items": [...]}` collections arrive as plain lists.
Date-times are timezone-aware `datetime`s. Values with documented vocabularies (`status`,
`booked_by`, `commercial_type`...) stay plain strings in responses for the same reason: the
official PHP SDK aborts a whole call on an enum value it does not know (wire.md §1.7).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _unwrap_items(value: Any) -> Any:
    """Docplanner nests collections as `{"_items": [...]}`; the models expose the list."""
    if isinstance(value, dict) and "_items" in value:
        return value["_items"]
    return value


class Model(BaseModel):
    """Base of every response model: unknown fields are kept, ids may arrive as numbers."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, so a typo fails before sending."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


# -- `with` extensions (behaviour.md §5) -----------------------------------------------------


class FacilityWith(StrEnum):
    """Extensions of `facilities.get`."""

    DOCTORS = "facility.doctors"


class DoctorsWith(StrEnum):
    """Extensions of `doctors.list`."""

    PROFILE_URL = "doctor.profile_url"
    SPECIALIZATIONS = "doctor.specializations"
    LICENSE_NUMBERS = "doctor.license_numbers"


class DoctorWith(StrEnum):
    """Extensions of `doctors.get`; the `address.*` ones apply to the embedded addresses."""

    PROFILE_URL = "doctor.profile_url"
    ADDRESSES = "doctor.addresses"
    LICENSE_NUMBERS = "doctor.license_numbers"
    ADDRESS_BOOKING_EXTRA_FIELDS = "address.booking_extra_fields"
    ADDRESS_ONLINE_ONLY = "address.online_only"
    ADDRESS_VISIT_PAYMENT = "address.visit_payment"
    ADDRESS_COMMERCIAL_TYPE = "address.commercial_type"


class AddressWith(StrEnum):
    """Extensions of `addresses.list`, `addresses.get` and `addresses.update`."""

    ONLINE_ONLY = "address.online_only"
    VISIT_PAYMENT = "address.visit_payment"
    COMMERCIAL_TYPE = "address.commercial_type"
    INSURANCE_SUPPORT = "address.insurance_support"


class ServicesWith(StrEnum):
    """Extensions of `services.list` (the dictionary)."""

    ONLY_DIAGNOSTICS = "services.only_diagnostics"


class AddressServiceWith(StrEnum):
    """Extensions of `address_services.list` and `address_services.get`."""

    ALLOWED_PATIENTS = "address_service.allowed_patients"
    CUSTOM_NAME = "address_service.custom_name"
    PUBLIC_INSURANCE_FLOW = "address_service.public_insurance_flow"


class SlotsWith(StrEnum):
    """Extensions of `slots.list`."""

    SERVICES = "slot.services"


class BookingsWith(StrEnum):
    """Extensions of `bookings.list` (which shows no patient or service without them)."""

    PATIENT = "booking.patient"
    ADDRESS_SERVICE = "booking.address_service"
    PRESENCE = "booking.presence"
    CONFIRMATION = "booking.confirmation"
    PUBLIC_INSURANCE_FLOW = "address_service.public_insurance_flow"


class BookingWith(StrEnum):
    """Extensions of `bookings.get`."""

    MOVING = "booking.moving"
    PUBLIC_INSURANCE_FLOW = "address_service.public_insurance_flow"


class MoveBookingWith(StrEnum):
    """Extensions of `bookings.move`."""

    PUBLIC_INSURANCE_FLOW = "address_service.public_insurance_flow"


# -- vocabularies of request fields ------------------------------------------------------------


class InsuranceSupport(StrEnum):
    """What an address accepts (`addresses.update`)."""

    PRIVATE = "private"
    INSURANCE = "insurance"
    PRIVATE_AND_INSURANCE = "private_and_insurance"


class InsuranceAccepted(StrEnum):
    """Which patients a work period is open to (`slots.replace`)."""

    WITH_AND_WITHOUT_INSURANCE = "with-and-without-insurance"
    WITHOUT_INSURANCE_ONLY = "without-insurance-only"
    WITH_INSURANCE_ONLY = "with-insurance-only"


class Gender(StrEnum):
    """A patient's gender as Docplanner records it."""

    MALE = "m"
    FEMALE = "f"


class ConfirmedBy(StrEnum):
    """Who confirmed a booking (`bookings.confirm`)."""

    USER = "user"
    ADMIN = "admin"


# -- responses -----------------------------------------------------------------------------------


class AccessToken(Model):
    """The token endpoint's answer; `expires_in` is in seconds and `scope` is null."""

    access_token: str = Field(repr=False)
    expires_in: int | None = None
    token_type: str | None = None
    scope: str | None = None


class Specialization(Model):
    """A doctor's specialization."""

    id: str | None = None
    name: str | None = None


class LicenseNumber(Model):
    """A doctor's license number."""

    id: str | None = None
    license_number: str | None = None


class BookingExtraFields(Model):
    """Which extra patient fields booking at an address asks for."""

    birth_date: bool | None = None
    gender: bool | None = None
    nin: bool | None = None


class Address(Model):
    """One doctor at one place: the anchor of services, calendar, slots and bookings.

    `is_online_only`, `visit_payment`, `commercial_type` and `insurance_support` come with
    their `AddressWith` extensions.
    """

    id: str
    name: str | None = None
    city_name: str | None = None
    post_code: str | None = None
    street: str | None = None
    booking_extra_fields: BookingExtraFields | None = None
    is_online_only: bool | None = None
    visit_payment: bool | None = None
    commercial_type: str | None = None
    insurance_support: str | None = None


class Doctor(Model):
    """A (commercial) doctor of a facility; the lists come with `DoctorWith` extensions."""

    id: str
    name: str | None = None
    surname: str | None = None
    profile_url: str | None = None
    specializations: Annotated[list[Specialization], BeforeValidator(_unwrap_items)] | None = None
    license_numbers: Annotated[list[LicenseNumber], BeforeValidator(_unwrap_items)] | None = None
    addresses: Annotated[list[Address], BeforeValidator(_unwrap_items)] | None = None


class Facility(Model):
    """A clinic the client may see; `doctors` comes with `FacilityWith.DOCTORS`."""

    id: str
    name: str | None = None
    doctors: Annotated[list[Doctor], BeforeValidator(_unwrap_items)] | None = None


class Service(Model):
    """A dictionary service (reusable across the marketplace, not bookable itself)."""

    id: str
    name: str | None = None


class AllowedPatients(Model):
    """Age limits of an address service; either bound may be null."""

    minimum_age: int | None = None
    maximum_age: int | None = None


class AddressService(Model):
    """A service offered at one address: the unit of slots and bookings.

    `price` is the integer part of the price, or null. `duration` appears in slot listings and
    with the `start` filter.
    """

    id: str
    name: str | None = None
    price: int | None = None
    is_price_from: bool | None = None
    is_default: bool | None = None
    service_id: str | None = None
    description: str | None = None
    duration: int | None = None
    is_visible: bool | None = None
    allowed_patients: AllowedPatients | None = None
    custom_name: str | None = None
    is_public_insurance_flow: bool | None = None


class InsurancePlan(Model):
    """A plan of an insurance provider."""

    insurance_plan_id: str
    name: str | None = None


class InsuranceProvider(Model):
    """A dictionary insurance provider; at an address, with the plans accepted there."""

    insurance_provider_id: str
    name: str | None = None
    insurance_plans: Annotated[list[InsurancePlan], BeforeValidator(_unwrap_items)] | None = None


class Calendar(Model):
    """An address's calendar: `status` is `enabled` or `disabled`."""

    status: str


class CalendarBreak(Model):
    """Time in which the address offers no slots."""

    id: str
    since: AwareDatetime
    till: AwareDatetime
    description: str | None = None


class Slot(Model):
    """A free start time; `address_services` (with durations) comes with `SlotsWith.SERVICES`."""

    start: AwareDatetime
    address_services: Annotated[list[AddressService], BeforeValidator(_unwrap_items)] | None = None


def _date_part(value: Any) -> Any:
    """`birth_date` is a date, but the official SDK sends (and so some systems store) a full
    date-time (wire.md §1.6): keep its date."""
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        return value[:10]
    return value


class BookingPatient(Model):
    """The patient of a booking."""

    name: str | None = None
    surname: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: Annotated[date | None, BeforeValidator(_date_part)] = None
    nin: str | None = None
    gender: str | None = None
    is_returning: bool | None = None
    insurance_number: str | None = None


class BookingInsurance(Model):
    """The insurance a booking was made with."""

    id: str | None = None
    name: str | None = None
    plan: str | None = None
    plan_id: str | None = None


class BookingMoving(Model):
    """Where a booking's chain of moves starts and ends (`BookingWith.MOVING`)."""

    origin_booking_id: str | None = None
    newest_booking_id: str | None = None


class BookingBase(Model):
    """What every shape of a visit shares: API answers (`Booking`) and notifications
    (`VisitBooking`). `canceled_by` is `""` while the visit is booked."""

    status: str | None = None
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None
    duration: int | None = None
    booked_by: str | None = None
    canceled_by: str | None = None
    booked_at: AwareDatetime | None = None
    canceled_at: AwareDatetime | None = None
    comment: str | None = None
    visit_payment: bool | None = None
    videocall_url: str | None = None


class Booking(BookingBase):
    """A visit as the API answers it; `presence` is `present`, `absent` or null."""

    id: str
    patient: BookingPatient | None = None
    address_service: AddressService | None = None
    insurance: BookingInsurance | None = None
    presence: str | None = None
    confirmed: bool | None = None
    moving: BookingMoving | None = None
    visit_payment_status: str | None = None


class BookingsPage(Model):
    """One page of `bookings.list(page=...)`; without `page` the paging fields are None."""

    items: list[Booking] = Field(alias="_items")
    page: int | None = None
    limit: int | None = None
    pages: int | None = None
    total: int | None = None


# -- requests -----------------------------------------------------------------------------------


class PeriodService(RequestModel):
    """A service bookable in a work period, with its duration in minutes."""

    address_service_id: str
    duration: int = Field(gt=0)


class WorkPeriod(RequestModel):
    """A period of availability for `slots.replace`; Docplanner cuts it into slots on the GCD
    of the services' durations. No services (None or empty) clears the period's day."""

    start: AwareDatetime
    end: AwareDatetime
    address_services: list[PeriodService] | None = None
    insurance_accepted: InsuranceAccepted | None = None
    insurance_providers: list[int] | None = None


class Patient(RequestModel):
    """The patient of `slots.book`; `name` and `phone` are required."""

    name: str
    phone: str
    surname: str | None = None
    email: str | None = None
    birth_date: date | None = None
    nin: str | None = None
    gender: Gender | None = None
    insurance_number: str | None = None
    marketing_consent: bool | None = None
    data_privacy_consent: bool | None = None
