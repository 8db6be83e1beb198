"""Facilities, doctors, addresses and address services, and who may see them.

Access is estate-based (spec/behaviour.md §2, §4): a client sees the facilities assigned to it,
the doctors connected to those facilities and the addresses inside them. A path is checked in
three passes, each complete before the next: every id exists (404), every object lies in the
estate (403 "not authorized to see"), and each child belongs to its parent (403 "does not
belong"). See decisions.md "Access".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from dpi_server.domain import errors

COMMERCIAL_TYPES = ("premium", "saas-only", "basic")
INSURANCE_SUPPORT = ("private", "insurance", "private_and_insurance")


@dataclass(frozen=True, slots=True)
class Facility:
    id: int
    name: str
    locale: str


@dataclass(frozen=True, slots=True)
class Specialization:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LicenseNumber:
    id: int
    license_number: str


@dataclass(frozen=True, slots=True)
class Doctor:
    id: int
    name: str
    surname: str
    locale: str
    is_commercial: bool
    profile_url: str | None = None
    facility_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Address:
    id: int
    facility_id: int
    doctor_id: int
    name: str | None
    city_name: str | None
    post_code: str | None
    street: str | None
    is_online_only: bool
    visit_payment: bool
    commercial_type: str
    insurance_support: str
    extra_field_gender: bool
    extra_field_nin: bool
    extra_field_birth_date: bool
    is_enabled: bool = True
    payment_account: str | None = None
    integration_removed_at: datetime | None = None

    @property
    def is_commercial(self) -> bool:
        """Only premium and saas-only addresses may run a calendar (behaviour.md §8.1)."""
        return self.commercial_type != "basic"


@dataclass(frozen=True, slots=True)
class Service:
    id: int
    name: str
    is_diagnostic: bool = False
    specialization_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class AddressService:
    id: int
    address_id: int
    service_id: int | None
    name: str
    price_cents: int | None
    is_price_from: bool
    is_default: bool
    description: str | None
    default_duration: int | None
    is_visible: bool
    min_age: int | None
    max_age: int | None
    custom_name: str | None
    is_public_insurance_flow: bool
    deleted_at: datetime | None = None

    @property
    def price(self) -> int | None:
        """The wire price: the integer part only (behaviour.md §7.3)."""
        return None if self.price_cents is None else self.price_cents // 100


@dataclass(frozen=True, slots=True)
class InsurancePlan:
    id: int
    provider_id: int
    name: str


@dataclass(frozen=True, slots=True)
class InsuranceProvider:
    id: int
    name: str
    plans: tuple[InsurancePlan, ...] = ()


@dataclass(frozen=True, slots=True)
class Estate:
    """The facilities a client was assigned, and whether it may edit their calendars."""

    facility_ids: frozenset[int]
    editable_facility_ids: frozenset[int] = field(default_factory=frozenset)

    def sees_facility(self, facility_id: int) -> bool:
        return facility_id in self.facility_ids

    def sees_doctor(self, doctor: Doctor) -> bool:
        return not doctor.facility_ids.isdisjoint(self.facility_ids)

    def may_edit(self, facility_id: int) -> bool:
        return facility_id in self.editable_facility_ids


def check_path(
    estate: Estate,
    *,
    facility: Facility | None,
    doctor: Doctor | None = None,
    address: Address | None = None,
    want_doctor: bool = False,
    want_address: bool = False,
) -> None:
    """Raise the first error a `/facilities/{f}[/doctors/{d}[/addresses/{a}]]` path deserves.

    `None` for an object means its id does not exist (or is of another locale); `want_*` say
    which levels the path names.
    """
    if facility is None or (want_doctor and doctor is None) or (want_address and address is None):
        raise errors.ObjectNotFound()
    if not estate.sees_facility(facility.id):
        raise errors.FacilityNotAuthorized()
    if doctor is not None and not estate.sees_doctor(doctor):
        raise errors.DoctorNotAuthorized()
    if address is not None and not estate.sees_facility(address.facility_id):
        raise errors.AddressNotAuthorized()
    if doctor is not None and facility.id not in doctor.facility_ids:
        raise errors.DoctorDoesNotBelongToFacility()
    if address is not None:
        if address.facility_id != facility.id:
            raise errors.AddressDoesNotBelongToFacility()
        if doctor is not None and address.doctor_id != doctor.id:
            raise errors.AddressDoesNotBelongToDoctor()


MAX_PATIENT_AGE = 150


def price_to_cents(value: object) -> int | None:
    """A request price (number or numeric string, ≥ 0) in hundredths.

    Decimals beyond the second are truncated, as the spec's description says; anything that is
    not a non-negative number is the documented 400 (behaviour.md §7.3, changelog 1.12.0).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise errors.AddressServiceValidationError()
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise errors.AddressServiceValidationError() from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
        raise errors.AddressServiceValidationError()
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_DOWN))


def check_allowed_patients(minimum_age: int | None, maximum_age: int | None) -> None:
    """Ages are whole years within 0..150 and the minimum never exceeds the maximum."""
    problems: dict[str, list[str]] = {}
    for key, age in (("minimum_age", minimum_age), ("maximum_age", maximum_age)):
        if age is not None and not 0 <= age <= MAX_PATIENT_AGE:
            problems[f"allowed_patients.{key}"] = [
                f"This value should be between 0 and {MAX_PATIENT_AGE}."
            ]
    if (
        not problems
        and minimum_age is not None
        and maximum_age is not None
        and minimum_age > maximum_age
    ):
        problems["allowed_patients.minimum_age"] = [
            "The minimum age cannot be greater than the maximum age."
        ]
    if problems:
        raise errors.FieldErrors(problems)


def check_custom_name(value: str | None) -> str | None:
    """`custom_name` is null (no custom name) or a non-blank string (minLength 1)."""
    if value is None:
        return None
    if not value.strip():
        raise errors.FieldErrors({"custom_name": ["This value should not be blank."]})
    if len(value) > 255:
        raise errors.FieldErrors(
            {"custom_name": ["This value is too long. It should have 255 characters or less."]}
        )
    return value


def check_duration(field_name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= 24 * 60:
        raise errors.FieldErrors({field_name: ["This value should be between 1 and 1440."]})
