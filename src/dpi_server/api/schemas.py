"""Request bodies as the spec's models (wire.md §3.3).

Ids arrive as strings or numbers (decisions.md "Wire format"), so numbers are coerced to
strings; unknown keys are ignored, as the official SDK may send newer fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class UpdateAddressRequest(_Body):
    insurance_support: Literal["private", "insurance", "private_and_insurance"]


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
