"""The demo estate a fresh server is seeded with: two clinics in Poland, their doctors,
addresses (one online-only), services and insurance, and an API client that sees both."""

from __future__ import annotations

from dataclasses import dataclass

from dpi_server.domain.actors import OperatorActor
from dpi_server.services.access import AddressRef
from dpi_server.services.address_services import NewAddressService
from dpi_server.services.clients import CreatedClient
from dpi_server.services.estate_admin import NewAddress, NewDoctor
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
    """Create the demo estate and its API client through the operator's use cases; call only
    on an empty database."""
    operator = OperatorActor()
    admin = services.estate_admin
    spec_ids = [await admin.add_specialization(operator, locale, n) for n in _SPECIALIZATIONS]
    service_ids = [
        await admin.add_service(
            operator,
            locale,
            name,
            is_diagnostic=diagnostic,
            specialization_ids=[spec_ids[i] for i in specs],
        )
        for name, diagnostic, specs in _SERVICES
    ]
    provider_ids = [
        await admin.add_insurance_provider(operator, locale, name, plans)
        for name, plans in _INSURANCE
    ]
    facility_ids = [
        await admin.add_facility(operator, locale, name) for name, *_rest in _FACILITIES
    ]
    doctor_ids: list[int] = []
    paths: list[AddressRef] = []
    for index, (name, surname, commercial, specs, license_no, facs) in enumerate(_DOCTORS):
        slug = f"{name}-{surname}".lower()
        doctor = NewDoctor(
            name,
            surname,
            is_commercial=commercial,
            profile_url=f"https://www.znanylekarz.pl/{slug}",
            specialization_ids=tuple(spec_ids[i] for i in specs),
            license_numbers=(license_no,),
        )
        doctor_id = await admin.add_doctor(
            operator, locale, doctor, [facility_ids[f] for f in facs]
        )
        doctor_ids.append(doctor_id)
        for fac in facs:
            facility_id = facility_ids[fac]
            fname, city, post, street = _FACILITIES[fac]
            address = NewAddress(
                fname,
                city_name=city,
                post_code=post,
                street=street,
                visit_payment=index == 1,
                commercial_type="premium" if commercial else "basic",
                insurance_support="private_and_insurance" if index % 2 else "private",
                extra_field_gender=index == 3,
                extra_field_nin=index in (1, 3),
                extra_field_birth_date=index == 3,
                payment_account=f"PL-ACC-{facility_id}",
            )
            address_id = await admin.add_address(operator, facility_id, doctor_id, address)
            paths.append(AddressRef(facility_id, doctor_id, address_id))
        if index in (0, 5):  # two doctors also consult online
            facility_id = facility_ids[facs[0]]
            online = NewAddress(
                "Konsultacje online",
                is_online_only=True,
                visit_payment=True,
                payment_account=f"PL-ACC-{facility_id}",
            )
            address_id = await admin.add_address(operator, facility_id, doctor_id, online)
            paths.append(AddressRef(facility_id, doctor_id, address_id))

    # Each address offers a general consultation plus the doctor's own specialities.
    for ref in paths:
        scope = await services.access.address(operator, ref)
        spec = _DOCTORS[doctor_ids.index(ref.doctor_id)][3][0]
        wanted = [1] if scope.address.is_online_only else [0]
        wanted += [i for i, (_n, _d, specs) in enumerate(_SERVICES) if spec in specs and i > 1][:2]
        for position, service_index in enumerate(wanted):
            await services.address_services.add(
                scope,
                NewAddressService(
                    service_id=service_ids[service_index],
                    price=150 + 50 * service_index,
                    is_price_from=service_index > 1,
                    default_duration=30 if service_index < 2 else 20,
                    is_default=position == 0,
                ),
            )
        if scope.address.insurance_support != "private":
            plans = await services.insurance.plans(locale, provider_ids[1])
            await services.insurance.put_on_address(scope, provider_ids[1], [plans[0].id])

    client = await services.clients.create(DEMO_CLIENT_NAME, locale)
    for facility_id in facility_ids:
        await services.clients.assign_facility(client.client.client_id, facility_id)
    return DemoEstate(client, facility_ids, doctor_ids, [ref.address_id for ref in paths])


async def is_empty(services: Services) -> bool:
    return await services.estate_admin.is_empty()
