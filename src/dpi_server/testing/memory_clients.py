"""In-memory twins of the client, token and estate-writer ports (`adapters/db/repositories.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from dpi_server.domain.clients import ApiClient
from dpi_server.domain.directory import Address, Doctor, Estate, Facility, InsurancePlan, Service
from dpi_server.services.repositories import BulkDoctor, NewClient
from dpi_server.testing.memory_state import (
    TokenRow,
    Transaction,
    not_null,
    require_new,
    require_row,
    utc,
    utc_or_none,
)

# What the `addresses` table fills in for a column left out of the insert.
ADDRESS_DEFAULTS: dict[str, Any] = {
    "name": None,
    "city_name": None,
    "post_code": None,
    "street": None,
    "is_online_only": False,
    "visit_payment": False,
    "commercial_type": "premium",
    "insurance_support": "private",
    "extra_field_gender": False,
    "extra_field_nin": False,
    "extra_field_birth_date": False,
    "is_enabled": True,
    "payment_account": None,
    "integration_removed_at": None,
}
ADDRESS_NOT_NULL = (
    "facility_id",
    "doctor_id",
    "is_online_only",
    "visit_payment",
    "commercial_type",
    "insurance_support",
    "extra_field_gender",
    "extra_field_nin",
    "extra_field_birth_date",
    "is_enabled",
)


def stored_address(tx: Transaction, address: Address) -> Address:
    """The address as its row would hold it, after the row's constraints."""
    not_null(address, *ADDRESS_NOT_NULL)
    tables = tx.tables
    require_row(tables.facilities, address.facility_id, "facility")
    require_row(tables.doctors, address.doctor_id, "doctor")
    return replace(address, integration_removed_at=utc_or_none(address.integration_removed_at))


class MemoryClientRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def get_by_client_id(self, client_id: str) -> ApiClient | None:
        return next((c for c in self._tx.tables.clients.values() if c.client_id == client_id), None)

    async def get(self, pk: int) -> ApiClient | None:
        return self._tx.tables.clients.get(pk)

    async def add(self, client: NewClient) -> ApiClient:
        tables = self._tx.writable()
        require_new({c.client_id for c in tables.clients.values()}, client.client_id, "client_id")
        pk = self._tx.new_id("api_clients")
        tables.clients[pk] = ApiClient(
            pk=pk,
            client_id=client.client_id,
            secret_hash=client.secret_hash,
            name=client.name,
            locale=client.locale,
            is_active=True,
            created_at=utc(client.created_at),
            revoked_at=None,
            features=frozenset(client.features),
            environment=client.environment,
        )
        return tables.clients[pk]

    async def list(self) -> list[ApiClient]:
        return [c for _, c in sorted(self._tx.tables.clients.items())]

    async def revoke(self, pk: int, at: datetime) -> None:
        await self.update(pk, revoked_at=at, is_active=False)

    async def update(self, pk: int, **changes: Any) -> None:
        found = self._tx.tables.clients.get(pk)
        if found is None:
            return
        if "features" in changes:
            changes["features"] = frozenset(changes["features"])
        for name in ("created_at", "revoked_at"):
            if name in changes:
                changes[name] = utc_or_none(changes[name])
        updated = replace(found, **changes)
        if updated.client_id != found.client_id:
            others = {c.client_id for c in self._tx.tables.clients.values() if c.pk != pk}
            require_new(others, updated.client_id, "client_id")
        self._tx.writable().clients[pk] = updated

    async def assign_facility(self, pk: int, facility_id: int, can_edit: bool) -> None:
        tables = self._tx.writable()
        require_row(tables.clients, pk, "client")
        require_row(tables.facilities, facility_id, "facility")
        tables.client_facilities[(pk, facility_id)] = can_edit

    async def unassign_facility(self, pk: int, facility_id: int) -> None:
        if (pk, facility_id) in self._tx.tables.client_facilities:
            del self._tx.writable().client_facilities[(pk, facility_id)]

    async def estate(self, pk: int) -> Estate:
        links = [(f, edit) for (c, f), edit in self._tx.tables.client_facilities.items() if c == pk]
        return Estate(
            facility_ids=frozenset(f for f, _ in links),
            editable_facility_ids=frozenset(f for f, edit in links if edit),
        )

    async def production_facility_ids(self) -> frozenset[int]:
        tables = self._tx.tables
        live = {pk for pk, c in tables.clients.items() if c.is_live_production}
        return frozenset(f for (c, f) in tables.client_facilities if c in live)

    async def any_live_production(self) -> bool:
        return any(c.is_live_production for c in self._tx.tables.clients.values())


class MemoryTokenRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add(
        self, token_hash: str, client_pk: int, created_at: datetime, expires_at: datetime
    ) -> None:
        tables = self._tx.writable()
        require_new(tables.tokens, token_hash, "access token")
        require_row(tables.clients, client_pk, "client")
        tables.tokens[token_hash] = TokenRow(client_pk, utc(created_at), utc(expires_at))

    async def find(self, token_hash: str) -> tuple[int, datetime] | None:
        row = self._tx.tables.tokens.get(token_hash)
        return None if row is None else (row.client_pk, row.expires_at)

    async def delete_for_client(self, client_pk: int) -> None:
        self._drop([h for h, row in self._tx.tables.tokens.items() if row.client_pk == client_pk])

    async def purge_expired(self, before: datetime) -> int:
        expired = [h for h, row in self._tx.tables.tokens.items() if row.expires_at < before]
        self._drop(expired)
        return len(expired)

    def _drop(self, hashes: Sequence[str]) -> None:
        if hashes:
            tokens = self._tx.writable().tokens
            for token_hash in hashes:
                del tokens[token_hash]


class MemoryEstateWriter:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def add_facility(self, locale: str, name: str) -> int:
        facility_id = self._tx.new_id("facilities")
        self._tx.writable().facilities[facility_id] = Facility(facility_id, name, locale)
        return facility_id

    async def add_specialization(self, locale: str, name: str) -> int:
        spec_id = self._tx.new_id("specializations")
        self._tx.writable().specializations[spec_id] = (locale, name)
        return spec_id

    async def add_doctor(
        self,
        locale: str,
        name: str,
        surname: str,
        *,
        is_commercial: bool,
        profile_url: str | None,
        specialization_ids: Sequence[int],
        license_numbers: Sequence[str],
    ) -> int:
        tables = self._tx.writable()
        doctor_id = self._tx.new_id("doctors")
        tables.doctors[doctor_id] = Doctor(
            doctor_id, name, surname, locale, is_commercial, profile_url
        )
        for spec in specialization_ids:
            require_row(tables.specializations, spec, "specialization")
            require_new(tables.doctor_specializations, (doctor_id, spec), "doctor specialization")
            tables.doctor_specializations.add((doctor_id, spec))
        for number in license_numbers:
            tables.license_numbers[self._tx.new_id("license_numbers")] = (doctor_id, number)
        return doctor_id

    async def add_doctors(
        self, locale: str, facility_id: int, doctors: Sequence[BulkDoctor], created_at: datetime
    ) -> list[tuple[int, int]]:
        # One at a time through the single-row twins: the same rows and constraints.
        from dpi_server.testing.memory_directory import MemoryAddressServiceRepository

        services = MemoryAddressServiceRepository(self._tx)
        made: list[tuple[int, int]] = []
        for d in doctors:
            new = d.doctor
            doctor_id = await self.add_doctor(
                locale,
                new.name,
                new.surname,
                is_commercial=new.is_commercial,
                profile_url=new.profile_url,
                specialization_ids=new.specialization_ids,
                license_numbers=new.license_numbers,
            )
            await self.connect_doctor(doctor_id, facility_id)
            address_id = await self.add_address(facility_id, doctor_id, **d.address)
            for service in d.services:
                await services.add(address_id, created_at, **service)
            made.append((doctor_id, address_id))
        return made

    async def connect_doctor(self, doctor_id: int, facility_id: int) -> None:
        tables = self._tx.writable()
        require_row(tables.doctors, doctor_id, "doctor")
        require_row(tables.facilities, facility_id, "facility")
        require_new(tables.doctor_facilities, (doctor_id, facility_id), "doctor facility")
        tables.doctor_facilities.add((doctor_id, facility_id))

    async def add_address(self, facility_id: int, doctor_id: int, **fields: Any) -> int:
        address_id = self._tx.new_id("addresses")
        address = Address(
            id=address_id,
            facility_id=facility_id,
            doctor_id=doctor_id,
            **(ADDRESS_DEFAULTS | fields),
        )
        self._tx.writable().addresses[address_id] = stored_address(self._tx, address)
        return address_id

    async def add_service(
        self, locale: str, name: str, *, is_diagnostic: bool, specialization_ids: Sequence[int]
    ) -> int:
        tables = self._tx.writable()
        service_id = self._tx.new_id("services")
        tables.services[service_id] = (Service(service_id, name, is_diagnostic), locale)
        for spec in specialization_ids:
            require_row(tables.specializations, spec, "specialization")
            require_new(tables.service_specializations, (service_id, spec), "service spec")
            tables.service_specializations.add((service_id, spec))
        return service_id

    async def add_insurance_provider(self, locale: str, name: str, plans: Sequence[str]) -> int:
        tables = self._tx.writable()
        provider_id = self._tx.new_id("insurance_providers")
        tables.insurance_providers[provider_id] = (locale, name)
        for plan in plans:
            plan_id = self._tx.new_id("insurance_plans")
            tables.insurance_plans[plan_id] = InsurancePlan(plan_id, provider_id, plan)
        return provider_id

    async def count_facilities(self) -> int:
        return len(self._tx.tables.facilities)
