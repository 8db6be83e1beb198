"""Request bodies as the spec's models (wire.md §3.3).

Ids arrive as strings or numbers (decisions.md "Wire format"), so numbers are coerced to
strings; unknown keys are ignored, as the official SDK may send newer fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dpi_server.domain.directory import INSURANCE_SUPPORT


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class UpdateAddressRequest(_Body):
    # Checked in the domain, so that a bad value gets one stable message listing the choices.
    insurance_support: str = Field(json_schema_extra={"enum": list(INSURANCE_SUPPORT)})


class AllowedPatients(_Body):
    minimum_age: int | None = Field(default=None, strict=True)
    maximum_age: int | None = Field(default=None, strict=True)


class AddAddressServiceRequest(_Body):
    service_id: str = Field(min_length=1)
    is_price_from: bool | None = None
    # Validated in the domain so that bad prices get the spec's exact 400 message.
    price: Any = None
    description: str | None = None
    is_visible: bool | None = None
    default_duration: int | None = Field(default=None, strict=True)
    allowed_patients: AllowedPatients | None = None
    custom_name: str | None = None


class UpdateAddressServiceRequest(_Body):
    is_price_from: bool | None = None
    price: Any = None
    description: str | None = None
    default_duration: int | None = Field(default=None, strict=True)
    is_visible: bool | None = None
    allowed_patients: AllowedPatients | None = None
    custom_name: str | None = None


class InsurancePlanRef(_Body):
    insurance_plan_id: str


class AddressInsuranceProviderRequest(_Body):
    insurance_provider_id: str = Field(min_length=1)
    insurance_plans: list[InsurancePlanRef] | None = None


class PeriodServiceBody(_Body):
    address_service_id: str
    duration: int = Field(strict=True)


class ReplaceSlotsPeriodBody(_Body):
    start: str
    end: str
    address_services: list[PeriodServiceBody] | None = None
    insurance_accepted: str | None = None
    insurance_providers: list[int] | None = None


# 12 weeks of one-minute periods would be 120,000; a clinic's real week has tens. The bound
# keeps one request's validation work small (docs/decisions.md "Slots and calendars").
MAX_PERIODS_PER_PAYLOAD = 10_000


class ReplaceSlotsRequest(_Body):
    slots: list[ReplaceSlotsPeriodBody] = Field(max_length=MAX_PERIODS_PER_PAYLOAD)


class PatientBody(_Body):
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    surname: str | None = None
    email: str | None = None
    birth_date: str | None = None
    nin: str | None = None
    gender: Literal["m", "f"] | None = None
    insurance_number: str | None = None
    marketing_consent: bool | None = None
    data_privacy_consent: bool | None = None


class BookSlotRequest(_Body):
    address_service_id: str = Field(min_length=1)
    duration: int = Field(strict=True)
    patient: PatientBody
    is_returning: bool = False
    is_recurring: bool = False
    comment: str | None = None
    label: str | None = None
    insurance_provider_id: str | None = None
    insurance_plan_id: str | None = None


class MoveBookingRequest(_Body):
    address_service_id: str = Field(min_length=1)
    start: str = Field(min_length=1)
    duration: int | None = Field(default=None, strict=True)
    address_id: str | None = None


class CancelBookingRequest(_Body):
    reason: str | None = None


class ConfirmBookingRequest(_Body):
    confirmed_by: str


class AddCalendarBreakRequest(_Body):
    since: str | None = None
    till: str | None = None
    description: str | None = None
    apply_on_coupled_addresses: bool = False


class MoveCalendarBreakRequest(_Body):
    since: str | None = None
    till: str | None = None


class OpinionRequestBody(_Body):
    phone: str | None = None
