"""Patient presence and opinion requests over HTTP (behaviour.md §4, §7.2 #38-40, §8.6
"Opinion request", §10)."""

from __future__ import annotations

from typing import Any

import httpx

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import (
    MON,
    TUE,
    Cal,
    at,
    book_body,
    error,
    events,
    no_content,
    patient,
    period,
)
from tests.api.support import failure, success
from tests.conftest import Api

PHONE = "+48500100200"


async def open_monday(cal: Cal, address: int = 0) -> None:
    """Monday (today, now 09:00) 09:00-12:00 and Tuesday 10:00-11:00, 30-minute service."""
    await cal.publish(
        period(at(MON, "09:00"), at(MON, "12:00"), (cal.sid(address), 30)),
        period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(address), 30)),
        address=address,
    )


async def presence_of(cal: Cal, booking_id: str, address: int = 0) -> Any:
    rows = success(await cal.bookings(address, "&with=booking.presence"))["_items"]
    return next(r["presence"] for r in rows if r["id"] == booking_id)


class TestPresence:
    def _url(self, cal: Cal, booking_id: str, address: int = 0) -> str:
        return f"{cal.path(address)}/bookings/{booking_id}/presence/patient"

    async def test_present_then_absent(self, api: Api, estate: TestEstate) -> None:
        """POST marks present, DELETE absent, both 204 with no body; `booking.presence` reads
        `present`/`absent` (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        booked = await cal.booked(at(MON, "10:00"))
        api.clock.advance(hours=1)

        present = await api.http.post(self._url(cal, booked["id"]), headers=cal.h)
        after_present = await presence_of(cal, booked["id"])
        absent = await api.http.delete(self._url(cal, booked["id"]), headers=cal.h)

        no_content(present, 204)
        assert after_present == "present"
        no_content(absent, 204)
        assert await presence_of(cal, booked["id"]) == "absent"

    async def test_unmarked_is_null(self, api: Api, estate: TestEstate) -> None:
        """Before any mark, `presence` is null (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        booked = await cal.booked(at(MON, "10:00"))

        assert await presence_of(cal, booked["id"]) is None

    async def test_visit_at_its_start_can_be_marked(self, api: Api, estate: TestEstate) -> None:
        """At the visit's start time it is no longer in the future: 204 (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        booked = await cal.booked(at(MON, "10:00"))
        api.clock.advance(hours=1)

        response = await api.http.post(self._url(cal, booked["id"]), headers=cal.h)

        no_content(response, 204)

    async def test_future_visit_is_400(self, api: Api, estate: TestEstate) -> None:
        """A visit that has not started: 400 `Visit is in the future`, for POST and DELETE,
        and presence stays null (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        booked = await cal.booked(at(MON, "10:00"))
        api.clock.advance(minutes=59)
        before = await cal.state()

        marked = await api.http.post(self._url(cal, booked["id"]), headers=cal.h)
        unmarked = await api.http.delete(self._url(cal, booked["id"]), headers=cal.h)

        assert failure(marked, 400) == error("Visit is in the future")
        assert failure(unmarked, 400) == error("Visit is in the future")
        assert await cal.state() == before

    async def test_canceled_visit_is_409(self, api: Api, estate: TestEstate) -> None:
        """A canceled (or moved away) visit: 409 `Visit is marked as canceled` (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        canceled = await cal.booked(at(MON, "10:00"))
        moved = await cal.booked(at(MON, "10:30"))
        url = f"{cal.path()}/bookings"
        no_content(await api.http.delete(f"{url}/{canceled['id']}", headers=cal.h), 204)
        success(
            await api.http.post(
                f"{url}/{moved['id']}/move",
                json={"address_service_id": cal.sid(), "start": at(TUE, "10:00")},
                headers=cal.h,
            ),
            201,
        )
        api.clock.advance(hours=2)
        before = await cal.state()

        for booking_id in (canceled["id"], moved["id"]):
            for method in ("POST", "DELETE"):
                response = await api.http.request(method, self._url(cal, booking_id), headers=cal.h)

                assert failure(response, 409) == error("Visit is marked as canceled")
        assert await cal.state() == before

    async def test_visit_of_another_doctor_is_404(self, api: Api, estate: TestEstate) -> None:
        """Doctor 1's visit through doctor 0's path: 404 `This visit does not belong to this
        doctor` (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal, 2)
        other = await cal.booked(at(MON, "10:00"), book_body(cal.sid(2)), address=2)
        api.clock.advance(hours=1)
        before = await cal.state(0, 2)

        for method in ("POST", "DELETE"):
            response = await api.http.request(method, self._url(cal, other["id"]), headers=cal.h)

            assert failure(response, 404) == error("This visit does not belong to this doctor")
        assert await cal.state(0, 2) == before

    async def test_visit_at_another_address_is_403(self, api: Api, estate: TestEstate) -> None:
        """The same doctor's visit at another address: 403 `This booking does not belong to
        this address` (§4)."""
        cal = Cal(api, estate)
        await open_monday(cal, 1)
        online = await cal.booked(at(MON, "10:00"), book_body(cal.sid(1)), address=1)
        api.clock.advance(hours=1)
        before = await cal.state(0, 1)

        response = await api.http.post(self._url(cal, online["id"]), headers=cal.h)

        assert failure(response, 403) == error("This booking does not belong to this address")
        assert await cal.state(0, 1) == before

    async def test_unknown_visit_is_404(self, api: Api, estate: TestEstate) -> None:
        """An unknown booking id: 404 `Object not found` (§4)."""
        cal = Cal(api, estate)

        for booking_id in ("999999999", "abc"):
            response = await api.http.post(self._url(cal, booking_id), headers=cal.h)

            assert failure(response, 404) == error("Object not found")

    async def test_presence_events(self, api: Api, estate: TestEstate) -> None:
        """Each mark records one presence-marked event; refused marks record none (§10)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        booked = await cal.booked(at(MON, "10:00"))
        await api.http.post(self._url(cal, booked["id"]), headers=cal.h)
        api.clock.advance(hours=1)

        await api.http.post(self._url(cal, booked["id"]), headers=cal.h)
        await api.http.delete(self._url(cal, booked["id"]), headers=cal.h)

        a0, me = estate.address_ids[0], estate.client_pk
        assert await events(api, estate) == [
            ("slot-booked", a0, me),
            ("presence-marked", a0, me),
            ("presence-marked", a0, me),
        ]


class TestOpinionRequest:
    def _url(self, estate: TestEstate, doctor: int = 0, facility: int = 0) -> str:
        f, d = estate.facility_ids[facility], estate.doctor_ids[doctor]
        return f"/api/v3/integration/facilities/{f}/doctors/{d}/opinion-request"

    async def _ask(
        self, cal: Cal, phone: Any, doctor: int = 0, facility: int = 0
    ) -> httpx.Response:
        body = None if phone is None else {"phone": phone}
        return await cal.http.put(self._url(cal.estate, doctor, facility), json=body, headers=cal.h)

    async def _past_visit(self, api: Api, cal: Cal, phone: str = PHONE) -> dict[str, Any]:
        await open_monday(cal)
        booked: dict[str, Any] = await cal.booked(
            at(MON, "10:00"), book_body(cal.sid(), patient=patient(phone=phone))
        )
        api.clock.advance(hours=2)
        return booked

    async def test_requested_is_200(self, api: Api, estate: TestEstate) -> None:
        """A phone with a past visit at this doctor: 200; spaces and dashes in the number are
        ignored (§8.6 "Opinion request")."""
        cal = Cal(api, estate)
        await self._past_visit(api, cal)

        response = await self._ask(cal, "+48 500-100-200")

        no_content(response, 200)

    async def test_leading_plus_is_optional(self, api: Api, estate: TestEstate) -> None:
        """A visit booked with the number 48123123123 (the OAS example) is found with
        "+48 123 123 123", and the other way round (§7.3 Patient, §8.6)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        await cal.booked(at(MON, "10:00"), book_body(cal.sid(), patient=patient(phone=48123123123)))
        await cal.booked(
            at(MON, "10:30"), book_body(cal.sid(), patient=patient(phone="+48601601601"))
        )
        api.clock.advance(hours=2)

        with_plus = await self._ask(cal, "+48 123 123 123")
        without_plus = await self._ask(cal, "48601601601")

        no_content(with_plus, 200)
        no_content(without_plus, 200)

    async def test_second_request_is_409(self, api: Api, estate: TestEstate) -> None:
        """Asking again for the same visit: 409 `Opinion already exists` (§4)."""
        cal = Cal(api, estate)
        await self._past_visit(api, cal)
        no_content(await self._ask(cal, PHONE), 200)

        response = await self._ask(cal, PHONE)

        assert failure(response, 409) == error("Opinion already exists")

    async def test_invalid_phone_is_400(self, api: Api, estate: TestEstate) -> None:
        """An unusable, missing or empty phone, or no body: 400 `Phone number is invalid.`;
        nothing is recorded (§4 OpinionRequestValidationError)."""
        cal = Cal(api, estate)
        await self._past_visit(api, cal)

        for phone in ("abc", "123", "", None):
            response = await self._ask(cal, phone)

            assert failure(response, 400) == error("Phone number is invalid."), phone
        empty_object = await cal.http.put(self._url(estate), json={}, headers=cal.h)
        assert failure(empty_object, 400) == error("Phone number is invalid.")
        no_content(await self._ask(cal, PHONE), 200)

    async def test_no_visit_is_403(self, api: Api, estate: TestEstate) -> None:
        """No visit for that phone at this doctor (none, only canceled, or another doctor's):
        403 `Visit not found`, and nothing is recorded (§4 VisitNotFound)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        await cal.booked(at(MON, "10:00"), book_body(cal.sid(), patient=patient(phone=PHONE)))
        canceled_phone = "+48600600600"
        canceled = await cal.booked(
            at(MON, "10:30"), book_body(cal.sid(), patient=patient(phone=canceled_phone))
        )
        no_content(
            await api.http.delete(f"{cal.path()}/bookings/{canceled['id']}", headers=cal.h), 204
        )
        api.clock.advance(hours=3)

        unknown = await self._ask(cal, "+48999999999")
        only_canceled = await self._ask(cal, canceled_phone)
        other_doctor = await self._ask(cal, PHONE, doctor=1)

        for response in (unknown, only_canceled, other_doctor):
            assert failure(response, 403) == error("Visit not found")
        no_content(await self._ask(cal, PHONE), 200)

    async def test_only_future_visits_is_422(self, api: Api, estate: TestEstate) -> None:
        """Only future visits for that phone: 422 `Cannot send request`; once the visit is
        over the request goes through (§4 CannotSendRequestForOpinion)."""
        cal = Cal(api, estate)
        await open_monday(cal)
        await cal.booked(at(TUE, "10:00"))

        early = await self._ask(cal, PHONE)
        api.clock.advance(days=1, hours=2)
        await api.fresh_token(estate)
        later = await self._ask(cal, PHONE)

        assert failure(early, 422) == error("Cannot send request")
        no_content(later, 200)

    async def test_doctor_not_in_facility_is_403(self, api: Api, estate: TestEstate) -> None:
        """Doctor 0 with facility 1, where they do not work: 403 `Doctor is not related with
        facility` (§4 DoctorDoesNotBelongToFacility)."""
        cal = Cal(api, estate)
        await self._past_visit(api, cal)

        response = await self._ask(cal, PHONE, doctor=0, facility=1)

        assert failure(response, 403) == error("Doctor is not related with facility")
        no_content(await self._ask(cal, PHONE), 200)

    async def test_visits_are_matched_per_facility(self, api: Api, estate: TestEstate) -> None:
        """Doctor 1 works at both facilities; a visit at facility 0 is not found through
        facility 1 (§8.6)."""
        cal = Cal(api, estate)
        await open_monday(cal, 2)
        await cal.booked(at(MON, "10:00"), book_body(cal.sid(2)), address=2)
        api.clock.advance(hours=2)

        elsewhere = await self._ask(cal, PHONE, doctor=1, facility=1)
        here = await self._ask(cal, PHONE, doctor=1, facility=0)

        assert failure(elsewhere, 403) == error("Visit not found")
        no_content(here, 200)

    async def test_records_no_events(self, api: Api, estate: TestEstate) -> None:
        """An opinion request changes no calendar data and records no event (§8.6)."""
        cal = Cal(api, estate)
        await self._past_visit(api, cal)
        before = await cal.state()

        no_content(await self._ask(cal, PHONE), 200)

        assert await cal.state() == before
