"""Insurance over HTTP: the provider and plan dictionaries, and the providers an address accepts
(behaviour.md §4, §7.1, §7.2 #15-20, §7.3 Add/UpdateOrCreateAddressInsuranceProviderRequest)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api

API = "/api/v3/integration"
NOT_FOUND = {"errors": [], "message": "Object not found"}
NOT_IN_DICTIONARY = {
    "errors": [],
    "message": "Provided insurance provider ID not found in dictionary",
}
ALREADY_ASSIGNED = {
    "errors": [],
    "message": "Insurance provider with given ID is already assigned to this address.",
}
NOT_ASSIGNED = {
    "errors": [],
    "message": "Insurance provider with given ID is not assigned to this address.",
}
READ_ONLY = {"errors": [], "message": "You are not authorized to make changes on this calendar"}
FOREIGN_PLAN = "Insurance plan with given ID does not belong to this insurance provider."


def no_content(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b""


def url(estate: TestEstate, address: int = 0) -> str:
    return f"{estate.address_path(address)}/insurance-providers"


def plans(estate: TestEstate) -> tuple[str, str]:
    """Provider A's two plans, Basic and Gold, as wire ids."""
    basic, gold = estate.plan_ids[estate.provider_ids[0]]
    return str(basic), str(gold)


def provider(estate: TestEstate, index: int, *plan_names: str) -> dict[str, Any]:
    """An AddressInsuranceProvider as the address lists it, with the named plans."""
    n = estate.extra["n"]
    ids = dict(zip(("Basic", "Gold"), plans(estate), strict=True))
    return {
        "insurance_provider_id": str(estate.provider_ids[index]),
        "name": f"Insurer {'AB'[index]}{n}",
        "insurance_plans": {
            "_items": [{"insurance_plan_id": ids[name], "name": name} for name in plan_names]
        },
    }


async def accepted(api: Api, estate: TestEstate, address: int = 0) -> Any:
    """The address's providers as its owner reads them."""
    return success(await api.http.get(url(estate, address), headers=estate.headers))


def plan_body(provider_id: object, *plan_ids: object) -> dict[str, Any]:
    return {
        "insurance_provider_id": provider_id,
        "insurance_plans": [{"insurance_plan_id": p} for p in plan_ids],
    }


def foreign_plan_error(*indexes: int) -> dict[str, Any]:
    keys = (f"insurance_plans[{i}].insurance_plan_id" for i in indexes)
    return {"errors": {k: [FOREIGN_PLAN] for k in keys}, "message": "Invalid arguments"}


class TestDictionaries:
    async def test_providers(self, api: Api, estate: TestEstate) -> None:
        """GET /insurance-providers has our providers, not another locale's (§7.2 #15, §7.1)."""
        n = estate.extra["n"]
        spanish = await api.estate(locale="es")

        response = await api.http.get(f"{API}/insurance-providers", headers=estate.headers)

        items = success(response)["_items"]
        for index, letter in enumerate("AB"):
            expected = {"insurance_provider_id": str(estate.provider_ids[index])}
            assert {**expected, "name": f"Insurer {letter}{n}"} in items
        assert all(set(item) == {"insurance_provider_id", "name"} for item in items)
        ids = {item["insurance_provider_id"] for item in items}
        assert not ids & {str(p) for p in spanish.provider_ids}

    async def test_plans(self, api: Api, estate: TestEstate) -> None:
        """GET /insurance-providers/{id}/plans; unknown provider is 404 (§7.2 #16, §4)."""
        basic, gold = plans(estate)
        base = f"{API}/insurance-providers"
        spanish = await api.estate(locale="es")

        first = await api.http.get(f"{base}/{estate.provider_ids[0]}/plans", headers=estate.headers)
        second = await api.http.get(
            f"{base}/{estate.provider_ids[1]}/plans", headers=estate.headers
        )

        assert success(first) == {
            "_items": [
                {"insurance_plan_id": basic, "name": "Basic"},
                {"insurance_plan_id": gold, "name": "Gold"},
            ]
        }
        assert success(second) == {"_items": []}
        for provider_id in ("999999999", "abc", "-1", str(spanish.provider_ids[0])):
            response = await api.http.get(f"{base}/{provider_id}/plans", headers=estate.headers)

            assert failure(response, 404) == NOT_IN_DICTIONARY, provider_id


class TestAddProvider:
    async def test_add_with_and_without_plans(self, api: Api, estate: TestEstate) -> None:
        """POST 204 without body; providers listed once each with their plans (§7.2 #17-18)."""
        basic, gold = plans(estate)
        assert await accepted(api, estate) == {"_items": []}

        without = await api.http.post(
            url(estate),
            json={"insurance_provider_id": str(estate.provider_ids[1])},
            headers=estate.headers,
        )
        with_plans = await api.http.post(
            url(estate),
            json=plan_body(str(estate.provider_ids[0]), basic, basic, gold),
            headers=estate.headers,
        )

        no_content(without)
        no_content(with_plans)
        assert await accepted(api, estate) == {
            "_items": [provider(estate, 0, "Basic", "Gold"), provider(estate, 1)]
        }
        assert await accepted(api, estate, 1) == {"_items": []}

    async def test_add_twice(self, api: Api, estate: TestEstate) -> None:
        """POST of an accepted provider is 400 "already assigned"; plans unchanged (§4)."""
        basic, gold = plans(estate)
        provider_id = str(estate.provider_ids[0])
        no_content(
            await api.http.post(
                url(estate), json=plan_body(provider_id, basic), headers=estate.headers
            )
        )

        response = await api.http.post(
            url(estate), json=plan_body(provider_id, gold), headers=estate.headers
        )

        assert failure(response, 400) == ALREADY_ASSIGNED
        assert await accepted(api, estate) == {"_items": [provider(estate, 0, "Basic")]}

    async def test_refusals(self, api: Api, estate: TestEstate) -> None:
        """Unknown provider 404; plans of another provider 400 keyed per plan; no change (§4)."""
        basic, gold = plans(estate)
        spanish = await api.estate(locale="es")
        a, b = str(estate.provider_ids[0]), str(estate.provider_ids[1])
        foreign = str(spanish.plan_ids[spanish.provider_ids[0]][0])
        cases: list[tuple[dict[str, Any], int, dict[str, Any]]] = [
            *(
                ({"insurance_provider_id": bad}, 404, NOT_IN_DICTIONARY)
                for bad in ("999999999", "nope", str(spanish.provider_ids[0]))
            ),
            (plan_body(b, basic), 400, foreign_plan_error(0)),
            (plan_body(a, basic, foreign, gold, "x"), 400, foreign_plan_error(1, 3)),
        ]

        for method in ("POST", "PUT"):
            for body, status, expected in cases:
                response = await api.http.request(
                    method, url(estate), json=body, headers=estate.headers
                )

                assert failure(response, status) == expected, (method, body)
        assert await accepted(api, estate) == {"_items": []}

    async def test_concurrent_writes_link_once(self, api: Api, estate: TestEstate) -> None:
        """Simultaneous POSTs: one 204, rest 400; PUTs: all 204; never a 500 (§4, §7.2 #18-19)."""
        basic, _ = plans(estate)
        body = plan_body(str(estate.provider_ids[0]), basic)

        posts = await asyncio.gather(
            *(api.http.post(url(estate, 0), json=body, headers=estate.headers) for _ in range(5))
        )
        puts = await asyncio.gather(
            *(api.http.put(url(estate, 1), json=body, headers=estate.headers) for _ in range(5))
        )

        assert sorted(r.status_code for r in posts) == [204] + [400] * 4
        assert [r.json() for r in posts if r.status_code == 400] == [ALREADY_ASSIGNED] * 4
        assert [r.status_code for r in puts] == [204] * 5
        for address in (0, 1):
            assert await accepted(api, estate, address) == {
                "_items": [provider(estate, 0, "Basic")]
            }


class TestUpsert:
    async def test_put_creates_then_replaces(self, api: Api, estate: TestEstate) -> None:
        """PUT links if needed and sets the plan list to exactly the plans sent (§7.2 #19)."""
        basic, gold = plans(estate)
        provider_id = str(estate.provider_ids[0])
        steps: list[tuple[list[str], tuple[str, ...]]] = [
            ([basic], ("Basic",)),
            ([gold], ("Gold",)),
            ([gold, basic], ("Basic", "Gold")),
            ([], ()),
        ]

        for sent, expected in steps:
            response = await api.http.put(
                url(estate), json=plan_body(provider_id, *sent), headers=estate.headers
            )

            no_content(response)
            assert await accepted(api, estate) == {"_items": [provider(estate, 0, *expected)]}

    async def test_put_without_plans_and_other_providers(
        self, api: Api, estate: TestEstate
    ) -> None:
        """PUT without insurance_plans clears that provider's plans only (§7.2 #19, PUT)."""
        basic, gold = plans(estate)
        a, b = str(estate.provider_ids[0]), str(estate.provider_ids[1])
        await api.http.put(url(estate), json=plan_body(a, basic, gold), headers=estate.headers)
        await api.http.post(url(estate), json={"insurance_provider_id": b}, headers=estate.headers)

        response = await api.http.put(
            url(estate), json={"insurance_provider_id": a}, headers=estate.headers
        )

        no_content(response)
        assert await accepted(api, estate) == {"_items": [provider(estate, 0), provider(estate, 1)]}


class TestRemoveProvider:
    async def test_delete_then_delete_again(self, api: Api, estate: TestEstate) -> None:
        """DELETE 204 then 400 "not assigned"; re-adding brings no old plans (§7.2 #20, §4)."""
        basic, _ = plans(estate)
        provider_id = str(estate.provider_ids[0])
        await api.http.post(url(estate), json=plan_body(provider_id, basic), headers=estate.headers)
        target = f"{url(estate)}/{provider_id}"

        first = await api.http.delete(target, headers=estate.headers)
        second = await api.http.delete(target, headers=estate.headers)

        no_content(first)
        assert failure(second, 400) == NOT_ASSIGNED
        assert await accepted(api, estate) == {"_items": []}
        no_content(
            await api.http.post(
                url(estate), json={"insurance_provider_id": provider_id}, headers=estate.headers
            )
        )
        assert await accepted(api, estate) == {"_items": [provider(estate, 0)]}

    async def test_refusals_and_scope(self, api: Api, estate: TestEstate) -> None:
        """Never assigned 400, unknown 404; a DELETE touches one address only (§4, §7.1)."""
        body = {"insurance_provider_id": str(estate.provider_ids[0])}
        for address in (0, 1):
            await api.http.post(url(estate, address), json=body, headers=estate.headers)

        never = await api.http.delete(
            f"{url(estate)}/{estate.provider_ids[1]}", headers=estate.headers
        )
        unknown = [
            await api.http.delete(f"{url(estate)}/{bad}", headers=estate.headers)
            for bad in ("999999999", "abc")
        ]
        removed = await api.http.delete(
            f"{url(estate, 0)}/{estate.provider_ids[0]}", headers=estate.headers
        )

        assert failure(never, 400) == NOT_ASSIGNED
        assert [failure(r, 404) for r in unknown] == [NOT_IN_DICTIONARY] * 2
        no_content(removed)
        assert await accepted(api, estate, 0) == {"_items": []}
        assert await accepted(api, estate, 1) == {"_items": [provider(estate, 0)]}


class TestReadOnlyEstate:
    async def test_writes_are_refused(self, api: Api) -> None:
        """Without edit rights POST, PUT and DELETE are 403 and nothing changes (§4)."""
        estate = await api.estate(can_edit=False)
        body = {"insurance_provider_id": str(estate.provider_ids[0])}

        posted = await api.http.post(url(estate), json=body, headers=estate.headers)
        put = await api.http.put(url(estate), json=body, headers=estate.headers)
        deleted = await api.http.delete(
            f"{url(estate)}/{estate.provider_ids[0]}", headers=estate.headers
        )

        assert [failure(r, 403) for r in (posted, put, deleted)] == [READ_ONLY] * 3
        assert await accepted(api, estate) == {"_items": []}
