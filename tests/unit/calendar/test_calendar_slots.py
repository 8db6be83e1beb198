"""The slot grid, free slots and booking checks (spec/behaviour.md §8.2-§8.5, decisions.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dpi_server.domain.calendar import (
    BookingCheck,
    FreeSlot,
    Interval,
    PeriodService,
    WorkPeriod,
    check_booking,
    epoch_micros,
    free_slots,
    free_starts,
    grid_step,
    overlaps,
    slot_at,
)

WARSAW = ZoneInfo("Europe/Warsaw")
EARLY = datetime(2020, 1, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    """An aware datetime from an ISO string with an offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def local(text: str) -> datetime:
    """A wall-clock time in Warsaw, `YYYY-MM-DD HH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=WARSAW)


def period(start: str, end: str, *services: tuple[int, int]) -> WorkPeriod:
    return WorkPeriod(
        start=at(start),
        end=at(end),
        services=tuple(PeriodService(sid, duration) for sid, duration in services),
    )


def starts(slots: list[FreeSlot]) -> list[str]:
    return [slot.start.astimezone(WARSAW).strftime("%H:%M") for slot in slots]


AFTERNOON = period("2026-05-16T16:00+02:00", "2026-05-16T19:00+02:00", (20, 20), (60, 60))
DAY_START = at("2026-05-16T00:00+02:00")
DAY_END = at("2026-05-17T00:00+02:00")


class TestOverlaps:
    def test_half_open_intervals(self) -> None:
        """Touching intervals do not overlap; shared instants do (behaviour.md §8.4)."""
        a, b, c, d = (at(f"2026-05-16T1{h}:00+00:00") for h in range(4))

        assert overlaps(a, c, b, d)
        assert not overlaps(a, b, b, c)
        assert overlaps(a, d, b, c)

    def test_empty_interval_overlaps_nothing(self) -> None:
        """An empty busy interval blocks no time (behaviour.md §8.4)."""
        a, b = at("2026-05-16T10:00+00:00"), at("2026-05-16T11:00+00:00")

        assert not overlaps(a, b, a, a)


class TestGridStep:
    def test_gcd_of_durations(self) -> None:
        """The grid step is the GCD of the period's durations (behaviour.md §8.2)."""
        assert grid_step([20, 60]) == 20
        assert grid_step([30]) == 30
        assert grid_step([45, 30]) == 15
        assert grid_step([7, 10]) == 1

    @pytest.mark.parametrize("durations", [[], [0], [30, -5]])
    def test_rejects_missing_or_non_positive_durations(self, durations: list[int]) -> None:
        """A grid needs positive durations (behaviour.md §8.7)."""
        with pytest.raises(ValueError, match="duration"):
            grid_step(durations)


class TestFreeSlots:
    def test_afternoon_period_is_cut_every_20_minutes(self) -> None:
        """16:00-19:00 with 20 and 60 min services gives a 20-minute grid (behaviour.md §8.2)."""
        slots = free_slots([AFTERNOON], [], DAY_START, DAY_END, EARLY)

        assert starts(slots) == [
            "16:00", "16:20", "16:40", "17:00", "17:20", "17:40",
            "18:00", "18:20", "18:40",
        ]  # fmt: skip

    def test_each_slot_lists_the_services_that_fit(self) -> None:
        """The 60 min service is offered only while an hour remains (behaviour.md §8.2)."""
        slots = {
            s.start: s.services for s in free_slots([AFTERNOON], [], DAY_START, DAY_END, EARLY)
        }

        assert slots[at("2026-05-16T18:00+02:00")] == (PeriodService(20, 20), PeriodService(60, 60))
        assert slots[at("2026-05-16T18:20+02:00")] == (PeriodService(20, 20),)

    def test_sixty_minute_booking_hides_three_slots(self) -> None:
        """Booking the 60 min service consumes 3 grid slots (behaviour.md §8.2)."""
        booking = Interval(at("2026-05-16T17:00+02:00"), at("2026-05-16T18:00+02:00"))

        slots = free_slots([AFTERNOON], [booking], DAY_START, DAY_END, EARLY)

        assert starts(slots) == ["16:00", "16:20", "16:40", "18:00", "18:20", "18:40"]

    def test_busy_time_shortens_the_services_before_it(self) -> None:
        """A service is offered only if it ends by the next booking's start (decisions.md)."""
        booking = Interval(at("2026-05-16T17:00+02:00"), at("2026-05-16T18:00+02:00"))

        slots = free_slots([AFTERNOON], [booking], DAY_START, DAY_END, EARLY)

        assert slots[0].services == (PeriodService(20, 20), PeriodService(60, 60))
        assert slots[1].services == slots[2].services == (PeriodService(20, 20),)
        assert slots[3].services == (PeriodService(20, 20), PeriodService(60, 60))

    def test_morning_period_with_one_service(self) -> None:
        """07:00-15:00 with 30 min gives 07:00, 07:30, ... 14:30 (behaviour.md §8.2)."""
        morning = period("2026-05-16T07:00+02:00", "2026-05-16T15:00+02:00", (1, 30))

        slots = free_slots([morning], [], DAY_START, DAY_END, EARLY)

        assert starts(slots)[:3] == ["07:00", "07:30", "08:00"]
        assert starts(slots)[-1] == "14:30"
        assert len(slots) == 16

    def test_grid_starts_at_the_period_start(self) -> None:
        """The grid is anchored at the period's start, not at the hour (decisions.md)."""
        odd = period("2026-05-16T07:10+02:00", "2026-05-16T08:10+02:00", (1, 30))

        assert starts(free_slots([odd], [], DAY_START, DAY_END, EARLY)) == ["07:10", "07:40"]

    def test_a_break_hides_every_slot_it_touches(self) -> None:
        """A break hides every slot overlapping [since, till) (behaviour.md §8.4)."""
        pause = Interval(at("2026-05-16T16:30+02:00"), at("2026-05-16T17:10+02:00"))
        only_20 = period("2026-05-16T16:00+02:00", "2026-05-16T18:00+02:00", (20, 20))

        slots = free_slots([only_20], [pause], DAY_START, DAY_END, EARLY)

        assert starts(slots) == ["16:00", "17:20", "17:40"]

    def test_overlapping_busy_intervals(self) -> None:
        """Bookings and breaks may overlap each other; their union is busy (behaviour.md §8.4)."""
        only_20 = period("2026-05-16T16:00+02:00", "2026-05-16T18:00+02:00", (20, 20))
        busy = [
            Interval(at("2026-05-16T16:20+02:00"), at("2026-05-16T17:00+02:00")),
            Interval(at("2026-05-16T16:40+02:00"), at("2026-05-16T16:50+02:00")),
            Interval(at("2026-05-16T16:50+02:00"), at("2026-05-16T17:20+02:00")),
        ]

        slots = free_slots([only_20], busy, DAY_START, DAY_END, EARLY)

        assert starts(slots) == ["16:00", "17:20", "17:40"]

    def test_window_is_half_open(self) -> None:
        """getSlots returns starts in [start, end) (decisions.md "Slots and calendars")."""
        window_start = at("2026-05-16T16:20+02:00")
        window_end = at("2026-05-16T17:00+02:00")

        slots = free_slots([AFTERNOON], [], window_start, window_end, EARLY)

        assert starts(slots) == ["16:20", "16:40"]

    def test_past_start_times_are_never_offered(self) -> None:
        """Past start times are not slots, even in a stored period (decisions.md)."""
        now = at("2026-05-16T17:05+02:00")

        slots = free_slots([AFTERNOON], [], DAY_START, DAY_END, now)

        assert starts(slots)[0] == "17:20"

    def test_slot_starting_now_is_offered(self) -> None:
        """A start equal to now is not in the past (decisions.md)."""
        now = at("2026-05-16T17:00+02:00")

        assert starts(free_slots([AFTERNOON], [], DAY_START, DAY_END, now))[0] == "17:00"

    def test_period_without_services_offers_nothing(self) -> None:
        """A period with no services stores no availability (behaviour.md §8.2)."""
        empty = period("2026-05-16T07:00+02:00", "2026-05-16T15:00+02:00")

        assert free_slots([empty], [], DAY_START, DAY_END, EARLY) == []

    def test_same_start_from_two_periods_is_merged(self) -> None:
        """Two periods yielding one start give one slot with both services (decisions.md)."""
        first = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30), (2, 30))
        second = period("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (2, 60), (3, 60))

        slots = free_slots([first, second], [], DAY_START, DAY_END, EARLY)

        assert slots[0] == FreeSlot(
            at("2026-05-16T10:00+02:00"),
            (PeriodService(1, 30), PeriodService(2, 30), PeriodService(3, 60)),
        )
        assert len({s.start for s in slots}) == len(slots)

    def test_merge_keeps_the_first_entry_per_service_in_period_order(self) -> None:
        """A service offered by two periods at one start is listed once (decisions.md)."""
        first = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30), (2, 30))
        second = period("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (3, 60), (1, 60))

        slots = free_slots([first, second], [], DAY_START, DAY_END, EARLY)

        assert slots[0].services == (
            PeriodService(1, 30),
            PeriodService(2, 30),
            PeriodService(3, 60),
        )

    def test_service_listed_twice_in_one_period_is_offered_once(self) -> None:
        """A slot lists each address service once (behaviour.md §8.3)."""
        twice = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30), (1, 60))

        slots = free_slots([twice], [], DAY_START, DAY_END, EARLY)

        assert [s.services for s in slots] == [(PeriodService(1, 30),), (PeriodService(1, 30),)]

    def test_results_are_utc_and_sorted(self) -> None:
        """Slots come back sorted by start, as UTC instants (ARCHITECTURE.md "Time")."""
        later = period("2026-05-17T10:00+02:00", "2026-05-17T11:00+02:00", (1, 30))
        earlier = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30))

        slots = free_slots([later, earlier], [], DAY_START, DAY_END + timedelta(days=1), EARLY)

        assert [s.start for s in slots] == sorted(s.start for s in slots)
        assert all(s.start.utcoffset() == timedelta(0) for s in slots)

    def test_rejects_naive_datetimes(self) -> None:
        """Every datetime is timezone-aware (ARCHITECTURE.md "Time")."""
        naive = datetime(2026, 5, 16, 16, 0)  # noqa: DTZ001

        with pytest.raises(TypeError):
            free_slots([AFTERNOON], [], naive, DAY_END, EARLY)

    def test_quarter_of_ten_minute_slots_is_fast(self) -> None:
        """12 weeks of 10-min slots and 500 bookings read in milliseconds (ARCHITECTURE.md)."""
        first_day = local("2026-06-01 08:00")
        periods = [
            WorkPeriod(
                first_day + timedelta(days=d),
                first_day + timedelta(days=d, hours=9),
                (PeriodService(1, 10), PeriodService(2, 30)),
            )
            for d in range(84)
        ]
        bookings = [
            Interval(p.start + timedelta(minutes=m), p.start + timedelta(minutes=m + 30))
            for p in periods
            for m in (0, 60, 120, 180, 240, 300)
        ][:500]

        began = time.perf_counter()
        slots = free_slots(periods, bookings, first_day, first_day + timedelta(days=90), EARLY)
        elapsed = time.perf_counter() - began

        assert len(slots) == 84 * 54 - 500 * 3
        assert elapsed < 0.25  # a few ms in practice; generous for a loaded CI machine


class TestFreeStarts:
    def test_off_minute_periods_and_now_between_grid_starts(self) -> None:
        """Seconds and microseconds in a period's start carry into its grid (behaviour.md §8.2),
        and a `now` between two grid starts keeps the later one."""
        odd = WorkPeriod(
            at("2026-05-16T08:00:30.250000+02:00"),
            at("2026-05-16T09:00+02:00"),
            (PeriodService(1, 15), PeriodService(2, 10)),
        )
        busy = [Interval(at("2026-05-16T08:12+02:00"), at("2026-05-16T08:21+02:00"))]
        now = at("2026-05-16T08:05+02:00")

        found = free_starts([odd], busy, DAY_START, DAY_END, now)

        expected = free_slots([odd], busy, DAY_START, DAY_END, now)
        assert found == [epoch_micros(slot.start) for slot in expected]
        assert [datetime.fromtimestamp(us / 1e6, UTC).strftime("%M:%S") for us in found] == [
            "25:30", "30:30", "35:30", "40:30", "45:30",
        ]  # fmt: skip

    def test_overlapping_periods_list_each_start_once_in_order(self) -> None:
        """Equal starts of two stored periods are one slot (decisions.md "Slots")."""
        later = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30))
        earlier = period("2026-05-16T09:00+02:00", "2026-05-16T10:30+02:00", (2, 30))

        found = free_starts([later, earlier], [], DAY_START, DAY_END, EARLY)

        expected = free_slots([later, earlier], [], DAY_START, DAY_END, EARLY)
        assert found == [epoch_micros(slot.start) for slot in expected]
        assert len(found) == 4


class TestFreeSlotsAcrossDst:
    def test_spring_forward_day_skips_the_missing_hour(self) -> None:
        """01:00-04:00 on 2026-03-29 in Warsaw lasts two real hours (decisions.md "Locales")."""
        night = WorkPeriod(
            local("2026-03-29 01:00"), local("2026-03-29 04:00"), (PeriodService(1, 30),)
        )

        slots = free_slots([night], [], local("2026-03-29 00:00"), local("2026-03-30 00:00"), EARLY)

        assert starts(slots) == ["01:00", "01:30", "03:00", "03:30"]

    def test_fall_back_day_repeats_the_doubled_hour(self) -> None:
        """01:00-04:00 on 2026-10-25 in Warsaw lasts four real hours (decisions.md "Locales")."""
        night = WorkPeriod(
            local("2026-10-25 01:00"), local("2026-10-25 04:00"), (PeriodService(1, 30),)
        )

        slots = free_slots([night], [], local("2026-10-25 00:00"), local("2026-10-26 00:00"), EARLY)

        assert starts(slots) == [
            "01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30",
        ]  # fmt: skip
        assert len({s.start for s in slots}) == 8


class TestSlotAt:
    def test_finds_the_slot_and_its_services(self) -> None:
        """getAddressServices' `start` filter reads one slot (behaviour.md §7.3)."""
        found = slot_at([AFTERNOON], [], at("2026-05-16T18:20+02:00"), EARLY)

        assert found == FreeSlot(at("2026-05-16T18:20+02:00"), (PeriodService(20, 20),))

    def test_no_slot_between_grid_starts(self) -> None:
        """A time off the grid has no slot: 404 `Slot not found` (behaviour.md §4)."""
        assert slot_at([AFTERNOON], [], at("2026-05-16T18:25+02:00"), EARLY) is None


class TestCheckBooking:
    def test_free_slot_and_configured_duration_is_ok(self) -> None:
        """A free slot offering the service books (behaviour.md §8.5)."""
        result = check_booking([AFTERNOON], [], at("2026-05-16T16:00+02:00"), 60, 60, EARLY)

        assert result is BookingCheck.OK

    def test_any_duration_that_fits_is_ok(self) -> None:
        """A booking's duration may differ from the configured one (decisions.md "Slots")."""
        start = at("2026-05-16T18:20+02:00")

        assert check_booking([AFTERNOON], [], start, 40, 60, EARLY) is BookingCheck.OK
        assert check_booking([AFTERNOON], [], start, 7, 20, EARLY) is BookingCheck.OK

    def test_off_grid_start_is_not_a_slot(self) -> None:
        """The start must be an exact grid start (behaviour.md §8.5)."""
        result = check_booking([AFTERNOON], [], at("2026-05-16T16:10+02:00"), 20, 20, EARLY)

        assert result is BookingCheck.SLOT_NOT_FOUND

    def test_start_outside_any_period_is_not_a_slot(self) -> None:
        """No period, no slot (behaviour.md §8.5)."""
        result = check_booking([AFTERNOON], [], at("2026-05-16T19:00+02:00"), 20, 20, EARLY)

        assert result is BookingCheck.SLOT_NOT_FOUND

    def test_booked_start_is_not_a_slot(self) -> None:
        """Busy time is not a free slot (behaviour.md §8.5)."""
        busy = [Interval(at("2026-05-16T16:00+02:00"), at("2026-05-16T17:00+02:00"))]

        result = check_booking([AFTERNOON], busy, at("2026-05-16T16:20+02:00"), 20, 20, EARLY)

        assert result is BookingCheck.SLOT_NOT_FOUND

    def test_past_start_is_not_a_slot(self) -> None:
        """Past start times are never offered, so never booked (decisions.md)."""
        now = at("2026-05-16T17:00+02:00")

        result = check_booking([AFTERNOON], [], at("2026-05-16T16:40+02:00"), 20, 20, now)

        assert result is BookingCheck.SLOT_NOT_FOUND

    def test_start_where_no_service_fits_is_not_a_slot(self) -> None:
        """bookSlot accepts exactly the starts getSlots shows (behaviour.md §8.5)."""
        tail = period("2026-05-16T10:00+02:00", "2026-05-16T10:45+02:00", (1, 30))

        result = check_booking([tail], [], at("2026-05-16T10:30+02:00"), 15, 1, EARLY)

        assert result is BookingCheck.SLOT_NOT_FOUND

    def test_service_not_in_the_period(self) -> None:
        """A slot that does not offer the service gives the service 404 (behaviour.md §8.5)."""
        result = check_booking([AFTERNOON], [], at("2026-05-16T16:00+02:00"), 20, 99, EARLY)

        assert result is BookingCheck.SERVICE_NOT_SUPPORTED

    def test_duration_running_past_the_period(self) -> None:
        """A duration past the period's end cannot be booked there (decisions.md "Slots")."""
        result = check_booking([AFTERNOON], [], at("2026-05-16T18:20+02:00"), 60, 60, EARLY)

        assert result is BookingCheck.SERVICE_NOT_SUPPORTED

    def test_duration_running_into_a_booking(self) -> None:
        """A duration overlapping another booking is refused (decisions.md "Slots")."""
        busy = [Interval(at("2026-05-16T17:00+02:00"), at("2026-05-16T17:20+02:00"))]

        result = check_booking([AFTERNOON], busy, at("2026-05-16T16:00+02:00"), 61, 60, EARLY)

        assert result is BookingCheck.SERVICE_NOT_SUPPORTED

    def test_booking_never_spans_two_periods(self) -> None:
        """A booking fits inside one published period (decisions.md "Slots")."""
        first = period("2026-05-16T10:00+02:00", "2026-05-16T11:00+02:00", (1, 30))
        second = period("2026-05-16T11:00+02:00", "2026-05-16T12:00+02:00", (1, 30))

        result = check_booking([first, second], [], at("2026-05-16T10:30+02:00"), 60, 1, EARLY)

        assert result is BookingCheck.SERVICE_NOT_SUPPORTED

    def test_move_counts_the_moved_booking_as_free(self) -> None:
        """A move target ignores the moved booking's own time (decisions.md "Slots")."""
        own = Interval(at("2026-05-16T16:00+02:00"), at("2026-05-16T17:00+02:00"))
        target = at("2026-05-16T16:20+02:00")

        blocked = check_booking([AFTERNOON], [own], target, 60, 60, EARLY)
        moved = check_booking([AFTERNOON], [], target, 60, 60, EARLY)

        assert blocked is BookingCheck.SLOT_NOT_FOUND
        assert moved is BookingCheck.OK

    def test_overlapping_periods_try_each(self) -> None:
        """With two stored periods at one start, either may take the booking (decisions.md)."""
        short = period("2026-05-16T10:00+02:00", "2026-05-16T10:30+02:00", (1, 30))
        long = period("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (2, 60))

        result = check_booking([short, long], [], at("2026-05-16T10:00+02:00"), 90, 2, EARLY)

        assert result is BookingCheck.OK

    def test_rejects_duration_below_one_minute(self) -> None:
        """Booking durations are whole minutes >= 1 (decisions.md "Slots")."""
        with pytest.raises(ValueError, match="duration"):
            check_booking([AFTERNOON], [], at("2026-05-16T16:00+02:00"), 0, 20, EARLY)
