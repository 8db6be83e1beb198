"""Request bodies as the spec's models (wire.md §3.3).

Ids arrive as strings or numbers (decisions.md "Wire format"), so numbers are coerced to
strings; unknown keys are ignored, as the official SDK may send newer fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from dpi_server.api.text_limits import (
    BREAK_TOO_LONG,
    BreakDescription,
    Code,
    Comment,
    CustomName,
    DateText,
    Description,
    Email,
    Id,
    InsuranceNumber,
    Label,
    Nin,
    PersonName,
    Phone,
    Reason,
    RequiredDateText,
    RequiredId,
    RequiredPersonName,
    RequiredPhone,
    break_too_long,
)
from dpi_server.domain.directory import INSURANCE_SUPPORT


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class UpdateAddressRequest(_Body):
    # Checked in the domain, so that a bad value gets one stable message listing the choices.
    insurance_support: Code = Field(json_schema_extra={"enum": list(INSURANCE_SUPPORT)})


class AllowedPatients(_Body):
    minimum_age: int | None = Field(default=None, strict=True)
    maximum_age: int | None = Field(default=None, strict=True)


class AddAddressServiceRequest(_Body):
    service_id: RequiredId
    is_price_from: bool | None = None
    # Validated in the domain so that bad prices get the spec's exact 400 message.
    price: Any = None
    description: Description | None = None
    is_visible: bool | None = None
    default_duration: int | None = Field(default=None, strict=True)
    allowed_patients: AllowedPatients | None = None
    custom_name: CustomName | None = None


class UpdateAddressServiceRequest(_Body):
    is_price_from: bool | None = None
    price: Any = None
    description: Description | None = None
    default_duration: int | None = Field(default=None, strict=True)
    is_visible: bool | None = None
    allowed_patients: AllowedPatients | None = None
    custom_name: CustomName | None = None


class InsurancePlanRef(_Body):
    insurance_plan_id: Id


class AddressInsuranceProviderRequest(_Body):
    insurance_provider_id: RequiredId
    insurance_plans: list[InsurancePlanRef] | None = None


class PeriodServiceBody(_Body):
    address_service_id: Id
    duration: int = Field(strict=True)


class ReplaceSlotsPeriodBody(_Body):
    start: DateText
    end: DateText
    address_services: list[PeriodServiceBody] | None = None
    insurance_accepted: Code | None = None
    insurance_providers: list[int] | None = None


# 12 weeks of one-minute periods would be 120,000; a clinic's real week has tens. The bound
# keeps one request's validation work small (docs/decisions.md "Slots and calendars").
MAX_PERIODS_PER_PAYLOAD = 10_000


class ReplaceSlotsRequest(_Body):
    slots: list[ReplaceSlotsPeriodBody] = Field(max_length=MAX_PERIODS_PER_PAYLOAD)


class PatientBody(_Body):
    name: RequiredPersonName
    phone: RequiredPhone
    surname: PersonName | None = None
    email: Email | None = None
    birth_date: DateText | None = None
    nin: Nin | None = None
    gender: Literal["m", "f"] | None = None
    insurance_number: InsuranceNumber | None = None
    marketing_consent: bool | None = None
    data_privacy_consent: bool | None = None


class BookSlotRequest(_Body):
    address_service_id: RequiredId
    duration: int = Field(strict=True)
    patient: PatientBody
    is_returning: bool = False
    is_recurring: bool = False
    comment: Comment | None = None
    label: Label | None = None
    insurance_provider_id: Id | None = None
    insurance_plan_id: Id | None = None


class MoveBookingRequest(_Body):
    address_service_id: RequiredId
    start: RequiredDateText
    duration: int | None = Field(default=None, strict=True)
    address_id: Id | None = None


class CancelBookingRequest(_Body):
    reason: Reason | None = None


class ConfirmBookingRequest(_Body):
    confirmed_by: Code


def _bounded_break(since: object, till: str | None) -> str | None:
    """Keyed `till`: a break longer than a year (decisions.md "Hardening")."""
    if isinstance(since, str) and break_too_long(since, till):
        raise PydanticCustomError("break_too_long", BREAK_TOO_LONG)
    return till


class AddCalendarBreakRequest(_Body):
    since: DateText | None = None
    till: DateText | None = None
    description: BreakDescription | None = None
    apply_on_coupled_addresses: bool = False

    @field_validator("till")
    @classmethod
    def _not_too_long(cls, till: str | None, info: ValidationInfo) -> str | None:
        return _bounded_break(info.data.get("since"), till)


class MoveCalendarBreakRequest(_Body):
    since: DateText | None = None
    till: DateText | None = None

    @field_validator("till")
    @classmethod
    def _not_too_long(cls, till: str | None, info: ValidationInfo) -> str | None:
        return _bounded_break(info.data.get("since"), till)


class OpinionRequestBody(_Body):
    phone: Phone | None = None
