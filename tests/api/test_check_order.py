"""A foreign path is refused before its inputs are read, and opinion requests match phones by
their digits (docs/decisions.md "Access and paths", "Bookings")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, Cal, at, book_body, patient, period
from tests.conftest import Api

FOREIGN = {"errors": [], "message": "You are not authorized to see this facility"}


class TestForeignPathBeforeBadInput:
    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("GET", "/slots?start=garbage&end=nope", None),
            ("GET", "/slots", None),
            ("GET", "/bookings?start=garbage", None),
            ("GET", "/bookings?start=2026-01-05T00:00:00Z&end=2026-01-06T00:00:00Z&page=x", None),
            ("GET", "/breaks", None),
            ("POST", "/breaks", {"since": "garbage"}),
            ("PUT", "/slots", {"slots": [{"start": "garbage", "end": "nope"}]}),
            ("POST", "/slots/garbage/book", book_body("1", duration=0)),
        ],
    )
    async def test_other_clients_address_is_403_whatever_the_input(
        self, api: Api, estate: TestEstate, method: str, suffix: str, body: object
    ) -> None:
        """Bad dates on another client's address: 403, never a 400 that reads its input."""
        other = await api.estate()

        response = await api.http.request(
            method, other.address_path(0) + suffix, json=body, headers=estate.headers
        )

        assert response.status_code == 403
        assert response.json() == FOREIGN


class TestOpinionPhones:
    async def test_spelling_of_the_stored_number_does_not_matter(
        self, api: Api, estate: TestEstate
    ) -> None:
        """A visit booked as "+48 500 100 200" is found by 48500100200 (and vice versa)."""
        cal = Cal(api, estate)
        await cal.enable()
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
        booked = await cal.book(
            at(TUE, "10:00"), book_body(cal.sid(), patient=patient(phone="+48 500 100 200"))
        )
        assert booked.status_code == 200, booked.text
        api.clock.advance(timedelta(days=1, hours=2))
        headers = await api.fresh_token(estate)
        url = (
            f"/api/v3/integration/facilities/{estate.facility_ids[0]}"
            f"/doctors/{estate.doctor_ids[0]}/opinion-request"
        )

        first = await api.http.put(url, json={"phone": "48500100200"}, headers=headers)
        second = await api.http.put(url, json={"phone": "+48-500-100-200"}, headers=headers)

        assert first.status_code == 200
        assert second.status_code == 409
        assert second.json()["message"] == "Opinion already exists"


class TestHugeNumbers:
    async def test_page_beyond_any_offset_is_400(self, api: Api, estate: TestEstate) -> None:
        """A page number past 10^9 is refused rather than overflowing SQL offsets."""
        path = estate.address_path(0)

        response = await api.http.get(
            f"{path}/bookings?start=2026-01-05T00:00:00Z&end=2026-01-06T00:00:00Z"
            "&page=99999999999999999999",
            headers=estate.headers,
        )

        assert response.status_code == 400
        assert response.json() == {
            "errors": {"page": ["This value should be 1000000000 or less."]},
            "message": "Invalid arguments",
        }

    async def test_huge_insurance_ids_in_replace_slots(self, api: Api, estate: TestEstate) -> None:
        """Provider ids of any size are read and refused with the spec's message."""
        cal = Cal(api, estate)
        big = 10**30

        response = await cal.put(
            [
                period(
                    at(TUE, "10:00"),
                    at(TUE, "12:00"),
                    (cal.sid(), 30),
                    insurance_accepted="with-insurance-only",
                    insurance_providers=[big],
                )
            ]
        )

        assert response.status_code == 400
        assert response.json()["message"] == (
            f"Insurance provider(s) with id ({big}) not found for address id "
            f"({estate.address_ids[0]})'"
        )


class TestUnknownBookingFirst:
    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("GET", "", None),
            ("DELETE", "", None),
            ("POST", "/move", {"address_service_id": "1", "start": "2026-01-06T10:00:00+01:00"}),
            ("PUT", "/confirm", {"confirmed_by": "admin"}),
            ("POST", "/presence/patient", None),
            ("DELETE", "/presence/patient", None),
        ],
    )
    async def test_unknown_booking_is_404_even_on_a_foreign_path(
        self, api: Api, estate: TestEstate, method: str, suffix: str, body: object
    ) -> None:
        """An id that names no booking is 404 before the path's 403s (decisions.md "Access")."""
        other = await api.estate()

        response = await api.http.request(
            method,
            f"{other.address_path(0)}/bookings/999999999{suffix}",
            json=body,
            headers=estate.headers,
        )

        assert response.status_code == 404
        assert response.json() == {"errors": [], "message": "Object not found"}
