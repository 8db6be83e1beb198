"""The services dictionary, GET /services (behaviour.md §5, §7.1 Service, §7.2 #9).

The dictionary is shared by every estate of a locale, so these tests check that this estate's
services are in (or out of) a listing, never that the listing equals them.
"""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api

API = "/api/v3/integration"
URL = f"{API}/services"
ALL = ["Consultation", "ECG", "Follow-up"]
DIAGNOSTICS_SPELLINGS = (
    "with=services.only_diagnostics",
    "with=unknown,services.only_diagnostics",
    "with=unknown&with=services.only_diagnostics",
    "with[]=services.only_diagnostics",
)


def own(estate: TestEstate) -> dict[str, dict[str, str]]:
    """The estate's dictionary services by short name: Consultation (specialized), ECG
    (diagnostic, specialized), Follow-up (neither)."""
    n = estate.extra["n"]
    names = (f"Consultation {n}", f"ECG {n}", f"Follow-up {n}")
    return {
        name.split()[0]: {"id": str(sid), "name": name}
        for name, sid in zip(names, estate.service_ids, strict=True)
    }


def picked(items: list[Any], estate: TestEstate) -> list[str]:
    """Which of the estate's services a listing holds, by short name, in listing order."""
    by_id = {v["id"]: k for k, v in own(estate).items()}
    return [by_id[item["id"]] for item in items if item["id"] in by_id]


async def listing(api: Api, estate: TestEstate, query: str = "") -> list[Any]:
    response = await api.http.get(f"{URL}?{query}", headers=estate.headers)
    items: list[Any] = success(response)["_items"]
    return items


async def specialization_id(api: Api, estate: TestEstate) -> str:
    f, d = estate.facility_ids[0], estate.doctor_ids[0]
    response = await api.http.get(f"{API}/facilities/{f}/doctors/{d}", headers=estate.headers)
    value: str = success(response)["specializations"]["_items"][0]["id"]
    return value


class TestServicesDictionary:
    async def test_shape(self, api: Api, estate: TestEstate) -> None:
        """GET /services is `{_items: [{id, name}]}`, unique string ids, ours included (§7.1)."""
        items = await listing(api, estate)

        for service in own(estate).values():
            assert service in items
        assert all(set(item) == {"id", "name"} for item in items)
        assert all(isinstance(item["id"], str) for item in items)
        assert len({item["id"] for item in items}) == len(items)

    async def test_only_diagnostics(self, api: Api, estate: TestEstate) -> None:
        """`services.only_diagnostics` keeps diagnostic services; unknown values do nothing (§5)."""
        for query in DIAGNOSTICS_SPELLINGS:
            assert picked(await listing(api, estate, query), estate) == ["ECG"], query

        unknown = await listing(api, estate, "with=services.everything,doctor.addresses")
        assert picked(unknown, estate) == ALL

    async def test_specialization_filter(self, api: Api, estate: TestEstate) -> None:
        """`specialization_id` keeps that specialization's services and combines (§7.2 #9)."""
        other = await api.estate()
        ours, theirs = await specialization_id(api, estate), await specialization_id(api, other)

        mine = await listing(api, estate, f"specialization_id={ours}")
        both = await listing(
            api, estate, f"specialization_id={ours}&with=services.only_diagnostics"
        )
        foreign = await listing(api, estate, f"specialization_id={theirs}")

        assert picked(mine, estate) == ["Consultation", "ECG"]
        assert own(estate)["Consultation"] in mine
        assert picked(both, estate) == ["ECG"]
        assert (picked(foreign, estate), picked(foreign, other)) == ([], ["Consultation", "ECG"])

    async def test_unknown_empty_and_malformed(self, api: Api, estate: TestEstate) -> None:
        """Unknown id lists nothing, empty filters nothing, non-numeric is 400 (§4, §7.2 #9)."""
        assert await listing(api, estate, "specialization_id=999999999") == []
        assert picked(await listing(api, estate, "specialization_id="), estate) == ALL

        for value in ("abc", "-1", "1.5", "9" * 30):
            response = await api.http.get(
                f"{URL}?specialization_id={value}", headers=estate.headers
            )

            assert failure(response, 400) == {
                "errors": {"specialization_id": ["This value should be a positive integer."]},
                "message": "Invalid arguments",
            }, value

    async def test_per_marketplace(self, api: Api, estate: TestEstate) -> None:
        """Each marketplace host lists only its own locale's dictionary (§1, decisions.md)."""
        spanish = await api.estate(locale="es")

        polish_items = await listing(api, estate)
        response = await api.http.get(URL, headers={**spanish.headers, "Host": "www.doctoralia.es"})

        spanish_items = success(response)["_items"]
        assert picked(polish_items, spanish) == []
        assert picked(spanish_items, spanish) == ALL
        assert picked(spanish_items, estate) == []
