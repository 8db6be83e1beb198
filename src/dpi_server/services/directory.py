"""Reading facilities, doctors and addresses through a client's estate (behaviour.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from dpi_server.domain import errors
from dpi_server.domain.actors import IntegrationActor
from dpi_server.domain.clients import FEATURE_REMOVE_ADDRESS_INTEGRATION
from dpi_server.domain.directory import (
    INSURANCE_SUPPORT,
    Address,
    Doctor,
    Facility,
    LicenseNumber,
    Service,
    Specialization,
)
from dpi_server.services.access import AddressScope, DoctorScope, FacilityScope
from dpi_server.services.cache import HotPathCache
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.transactions import retrying

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DoctorView:
    doctor: Doctor
    specializations: list[Specialization]
    license_numbers: list[LicenseNumber]
    addresses: list[Address]


class DirectoryService:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, cache: HotPathCache | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._cache = cache

    async def list_facilities(self, actor: IntegrationActor) -> list[Facility]:
        async with self._uow() as uow:
            estate = (
                await self._cache.estate(actor.client_pk, uow)
                if self._cache is not None
                else await uow.clients.estate(actor.client_pk)
            )
            found = await uow.directory.facilities(sorted(estate.facility_ids))
        return [f for f in found if f.locale == actor.locale]

    async def facilities_answer(
        self, actor: IntegrationActor, render: Callable[[list[Facility]], T]
    ) -> T:
        """`render(list_facilities(actor))`, kept in the hot-path cache with the estate it
        comes from (services/cache.py), so the answer costs no statement until the client,
        its estate or a facility changes. Without a cache, rendered every time."""
        if self._cache is None:
            return render(await self.list_facilities(actor))

        async def load() -> T:
            return render(await self.list_facilities(actor))

        return await self._cache.memo(("facilities", actor.client_pk, actor.locale), load)

    async def get_facility(
        self, scope: FacilityScope, *, with_doctors: bool = False
    ) -> tuple[Facility, list[Doctor]]:
        if not with_doctors:
            return scope.facility, []
        async with self._uow() as uow:
            doctors = await uow.directory.doctors_of_facility(scope.facility.id)
        return scope.facility, [d for d in doctors if d.is_commercial]

    async def list_doctors(
        self, scope: FacilityScope, *, details: bool = False
    ) -> list[DoctorView]:
        """Only commercial doctors connected to the facility are listed (behaviour.md §7.1)."""
        async with self._uow() as uow:
            doctors = [
                d
                for d in await uow.directory.doctors_of_facility(scope.facility.id)
                if d.is_commercial
            ]
            ids = [d.id for d in doctors]
            specs = await uow.directory.specializations_of(ids) if details else {}
            licenses = await uow.directory.license_numbers_of(ids) if details else {}
        return [DoctorView(d, specs.get(d.id, []), licenses.get(d.id, []), []) for d in doctors]

    async def get_doctor(self, scope: DoctorScope) -> DoctorView:
        doctor = scope.doctor
        async with self._uow() as uow:
            specs = await uow.directory.specializations_of([doctor.id])
            licenses = await uow.directory.license_numbers_of([doctor.id])
            addresses = await uow.directory.addresses_of(scope.facility.id, doctor.id)
        return DoctorView(doctor, specs.get(doctor.id, []), licenses.get(doctor.id, []), addresses)

    async def list_addresses(self, scope: DoctorScope) -> list[Address]:
        async with self._uow() as uow:
            return await uow.directory.addresses_of(scope.facility.id, scope.doctor.id)

    async def update_address(self, scope: AddressScope, *, insurance_support: str) -> Address:
        """PATCH an address; `insurance_support` is the one writable field (1.0.26)."""
        if insurance_support not in INSURANCE_SUPPORT:
            raise errors.FieldErrors(
                {
                    "insurance_support": [
                        f"The value must be one of: {', '.join(INSURANCE_SUPPORT)}."
                    ]
                }
            )
        scope.require_editable()

        async def attempt() -> Address:
            async with self._uow(write=True) as uow:
                await uow.directory.update_address(
                    scope.address.id, insurance_support=insurance_support
                )
                updated = await uow.directory.get_address(scope.address.id)
                await uow.commit()
            assert updated is not None
            return updated

        return await retrying(attempt)

    async def remove_address_integration(self, scope: AddressScope) -> None:
        """Detach an address from the integration (1.11.0, DocplannerPMS clients only)."""
        actor = scope.actor
        if (
            isinstance(actor, IntegrationActor)
            and FEATURE_REMOVE_ADDRESS_INTEGRATION not in actor.features
        ):
            raise errors.FeatureNotAuthorized()
        scope.require_editable()
        if scope.address.integration_removed_at is not None:
            return

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                await uow.directory.update_address(
                    scope.address.id, integration_removed_at=self._clock.now()
                )
                await uow.commit()

        await retrying(attempt)

    async def list_services(
        self, locale: str, *, only_diagnostics: bool, specialization_id: int | None
    ) -> list[Service]:
        async with self._uow() as uow:
            return await uow.directory.services(locale, only_diagnostics, specialization_id)
