"""Addresses over HTTP: getAddresses, getAddress, updateAddress and removeAddressIntegration
(behaviour.md §4, §5, §7.2 #5-8, §7.3 UpdateAddressRequest)."""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, forbidden, success
from tests.conftest import Api

API = "/api/v3/integration"
NOT_FOUND = {"errors": [], "message": "Object not found"}
READ_ONLY = {"errors": [], "message": "You are not authorized to make changes on this calendar"}
NO_FEATURE = {"errors": [], "message": "You are not authorized to use this feature"}
ALL_ADDRESS_WITH = (
    "with=address.online_only,address.visit_payment,address.commercial_type,"
    "address.insurance_support"
)
BAD_SUPPORT = {
    "errors": {
        "insurance_support": [
            "The value must be one of: private, insurance, private_and_insurance."
        ]
    },
    "message": "Invalid arguments",
}
FEATURE = frozenset({"remove_address_integration"})


def addresses_url(estate: TestEstate, facility: int = 0, doctor: int = 0) -> str:
    f, d = estate.facility_ids[facility], estate.doctor_ids[doctor]
    return f"{API}/facilities/{f}/doctors/{d}/addresses"


def address_json(estate: TestEstate, index: int) -> dict[str, Any]:
    """An address as getAddress(es) render it without `with` (§5: booking_extra_fields always)."""
    n = estate.extra["n"]
    extras = {"booking_extra_fields": {"birth_date": False, "gender": False, "nin": False}}
    if index == 1:
        place: dict[str, Any] = {"name": "Online", "city_name": None, "post_code": None}
        return {"id": str(estate.address_ids[1]), **place, "street": None, **extras}
    return {
        "id": str(estate.address_ids[index]),
        "name": f"Clinic {n}",
        "city_name": "Warszawa",
        "post_code": "00-001",
        "street": "ul. Prosta 1",
        **extras,
    }


def extended(estate: TestEstate, index: int, support: str = "private") -> dict[str, Any]:
    """An address with all four getAddress extensions, as the estate seeds it."""
    return {
        **address_json(estate, index),
        "is_online_only": index == 1,
        "visit_payment": index == 1,
        "commercial_type": "basic" if index == 4 else "premium",
        "insurance_support": support,
    }


async def read_address(api: Api, estate: TestEstate, index: int = 0) -> Any:
    """The address with every getAddress extension, as its owner reads it."""
    response = await api.http.get(
        f"{estate.address_path(index)}?{ALL_ADDRESS_WITH}", headers=estate.headers
    )
    return success(response)


class TestReadAddresses:
    async def test_list_plain_and_extended(self, api: Api, estate: TestEstate) -> None:
        """getAddresses: booking_extra_fields always; four `with` values add fields (§5)."""
        url = addresses_url(estate)

        plain = await api.http.get(url, headers=estate.headers)
        full = await api.http.get(f"{url}?{ALL_ADDRESS_WITH}", headers=estate.headers)

        assert success(plain) == {"_items": [address_json(estate, 0), address_json(estate, 1)]}
        assert success(full) == {"_items": [extended(estate, 0), extended(estate, 1)]}

    async def test_each_extension_adds_only_its_key(self, api: Api, estate: TestEstate) -> None:
        """Each `with` value adds exactly its own key, in any spelling (§5)."""
        base = set(address_json(estate, 0))
        cases = {
            "with=address.online_only": "is_online_only",
            "with[]=address.visit_payment": "visit_payment",
            "with=nope&with=address.commercial_type": "commercial_type",
            "with=address.insurance_support,doctor.addresses": "insurance_support",
        }

        for query, key in cases.items():
            listed = await api.http.get(f"{addresses_url(estate)}?{query}", headers=estate.headers)
            single = await api.http.get(f"{estate.address_path(0)}?{query}", headers=estate.headers)

            assert [set(a) for a in success(listed)["_items"]] == [base | {key}] * 2, query
            assert set(success(single)) == base | {key}, query

    async def test_single_addresses(self, api: Api, estate: TestEstate) -> None:
        """getAddress renders each seeded address exactly, plain and extended (§7.2 #6)."""
        supports = ["private", "private", "private_and_insurance", "private", "private"]

        for index, support in enumerate(supports):
            plain = await api.http.get(estate.address_path(index), headers=estate.headers)

            assert success(plain) == address_json(estate, index), index
            assert await read_address(api, estate, index) == extended(estate, index, support)

    async def test_doctor_at_two_facilities(self, api: Api, estate: TestEstate) -> None:
        """Doctor 1's addresses are listed per facility of the path (§7.1 Address)."""
        for facility, address in ((0, 2), (1, 3)):
            response = await api.http.get(
                addresses_url(estate, facility, 1), headers=estate.headers
            )

            assert success(response) == {"_items": [address_json(estate, address)]}, facility


class TestAddressPathErrors:
    async def test_unknown_ids_at_each_level(self, api: Api, estate: TestEstate) -> None:
        """An id naming nothing, numeric or not, is 404 at every level of the path (§4)."""
        f, d, a = estate.facility_ids[0], estate.doctor_ids[0], estate.address_ids[0]
        urls = [f"{API}/facilities/{bad}/doctors/{d}/addresses/{a}" for bad in ("99999999", "x")]
        urls += [f"{API}/facilities/{f}/doctors/{bad}/addresses/{a}" for bad in ("99999999", "x")]
        urls += [f"{API}/facilities/{f}/doctors/{d}/addresses/{bad}" for bad in ("99999999", "x")]
        urls += [f"{API}/facilities/{f}/doctors/{bad}/addresses" for bad in ("99999999", "x")]
        urls += [f"{API}/facilities/{f}/doctors/{d}/addresses/{'1' * 30}"]

        for url in urls:
            response = await api.http.get(url, headers=estate.headers)

            assert failure(response, 404) == NOT_FOUND, url

    async def test_belonging(self, api: Api, estate: TestEstate) -> None:
        """Mismatched parents: doctor first, then address vs facility, then doctor (§4)."""
        cases = [
            (1, 0, 0, "Doctor is not related with facility"),
            (1, 1, 2, "This address does not belong to this facility"),
            (0, 1, 3, "This address does not belong to this facility"),
            (0, 0, 2, "This address does not belong to this doctor"),
        ]

        for facility, doctor, address, message in cases:
            url = f"{addresses_url(estate, facility, doctor)}/{estate.address_ids[address]}"

            response = await api.http.get(url, headers=estate.headers)

            assert failure(response, 403) == forbidden(message), url


class TestUpdateAddress:
    async def test_sets_insurance_support(self, api: Api, estate: TestEstate) -> None:
        """PATCH returns 200 with the Address incl. insurance_support; it reads back (§7.2 #7)."""
        for value in ("insurance", "private_and_insurance", "private"):
            response = await api.http.patch(
                estate.address_path(0), json={"insurance_support": value}, headers=estate.headers
            )

            assert success(response) == {**address_json(estate, 0), "insurance_support": value}
            assert await read_address(api, estate) == extended(estate, 0, value)

    async def test_touches_nothing_else(self, api: Api, estate: TestEstate) -> None:
        """Other keys are ignored, other addresses unchanged; `with` shapes the answer (§5)."""
        before = [await read_address(api, estate, i) for i in range(5)]

        response = await api.http.patch(
            f"{estate.address_path(1)}?with=address.online_only",
            json={"insurance_support": "insurance", "name": "Renamed", "is_online_only": False},
            headers=estate.headers,
        )

        assert success(response) == {
            **address_json(estate, 1),
            "insurance_support": "insurance",
            "is_online_only": True,
        }
        after = [await read_address(api, estate, i) for i in range(5)]
        assert after == [*before[:1], {**before[1], "insurance_support": "insurance"}, *before[2:]]

    async def test_bad_values(self, api: Api, estate: TestEstate) -> None:
        """Values outside the enum, null or missing: 400 with an errors map, no change (§4)."""
        before = await read_address(api, estate)

        for value in ("public", "PRIVATE", "", 5):
            response = await api.http.patch(
                estate.address_path(0), json={"insurance_support": value}, headers=estate.headers
            )

            assert failure(response, 400) == BAD_SUPPORT, value
        for body in ({}, {"insurance_support": None}, {"insurance_support": ["private"]}):
            response = await api.http.patch(
                estate.address_path(0), json=body, headers=estate.headers
            )

            error = failure(response, 400)
            assert error["message"] == "Invalid arguments", body
            assert list(error["errors"]) == ["insurance_support"], body
        assert await read_address(api, estate) == before

    async def test_read_only_estate(self, api: Api) -> None:
        """Without edit rights PATCH is 403 CalendarEditionNotAuthorized, no change (§4)."""
        estate = await api.estate(can_edit=False)
        before = await read_address(api, estate)

        response = await api.http.patch(
            estate.address_path(0), json={"insurance_support": "insurance"}, headers=estate.headers
        )

        assert failure(response, 403) == READ_ONLY
        assert await read_address(api, estate) == before


class TestRemoveAddressIntegration:
    async def test_without_the_feature(self, api: Api, estate: TestEstate) -> None:
        """403 FeatureNotAuthorized, but an unknown address is 404 first (§4, §7.2 #8)."""
        denied = await api.http.delete(
            f"{estate.address_path(0)}/integration", headers=estate.headers
        )
        missing = await api.http.delete(
            f"{addresses_url(estate)}/999999999/integration", headers=estate.headers
        )

        assert failure(denied, 403) == NO_FEATURE
        assert failure(missing, 404) == NOT_FOUND

    async def test_with_the_feature(self, api: Api) -> None:
        """202 with no body, repeatable; the address itself stays readable (§7.2 #8)."""
        estate = await api.estate(features=FEATURE)
        before = await read_address(api, estate)
        url = f"{estate.address_path(0)}/integration"

        first = await api.http.delete(url, headers=estate.headers)
        second = await api.http.delete(url, headers=estate.headers)

        assert (first.status_code, first.content) == (202, b"")
        assert (second.status_code, second.content) == (202, b"")
        assert await read_address(api, estate) == before

    async def test_read_only_estate_with_the_feature(self, api: Api) -> None:
        """The feature does not lift the calendar-edition rule (§4)."""
        estate = await api.estate(features=FEATURE, can_edit=False)

        response = await api.http.delete(
            f"{estate.address_path(0)}/integration", headers=estate.headers
        )

        assert failure(response, 403) == READ_ONLY
