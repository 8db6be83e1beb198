"""Calendar breaks over HTTP: add, list, read, move, delete, coupled addresses, hidden slots
and their domain events (behaviour.md §4, §7.2 #24-28, §7.3 AddCalendarBreakRequest, §8.4)."""

from __future__ import annotations

from typing import Any

from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import (
    TUE,
    WED,
    Cal,
    at,
    error,
    events,
    invalid,
    no_content,
    period,
    q,
)
from tests.api.support import failure, success
from tests.conftest import Api

NOT_COMMERCIAL = "Cannot activate calendar on address {}, profile/address is not commercial"
SINCE_REQUIRED = error('Param "since" is required!')
TILL_REQUIRED = error('Param "till" is required!')
INVALID_BREAK = error("Invalid break ID")


def lunch(description: str | None = "Lunch", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"since": at(TUE, "11:00"), "till": at(TUE, "12:00")}
    if description is not None:
        body["description"] = description
    body.update(over)
    return body


async def added(cal: Cal, body: dict[str, Any], address: int = 0) -> dict[str, Any]:
    created: dict[str, Any] = success(await cal.add_break(body, address), 201)
    return created


async def listed(cal: Cal, address: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = success(await cal.breaks(address))["_items"]
    return items


class TestAddBreak:
    async def test_created_with_location_and_body(self, api: Api, estate: TestEstate) -> None:
        """201, an absolute `Location` of the new break and the CalendarBreak body in Warsaw
        time, whatever offset was sent (§7.2 #25, §8.4)."""
        cal = Cal(api, estate)

        response = await cal.add_break(
            {"since": "2026-01-06T10:00:00Z", "till": "2026-01-06T11:30:00Z", "description": "X"}
        )

        body = success(response, 201)
        assert body == {
            "id": body["id"],
            "since": at(TUE, "11:00"),
            "till": at(TUE, "12:30"),
            "description": "X",
        }
        assert response.headers["location"] == (
            f"https://testserver{cal.path()}/breaks/{body['id']}"
        )
        assert success(await api.http.get(response.headers["location"], headers=cal.h)) == body

    async def test_description_is_optional(self, api: Api, estate: TestEstate) -> None:
        """Without `description` the break is stored with `description: null` (§7.3)."""
        cal = Cal(api, estate)

        body = await added(cal, lunch(None))

        assert body["description"] is None
        assert await listed(cal) == [body]

    async def test_creates_the_calendar(self, api: Api, estate: TestEstate) -> None:
        """A break on an address without a calendar creates it (1.0.13, §8.4)."""
        cal = Cal(api, estate)

        await added(cal, lunch())

        assert success(await cal.calendar()) == {"status": "enabled"}

    async def test_since_and_till_required(self, api: Api, estate: TestEstate) -> None:
        """Missing (or empty) `since` or `till`: 400 `Param "…" is required!` (§4)."""
        cal = Cal(api, estate)
        await added(cal, lunch())
        before = await cal.state()

        responses = [
            (await cal.add_break({"till": at(TUE, "12:00")}), SINCE_REQUIRED),
            (await cal.add_break({"since": "", "till": at(TUE, "12:00")}), SINCE_REQUIRED),
            (await cal.add_break({"since": at(TUE, "11:00")}), TILL_REQUIRED),
            (await cal.add_break({"since": at(TUE, "11:00"), "till": None}), TILL_REQUIRED),
            (await cal.add_break({}), SINCE_REQUIRED),
        ]

        for response, expected in responses:
            assert failure(response, 400) == expected
        assert await cal.state() == before

    async def test_unreadable_dates_are_400(self, api: Api, estate: TestEstate) -> None:
        """An unreadable `since`: 400 keyed `since` (§3 Dates)."""
        cal = Cal(api, estate)
        before = await cal.state()

        response = await cal.add_break({"since": "noon", "till": at(TUE, "12:00")})

        assert failure(response, 400) == invalid({"since": ["This value is not a valid datetime."]})
        assert await cal.state() == before

    async def test_till_not_after_since_is_422(self, api: Api, estate: TestEstate) -> None:
        """`till` equal to or before `since`: 422 `Invalid date range` (§4 InvalidDateRange)."""
        cal = Cal(api, estate)
        await added(cal, lunch())
        before = await cal.state()

        for till in (at(TUE, "11:00"), at(TUE, "10:00"), "2026-01-06T10:00:00Z"):
            response = await cal.add_break(lunch(till=till))

            assert failure(response, 422) == error("Invalid date range")
        assert await cal.state() == before

    async def test_identical_break_is_409(self, api: Api, estate: TestEstate) -> None:
        """Same address, range and description: 409; the same instants in another offset
        are the same range (§4 CalendarBreakAlreadyExists)."""
        cal = Cal(api, estate)
        await added(cal, lunch())
        await added(cal, lunch(None))
        before = await cal.state()

        for body in (
            lunch(),
            lunch(since="2026-01-06T10:00:00Z", till="2026-01-06T11:00:00Z"),
            lunch(None),
        ):
            response = await cal.add_break(body)

            assert failure(response, 409) == error(
                "Break for given address, date range and description exists"
            )
        assert await cal.state() == before

    async def test_other_description_or_overlap_is_allowed(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The same range with another description, or an overlapping range: 201 (§8.4)."""
        cal = Cal(api, estate)
        first = await added(cal, lunch())

        second = await added(cal, lunch("Meeting"))
        third = await added(cal, lunch(since=at(TUE, "11:30"), till=at(TUE, "12:30")))

        assert len({first["id"], second["id"], third["id"]}) == 3
        assert [b["id"] for b in await listed(cal)] == [first["id"], second["id"], third["id"]]

    async def test_not_commercial_is_422(self, api: Api, estate: TestEstate) -> None:
        """A break on a basic address: 422 not commercial (§7.2 #25)."""
        cal = Cal(api, estate)
        before = await cal.state(4)

        response = await cal.add_break(lunch(), address=4)

        assert failure(response, 422) == error(NOT_COMMERCIAL.format(estate.address_ids[4]))
        assert await cal.state(4) == before

    async def test_breaks_hide_slots(self, api: Api, estate: TestEstate) -> None:
        """A break hides every slot whose service would overlap it (§8.4)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "13:00"), (cal.sid(), 30)))

        await added(cal, lunch(since=at(TUE, "11:10"), till=at(TUE, "12:00")))

        assert await cal.starts(TUE) == [
            at(TUE, "10:00"),
            at(TUE, "10:30"),
            at(TUE, "12:00"),
            at(TUE, "12:30"),
        ]


class TestListBreaks:
    async def test_since_and_till_required(self, api: Api, estate: TestEstate) -> None:
        """getCalendarBreaks needs both `since` and `till`: 400 (§7.2 #24)."""
        cal = Cal(api, estate)
        await added(cal, lunch())
        url = f"{cal.path()}/breaks"

        no_since = await api.http.get(f"{url}?till={q(at(TUE, '23:00'))}", headers=cal.h)
        no_till = await api.http.get(f"{url}?since={q(at(TUE, '00:00'))}", headers=cal.h)
        neither = await api.http.get(url, headers=cal.h)

        assert failure(no_since, 400) == SINCE_REQUIRED
        assert failure(no_till, 400) == TILL_REQUIRED
        assert failure(neither, 400) == SINCE_REQUIRED

    async def test_without_calendar_is_404(self, api: Api, estate: TestEstate) -> None:
        """An address that has no calendar: 404 `Calendar not found for this address` (§4)."""
        cal = Cal(api, estate)

        response = await cal.breaks()

        assert failure(response, 404) == error("Calendar not found for this address")

    async def test_unreadable_dates_are_404(self, api: Api, estate: TestEstate) -> None:
        """An unreadable `since` or `till`: 404 `Invalid date given.` (§4 InvalidDate)."""
        cal = Cal(api, estate)
        await added(cal, lunch())
        url = f"{cal.path()}/breaks"

        bad_since = await api.http.get(
            f"{url}?since=yesterday&till={q(at(TUE, '23:00'))}", headers=cal.h
        )
        bad_till = await api.http.get(
            f"{url}?since={q(at(TUE, '00:00'))}&till=2026-13-01", headers=cal.h
        )

        assert failure(bad_since, 404) == error("Invalid date given.")
        assert failure(bad_till, 404) == error("Invalid date given.")

    async def test_breaks_intersecting_the_window(self, api: Api, estate: TestEstate) -> None:
        """Every break that intersects [since, till) is listed; touching ones are not (§8.4)."""
        cal = Cal(api, estate)
        body = await added(cal, lunch())
        url = f"{cal.path()}/breaks"

        def query(since: str, till: str) -> str:
            return f"{url}?since={q(since)}&till={q(till)}"

        inside = await api.http.get(query(at(TUE, "11:30"), at(TUE, "13:00")), headers=cal.h)
        before = await api.http.get(query(at(TUE, "10:00"), at(TUE, "11:00")), headers=cal.h)
        after = await api.http.get(query(at(TUE, "12:00"), at(TUE, "13:00")), headers=cal.h)

        assert success(inside) == {"_items": [body]}
        assert success(before) == {"_items": []}
        assert success(after) == {"_items": []}


class TestGetBreak:
    async def test_read_back(self, api: Api, estate: TestEstate) -> None:
        """getCalendarBreak returns what addCalendarBreak answered (§7.2 #26)."""
        cal = Cal(api, estate)
        body = await added(cal, lunch())

        response = await api.http.get(f"{cal.path()}/breaks/{body['id']}", headers=cal.h)

        assert success(response) == body

    async def test_unknown_or_foreign_break_is_404(self, api: Api, estate: TestEstate) -> None:
        """An unknown id, a non-numeric id and another address's break: 404 `Invalid break
        ID` (§4 BreakNotFoundForGivenAddress)."""
        cal = Cal(api, estate)
        other = await added(cal, lunch(), address=2)

        for break_id in ("999999999", "abc", other["id"]):
            response = await api.http.get(f"{cal.path()}/breaks/{break_id}", headers=cal.h)

            assert failure(response, 404) == INVALID_BREAK


class TestMoveBreak:
    async def test_moved_is_204(self, api: Api, estate: TestEstate) -> None:
        """PATCH `{since, till}`: 204 with no body; the break and the hidden slots move
        (§7.2 #27)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))
        body = await added(cal, lunch(since=at(TUE, "10:00"), till=at(TUE, "11:00")))

        response = await api.http.patch(
            f"{cal.path()}/breaks/{body['id']}",
            json={"since": at(TUE, "11:00"), "till": at(TUE, "12:00")},
            headers=cal.h,
        )

        no_content(response, 204)
        moved = success(await api.http.get(f"{cal.path()}/breaks/{body['id']}", headers=cal.h))
        assert moved == {**body, "since": at(TUE, "11:00"), "till": at(TUE, "12:00")}
        assert await cal.starts(TUE) == [at(TUE, "10:00"), at(TUE, "10:30")]

    async def test_range_errors_are_422(self, api: Api, estate: TestEstate) -> None:
        """Same range (in any offset): 422 `Same Date Range`; till before since: 422 `Till
        (…) cannot be set before since (…)` in Warsaw time; empty range: 422 `Invalid date
        range` (§4)."""
        cal = Cal(api, estate)
        body = await added(cal, lunch())
        url = f"{cal.path()}/breaks/{body['id']}"
        before = await cal.state()

        same = await api.http.patch(url, json=lunch(None), headers=cal.h)
        same_utc = await api.http.patch(
            url,
            json={"since": "2026-01-06T10:00:00Z", "till": "2026-01-06T11:00:00Z"},
            headers=cal.h,
        )
        backwards = await api.http.patch(
            url, json={"since": "2026-01-06T13:00:00Z", "till": at(TUE, "10:00")}, headers=cal.h
        )
        empty = await api.http.patch(
            url, json={"since": at(TUE, "10:00"), "till": at(TUE, "10:00")}, headers=cal.h
        )

        assert failure(same, 422) == error("Same Date Range")
        assert failure(same_utc, 422) == error("Same Date Range")
        assert failure(backwards, 422) == error(
            f"Till ({at(TUE, '10:00')}) cannot be set before since ({at(TUE, '14:00')})"
        )
        assert failure(empty, 422) == error("Invalid date range")
        assert await cal.state() == before

    async def test_since_and_till_required(self, api: Api, estate: TestEstate) -> None:
        """Missing `since` or `till` when moving: 400 `Param "…" is required!` (§7.3)."""
        cal = Cal(api, estate)
        body = await added(cal, lunch())
        url = f"{cal.path()}/breaks/{body['id']}"
        before = await cal.state()

        no_since = await api.http.patch(url, json={"till": at(TUE, "13:00")}, headers=cal.h)
        no_till = await api.http.patch(url, json={"since": at(TUE, "12:00")}, headers=cal.h)

        assert failure(no_since, 400) == SINCE_REQUIRED
        assert failure(no_till, 400) == TILL_REQUIRED
        assert await cal.state() == before

    async def test_unknown_or_foreign_break_is_404(self, api: Api, estate: TestEstate) -> None:
        """Moving an unknown or another address's break: 404 `Invalid break ID` (§4)."""
        cal = Cal(api, estate)
        other = await added(cal, lunch(), address=2)
        before = await cal.state(0, 2)

        for break_id in ("999999999", other["id"]):
            response = await api.http.patch(
                f"{cal.path()}/breaks/{break_id}",
                json={"since": at(WED, "10:00"), "till": at(WED, "11:00")},
                headers=cal.h,
            )

            assert failure(response, 404) == INVALID_BREAK
        assert await cal.state(0, 2) == before


class TestDeleteBreak:
    async def test_deleted_is_204(self, api: Api, estate: TestEstate) -> None:
        """DELETE: 204; the break is gone (404 after) and its slots come back (§7.2 #28)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)))
        body = await added(cal, lunch(since=at(TUE, "10:00"), till=at(TUE, "11:00")))
        url = f"{cal.path()}/breaks/{body['id']}"

        response = await api.http.delete(url, headers=cal.h)

        no_content(response, 204)
        assert failure(await api.http.get(url, headers=cal.h), 404) == INVALID_BREAK
        assert failure(await api.http.delete(url, headers=cal.h), 404) == INVALID_BREAK
        assert await cal.starts(TUE) == [at(TUE, "10:00"), at(TUE, "10:30")]

    async def test_foreign_break_is_404(self, api: Api, estate: TestEstate) -> None:
        """Deleting another address's break through this path: 404, it stays (§4)."""
        cal = Cal(api, estate)
        other = await added(cal, lunch(), address=2)
        before = await cal.state(0, 2)

        response = await api.http.delete(f"{cal.path()}/breaks/{other['id']}", headers=cal.h)

        assert failure(response, 404) == INVALID_BREAK
        assert await cal.state(0, 2) == before


class TestCoupledBreaks:
    async def test_twin_on_the_online_address(self, api: Api, estate: TestEstate) -> None:
        """`apply_on_coupled_addresses` copies the break to the doctor's online-only address;
        the response describes only the requested one; other doctors get none (§7.3)."""
        cal = Cal(api, estate)

        body = await added(cal, lunch(apply_on_coupled_addresses=True))

        twins = await listed(cal, 1)
        assert [(t["since"], t["till"], t["description"]) for t in twins] == [
            (body["since"], body["till"], body["description"])
        ]
        assert twins[0]["id"] != body["id"]
        assert await listed(cal) == [body]
        assert failure(await cal.breaks(2), 404) == error("Calendar not found for this address")

    async def test_from_the_online_address(self, api: Api, estate: TestEstate) -> None:
        """From the online-only address the twin goes to the offline one (§7.3)."""
        cal = Cal(api, estate)

        body = await added(cal, lunch(apply_on_coupled_addresses=True), address=1)

        assert [(t["since"], t["description"]) for t in await listed(cal)] == [
            (body["since"], "Lunch")
        ]

    async def test_without_flag_no_twin(self, api: Api, estate: TestEstate) -> None:
        """Without the flag (default false) no break appears elsewhere (§7.3)."""
        cal = Cal(api, estate)
        await cal.enable(1)

        await added(cal, lunch())

        assert await listed(cal, 1) == []

    async def test_twin_moves_and_deletes_with_it(self, api: Api, estate: TestEstate) -> None:
        """Moving or deleting either break of the pair acts on both (§8.4)."""
        cal = Cal(api, estate)
        body = await added(cal, lunch(apply_on_coupled_addresses=True))
        twin = (await listed(cal, 1))[0]
        new_range = {"since": at(WED, "08:00"), "till": at(WED, "09:00")}

        moved = await api.http.patch(
            f"{cal.path()}/breaks/{body['id']}", json=new_range, headers=cal.h
        )
        after_move = await listed(cal, 1)
        moved_back = await api.http.patch(
            f"{cal.path(1)}/breaks/{twin['id']}", json=lunch(None), headers=cal.h
        )
        after_back = await listed(cal)
        deleted = await api.http.delete(f"{cal.path()}/breaks/{body['id']}", headers=cal.h)

        no_content(moved, 204)
        assert after_move == [{**twin, **new_range}]
        no_content(moved_back, 204)
        assert after_back == [body]
        no_content(deleted, 204)
        assert await listed(cal) == []
        assert await listed(cal, 1) == []

    async def test_twin_hides_online_slots(self, api: Api, estate: TestEstate) -> None:
        """The twin is a real break: it hides the online address's slots (§8.4)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "11:00"), at(TUE, "13:00"), (cal.sid(1), 30)), address=1)

        await added(cal, lunch(apply_on_coupled_addresses=True))

        assert await cal.starts(TUE, address=1) == [at(TUE, "12:00"), at(TUE, "12:30")]

    async def test_identical_break_on_twin_is_not_duplicated(
        self, api: Api, estate: TestEstate
    ) -> None:
        """If the coupled address already has that exact break, no copy is added (§8.4)."""
        cal = Cal(api, estate)
        existing = await added(cal, lunch(), address=1)

        await added(cal, lunch(apply_on_coupled_addresses=True))

        assert await listed(cal, 1) == [existing]


class TestBreakEvents:
    async def test_add_move_delete_record_events(self, api: Api, estate: TestEstate) -> None:
        """break-created, break-moved and break-removed are recorded for the break and its
        twin, with the calling client as origin; failures add none (§8.4, §11.1)."""
        cal = Cal(api, estate)
        a0, a1 = estate.address_ids[0], estate.address_ids[1]
        me = estate.client_pk
        body = await added(cal, lunch(apply_on_coupled_addresses=True))
        created = await events(api, estate)
        url = f"{cal.path()}/breaks/{body['id']}"

        await cal.add_break(lunch())
        await api.http.patch(url, json=lunch(None), headers=cal.h)
        after_failures = await events(api, estate)
        await api.http.patch(
            url, json={"since": at(WED, "08:00"), "till": at(WED, "09:00")}, headers=cal.h
        )
        moved = await events(api, estate)
        await api.http.delete(url, headers=cal.h)

        assert created == [("break-created", a0, me), ("break-created", a1, me)]
        assert after_failures == created
        assert moved[2:] == [("break-moved", a0, me), ("break-moved", a1, me)]
        assert (await events(api, estate))[4:] == [
            ("break-removed", a0, me),
            ("break-removed", a1, me),
        ]
