"""Reading facilities, doctors and addresses through a client's estate (behaviour.md §7)."""

from __future__ import annotations

from dataclasses import dataclass

from dpi_server.domain import errors
from dpi_server.domain.clients import FEATURE_REMOVE_ADDRESS_INTEGRATION
from dpi_server.domain.directory import (
    INSURANCE_SUPPORT,
    Address,
    Doctor,
    Estate,
    Facility,
    LicenseNumber,
    Service,
    Specialization,
    check_path,
)
from dpi_server.services.ports import Clock
from dpi_server.services.principal import Principal
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory


def parse_id(value: str | int) -> int | None:
    """Path and body ids: decimal digits only; anything else names no object."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


@dataclass(frozen=True, slots=True)
class ResolvedPath:
    estate: Estate
    facility: Facility
    doctor: Doctor | None = None
    address: Address | None = None

    def require_address(self) -> Address:
        assert self.address is not None
        return self.address

    def require_editable(self) -> None:
        """Writes to an address need an estate that may change its facility's calendars:
        403 `You are not authorized to make changes on this calendar` otherwise."""
        if not self.estate.may_edit(self.require_address().facility_id):
            raise errors.CalendarEditionNotAuthorized()


async def resolve_path(
    uow: UnitOfWork,
    principal: Principal,
    facility_id: str,
    doctor_id: str | None = None,
    address_id: str | None = None,
) -> ResolvedPath:
    """Load the objects a path names and apply the 404/403 rules of `check_path`."""
    locale = principal.locale.code
    fid = parse_id(facility_id)
    facility = await uow.directory.get_facility(fid) if fid is not None else None
    if facility is not None and facility.locale != locale:
        facility = None
    doctor = None
    if doctor_id is not None:
        did = parse_id(doctor_id)
        doctor = await uow.directory.get_doctor(did) if did is not None else None
        if doctor is not None and doctor.locale != locale:
            doctor = None
    address = None
    if address_id is not None:
        aid = parse_id(address_id)
        address = await uow.directory.get_address(aid) if aid is not None else None
    estate = await uow.clients.estate(principal.client_pk)
    check_path(
        estate,
        facility=facility,
        doctor=doctor,
        address=address,
        want_doctor=doctor_id is not None,
        want_address=address_id is not None,
    )
    assert facility is not None
    return ResolvedPath(estate, facility, doctor, address)


@dataclass(frozen=True, slots=True)
class DoctorView:
    doctor: Doctor
    specializations: list[Specialization]
    license_numbers: list[LicenseNumber]
    addresses: list[Address]


class DirectoryService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def list_facilities(self, principal: Principal) -> list[Facility]:
        async with self._uow() as uow:
            estate = await uow.clients.estate(principal.client_pk)
            found = await uow.directory.facilities(sorted(estate.facility_ids))
        return [f for f in found if f.locale == principal.locale.code]

    async def get_facility(
        self, principal: Principal, facility_id: str, *, with_doctors: bool = False
    ) -> tuple[Facility, list[Doctor]]:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, facility_id)
            doctors = (
                await uow.directory.doctors_of_facility(path.facility.id) if with_doctors else []
            )
        return path.facility, [d for d in doctors if d.is_commercial]

    async def list_doctors(
        self, principal: Principal, facility_id: str, *, details: bool = False
    ) -> list[DoctorView]:
        """Only commercial doctors connected to the facility are listed (behaviour.md §7.1)."""
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, facility_id)
            doctors = [
                d
                for d in await uow.directory.doctors_of_facility(path.facility.id)
                if d.is_commercial
            ]
            ids = [d.id for d in doctors]
            specs = await uow.directory.specializations_of(ids) if details else {}
            licenses = await uow.directory.license_numbers_of(ids) if details else {}
        return [DoctorView(d, specs.get(d.id, []), licenses.get(d.id, []), []) for d in doctors]

    async def get_doctor(
        self, principal: Principal, facility_id: str, doctor_id: str
    ) -> DoctorView:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, facility_id, doctor_id)
            doctor = path.doctor
            assert doctor is not None
            specs = await uow.directory.specializations_of([doctor.id])
            licenses = await uow.directory.license_numbers_of([doctor.id])
            addresses = await uow.directory.addresses_of(path.facility.id, doctor.id)
        return DoctorView(doctor, specs.get(doctor.id, []), licenses.get(doctor.id, []), addresses)

    async def list_addresses(
        self, principal: Principal, facility_id: str, doctor_id: str
    ) -> list[Address]:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, facility_id, doctor_id)
            assert path.doctor is not None
            return await uow.directory.addresses_of(path.facility.id, path.doctor.id)

    async def get_address(
        self, principal: Principal, facility_id: str, doctor_id: str, address_id: str
    ) -> Address:
        async with self._uow() as uow:
            path = await resolve_path(uow, principal, facility_id, doctor_id, address_id)
        return path.require_address()

    async def update_address(
        self,
        principal: Principal,
        facility_id: str,
        doctor_id: str,
        address_id: str,
        *,
        insurance_support: str,
    ) -> Address:
        """PATCH an address; `insurance_support` is the one writable field (1.0.26)."""
        if insurance_support not in INSURANCE_SUPPORT:
            raise errors.FieldErrors(
                {
                    "insurance_support": [
                        f"The value must be one of: {', '.join(INSURANCE_SUPPORT)}."
                    ]
                }
            )
        async with self._uow(write=True) as uow:
            path = await resolve_path(uow, principal, facility_id, doctor_id, address_id)
            address = path.require_address()
            path.require_editable()
            await uow.directory.update_address(address.id, insurance_support=insurance_support)
            updated = await uow.directory.get_address(address.id)
            await uow.commit()
        assert updated is not None
        return updated

    async def remove_address_integration(
        self, principal: Principal, facility_id: str, doctor_id: str, address_id: str
    ) -> None:
        """Detach an address from the integration (1.11.0, DocplannerPMS clients only)."""
        async with self._uow(write=True) as uow:
            path = await resolve_path(uow, principal, facility_id, doctor_id, address_id)
            if FEATURE_REMOVE_ADDRESS_INTEGRATION not in principal.features:
                raise errors.FeatureNotAuthorized()
            address = path.require_address()
            path.require_editable()
            if address.integration_removed_at is None:
                await uow.directory.update_address(
                    address.id, integration_removed_at=self._clock.now()
                )
            await uow.commit()

    async def list_services(
        self, principal: Principal, *, only_diagnostics: bool, specialization_id: str | None
    ) -> list[Service]:
        spec: int | None = None
        if specialization_id is not None and specialization_id != "":
            spec = parse_id(specialization_id)
            if spec is None:
                raise errors.FieldErrors(
                    {"specialization_id": ["This value should be a positive integer."]}
                )
        async with self._uow() as uow:
            return await uow.directory.services(principal.locale.code, only_diagnostics, spec)
