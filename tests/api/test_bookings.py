"""Bookings over HTTP: bookSlot, getBookings, getBooking, cancel, move, confirm and their
domain events (behaviour.md §3 Pagination, §4, §5, §7.2 #31-37, §7.3, §8.5-§8.6;
decisions.md "Slots and calendars", "Bookings", "Wire format")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import (
    ADDRESS_SERVICE_KEYS,
    ALL_BOOKING_WITH,
    BOOKING_KEYS,
    MON,
    PATIENT_KEYS,
    TUE,
    WED,
    WINDOW,
    Cal,
    at,
    book_body,
    booking_row,
    error,
    events,
    invalid,
    no_content,
    patient,
    period,
)
from tests.api.support import failure, success
from tests.conftest import Api

NOT_COMMERCIAL = "Cannot activate calendar on address {}, profile/address is not commercial"
NOT_FOUND = error("Object not found")
NOT_HERE = error("This booking does not belong to this address")
UNABLE_TO_BOOK = error("Unable to book a visit for this address")
SERVICE_DOES_NOT_EXIST = error("Service does not exist")
ALREADY_MOVED = error("The visit has already been canceled or moved")


def slot_not_found(start: str) -> dict[str, Any]:
    return error(f"Unable to perform booking. Requested target slot ({start}) not found")


def not_supported(start: str, service: str) -> dict[str, Any]:
    return error(f"Unable to perform booking. Slot ({start}) does not support service {service}")


async def open_tuesday(cal: Cal, address: int = 0) -> None:
    """Tuesday 10:00-13:00 with the address's 30-minute service only."""
    await cal.publish(
        period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(address), 30)), address=address
    )


async def update_booking(api: Api, booking_id: str, **changes: Any) -> None:
    """Arrange a state the API cannot create itself (payments, deletion by Docplanner)."""
    async with api.container.services.uow(write=True) as uow:
        found = await uow.bookings.get(int(booking_id))
        assert found is not None
        await uow.bookings.save(replace(found, **changes))
        await uow.commit()


async def read_only(api: Api, estate: TestEstate) -> None:
    await api.container.services.clients.assign_facility(
        estate.client_id, estate.facility_ids[0], can_edit=False
    )


class TestBookSlot:
    async def test_booked_body(self, api: Api, estate: TestEstate) -> None:
        """200 with exactly the fields of the bookSlot example (no `insurance`); `booked_by`
        integration, times in Warsaw (§7.3 "Which booking fields appear by default", §8.5)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)

        response = await cal.book(at(TUE, "10:00"), book_body(cal.sid(), comment="First"))

        body = success(response)
        assert set(body) == BOOKING_KEYS - {"insurance"}
        assert body == {
            "id": body["id"],
            "status": "booked",
            "start_at": at(TUE, "10:00"),
            "end_at": at(TUE, "10:30"),
            "duration": 30,
            "booked_by": "integration",
            "canceled_by": "",
            "booked_at": at(MON, "09:00"),
            "canceled_at": None,
            "comment": "First",
        }
        assert body["id"].isdigit()

    async def test_duration_decides_what_is_taken(self, api: Api, estate: TestEstate) -> None:
        """A 45-minute booking hides every slot it overlaps (decisions.md "Slots")."""
        cal = Cal(api, estate)
        await open_tuesday(cal)

        body = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(), 45))

        assert body["end_at"] == at(TUE, "10:45")
        assert await cal.starts(TUE) == [
            at(TUE, f"{h}") for h in ("11:00", "11:30", "12:00", "12:30")
        ]

    async def test_the_longest_visit_takes_its_last_slot(
        self, api: Api, estate: TestEstate
    ) -> None:
        """A day-long visit (1,440 minutes, the most a visit may last) still takes the slot
        that starts just before it ends: storage looks back that far for overlapping visits
        (adapters/db/calendar_repositories.py `busy_between`)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "00:00"), at(WED, "00:00"), (cal.sid(), 30)))

        long_visit = await cal.booked(at(TUE, "00:00"), book_body(cal.sid(), 1440))

        assert long_visit["end_at"] == at(WED, "00:00")
        response = await cal.book(at(TUE, "23:30"))
        assert failure(response, 404) == slot_not_found(at(TUE, "23:30"))
        assert await cal.starts(TUE) == []

    async def test_not_commercial_is_422(self, api: Api, estate: TestEstate) -> None:
        """bookSlot on a basic address: 422 not commercial (§7.2 #31)."""
        cal = Cal(api, estate)
        before = await cal.state(4)

        response = await cal.book(at(TUE, "10:00"), book_body(cal.sid(4)), address=4)

        assert failure(response, 422) == error(NOT_COMMERCIAL.format(estate.address_ids[4]))
        assert await cal.state(4) == before

    async def test_no_calendar_is_404(self, api: Api, estate: TestEstate) -> None:
        """An address without a calendar: 404 `Unable to book a visit for this address`."""
        cal = Cal(api, estate)
        before = await cal.state()

        response = await cal.book(at(TUE, "10:00"))

        assert failure(response, 404) == UNABLE_TO_BOOK
        assert await cal.state() == before

    async def test_service_does_not_exist(self, api: Api, estate: TestEstate) -> None:
        """Unknown, non-numeric, deleted, or another address's service: 404 `Service does
        not exist` (§4 ServiceDoesNotExist)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30), (cal.sid(0, 1), 20))
        )
        no_content(
            await api.http.delete(f"{cal.path()}/services/{cal.sid(0, 1)}", headers=cal.h), 204
        )
        before = await cal.state()

        for service in ("999999999", "abc", cal.sid(0, 1), cal.sid(1), cal.sid(2)):
            response = await cal.book(at(TUE, "10:00"), book_body(service))

            assert failure(response, 404) == SERVICE_DOES_NOT_EXIST, service
        assert await cal.state() == before

    async def test_target_slot_not_found(self, api: Api, estate: TestEstate) -> None:
        """No slot, a past slot, a taken slot, an off-grid time, a slot on a break or an
        unreadable start: 404 `Unable to perform booking. Requested target slot (…) not
        found`, the start in Warsaw time (§4, §8.5)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(MON, "08:00"), at(MON, "12:00"), (cal.sid(), 30)),
            period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(), 30)),
        )
        await cal.booked(at(TUE, "10:00"))
        assert (
            await cal.add_break({"since": at(TUE, "12:00"), "till": at(TUE, "13:00")})
        ).status_code == 201
        before = await cal.state()

        for start, shown in (
            (at(TUE, "14:00"), at(TUE, "14:00")),
            (at(MON, "08:30"), at(MON, "08:30")),
            (at(TUE, "10:00"), at(TUE, "10:00")),
            (at(TUE, "10:15"), at(TUE, "10:15")),
            (at(TUE, "12:30"), at(TUE, "12:30")),
            ("2026-01-06T13:00:00Z", at(TUE, "14:00")),
            ("garbage", "garbage"),
        ):
            response = await cal.book(start)

            assert failure(response, 404) == slot_not_found(shown), start
        assert await cal.state() == before

    async def test_service_not_supported(self, api: Api, estate: TestEstate) -> None:
        """The slot exists but does not offer the service, or not for that long: 404
        `Unable to perform booking. Slot (…) does not support service N` (§4, §8.5)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        before = await cal.state()
        other = cal.sid(0, 1)

        not_offered = await cal.book(at(TUE, "10:00"), book_body(other, 20))
        too_long = await cal.book(at(TUE, "12:00"), book_body(cal.sid(), 90))

        assert failure(not_offered, 404) == not_supported(at(TUE, "10:00"), other)
        assert failure(too_long, 404) == not_supported(at(TUE, "12:00"), cal.sid())
        assert await cal.state() == before

    async def test_invalid_bodies_are_400(self, api: Api, estate: TestEstate) -> None:
        """Missing patient, name, phone, service or duration, a bad gender, a zero or string
        duration: 400 `Invalid arguments` keyed by field (wire.md §3.3, §4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        before = await cal.state()
        sid = cal.sid()
        required = ["Field required"]
        no_name = patient()
        del no_name["name"]
        no_phone = patient()
        del no_phone["phone"]
        cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"address_service_id": sid, "duration": 30}, {"patient": required}),
            (book_body(sid, patient=no_name), {"patient.name": required}),
            (book_body(sid, patient=no_phone), {"patient.phone": required}),
            (
                book_body(sid, patient=patient(name="")),
                {"patient.name": ["String should have at least 1 character"]},
            ),
            ({"address_service_id": sid, "patient": patient()}, {"duration": required}),
            ({"duration": 30, "patient": patient()}, {"address_service_id": required}),
            (
                book_body(sid, patient=patient(gender="x")),
                {"patient.gender": ["Input should be 'm' or 'f'"]},
            ),
            (book_body(sid, 0), {"duration": ["This value should be between 1 and 1440."]}),
            (
                {**book_body(sid), "duration": "30"},
                {"duration": ["Input should be a valid integer"]},
            ),
            (
                book_body(sid, patient=patient(birth_date="01.01.1985")),
                {"patient.birth_date": ["This value is not a valid date."]},
            ),
        ]

        for body, errors in cases:
            response = await cal.book(at(TUE, "10:00"), body)

            assert failure(response, 400) == invalid(errors), body
        assert await cal.state() == before

    async def test_label_null_string_is_stored_as_null(self, api: Api, estate: TestEstate) -> None:
        """The PHP SDK's default `"label": "null"` means no label; a real label is kept
        (wire.md §1.6, decisions.md "Wire format")."""
        cal = Cal(api, estate)
        await open_tuesday(cal)

        sdk = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(), label="null"))
        real = await cal.booked(at(TUE, "10:30"), book_body(cal.sid(), label="VIP"))
        none = await cal.booked(at(TUE, "11:00"), book_body(cal.sid()))

        assert (await booking_row(api, sdk["id"]))["label"] is None
        assert (await booking_row(api, real["id"]))["label"] == "VIP"
        assert (await booking_row(api, none["id"]))["label"] is None

    async def test_birth_date_as_date_or_date_time(self, api: Api, estate: TestEstate) -> None:
        """`birth_date` as `YYYY-MM-DD` or as the SDK's full date-time (the Warsaw day) reads
        back as a date; numeric phone and nin become strings (wire.md §1.6, §3.3)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        plain = patient(birth_date="1985-01-01", phone=48123123123, nin=85010112345)
        sdk = patient(birth_date="1985-01-01T00:00:00+01:00", gender="f")

        first = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(), patient=plain))
        second = await cal.booked(at(TUE, "10:30"), book_body(cal.sid(), patient=sdk))

        one = success(await cal.booking(first["id"]))["patient"]
        two = success(await cal.booking(second["id"]))["patient"]
        assert (one["birth_date"], one["phone"], one["nin"]) == (
            "1985-01-01",
            "48123123123",
            "85010112345",
        )
        assert (two["birth_date"], two["gender"]) == ("1985-01-01", "f")

    async def test_insurance(self, api: Api, estate: TestEstate) -> None:
        """`insurance_provider_id`/`insurance_plan_id` accepted at the address show up as
        `insurance`; a provider the address does not accept is 400 (§7.3 BookSlotRequest)."""
        cal = Cal(api, estate)
        provider = estate.provider_ids[0]
        plan = estate.plan_ids[provider][0]
        linked = await api.http.post(
            f"{cal.path()}/insurance-providers",
            json={
                "insurance_provider_id": provider,
                "insurance_plans": [{"insurance_plan_id": plan}],
            },
            headers=cal.h,
        )
        assert linked.status_code == 204
        await open_tuesday(cal)
        before = await cal.state()

        refused = await cal.book(
            at(TUE, "10:30"), book_body(cal.sid(), insurance_provider_id=estate.provider_ids[1])
        )
        after_refusal = await cal.state()
        booked = await cal.booked(
            at(TUE, "10:00"),
            book_body(cal.sid(), insurance_provider_id=provider, insurance_plan_id=plan),
        )
        body = success(await cal.booking(booked["id"]))

        assert failure(refused, 400) == invalid(
            {"insurance_provider_id": ["This insurance provider is not accepted at this address."]}
        )
        assert after_refusal == before
        assert body["insurance"] == {
            "id": str(provider),
            "name": body["insurance"]["name"],
            "plan": "Basic",
            "plan_id": str(plan),
        }
        assert body["insurance"]["name"].startswith("Insurer A")


class TestGetBookings:
    async def test_start_and_end_required(self, api: Api, estate: TestEstate) -> None:
        """`start` and `end` are required: 400 keyed by the missing one (§7.2 #33)."""
        cal = Cal(api, estate)
        url = f"{cal.path()}/bookings"
        blank = ["This value should not be blank."]

        no_start = await api.http.get(f"{url}?end=2026-01-07T00%3A00%3A00Z", headers=cal.h)
        no_end = await api.http.get(f"{url}?start=2026-01-06T00%3A00%3A00Z", headers=cal.h)
        unreadable = await api.http.get(
            f"{url}?start=today&end=2026-01-07T00%3A00%3A00Z", headers=cal.h
        )

        assert failure(no_start, 400) == invalid({"start": blank})
        assert failure(no_end, 400) == invalid({"end": blank})
        assert failure(unreadable, 400) == invalid(
            {"start": ["This value is not a valid datetime."]}
        )

    async def test_default_fields_and_window(self, api: Api, estate: TestEstate) -> None:
        """Without `with` a booking has the default fields only; the window is [start, end)
        on the booking's start; canceled bookings are listed too (§7.3, §8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        first = await cal.booked(at(TUE, "10:00"))
        second = await cal.booked(at(TUE, "11:00"))
        no_content(
            await api.http.delete(f"{cal.path()}/bookings/{second['id']}", headers=cal.h), 204
        )

        everything = success(await cal.bookings())["_items"]
        narrow = success(
            await api.http.get(
                f"{cal.path()}/bookings?start=2026-01-06T10%3A00%3A00%2B01%3A00"
                "&end=2026-01-06T11%3A00%3A00%2B01%3A00",
                headers=cal.h,
            )
        )

        assert [(b["id"], b["status"]) for b in everything] == [
            (first["id"], "booked"),
            (second["id"], "canceled"),
        ]
        assert all(set(b) == BOOKING_KEYS for b in everything)
        assert narrow == {"_items": [{**first, "insurance": None}]}

    async def test_every_with_value(self, api: Api, estate: TestEstate) -> None:
        """`booking.patient`, `booking.address_service`, `booking.presence`,
        `booking.confirmation` and `address_service.public_insurance_flow` each add their
        field, comma-separated, repeated or as `with[]` (§5)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await cal.booked(at(TUE, "10:00"))

        def row(response: Any) -> dict[str, Any]:
            item: dict[str, Any] = success(response)["_items"][0]
            return item

        only_patient = row(await cal.bookings(extra="&with=booking.patient"))
        only_service = row(await cal.bookings(extra="&with=booking.address_service"))
        presence = row(await cal.bookings(extra="&with=booking.presence"))
        confirmation = row(await cal.bookings(extra="&with=booking.confirmation"))
        everything = row(await cal.bookings(extra=f"&with={ALL_BOOKING_WITH}"))
        repeated = row(
            await cal.bookings(
                extra="&with=booking.patient&with[]=booking.address_service&with=unknown.value"
            )
        )

        assert set(only_patient) == BOOKING_KEYS | {"patient"}
        assert set(only_patient["patient"]) == PATIENT_KEYS
        assert set(only_service) == BOOKING_KEYS | {"address_service"}
        assert set(only_service["address_service"]) == ADDRESS_SERVICE_KEYS
        assert only_service["address_service"]["id"] == cal.sid()
        assert (set(presence) - BOOKING_KEYS, presence["presence"]) == ({"presence"}, None)
        assert (set(confirmation) - BOOKING_KEYS, confirmation["confirmed"]) == (
            {"confirmed"},
            False,
        )
        assert set(everything) == BOOKING_KEYS | {
            "patient",
            "address_service",
            "presence",
            "confirmed",
        }
        assert everything["address_service"]["is_public_insurance_flow"] is False
        assert set(repeated) == BOOKING_KEYS | {"patient", "address_service"}

    async def test_no_page_means_no_pagination(self, api: Api, estate: TestEstate) -> None:
        """Without `page` the body is only `_items`, even with `limit` (§3 Pagination)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        for hhmm in ("10:00", "10:30", "11:00"):
            await cal.booked(at(TUE, hhmm))

        plain = success(await cal.bookings())
        limited = success(await cal.bookings(extra="&limit=1"))

        assert set(plain) == {"_items"}
        assert len(plain["_items"]) == 3
        assert limited == plain

    async def test_pages_and_links(self, api: Api, estate: TestEstate) -> None:
        """`page=1&limit=2` over 5 bookings: page, limit, pages, total and relative
        `_links` self/first/last/next (previous from page 2) (decisions.md "Bookings")."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        ids = [
            (await cal.booked(at(TUE, hhmm)))["id"]
            for hhmm in ("10:00", "10:30", "11:00", "11:30", "12:00")
        ]

        first = success(await cal.bookings(extra="&page=1&limit=2"))
        middle = success(await cal.bookings(extra="&page=2&limit=2"))
        last = success(await cal.bookings(extra="&page=3&limit=2"))

        assert [b["id"] for b in first["_items"]] == ids[:2]
        assert [b["id"] for b in middle["_items"]] == ids[2:4]
        assert [b["id"] for b in last["_items"]] == ids[4:]
        assert {k: first[k] for k in ("page", "limit", "pages", "total")} == {
            "page": 1,
            "limit": 2,
            "pages": 3,
            "total": 5,
        }
        assert set(first["_links"]) == {"self", "first", "last", "next"}
        assert set(middle["_links"]) == {"self", "first", "last", "next", "previous"}
        assert set(last["_links"]) == {"self", "first", "last", "previous"}
        pages = {name: link["href"] for name, link in middle["_links"].items()}
        for name, number in (("self", 2), ("first", 1), ("last", 3), ("next", 3), ("previous", 1)):
            href = urlsplit(pages[name])
            assert (href.scheme, href.netloc, href.path) == ("", "", f"{cal.path()}/bookings")
            assert parse_qs(href.query) == {
                "start": [WINDOW[0]],
                "end": [WINDOW[1]],
                "page": [str(number)],
                "limit": ["2"],
            }

    async def test_page_defaults_and_past_the_end(self, api: Api, estate: TestEstate) -> None:
        """With `page` alone `limit` is 100; a page past the end is 200 with no items."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await cal.booked(at(TUE, "10:00"))

        default = success(await cal.bookings(extra="&page=1"))
        beyond = success(await cal.bookings(extra="&page=5&limit=2"))

        assert (default["limit"], default["pages"], default["total"]) == (100, 1, 1)
        assert (beyond["_items"], beyond["page"], beyond["pages"], beyond["total"]) == (
            [],
            5,
            1,
            1,
        )

    async def test_bad_page_or_limit_is_400(self, api: Api, estate: TestEstate) -> None:
        """`limit` 0, 101 or `abc`, `page` 0: 400 with an `errors` map (decisions.md)."""
        cal = Cal(api, estate)
        positive = ["This value should be a positive integer."]

        cases = [
            ("&page=1&limit=0", {"limit": positive}),
            ("&page=1&limit=101", {"limit": ["This value should be 100 or less."]}),
            ("&page=1&limit=abc", {"limit": positive}),
            ("&page=0", {"page": positive}),
            ("&page=-1&limit=2", {"page": positive}),
        ]

        for extra, errors in cases:
            assert failure(await cal.bookings(extra=extra), 400) == invalid(errors), extra


class TestGetBooking:
    async def test_always_patient_and_service(self, api: Api, estate: TestEstate) -> None:
        """getBooking always carries `patient` and `address_service`, no `with` needed
        (§7.3 "Which booking fields appear by default")."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(
            at(TUE, "10:00"),
            book_body(cal.sid(), is_returning=True, patient=patient(email="a@b.pl")),
        )

        body = success(await cal.booking(booked["id"]))

        assert set(body) == BOOKING_KEYS | {"patient", "address_service"}
        assert {k: body[k] for k in BOOKING_KEYS} == {**booked, "insurance": None}
        assert body["patient"] == {
            "name": "Jan",
            "surname": "Kowalski",
            "email": "a@b.pl",
            "phone": "+48500100200",
            "birth_date": None,
            "nin": None,
            "gender": None,
            "is_returning": True,
            "is_returnting": True,
            "insurance_number": None,
        }
        assert set(body["address_service"]) == ADDRESS_SERVICE_KEYS
        assert body["address_service"]["id"] == cal.sid()

    async def test_moving_of_a_booking_never_moved(self, api: Api, estate: TestEstate) -> None:
        """`with=booking.moving` on a booking never moved: both ids are its own (§8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))

        body = success(
            await cal.booking(
                booked["id"], extra="?with=booking.moving,address_service.public_insurance_flow"
            )
        )

        assert body["moving"] == {
            "origin_booking_id": booked["id"],
            "newest_booking_id": booked["id"],
        }
        assert body["address_service"]["is_public_insurance_flow"] is False

    async def test_unknown_booking_is_404(self, api: Api, estate: TestEstate) -> None:
        """An unknown or non-numeric booking id: 404 `Object not found` (§4)."""
        cal = Cal(api, estate)

        for booking_id in ("999999999", "abc"):
            assert failure(await cal.booking(booking_id), 404) == NOT_FOUND

    async def test_booking_of_another_address_is_403(self, api: Api, estate: TestEstate) -> None:
        """A booking of another address read through this path: 403 (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal, 2)
        other = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(2)), address=2)

        response = await cal.booking(other["id"])

        assert failure(response, 403) == NOT_HERE


class TestCancelBooking:
    async def test_cancel_without_body(self, api: Api, estate: TestEstate) -> None:
        """DELETE with no body: 204; `status: canceled`, `canceled_by: integration`,
        `canceled_at` now, and the time is free again (§8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        api.clock.advance(minutes=5)

        response = await api.http.delete(f"{cal.path()}/bookings/{booked['id']}", headers=cal.h)

        no_content(response, 204)
        body = success(await cal.booking(booked["id"]))
        assert (body["status"], body["canceled_by"], body["canceled_at"]) == (
            "canceled",
            "integration",
            at(MON, "09:05"),
        )
        assert (await cal.starts(TUE))[0] == at(TUE, "10:00")

    async def test_cancel_with_bodies(self, api: Api, estate: TestEstate) -> None:
        """An optional JSON body `{reason}`, an empty JSON object or an empty body with a
        JSON content type are all fine: 204 (§7.3 CancelBookingRequest, wire.md §1.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        ids = [(await cal.booked(at(TUE, hhmm)))["id"] for hhmm in ("10:00", "10:30", "11:00")]
        url = f"{cal.path()}/bookings"
        json_type = {**cal.h, "Content-Type": "application/json"}

        responses = [
            await api.http.request(
                "DELETE", f"{url}/{ids[0]}", json={"reason": "Ill"}, headers=cal.h
            ),
            await api.http.request("DELETE", f"{url}/{ids[1]}", json={}, headers=cal.h),
            await api.http.request("DELETE", f"{url}/{ids[2]}", content=b"", headers=json_type),
        ]

        for response in responses:
            no_content(response, 204)
        statuses = [b["status"] for b in success(await cal.bookings())["_items"]]
        assert statuses == ["canceled"] * 3
        assert (await booking_row(api, ids[0]))["cancel_reason"] == "Ill"

    async def test_cancel_twice_is_400(self, api: Api, estate: TestEstate) -> None:
        """A booking that is not booked: 400 `Visit {id} cannot be canceled because it is
        not booked`, and nothing changes (§4 DeleteBookingValidationError)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        url = f"{cal.path()}/bookings/{booked['id']}"
        no_content(await api.http.delete(url, headers=cal.h), 204)
        api.clock.advance(minutes=5)
        before = await cal.state()

        response = await api.http.delete(url, headers=cal.h)

        assert failure(response, 400) == error(
            f"Visit {booked['id']} cannot be canceled because it is not booked"
        )
        assert await cal.state() == before

    async def test_unknown_or_foreign_booking(self, api: Api, estate: TestEstate) -> None:
        """Unknown booking: 404; another address's booking: 403, it stays booked (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal, 2)
        other = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(2)), address=2)
        before = await cal.state(0, 2)

        unknown = await api.http.delete(f"{cal.path()}/bookings/999999999", headers=cal.h)
        foreign = await api.http.delete(f"{cal.path()}/bookings/{other['id']}", headers=cal.h)

        assert failure(unknown, 404) == NOT_FOUND
        assert failure(foreign, 403) == NOT_HERE
        assert await cal.state(0, 2) == before

    async def test_read_only_is_400(self, api: Api, estate: TestEstate) -> None:
        """A client that may not edit the calendar: 400 `Unable to cancel a visit for this
        address` (§4 UnableToCancelForAddress)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        await read_only(api, estate)
        before = await cal.state()

        response = await api.http.delete(f"{cal.path()}/bookings/{booked['id']}", headers=cal.h)

        assert failure(response, 400) == error("Unable to cancel a visit for this address")
        assert await cal.state() == before


class TestMoveBooking:
    async def _move(self, cal: Cal, booking_id: str, body: dict[str, Any], address: int = 0) -> Any:
        return await cal.http.post(
            f"{cal.path(address)}/bookings/{booking_id}/move", json=body, headers=cal.h
        )

    async def test_moved_is_201(self, api: Api, estate: TestEstate) -> None:
        """201, `Location` of the new booking and its full body; the old one is canceled and
        both point along the move chain (§8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))

        response = await self._move(
            cal, old["id"], {"address_service_id": cal.sid(), "start": at(TUE, "12:00")}
        )

        new = success(response, 201)
        assert response.headers["location"] == (
            f"https://testserver{cal.path()}/bookings/{new['id']}"
        )
        assert new["id"] != old["id"]
        assert set(new) == BOOKING_KEYS | {"patient", "address_service"}
        assert (new["status"], new["start_at"], new["end_at"], new["duration"]) == (
            "booked",
            at(TUE, "12:00"),
            at(TUE, "12:30"),
            30,
        )
        assert new["patient"]["name"] == "Jan"
        chain = {"origin_booking_id": old["id"], "newest_booking_id": new["id"]}
        was = success(await cal.booking(old["id"], extra="?with=booking.moving"))
        now = success(await cal.booking(new["id"], extra="?with=booking.moving"))
        assert (was["status"], was["canceled_by"], was["moving"]) == (
            "canceled",
            "integration",
            chain,
        )
        assert now["moving"] == chain
        assert (await cal.starts(TUE))[:2] == [at(TUE, "10:00"), at(TUE, "10:30")]

    async def test_onto_its_own_time(self, api: Api, estate: TestEstate) -> None:
        """Within one address the booking's own time counts as free: it can grow in place
        (§8.6, decisions.md "Slots and calendars")."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))

        response = await self._move(
            cal,
            old["id"],
            {"address_service_id": cal.sid(), "start": at(TUE, "10:00"), "duration": 60},
        )

        new = success(response, 201)
        assert (new["start_at"], new["end_at"]) == (at(TUE, "10:00"), at(TUE, "11:00"))
        assert (await cal.starts(TUE))[0] == at(TUE, "11:00")

    async def test_duration_defaults_to_the_old_one(self, api: Api, estate: TestEstate) -> None:
        """Without `duration` the moved booking keeps its length (§7.3 MoveBookingRequest)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(), 60))

        new = success(
            await self._move(
                cal, old["id"], {"address_service_id": cal.sid(), "start": at(TUE, "11:30")}
            ),
            201,
        )

        assert (new["duration"], new["end_at"]) == (60, at(TUE, "12:30"))

    async def test_address_does_not_exist(self, api: Api, estate: TestEstate) -> None:
        """An unknown `address_id`: 400 `Address does not exist` (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))
        before = await cal.state()

        for address_id in ("999999999", "abc", 999999999):
            response = await self._move(
                cal,
                old["id"],
                {
                    "address_service_id": cal.sid(),
                    "start": at(TUE, "12:00"),
                    "address_id": address_id,
                },
            )

            assert failure(response, 400) == error("Address does not exist")
        assert await cal.state() == before

    async def test_address_in_another_facility_is_403(self, api: Api, estate: TestEstate) -> None:
        """An address outside the path's facility: 403 (§8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await open_tuesday(cal, 3)
        old = await cal.booked(at(TUE, "10:00"))
        before = await cal.state(0, 3)

        response = await self._move(
            cal,
            old["id"],
            {
                "address_service_id": cal.sid(3),
                "start": at(TUE, "12:00"),
                "address_id": str(estate.address_ids[3]),
            },
        )

        assert failure(response, 403) == error("This address does not belong to this facility")
        assert await cal.state(0, 3) == before

    async def test_service_of_another_address_is_400(self, api: Api, estate: TestEstate) -> None:
        """A service that is not at the target address: 400 `Service does not belong to the
        address` (§4 ServiceDoesNotBelongToAddress)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await open_tuesday(cal, 2)
        old = await cal.booked(at(TUE, "10:00"))
        before = await cal.state(0, 2)

        same_address = await self._move(
            cal, old["id"], {"address_service_id": cal.sid(2), "start": at(TUE, "12:00")}
        )
        to_other = await self._move(
            cal,
            old["id"],
            {
                "address_service_id": cal.sid(),
                "start": at(TUE, "12:00"),
                "address_id": str(estate.address_ids[2]),
            },
        )

        for response in (same_address, to_other):
            assert failure(response, 400) == error("Service does not belong to the address")
        assert await cal.state(0, 2) == before

    async def test_service_does_not_exist_is_400(self, api: Api, estate: TestEstate) -> None:
        """An unknown or deleted service: 400 `Service does not exist` (§4)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(), 30), (cal.sid(0, 1), 30))
        )
        old = await cal.booked(at(TUE, "10:00"))
        no_content(
            await api.http.delete(f"{cal.path()}/services/{cal.sid(0, 1)}", headers=cal.h), 204
        )
        before = await cal.state()

        for service in ("999999999", "abc", cal.sid(0, 1)):
            response = await self._move(
                cal, old["id"], {"address_service_id": service, "start": at(TUE, "12:00")}
            )

            assert failure(response, 400) == SERVICE_DOES_NOT_EXIST, service
        assert await cal.state() == before

    async def test_canceled_or_moved_is_409(self, api: Api, estate: TestEstate) -> None:
        """A canceled or already moved booking: 409 `The visit has already been canceled or
        moved` (§4 VisitAlreadyMovedOrDeleted)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        canceled = await cal.booked(at(TUE, "10:00"))
        moved = await cal.booked(at(TUE, "10:30"))
        no_content(
            await api.http.delete(f"{cal.path()}/bookings/{canceled['id']}", headers=cal.h), 204
        )
        target = {"address_service_id": cal.sid(), "start": at(TUE, "12:00")}
        success(await self._move(cal, moved["id"], target), 201)
        before = await cal.state()

        for booking_id in (canceled["id"], moved["id"]):
            response = await self._move(
                cal, booking_id, {"address_service_id": cal.sid(), "start": at(TUE, "11:00")}
            )

            assert failure(response, 409) == ALREADY_MOVED
        assert await cal.state() == before

    async def test_target_not_free_is_404(self, api: Api, estate: TestEstate) -> None:
        """A taken, off-grid, past or unpublished target: 404 target slot not found; a
        service the target slot does not offer: 404 does not support (§8.6, decisions.md)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(MON, "08:00"), at(MON, "12:00"), (cal.sid(), 30)),
            period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(), 30)),
            period(at(WED, "10:00"), at(WED, "11:00"), (cal.sid(0, 1), 20)),
        )
        old = await cal.booked(at(TUE, "10:00"))
        await cal.booked(at(TUE, "11:00"))
        before = await cal.state()

        for start in (at(TUE, "11:00"), at(TUE, "10:45"), at(MON, "08:30"), at(TUE, "15:00")):
            response = await self._move(
                cal, old["id"], {"address_service_id": cal.sid(), "start": start}
            )

            assert failure(response, 404) == slot_not_found(start), start
        unsupported = await self._move(
            cal, old["id"], {"address_service_id": cal.sid(), "start": at(WED, "10:00")}
        )
        assert failure(unsupported, 404) == not_supported(at(WED, "10:00"), cal.sid())
        assert await cal.state() == before

    async def test_not_commercial_target_is_422(self, api: Api, estate: TestEstate) -> None:
        """A target address of a non-commercial doctor in the same facility: 422."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))
        before = await cal.state(0, 4)

        response = await self._move(
            cal,
            old["id"],
            {
                "address_service_id": cal.sid(4),
                "start": at(TUE, "12:00"),
                "address_id": str(estate.address_ids[4]),
            },
        )

        assert failure(response, 422) == error(NOT_COMMERCIAL.format(estate.address_ids[4]))
        assert await cal.state(0, 4) == before

    async def test_payment_account_is_422(self, api: Api, estate: TestEstate) -> None:
        """A booking holding money cannot move to an address billed through another payment
        account: 422; once refunded it can (§8.6 BookingCannotCrossPaymentAccounts)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await open_tuesday(cal, 2)
        old = await cal.booked(at(TUE, "10:00"))
        await update_booking(api, old["id"], visit_payment=True, visit_payment_status="paid")
        async with api.container.services.uow(write=True) as uow:
            await uow.directory.update_address(estate.address_ids[2], payment_account="OTHER")
            await uow.commit()
        target = {
            "address_service_id": cal.sid(2),
            "start": at(TUE, "12:00"),
            "address_id": str(estate.address_ids[2]),
        }
        before = await cal.state(0, 2)

        paid = await self._move(cal, old["id"], target)
        after_paid = await cal.state(0, 2)
        await update_booking(api, old["id"], visit_payment_status="refunded")
        refunded = await self._move(cal, old["id"], target)

        assert failure(paid, 422) == error(
            "This booking has a payment on it and the target address bills through a different "
            "payment account. Cancel the booking and create a new one instead."
        )
        assert after_paid == before
        assert success(refunded, 201)["start_at"] == at(TUE, "12:00")

    async def test_invalid_bodies_are_400(self, api: Api, estate: TestEstate) -> None:
        """Missing `start` or `address_service_id`, an unreadable start or a zero duration:
        400 keyed by field (§7.3 MoveBookingRequest: start is required)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))
        before = await cal.state()
        sid = cal.sid()

        cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            ({"address_service_id": sid}, {"start": ["Field required"]}),
            ({"start": at(TUE, "12:00")}, {"address_service_id": ["Field required"]}),
            (
                {"address_service_id": sid, "start": "noon"},
                {"start": ["This value is not a valid datetime."]},
            ),
            (
                {"address_service_id": sid, "start": at(TUE, "12:00"), "duration": 0},
                {"duration": ["This value should be between 1 and 1440."]},
            ),
        ]

        for body, errors in cases:
            assert failure(await self._move(cal, old["id"], body), 400) == invalid(errors), body
        assert await cal.state() == before

    async def test_unknown_or_foreign_booking(self, api: Api, estate: TestEstate) -> None:
        """Moving an unknown booking: 404; another address's booking: 403 (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await open_tuesday(cal, 2)
        other = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(2)), address=2)
        before = await cal.state(0, 2)
        body = {"address_service_id": cal.sid(), "start": at(TUE, "12:00")}

        unknown = await self._move(cal, "999999999", body)
        foreign = await self._move(cal, other["id"], body)

        assert failure(unknown, 404) == NOT_FOUND
        assert failure(foreign, 403) == NOT_HERE
        assert await cal.state(0, 2) == before

    async def test_read_only_is_404(self, api: Api, estate: TestEstate) -> None:
        """A read-only client cannot move: 404 `Unable to book a visit for this address`."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        old = await cal.booked(at(TUE, "10:00"))
        await read_only(api, estate)
        before = await cal.state()

        response = await self._move(
            cal, old["id"], {"address_service_id": cal.sid(), "start": at(TUE, "12:00")}
        )

        assert failure(response, 404) == UNABLE_TO_BOOK
        assert await cal.state() == before


class TestConfirmBooking:
    async def _confirm(self, cal: Cal, booking_id: str, body: Any) -> Any:
        return await cal.http.put(
            f"{cal.path()}/bookings/{booking_id}/confirm", json=body, headers=cal.h
        )

    async def test_confirmed_is_204(self, api: Api, estate: TestEstate) -> None:
        """`{confirmed_by: user|admin}`: 204; `booking.confirmation` then shows true (§8.6)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        by_user = await cal.booked(at(TUE, "10:00"))
        by_admin = await cal.booked(at(TUE, "10:30"))

        user = await self._confirm(cal, by_user["id"], {"confirmed_by": "user"})
        admin = await self._confirm(cal, by_admin["id"], {"confirmed_by": "admin"})

        no_content(user, 204)
        no_content(admin, 204)
        rows = success(await cal.bookings(extra="&with=booking.confirmation"))["_items"]
        assert [r["confirmed"] for r in rows] == [True, True]

    async def test_invalid_confirmed_by_is_400(self, api: Api, estate: TestEstate) -> None:
        """A value other than user/admin: 400 `confirmed_by value is invalid`; a missing one:
        400 keyed `confirmed_by` (§4 ConfirmBookingValidationError)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        before = await cal.state()

        wrong = await self._confirm(cal, booked["id"], {"confirmed_by": "patient"})
        missing = await self._confirm(cal, booked["id"], {})

        assert failure(wrong, 400) == error("confirmed_by value is invalid")
        assert failure(missing, 400) == invalid({"confirmed_by": ["Field required"]})
        assert await cal.state() == before

    async def test_conflicts_are_409(self, api: Api, estate: TestEstate) -> None:
        """Already confirmed, canceled, deleted or past visits: the four 409s (§8.6)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(MON, "09:00"), at(MON, "10:00"), (cal.sid(), 30)),
            period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(), 30)),
        )
        confirmed = await cal.booked(at(TUE, "10:00"))
        canceled = await cal.booked(at(TUE, "10:30"))
        deleted = await cal.booked(at(TUE, "11:00"))
        past = await cal.booked(at(MON, "09:30"))
        no_content(await self._confirm(cal, confirmed["id"], {"confirmed_by": "user"}), 204)
        no_content(
            await api.http.delete(f"{cal.path()}/bookings/{canceled['id']}", headers=cal.h), 204
        )
        await update_booking(api, deleted["id"], deleted_at=api.clock.now())
        api.clock.advance(minutes=31)
        before = await cal.state()

        answers = {
            "Visit has already been confirmed": confirmed["id"],
            "Visit has been canceled": canceled["id"],
            "Visit has been deleted": deleted["id"],
            "Visit is in the past": past["id"],
        }

        for message, booking_id in answers.items():
            response = await self._confirm(cal, booking_id, {"confirmed_by": "admin"})

            assert failure(response, 409) == error(message)
        assert await cal.state() == before

    async def test_unknown_or_foreign_booking(self, api: Api, estate: TestEstate) -> None:
        """Confirming an unknown booking: 404; another address's: 403 (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal, 2)
        other = await cal.booked(at(TUE, "10:00"), book_body(cal.sid(2)), address=2)
        before = await cal.state(0, 2)

        unknown = await self._confirm(cal, "999999999", {"confirmed_by": "user"})
        foreign = await self._confirm(cal, other["id"], {"confirmed_by": "user"})

        assert failure(unknown, 404) == NOT_FOUND
        assert failure(foreign, 403) == NOT_HERE
        assert await cal.state(0, 2) == before

    async def test_read_only_is_400(self, api: Api, estate: TestEstate) -> None:
        """A client that may not edit: 400 `Integration is not authorized for this address`."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        await read_only(api, estate)
        before = await cal.state()

        response = await self._confirm(cal, booked["id"], {"confirmed_by": "user"})

        assert failure(response, 400) == error("Integration is not authorized for this address")
        assert await cal.state() == before


class TestBookingEvents:
    async def test_book_cancel_move_confirm(self, api: Api, estate: TestEstate) -> None:
        """slot-booked, booking-confirmed, booking-moved (at the target) and booking-canceled
        are recorded with the calling client as origin (§11.1, decisions.md)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        await open_tuesday(cal, 1)
        a0, a1 = estate.address_ids[0], estate.address_ids[1]
        me = estate.client_pk

        first = await cal.booked(at(TUE, "10:00"))
        second = await cal.booked(at(TUE, "10:30"))
        booked = await events(api, estate)
        await cal.http.put(
            f"{cal.path()}/bookings/{first['id']}/confirm",
            json={"confirmed_by": "user"},
            headers=cal.h,
        )
        confirmed = await events(api, estate)
        moved = success(
            await cal.http.post(
                f"{cal.path()}/bookings/{second['id']}/move",
                json={
                    "address_service_id": cal.sid(1),
                    "start": at(TUE, "12:00"),
                    "address_id": str(a1),
                },
                headers=cal.h,
            ),
            201,
        )
        after_move = await events(api, estate)
        await cal.http.delete(f"{cal.path(1)}/bookings/{moved['id']}", headers=cal.h)

        assert booked == [("slot-booked", a0, me), ("slot-booked", a0, me)]
        assert confirmed[2:] == [("booking-confirmed", a0, me)]
        assert after_move[3:] == [("booking-moved", a1, me)]
        assert (await events(api, estate))[4:] == [("booking-canceled", a1, me)]

    async def test_failures_add_no_events(self, api: Api, estate: TestEstate) -> None:
        """Refused book, cancel, move and confirm requests record nothing (§4)."""
        cal = Cal(api, estate)
        await open_tuesday(cal)
        booked = await cal.booked(at(TUE, "10:00"))
        no_content(
            await api.http.delete(f"{cal.path()}/bookings/{booked['id']}", headers=cal.h), 204
        )
        before = await events(api, estate)

        await cal.book(at(TUE, "10:15"))
        await cal.http.delete(f"{cal.path()}/bookings/{booked['id']}", headers=cal.h)
        await cal.http.post(
            f"{cal.path()}/bookings/{booked['id']}/move",
            json={"address_service_id": cal.sid(), "start": at(TUE, "11:00")},
            headers=cal.h,
        )
        await cal.http.put(
            f"{cal.path()}/bookings/{booked['id']}/confirm",
            json={"confirmed_by": "user"},
            headers=cal.h,
        )

        assert before == [
            ("slot-booked", estate.address_ids[0], estate.client_pk),
            ("booking-canceled", estate.address_ids[0], estate.client_pk),
        ]
        assert await events(api, estate) == before
