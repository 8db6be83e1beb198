"""Slots over HTTP: replaceSlots validation and replacement, getSlots, deleteSlots and the
`start` filter of getAddressServices (behaviour.md §4, §7.2 #10, #29-32, §7.3, §8.2-§8.3;
decisions.md "Slots and calendars")."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dpi_server.bootstrap import build, build_app
from dpi_server.config import Settings
from dpi_server.testing.clock import FakeClock
from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import (
    ADDRESS_SERVICE_KEYS,
    MON,
    TUE,
    WARSAW,
    WED,
    Cal,
    at,
    error,
    invalid,
    no_content,
    period,
    q,
)
from tests.api.support import failure, success
from tests.conftest import Api

MIN_LENGTH = "The end date must be at least 1 minute after the start date"
NOT_COMMERCIAL = "Cannot activate calendar on address {}, profile/address is not commercial"
MISSING_PROVIDERS = (
    "Slot requires insurance (with-insurance-only), but insurance providers are missing"
)
PROVIDERS_NOT_SUPPORTED = (
    "Insurance providers are not supported. Slot does not allow insurances (without-insurance-only)"
)


def half_hours(day: str, first: str, count: int) -> list[str]:
    """`count` consecutive 30-minute starts from `first` (HH:MM) on `day`."""
    hour, minute = (int(x) for x in first.split(":"))
    out = []
    for i in range(count):
        total = hour * 60 + minute + 30 * i
        out.append(at(day, f"{total // 60:02d}:{total % 60:02d}"))
    return out


async def published_tuesday(cal: Cal) -> None:
    """Tuesday 10:00-12:00 with the 30-minute service: four slots."""
    await cal.publish(period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)))


async def link_provider(cal: Cal, provider_id: int) -> None:
    response = await cal.http.post(
        f"{cal.path()}/insurance-providers",
        json={"insurance_provider_id": str(provider_id)},
        headers=cal.h,
    )
    assert response.status_code == 204, response.text


class TestReplaceSlots:
    async def test_created_without_body(self, api: Api, estate: TestEstate) -> None:
        """replaceSlots answers 201 with no body and the periods become slots (§8.2)."""
        cal = Cal(api, estate)

        response = await cal.put([period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30))])

        no_content(response, 201)
        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 4)

    async def test_creates_the_calendar(self, api: Api, estate: TestEstate) -> None:
        """Publishing slots on an address without a calendar creates it, enabled (§7.1)."""
        cal = Cal(api, estate)

        await published_tuesday(cal)

        assert success(await cal.calendar()) == {"status": "enabled"}

    async def test_grid_is_gcd_of_durations(self, api: Api, estate: TestEstate) -> None:
        """A period with 20- and 30-minute services is cut every 10 minutes (§8.2)."""
        cal = Cal(api, estate)

        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30), (cal.sid(0, 1), 20))
        )

        assert await cal.starts(TUE) == [at(TUE, f"10:{m}0") for m in range(5)]

    async def test_unknown_address_service_is_400(self, api: Api, estate: TestEstate) -> None:
        """An address_service_id that exists nowhere or was deleted: 400 `Address service does
        not exist`, and the day keeps its availability (§4, §8.2)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        deleted = cal.sid(0, 1)
        no_content(await api.http.delete(f"{cal.path()}/services/{deleted}", headers=cal.h), 204)
        before = await cal.state()

        for unknown in ("999999999", "abc", deleted):
            response = await cal.put([period(at(TUE, "13:00"), at(TUE, "14:00"), (unknown, 30))])

            assert failure(response, 400) == error("Address service does not exist")
        assert await cal.state() == before

    async def test_other_address_service_is_400(self, api: Api, estate: TestEstate) -> None:
        """An address service of another address (even the same doctor's): 400 (§7.1)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()

        for other in (cal.sid(1), cal.sid(2)):
            response = await cal.put(
                [
                    period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30)),
                    period(at(WED, "13:00"), at(WED, "14:00"), (cal.sid(), 30), (other, 30)),
                ]
            )

            assert failure(response, 400) == error("Address service does not exist")
        assert await cal.state() == before

    async def test_crossing_midnight_is_400(self, api: Api, estate: TestEstate) -> None:
        """A period past its day's end: 400 naming both ends as ATOM in Europe/Warsaw, even
        when sent in UTC (§4 SlotExceedsSingleDayBoundary, decisions.md "Locales")."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()

        response = await cal.put(
            [period("2026-01-06T22:30:00Z", "2026-01-07T00:30:00Z", (cal.sid(), 30))]
        )

        assert failure(response, 400) == error(
            "Slot for date range 2026-01-06T23:30:00+01:00 - 2026-01-07T01:30:00+01:00 "
            "exceeds a single day boundary"
        )
        assert await cal.state() == before

    async def test_ending_at_midnight_stays_in_the_day(self, api: Api, estate: TestEstate) -> None:
        """A period ending exactly at the next midnight is within its day: 201 (§8.2)."""
        cal = Cal(api, estate)

        response = await cal.put([period(at(TUE, "23:00"), at(WED, "00:00"), (cal.sid(), 30))])

        no_content(response, 201)
        assert await cal.starts(TUE) == [at(TUE, "23:00"), at(TUE, "23:30")]
        assert await cal.starts(WED) == []

    async def test_shorter_than_a_minute_is_400(self, api: Api, estate: TestEstate) -> None:
        """Empty, 30-second and reversed periods: a field error keyed
        `slots[i].minimumDifferenceBetweenDates` (§4 SlotDurationIsLessThanOneMinute)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()
        good = period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30))

        for start, end in (
            (at(TUE, "15:00"), at(TUE, "15:00")),
            ("2026-01-06T15:00:00+01:00", "2026-01-06T15:00:30+01:00"),
            (at(TUE, "16:00"), at(TUE, "15:00")),
        ):
            response = await cal.put([good, period(start, end, (cal.sid(), 30))])

            assert failure(response, 400) == invalid(
                {"slots[1].minimumDifferenceBetweenDates": [MIN_LENGTH]}
            )
        assert await cal.state() == before

    async def test_beyond_twelve_weeks_is_400(self, api: Api, estate: TestEstate) -> None:
        """An end after now + 12 weeks: field error on `slots[i].end` with the limit as
        `dd.mm.YYYY, HH:MM` in Warsaw (here already summer time) (§4, §8.2)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()
        limit = (api.clock.now() + timedelta(weeks=12)).astimezone(WARSAW)
        stamp = limit.strftime("%d.%m.%Y, %H:%M")
        day = limit.date().isoformat()

        response = await cal.put(
            [
                period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30)),
                period(at(day, "09:00", "+02:00"), at(day, "10:01", "+02:00"), (cal.sid(), 30)),
            ]
        )

        assert stamp == "30.03.2026, 10:00"
        assert failure(response, 400) == invalid(
            {"slots[1].end": [f"End date should be less than or equal to {stamp}."]}
        )
        assert await cal.state() == before

    async def test_twelve_weeks_exactly_is_accepted(self, api: Api, estate: TestEstate) -> None:
        """An end exactly at now + 12 weeks is allowed; the limit moves with the clock (§8.2)."""
        cal = Cal(api, estate)
        limit_day = "2026-03-30"
        later = [
            period(
                at(limit_day, "10:00", "+02:00"), at(limit_day, "11:00", "+02:00"), (cal.sid(), 30)
            )
        ]

        exact = await cal.put(
            [
                period(
                    at(limit_day, "09:00", "+02:00"),
                    at(limit_day, "10:00", "+02:00"),
                    (cal.sid(), 30),
                )
            ]
        )
        too_far = await cal.put(later)
        api.clock.advance(hours=1)
        next_hour = await cal.put(later)

        no_content(exact, 201)
        assert failure(too_far, 400)["errors"] == {
            "slots[0].end": ["End date should be less than or equal to 30.03.2026, 10:00."]
        }
        no_content(next_hour, 201)

    async def test_field_errors_are_collected(self, api: Api, estate: TestEstate) -> None:
        """Field errors of several periods come together in one `errors` map (§4)."""
        cal = Cal(api, estate)
        before = await cal.state()

        response = await cal.put(
            [
                period(at(TUE, "15:00"), at(TUE, "15:00"), (cal.sid(), 30)),
                period(
                    at("2026-04-20", "09:00", "+02:00"),
                    at("2026-04-20", "10:00", "+02:00"),
                    (cal.sid(), 30),
                ),
            ]
        )

        assert failure(response, 400) == invalid(
            {
                "slots[0].minimumDifferenceBetweenDates": [MIN_LENGTH],
                "slots[1].end": ["End date should be less than or equal to 30.03.2026, 10:00."],
            }
        )
        assert await cal.state() == before

    async def test_overlapping_periods_are_400(self, api: Api, estate: TestEstate) -> None:
        """Overlapping periods in one payload: 400 with a field-keyed map (decisions.md)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()

        response = await cal.put(
            [
                period(at(TUE, "13:00"), at(TUE, "15:00"), (cal.sid(), 30)),
                period(at(TUE, "14:30"), at(TUE, "16:00"), (cal.sid(0, 1), 20)),
            ]
        )

        assert failure(response, 400) == invalid(
            {"slots[1].start": ["The slot overlaps slots[0] of the same request."]}
        )
        assert await cal.state() == before

    async def test_touching_periods_are_fine(self, api: Api, estate: TestEstate) -> None:
        """Periods that only touch do not overlap: 201, both offered (decisions.md)."""
        cal = Cal(api, estate)

        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)),
            period(at(TUE, "11:00"), at(TUE, "12:00"), (cal.sid(), 30)),
        )

        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 4)


class TestReplaceSlotsInsurance:
    async def test_with_insurance_only_needs_providers(self, api: Api, estate: TestEstate) -> None:
        """`with-insurance-only` with no or empty providers: 400 (§4 InsuranceProvidersMissing)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()
        variants: list[dict[str, Any]] = [
            {},
            {"insurance_providers": None},
            {"insurance_providers": []},
        ]

        for providers in variants:
            response = await cal.put(
                [
                    period(
                        at(TUE, "13:00"),
                        at(TUE, "14:00"),
                        (cal.sid(), 30),
                        insurance_accepted="with-insurance-only",
                        **providers,
                    )
                ]
            )

            assert failure(response, 400) == error(MISSING_PROVIDERS)
        assert await cal.state() == before

    async def test_without_insurance_only_forbids_providers(
        self, api: Api, estate: TestEstate
    ) -> None:
        """`without-insurance-only` with providers: 400 InsuranceProvidersNotSupported (§4)."""
        cal = Cal(api, estate)
        await link_provider(cal, estate.provider_ids[0])
        await published_tuesday(cal)
        before = await cal.state()

        response = await cal.put(
            [
                period(
                    at(TUE, "13:00"),
                    at(TUE, "14:00"),
                    (cal.sid(), 30),
                    insurance_accepted="without-insurance-only",
                    insurance_providers=[estate.provider_ids[0]],
                )
            ]
        )

        assert failure(response, 400) == error(PROVIDERS_NOT_SUPPORTED)
        assert await cal.state() == before

    async def test_unlinked_provider_is_400(self, api: Api, estate: TestEstate) -> None:
        """Providers not linked to the address are listed in the message, stray quote
        included (§4 InsuranceProviderDoesNotExist)."""
        cal = Cal(api, estate)
        linked, unlinked = estate.provider_ids
        await link_provider(cal, linked)
        await published_tuesday(cal)
        before = await cal.state()
        address = estate.address_ids[0]

        one = await cal.put(
            [
                period(
                    at(TUE, "13:00"),
                    at(TUE, "14:00"),
                    (cal.sid(), 30),
                    insurance_providers=[unlinked],
                )
            ]
        )
        two = await cal.put(
            [
                period(
                    at(TUE, "13:00"),
                    at(TUE, "14:00"),
                    (cal.sid(), 30),
                    insurance_accepted="with-insurance-only",
                    insurance_providers=[linked, unlinked, 999999999],
                )
            ]
        )

        assert failure(one, 400) == error(
            f"Insurance provider(s) with id ({unlinked}) not found for address id ({address})'"
        )
        assert failure(two, 400) == error(
            f"Insurance provider(s) with id ({unlinked}, 999999999) not found for address id "
            f"({address})'"
        )
        assert await cal.state() == before

    async def test_linked_provider_is_accepted(self, api: Api, estate: TestEstate) -> None:
        """`with-insurance-only` with a linked provider: 201 and the slots are offered (§8.2)."""
        cal = Cal(api, estate)
        await link_provider(cal, estate.provider_ids[0])

        response = await cal.put(
            [
                period(
                    at(TUE, "10:00"),
                    at(TUE, "11:00"),
                    (cal.sid(), 30),
                    insurance_accepted="with-insurance-only",
                    insurance_providers=[estate.provider_ids[0]],
                )
            ]
        )

        no_content(response, 201)
        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 2)

    async def test_unknown_insurance_accepted_is_400(self, api: Api, estate: TestEstate) -> None:
        """An `insurance_accepted` outside the three values: field error (wire.md §3.3)."""
        cal = Cal(api, estate)
        before = await cal.state()

        response = await cal.put(
            [
                period(
                    at(TUE, "10:00"),
                    at(TUE, "11:00"),
                    (cal.sid(), 30),
                    insurance_accepted="sometimes",
                )
            ]
        )

        assert failure(response, 400) == invalid(
            {"slots[0].insurance_accepted": ["The value you selected is not a valid choice."]}
        )
        assert await cal.state() == before


class TestReplaceSlotsMalformed:
    async def _rejected(self, cal: Cal, body: Any, errors: dict[str, list[str]]) -> None:
        before = await cal.state()

        response = await cal.http.put(f"{cal.path()}/slots", json=body, headers=cal.h)

        assert failure(response, 400) == invalid(errors)
        assert await cal.state() == before

    async def test_missing_slots(self, api: Api, estate: TestEstate) -> None:
        """A body without `slots`: 400 `Invalid arguments` keyed `slots` (wire.md §3.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        await self._rejected(cal, {}, {"slots": ["Field required"]})

    async def test_slots_not_a_list(self, api: Api, estate: TestEstate) -> None:
        """`slots` that is not an array: 400 keyed `slots` (wire.md §3.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        await self._rejected(cal, {"slots": "monday"}, {"slots": ["Input should be a valid list"]})

    async def test_bad_date_strings(self, api: Api, estate: TestEstate) -> None:
        """Unreadable or offset-less date-times: 400 keyed by field (§3 Dates)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        services = [{"address_service_id": cal.sid(), "duration": 30}]

        await self._rejected(
            cal,
            {
                "slots": [
                    {"start": "tomorrow", "end": at(TUE, "14:00"), "address_services": services},
                    {
                        "start": at(WED, "10:00"),
                        "end": "2026-01-07T11:00:00",
                        "address_services": services,
                    },
                ]
            },
            {
                "slots[0].start": ["This value is not a valid datetime."],
                "slots[1].end": ["This value is not a valid datetime."],
            },
        )

    async def test_missing_period_fields(self, api: Api, estate: TestEstate) -> None:
        """A period without `end` and a service without `duration`: 400 keyed by path."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        await self._rejected(
            cal,
            {
                "slots": [
                    {"start": at(TUE, "10:00")},
                    {
                        "start": at(WED, "10:00"),
                        "end": at(WED, "11:00"),
                        "address_services": [{"address_service_id": cal.sid()}],
                    },
                ]
            },
            {
                "slots[0].end": ["Field required"],
                "slots[1].address_services[0].duration": ["Field required"],
            },
        )

    async def test_duration_as_string(self, api: Api, estate: TestEstate) -> None:
        """A duration sent as the string "30" is not an integer: 400 (wire.md §3.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        await self._rejected(
            cal,
            {
                "slots": [
                    {
                        "start": at(TUE, "13:00"),
                        "end": at(TUE, "14:00"),
                        "address_services": [{"address_service_id": cal.sid(), "duration": "30"}],
                    }
                ]
            },
            {"slots[0].address_services[0].duration": ["Input should be a valid integer"]},
        )

    async def test_duration_zero(self, api: Api, estate: TestEstate) -> None:
        """A service duration of 0 leaves no grid: 400 keyed by the duration's path."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        await self._rejected(
            cal,
            {"slots": [period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 0))]},
            {"slots[0].address_services[0].duration": ["This value should be positive."]},
        )

    async def test_not_json(self, api: Api, estate: TestEstate) -> None:
        """A body that is not JSON: 400 `Invalid arguments` (decisions.md "Wire format")."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()

        response = await api.http.put(
            f"{cal.path()}/slots",
            content=b"{slots: [",
            headers={**cal.h, "Content-Type": "application/json"},
        )

        assert failure(response, 400)["message"] == "Invalid arguments"
        assert await cal.state() == before

    async def test_not_commercial_is_422(self, api: Api, estate: TestEstate) -> None:
        """replaceSlots on a basic address: 422 not commercial (§8.2)."""
        cal = Cal(api, estate)
        before = await cal.state(4)

        response = await cal.put(
            [period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(4), 30))], address=4
        )

        assert failure(response, 422) == error(NOT_COMMERCIAL.format(estate.address_ids[4]))
        assert await cal.state(4) == before


class TestReplaceSlotsDayByDay:
    async def test_other_days_untouched(self, api: Api, estate: TestEstate) -> None:
        """A PUT for one day replaces that whole day only (decisions.md "Slots")."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)),
            period(at(TUE, "14:00"), at(TUE, "15:00"), (cal.sid(), 30)),
            period(at(WED, "10:00"), at(WED, "11:00"), (cal.sid(), 30)),
        )

        await cal.publish(period(at(TUE, "14:30"), at(TUE, "15:30"), (cal.sid(), 30)))

        assert await cal.starts(TUE) == half_hours(TUE, "14:30", 2)
        assert await cal.starts(WED) == half_hours(WED, "10:00", 2)

    async def test_null_or_empty_services_clear_the_day(self, api: Api, estate: TestEstate) -> None:
        """`address_services` null or [] stores nothing and clears its day (§8.2)."""
        cal = Cal(api, estate)
        thu = "2026-01-08"
        await cal.publish(
            *(
                period(at(day, "10:00"), at(day, "11:00"), (cal.sid(), 30))
                for day in (TUE, WED, thu)
            )
        )

        await cal.publish(
            {"start": at(TUE, "12:00"), "end": at(TUE, "13:00"), "address_services": None}
        )
        await cal.publish(period(at(WED, "12:00"), at(WED, "13:00")))

        assert await cal.starts(TUE) == []
        assert await cal.starts(WED) == []
        assert await cal.starts(thu) == half_hours(thu, "10:00", 2)

    async def test_days_are_warsaw_days(self, api: Api, estate: TestEstate) -> None:
        """A clearing period sent in UTC clears the Warsaw day it falls on: 23:30Z on
        Tuesday is Wednesday 00:30 in Warsaw (decisions.md "Locales")."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)),
            period(at(WED, "10:00"), at(WED, "11:00"), (cal.sid(), 30)),
        )

        await cal.publish(period("2026-01-06T23:30:00Z", "2026-01-06T23:45:00Z"))

        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 2)
        assert await cal.starts(WED) == []

    async def test_dst_day(self, api: Api, estate: TestEstate) -> None:
        """On the spring-forward day (23 hours) a whole-day period is within the day and its
        slots are rendered with the offset of each instant (decisions.md "Locales")."""
        cal = Cal(api, estate)
        day = "2026-03-29"

        await cal.publish(
            period(at(day, "01:00"), at(day, "04:00", "+02:00"), (cal.sid(), 60)),
            period(at(day, "22:00", "+02:00"), "2026-03-30T00:00:00+02:00", (cal.sid(), 60)),
        )

        body = success(await cal.slots(at(day, "00:00"), "2026-03-30T00:00:00+02:00"))
        assert [s["start"] for s in body["_items"]] == [
            at(day, "01:00"),
            at(day, "03:00", "+02:00"),
            at(day, "22:00", "+02:00"),
            at(day, "23:00", "+02:00"),
        ]

    async def test_clearing_only_never_publishes(self, api: Api, estate: TestEstate) -> None:
        """A payload that only clears stores nothing: getSlots still says 404 (decisions.md)."""
        cal = Cal(api, estate)

        await cal.publish(period(at(TUE, "12:00"), at(TUE, "13:00")))

        response = await cal.slots(at(TUE, "00:00"), at(TUE, "23:59"))
        assert failure(response, 404) == error("No slots found on given address")


class TestReplaceSlotsDuplicates:
    async def test_identical_payload_within_three_minutes_is_ignored(
        self, api: Api, estate: TestEstate
    ) -> None:
        """The same payload again within 3 minutes is answered 201 and ignored; after
        3 minutes it applies (§8.2 duplicate-request rule)."""
        cal = Cal(api, estate)
        first = [period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30))]
        second = [period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30))]
        no_content(await cal.put(first), 201)
        no_content(await cal.put(second), 201)
        api.clock.advance(minutes=2, seconds=59)

        ignored = await cal.put(first)
        after_ignored = await cal.starts(TUE)
        api.clock.advance(seconds=2)
        applied = await cal.put(first)

        no_content(ignored, 201)
        assert after_ignored == half_hours(TUE, "13:00", 2)
        no_content(applied, 201)
        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 2)

    async def test_duplicates_are_per_address(self, api: Api, estate: TestEstate) -> None:
        """The rule keys on address and payload: the same body sent to another address
        within 3 minutes applies there (§8.2)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(1), 30)), address=1)
        clearing = [period(at(TUE, "12:00"), at(TUE, "13:00"))]
        no_content(await cal.put(clearing), 201)

        other = await cal.put(clearing, address=1)

        no_content(other, 201)
        assert await cal.starts(TUE, address=1) == []

    async def test_identical_payload_in_flight_is_429(self, api: Api, estate: TestEstate) -> None:
        """While an identical payload is still being applied: 429 `Too Many Requests` with
        `Retry-After`, nothing applied twice; once the first finished, the same payload is
        201 and ignored (§8.2)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        body = {"slots": [period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30))]}

        async with _address_write_lock(api, estate.address_ids[0]):
            first = asyncio.create_task(cal.put(body))
            await _until(lambda: bool(api.container.services.calendar.applying))
            in_flight = await cal.put(body)
        applied = await first
        again = await cal.put(body)

        assert failure(in_flight, 429) == error("Too Many Requests")
        assert in_flight.headers["retry-after"] == "1"
        no_content(applied, 201)
        no_content(again, 201)
        assert await cal.starts(TUE) == half_hours(TUE, "13:00", 2)

    @pytest.mark.postgres
    async def test_identical_payload_in_flight_in_another_process_is_429(
        self, api: Api, estate: TestEstate, settings: Settings, clock: FakeClock
    ) -> None:
        """Two API processes on one PostgreSQL: the second identical PUT while the first is
        applied answers 429, never 500, and the payload is applied once (§8.2)."""
        if api.container.engine.dialect.name != "postgresql":
            pytest.skip("cross-process in-flight detection is PostgreSQL's advisory lock")
        cal = Cal(api, estate)
        await published_tuesday(cal)
        body = {"slots": [period(at(TUE, "13:00"), at(TUE, "14:00"), (cal.sid(), 30))]}
        other = build(settings, clock=clock)
        try:
            transport = httpx.ASGITransport(app=build_app(other))
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as b:
                async with _address_write_lock(api, estate.address_ids[0]):
                    first = asyncio.create_task(cal.put(body))
                    await _until(lambda: _advisory_locks(api))
                    second = await b.put(f"{cal.path()}/slots", json=body, headers=cal.h)
                applied = await first
        finally:
            await other.close()

        assert failure(second, 429) == error("Too Many Requests")
        no_content(applied, 201)
        assert await cal.starts(TUE) == half_hours(TUE, "13:00", 2)

    async def test_rejected_payload_is_not_remembered(self, api: Api, estate: TestEstate) -> None:
        """A payload refused with 400 is refused again, not answered 201 (§8.2)."""
        cal = Cal(api, estate)
        bad = [period(at(TUE, "10:00"), at(TUE, "11:00"), ("999999999", 30))]

        first = await cal.put(bad)
        again = await cal.put(bad)

        assert failure(first, 400) == error("Address service does not exist")
        assert failure(again, 400) == error("Address service does not exist")


class TestReplaceSlotsPast:
    async def test_past_periods_accepted_past_starts_hidden(
        self, api: Api, estate: TestEstate
    ) -> None:
        """Past periods are stored (201) but start times before now are never offered;
        now (09:00 local) itself is (decisions.md "Slots and calendars")."""
        cal = Cal(api, estate)
        sunday = "2026-01-04"

        response = await cal.put(
            [
                period(at(sunday, "10:00"), at(sunday, "12:00"), (cal.sid(), 30)),
                period(at(MON, "07:00"), at(MON, "10:30"), (cal.sid(), 30)),
            ]
        )

        no_content(response, 201)
        assert await cal.starts(sunday) == []
        assert await cal.starts(MON) == half_hours(MON, "09:00", 3)

    async def test_slots_disappear_as_time_passes(self, api: Api, estate: TestEstate) -> None:
        """A slot whose start has passed is no longer listed (decisions.md)."""
        cal = Cal(api, estate)
        await cal.publish(period(at(MON, "09:00"), at(MON, "11:00"), (cal.sid(), 30)))

        api.clock.advance(minutes=31)

        assert await cal.starts(MON) == half_hours(MON, "10:00", 2)


class TestGetSlots:
    async def test_start_and_end_required(self, api: Api, estate: TestEstate) -> None:
        """`start` and `end` are required: 400 with the field named (§7.2 #29)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        path = f"{cal.path()}/slots"
        blank = ["This value should not be blank."]

        no_start = await api.http.get(f"{path}?end={q(at(TUE, '23:00'))}", headers=cal.h)
        no_end = await api.http.get(f"{path}?start={q(at(TUE, '00:00'))}", headers=cal.h)
        neither = await api.http.get(path, headers=cal.h)

        assert failure(no_start, 400) == invalid({"start": blank})
        assert failure(no_end, 400) == invalid({"end": blank})
        assert failure(neither, 400) == invalid({"start": blank})

    async def test_unreadable_dates_are_400(self, api: Api, estate: TestEstate) -> None:
        """An unreadable `start`: 400 keyed `start`; `end` before `start`: keyed `end`."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        bad = await cal.slots("06.01.2026", at(TUE, "23:00"))
        reversed_ = await cal.slots(at(TUE, "23:00"), at(TUE, "00:00"))

        assert failure(bad, 400) == invalid({"start": ["This value is not a valid datetime."]})
        assert failure(reversed_, 400) == invalid(
            {"end": ["The end date must be after the start date."]}
        )

    async def test_range_over_180_days_is_400(self, api: Api, estate: TestEstate) -> None:
        """More than 180 days: 400 `Date range must not exceed 180 days`; exactly 180 is
        allowed (§4 DateRangeExceedsMaximum)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        too_long = await cal.slots("2026-01-01T00:00:00Z", "2026-06-30T00:00:01Z")
        exactly = await cal.slots("2026-01-01T00:00:00Z", "2026-06-30T00:00:00Z")

        assert failure(too_long, 400) == error("Date range must not exceed 180 days")
        assert len(success(exactly)["_items"]) == 4

    async def test_never_published_is_404(self, api: Api, estate: TestEstate) -> None:
        """An address that never had slots: 404 `No slots found on given address`, with or
        without a calendar (§4 NoSlotsOnAddress, decisions.md)."""
        cal = Cal(api, estate)

        before_calendar = await cal.slots(at(TUE, "00:00"), at(TUE, "23:59"))
        await cal.enable()
        with_calendar = await cal.slots(at(TUE, "00:00"), at(TUE, "23:59"))

        assert failure(before_calendar, 404) == error("No slots found on given address")
        assert failure(with_calendar, 404) == error("No slots found on given address")

    async def test_empty_range_is_200(self, api: Api, estate: TestEstate) -> None:
        """Slots published elsewhere, none in the range: 200 `{"_items": []}` (decisions.md)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        response = await cal.slots(at(WED, "00:00"), at(WED, "23:59"))

        assert success(response) == {"_items": []}

    async def test_window_is_half_open(self, api: Api, estate: TestEstate) -> None:
        """Slots starting in [start, end) are listed: the end itself is excluded (§8.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        response = await cal.slots(at(TUE, "10:30"), at(TUE, "11:30"))

        assert success(response) == {
            "_items": [{"start": at(TUE, "10:30")}, {"start": at(TUE, "11:00")}]
        }

    async def test_any_offset_is_rendered_in_warsaw(self, api: Api, estate: TestEstate) -> None:
        """`Z`, `+0100` and a `+` decoded to a space are all read; output is Warsaw time
        (§3 Dates, decisions.md "Locales")."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        expected = {"_items": [{"start": at(TUE, "10:00")}]}

        utc = await cal.slots("2026-01-06T09:00:00Z", "2026-01-06T09:30:00Z")
        compact = await cal.slots("2026-01-06T10:00:00+0100", "2026-01-06T10:30:00+0100")
        raw_plus = await api.http.get(
            f"{cal.path()}/slots?start=2026-01-06T10:00:00+01:00&end=2026-01-06T10:30:00+01:00",
            headers=cal.h,
        )

        assert success(utc) == expected
        assert success(compact) == expected
        assert success(raw_plus) == expected

    async def test_with_slot_services(self, api: Api, estate: TestEstate) -> None:
        """`with=slot.services` lists each slot's services with their duration; a service
        that does not fit before the period's end is left out (§5, §8.3)."""
        cal = Cal(api, estate)
        s30, s20 = cal.sid(), cal.sid(0, 1)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "10:40"), (s30, 30), (s20, 20)))

        response = await cal.slots(at(TUE, "10:00"), at(TUE, "11:00"), extra="&with=slot.services")

        items = success(response)["_items"]
        assert [i["start"] for i in items] == [at(TUE, "10:00"), at(TUE, "10:10"), at(TUE, "10:20")]
        listed = [
            [(s["id"], s["duration"]) for s in i["address_services"]["_items"]] for i in items
        ]
        assert listed == [[(s30, 30), (s20, 20)], [(s30, 30), (s20, 20)], [(s20, 20)]]
        first = items[0]["address_services"]["_items"][0]
        assert set(first) == ADDRESS_SERVICE_KEYS | {"duration"}
        assert first["name"].startswith("Consultation")

    async def test_without_with_there_are_no_services(self, api: Api, estate: TestEstate) -> None:
        """Without the extension a slot is only `{start}` (§8.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        items = success(await cal.slots(at(TUE, "10:00"), at(TUE, "10:30")))["_items"]

        assert items == [{"start": at(TUE, "10:00")}]

    async def test_deleted_service_is_no_longer_offered(self, api: Api, estate: TestEstate) -> None:
        """Deleting an address service removes it from the slots it was offered in (§7.1)."""
        cal = Cal(api, estate)
        s30, s20 = cal.sid(), cal.sid(0, 1)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "11:00"), (s30, 30), (s20, 20)))

        deleted = await api.http.delete(f"{cal.path()}/services/{s20}", headers=cal.h)

        assert deleted.status_code == 204
        items = success(
            await cal.slots(at(TUE, "10:00"), at(TUE, "11:00"), extra="&with=slot.services")
        )["_items"]
        assert [i["start"] for i in items] == [at(TUE, "10:00"), at(TUE, "10:30")]
        assert {s["id"] for i in items for s in i["address_services"]["_items"]} == {s30}
        plain = success(await cal.slots(at(TUE, "10:00"), at(TUE, "11:00")))["_items"]
        assert plain == [{"start": at(TUE, "10:00")}, {"start": at(TUE, "10:30")}]


class TestDeleteSlots:
    async def test_date_removes_the_day_keeps_bookings(self, api: Api, estate: TestEstate) -> None:
        """`DELETE slots/YYYY-MM-DD`: 204, the day's slots gone, other days and bookings
        kept (§8.3, decisions.md)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)),
            period(at(WED, "10:00"), at(WED, "11:00"), (cal.sid(), 30)),
        )
        booking = await cal.booked(at(TUE, "10:00"))

        response = await api.http.delete(f"{cal.path()}/slots/{TUE}", headers=cal.h)

        no_content(response, 204)
        assert await cal.starts(TUE) == []
        assert await cal.starts(WED) == half_hours(WED, "10:00", 2)
        listed = success(await cal.bookings())["_items"]
        assert [(b["id"], b["status"]) for b in listed] == [(booking["id"], "booked")]

    async def test_full_date_time(self, api: Api, estate: TestEstate) -> None:
        """A percent-encoded date-time names the Warsaw day it falls on: 23:30Z on Tuesday
        is Wednesday in Warsaw (wire.md §1.5, decisions.md "Locales")."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(TUE, "10:00"), at(TUE, "11:00"), (cal.sid(), 30)),
            period(at(WED, "10:00"), at(WED, "11:00"), (cal.sid(), 30)),
        )

        response = await api.http.delete(
            f"{cal.path()}/slots/{q('2026-01-06T23:30:00Z')}", headers=cal.h
        )
        atom = await api.http.delete(f"{cal.path()}/slots/{q(at(TUE, '00:00'))}", headers=cal.h)

        no_content(response, 204)
        no_content(atom, 204)
        assert await cal.starts(TUE) == []
        assert await cal.starts(WED) == []

    async def test_invalid_date_is_404(self, api: Api, estate: TestEstate) -> None:
        """An unreadable or impossible date: 404 `Invalid date given.`, nothing removed."""
        cal = Cal(api, estate)
        await published_tuesday(cal)
        before = await cal.state()

        for bad in ("2026-02-30", "tomorrow", "06.01.2026"):
            response = await api.http.delete(f"{cal.path()}/slots/{bad}", headers=cal.h)

            assert failure(response, 404) == error("Invalid date given.")
        assert await cal.state() == before

    async def test_day_without_slots_is_204(self, api: Api, estate: TestEstate) -> None:
        """Deleting a day that has no slots is still 204, and the rest stays (§8.3)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        response = await api.http.delete(f"{cal.path()}/slots/{WED}", headers=cal.h)

        no_content(response, 204)
        assert await cal.starts(TUE) == half_hours(TUE, "10:00", 4)


class TestServicesAtSlot:
    def _url(self, cal: Cal, start: str, extra: str = "") -> str:
        return f"{cal.path()}/services?start={q(start)}{extra}"

    async def test_services_of_the_free_slot(self, api: Api, estate: TestEstate) -> None:
        """`?start=` lists the services bookable in the slot at that time, with `duration`
        (§7.3 getAddressServices `start` filter)."""
        cal = Cal(api, estate)
        s30, s20 = cal.sid(), cal.sid(0, 1)
        await cal.publish(period(at(TUE, "10:00"), at(TUE, "10:40"), (s30, 30), (s20, 20)))

        both = success(await api.http.get(self._url(cal, at(TUE, "10:00")), headers=cal.h))
        late = success(await api.http.get(self._url(cal, "2026-01-06T09:20:00Z"), headers=cal.h))

        assert [(s["id"], s["duration"]) for s in both["_items"]] == [(s30, 30), (s20, 20)]
        assert set(both["_items"][0]) == ADDRESS_SERVICE_KEYS | {"duration"}
        assert [(s["id"], s["duration"]) for s in late["_items"]] == [(s20, 20)]

    async def test_extensions_apply(self, api: Api, estate: TestEstate) -> None:
        """`with` extensions still apply with `start` (§5)."""
        cal = Cal(api, estate)
        await published_tuesday(cal)

        body = success(
            await api.http.get(
                self._url(cal, at(TUE, "10:00"), "&with=address_service.custom_name"),
                headers=cal.h,
            )
        )

        assert body["_items"][0]["custom_name"] is None
        assert body["_items"][0]["duration"] == 30

    async def test_no_free_slot_is_404(self, api: Api, estate: TestEstate) -> None:
        """No free slot starting then (outside, off-grid, booked, on a break, past,
        unreadable): 404 `Slot not found` (§4, observed in the sandbox)."""
        cal = Cal(api, estate)
        await cal.publish(
            period(at(MON, "08:00"), at(MON, "12:00"), (cal.sid(), 30)),
            period(at(TUE, "10:00"), at(TUE, "12:00"), (cal.sid(), 30)),
        )
        await cal.booked(at(TUE, "10:00"))
        assert (
            await cal.add_break({"since": at(TUE, "11:00"), "till": at(TUE, "11:30")})
        ).status_code == 201

        for start in (
            at(TUE, "14:00"),
            at(TUE, "10:15"),
            at(TUE, "10:00"),
            at(TUE, "11:00"),
            at(MON, "08:30"),
            "yesterday",
        ):
            response = await api.http.get(self._url(cal, start), headers=cal.h)

            assert failure(response, 404) == error("Slot not found"), start
        assert success(await api.http.get(self._url(cal, at(TUE, "10:30")), headers=cal.h))

    async def test_never_published_is_404(self, api: Api, estate: TestEstate) -> None:
        """An address without any availability: 404 `Slot not found`."""
        cal = Cal(api, estate)

        response = await api.http.get(self._url(cal, at(TUE, "10:00")), headers=cal.h)

        assert failure(response, 404) == error("Slot not found")


@contextlib.asynccontextmanager
async def _address_write_lock(api: Api, address_id: int) -> AsyncIterator[None]:
    """Hold what a writer of this address waits for: the SQLite write lock, or the
    address's row lock on PostgreSQL."""
    engine = api.container.engine
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            if engine.dialect.name == "postgresql":
                await conn.execute(
                    sa.text("SELECT id FROM addresses WHERE id = :id FOR UPDATE"),
                    {"id": address_id},
                )
            yield


async def _advisory_locks(api: Api) -> bool:
    async with api.container.engine.connect() as conn:
        held = await conn.scalar(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        )
    return bool(held)


async def _until(condition: Callable[[], object]) -> None:
    """Wait (bounded) until `condition()` (sync or async) holds."""
    for _ in range(500):
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")
