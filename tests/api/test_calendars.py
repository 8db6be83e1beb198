"""Calendars over HTTP: get, enable, disable, what a disabled calendar does, read-only estates
(behaviour.md §4, §7.2 #21-23, §8.1; decisions.md "Slots and calendars")."""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, Cal, at, book_body, error, no_content, period, q
from tests.api.support import failure, success
from tests.conftest import Api

NOT_COMMERCIAL = "Cannot activate calendar on address {}, profile/address is not commercial"
READ_ONLY = error("You are not authorized to make changes on this calendar")


async def disable_address(api: Api, address_id: int) -> None:
    async with api.container.services.uow(write=True) as uow:
        await uow.directory.update_address(address_id, is_enabled=False)
        await uow.commit()


class TestGetCalendar:
    async def test_missing_calendar_is_404(self, api: Api, estate: TestEstate) -> None:
        """An address without a calendar: 404 `Calendar does not exist` (§4, §7.2 #21)."""
        cal = Cal(api, estate)

        response = await cal.calendar()

        assert failure(response, 404) == error("Calendar does not exist")

    async def test_status_follows_enable_and_disable(self, api: Api, estate: TestEstate) -> None:
        """`{status}` is `enabled` after enable and `disabled` after disable (§7.2 #21)."""
        cal = Cal(api, estate)

        await cal.enable()
        enabled = success(await cal.calendar())
        await cal.disable()
        disabled = success(await cal.calendar())

        assert enabled == {"status": "enabled"}
        assert disabled == {"status": "disabled"}

    async def test_unknown_address_is_object_not_found(self, api: Api, estate: TestEstate) -> None:
        """A path naming no address: 404 `Object not found` (§4)."""
        f, d = estate.facility_ids[0], estate.doctor_ids[0]

        response = await api.http.get(
            f"/api/v3/integration/facilities/{f}/doctors/{d}/addresses/999999999/calendar",
            headers=estate.headers,
        )

        assert failure(response, 404) == error("Object not found")


class TestEnableCalendar:
    async def test_enable_is_200_without_body(self, api: Api, estate: TestEstate) -> None:
        """enableCalendar answers 200 with no body and creates the calendar (§8.1)."""
        cal = Cal(api, estate)

        response = await cal.enable()

        no_content(response, 200)
        assert success(await cal.calendar()) == {"status": "enabled"}

    async def test_enable_twice_is_409(self, api: Api, estate: TestEstate) -> None:
        """A second enable: 409 `Calendar already enabled`, nothing changes (§4, §8.1)."""
        cal = Cal(api, estate)
        await cal.enable()
        before = await cal.state()

        response = await cal.enable()

        assert failure(response, 409) == error("Calendar already enabled")
        assert await cal.state() == before

    async def test_enable_after_disable(self, api: Api, estate: TestEstate) -> None:
        """A disabled calendar can be enabled again: 200 (§8.1)."""
        cal = Cal(api, estate)
        await cal.enable()
        await cal.disable()

        response = await cal.enable()

        no_content(response, 200)
        assert success(await cal.calendar()) == {"status": "enabled"}

    async def test_not_commercial_is_422(self, api: Api, estate: TestEstate) -> None:
        """A basic address of a non-commercial doctor: 422 with its id (§4, §8.1)."""
        cal = Cal(api, estate)
        before = await cal.state(4)

        response = await cal.enable(4)

        assert failure(response, 422) == error(NOT_COMMERCIAL.format(estate.address_ids[4]))
        assert await cal.state(4) == before

    async def test_disabled_address_is_400(self, api: Api, estate: TestEstate) -> None:
        """An address switched off by Docplanner: 400 `Could not enable calendar on disabled
        address` (§4, §8.1)."""
        cal = Cal(api, estate)
        await disable_address(api, estate.address_ids[0])

        response = await cal.enable()

        assert failure(response, 400) == error("Could not enable calendar on disabled address")
        assert failure(await cal.calendar(), 404) == error("Calendar does not exist")

    async def test_read_only_is_403(self, api: Api) -> None:
        """A client without edit rights: 403 CalendarEditionNotAuthorized, no calendar (§4)."""
        estate = await api.estate(can_edit=False)
        cal = Cal(api, estate)
        before = await cal.state()

        response = await cal.enable()

        assert failure(response, 403) == READ_ONLY
        assert await cal.state() == before


class TestDisableCalendar:
    async def test_disable_is_200_without_body(self, api: Api, estate: TestEstate) -> None:
        """disableCalendar answers 200 with no body (§7.2 #23)."""
        cal = Cal(api, estate)
        await cal.enable()

        response = await cal.disable()

        no_content(response, 200)
        assert success(await cal.calendar()) == {"status": "disabled"}

    async def test_disable_twice_is_409(self, api: Api, estate: TestEstate) -> None:
        """Disabling a disabled calendar: 409 `Calendar already disabled` (§4)."""
        cal = Cal(api, estate)
        await cal.enable()
        await cal.disable()
        before = await cal.state()

        response = await cal.disable()

        assert failure(response, 409) == error("Calendar already disabled")
        assert await cal.state() == before

    async def test_disable_without_calendar_is_409(self, api: Api, estate: TestEstate) -> None:
        """No calendar at all counts as not enabled: 409, and none is created (§4)."""
        cal = Cal(api, estate)

        response = await cal.disable()

        assert failure(response, 409) == error("Calendar already disabled")
        assert failure(await cal.calendar(), 404) == error("Calendar does not exist")

    async def test_read_only_is_403(self, api: Api, estate: TestEstate) -> None:
        """Read-only access: disable is 403 and the calendar stays enabled (§4)."""
        cal = Cal(api, estate)
        await cal.enable()
        await api.container.services.clients.assign_facility(
            estate.client_id, estate.facility_ids[0], can_edit=False
        )
        before = await cal.state()

        response = await cal.disable()

        assert failure(response, 403) == READ_ONLY
        assert await cal.state() == before


class TestDisabledCalendar:
    async def _published_then_disabled(self, cal: Cal) -> None:
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)))
        no_content(await cal.disable(), 200)

    async def test_get_slots_is_empty(self, api: Api, estate: TestEstate) -> None:
        """A disabled calendar offers no slots: 200 `{"_items": []}` (decisions.md)."""
        cal = Cal(api, estate)
        await self._published_then_disabled(cal)

        response = await cal.slots(at(TUE, "00:00"), at(TUE, "23:59"))

        assert success(response) == {"_items": []}

    async def test_book_slot_is_404(self, api: Api, estate: TestEstate) -> None:
        """bookSlot on a disabled calendar: 404 `Unable to book a visit for this address`."""
        cal = Cal(api, estate)
        await self._published_then_disabled(cal)
        before = await cal.state()

        response = await cal.book(at(TUE, "10:00"))

        assert failure(response, 404) == error("Unable to book a visit for this address")
        assert await cal.state() == before

    async def test_services_at_slot_is_404(self, api: Api, estate: TestEstate) -> None:
        """getAddressServices `?start=` finds no slot on a disabled calendar (decisions.md)."""
        cal = Cal(api, estate)
        await self._published_then_disabled(cal)

        response = await api.http.get(
            f"{cal.path()}/services?start={at(TUE, '10:00').replace('+', '%2B')}",
            headers=cal.h,
        )

        assert failure(response, 404) == error("Slot not found")

    async def test_availability_is_kept_and_writable(self, api: Api, estate: TestEstate) -> None:
        """replaceSlots and breaks still work while disabled; re-enabling shows the stored
        availability (decisions.md "Slots and calendars")."""
        cal = Cal(api, estate)
        await self._published_then_disabled(cal)

        replaced = await cal.put([period(at(TUE, "12:00"), at(TUE, "13:00"), (cal.sid(), 30))])
        added = await cal.add_break({"since": at(TUE, "12:30"), "till": at(TUE, "13:00")})
        await cal.enable()

        no_content(replaced, 201)
        assert added.status_code == 201
        assert success(await cal.calendar()) == {"status": "enabled"}
        assert await cal.starts(TUE) == [at(TUE, "12:00")]

    async def test_move_onto_disabled_calendar_is_404(self, api: Api, estate: TestEstate) -> None:
        """Moving a booking onto a disabled calendar: 404 `Unable to book a visit for this
        address`, the booking stays (§8.6, decisions.md)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(1), 30)), address=1)
        booking = await cal.booked(at(TUE, "10:00"))
        await cal.disable(1)
        before = await cal.state(0, 1)

        response = await api.http.post(
            f"{cal.path()}/bookings/{booking['id']}/move",
            json={
                "address_service_id": cal.sid(1),
                "start": at(TUE, "11:00"),
                "address_id": str(estate.address_ids[1]),
            },
            headers=cal.h,
        )

        assert failure(response, 404) == error("Unable to book a visit for this address")
        assert await cal.state(0, 1) == before


class TestReadOnlyEstate:
    async def test_every_calendar_write_is_403(self, api: Api, estate: TestEstate) -> None:
        """Without edit rights every write to calendar, slots and breaks is 403
        `You are not authorized to make changes on this calendar`, and nothing changes (§4)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
        created = success(
            await cal.add_break({"since": at(TUE, "11:00"), "till": at(TUE, "11:30")}), 201
        )
        await api.container.services.clients.assign_facility(
            estate.client_id, estate.facility_ids[0], can_edit=False
        )
        before = await cal.state()
        path, h = cal.path(), cal.h
        brk = f"{path}/breaks/{created['id']}"

        responses = [
            await cal.enable(),
            await cal.disable(),
            await cal.put([period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30))]),
            await api.http.delete(f"{path}/slots/{TUE}", headers=h),
            await cal.add_break({"since": at(TUE, "10:00"), "till": at(TUE, "10:30")}),
            await api.http.patch(
                brk, json={"since": at(TUE, "10:00"), "till": at(TUE, "10:30")}, headers=h
            ),
            await api.http.delete(brk, headers=h),
        ]

        assert [(r.status_code, r.json()) for r in responses] == [(403, READ_ONLY)] * 7
        assert await cal.state() == before

    async def test_book_slot_is_refused(self, api: Api, estate: TestEstate) -> None:
        """A read-only client cannot book either: 404 `Unable to book a visit for this
        address`, as it cannot cancel (§4 UnableToBookForAddress / UnableToCancelForAddress)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
        await api.container.services.clients.assign_facility(
            estate.client_id, estate.facility_ids[0], can_edit=False
        )
        before = await cal.state()

        response = await cal.book(at(TUE, "10:00"), book_body(cal.sid()))

        assert failure(response, 404) == error("Unable to book a visit for this address")
        assert await cal.state() == before

    async def test_reads_still_work(self, api: Api, estate: TestEstate) -> None:
        """Read-only access still reads calendar, slots, bookings and breaks: 200 (§4)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)))
        await api.container.services.clients.assign_facility(
            estate.client_id, estate.facility_ids[0], can_edit=False
        )

        snapshot = await cal.state()

        assert snapshot["0.calendar"] == (200, {"status": "enabled"})
        assert snapshot["0.slots"][0] == 200
        assert snapshot["0.bookings"] == (200, {"_items": []})
        assert snapshot["0.breaks"] == (200, {"_items": []})


class TestPathRules:
    """Every calendar, slot, break and booking endpoint applies the path's 404/403 rules."""

    def _requests(self, cal: Cal, booking: str) -> list[tuple[str, str, Any]]:
        window = f"start={q(at(TUE, '00:00'))}&end={q(at(TUE, '23:59'))}"
        since_till = f"since={q(at(TUE, '00:00'))}&till={q(at(TUE, '23:59'))}"
        move_range = {"since": at(TUE, "10:00"), "till": at(TUE, "10:30")}
        return [
            ("GET", "/calendar", None),
            ("POST", "/calendar/enable", None),
            ("POST", "/calendar/disable", None),
            ("GET", f"/slots?{window}", None),
            ("PUT", "/slots", {"slots": [period(at(TUE, "10:00"), at(TUE, "11:00"))]}),
            ("DELETE", f"/slots/{TUE}", None),
            ("POST", f"/slots/{q(at(TUE, '10:00'))}/book", book_body(cal.sid())),
            ("GET", f"/services?start={q(at(TUE, '10:00'))}", None),
            ("GET", f"/breaks?{since_till}", None),
            ("POST", "/breaks", move_range),
            ("GET", "/breaks/1", None),
            ("PATCH", "/breaks/1", move_range),
            ("DELETE", "/breaks/1", None),
            ("GET", f"/bookings?{window}", None),
            ("GET", f"/bookings/{booking}", None),
            ("DELETE", f"/bookings/{booking}", None),
            (
                "POST",
                f"/bookings/{booking}/move",
                {"address_service_id": "1", "start": at(TUE, "10:00")},
            ),
            ("PUT", f"/bookings/{booking}/confirm", {"confirmed_by": "user"}),
            ("POST", f"/bookings/{booking}/presence/patient", None),
            ("DELETE", f"/bookings/{booking}/presence/patient", None),
        ]

    async def test_path_errors(self, api: Api, estate: TestEstate) -> None:
        """Another client's facility, an address of another doctor or facility, an unknown
        address: 403/404 with the §4 messages on every endpoint, nothing changed (§4)."""
        cal = Cal(api, estate)
        # A booking that exists, so that its paths reach the path rules (an unknown booking
        # is 404 before them).
        await cal.enable()
        await cal.publish(period(at(TUE, "09:00"), at(TUE, "10:00"), (cal.sid(), 30)))
        booking = str((await cal.booked(at(TUE, "09:00"), book_body(cal.sid())))["id"])
        stranger = await api.estate()
        f0 = estate.facility_ids[0]
        d0, d1 = estate.doctor_ids[:2]
        a = estate.address_ids
        base = "/api/v3/integration/facilities"
        paths = [
            (stranger.address_path(0), 403, "You are not authorized to see this facility"),
            (
                f"{base}/{f0}/doctors/{d0}/addresses/{a[2]}",
                403,
                "This address does not belong to this doctor",
            ),
            (
                f"{base}/{f0}/doctors/{d1}/addresses/{a[3]}",
                403,
                "This address does not belong to this facility",
            ),
            (f"{base}/{f0}/doctors/{d0}/addresses/999999999", 404, "Object not found"),
        ]
        before = await cal.state(0, 2, 3)

        for path, status, message in paths:
            for method, suffix, body in self._requests(cal, booking):
                response = await api.http.request(method, path + suffix, json=body, headers=cal.h)

                assert (response.status_code, response.json()) == (
                    status,
                    error(message),
                ), f"{method} {suffix} on {path}"
        assert await cal.state(0, 2, 3) == before
