"""SQL repositories of the directory: facilities, doctors, addresses, services, insurance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t
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


def _address(row: RowMapping) -> Address:
    return Address(
        id=row["id"],
        facility_id=row["facility_id"],
        doctor_id=row["doctor_id"],
        name=row["name"],
        city_name=row["city_name"],
        post_code=row["post_code"],
        street=row["street"],
        is_online_only=row["is_online_only"],
        visit_payment=row["visit_payment"],
        commercial_type=row["commercial_type"],
        insurance_support=row["insurance_support"],
        extra_field_gender=row["extra_field_gender"],
        extra_field_nin=row["extra_field_nin"],
        extra_field_birth_date=row["extra_field_birth_date"],
        is_enabled=row["is_enabled"],
        payment_account=row["payment_account"],
        integration_removed_at=row["integration_removed_at"],
    )


class SqlDirectoryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_facility(self, facility_id: int) -> Facility | None:
        row = (
            (await self._conn.execute(select(t.facilities).where(t.facilities.c.id == facility_id)))
            .mappings()
            .first()
        )
        return None if row is None else Facility(row["id"], row["name"], row["locale"])

    async def facilities(self, ids: Sequence[int]) -> list[Facility]:
        if not ids:
            return []
        rows = (
            await self._conn.execute(
                select(t.facilities)
                .where(t.facilities.c.id.in_(list(ids)))
                .order_by(t.facilities.c.id)
            )
        ).mappings()
        return [Facility(r["id"], r["name"], r["locale"]) for r in rows]

    async def all_facilities(self, limit: int) -> list[Facility]:
        rows = (
            await self._conn.execute(select(t.facilities).order_by(t.facilities.c.id).limit(limit))
        ).mappings()
        return [Facility(r["id"], r["name"], r["locale"]) for r in rows]

    async def _doctor_facilities(self, doctor_ids: Sequence[int]) -> dict[int, set[int]]:
        df = t.doctor_facilities
        out: dict[int, set[int]] = defaultdict(set)
        if doctor_ids:
            rows = await self._conn.execute(
                select(df.c.doctor_id, df.c.facility_id).where(df.c.doctor_id.in_(list(doctor_ids)))
            )
            for doctor_id, facility_id in rows:
                out[int(doctor_id)].add(int(facility_id))
        return out

    @staticmethod
    def _doctor(row: RowMapping, facility_ids: set[int]) -> Doctor:
        return Doctor(
            id=row["id"],
            name=row["name"],
            surname=row["surname"],
            locale=row["locale"],
            is_commercial=row["is_commercial"],
            profile_url=row["profile_url"],
            facility_ids=frozenset(facility_ids),
        )

    async def get_doctor(self, doctor_id: int) -> Doctor | None:
        row = (
            (await self._conn.execute(select(t.doctors).where(t.doctors.c.id == doctor_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        links = await self._doctor_facilities([doctor_id])
        return self._doctor(row, links.get(doctor_id, set()))

    async def doctors_of_facility(self, facility_id: int) -> list[Doctor]:
        df = t.doctor_facilities
        rows = (
            (
                await self._conn.execute(
                    select(t.doctors)
                    .join(df, df.c.doctor_id == t.doctors.c.id)
                    .where(df.c.facility_id == facility_id)
                    .order_by(t.doctors.c.id)
                )
            )
            .mappings()
            .all()
        )
        links = await self._doctor_facilities([r["id"] for r in rows])
        return [self._doctor(r, links.get(r["id"], set())) for r in rows]

    async def specializations_of(
        self, doctor_ids: Sequence[int]
    ) -> dict[int, list[Specialization]]:
        ds, sp = t.doctor_specializations, t.specializations
        out: dict[int, list[Specialization]] = defaultdict(list)
        if doctor_ids:
            rows = await self._conn.execute(
                select(ds.c.doctor_id, sp.c.id, sp.c.name)
                .join(sp, sp.c.id == ds.c.specialization_id)
                .where(ds.c.doctor_id.in_(list(doctor_ids)))
                .order_by(sp.c.id)
            )
            for doctor_id, spec_id, name in rows:
                out[int(doctor_id)].append(Specialization(int(spec_id), name))
        return out

    async def license_numbers_of(self, doctor_ids: Sequence[int]) -> dict[int, list[LicenseNumber]]:
        ln = t.license_numbers
        out: dict[int, list[LicenseNumber]] = defaultdict(list)
        if doctor_ids:
            rows = await self._conn.execute(
                select(ln.c.doctor_id, ln.c.id, ln.c.license_number)
                .where(ln.c.doctor_id.in_(list(doctor_ids)))
                .order_by(ln.c.id)
            )
            for doctor_id, lid, number in rows:
                out[int(doctor_id)].append(LicenseNumber(int(lid), number))
        return out

    async def get_address(self, address_id: int) -> Address | None:
        row = (
            (await self._conn.execute(select(t.addresses).where(t.addresses.c.id == address_id)))
            .mappings()
            .first()
        )
        return None if row is None else _address(row)

    async def addresses_of(self, facility_id: int, doctor_id: int) -> list[Address]:
        a = t.addresses
        rows = (
            await self._conn.execute(
                select(a)
                .where(and_(a.c.facility_id == facility_id, a.c.doctor_id == doctor_id))
                .order_by(a.c.id)
            )
        ).mappings()
        return [_address(r) for r in rows]

    async def update_address(self, address_id: int, **changes: Any) -> None:
        if not changes:
            return  # an UPDATE without SET is a syntax error
        await self._conn.execute(
            update(t.addresses).where(t.addresses.c.id == address_id).values(**changes)
        )

    async def services(
        self, locale: str, only_diagnostics: bool, specialization_id: int | None
    ) -> list[Service]:
        s, ss = t.services, t.service_specializations
        query = select(s).where(s.c.locale == locale).order_by(s.c.id)
        if only_diagnostics:
            query = query.where(s.c.is_diagnostic.is_(True))
        if specialization_id is not None:
            query = query.where(
                exists().where(
                    and_(ss.c.service_id == s.c.id, ss.c.specialization_id == specialization_id)
                )
            )
        rows = (await self._conn.execute(query)).mappings()
        return [Service(r["id"], r["name"], r["is_diagnostic"]) for r in rows]

    async def get_service(self, service_id: int) -> Service | None:
        row = (
            (await self._conn.execute(select(t.services).where(t.services.c.id == service_id)))
            .mappings()
            .first()
        )
        return None if row is None else Service(row["id"], row["name"], row["is_diagnostic"])

    async def service_locale(self, service_id: int) -> str | None:
        value = await self._conn.scalar(
            select(t.services.c.locale).where(t.services.c.id == service_id)
        )
        return None if value is None else str(value)


def address_service_of(row: RowMapping) -> AddressService:
    return AddressService(
        id=row["id"],
        address_id=row["address_id"],
        service_id=row["service_id"],
        name=row["name"],
        price_cents=row["price_cents"],
        is_price_from=row["is_price_from"],
        is_default=row["is_default"],
        description=row["description"],
        default_duration=row["default_duration"],
        is_visible=row["is_visible"],
        min_age=row["min_age"],
        max_age=row["max_age"],
        custom_name=row["custom_name"],
        is_public_insurance_flow=row["is_public_insurance_flow"],
        deleted_at=row["deleted_at"],
    )


class SqlAddressServiceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list(self, address_id: int) -> list[AddressService]:
        a = t.address_services
        rows = (
            await self._conn.execute(
                select(a)
                .where(and_(a.c.address_id == address_id, a.c.deleted_at.is_(None)))
                .order_by(a.c.id)
            )
        ).mappings()
        return [address_service_of(r) for r in rows]

    async def get(self, address_service_id: int) -> AddressService | None:
        a = t.address_services
        row = (
            (await self._conn.execute(select(a).where(a.c.id == address_service_id)))
            .mappings()
            .first()
        )
        return None if row is None else address_service_of(row)

    async def add(self, address_id: int, created_at: datetime, **fields: Any) -> AddressService:
        result = await self._conn.execute(
            insert(t.address_services).values(
                address_id=address_id, created_at=created_at, **fields
            )
        )
        pk = int(result.inserted_primary_key[0])  # type: ignore[index]
        found = await self.get(pk)
        assert found is not None
        return found

    async def update(self, address_service_id: int, **changes: Any) -> None:
        if changes:
            a = t.address_services
            await self._conn.execute(
                update(a).where(a.c.id == address_service_id).values(**changes)
            )

    async def soft_delete(self, address_service_id: int, at: datetime) -> None:
        a = t.address_services
        await self._conn.execute(
            update(a).where(a.c.id == address_service_id).values(deleted_at=at)
        )

    async def active_for_service(self, address_id: int, service_id: int) -> bool:
        a = t.address_services
        count = await self._conn.scalar(
            select(func.count())
            .select_from(a)
            .where(
                and_(
                    a.c.address_id == address_id,
                    a.c.service_id == service_id,
                    a.c.deleted_at.is_(None),
                )
            )
        )
        return bool(count)


class SqlInsuranceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def providers(self, locale: str) -> list[InsuranceProvider]:
        p = t.insurance_providers
        rows = await self._conn.execute(
            select(p.c.id, p.c.name).where(p.c.locale == locale).order_by(p.c.id)
        )
        return [InsuranceProvider(int(i), n) for i, n in rows]

    async def get_provider(self, provider_id: int) -> tuple[InsuranceProvider, str] | None:
        p = t.insurance_providers
        row = (await self._conn.execute(select(p).where(p.c.id == provider_id))).mappings().first()
        if row is None:
            return None
        return InsuranceProvider(row["id"], row["name"]), row["locale"]

    async def plans(self, provider_id: int) -> list[InsurancePlan]:
        pl = t.insurance_plans
        rows = await self._conn.execute(
            select(pl.c.id, pl.c.provider_id, pl.c.name)
            .where(pl.c.provider_id == provider_id)
            .order_by(pl.c.id)
        )
        return [InsurancePlan(int(i), int(pid), n) for i, pid, n in rows]

    async def address_providers(self, address_id: int) -> list[InsuranceProvider]:
        p, ap, pl, apl = (
            t.insurance_providers,
            t.address_insurance_providers,
            t.insurance_plans,
            t.address_insurance_plans,
        )
        providers = (
            await self._conn.execute(
                select(p.c.id, p.c.name)
                .join(ap, ap.c.provider_id == p.c.id)
                .where(ap.c.address_id == address_id)
                .order_by(p.c.id)
            )
        ).all()
        plan_rows = await self._conn.execute(
            select(pl.c.id, pl.c.provider_id, pl.c.name)
            .join(apl, apl.c.plan_id == pl.c.id)
            .where(apl.c.address_id == address_id)
            .order_by(pl.c.id)
        )
        plans: dict[int, list[InsurancePlan]] = defaultdict(list)
        for plan_id, provider_id, name in plan_rows:
            plans[int(provider_id)].append(InsurancePlan(int(plan_id), int(provider_id), name))
        return [InsuranceProvider(int(i), n, tuple(plans.get(int(i), []))) for i, n in providers]

    async def is_linked(self, address_id: int, provider_id: int) -> bool:
        ap = t.address_insurance_providers
        count = await self._conn.scalar(
            select(func.count())
            .select_from(ap)
            .where(and_(ap.c.address_id == address_id, ap.c.provider_id == provider_id))
        )
        return bool(count)

    async def link(self, address_id: int, provider_id: int) -> None:
        await self._conn.execute(
            insert(t.address_insurance_providers).values(
                address_id=address_id, provider_id=provider_id
            )
        )

    async def unlink(self, address_id: int, provider_id: int) -> None:
        await self.set_plans(address_id, provider_id, [])
        ap = t.address_insurance_providers
        await self._conn.execute(
            delete(ap).where(and_(ap.c.address_id == address_id, ap.c.provider_id == provider_id))
        )

    async def set_plans(self, address_id: int, provider_id: int, plan_ids: Sequence[int]) -> None:
        apl, pl = t.address_insurance_plans, t.insurance_plans
        of_provider = select(pl.c.id).where(pl.c.provider_id == provider_id)
        await self._conn.execute(
            delete(apl).where(and_(apl.c.address_id == address_id, apl.c.plan_id.in_(of_provider)))
        )
        for plan_id in dict.fromkeys(plan_ids):
            await self._conn.execute(insert(apl).values(address_id=address_id, plan_id=plan_id))
