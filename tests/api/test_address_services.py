"""Services of an address over HTTP: list, add, read, update, delete (behaviour.md §4, §5,
§7.2 #10-14, §7.3 AddAddressServiceRequest / UpdateAddressServiceRequest / AddressService)."""

from __future__ import annotations

import asyncio
from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import events
from tests.api.support import failure, forbidden, success
from tests.conftest import Api

API = "/api/v3/integration"
ALL_WITH = (
    "with=address_service.allowed_patients,address_service.custom_name,"
    "address_service.public_insurance_flow"
)
NOT_FOUND = {"errors": [], "message": "Object not found"}
MISMATCH = {"errors": [], "message": "This service does not belong to this address"}
READ_ONLY = {"errors": [], "message": "You are not authorized to make changes on this calendar"}
DUPLICATE = {
    "errors": [],
    "message": "The address service you are trying to add already exists in the system",
}
BAD_PRICE = {
    "errors": [],
    "message": (
        "Invalid price value for service. Price should be either null or integer greater or "
        "equal 0."
    ),
}
UNKNOWN_SERVICE = "Service with given ID does not exist in the dictionary."
AGE_ORDER = "The minimum age cannot be greater than the maximum age."
BLANK_NAME: dict[str, Any] = {
    "errors": {"custom_name": ["This value should not be blank."]},
    "message": "Invalid arguments",
}


def services_url(estate: TestEstate, address: int = 0) -> str:
    return f"{estate.address_path(address)}/services"


def service_url(estate: TestEstate, address: int = 0, position: int = 0) -> str:
    return f"{services_url(estate, address)}/{estate.address_service_ids[2 * address + position]}"


def seeded(estate: TestEstate, address: int, position: int) -> dict[str, Any]:
    """A seeded address service without `with`: Consultation (150.00, default) or ECG (200.50,
    a "from" price shown as its integer part)."""
    n = estate.extra["n"]
    return {
        "id": str(estate.address_service_ids[2 * address + position]),
        "name": f"{'Consultation' if position == 0 else 'ECG'} {n}",
        "price": 150 if position == 0 else 200,
        "is_price_from": position == 1,
        "is_default": position == 0,
        "service_id": str(estate.service_ids[position]),
        "description": None,
        "is_visible": True,
    }


EXTENDED_DEFAULTS = {
    "allowed_patients": None,
    "custom_name": None,
    "is_public_insurance_flow": False,
}


async def snapshot(api: Api, estate: TestEstate, address: int = 0) -> Any:
    """The address's services with every extension, as the owner reads them."""
    response = await api.http.get(
        f"{services_url(estate, address)}?{ALL_WITH}", headers=estate.headers
    )
    return success(response)


async def read(api: Api, estate: TestEstate, url: str) -> Any:
    return success(await api.http.get(f"{url}?{ALL_WITH}", headers=estate.headers))


async def add(api: Api, estate: TestEstate, body: dict[str, Any], address: int = 0) -> Any:
    response = await api.http.post(services_url(estate, address), json=body, headers=estate.headers)
    return success(response, 201)


START = "2030-01-07T09%3A00%3A00%2B01%3A00"


class TestReadAddressServices:
    async def test_list_plain_and_extended(self, api: Api, estate: TestEstate) -> None:
        """getAddressServices: integer price, string ids, no `duration` without start (§7.3)."""
        plain = await api.http.get(services_url(estate, 0), headers=estate.headers)

        assert success(plain) == {"_items": [seeded(estate, 0, 0), seeded(estate, 0, 1)]}
        assert await snapshot(api, estate, 3) == {
            "_items": [
                {**seeded(estate, 3, 0), **EXTENDED_DEFAULTS},
                {**seeded(estate, 3, 1), **EXTENDED_DEFAULTS},
            ]
        }

    async def test_each_extension_alone(self, api: Api, estate: TestEstate) -> None:
        """Each `with` value adds exactly its key to list and single reads, any spelling (§5)."""
        base = set(seeded(estate, 0, 0))
        cases = {
            "with=address_service.allowed_patients": "allowed_patients",
            "with[]=address_service.custom_name": "custom_name",
            "with=x&with=address_service.public_insurance_flow": "is_public_insurance_flow",
        }

        for query, key in cases.items():
            listed = await api.http.get(f"{services_url(estate)}?{query}", headers=estate.headers)
            single = await api.http.get(f"{service_url(estate)}?{query}", headers=estate.headers)

            assert [set(s) for s in success(listed)["_items"]] == [base | {key}] * 2, query
            assert set(success(single)) == base | {key}, query

    async def test_single(self, api: Api, estate: TestEstate) -> None:
        """getAddressService renders one AddressService, plain and extended (§7.2 #12)."""
        plain = await api.http.get(service_url(estate, 1, 1), headers=estate.headers)

        assert success(plain) == seeded(estate, 1, 1)
        assert await read(api, estate, service_url(estate, 1, 0)) == {
            **seeded(estate, 1, 0),
            **EXTENDED_DEFAULTS,
        }

    async def test_start_without_a_slot(self, api: Api, estate: TestEstate) -> None:
        """`start` naming no slot is 404 `Slot not found`, after the path's checks (§7.3, §4)."""
        other = await api.estate()

        mine = await api.http.get(f"{services_url(estate)}?start={START}", headers=estate.headers)
        theirs = await api.http.get(f"{services_url(other)}?start={START}", headers=estate.headers)

        assert failure(mine, 404) == {"errors": [], "message": "Slot not found"}
        assert failure(theirs, 403) == forbidden("You are not authorized to see this facility")


class TestAddressServiceErrors:
    async def test_not_found(self, api: Api, estate: TestEstate) -> None:
        """Unknown ids are 404 for GET/PATCH/DELETE, even under a foreign path (§4)."""
        other = await api.estate()
        urls = [f"{services_url(estate)}/{bad}" for bad in ("99999999", "abc", "0", "-1", "1.5")]
        urls += [f"{services_url(estate)}/{'9' * 25}", f"{services_url(other)}/999999999"]

        for url in urls:
            for method in ("GET", "PATCH", "DELETE"):
                body = {"price": 1} if method == "PATCH" else None
                response = await api.http.request(method, url, json=body, headers=estate.headers)

                assert failure(response, 404) == NOT_FOUND, (method, url)

    async def test_service_of_another_address(self, api: Api, estate: TestEstate) -> None:
        """A sibling address's service: 403 mismatch for GET/PATCH/DELETE, no change (§4)."""
        url = f"{services_url(estate, 0)}/{estate.address_service_ids[2]}"
        before = await snapshot(api, estate, 1)

        for method in ("GET", "PATCH", "DELETE"):
            body = {"price": 1} if method == "PATCH" else None
            response = await api.http.request(method, url, json=body, headers=estate.headers)

            assert failure(response, 403) == MISMATCH, method
        assert await snapshot(api, estate, 1) == before

    async def test_path_error_before_mismatch(self, api: Api, estate: TestEstate) -> None:
        """A path whose address is another doctor's answers the path's 403 first (§4)."""
        f, d = estate.facility_ids[0], estate.doctor_ids[0]
        a, s = estate.address_ids[2], estate.address_service_ids[4]

        response = await api.http.get(
            f"{API}/facilities/{f}/doctors/{d}/addresses/{a}/services/{s}",
            headers=estate.headers,
        )

        assert failure(response, 403) == forbidden("This address does not belong to this doctor")


class TestAddAddressService:
    async def test_created(self, api: Api, estate: TestEstate) -> None:
        """POST: 201, absolute Location ending in the new id, and the body (§7.2 #11, §7.3)."""
        n = estate.extra["n"]

        response = await api.http.post(
            f"{services_url(estate)}?{ALL_WITH}",
            json={
                "service_id": str(estate.service_ids[2]),
                "is_price_from": True,
                "price": 99.99,
                "description": "Twenty minutes",
                "is_visible": False,
                "default_duration": 20,
                "allowed_patients": {"minimum_age": 18, "maximum_age": 65},
                "custom_name": "Control visit",
            },
            headers=estate.headers,
        )

        body = success(response, 201)
        new_id = body["id"]
        assert new_id.isdigit()
        assert new_id not in {str(i) for i in estate.address_service_ids}
        location = response.headers["location"]
        assert location == f"https://testserver{services_url(estate)}/{new_id}"
        assert body == {
            "id": new_id,
            "name": f"Follow-up {n}",
            "price": 99,
            "is_price_from": True,
            "is_default": False,
            "service_id": str(estate.service_ids[2]),
            "description": "Twenty minutes",
            "is_visible": False,
            "allowed_patients": {"minimum_age": 18, "maximum_age": 65},
            "custom_name": "Control visit",
            "is_public_insurance_flow": False,
        }
        assert await read(api, estate, location) == body
        listed = success(await api.http.get(services_url(estate), headers=estate.headers))
        assert [s["id"] for s in listed["_items"]] == [
            *map(str, estate.address_service_ids[:2]),
            new_id,
        ]

    async def test_minimal_body(self, api: Api, estate: TestEstate) -> None:
        """Only service_id is required; defaults apply; the body follows `with` gating (§7.3)."""
        n = estate.extra["n"]
        body = {"service_id": str(estate.service_ids[2])}

        gated = await api.http.post(services_url(estate, 0), json=body, headers=estate.headers)
        full = await api.http.post(
            f"{services_url(estate, 1)}?{ALL_WITH}", json=body, headers=estate.headers
        )

        first, second = success(gated, 201), success(full, 201)
        defaults = {
            "name": f"Follow-up {n}",
            "price": None,
            "is_price_from": False,
            "is_default": False,
            "service_id": str(estate.service_ids[2]),
            "description": None,
            "is_visible": True,
        }
        assert first == {"id": first["id"], **defaults}
        assert second == {"id": second["id"], **defaults, **EXTENDED_DEFAULTS}
        assert first["id"] != second["id"]

    async def test_duplicate_is_409(self, api: Api, estate: TestEstate) -> None:
        """A dictionary service already active at the address: 409, nothing added (§4)."""
        before = await snapshot(api, estate)

        for service_id in (str(estate.service_ids[0]), estate.service_ids[1]):
            response = await api.http.post(
                services_url(estate), json={"service_id": service_id}, headers=estate.headers
            )

            assert failure(response, 409) == DUPLICATE, service_id
        assert await snapshot(api, estate) == before

    async def test_concurrent_adds_create_one(self, api: Api, estate: TestEstate) -> None:
        """Simultaneous POSTs of one service: one 201, the rest 409, one copy, no 500 (§4)."""
        body = {"service_id": str(estate.service_ids[2])}

        responses = await asyncio.gather(
            *(
                api.http.post(services_url(estate), json=body, headers=estate.headers)
                for _ in range(6)
            )
        )

        assert sorted(r.status_code for r in responses) == [201] + [409] * 5
        items = (await snapshot(api, estate))["_items"]
        assert [i["service_id"] for i in items].count(str(estate.service_ids[2])) == 1

    async def test_invalid_fields(self, api: Api, estate: TestEstate) -> None:
        """Unknown dictionary id, blank custom_name, bad ages: 400 errors map, no change (§4)."""
        spanish = await api.estate(locale="es")
        sid = str(estate.service_ids[2])
        range_error = ["This value should be between 0 and 150."]
        cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            *(
                ({"service_id": bad}, {"service_id": [UNKNOWN_SERVICE]})
                for bad in ("999999999", "abc", str(spanish.service_ids[0]))
            ),
            ({"service_id": sid, "custom_name": ""}, BLANK_NAME["errors"]),
            ({"service_id": sid, "custom_name": "   "}, BLANK_NAME["errors"]),
            (
                {"service_id": sid, "custom_name": "x" * 256},
                {"custom_name": ["This value is too long. It should have 255 characters or less."]},
            ),
            (
                {"service_id": sid, "allowed_patients": {"minimum_age": -1}},
                {"allowed_patients.minimum_age": range_error},
            ),
            (
                {"service_id": sid, "allowed_patients": {"maximum_age": 151}},
                {"allowed_patients.maximum_age": range_error},
            ),
            (
                {"service_id": sid, "allowed_patients": {"minimum_age": 40, "maximum_age": 30}},
                {"allowed_patients.minimum_age": [AGE_ORDER]},
            ),
            (
                {"service_id": sid, "default_duration": 0},
                {"default_duration": ["This value should be between 1 and 1440."]},
            ),
        ]
        before = await snapshot(api, estate)

        for body, errors in cases:
            response = await api.http.post(services_url(estate), json=body, headers=estate.headers)

            assert failure(response, 400) == {"errors": errors, "message": "Invalid arguments"}
        assert await snapshot(api, estate) == before


class TestPrice:
    async def test_decimals_are_truncated(self, api: Api, estate: TestEstate) -> None:
        """120.559 becomes price 120; numbers, numeric strings, null accepted (§7.3, 1.12.0)."""
        added = await add(api, estate, {"service_id": str(estate.service_ids[2]), "price": 120.559})
        url = service_url(estate)
        cases = [(120.999, 120), ("75.5", 75), (0, 0), (0.99, 0), (None, None), (10**6, 10**6)]

        assert added["price"] == 120
        assert (await read(api, estate, f"{services_url(estate)}/{added['id']}"))["price"] == 120
        for price, shown in cases:
            response = await api.http.patch(url, json={"price": price}, headers=estate.headers)

            assert success(response)["price"] == shown, price
            assert (await read(api, estate, url))["price"] == shown, price

    async def test_invalid_prices(self, api: Api, estate: TestEstate) -> None:
        """Negative or non-numeric prices: 400 with the documented message, no change (§4)."""
        before = await snapshot(api, estate)

        prices: list[Any] = [-1, -0.01, "abc", "", True, [], {}, "NaN", "1e40"]

        for price in prices:
            added = await api.http.post(
                services_url(estate),
                json={"service_id": str(estate.service_ids[2]), "price": price},
                headers=estate.headers,
            )
            patched = await api.http.patch(
                service_url(estate), json={"price": price}, headers=estate.headers
            )

            assert failure(added, 400) == BAD_PRICE, price
            assert failure(patched, 400) == BAD_PRICE, price
        assert await snapshot(api, estate) == before


class TestUpdateAddressService:
    async def test_omitted_keys_are_untouched(self, api: Api, estate: TestEstate) -> None:
        """PATCH is partial: each field changes alone; `{}` changes nothing (§7.3)."""
        url = service_url(estate, 0, 1)
        cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
            ({}, {}),
            ({"price": 300}, {"price": 300}),
            ({"is_price_from": False}, {"is_price_from": False}),
            ({"description": "Bring results"}, {"description": "Bring results"}),
            ({"is_visible": False}, {"is_visible": False}),
            (
                {"allowed_patients": {"minimum_age": 5}},
                {"allowed_patients": {"minimum_age": 5, "maximum_age": None}},
            ),
            ({"custom_name": "First visit"}, {"custom_name": "First visit"}),
            ({"default_duration": 45}, {}),  # accepted, never returned (§7.3)
        ]

        for patch, change in cases:
            before = await read(api, estate, url)

            response = await api.http.patch(f"{url}?{ALL_WITH}", json=patch, headers=estate.headers)

            assert success(response) == {**before, **change}, patch
            assert await read(api, estate, url) == {**before, **change}, patch
        assert await read(api, estate, service_url(estate, 0, 0)) == {
            **seeded(estate, 0, 0),
            **EXTENDED_DEFAULTS,
        }

    async def test_nulls_clear(self, api: Api, estate: TestEstate) -> None:
        """null clears custom_name, description, price and allowed_patients (§7.3)."""
        url = service_url(estate)
        set_all = {
            "custom_name": "Named",
            "description": "Text",
            "allowed_patients": {"minimum_age": 1, "maximum_age": 2},
        }
        await api.http.patch(url, json=set_all, headers=estate.headers)
        full = await read(api, estate, url)
        assert {k: full[k] for k in set_all} == set_all

        clear = {"custom_name": None, "description": None, "price": None, "allowed_patients": None}
        response = await api.http.patch(f"{url}?{ALL_WITH}", json=clear, headers=estate.headers)

        assert success(response) == {**full, **clear}
        assert await read(api, estate, url) == {**full, **clear}

    async def test_refused_patch_changes_nothing(self, api: Api, estate: TestEstate) -> None:
        """Blank custom_name is 400; one bad field voids the whole PATCH (§7.3 minLength 1)."""
        url = service_url(estate)
        await api.http.patch(url, json={"custom_name": "Keep me"}, headers=estate.headers)
        before = await snapshot(api, estate)

        for name in ("", " ", "\t\n"):
            response = await api.http.patch(url, json={"custom_name": name}, headers=estate.headers)

            assert failure(response, 400) == BLANK_NAME, repr(name)
        mixed = await api.http.patch(
            url, json={"description": "Should not stick", "price": -1}, headers=estate.headers
        )
        assert failure(mixed, 400) == BAD_PRICE
        assert await snapshot(api, estate) == before


class TestDeleteAddressService:
    async def test_soft_delete_and_re_add(self, api: Api, estate: TestEstate) -> None:
        """DELETE 204; the id is 404 afterwards; re-adding yields a NEW id (§7.2 #14, §13)."""
        url = service_url(estate, 0, 1)
        old_id = str(estate.address_service_ids[1])

        response = await api.http.delete(url, headers=estate.headers)

        assert (response.status_code, response.content) == (204, b"")
        for method in ("GET", "PATCH", "DELETE"):
            body = {"price": 1} if method == "PATCH" else None
            again = await api.http.request(method, url, json=body, headers=estate.headers)
            assert failure(again, 404) == NOT_FOUND, method
        listed = success(await api.http.get(services_url(estate), headers=estate.headers))
        assert listed == {"_items": [seeded(estate, 0, 0)]}
        readded = await add(api, estate, {"service_id": str(estate.service_ids[1])})
        assert readded["id"] != old_id
        assert readded["service_id"] == str(estate.service_ids[1])
        assert failure(await api.http.get(url, headers=estate.headers), 404) == NOT_FOUND


class TestReadOnlyEstate:
    async def test_writes_are_refused(self, api: Api) -> None:
        """Without edit rights add/update/delete are 403, after the mismatch 403 (§4)."""
        estate = await api.estate(can_edit=False)
        before = await snapshot(api, estate)
        sibling = f"{services_url(estate, 0)}/{estate.address_service_ids[2]}"

        responses = [
            await api.http.post(
                services_url(estate),
                json={"service_id": str(estate.service_ids[2])},
                headers=estate.headers,
            ),
            await api.http.patch(service_url(estate), json={"price": 1}, headers=estate.headers),
            await api.http.delete(service_url(estate), headers=estate.headers),
        ]
        mismatch = await api.http.delete(sibling, headers=estate.headers)

        assert [failure(r, 403) for r in responses] == [READ_ONLY] * 3
        assert failure(mismatch, 403) == MISMATCH
        assert await snapshot(api, estate) == before


class TestAddressServiceEvents:
    async def test_create_change_delete_raise_their_events(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Each change through the API records its notification event with the client as its
        origin; a PATCH that changes nothing records none (behaviour.md §11.1)."""
        me = estate.client_pk
        address = estate.address_ids[0]
        created = success(
            await api.http.post(
                services_url(estate),
                json={"service_id": str(estate.service_ids[2]), "price": 90},
                headers=estate.headers,
            ),
            201,
        )
        url = f"{services_url(estate)}/{created['id']}"
        after_create = await events(api, estate)

        success(await api.http.patch(url, json={"price": 95}, headers=estate.headers))
        success(await api.http.patch(url, json={"price": 95}, headers=estate.headers))
        after_changes = await events(api, estate)
        gone = await api.http.delete(url, headers=estate.headers)

        assert gone.status_code == 204
        assert after_create == [("address-service-created", address, me)]
        assert after_changes[1:] == [("address-service-changed", address, me)]
        assert (await events(api, estate))[2:] == [("address-service-deleted", address, me)]
