"""SQL repositories of API clients, their tokens, and the writer that creates directory objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from dpi_server.adapters.db import tables as t
from dpi_server.domain.clients import ApiClient
from dpi_server.domain.directory import (
    Estate,
)
from dpi_server.domain.environments import PRODUCTION
from dpi_server.services.repositories import BulkDoctor, NewClient


def _client(row: RowMapping) -> ApiClient:
    return ApiClient(
        pk=row["id"],
        client_id=row["client_id"],
        secret_hash=row["secret_hash"],
        name=row["name"],
        locale=row["locale"],
        is_active=row["is_active"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        rate_limit_enabled=row["rate_limit_enabled"],
        read_limit=row["read_limit"],
        read_window_seconds=row["read_window_seconds"],
        write_limit=row["write_limit"],
        write_window_seconds=row["write_window_seconds"],
        features=frozenset(row["features"].split()),
        environment=row["environment"],
    )


class SqlClientRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_by_client_id(self, client_id: str) -> ApiClient | None:
        row = (
            (
                await self._conn.execute(
                    select(t.api_clients).where(t.api_clients.c.client_id == client_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _client(row)

    async def get(self, pk: int) -> ApiClient | None:
        row = (
            (await self._conn.execute(select(t.api_clients).where(t.api_clients.c.id == pk)))
            .mappings()
            .first()
        )
        return None if row is None else _client(row)

    async def add(self, client: NewClient) -> ApiClient:
        result = await self._conn.execute(
            insert(t.api_clients).values(
                client_id=client.client_id,
                secret_hash=client.secret_hash,
                name=client.name,
                locale=client.locale,
                is_active=True,
                created_at=client.created_at,
                features=" ".join(sorted(client.features)),
                environment=client.environment,
            )
        )
        pk = result.inserted_primary_key[0]  # type: ignore[index]
        found = await self.get(int(pk))
        assert found is not None
        return found

    async def list(self) -> list[ApiClient]:
        rows = (
            await self._conn.execute(select(t.api_clients).order_by(t.api_clients.c.id))
        ).mappings()
        return [_client(r) for r in rows]

    async def revoke(self, pk: int, at: datetime) -> None:
        await self._conn.execute(
            update(t.api_clients)
            .where(t.api_clients.c.id == pk)
            .values(revoked_at=at, is_active=False)
        )

    async def update(self, pk: int, **changes: Any) -> None:
        if not changes:
            return  # an UPDATE without SET is a syntax error
        if "features" in changes:
            changes["features"] = " ".join(sorted(changes["features"]))
        await self._conn.execute(
            update(t.api_clients).where(t.api_clients.c.id == pk).values(**changes)
        )

    async def assign_facility(self, pk: int, facility_id: int, can_edit: bool) -> None:
        cf = t.client_facilities
        await self._conn.execute(
            delete(cf).where(and_(cf.c.client_pk == pk, cf.c.facility_id == facility_id))
        )
        await self._conn.execute(
            insert(cf).values(client_pk=pk, facility_id=facility_id, can_edit_calendar=can_edit)
        )

    async def unassign_facility(self, pk: int, facility_id: int) -> None:
        cf = t.client_facilities
        await self._conn.execute(
            delete(cf).where(and_(cf.c.client_pk == pk, cf.c.facility_id == facility_id))
        )

    async def estate(self, pk: int) -> Estate:
        cf = t.client_facilities
        rows = (
            await self._conn.execute(
                select(cf.c.facility_id, cf.c.can_edit_calendar).where(cf.c.client_pk == pk)
            )
        ).all()
        return Estate(
            facility_ids=frozenset(int(r[0]) for r in rows),
            editable_facility_ids=frozenset(int(r[0]) for r in rows if r[1]),
        )

    async def production_facility_ids(self) -> frozenset[int]:
        cf, c = t.client_facilities, t.api_clients
        rows = await self._conn.execute(
            select(cf.c.facility_id)
            .distinct()
            .join(c, c.c.id == cf.c.client_pk)
            .where(_live_production())
        )
        return frozenset(int(r[0]) for r in rows)

    async def any_live_production(self) -> bool:
        found = await self._conn.scalar(
            select(t.api_clients.c.id).where(_live_production()).limit(1)
        )
        return found is not None


def _live_production() -> Any:
    """`ApiClient.is_live_production` as SQL."""
    c = t.api_clients
    return and_(c.c.environment == PRODUCTION, c.c.is_active.is_(True), c.c.revoked_at.is_(None))


class SqlTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self, token_hash: str, client_pk: int, created_at: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            insert(t.access_tokens).values(
                token_hash=token_hash,
                client_pk=client_pk,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    async def find(self, token_hash: str) -> tuple[int, datetime] | None:
        tok = t.access_tokens
        row = (
            await self._conn.execute(
                select(tok.c.client_pk, tok.c.expires_at).where(tok.c.token_hash == token_hash)
            )
        ).first()
        return None if row is None else (int(row[0]), row[1])

    async def delete_for_client(self, client_pk: int) -> None:
        await self._conn.execute(
            delete(t.access_tokens).where(t.access_tokens.c.client_pk == client_pk)
        )

    async def purge_expired(self, before: datetime) -> int:
        result = await self._conn.execute(
            delete(t.access_tokens).where(t.access_tokens.c.expires_at < before)
        )
        return int(result.rowcount or 0)


class SqlEstateWriter:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _insert(self, table: Any, **values: Any) -> int:
        result = await self._conn.execute(insert(table).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    async def add_facility(self, locale: str, name: str) -> int:
        return await self._insert(t.facilities, locale=locale, name=name)

    async def add_specialization(self, locale: str, name: str) -> int:
        return await self._insert(t.specializations, locale=locale, name=name)

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
        doctor_id = await self._insert(
            t.doctors,
            locale=locale,
            name=name,
            surname=surname,
            is_commercial=is_commercial,
            profile_url=profile_url,
        )
        for spec in specialization_ids:
            await self._conn.execute(
                insert(t.doctor_specializations).values(doctor_id=doctor_id, specialization_id=spec)
            )
        for number in license_numbers:
            await self._insert(t.license_numbers, doctor_id=doctor_id, license_number=number)
        return doctor_id

    async def add_doctors(
        self, locale: str, facility_id: int, doctors: Sequence[BulkDoctor], created_at: datetime
    ) -> list[tuple[int, int]]:
        if not doctors:
            return []
        # One multi-row INSERT per table: RETURNING in parameter order gives the new ids.
        inserted = await self._conn.execute(
            insert(t.doctors).returning(t.doctors.c.id, sort_by_parameter_order=True),
            [
                {
                    "locale": locale,
                    "name": d.doctor.name,
                    "surname": d.doctor.surname,
                    "is_commercial": d.doctor.is_commercial,
                    "profile_url": d.doctor.profile_url,
                }
                for d in doctors
            ],
        )
        doctor_ids = [int(row[0]) for row in inserted]
        pairs = list(zip(doctor_ids, doctors, strict=True))
        await self._many(
            t.doctor_specializations,
            [
                {"doctor_id": i, "specialization_id": spec}
                for i, d in pairs
                for spec in d.doctor.specialization_ids
            ],
        )
        await self._many(
            t.license_numbers,
            [
                {"doctor_id": i, "license_number": n}
                for i, d in pairs
                for n in d.doctor.license_numbers
            ],
        )
        await self._many(
            t.doctor_facilities, [{"doctor_id": i, "facility_id": facility_id} for i in doctor_ids]
        )
        placed = await self._conn.execute(
            insert(t.addresses).returning(t.addresses.c.id, sort_by_parameter_order=True),
            [{**d.address, "facility_id": facility_id, "doctor_id": i} for i, d in pairs],
        )
        address_ids = [int(row[0]) for row in placed]
        await self._many(
            t.address_services,
            [
                {**service, "address_id": a, "created_at": created_at}
                for a, (_i, d) in zip(address_ids, pairs, strict=True)
                for service in d.services
            ],
        )
        return list(zip(doctor_ids, address_ids, strict=True))

    async def _many(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._conn.execute(insert(table), rows)

    async def connect_doctor(self, doctor_id: int, facility_id: int) -> None:
        await self._conn.execute(
            insert(t.doctor_facilities).values(doctor_id=doctor_id, facility_id=facility_id)
        )

    async def add_address(self, facility_id: int, doctor_id: int, **fields: Any) -> int:
        return await self._insert(
            t.addresses, facility_id=facility_id, doctor_id=doctor_id, **fields
        )

    async def add_service(
        self, locale: str, name: str, *, is_diagnostic: bool, specialization_ids: Sequence[int]
    ) -> int:
        service_id = await self._insert(
            t.services, locale=locale, name=name, is_diagnostic=is_diagnostic
        )
        for spec in specialization_ids:
            await self._conn.execute(
                insert(t.service_specializations).values(
                    service_id=service_id, specialization_id=spec
                )
            )
        return service_id

    async def add_insurance_provider(self, locale: str, name: str, plans: Sequence[str]) -> int:
        provider_id = await self._insert(t.insurance_providers, locale=locale, name=name)
        for plan in plans:
            await self._insert(t.insurance_plans, provider_id=provider_id, name=plan)
        return provider_id

    async def count_facilities(self) -> int:
        return int(await self._conn.scalar(select(func.count()).select_from(t.facilities)) or 0)
