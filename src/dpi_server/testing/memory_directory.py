"""In-memory twins of the directory, address-service and insurance ports
(`adapters/db/directory_repositories.py`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from dpi_server.domain import errors
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
from dpi_server.testing.memory_clients import stored_address
from dpi_server.testing.memory_state import Transaction, not_null, require_new, require_row, utc

# What the `address_services` table fills in for a column left out of the insert.
_ADDRESS_SERVICE_DEFAULTS: dict[str, Any] = {
    "service_id": None,
    "price_cents": None,
    "is_price_from": False,
    "is_default": False,
    "description": None,
    "default_duration": None,
    "is_visible": True,
    "min_age": None,
    "max_age": None,
    "custom_name": None,
    "is_public_insurance_flow": False,
    "deleted_at": None,
}
_ADDRESS_SERVICE_NOT_NULL = (
    "address_id",
    "name",
    "is_price_from",
    "is_default",
    "is_visible",
    "is_public_insurance_flow",
)


class MemoryDirectoryRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def get_facility(self, facility_id: int) -> Facility | None:
        return self._tx.tables.facilities.get(facility_id)

    async def facilities(self, ids: Sequence[int]) -> list[Facility]:
        found = self._tx.tables.facilities
        return [found[i] for i in sorted(set(ids)) if i in found]

    async def all_facilities(self, limit: int) -> list[Facility]:
        found = self._tx.tables.facilities
        return [found[i] for i in sorted(found)[:limit]]

    def _with_facilities(self, doctor: Doctor) -> Doctor:
        links = self._tx.tables.doctor_facilities
        return replace(doctor, facility_ids=frozenset(f for d, f in links if d == doctor.id))

    async def get_doctor(self, doctor_id: int) -> Doctor | None:
        found = self._tx.tables.doctors.get(doctor_id)
        return None if found is None else self._with_facilities(found)

    async def doctors_of_facility(self, facility_id: int) -> list[Doctor]:
        tables = self._tx.tables
        ids = sorted(d for d, f in tables.doctor_facilities if f == facility_id)
        return [self._with_facilities(tables.doctors[i]) for i in ids]

    async def specializations_of(
        self, doctor_ids: Sequence[int]
    ) -> dict[int, list[Specialization]]:
        tables = self._tx.tables
        out: dict[int, list[Specialization]] = defaultdict(list)
        for doctor_id, spec_id in sorted(
            tables.doctor_specializations, key=lambda link: (link[1], link[0])
        ):
            if doctor_id in doctor_ids:
                out[doctor_id].append(Specialization(spec_id, tables.specializations[spec_id][1]))
        return out

    async def license_numbers_of(self, doctor_ids: Sequence[int]) -> dict[int, list[LicenseNumber]]:
        out: dict[int, list[LicenseNumber]] = defaultdict(list)
        for number_id, (doctor_id, number) in sorted(self._tx.tables.license_numbers.items()):
            if doctor_id in doctor_ids:
                out[doctor_id].append(LicenseNumber(number_id, number))
        return out

    async def get_address(self, address_id: int) -> Address | None:
        return self._tx.tables.addresses.get(address_id)

    async def addresses_of(self, facility_id: int, doctor_id: int) -> list[Address]:
        return [
            a
            for _, a in sorted(self._tx.tables.addresses.items())
            if a.facility_id == facility_id and a.doctor_id == doctor_id
        ]

    async def update_address(self, address_id: int, **changes: Any) -> None:
        found = self._tx.tables.addresses.get(address_id)
        if found is not None:
            updated = stored_address(self._tx, replace(found, **changes))
            self._tx.writable().addresses[address_id] = updated

    async def services(
        self, locale: str, only_diagnostics: bool, specialization_id: int | None
    ) -> list[Service]:
        tables = self._tx.tables
        return [
            service
            for _, (service, service_locale) in sorted(tables.services.items())
            if service_locale == locale
            and (service.is_diagnostic or not only_diagnostics)
            and (
                specialization_id is None
                or (service.id, specialization_id) in tables.service_specializations
            )
        ]

    async def get_service(self, service_id: int) -> Service | None:
        found = self._tx.tables.services.get(service_id)
        return None if found is None else found[0]

    async def service_locale(self, service_id: int) -> str | None:
        found = self._tx.tables.services.get(service_id)
        return None if found is None else found[1]


class MemoryAddressServiceRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def list(self, address_id: int) -> list[AddressService]:
        return [
            s
            for _, s in sorted(self._tx.tables.address_services.items())
            if s.address_id == address_id and s.deleted_at is None
        ]

    async def get(self, address_service_id: int) -> AddressService | None:
        return self._tx.tables.address_services.get(address_service_id)

    async def add(self, address_id: int, created_at: datetime, **fields: Any) -> AddressService:
        utc(created_at)
        if "name" not in fields:
            fields["name"] = None  # NOT NULL without a default: refused below
        new_id = self._tx.new_id("address_services")
        service = AddressService(
            id=new_id, address_id=address_id, **(_ADDRESS_SERVICE_DEFAULTS | fields)
        )
        self._store(service)
        return service

    async def update(self, address_service_id: int, **changes: Any) -> None:
        found = self._tx.tables.address_services.get(address_service_id)
        if changes and found is not None:
            self._store(replace(found, **changes))

    async def soft_delete(self, address_service_id: int, at: datetime) -> None:
        await self.update(address_service_id, deleted_at=at)

    async def active_for_service(self, address_id: int, service_id: int) -> bool:
        return any(
            s.address_id == address_id and s.service_id == service_id and s.deleted_at is None
            for s in self._tx.tables.address_services.values()
        )

    def _store(self, service: AddressService) -> None:
        not_null(service, *_ADDRESS_SERVICE_NOT_NULL)
        tables = self._tx.writable()
        require_row(tables.addresses, service.address_id, "address")
        require_row(tables.services, service.service_id, "service")
        if service.deleted_at is not None:
            service = replace(service, deleted_at=utc(service.deleted_at))
        elif service.service_id is not None and any(
            other.id != service.id
            and other.address_id == service.address_id
            and other.service_id == service.service_id
            and other.deleted_at is None
            for other in tables.address_services.values()
        ):
            # uq_address_services_active_service: the documented 409 (adapters/db/errors.py)
            raise errors.AddressServiceAlreadyExists()
        tables.address_services[service.id] = service


class MemoryInsuranceRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def providers(self, locale: str) -> list[InsuranceProvider]:
        return [
            InsuranceProvider(i, name)
            for i, (provider_locale, name) in sorted(self._tx.tables.insurance_providers.items())
            if provider_locale == locale
        ]

    async def get_provider(self, provider_id: int) -> tuple[InsuranceProvider, str] | None:
        found = self._tx.tables.insurance_providers.get(provider_id)
        if found is None:
            return None
        return InsuranceProvider(provider_id, found[1]), found[0]

    async def plans(self, provider_id: int) -> list[InsurancePlan]:
        return [
            p
            for _, p in sorted(self._tx.tables.insurance_plans.items())
            if p.provider_id == provider_id
        ]

    async def address_providers(self, address_id: int) -> list[InsuranceProvider]:
        tables = self._tx.tables
        plans: dict[int, list[InsurancePlan]] = defaultdict(list)
        for plan_id in sorted(p for a, p in tables.address_plans if a == address_id):
            plan = tables.insurance_plans[plan_id]
            plans[plan.provider_id].append(plan)
        return [
            InsuranceProvider(i, tables.insurance_providers[i][1], tuple(plans.get(i, [])))
            for i in sorted(p for a, p in tables.address_providers if a == address_id)
        ]

    async def is_linked(self, address_id: int, provider_id: int) -> bool:
        return (address_id, provider_id) in self._tx.tables.address_providers

    async def link(self, address_id: int, provider_id: int) -> None:
        tables = self._tx.writable()
        require_row(tables.addresses, address_id, "address")
        require_row(tables.insurance_providers, provider_id, "insurance provider")
        if (address_id, provider_id) in tables.address_providers:
            # the documented 400 for a duplicate link (adapters/db/errors.py)
            raise errors.AddInsuranceValidationError()
        tables.address_providers.add((address_id, provider_id))

    async def unlink(self, address_id: int, provider_id: int) -> None:
        await self.set_plans(address_id, provider_id, [])
        if (address_id, provider_id) in self._tx.tables.address_providers:
            self._tx.writable().address_providers.discard((address_id, provider_id))

    async def set_plans(self, address_id: int, provider_id: int, plan_ids: Sequence[int]) -> None:
        tables = self._tx.writable()
        of_provider = {i for i, p in tables.insurance_plans.items() if p.provider_id == provider_id}
        tables.address_plans -= {(address_id, plan_id) for plan_id in of_provider}
        for plan_id in dict.fromkeys(plan_ids):
            require_row(tables.addresses, address_id, "address")
            require_row(tables.insurance_plans, plan_id, "insurance plan")
            require_new(tables.address_plans, (address_id, plan_id), "address insurance plan")
            tables.address_plans.add((address_id, plan_id))
