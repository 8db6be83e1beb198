"""The operator's side of the directory: creating facilities, doctors, addresses and the
dictionaries (services, specializations, insurance). The public API has no such operations;
the demo seed, the CLI and the sandbox use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from dpi_server.domain import errors
from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.directory import (
    COMMERCIAL_TYPES,
    INSURANCE_SUPPORT,
    Address,
    Doctor,
    Facility,
)
from dpi_server.domain.locales import LOCALES
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import BulkDoctor, NewDoctor, UnitOfWorkFactory

__all__ = [
    "EstateAdminService",
    "FacilityPlan",
    "NewAddress",
    "NewDoctor",
    "SeededDoctor",
    "SeededFacility",
]


@dataclass(frozen=True, slots=True)
class NewAddress:
    name: str | None
    city_name: str | None = None
    post_code: str | None = None
    street: str | None = None
    is_online_only: bool = False
    visit_payment: bool = False
    commercial_type: str = "premium"
    insurance_support: str = "private"
    extra_field_gender: bool = False
    extra_field_nin: bool = False
    extra_field_birth_date: bool = False
    payment_account: str | None = None


@dataclass(frozen=True, slots=True)
class SeededDoctor:
    """A doctor of a bulk seed with one address and its services: (dictionary service id,
    price, default duration in minutes)."""

    doctor: NewDoctor
    address: NewAddress
    services: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class FacilityPlan:
    name: str
    doctors: tuple[SeededDoctor, ...]


@dataclass(frozen=True, slots=True)
class SeededFacility:
    facility_id: int
    doctor_ids: tuple[int, ...]
    address_ids: tuple[int, ...]
    address_services: int


@dataclass(frozen=True, slots=True)
class DoctorAtFacility:
    doctor: Doctor
    addresses: list[Address]


@dataclass(frozen=True, slots=True)
class FacilityOverview:
    facility: Facility
    doctors: list[DoctorAtFacility]


# The overview is for people (the home page): a few dozen facilities, not a long test run's.
OVERVIEW_LIMIT = 50


class EstateAdminService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock | None = None) -> None:
        self._uow = uow
        self._clock = clock

    async def add_specialization(self, _actor: OperatorActor, locale: str, name: str) -> int:
        _check_locale(locale)
        async with self._uow(write=True) as uow:
            created = await uow.estate_writer.add_specialization(locale, name)
            await uow.commit()
        return created

    async def add_service(
        self,
        _actor: OperatorActor,
        locale: str,
        name: str,
        *,
        is_diagnostic: bool = False,
        specialization_ids: Sequence[int] = (),
    ) -> int:
        _check_locale(locale)
        async with self._uow(write=True) as uow:
            created = await uow.estate_writer.add_service(
                locale, name, is_diagnostic=is_diagnostic, specialization_ids=specialization_ids
            )
            await uow.commit()
        return created

    async def add_insurance_provider(
        self, _actor: OperatorActor, locale: str, name: str, plans: Sequence[str] = ()
    ) -> int:
        _check_locale(locale)
        async with self._uow(write=True) as uow:
            created = await uow.estate_writer.add_insurance_provider(locale, name, plans)
            await uow.commit()
        return created

    async def add_facility(self, _actor: OperatorActor, locale: str, name: str) -> int:
        _check_locale(locale)
        async with self._uow(write=True) as uow:
            created = await uow.estate_writer.add_facility(locale, name)
            await uow.commit()
        return created

    async def add_doctor(
        self, _actor: OperatorActor, locale: str, doctor: NewDoctor, facility_ids: Sequence[int]
    ) -> int:
        """A doctor connected to the given facilities (of the same locale)."""
        _check_locale(locale)
        async with self._uow(write=True) as uow:
            for facility_id in facility_ids:
                facility = await uow.directory.get_facility(facility_id)
                if facility is None or facility.locale != locale:
                    raise errors.ObjectNotFound()
            created = await uow.estate_writer.add_doctor(
                locale,
                doctor.name,
                doctor.surname,
                is_commercial=doctor.is_commercial,
                profile_url=doctor.profile_url,
                specialization_ids=doctor.specialization_ids,
                license_numbers=doctor.license_numbers,
            )
            for facility_id in facility_ids:
                await uow.estate_writer.connect_doctor(created, facility_id)
            await uow.commit()
        return created

    async def add_address(
        self, _actor: OperatorActor, facility_id: int, doctor_id: int, address: NewAddress
    ) -> int:
        """An address of a doctor in one of the doctor's facilities."""
        check_new_address(address)
        async with self._uow(write=True) as uow:
            doctor = await uow.directory.get_doctor(doctor_id)
            if doctor is None or facility_id not in doctor.facility_ids:
                raise errors.ObjectNotFound()
            created = await uow.estate_writer.add_address(facility_id, doctor_id, **asdict(address))
            await uow.commit()
        return created

    async def add_facility_estate(
        self, _actor: OperatorActor, locale: str, plan: FacilityPlan
    ) -> SeededFacility:
        """A facility with its doctors, their addresses and address services, in one
        transaction (bulk seeding: `dpi seed`). The facility is new, so no API client holds
        it and no notification is due; the address services raise no events."""
        _check_locale(locale)
        for seeded in plan.doctors:
            check_new_address(seeded.address)
        assert self._clock is not None, "bulk seeding needs the clock"
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            names: dict[int, str] = {}
            for service_id in {sid for d in plan.doctors for sid, _p, _m in d.services}:
                service = await uow.directory.get_service(service_id)
                if service is None or await uow.directory.service_locale(service_id) != locale:
                    raise errors.FieldErrors(
                        {"service_id": [f"No service {service_id} in {locale}."]}
                    )
                names[service_id] = service.name
            facility_id = await uow.estate_writer.add_facility(locale, plan.name)
            made = await uow.estate_writer.add_doctors(
                locale, facility_id, [_bulk(d, names) for d in plan.doctors], now
            )
            await uow.commit()
        count = sum(len(d.services) for d in plan.doctors)
        doctor_ids = [doctor_id for doctor_id, _ in made]
        address_ids = [address_id for _, address_id in made]
        return SeededFacility(facility_id, tuple(doctor_ids), tuple(address_ids), count)

    async def overview(self, _actor: OperatorActor) -> list[FacilityOverview]:
        """Every facility (the first `OVERVIEW_LIMIT`) with its doctors and their addresses."""
        async with self._uow() as uow:
            found = []
            for facility in await uow.directory.all_facilities(OVERVIEW_LIMIT):
                doctors = [
                    DoctorAtFacility(d, await uow.directory.addresses_of(facility.id, d.id))
                    for d in await uow.directory.doctors_of_facility(facility.id)
                ]
                found.append(FacilityOverview(facility, doctors))
        return found

    async def is_empty(self) -> bool:
        async with self._uow() as uow:
            return await uow.estate_writer.count_facilities() == 0


def check_new_address(address: NewAddress) -> None:
    """The address's vocabularies: 400 with a field map otherwise."""
    if address.commercial_type not in COMMERCIAL_TYPES:
        raise errors.FieldErrors({"commercial_type": [f"One of {', '.join(COMMERCIAL_TYPES)}."]})
    if address.insurance_support not in INSURANCE_SUPPORT:
        raise errors.FieldErrors({"insurance_support": [f"One of {', '.join(INSURANCE_SUPPORT)}."]})


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise errors.FieldErrors({"locale": [f"One of {', '.join(sorted(LOCALES))}."]})


def _bulk(seeded: SeededDoctor, names: dict[int, str]) -> BulkDoctor:
    return BulkDoctor(
        doctor=seeded.doctor,
        address=asdict(seeded.address),
        services=tuple(
            {
                "service_id": service_id,
                "name": names[service_id],
                "price_cents": price * 100,
                "is_price_from": False,
                "is_default": position == 0,
                "description": None,
                "default_duration": duration,
                "is_visible": True,
                "min_age": None,
                "max_age": None,
                "custom_name": None,
                "is_public_insurance_flow": False,
            }
            for position, (service_id, price, duration) in enumerate(seeded.services)
        ),
    )
