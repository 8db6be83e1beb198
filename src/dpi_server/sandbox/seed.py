"""The demo estate a fresh server is seeded with: two clinics in Poland, their doctors,
addresses (one online-only), services and insurance, and an API client that sees both."""

from __future__ import annotations

from dataclasses import dataclass

from dpi_server.services.clients import CreatedClient
from dpi_server.services.registry import Services

DEMO_CLIENT_NAME = "Demo integration"


@dataclass(frozen=True, slots=True)
class DemoEstate:
    client: CreatedClient
    facility_ids: list[int]
    doctor_ids: list[int]
    address_ids: list[int]


_SPECIALIZATIONS = ("Internista", "Kardiolog", "Dermatolog", "Pediatra", "Ortopeda", "Psycholog")

_SERVICES: tuple[tuple[str, bool, tuple[int, ...]], ...] = (
    # name, diagnostic, indexes into _SPECIALIZATIONS
    ("Konsultacja lekarska", False, (0, 1, 2, 3, 4)),
    ("Konsultacja online", False, (0, 1, 2, 3, 4, 5)),
    ("EKG", True, (1,)),
    ("Echo serca", True, (1,)),
    ("Holter EKG", True, (1,)),
    ("Dermatoskopia", True, (2,)),
    ("Usunięcie znamienia", False, (2,)),
    ("Bilans zdrowia dziecka", False, (3,)),
    ("USG stawu kolanowego", True, (4,)),
    ("Psychoterapia indywidualna", False, (5,)),
)

_INSURANCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NFZ", ()),
    ("LUX MED", ("Standard", "Premium")),
    ("Medicover", ("Classic", "Optimum", "Comfort")),
    ("PZU Zdrowie", ("Opieka Plus",)),
)

# name, surname, commercial, specialization indexes, license, facility indexes
_DOCTORS: tuple[tuple[str, str, bool, tuple[int, ...], str, tuple[int, ...]], ...] = (
    ("Anna", "Kowalska", True, (0,), "1234567", (0,)),
    ("Piotr", "Nowak", True, (1,), "2345678", (0, 1)),
    ("Katarzyna", "Wiśniewska", True, (2,), "3456789", (0,)),
    ("Tomasz", "Wójcik", True, (3,), "4567890", (1,)),
    ("Magdalena", "Kamińska", True, (4,), "5678901", (1,)),
    ("Michał", "Lewandowski", True, (5,), "6789012", (0, 1)),
    ("Jan", "Zieliński", False, (0,), "7890123", (0,)),
)

_FACILITIES = (
    ("Centrum Medyczne Zdrowie", "Warszawa", "00-001", "ul. Marszałkowska 10"),
    ("Przychodnia Słoneczna", "Kraków", "30-001", "ul. Floriańska 5"),
)


async def seed_demo_estate(services: Services, locale: str = "pl") -> DemoEstate:
    """Create the demo estate and its API client; call only on an empty database."""
    facility_ids: list[int] = []
    doctor_ids: list[int] = []
    address_ids: list[int] = []
    async with services.uow(write=True) as uow:
        w = uow.estate_writer
        spec_ids = [await w.add_specialization(locale, name) for name in _SPECIALIZATIONS]
        service_ids = [
            await w.add_service(
                locale,
                name,
                is_diagnostic=diagnostic,
                specialization_ids=[spec_ids[i] for i in specs],
            )
            for name, diagnostic, specs in _SERVICES
        ]
        provider_ids = [
            await w.add_insurance_provider(locale, name, plans) for name, plans in _INSURANCE
        ]
        for name, _city, _post, _street in _FACILITIES:
            facility_ids.append(await w.add_facility(locale, name))
        for index, (name, surname, commercial, specs, license_no, facs) in enumerate(_DOCTORS):
            slug = f"{name}-{surname}".lower()
            doctor_id = await w.add_doctor(
                locale,
                name,
                surname,
                is_commercial=commercial,
                profile_url=f"https://www.znanylekarz.pl/{slug}",
                specialization_ids=[spec_ids[i] for i in specs],
                license_numbers=[license_no],
            )
            doctor_ids.append(doctor_id)
            for fac in facs:
                facility_id = facility_ids[fac]
                await w.connect_doctor(doctor_id, facility_id)
                fname, city, post, street = _FACILITIES[fac]
                address_ids.append(
                    await w.add_address(
                        facility_id,
                        doctor_id,
                        name=fname,
                        city_name=city,
                        post_code=post,
                        street=street,
                        is_online_only=False,
                        visit_payment=index == 1,
                        commercial_type="premium" if commercial else "basic",
                        insurance_support="private_and_insurance" if index % 2 else "private",
                        extra_field_gender=index == 3,
                        extra_field_nin=index in (1, 3),
                        extra_field_birth_date=index == 3,
                        payment_account=f"PL-ACC-{facility_id}",
                    )
                )
            if index in (0, 5):  # two doctors also consult online
                address_ids.append(
                    await w.add_address(
                        facility_ids[facs[0]],
                        doctor_id,
                        name="Konsultacje online",
                        city_name=None,
                        post_code=None,
                        street=None,
                        is_online_only=True,
                        visit_payment=True,
                        commercial_type="premium",
                        insurance_support="private",
                        extra_field_gender=False,
                        extra_field_nin=False,
                        extra_field_birth_date=False,
                        payment_account=f"PL-ACC-{facility_ids[facs[0]]}",
                    )
                )
        await uow.commit()

    # Each address offers a general consultation plus the doctor's own specialities.
    async with services.uow(write=True) as uow:
        now = services.clock.now()
        for address_id in address_ids:
            address = await uow.directory.get_address(address_id)
            assert address is not None
            doctor_index = doctor_ids.index(address.doctor_id)
            spec = _DOCTORS[doctor_index][3][0]
            wanted = [1] if address.is_online_only else [0]
            wanted += [i for i, (_n, _d, specs) in enumerate(_SERVICES) if spec in specs and i > 1][
                :2
            ]
            for position, service_index in enumerate(wanted):
                await uow.address_services.add(
                    address_id,
                    now,
                    service_id=service_ids[service_index],
                    name=_SERVICES[service_index][0],
                    price_cents=(150 + 50 * service_index) * 100,
                    is_price_from=service_index > 1,
                    is_default=position == 0,
                    description=None,
                    default_duration=30 if service_index < 2 else 20,
                    is_visible=True,
                    min_age=None,
                    max_age=None,
                    custom_name=None,
                    is_public_insurance_flow=False,
                )
            if address.insurance_support != "private":
                await uow.insurance.link(address_id, provider_ids[1])
                plans = await uow.insurance.plans(provider_ids[1])
                await uow.insurance.set_plans(address_id, provider_ids[1], [plans[0].id])
        await uow.commit()

    client = await services.clients.create(DEMO_CLIENT_NAME, locale)
    for facility_id in facility_ids:
        await services.clients.assign_facility(client.client.client_id, facility_id)
    return DemoEstate(client, facility_ids, doctor_ids, address_ids)


async def is_empty(services: Services) -> bool:
    async with services.uow() as uow:
        return await uow.estate_writer.count_facilities() == 0
