"""Facilities over HTTP: getFacilities and getFacility (behaviour.md §3, §4, §5, §7.2 #1-2)."""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, success
from tests.conftest import Api

API = "/api/v3/integration"
NOT_FOUND = {"errors": [], "message": "Object not found"}
FACILITY_FORBIDDEN = {"errors": [], "message": "You are not authorized to see this facility"}
WITH_DOCTORS_SPELLINGS = (
    "with=facility.doctors",
    "with=bogus.value,facility.doctors",
    "with=facility.doctors%2Cbogus.value",
    "with=bogus.value&with=facility.doctors",
    "with[]=facility.doctors",
    "with%5B%5D=facility.doctors&with%5B%5D=other",
    "with=%20facility.doctors%20",
)
WITHOUT_DOCTORS = ("with=bogus", "with=", "with=facility", "with=FACILITY.DOCTORS", "doctors=1")
# Ids that name nothing: unknown, zero, negative, decimal, exponent, blank, a superscript digit
# (str.isdigit() is true for it), and one too large for a 64-bit column.
MALFORMED_IDS = ("999999999", "abc", "0", "-1", "1.0", "1e3", "%20", "%C2%B2", "9" * 20)


def doctor_json(estate: TestEstate, index: int) -> dict[str, str]:
    n = estate.extra["n"]
    return {"id": str(estate.doctor_ids[index]), "name": f"Doc{index}", "surname": f"Test{n}"}


def facility_json(estate: TestEstate, index: int) -> dict[str, Any]:
    n = estate.extra["n"]
    return {"id": str(estate.facility_ids[index]), "name": f"Clinic {n}-{'AB'[index]}"}


class TestListFacilities:
    async def test_lists_exactly_the_estate(self, api: Api, estate: TestEstate) -> None:
        """getFacilities is `{_items: [{id, name}]}`, string ids, `with` ignored (§3, §7.2 #1)."""
        expected = {"_items": [facility_json(estate, 0), facility_json(estate, 1)]}

        for query in ("", "?with=facility.doctors"):
            response = await api.http.get(f"{API}/facilities{query}", headers=estate.headers)

            assert success(response) == expected, query


class TestGetFacility:
    async def test_with_and_without_doctors(self, api: Api, estate: TestEstate) -> None:
        """getFacility is `{id, name}`; `facility.doctors` embeds commercial doctors (§5, §7.1)."""
        doctors = {0: [doctor_json(estate, 0), doctor_json(estate, 1)], 1: [doctor_json(estate, 1)]}

        for index, facility_id in enumerate(estate.facility_ids):
            url = f"{API}/facilities/{facility_id}"
            plain = await api.http.get(url, headers=estate.headers)
            extended = await api.http.get(f"{url}?with=facility.doctors", headers=estate.headers)

            assert success(plain) == facility_json(estate, index)
            assert success(extended) == {
                **facility_json(estate, index),
                "doctors": {"_items": doctors[index]},
            }

    async def test_with_spellings(self, api: Api, estate: TestEstate) -> None:
        """`with` is comma-separated, repeated or `with[]=`; unknown values are ignored (§5)."""
        url = f"{API}/facilities/{estate.facility_ids[0]}"
        expected = [str(estate.doctor_ids[0]), str(estate.doctor_ids[1])]

        for query in WITH_DOCTORS_SPELLINGS:
            response = await api.http.get(f"{url}?{query}", headers=estate.headers)

            assert [d["id"] for d in success(response)["doctors"]["_items"]] == expected, query
        for query in WITHOUT_DOCTORS:
            response = await api.http.get(f"{url}?{query}", headers=estate.headers)

            assert success(response) == facility_json(estate, 0), query


class TestFacilityErrors:
    async def test_unknown_or_malformed_id(self, api: Api, estate: TestEstate) -> None:
        """An id naming no facility, numeric or not, is 404 Object not found (§4)."""
        for facility_id in MALFORMED_IDS:
            for query in ("", "?with=facility.doctors"):
                response = await api.http.get(
                    f"{API}/facilities/{facility_id}{query}", headers=estate.headers
                )

                assert failure(response, 404) == NOT_FOUND, facility_id

    async def test_outside_the_estate_or_marketplace(self, api: Api, estate: TestEstate) -> None:
        """Another client's facility is 403; another locale's does not exist here (§4, §1)."""
        other = await api.estate()
        spanish = await api.estate(locale="es")

        foreign = await api.http.get(
            f"{API}/facilities/{other.facility_ids[0]}?with=facility.doctors",
            headers=estate.headers,
        )
        elsewhere = await api.http.get(
            f"{API}/facilities/{spanish.facility_ids[0]}", headers=estate.headers
        )

        assert failure(foreign, 403) == FACILITY_FORBIDDEN
        assert failure(elsewhere, 404) == NOT_FOUND
