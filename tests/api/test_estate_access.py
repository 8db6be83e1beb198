"""Estate-based access (behaviour.md §2, §4, §18 rule 2): what each client may see and change.

Paths are checked in three passes: every id exists (404 Object not found), every object lies in
the client's estate (403 "You are not authorized to see this facility|doctor|address"), and
each child belongs to its parent (403 "Doctor is not related with facility", "This address does
not belong to this facility|doctor"). Every endpoint under an address must answer the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from dpi_server.testing.estate import TestEstate
from tests.api.support import ERROR_TYPE, success
from tests.conftest import Api

API = "/api/v3/integration"
NOT_FOUND = "Object not found"
FACILITY = "You are not authorized to see this facility"
DOCTOR = "You are not authorized to see this doctor"
ADDRESS = "You are not authorized to see this address"
NOT_RELATED = "Doctor is not related with facility"
NOT_OF_FACILITY = "This address does not belong to this facility"
NOT_OF_DOCTOR = "This address does not belong to this doctor"
READ_ONLY = "You are not authorized to make changes on this calendar"
SERVICE_MISMATCH = "This service does not belong to this address"
ALL_WITH = (
    "with=address_service.allowed_patients,address_service.custom_name,"
    "address_service.public_insurance_flow"
)


def error_of(response: httpx.Response) -> tuple[int, str]:
    """(status, message) of an error answer, after checking its media type and envelope."""
    assert response.headers.get("content-type") == ERROR_TYPE, (
        response.status_code,
        response.text,
    )
    body = response.json()
    assert body["errors"] == [], body
    return response.status_code, body["message"]


async def headers_for(api: Api, facilities: dict[int, bool]) -> dict[str, str]:
    """A new client of the `pl` marketplace assigned exactly `facilities` (id -> may edit)."""
    services = api.container.services
    created = await services.clients.create("Partial estate", "pl")
    client_id = created.client.client_id
    for facility_id, can_edit in facilities.items():
        await services.clients.assign_facility(client_id, facility_id, can_edit=can_edit)
    await services.clients.set_limits(client_id, enabled=False)
    issued = await services.auth.issue_token(
        grant_type="client_credentials",
        scope="integration",
        client_id=client_id,
        client_secret=created.client_secret,
    )
    return {"Authorization": f"Bearer {issued.access_token}"}


def path(f: object, d: object, a: object) -> str:
    return f"{API}/facilities/{f}/doctors/{d}/addresses/{a}"


async def state(api: Api, estate: TestEstate, addresses: tuple[int, ...] = (0, 1, 2, 3, 4)) -> Any:
    """Everything the owner can read about some of its addresses: the address with every
    extension, its services with every extension, and its insurance."""
    out: list[Any] = []
    for i in addresses:
        base = estate.address_path(i)
        for url in (
            f"{base}?with=address.online_only,address.visit_payment,address.commercial_type,"
            "address.insurance_support",
            f"{base}/services?{ALL_WITH}",
            f"{base}/insurance-providers",
        ):
            out.append(success(await api.http.get(url, headers=estate.headers)))
    return out


@dataclass
class World:
    """Client A (the `estate` fixture), another client B, and a client P that holds only A's
    first facility."""

    a: TestEstate
    b: TestEstate
    partial: dict[str, str]


@dataclass(frozen=True)
class Operation:
    """One endpoint under an address: method, suffix and body, with `{asid}`/`{provider}`
    filled from estate A."""

    method: str
    suffix: str
    body: dict[str, Any] | None = None

    def request(self, api: Api, base: str, a: TestEstate, headers: dict[str, str]) -> Any:
        suffix = self.suffix.format(
            asid=a.address_service_ids[0], provider=a.provider_ids[0], service=a.service_ids[2]
        )
        body = None
        if self.body is not None:
            body = {
                k: (
                    v.format(service=a.service_ids[2], provider=a.provider_ids[0])
                    if isinstance(v, str)
                    else v
                )
                for k, v in self.body.items()
            }
        return api.http.request(self.method, base + suffix, json=body, headers=headers)


OPERATIONS = {
    "address": [
        Operation("GET", ""),
        Operation("PATCH", "", {"insurance_support": "insurance"}),
        Operation("DELETE", "/integration"),
    ],
    "services": [
        Operation("GET", "/services"),
        Operation("POST", "/services", {"service_id": "{service}", "price": 10}),
        Operation("GET", "/services/{asid}"),
        Operation("PATCH", "/services/{asid}", {"price": 1, "custom_name": "Hijacked"}),
        Operation("DELETE", "/services/{asid}"),
    ],
    "insurance": [
        Operation("GET", "/insurance-providers"),
        Operation("POST", "/insurance-providers", {"insurance_provider_id": "{provider}"}),
        Operation("PUT", "/insurance-providers", {"insurance_provider_id": "{provider}"}),
        Operation("DELETE", "/insurance-providers/{provider}"),
    ],
}


def address_scenarios(w: World) -> list[tuple[str, str, dict[str, str], int, str]]:
    """(label, address path, headers, status, message): one row per rule and its ordering."""
    a, b = w.a, w.b
    af, ad, aa = a.facility_ids, a.doctor_ids, a.address_ids
    bf, bd, ba = b.facility_ids, b.doctor_ids, b.address_ids
    h = a.headers
    return [
        ("unknown facility", path(999999999, bd[0], ba[0]), h, 404, NOT_FOUND),
        ("non-numeric facility", path("abc", ad[0], aa[0]), h, 404, NOT_FOUND),
        ("unknown doctor under foreign facility", path(bf[0], 999999999, ba[0]), h, 404, NOT_FOUND),
        ("unknown address under foreign path", path(bf[0], bd[0], 999999999), h, 404, NOT_FOUND),
        ("non-numeric address", path(af[0], ad[0], "1;2"), h, 404, NOT_FOUND),
        ("foreign facility, own doctor", path(bf[0], ad[0], aa[0]), h, 403, FACILITY),
        ("foreign path", path(bf[0], bd[0], ba[0]), h, 403, FACILITY),
        ("foreign doctor and address", path(af[0], bd[0], ba[0]), h, 403, DOCTOR),
        ("foreign doctor, own address", path(af[0], bd[0], aa[0]), h, 403, DOCTOR),
        ("foreign address", path(af[0], ad[0], ba[0]), h, 403, ADDRESS),
        ("foreign address, doctor not here", path(af[1], ad[0], ba[0]), h, 403, ADDRESS),
        ("doctor not at facility", path(af[1], ad[0], aa[0]), h, 403, NOT_RELATED),
        ("doctor first, then address", path(af[1], ad[0], aa[3]), h, 403, NOT_RELATED),
        ("address of other facility", path(af[1], ad[1], aa[2]), h, 403, NOT_OF_FACILITY),
        ("address of other facility 2", path(af[0], ad[1], aa[3]), h, 403, NOT_OF_FACILITY),
        ("address of other doctor", path(af[0], ad[0], aa[2]), h, 403, NOT_OF_DOCTOR),
        ("partial: facility outside", path(af[1], ad[1], aa[3]), w.partial, 403, FACILITY),
        ("partial: address outside", path(af[0], ad[1], aa[3]), w.partial, 403, ADDRESS),
        ("partial: other doctor", path(af[0], ad[0], aa[2]), w.partial, 403, NOT_OF_DOCTOR),
    ]


async def world(api: Api, estate: TestEstate) -> World:
    other = await api.estate()
    partial = await headers_for(api, {estate.facility_ids[0]: True})
    return World(estate, other, partial)


class TestPathRules:
    async def test_every_rule_in_order(self, api: Api, estate: TestEstate) -> None:
        """Under an address: 404, then 403 estate, then 403 belonging; nothing changes (§4)."""
        w = await world(api, estate)
        # The addresses any of the paths (or estate A's address service) point at.
        before = (await state(api, w.a, (0, 2, 3)), await state(api, w.b, (0,)))
        failures = []

        for operation in (op for group in OPERATIONS.values() for op in group):
            for label, base, headers, status, message in address_scenarios(w):
                response = await operation.request(api, base, w.a, headers)

                got = error_of(response)
                if got != (status, message):
                    failures.append(
                        f"{operation.method} {operation.suffix or '/'} [{label}]: "
                        f"got {got}, want {(status, message)}"
                    )

        assert failures == []
        assert (await state(api, w.a, (0, 2, 3)), await state(api, w.b, (0,))) == before

    async def test_doctor_level_rules(self, api: Api, estate: TestEstate) -> None:
        """getDoctor, getAddresses and getDoctors follow the same order at their depth (§4)."""
        w = await world(api, estate)
        a, b = w.a, w.b
        doctor = f"{API}/facilities/{{f}}/doctors/{{d}}"
        rows = [
            (doctor.format(f=999999999, d=b.doctor_ids[0]), a.headers, 404, NOT_FOUND),
            (doctor.format(f=b.facility_ids[0], d="x"), a.headers, 404, NOT_FOUND),
            (doctor.format(f=b.facility_ids[0], d=a.doctor_ids[0]), a.headers, 403, FACILITY),
            (doctor.format(f=a.facility_ids[0], d=b.doctor_ids[0]), a.headers, 403, DOCTOR),
            (doctor.format(f=a.facility_ids[1], d=a.doctor_ids[0]), a.headers, 403, NOT_RELATED),
            (doctor.format(f=a.facility_ids[1], d=a.doctor_ids[1]), w.partial, 403, FACILITY),
        ]
        failures = []

        for url, headers, status, message in rows:
            for suffix in ("", "/addresses"):
                got = error_of(await api.http.get(url + suffix, headers=headers))
                if got != (status, message):
                    failures.append(f"{url}{suffix}: got {got}, want {(status, message)}")
        for facility, status, message in (
            (999999999, 404, NOT_FOUND),
            (b.facility_ids[0], 403, FACILITY),
        ):
            got = error_of(
                await api.http.get(f"{API}/facilities/{facility}/doctors", headers=a.headers)
            )
            if got != (status, message):
                failures.append(f"doctors of {facility}: got {got}")

        assert failures == []


class TestIsolation:
    async def test_other_client_sees_nothing(self, api: Api, estate: TestEstate) -> None:
        """Lists never hold another client's objects; reading them is 403, no data (§2, §4)."""
        other = await api.estate()
        f, d = estate.facility_ids[0], estate.doctor_ids[0]
        foreign_reads = [
            f"{API}/facilities/{f}",
            f"{API}/facilities/{f}?with=facility.doctors",
            f"{API}/facilities/{f}/doctors",
            f"{API}/facilities/{f}/doctors/{d}?with=doctor.addresses",
            f"{API}/facilities/{f}/doctors/{d}/addresses",
            estate.address_path(0),
            f"{estate.address_path(0)}/services",
            f"{estate.address_path(0)}/services/{estate.address_service_ids[0]}",
            f"{estate.address_path(0)}/insurance-providers",
        ]

        for me, them in ((estate, other), (other, estate)):
            facilities = success(await api.http.get(f"{API}/facilities", headers=me.headers))
            assert {i["id"] for i in facilities["_items"]} == {str(f) for f in me.facility_ids}
            for facility_id in me.facility_ids:
                response = await api.http.get(
                    f"{API}/facilities/{facility_id}?with=facility.doctors", headers=me.headers
                )
                doctors = {doc["id"] for doc in success(response)["doctors"]["_items"]}
                assert not doctors & {str(doc) for doc in them.doctor_ids}
        for url in foreign_reads:
            response = await api.http.get(url, headers=other.headers)

            assert error_of(response) == (403, FACILITY), url
            assert str(d) not in response.text, url
            assert "Clinic" not in response.text, url

    async def test_writes_stay_in_their_estate(self, api: Api, estate: TestEstate) -> None:
        """B cannot touch A's service via its own path; A's writes never reach B (§2, §4)."""
        other = await api.estate()
        url = f"{other.address_path(0)}/services/{estate.address_service_ids[0]}"
        mine_before, theirs_before = await state(api, estate, (0,)), await state(api, other)

        refused = [
            await api.http.get(url, headers=other.headers),
            await api.http.patch(url, json={"price": 1}, headers=other.headers),
            await api.http.delete(url, headers=other.headers),
        ]
        # Dictionaries belong to the marketplace: A may use entries B's estate created.
        added = await api.http.post(
            f"{estate.address_path(1)}/services",
            json={"service_id": str(other.service_ids[2])},
            headers=estate.headers,
        )
        linked = await api.http.post(
            f"{estate.address_path(1)}/insurance-providers",
            json={"insurance_provider_id": str(other.provider_ids[0])},
            headers=estate.headers,
        )

        assert [error_of(r) for r in refused] == [(403, SERVICE_MISMATCH)] * 3
        assert await state(api, estate, (0,)) == mine_before
        assert success(added, 201)["service_id"] == str(other.service_ids[2])
        assert linked.status_code == 204
        assert await state(api, other) == theirs_before


class TestSharedAndPartialEstates:
    async def test_shared_and_partial_estates(self, api: Api, estate: TestEstate) -> None:
        """Access follows the assigned facilities, not who created an object (§2)."""
        partial = await headers_for(api, {estate.facility_ids[0]: True})
        f, d = estate.facility_ids[0], estate.doctor_ids[1]
        created = success(
            await api.http.post(
                f"{estate.address_path(0)}/services",
                json={"service_id": str(estate.service_ids[2])},
                headers=estate.headers,
            ),
            201,
        )

        seen = await api.http.get(
            f"{estate.address_path(0)}/services/{created['id']}", headers=partial
        )
        facilities = success(await api.http.get(f"{API}/facilities", headers=partial))
        addresses = success(
            await api.http.get(f"{API}/facilities/{f}/doctors/{d}/addresses", headers=partial)
        )

        assert success(seen) == created
        assert [item["id"] for item in facilities["_items"]] == [str(f)]
        assert [item["id"] for item in addresses["_items"]] == [str(estate.address_ids[2])]

    async def test_edit_rights_are_per_facility(self, api: Api, estate: TestEstate) -> None:
        """A read-only facility refuses writes with 403; an editable one accepts them (§4)."""
        mixed = await headers_for(
            api, {estate.facility_ids[0]: False, estate.facility_ids[1]: True}
        )
        body = {"insurance_support": "insurance"}

        refused = await api.http.patch(estate.address_path(2), json=body, headers=mixed)
        allowed = await api.http.patch(estate.address_path(3), json=body, headers=mixed)

        assert error_of(refused) == (403, READ_ONLY)
        assert success(allowed)["insurance_support"] == "insurance"
        reread = success(
            await api.http.get(
                f"{estate.address_path(2)}?with=address.insurance_support", headers=estate.headers
            )
        )
        assert reread["insurance_support"] == "private_and_insurance"
