"""Domain objects as Docplanner JSON: ids as strings, fields gated by `with` exactly as in
behaviour.md §5 and wire.md §3.2."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dpi_server.domain.directory import (
    Address,
    AddressService,
    Doctor,
    Facility,
    InsurancePlan,
    InsuranceProvider,
    LicenseNumber,
    Service,
    Specialization,
)
from dpi_server.services.directory import DoctorView


def facility(value: Facility, doctors: Iterable[Doctor] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(value.id), "name": value.name}
    if doctors is not None:
        body["doctors"] = {"_items": [doctor_basic(d) for d in doctors]}
    return body


def doctor_basic(value: Doctor) -> dict[str, Any]:
    return {"id": str(value.id), "name": value.name, "surname": value.surname}


def specializations(values: Iterable[Specialization]) -> dict[str, Any]:
    return {"_items": [{"id": str(s.id), "name": s.name} for s in values]}


def license_numbers(values: Iterable[LicenseNumber]) -> dict[str, Any]:
    return {"_items": [{"id": str(n.id), "license_number": n.license_number} for n in values]}


def doctor_in_list(view: DoctorView, extensions: frozenset[str]) -> dict[str, Any]:
    body = doctor_basic(view.doctor)
    if "doctor.profile_url" in extensions:
        body["profile_url"] = view.doctor.profile_url
    if "doctor.specializations" in extensions:
        body["specializations"] = specializations(view.specializations)
    if "doctor.license_numbers" in extensions:
        body["license_numbers"] = license_numbers(view.license_numbers)
    return body


_DOCTOR_ADDRESS_EXTENSIONS = {
    "address.booking_extra_fields",
    "address.online_only",
    "address.visit_payment",
    "address.commercial_type",
}


def doctor_single(view: DoctorView, extensions: frozenset[str]) -> dict[str, Any]:
    """getDoctor: `specializations` always (the spec's example), the rest by `with`."""
    body = doctor_basic(view.doctor)
    body["specializations"] = specializations(view.specializations)
    if "doctor.profile_url" in extensions:
        body["profile_url"] = view.doctor.profile_url
    if "doctor.license_numbers" in extensions:
        body["license_numbers"] = license_numbers(view.license_numbers)
    if "doctor.addresses" in extensions:
        address_ext = extensions & _DOCTOR_ADDRESS_EXTENSIONS
        body["addresses"] = {
            "_items": [address(a, address_ext, extra_fields_always=False) for a in view.addresses]
        }
    return body


def address(
    value: Address, extensions: frozenset[str], *, extra_fields_always: bool = True
) -> dict[str, Any]:
    """Address lists and single reads always carry `booking_extra_fields` (OAS examples);
    inside getDoctor it is gated by `address.booking_extra_fields`."""
    body: dict[str, Any] = {
        "id": str(value.id),
        "name": value.name,
        "city_name": value.city_name,
        "post_code": value.post_code,
        "street": value.street,
    }
    if extra_fields_always or "address.booking_extra_fields" in extensions:
        body["booking_extra_fields"] = {
            "birth_date": value.extra_field_birth_date,
            "gender": value.extra_field_gender,
            "nin": value.extra_field_nin,
        }
    if "address.online_only" in extensions:
        body["is_online_only"] = value.is_online_only
    if "address.visit_payment" in extensions:
        body["visit_payment"] = value.visit_payment
    if "address.commercial_type" in extensions:
        body["commercial_type"] = value.commercial_type
    if "address.insurance_support" in extensions:
        body["insurance_support"] = value.insurance_support
    return body


def service(value: Service) -> dict[str, Any]:
    return {"id": str(value.id), "name": value.name}


def address_service(
    value: AddressService, extensions: frozenset[str], *, duration: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(value.id),
        "name": value.name,
        "price": value.price,
        "is_price_from": value.is_price_from,
        "is_default": value.is_default,
        "service_id": None if value.service_id is None else str(value.service_id),
        "description": value.description,
        "is_visible": value.is_visible,
    }
    if duration is not None:
        body["duration"] = duration
    if "address_service.allowed_patients" in extensions:
        body["allowed_patients"] = (
            None
            if value.min_age is None and value.max_age is None
            else {"minimum_age": value.min_age, "maximum_age": value.max_age}
        )
    if "address_service.custom_name" in extensions:
        body["custom_name"] = value.custom_name
    if "address_service.public_insurance_flow" in extensions:
        body["is_public_insurance_flow"] = value.is_public_insurance_flow
    return body


def insurance_provider(value: InsuranceProvider) -> dict[str, Any]:
    return {"insurance_provider_id": str(value.id), "name": value.name}


def insurance_plan(value: InsurancePlan) -> dict[str, Any]:
    return {"insurance_plan_id": str(value.id), "name": value.name}


def address_insurance_provider(value: InsuranceProvider) -> dict[str, Any]:
    body = insurance_provider(value)
    body["insurance_plans"] = {"_items": [insurance_plan(p) for p in value.plans]}
    return body
