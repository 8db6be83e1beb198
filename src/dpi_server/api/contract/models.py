"""The response bodies of the API as pydantic models, for the OpenAPI document only.

Routes render their bodies by hand (api/wire.py, api/wire_calendar.py) and never instantiate
these classes: they exist so that the document describes every body field by field (wire.md
§3.1-§3.2, behaviour.md §7.3). A key the server always sends is `required` (possibly
nullable); a key that only some `with` extension (or some state) adds is optional, and its
description names the extension.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CommercialType = Literal["premium", "saas-only", "basic"]
InsuranceSupport = Literal["private", "insurance", "private_and_insurance"]
BookedBy = Literal["user", "doctor", "integration"]
CanceledBy = Literal["", "user", "doctor", "integration"]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def extension(name: str, what: str = "") -> Any:
    """An optional key: present only with `with=<name>` (the key is absent otherwise)."""
    text = f"Only with `with={name}`." + (f" {what}" if what else "")
    return Field(default=None, description=text, json_schema_extra=_no_default)


def sometimes(description: str, alias: str | None = None) -> Any:
    """An optional key whose presence depends on state, not on `with`."""
    return Field(default=None, alias=alias, description=description, json_schema_extra=_no_default)


class _Shape(BaseModel):
    # Clients must ignore unknown keys (wire.md §1.7), so the document does not forbid them;
    # the test suite validates with `additionalProperties: false` to keep it exhaustive.
    model_config = ConfigDict(populate_by_name=True)


class Link(_Shape):
    href: str = Field(description="A relative URL.")


# --- directory -----------------------------------------------------------------------------


class Specialization(_Shape):
    id: str
    name: str


class Specializations(_Shape):
    items: list[Specialization] = Field(alias="_items")


class LicenseNumber(_Shape):
    id: str
    license_number: str


class LicenseNumbers(_Shape):
    items: list[LicenseNumber] = Field(alias="_items")


class AddressBookingExtraFields(_Shape):
    """Whether the booking flow asks the patient for each field."""

    birth_date: bool
    gender: bool
    nin: bool


class Address(_Shape):
    """One doctor at one location: the anchor of calendars, services and bookings."""

    id: str
    name: str | None
    city_name: str | None
    post_code: str | None
    street: str | None
    booking_extra_fields: AddressBookingExtraFields = sometimes(
        "Always in getAddress, getAddresses and updateAddress; inside getDoctor only with "
        "`with=address.booking_extra_fields`."
    )
    is_online_only: bool = extension("address.online_only", "True for video-only addresses.")
    visit_payment: bool = extension("address.visit_payment")
    commercial_type: CommercialType = extension("address.commercial_type")
    insurance_support: InsuranceSupport = extension(
        "address.insurance_support", "Always in the answer of updateAddress."
    )


class Addresses(_Shape):
    items: list[Address] = Field(alias="_items")


class Doctor(_Shape):
    """A professional within a facility."""

    id: str
    name: str
    surname: str
    profile_url: str | None = extension("doctor.profile_url")
    specializations: Specializations = sometimes(
        "Always in getDoctor; in getDoctors only with `with=doctor.specializations`."
    )
    license_numbers: LicenseNumbers = extension("doctor.license_numbers")
    addresses: Addresses = extension(
        "doctor.addresses",
        "(getDoctor). The `address.*` extensions add their keys to these addresses.",
    )


class Doctors(_Shape):
    items: list[Doctor] = Field(alias="_items")


class Facility(_Shape):
    id: str
    name: str
    doctors: Doctors = extension("facility.doctors", "Each doctor has id, name and surname.")


class Facilities(_Shape):
    items: list[Facility] = Field(alias="_items")


# --- services and insurance ----------------------------------------------------------------


class Service(_Shape):
    """A dictionary service ("item service")."""

    id: str
    name: str


class Services(_Shape):
    items: list[Service] = Field(alias="_items")


class AllowedPatientsData(_Shape):
    minimum_age: int | None
    maximum_age: int | None


class AddressService(_Shape):
    """A service configured on one address: the unit of slots and bookings."""

    id: str
    name: str
    price: int | None = Field(description="The integer part of the price; null when unset.")
    is_price_from: bool
    is_default: bool
    service_id: str | None = Field(description="The dictionary service; null for a custom one.")
    description: str | None
    is_visible: bool
    duration: int = sometimes(
        "Minutes. Only in getAddressServices with `start`, and in getSlots' "
        "`with=slot.services`: the duration the slot offers."
    )
    allowed_patients: AllowedPatientsData | None = extension(
        "address_service.allowed_patients", "Null when no age limit is set."
    )
    custom_name: str | None = extension("address_service.custom_name")
    is_public_insurance_flow: bool = extension("address_service.public_insurance_flow")


class AddressServices(_Shape):
    items: list[AddressService] = Field(alias="_items")


class InsuranceProvider(_Shape):
    insurance_provider_id: str
    name: str


class InsuranceProviders(_Shape):
    items: list[InsuranceProvider] = Field(alias="_items")


class InsurancePlan(_Shape):
    insurance_plan_id: str
    name: str


class InsurancePlans(_Shape):
    items: list[InsurancePlan] = Field(alias="_items")


class AddressInsuranceProvider(_Shape):
    insurance_provider_id: str
    name: str
    insurance_plans: InsurancePlans


class AddressInsuranceProviders(_Shape):
    items: list[AddressInsuranceProvider] = Field(alias="_items")


# --- calendar ------------------------------------------------------------------------------


class Calendar(_Shape):
    status: Literal["enabled", "disabled"]


class CalendarBreak(_Shape):
    id: str
    since: datetime
    till: datetime
    description: str | None


class CalendarBreaks(_Shape):
    items: list[CalendarBreak] = Field(alias="_items")


class Slot(_Shape):
    """A free, bookable start time."""

    start: datetime
    address_services: AddressServices = extension(
        "slot.services", "The services bookable at this start, each with its `duration`."
    )


class Slots(_Shape):
    items: list[Slot] = Field(alias="_items")


# --- bookings ------------------------------------------------------------------------------


class BookingPatient(_Shape):
    name: str
    surname: str | None
    email: str | None
    phone: str
    birth_date: date | None
    nin: str | None
    gender: Literal["m", "f"] | None
    is_returning: bool
    is_returnting: bool = Field(
        description="The same as `is_returning`, under the key v1.0.34 of the PHP SDK reads."
    )
    insurance_number: str | None


class Insurance(_Shape):
    """The insurance chosen for a booking."""

    id: str
    name: str | None
    plan: str | None
    plan_id: str | None


class BookingMoving(_Shape):
    origin_booking_id: str
    newest_booking_id: str


class Booking(_Shape):
    """A visit. Durations are in minutes."""

    id: str
    status: str = Field(description="`booked` or `canceled`.")
    start_at: datetime
    end_at: datetime
    duration: int
    booked_by: BookedBy
    canceled_by: CanceledBy = Field(description="The empty string while the booking is active.")
    booked_at: datetime
    canceled_at: datetime | None
    comment: str | None
    insurance: Insurance | None = sometimes(
        "Null when the booking has no insurance. Absent from bookSlot's answer (its example "
        "has no such key)."
    )
    visit_payment: bool = sometimes("Only when the visit is paid online.")
    visit_payment_status: str | None = sometimes("Only when the visit is paid online.")
    patient: BookingPatient = sometimes(
        "Always in getBooking and moveBooking; elsewhere only with `with=booking.patient`."
    )
    address_service: AddressService | None = sometimes(
        "Always in getBooking and moveBooking; elsewhere only with "
        "`with=booking.address_service`. Null when the service was deleted. "
        "`with=address_service.public_insurance_flow` adds `is_public_insurance_flow`."
    )
    presence: Literal["present", "absent"] | None = extension(
        "booking.presence", "Null while not marked."
    )
    confirmed: bool = extension("booking.confirmation")
    moving: BookingMoving | None = extension(
        "booking.moving", "Null for a booking that was never moved."
    )


class Bookings(_Shape):
    items: list[Booking] = Field(alias="_items")
    page: int = sometimes("Only when `page` is given (pagination is opt-in).")
    limit: int = sometimes("Only when `page` is given.")
    pages: int = sometimes("Only when `page` is given.")
    total: int = sometimes("Only when `page` is given.")
    links: dict[str, Link] = sometimes(
        "Only when `page` is given: `self`, `first`, `last`, `next`, `previous`.", "_links"
    )


# --- authorization and errors --------------------------------------------------------------


class TokenRequest(_Shape):
    """The client-credentials grant (RFC 6749 §4.4). Credentials go in HTTP Basic or here."""

    grant_type: Literal["client_credentials"]
    scope: str = sometimes("`integration`, or left out.")
    client_id: str = sometimes("Unless sent by HTTP Basic.")
    client_secret: str = sometimes("Unless sent by HTTP Basic.")


class TokenResponse(_Shape):
    access_token: str
    expires_in: int = Field(description="Seconds the token stays valid.")
    token_type: Literal["bearer"]
    scope: None


class OAuthError(_Shape):
    """An RFC 6749 §5.2 error of the token endpoint."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "slow_down",
    ]
    error_description: str


class Error(_Shape):
    """Docplanner's error envelope (wire.md §1.8)."""

    errors: list[str] | dict[str, list[str]] = sometimes(
        "`[]`, or for validation errors a map of field paths (`slots[1].end`) to messages. "
        "Absent only from the 401 for a request without credentials."
    )
    message: str


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Facilities,
    Facility,
    Doctors,
    Doctor,
    Addresses,
    Address,
    Services,
    AddressServices,
    AddressService,
    InsuranceProviders,
    InsurancePlans,
    AddressInsuranceProviders,
    Calendar,
    CalendarBreaks,
    CalendarBreak,
    Slots,
    Bookings,
    Booking,
    TokenRequest,
    TokenResponse,
    OAuthError,
    Error,
)
