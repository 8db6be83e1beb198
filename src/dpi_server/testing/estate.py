"""Builds small, unique estates for tests: each call makes new facilities, doctors and a client,
so tests never depend on (or clean up after) each other's rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from dpi_server.services.registry import Services

_counter = itertools.count(1)


@dataclass
class TestEstate:
    """Ids of what one `EstateBuilder.build()` made, plus a client that sees the facilities."""

    __test__ = False  # not a pytest test class

    client_id: str
    client_secret: str
    client_pk: int
    token: str
    facility_ids: list[int]
    doctor_ids: list[int]
    address_ids: list[int]
    service_ids: list[int]
    address_service_ids: list[int]
    provider_ids: list[int]
    plan_ids: dict[int, list[int]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def address_path(self, index: int = 0) -> str:
        """`/facilities/{f}/doctors/{d}/addresses/{a}` of the i-th address."""
        f, d, a = self.extra["address_paths"][index]
        return f"/api/v3/integration/facilities/{f}/doctors/{d}/addresses/{a}"


class EstateBuilder:
    """Facility layout: two facilities; doctor 0 (commercial) at facility 0 with an offline and
    an online-only address; doctor 1 (commercial) at both facilities; doctor 2 non-commercial
    with a basic address at facility 0."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def build(
        self,
        *,
        locale: str = "pl",
        features: frozenset[str] = frozenset(),
        rate_limited: bool = False,
        can_edit: bool = True,
    ) -> TestEstate:
        n = next(_counter)
        paths: list[tuple[int, int, int]] = []
        async with self.services.uow(write=True) as uow:
            w = uow.estate_writer
            spec = await w.add_specialization(locale, f"Specialization {n}")
            services = [
                await w.add_service(
                    locale, f"Consultation {n}", is_diagnostic=False, specialization_ids=[spec]
                ),
                await w.add_service(
                    locale, f"ECG {n}", is_diagnostic=True, specialization_ids=[spec]
                ),
                await w.add_service(
                    locale, f"Follow-up {n}", is_diagnostic=False, specialization_ids=[]
                ),
            ]
            providers = [
                await w.add_insurance_provider(locale, f"Insurer A{n}", ["Basic", "Gold"]),
                await w.add_insurance_provider(locale, f"Insurer B{n}", []),
            ]
            facilities = [
                await w.add_facility(locale, f"Clinic {n}-A"),
                await w.add_facility(locale, f"Clinic {n}-B"),
            ]
            doctors = []
            for i, commercial in enumerate((True, True, False)):
                doctors.append(
                    await w.add_doctor(
                        locale,
                        f"Doc{i}",
                        f"Test{n}",
                        is_commercial=commercial,
                        profile_url=f"https://www.znanylekarz.pl/doc{i}-test{n}",
                        specialization_ids=[spec],
                        license_numbers=[f"L{n}{i}"],
                    )
                )
            await w.connect_doctor(doctors[0], facilities[0])
            await w.connect_doctor(doctors[1], facilities[0])
            await w.connect_doctor(doctors[1], facilities[1])
            await w.connect_doctor(doctors[2], facilities[0])

            def fields(**over: Any) -> dict[str, Any]:
                base: dict[str, Any] = {
                    "name": f"Clinic {n}",
                    "city_name": "Warszawa",
                    "post_code": "00-001",
                    "street": "ul. Prosta 1",
                    "is_online_only": False,
                    "visit_payment": False,
                    "commercial_type": "premium",
                    "insurance_support": "private",
                    "extra_field_gender": False,
                    "extra_field_nin": False,
                    "extra_field_birth_date": False,
                    "payment_account": f"ACC-{n}",
                }
                base.update(over)
                return base

            layout = [
                (facilities[0], doctors[0], fields()),
                (
                    facilities[0],
                    doctors[0],
                    fields(
                        is_online_only=True,
                        name="Online",
                        city_name=None,
                        street=None,
                        post_code=None,
                        visit_payment=True,
                    ),
                ),
                (facilities[0], doctors[1], fields(insurance_support="private_and_insurance")),
                (facilities[1], doctors[1], fields(payment_account=f"ACC-{n}-B")),
                (facilities[0], doctors[2], fields(commercial_type="basic")),
            ]
            addresses = []
            for f, d, values in layout:
                addresses.append(await w.add_address(f, d, **values))
                paths.append((f, d, addresses[-1]))
            now = self.services.clock.now()
            address_services = []
            for address_id in addresses:
                for position, service_id in enumerate(services[:2]):
                    created = await uow.address_services.add(
                        address_id,
                        now,
                        service_id=service_id,
                        name=f"{'Consultation' if position == 0 else 'ECG'} {n}",
                        price_cents=15000 + position * 5050,
                        is_price_from=position == 1,
                        is_default=position == 0,
                        description=None,
                        default_duration=30 if position == 0 else 20,
                        is_visible=True,
                        min_age=None,
                        max_age=None,
                        custom_name=None,
                        is_public_insurance_flow=False,
                    )
                    address_services.append(created.id)
            plan_ids = {p: [x.id for x in await uow.insurance.plans(p)] for p in providers}
            await uow.commit()

        created_client = await self.services.clients.create(
            f"Test client {n}", locale, features=features
        )
        client_id = created_client.client.client_id
        for facility_id in facilities:
            await self.services.clients.assign_facility(client_id, facility_id, can_edit=can_edit)
        await self.services.clients.set_limits(client_id, enabled=rate_limited)
        issued = await self.services.auth.issue_token(
            grant_type="client_credentials",
            scope="integration",
            client_id=client_id,
            client_secret=created_client.client_secret,
        )
        return TestEstate(
            client_id=client_id,
            client_secret=created_client.client_secret,
            client_pk=created_client.client.pk,
            token=issued.access_token,
            facility_ids=facilities,
            doctor_ids=doctors,
            address_ids=addresses,
            service_ids=services,
            address_service_ids=address_services,
            provider_ids=providers,
            plan_ids=plan_ids,
            extra={"address_paths": paths, "n": n},
        )
