"""Properties of the slot engine over generated calendars (spec/behaviour.md §8.2-§8.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce
from math import gcd
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

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
    replace_days,
    touched_days,
)

WARSAW = ZoneInfo("Europe/Warsaw")
# Three days around the autumn DST change, so local days of 24 and 25 hours both occur.
BASE = datetime(2026, 10, 24, 0, 0, tzinfo=WARSAW).astimezone(UTC)
SPAN_MINUTES = 3 * 24 * 60
# The brute-force comparisons carry the most weight and get more examples; the rest are
# cheaper restatements, kept explicit because they read as the spec.
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)
THOROUGH_SETTINGS = settings(max_examples=200, deadline=None)

durations = st.sampled_from([1, 5, 7, 10, 15, 20, 25, 30, 45, 60, 90])
services = st.lists(
    st.builds(PeriodService, st.integers(1, 6), durations),
    min_size=1,
    max_size=3,
    unique_by=lambda s: s.address_service_id,
).map(tuple)


def minutes(offset: int) -> datetime:
    return BASE + timedelta(minutes=offset)


@st.composite
def work_periods(draw: st.DrawFn) -> WorkPeriod:
    start = draw(st.integers(0, SPAN_MINUTES))
    length = draw(st.integers(1, 8 * 60))
    # Now and then a period without services, which must offer nothing.
    offered = () if draw(st.integers(0, 9)) == 9 else draw(services)
    return WorkPeriod(minutes(start), minutes(start + length), offered)


@st.composite
def busy_intervals(draw: st.DrawFn) -> Interval:
    start = draw(st.integers(0, SPAN_MINUTES))
    length = draw(st.integers(0, 4 * 60))
    return Interval(minutes(start), minutes(start + length))


instants = st.integers(-60, SPAN_MINUTES + 60).map(minutes)


def reference_free_slots(
    periods: list[WorkPeriod],
    busy: list[Interval],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[FreeSlot]:
    """decisions.md "Slots and calendars" read literally: every grid start, every interval."""
    found: dict[datetime, dict[int, PeriodService]] = {}
    for period in periods:
        if not period.services:
            continue
        step = timedelta(minutes=reduce(gcd, (s.duration for s in period.services)))
        start = period.start
        while start < period.end:
            if window_start <= start < window_end and start >= now:
                for svc in period.services:
                    end = start + timedelta(minutes=svc.duration)
                    free = not any(overlaps(start, end, b.start, b.end) for b in busy)
                    if end <= period.end and free:
                        found.setdefault(start, {}).setdefault(svc.address_service_id, svc)
            start += step
    return [FreeSlot(start, tuple(found[start].values())) for start in sorted(found)]


@st.composite
def calendars(
    draw: st.DrawFn,
) -> tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]:
    """Periods, busy time, a window and `now`, biased so that most windows hold slots."""
    periods = draw(st.lists(work_periods(), min_size=1, max_size=6))
    busy = draw(st.lists(busy_intervals(), max_size=12))
    window_start = draw(st.one_of(st.just(minutes(-60)), instants))
    # Hypothesis starts from small draws; make the small ones the wide, interesting windows.
    window_end = minutes(SPAN_MINUTES + 600) - timedelta(minutes=draw(st.integers(0, SPAN_MINUTES)))
    now = draw(st.one_of(st.just(minutes(-60)), instants))
    return periods, busy, window_start, window_end, now


class TestFreeSlotProperties:
    @THOROUGH_SETTINGS
    @given(calendars())
    def test_matches_the_literal_rule(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """free_slots equals a brute-force reading of the grid rule (decisions.md "Slots")."""
        periods, busy, window_start, window_end, now = calendar

        expected = reference_free_slots(periods, busy, window_start, window_end, now)

        assert free_slots(periods, busy, window_start, window_end, now) == expected

    @THOROUGH_SETTINGS
    @given(calendars())
    def test_starts_alone_are_the_listed_starts(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """free_starts lists the starts of free_slots, as epoch microseconds (getSlots)."""
        periods, busy, window_start, window_end, now = calendar
        expected = reference_free_slots(periods, busy, window_start, window_end, now)

        found = free_starts(periods, busy, window_start, window_end, now)

        assert found == [epoch_micros(slot.start) for slot in expected]

    @PROPERTY_SETTINGS
    @given(calendars())
    def test_no_listed_service_overlaps_busy_time(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """A slot's services never collide with a booking or a break (behaviour.md §8.3)."""
        periods, busy, window_start, window_end, now = calendar

        for slot in free_slots(periods, busy, window_start, window_end, now):
            for svc in slot.services:
                end = slot.start + timedelta(minutes=svc.duration)
                assert not any(overlaps(slot.start, end, b.start, b.end) for b in busy)

    @PROPERTY_SETTINGS
    @given(calendars())
    def test_every_slot_lies_inside_a_period_offering_it(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """Each listed service fits inside a period that offers it (behaviour.md §8.2)."""
        periods, busy, window_start, window_end, now = calendar

        for slot in free_slots(periods, busy, window_start, window_end, now):
            assert slot.services
            for svc in slot.services:
                end = slot.start + timedelta(minutes=svc.duration)
                assert any(
                    p.start <= slot.start and end <= p.end and svc in p.services for p in periods
                )

    @PROPERTY_SETTINGS
    @given(calendars())
    def test_past_starts_never_offered_and_window_respected(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """Starts are in [start, end), not before now, sorted and unique (decisions.md)."""
        periods, busy, window_start, window_end, now = calendar

        starts = [s.start for s in free_slots(periods, busy, window_start, window_end, now)]

        assert all(s >= now and window_start <= s < window_end for s in starts)
        assert starts == sorted(set(starts))


class TestGridStepProperties:
    @PROPERTY_SETTINGS
    @given(st.lists(st.integers(1, 240), min_size=1, max_size=5))
    def test_step_is_the_greatest_common_divisor(self, values: list[int]) -> None:
        """The step divides every duration and no larger step does (behaviour.md §8.2)."""
        step = grid_step(values)

        assert all(value % step == 0 for value in values)
        assert not any(
            all(value % larger == 0 for value in values) for larger in range(step + 1, 241)
        )


class TestCheckBookingProperties:
    @PROPERTY_SETTINGS
    @given(calendars())
    def test_every_listed_service_can_be_booked(
        self, calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime]
    ) -> None:
        """What getSlots lists, bookSlot accepts (behaviour.md §8.5)."""
        periods, busy, window_start, window_end, now = calendar

        slots = free_slots(periods, busy, window_start, window_end, now)
        # A spread of at most ~20 slots per example keeps this quadratic check quick.
        for slot in slots[:: max(1, len(slots) // 20)]:
            for svc in slot.services:
                result = check_booking(
                    periods, busy, slot.start, svc.duration, svc.address_service_id, now
                )
                assert result is BookingCheck.OK

    @THOROUGH_SETTINGS
    @given(calendars(), instants, st.integers(1, 6), st.integers(1, 120))
    def test_slot_exists_exactly_when_listed(
        self,
        calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime],
        start: datetime,
        service_id: int,
        duration: int,
    ) -> None:
        """bookSlot finds a slot exactly at the starts getSlots shows (behaviour.md §8.5)."""
        periods, busy, _, _, now = calendar
        listed = {
            s.start
            for s in free_slots(periods, busy, minutes(-120), minutes(SPAN_MINUTES + 600), now)
        }

        result = check_booking(periods, busy, start, duration, service_id, now)

        assert (result is not BookingCheck.SLOT_NOT_FOUND) == (start in listed)

    @PROPERTY_SETTINGS
    @given(calendars(), instants, st.integers(1, 6), st.integers(1, 120))
    def test_accepted_booking_overlaps_nothing(
        self,
        calendar: tuple[list[WorkPeriod], list[Interval], datetime, datetime, datetime],
        start: datetime,
        service_id: int,
        duration: int,
    ) -> None:
        """An accepted booking fits one period and no busy time (decisions.md "Slots")."""
        periods, busy, _, _, now = calendar

        result = check_booking(periods, busy, start, duration, service_id, now)

        if result is BookingCheck.OK:
            end = start + timedelta(minutes=duration)
            assert start >= now
            assert not any(overlaps(start, end, b.start, b.end) for b in busy)
            assert any(
                p.start <= start
                and end <= p.end
                and any(s.address_service_id == service_id for s in p.services)
                for p in periods
            )


@st.composite
def day_periods(draw: st.DrawFn) -> WorkPeriod:
    """A period inside one Warsaw day, as validate_replacement lets through."""
    day = date(2026, 10, 24) + timedelta(days=draw(st.integers(0, 3)))
    day_start = datetime(day.year, day.month, day.day, tzinfo=WARSAW).astimezone(UTC)
    next_day = day + timedelta(days=1)
    day_end = datetime(next_day.year, next_day.month, next_day.day, tzinfo=WARSAW).astimezone(UTC)
    length = int((day_end - day_start).total_seconds() // 60)
    start = draw(st.integers(0, length - 1))
    end = draw(st.integers(start + 1, length))
    return WorkPeriod(
        day_start + timedelta(minutes=start), day_start + timedelta(minutes=end), draw(services)
    )


def on_day(periods: list[WorkPeriod], day: date) -> list[WorkPeriod]:
    return sorted(
        (p for p in periods if p.start.astimezone(WARSAW).date() == day),
        key=lambda p: (p.start, p.end),
    )


class TestReplaceDaysProperties:
    @PROPERTY_SETTINGS
    @given(st.lists(day_periods(), max_size=8), st.lists(day_periods(), max_size=8))
    def test_reading_a_day_back_round_trips(
        self, existing: list[WorkPeriod], incoming: list[WorkPeriod]
    ) -> None:
        """Touched days hold exactly the payload's periods, others are kept (decisions.md)."""
        result = replace_days(existing, incoming, WARSAW)

        days = touched_days(incoming, WARSAW)
        for offset in range(4):
            day = date(2026, 10, 24) + timedelta(days=offset)
            if day in days:
                assert on_day(result, day) == on_day([p for p in incoming if p.services], day)
            else:
                assert on_day(result, day) == on_day(existing, day)
        assert result == sorted(result, key=lambda p: (p.start, p.end))
