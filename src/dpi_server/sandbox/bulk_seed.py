"""Larger estates for load and scale tests (`dpi seed`, `POST /_sandbox/seed`): N facilities
with M doctors each, one address per doctor and two or three services at each address.

Each facility is one transaction of `EstateAdminService.add_facility_estate`, so 50 x 20 is 50
commits rather than thousands, and a progress callback can follow facility by facility. Names
are generated deterministically from the facility's and doctor's position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.errors import FieldErrors
from dpi_server.services.estate_admin import (
    FacilityPlan,
    NewAddress,
    NewDoctor,
    SeededDoctor,
)
from dpi_server.services.registry import Services

MAX_FACILITIES = 1000
MAX_DOCTORS_PER_FACILITY = 200

_FIRST = ("Anna", "Piotr", "Maria", "Jan", "Ewa", "Adam", "Zofia", "Marek", "Ola", "Paweł")
_LAST = ("Nowak", "Kowalski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska", "Szymański")
_CITIES = (("Warszawa", "00-"), ("Kraków", "30-"), ("Gdańsk", "80-"), ("Poznań", "60-"))
# name, diagnostic, default duration, price
_SERVICES = (
    ("Konsultacja", False, 30, 200),
    ("Konsultacja online", False, 20, 150),
    ("USG", True, 20, 250),
    ("Kontrola", False, 15, 120),
)


@dataclass(frozen=True, slots=True)
class SeedCounts:
    facilities: int
    doctors: int
    addresses: int
    address_services: int
    facility_ids: tuple[int, ...]


async def seed_estate(
    services: Services,
    *,
    facilities: int,
    doctors_per_facility: int,
    locale: str = "pl",
    progress: Callable[[int], None] | None = None,
) -> SeedCounts:
    """Create the estate; `progress(i)` is called after facility i (1-based) is committed."""
    problems: dict[str, list[str]] = {}
    if not 1 <= facilities <= MAX_FACILITIES:
        problems["facilities"] = [f"Between 1 and {MAX_FACILITIES}."]
    if not 1 <= doctors_per_facility <= MAX_DOCTORS_PER_FACILITY:
        problems["doctors"] = [f"Between 1 and {MAX_DOCTORS_PER_FACILITY} per facility."]
    if problems:
        raise FieldErrors(problems)
    operator = OperatorActor()
    admin = services.estate_admin
    specializations = [
        await admin.add_specialization(operator, locale, f"Specjalizacja {i + 1}") for i in range(4)
    ]
    service_ids = [
        await admin.add_service(
            operator, locale, name, is_diagnostic=diagnostic, specialization_ids=specializations
        )
        for name, diagnostic, _duration, _price in _SERVICES
    ]
    facility_ids: list[int] = []
    doctors = addresses = address_services = 0
    for f in range(facilities):
        city, post = _CITIES[f % len(_CITIES)]
        plan = FacilityPlan(
            name=f"Przychodnia {f + 1}",
            doctors=tuple(
                _doctor(f, d, city, post, specializations, service_ids)
                for d in range(doctors_per_facility)
            ),
        )
        done = await admin.add_facility_estate(operator, locale, plan)
        facility_ids.append(done.facility_id)
        doctors += len(done.doctor_ids)
        addresses += len(done.address_ids)
        address_services += done.address_services
        if progress is not None:
            progress(f + 1)
    return SeedCounts(facilities, doctors, addresses, address_services, tuple(facility_ids))


def _doctor(
    f: int, d: int, city: str, post: str, specializations: list[int], service_ids: list[int]
) -> SeededDoctor:
    n = f * 1000 + d
    name, surname = _FIRST[n % len(_FIRST)], _LAST[(n // len(_FIRST)) % len(_LAST)]
    picked = [0, 2 + d % 2] if d % 3 else [0, 1, 3]
    return SeededDoctor(
        doctor=NewDoctor(
            name,
            f"{surname}-{f + 1}-{d + 1}",
            profile_url=f"https://www.znanylekarz.pl/seed-{f + 1}-{d + 1}",
            specialization_ids=(specializations[d % len(specializations)],),
            license_numbers=(f"{9000000 + n}",),
        ),
        address=NewAddress(
            f"Przychodnia {f + 1}",
            city_name=city,
            post_code=f"{post}{f % 1000:03d}",
            street=f"ul. Zdrowa {d + 1}",
        ),
        services=tuple((service_ids[i], _SERVICES[i][3], _SERVICES[i][2]) for i in picked),
    )
