"""Bad input on the write endpoints: every refusal is the error envelope and leaves the state as
it was (behaviour.md §3, §4; wire.md §1.6; decisions.md "Wire format")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api

API = "/api/v3/integration"
INVALID_JSON = {
    "errors": {"body": ["The request body is not valid JSON."]},
    "message": "Invalid arguments",
}
TOO_LARGE = {"errors": [], "message": "Request body is too large"}
BAD_PRICE = {
    "errors": [],
    "message": (
        "Invalid price value for service. Price should be either null or integer greater or "
        "equal 0."
    ),
}
LIMIT = 8 * 1024 * 1024
ALL_WITH = (
    "with=address_service.allowed_patients,address_service.custom_name,"
    "address_service.public_insurance_flow"
)
GARBAGE = [
    b"{",
    b"{'service_id': '1'}",
    b'{"service_id": "1",}',
    b"not json",
    b"\xff\xfe{}",
    b'{"a": 1} {"b": 2}',
    b"[" * 100_000 + b"]" * 100_000,
]
NOT_OBJECTS = [b"[]", b'[{"service_id": "1"}]', b"null", b'"text"', b"5", b"true", b""]


def invalid_keys(response: httpx.Response) -> list[str]:
    """The field keys of a 400 `Invalid arguments` with an errors map of non-empty messages."""
    body = failure(response, 400)
    assert body["message"] == "Invalid arguments", body
    assert isinstance(body["errors"], dict), body
    for messages in body["errors"].values():
        assert messages, body
        assert all(isinstance(m, str) for m in messages), body
    return sorted(body["errors"])


async def state(api: Api, estate: TestEstate) -> Any:
    """What the write endpoints below can change at address 0, as its owner reads it."""
    base = estate.address_path(0)
    urls = (
        f"{base}?with=address.insurance_support",
        f"{base}/services?{ALL_WITH}",
        f"{base}/insurance-providers",
    )
    return [success(await api.http.get(url, headers=estate.headers)) for url in urls]


@dataclass(frozen=True)
class Write:
    method: str
    suffix: str  # `{asid}` is address 0's first service

    def url(self, estate: TestEstate) -> str:
        return estate.address_path(0) + self.suffix.format(asid=estate.address_service_ids[0])


ADD_SERVICE = Write("POST", "/services")
WRITES = [
    ADD_SERVICE,
    Write("PATCH", "/services/{asid}"),
    Write("PATCH", ""),
    Write("POST", "/insurance-providers"),
    Write("PUT", "/insurance-providers"),
]


def raw(api: Api, estate: TestEstate, write: Write, content: bytes) -> Any:
    return api.http.request(
        write.method,
        write.url(estate),
        content=content,
        headers={**estate.headers, "Content-Type": "application/json"},
    )


class TestUnparsableBodies:
    async def test_garbage_json(self, api: Api, estate: TestEstate) -> None:
        """Malformed JSON, too-deep nesting included, is 400 keyed on `body`, no change (§4)."""
        before = await state(api, estate)

        for write in WRITES:
            for content in GARBAGE:
                response = await raw(api, estate, write, content)

                assert failure(response, 400) == INVALID_JSON, (write, content[:30])
        assert await state(api, estate) == before

    async def test_json_that_is_not_an_object(self, api: Api, estate: TestEstate) -> None:
        """Arrays, scalars, null or nothing where an object is due: 400 on `body` (wire.md §3.3)."""
        before = await state(api, estate)

        for write in WRITES:
            for content in NOT_OBJECTS:
                response = await raw(api, estate, write, content)

                assert invalid_keys(response) == ["body"], (write, content)
        assert await state(api, estate) == before


class TestWrongTypesAndMissingFields:
    async def test_add_service(self, api: Api, estate: TestEstate) -> None:
        """addAddressService names each mistyped or missing field in the errors map (§4, §7.3)."""
        sid = str(estate.service_ids[2])
        cases: list[tuple[dict[str, Any], list[str]]] = [
            ({}, ["service_id"]),
            ({"price": 10}, ["service_id"]),
            ({"service_id": None}, ["service_id"]),
            ({"service_id": True}, ["service_id"]),
            ({"service_id": ["1"]}, ["service_id"]),
            ({"service_id": {"id": "1"}}, ["service_id"]),
            ({"service_id": ""}, ["service_id"]),
            ({"service_id": sid, "is_visible": "maybe"}, ["is_visible"]),
            ({"service_id": sid, "is_price_from": []}, ["is_price_from"]),
            ({"service_id": sid, "default_duration": "30"}, ["default_duration"]),
            ({"service_id": sid, "default_duration": 1.5}, ["default_duration"]),
            ({"service_id": sid, "allowed_patients": "adults"}, ["allowed_patients"]),
            (
                {"service_id": sid, "allowed_patients": {"minimum_age": "18"}},
                ["allowed_patients.minimum_age"],
            ),
            ({"service_id": sid, "description": {"text": "x"}}, ["description"]),
            ({"service_id": sid, "custom_name": ["x"]}, ["custom_name"]),
            (
                {"service_id": None, "is_visible": "maybe", "default_duration": "x"},
                ["default_duration", "is_visible", "service_id"],
            ),
        ]
        before = await state(api, estate)

        for body, keys in cases:
            response = await api.http.post(
                f"{estate.address_path(0)}/services", json=body, headers=estate.headers
            )

            assert invalid_keys(response) == keys, body
        assert await state(api, estate) == before

    async def test_updates(self, api: Api, estate: TestEstate) -> None:
        """updateAddressService and updateAddress name mistyped fields in the map (§4, §7.3)."""
        service = f"{estate.address_path(0)}/services/{estate.address_service_ids[0]}"
        address = estate.address_path(0)
        cases: list[tuple[str, dict[str, Any], list[str]]] = [
            (service, {"is_visible": "sometimes"}, ["is_visible"]),
            (service, {"default_duration": "45"}, ["default_duration"]),
            (service, {"allowed_patients": [1, 2]}, ["allowed_patients"]),
            (service, {"allowed_patients": {"maximum_age": 1.5}}, ["allowed_patients.maximum_age"]),
            (service, {"custom_name": {"x": 1}}, ["custom_name"]),
            (address, {}, ["insurance_support"]),
            (address, {"insurance_support": None}, ["insurance_support"]),
            (address, {"insurance_support": {"v": 1}}, ["insurance_support"]),
        ]
        before = await state(api, estate)

        for url, body, keys in cases:
            response = await api.http.patch(url, json=body, headers=estate.headers)

            assert invalid_keys(response) == keys, (url, body)
        assert await state(api, estate) == before

    async def test_insurance(self, api: Api, estate: TestEstate) -> None:
        """Insurance POST and PUT: missing provider, wrong plan shapes, keyed by path (§4, §7.3)."""
        pid = str(estate.provider_ids[0])
        cases: list[tuple[dict[str, Any], list[str]]] = [
            ({}, ["insurance_provider_id"]),
            ({"insurance_plans": []}, ["insurance_provider_id"]),
            ({"insurance_provider_id": None}, ["insurance_provider_id"]),
            ({"insurance_provider_id": False}, ["insurance_provider_id"]),
            ({"insurance_provider_id": ""}, ["insurance_provider_id"]),
            ({"insurance_provider_id": pid, "insurance_plans": "Gold"}, ["insurance_plans"]),
            ({"insurance_provider_id": pid, "insurance_plans": {"x": 1}}, ["insurance_plans"]),
            ({"insurance_provider_id": pid, "insurance_plans": ["1"]}, ["insurance_plans[0]"]),
            (
                {"insurance_provider_id": pid, "insurance_plans": [{}]},
                ["insurance_plans[0].insurance_plan_id"],
            ),
            (
                {"insurance_provider_id": pid, "insurance_plans": [{"insurance_plan_id": None}]},
                ["insurance_plans[0].insurance_plan_id"],
            ),
        ]
        before = await state(api, estate)

        for method in ("POST", "PUT"):
            for body, keys in cases:
                response = await api.http.request(
                    method,
                    f"{estate.address_path(0)}/insurance-providers",
                    json=body,
                    headers=estate.headers,
                )

                assert invalid_keys(response) == keys, (method, body)
        assert await state(api, estate) == before

    async def test_non_finite_and_huge_numbers(self, api: Api, estate: TestEstate) -> None:
        """Infinity, NaN and absurd magnitudes get the envelope, never a 500 (§4)."""
        sid = estate.service_ids[2]
        bodies = [
            b'{"service_id": "%d", "price": 1e400}' % sid,
            b'{"service_id": "%d", "price": -1e400}' % sid,
            b'{"service_id": "%d", "price": NaN}' % sid,
            b'{"service_id": "%d", "price": Infinity}' % sid,
            b'{"service_id": "%d", "price": 1%s}' % (sid, b"0" * 400),
        ]
        before = await state(api, estate)

        for content in bodies:
            response = await raw(api, estate, ADD_SERVICE, content)

            assert failure(response, 400) == BAD_PRICE, content
        duration = await api.http.post(
            f"{estate.address_path(0)}/services",
            json={"service_id": str(sid), "default_duration": 10**30},
            headers=estate.headers,
        )
        assert invalid_keys(duration) == ["default_duration"]
        assert await state(api, estate) == before


class TestIdsAsNumbersOrStrings:
    async def test_service_id(self, api: Api, estate: TestEstate) -> None:
        """A number and a numeric string are the same id; answers carry strings (§3)."""
        url = f"{estate.address_path(0)}/services"

        as_number = await api.http.post(
            url, json={"service_id": estate.service_ids[2]}, headers=estate.headers
        )
        as_string = await api.http.post(
            f"{estate.address_path(1)}/services",
            json={"service_id": str(estate.service_ids[2])},
            headers=estate.headers,
        )
        duplicate = await api.http.post(
            url, json={"service_id": estate.service_ids[0]}, headers=estate.headers
        )

        first, second = success(as_number, 201), success(as_string, 201)
        assert first["service_id"] == second["service_id"] == str(estate.service_ids[2])
        assert isinstance(first["id"], str)
        assert failure(duplicate, 409)["message"] == (
            "The address service you are trying to add already exists in the system"
        )

    async def test_insurance_ids(self, api: Api, estate: TestEstate) -> None:
        """Numeric provider and plan ids work for POST and PUT and read back as strings (§3)."""
        provider = estate.provider_ids[0]
        basic, gold = estate.plan_ids[provider]
        url = f"{estate.address_path(0)}/insurance-providers"

        posted = await api.http.post(
            url,
            json={
                "insurance_provider_id": provider,
                "insurance_plans": [{"insurance_plan_id": basic}],
            },
            headers=estate.headers,
        )
        put = await api.http.put(
            url,
            json={
                "insurance_provider_id": provider,
                "insurance_plans": [{"insurance_plan_id": gold}],
            },
            headers=estate.headers,
        )

        assert [posted.status_code, put.status_code] == [204, 204]
        assert success(await api.http.get(url, headers=estate.headers)) == {
            "_items": [
                {
                    "insurance_provider_id": str(provider),
                    "name": f"Insurer A{estate.extra['n']}",
                    "insurance_plans": {
                        "_items": [{"insurance_plan_id": str(gold), "name": "Gold"}]
                    },
                }
            ]
        }

    async def test_non_integer_numbers_name_nothing(self, api: Api, estate: TestEstate) -> None:
        """Fractional, negative or out-of-range numbers get "not found" answers, never a 500."""
        before = await state(api, estate)
        services = f"{estate.address_path(0)}/services"
        providers = f"{estate.address_path(0)}/insurance-providers"
        unknown_service = {
            "errors": {"service_id": ["Service with given ID does not exist in the dictionary."]},
            "message": "Invalid arguments",
        }
        not_in_dictionary = {
            "errors": [],
            "message": "Provided insurance provider ID not found in dictionary",
        }

        for value in (float(estate.service_ids[2]) + 0.5, 10**20, -estate.service_ids[2]):
            response = await api.http.post(
                services, json={"service_id": value}, headers=estate.headers
            )
            assert failure(response, 400) == unknown_service, value
        for value in (10**20, 0.5, -1):
            response = await api.http.post(
                providers, json={"insurance_provider_id": value}, headers=estate.headers
            )
            assert failure(response, 404) == not_in_dictionary, value
        plan = await api.http.post(
            providers,
            json={
                "insurance_provider_id": estate.provider_ids[0],
                "insurance_plans": [{"insurance_plan_id": 10**20}],
            },
            headers=estate.headers,
        )
        assert invalid_keys(plan) == ["insurance_plans[0].insurance_plan_id"]
        assert await state(api, estate) == before


class TestBodySize:
    async def test_over_the_limit(self, api: Api, estate: TestEstate) -> None:
        """Over 8 MiB, declared or streamed without a length: 413 envelope, no effect (§4)."""
        before = await state(api, estate)
        head = b'{"service_id": "%d", "description": "' % estate.service_ids[2]
        declared = head + b"x" * (LIMIT - len(head) - 1) + b'"}'
        assert len(declared) == LIMIT + 1

        async def chunks() -> AsyncIterator[bytes]:
            yield head
            for _ in range(9):
                yield b"x" * (1024 * 1024)
            yield b'"}'

        sized = await raw(api, estate, ADD_SERVICE, declared)
        streamed = await api.http.post(
            f"{estate.address_path(0)}/services", content=chunks(), headers=estate.headers
        )

        assert failure(sized, 413) == TOO_LARGE
        assert "content-length" not in streamed.request.headers
        assert failure(streamed, 413) == TOO_LARGE
        assert await state(api, estate) == before

    async def test_body_of_exactly_the_limit(self, api: Api, estate: TestEstate) -> None:
        """A body of exactly 8 MiB is read normally: the limit is inclusive."""
        prefix = b'{"service_id": "%d", "custom_name": "Padded"}' % estate.service_ids[2]
        content = prefix + b" " * (LIMIT - len(prefix))
        assert len(content) == LIMIT

        response = await raw(api, estate, ADD_SERVICE, content)

        assert success(response, 201)["service_id"] == str(estate.service_ids[2])


class TestLenientTransport:
    async def test_media_types(self, api: Api, estate: TestEstate) -> None:
        """JSON is read whatever Content-Type says; Accept never causes a 406 (§3, wire.md §1.3)."""
        content_types = [
            "application/json; charset=utf-8",
            "application/vnd.docplanner+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            None,
        ]
        accepts = [
            "application/vnd.docplanner+json; charset=UTF-8,application/vnd.error+docplanner+json",
            "application/vnd.error+docplanner+json",
            "text/html",
        ]

        for address, content_type in enumerate(content_types):
            headers = dict(estate.headers)
            if content_type is not None:
                headers["Content-Type"] = content_type
            response = await api.http.post(
                f"{estate.address_path(address)}/services",
                content=b'{"service_id": "%d"}' % estate.service_ids[2],
                headers=headers,
            )

            assert success(response, 201)["service_id"] == str(estate.service_ids[2]), content_type
        for accept in accepts:
            response = await api.http.get(
                estate.address_path(0), headers={**estate.headers, "Accept": accept}
            )

            assert success(response)["id"] == str(estate.address_ids[0]), accept

    async def test_unknown_keys_are_ignored(self, api: Api, estate: TestEstate) -> None:
        """Unknown or read-only body keys cannot set id, name or flags (wire.md §1.7)."""
        n = estate.extra["n"]

        response = await api.http.post(
            f"{estate.address_path(0)}/services?{ALL_WITH}",
            json={
                "service_id": str(estate.service_ids[2]),
                "id": "1",
                "name": "Renamed",
                "is_default": True,
                "is_public_insurance_flow": True,
                "address_id": str(estate.address_ids[1]),
                "future_field": {"x": 1},
            },
            headers=estate.headers,
        )

        body = success(response, 201)
        assert body["id"] != "1"
        assert body["name"] == f"Follow-up {n}"
        assert body["is_default"] is False
        assert body["is_public_insurance_flow"] is False
        assert response.headers["location"] == (
            f"https://testserver{estate.address_path(0)}/services/{body['id']}"
        )


class TestRoutesAndMethods:
    async def test_methods_and_routes(self, api: Api, estate: TestEstate) -> None:
        """Wrong method: 405 with a full Allow; unknown route: 404; both enveloped (§7.2)."""
        base = estate.address_path(0)
        methods = [
            ("PUT", f"{API}/facilities", "GET"),
            ("DELETE", f"{API}/facilities/{estate.facility_ids[0]}", "GET"),
            ("POST", base, "GET, PATCH"),
            ("PUT", f"{base}/services", "GET, POST"),
            ("PUT", f"{base}/services/1", "DELETE, GET, PATCH"),
            ("POST", f"{base}/insurance-providers/1", "DELETE"),
            ("GET", f"{base}/integration", "DELETE"),
        ]
        routes = [
            f"{API}/nothing",
            f"{base}/nothing",
            f"{base}/services/{estate.address_service_ids[0]}/extra",
        ]
        before = await state(api, estate)

        for method, url, allow in methods:
            response = await api.http.request(method, url, json={}, headers=estate.headers)

            assert failure(response, 405) == {"errors": [], "message": "Method Not Allowed"}, url
            assert response.headers["allow"] == allow, url
        for url in routes:
            response = await api.http.get(url, headers=estate.headers)

            assert failure(response, 404) == {"errors": [], "message": "Object not found"}, url
        assert await state(api, estate) == before
