"""Doctors over HTTP: getDoctors and getDoctor (behaviour.md §4, §5, §7.1, §7.2 #3-4)."""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.support import failure, forbidden, success
from tests.conftest import Api

API = "/api/v3/integration"
NOT_FOUND = {"errors": [], "message": "Object not found"}
LIST_EXTENSIONS = (
    "with=doctor.profile_url,doctor.specializations,doctor.license_numbers",
    "with=doctor.profile_url&with=doctor.specializations&with=doctor.license_numbers",
    "with[]=doctor.profile_url&with[]=doctor.specializations,doctor.license_numbers",
)
ADDRESS_EXTENSIONS = (
    "with=doctor.addresses,address.booking_extra_fields,address.online_only,"
    "address.visit_payment,address.commercial_type,address.insurance_support"
)


def doctors_url(estate: TestEstate, facility: int = 0) -> str:
    return f"{API}/facilities/{estate.facility_ids[facility]}/doctors"


def doctor_url(estate: TestEstate, facility: int, doctor: int) -> str:
    return f"{doctors_url(estate, facility)}/{estate.doctor_ids[doctor]}"


def basic(estate: TestEstate, index: int) -> dict[str, Any]:
    n = estate.extra["n"]
    return {"id": str(estate.doctor_ids[index]), "name": f"Doc{index}", "surname": f"Test{n}"}


def profile_url(estate: TestEstate, index: int) -> str:
    return f"https://www.znanylekarz.pl/doc{index}-test{estate.extra['n']}"


def address_core(estate: TestEstate, index: int) -> dict[str, Any]:
    """The ungated keys of an address (§7.1 Address); address 1 is the online-only one."""
    n = estate.extra["n"]
    if index == 1:
        place: dict[str, Any] = {"name": "Online", "city_name": None, "post_code": None}
        return {"id": str(estate.address_ids[1]), **place, "street": None}
    return {
        "id": str(estate.address_ids[index]),
        "name": f"Clinic {n}",
        "city_name": "Warszawa",
        "post_code": "00-001",
        "street": "ul. Prosta 1",
    }


class TestListDoctors:
    async def test_commercial_doctors_of_the_facility(self, api: Api, estate: TestEstate) -> None:
        """getDoctors lists commercial doctors connected to the facility only (§7.1, §7.2 #3)."""
        first = await api.http.get(doctors_url(estate, 0), headers=estate.headers)
        second = await api.http.get(doctors_url(estate, 1), headers=estate.headers)

        assert success(first) == {"_items": [basic(estate, 0), basic(estate, 1)]}
        assert success(second) == {"_items": [basic(estate, 1)]}

    async def test_each_extension(self, api: Api, estate: TestEstate) -> None:
        """profile_url, specializations and license_numbers each add exactly their key (§5)."""
        n = estate.extra["n"]
        url = doctors_url(estate)

        urls = await api.http.get(f"{url}?with=doctor.profile_url", headers=estate.headers)
        specs = await api.http.get(f"{url}?with=doctor.specializations", headers=estate.headers)
        licenses = await api.http.get(f"{url}?with=doctor.license_numbers", headers=estate.headers)

        assert success(urls) == {
            "_items": [{**basic(estate, i), "profile_url": profile_url(estate, i)} for i in (0, 1)]
        }
        for doctor in success(specs)["_items"]:
            assert set(doctor) == {"id", "name", "surname", "specializations"}
            (item,) = doctor["specializations"]["_items"]
            assert item == {"id": item["id"], "name": f"Specialization {n}"}
            assert item["id"].isdigit()
        for index, doctor in enumerate(success(licenses)["_items"]):
            assert set(doctor) == {"id", "name", "surname", "license_numbers"}
            (item,) = doctor["license_numbers"]["_items"]
            assert item == {"id": item["id"], "license_number": f"L{n}{index}"}
            assert item["id"].isdigit()

    async def test_with_spellings_and_foreign_values(self, api: Api, estate: TestEstate) -> None:
        """Extensions combine in any spelling; getDoctor-only values are ignored here (§5)."""
        keys = {"id", "name", "surname", "profile_url", "specializations", "license_numbers"}

        for query in LIST_EXTENSIONS:
            response = await api.http.get(f"{doctors_url(estate)}?{query}", headers=estate.headers)

            assert [set(d) for d in success(response)["_items"]] == [keys, keys], query
        ignored = await api.http.get(
            f"{doctors_url(estate)}?with=doctor.addresses,address.online_only,unknown",
            headers=estate.headers,
        )
        assert success(ignored) == {"_items": [basic(estate, 0), basic(estate, 1)]}


class TestGetDoctor:
    async def test_plain_and_extended(self, api: Api, estate: TestEstate) -> None:
        """getDoctor always has specializations; profile_url/license_numbers by `with` (§5)."""
        n = estate.extra["n"]
        url = doctor_url(estate, 0, 0)

        plain = success(await api.http.get(url, headers=estate.headers))
        extended = success(
            await api.http.get(
                f"{url}?with=doctor.profile_url,doctor.license_numbers", headers=estate.headers
            )
        )

        (spec,) = plain["specializations"]["_items"]
        assert plain == {**basic(estate, 0), "specializations": {"_items": [spec]}}
        assert spec["name"] == f"Specialization {n}"
        (license,) = extended["license_numbers"]["_items"]
        assert extended == {
            **plain,
            "profile_url": profile_url(estate, 0),
            "license_numbers": {"_items": [{"id": license["id"], "license_number": f"L{n}0"}]},
        }

    async def test_embedded_addresses(self, api: Api, estate: TestEstate) -> None:
        """`doctor.addresses` embeds addresses; getDoctor's four `address.*` add fields (§5)."""
        url = doctor_url(estate, 0, 0)
        extras = {"birth_date": False, "gender": False, "nin": False}

        bare = await api.http.get(f"{url}?with=doctor.addresses", headers=estate.headers)
        full = await api.http.get(f"{url}?{ADDRESS_EXTENSIONS}", headers=estate.headers)
        alone = await api.http.get(f"{url}?with=address.online_only", headers=estate.headers)

        assert success(bare)["addresses"] == {
            "_items": [address_core(estate, 0), address_core(estate, 1)]
        }
        assert success(full)["addresses"] == {
            "_items": [
                {
                    **address_core(estate, i),
                    "booking_extra_fields": extras,
                    "is_online_only": i == 1,
                    "visit_payment": i == 1,
                    "commercial_type": "premium",
                }
                for i in (0, 1)
            ]
        }
        assert "addresses" not in success(alone)

    async def test_addresses_follow_the_path(self, api: Api, estate: TestEstate) -> None:
        """Doctor 1's embedded addresses are those of the path's facility (§7.1 Address)."""
        for facility, address in ((0, 2), (1, 3)):
            response = await api.http.get(
                f"{doctor_url(estate, facility, 1)}?with[]=doctor.addresses",
                headers=estate.headers,
            )

            expected = {"_items": [address_core(estate, address)]}
            assert success(response)["addresses"] == expected, facility

    async def test_non_commercial_doctor_by_path(self, api: Api, estate: TestEstate) -> None:
        """Unlisted non-commercial doctors still resolve by path, for the 422s (§7.1, §8.1)."""
        response = await api.http.get(doctor_url(estate, 0, 2), headers=estate.headers)

        assert success(response)["id"] == str(estate.doctor_ids[2])


class TestDoctorErrors:
    async def test_not_found(self, api: Api, estate: TestEstate) -> None:
        """Unknown or malformed facility/doctor ids are 404, also under a foreign facility (§4)."""
        other = await api.estate()
        urls = [f"{doctors_url(estate)}/{bad}" for bad in ("999999999", "abc", "0", "-3", "2.0")]
        urls += [
            f"{doctors_url(estate)}/{'9' * 20}",
            f"{API}/facilities/999999999/doctors",
            f"{API}/facilities/x/doctors/{estate.doctor_ids[0]}",
            f"{doctors_url(other)}/999999999",
        ]

        for url in urls:
            response = await api.http.get(url, headers=estate.headers)

            assert failure(response, 404) == NOT_FOUND, url

    async def test_forbidden(self, api: Api, estate: TestEstate) -> None:
        """403 facility, then doctor, then "Doctor is not related with facility" (§4)."""
        other = await api.estate()
        cases = [
            (doctors_url(other), "You are not authorized to see this facility"),
            (doctor_url(other, 0, 0), "You are not authorized to see this facility"),
            (
                f"{doctors_url(estate)}/{other.doctor_ids[0]}",
                "You are not authorized to see this doctor",
            ),
            (doctor_url(estate, 1, 0), "Doctor is not related with facility"),
        ]

        for url, message in cases:
            response = await api.http.get(url, headers=estate.headers)

            assert failure(response, 403) == forbidden(message), url
