"""replaceSlots validation and day-by-day replacement (spec/behaviour.md §4, §8.2, decisions.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dpi_server.domain.calendar import (
    IncomingPeriod,
    PeriodService,
    WorkPeriod,
    clear_day,
    replace_days,
    to_work_periods,
    touched_days,
    validate_replacement,
)
from dpi_server.domain.errors import (
    AddressServiceDoesNotExist,
    FieldErrors,
    InsuranceProviderDoesNotExist,
    InsuranceProvidersMissing,
    InsuranceProvidersNotSupported,
    SlotExceedsSingleDayBoundary,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
ADDRESS_ID = 333
SERVICES = {111, 112}
PROVIDERS = {13, 52, 67}


def at(text: str) -> datetime:
    """An aware datetime from an ISO string with an offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def local(text: str) -> datetime:
    """A wall-clock time in Warsaw, `YYYY-MM-DD HH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=WARSAW)


def incoming(
    start: str,
    end: str,
    *services: tuple[int, int],
    index: int = 0,
    accepted: str | None = None,
    providers: tuple[int, ...] | None = None,
    clearing: bool = False,
) -> IncomingPeriod:
    return IncomingPeriod(
        index=index,
        start=at(start),
        end=at(end),
        services=None
        if clearing
        else tuple(PeriodService(s, d) for s, d in services or [(111, 30)]),
        insurance_accepted=accepted,
        insurance_providers=providers,
    )


def validate(*periods: IncomingPeriod, now: datetime = NOW) -> None:
    validate_replacement(
        list(periods),
        now=now,
        zone=WARSAW,
        address_id=ADDRESS_ID,
        known_address_service_ids=SERVICES,
        address_insurance_provider_ids=PROVIDERS,
    )


def field_errors(*periods: IncomingPeriod, now: datetime = NOW) -> dict[str, list[str]]:
    with pytest.raises(FieldErrors) as caught:
        validate(*periods, now=now)
    assert caught.value.status == 400
    assert caught.value.message == "Invalid arguments"
    return {key: list(value) for key, value in caught.value.field_errors.items()}


class TestValidateReplacement:
    def test_valid_payload_passes(self) -> None:
        """The spec's example payload is accepted (wire.md ReplaceSlotsRequest)."""
        validate(
            incoming(
                "2026-05-16T14:00+01:00",
                "2026-05-16T15:00+01:00",
                (111, 30),
                (112, 15),
                accepted="with-insurance-only",
                providers=(52, 67),
            )
        )

    def test_periods_in_the_past_are_accepted(self) -> None:
        """Past periods are accepted; they just offer no slots (decisions.md "Slots")."""
        validate(incoming("2026-04-01T10:00+02:00", "2026-04-01T12:00+02:00"))

    def test_unknown_address_service(self) -> None:
        """Every service must exist at the address (behaviour.md §8.2)."""
        period = incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (111, 30), (999, 30))

        with pytest.raises(AddressServiceDoesNotExist) as caught:
            validate(period)

        assert caught.value.status == 400
        assert caught.value.message == "Address service does not exist"

    def test_period_crossing_midnight(self) -> None:
        """A period must stay within one day of the locale's zone (behaviour.md §8.2)."""
        period = incoming("2026-05-16T20:00+00:00", "2026-05-16T23:00+00:00")

        with pytest.raises(SlotExceedsSingleDayBoundary) as caught:
            validate(period)

        assert caught.value.status == 400
        assert caught.value.message == (
            "Slot for date range 2026-05-16T22:00:00+02:00 - 2026-05-17T01:00:00+02:00 "
            "exceeds a single day boundary"
        )

    def test_period_ending_at_next_midnight_stays_in_its_day(self) -> None:
        """Ending exactly at the next midnight is not crossing (behaviour.md §8.2)."""
        validate(incoming("2026-05-16T20:00+02:00", "2026-05-17T00:00+02:00"))

    def test_day_is_the_locale_day_not_the_utc_day(self) -> None:
        """Days are calendar days in the locale's zone (decisions.md "Locales")."""
        validate(incoming("2026-05-16T22:30+00:00", "2026-05-16T23:30+00:00"))

        with pytest.raises(SlotExceedsSingleDayBoundary):
            validate(incoming("2026-05-16T21:30+00:00", "2026-05-16T22:30+00:00"))

    @pytest.mark.parametrize("end", ["2026-05-16T10:00+02:00", "2026-05-16T10:00:59+02:00"])
    def test_period_shorter_than_a_minute(self, end: str) -> None:
        """A period lasts at least 1 minute (behaviour.md §4)."""
        errors = field_errors(incoming("2026-05-16T10:00+02:00", end, index=1))

        assert errors == {
            "slots[1].minimumDifferenceBetweenDates": [
                "The end date must be at least 1 minute after the start date"
            ]
        }

    def test_end_before_start_is_shorter_than_a_minute(self) -> None:
        """A reversed period fails the 1-minute rule, not the day rule (behaviour.md §4)."""
        errors = field_errors(incoming("2026-05-16T10:00+02:00", "2026-05-15T09:00+02:00"))

        assert list(errors) == ["slots[0].minimumDifferenceBetweenDates"]

    def test_exactly_one_minute_is_enough(self) -> None:
        """One minute is the minimum, inclusive (behaviour.md §8.2)."""
        validate(incoming("2026-05-16T10:00+02:00", "2026-05-16T10:01+02:00", (111, 1)))

    def test_end_more_than_12_weeks_ahead(self) -> None:
        """The end is at most now + 12 weeks, stamped in the locale (behaviour.md §4)."""
        now = at("2026-02-20T10:45:00+00:00")
        period = incoming("2026-05-15T11:00+02:00", "2026-05-15T12:46+02:00", index=1)

        errors = field_errors(period, now=now)

        assert errors == {
            "slots[1].end": ["End date should be less than or equal to 15.05.2026, 12:45."]
        }

    def test_end_exactly_12_weeks_ahead_is_accepted(self) -> None:
        """The 12-week limit is inclusive (behaviour.md §8.2)."""
        validate(
            incoming("2026-05-15T11:00+02:00", "2026-05-15T12:45+02:00"),
            now=at("2026-02-20T10:45:00+00:00"),
        )

    def test_12_week_stamp_across_dst(self) -> None:
        """The stamp is rendered in the zone's offset at the limit (decisions.md "Locales")."""
        now = at("2026-01-05T10:00:00+00:00")
        period = incoming("2026-03-30T12:00+02:00", "2026-03-30T13:00+02:00")

        errors = field_errors(period, now=now)

        assert errors == {
            "slots[0].end": ["End date should be less than or equal to 30.03.2026, 12:00."]
        }

    def test_unknown_insurance_accepted_value(self) -> None:
        """insurance_accepted is one of three values (wire.md ReplaceSlotsRequestSlots)."""
        period = incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", accepted="maybe")

        errors = field_errors(period)

        assert errors == {
            "slots[0].insurance_accepted": ["The value you selected is not a valid choice."]
        }

    def test_service_duration_below_one_minute(self) -> None:
        """Durations are whole minutes >= 1 (behaviour.md §8.7)."""
        period = incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (111, 30), (112, 0))

        errors = field_errors(period)

        assert errors == {
            "slots[0].address_services[1].duration": ["This value should be positive."]
        }

    def test_service_duration_longer_than_a_day(self) -> None:
        """A period lies in one day, so a service over 1440 minutes can never fit."""
        period = incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (111, 1441))

        errors = field_errors(period)

        assert errors == {
            "slots[0].address_services[0].duration": [
                "This value should be less than or equal to 1440."
            ]
        }

    def test_insurance_required_but_missing(self) -> None:
        """with-insurance-only needs providers (behaviour.md §8.2)."""
        for providers in (None, ()):
            period = incoming(
                "2026-05-16T10:00+02:00",
                "2026-05-16T12:00+02:00",
                accepted="with-insurance-only",
                providers=providers,
            )

            with pytest.raises(InsuranceProvidersMissing) as caught:
                validate(period)

            assert caught.value.message == (
                "Slot requires insurance (with-insurance-only), but insurance providers are missing"
            )

    def test_insurance_forbidden_but_given(self) -> None:
        """without-insurance-only forbids providers (behaviour.md §8.2)."""
        period = incoming(
            "2026-05-16T10:00+02:00",
            "2026-05-16T12:00+02:00",
            accepted="without-insurance-only",
            providers=(13,),
        )

        with pytest.raises(InsuranceProvidersNotSupported) as caught:
            validate(period)

        assert caught.value.message == (
            "Insurance providers are not supported. Slot does not allow insurances "
            "(without-insurance-only)"
        )

    def test_without_insurance_with_empty_providers_is_fine(self) -> None:
        """An empty provider list is no providers (behaviour.md §8.2)."""
        validate(
            incoming(
                "2026-05-16T10:00+02:00",
                "2026-05-16T12:00+02:00",
                accepted="without-insurance-only",
                providers=(),
            )
        )

    def test_provider_not_linked_to_the_address(self) -> None:
        """Providers must be linked to the address; the message lists the strangers (§4)."""
        period = incoming(
            "2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", providers=(13, 9, 7, 9)
        )

        with pytest.raises(InsuranceProviderDoesNotExist) as caught:
            validate(period)

        assert caught.value.status == 400
        assert caught.value.message == (
            "Insurance provider(s) with id (9, 7) not found for address id (333)'"
        )

    def test_overlapping_periods_in_one_payload(self) -> None:
        """Overlaps inside one payload are a 400 keyed by field (decisions.md "Slots")."""
        errors = field_errors(
            incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", index=0),
            incoming("2026-05-16T13:00+02:00", "2026-05-16T14:00+02:00", index=1),
            incoming("2026-05-16T11:30+02:00", "2026-05-16T13:30+02:00", index=2),
        )

        assert errors == {
            "slots[2].start": [
                "The slot overlaps slots[0] of the same request.",
                "The slot overlaps slots[1] of the same request.",
            ]
        }

    def test_overlap_names_the_earlier_listed_period(self) -> None:
        """The later-listed period carries the error, whatever the times (decisions.md)."""
        errors = field_errors(
            incoming("2026-05-16T11:00+02:00", "2026-05-16T12:00+02:00", index=0),
            incoming("2026-05-16T10:00+02:00", "2026-05-16T11:30+02:00", index=1),
        )

        assert errors == {"slots[1].start": ["The slot overlaps slots[0] of the same request."]}

    def test_touching_periods_do_not_overlap(self) -> None:
        """Periods are half-open, so back-to-back periods are fine (decisions.md)."""
        validate(
            incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", index=0),
            incoming("2026-05-16T12:00+02:00", "2026-05-16T14:00+02:00", index=1),
        )

    def test_clearing_periods_may_overlap(self) -> None:
        """A period without services stores nothing, so it collides with nothing (§8.2)."""
        validate(
            incoming("2026-05-16T00:00+02:00", "2026-05-17T00:00+02:00", index=0, clearing=True),
            incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", index=1),
        )

    def test_field_errors_of_several_periods_come_together(self) -> None:
        """Field errors are collected into one map (behaviour.md §4)."""
        now = at("2026-02-20T10:45:00+00:00")

        errors = field_errors(
            incoming("2026-03-01T10:00+01:00", "2026-03-01T10:00+01:00", index=0),
            incoming("2026-05-20T10:00+02:00", "2026-05-20T11:00+02:00", index=1),
            incoming("2026-03-02T10:00+01:00", "2026-03-02T11:00+01:00", index=2, accepted="x"),
            now=now,
        )

        assert set(errors) == {
            "slots[0].minimumDifferenceBetweenDates",
            "slots[1].end",
            "slots[2].insurance_accepted",
        }

    def test_field_errors_come_before_other_errors(self) -> None:
        """Field validation runs first, over the whole payload (behaviour.md §4)."""
        errors = field_errors(
            incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (999, 30), index=0),
            incoming("2026-05-17T10:00+02:00", "2026-05-17T10:00+02:00", index=1),
        )

        assert list(errors) == ["slots[1].minimumDifferenceBetweenDates"]

    def test_other_errors_follow_payload_order(self) -> None:
        """Then periods are checked in order, each fully (behaviour.md §8.2)."""
        first = incoming(
            "2026-05-16T10:00+02:00",
            "2026-05-16T12:00+02:00",
            index=0,
            accepted="with-insurance-only",
        )
        second = incoming("2026-05-17T10:00+02:00", "2026-05-17T12:00+02:00", (999, 30), index=1)

        with pytest.raises(InsuranceProvidersMissing):
            validate(first, second)
        with pytest.raises(AddressServiceDoesNotExist):
            validate(second, first)

    def test_within_a_period_day_boundary_then_services_then_insurance(self) -> None:
        """Per period: day boundary, then services, then insurance (behaviour.md §8.2)."""
        crossing = incoming(
            "2026-05-16T22:00+02:00", "2026-05-17T01:00+02:00", (999, 30), providers=(1,)
        )
        unknown = incoming(
            "2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (999, 30), providers=(1,)
        )

        with pytest.raises(SlotExceedsSingleDayBoundary):
            validate(crossing)
        with pytest.raises(AddressServiceDoesNotExist):
            validate(unknown)

    def test_insurance_rules_apply_to_clearing_periods(self) -> None:
        """The payload is validated as sent, clearing periods included (behaviour.md §8.2)."""
        period = incoming(
            "2026-05-16T10:00+02:00",
            "2026-05-16T12:00+02:00",
            clearing=True,
            accepted="with-insurance-only",
        )

        with pytest.raises(InsuranceProvidersMissing):
            validate(period)


class TestDayBoundaryAcrossDst:
    def test_spring_forward_day_lasts_23_hours(self) -> None:
        """2026-03-29 in Warsaw: 00:00 to next midnight is one day (decisions.md "Locales")."""
        whole_day = incoming("2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00")
        assert whole_day.end - whole_day.start == timedelta(hours=23)

        validate(whole_day, now=at("2026-03-01T00:00+00:00"))

        with pytest.raises(SlotExceedsSingleDayBoundary) as caught:
            validate(
                incoming("2026-03-29T00:00+01:00", "2026-03-30T00:01+02:00"),
                now=at("2026-03-01T00:00+00:00"),
            )
        assert caught.value.message == (
            "Slot for date range 2026-03-29T00:00:00+01:00 - 2026-03-30T00:01:00+02:00 "
            "exceeds a single day boundary"
        )

    def test_fall_back_day_lasts_25_hours(self) -> None:
        """2026-10-25 in Warsaw: 00:00 to next midnight is one day (decisions.md "Locales")."""
        whole_day = incoming("2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00")
        assert whole_day.end - whole_day.start == timedelta(hours=25)

        validate(whole_day, now=at("2026-10-01T00:00+00:00"))


class TestTouchedDays:
    def test_a_period_touches_its_start_day(self) -> None:
        """Days are calendar days in the zone (decisions.md "Slots and calendars")."""
        periods = [
            WorkPeriod(at("2026-05-16T22:30+00:00"), at("2026-05-16T23:00+00:00"), ()),
            WorkPeriod(at("2026-05-16T10:00+02:00"), at("2026-05-17T00:00+02:00"), ()),
        ]

        assert touched_days(periods, WARSAW) == {date(2026, 5, 17), date(2026, 5, 16)}

    def test_dst_days(self) -> None:
        """A full DST day touches only itself (decisions.md "Locales")."""
        periods = [
            WorkPeriod(local("2026-03-29 00:00"), local("2026-03-30 00:00"), ()),
            WorkPeriod(local("2026-10-25 00:00"), local("2026-10-26 00:00"), ()),
        ]

        assert touched_days(periods, WARSAW) == {date(2026, 3, 29), date(2026, 10, 25)}

    def test_a_longer_span_touches_every_day_it_covers(self) -> None:
        """The function stays total for spans that were not validated (decisions.md)."""
        span = WorkPeriod(local("2026-05-16 22:00"), local("2026-05-18 01:00"), ())

        assert touched_days([span], WARSAW) == {date(2026, 5, d) for d in (16, 17, 18)}


class TestReplaceDays:
    MONDAY = WorkPeriod(
        local("2026-05-18 08:00"), local("2026-05-18 12:00"), (PeriodService(111, 30),)
    )
    MONDAY_PM = WorkPeriod(
        local("2026-05-18 13:00"), local("2026-05-18 17:00"), (PeriodService(111, 30),)
    )
    TUESDAY = WorkPeriod(
        local("2026-05-19 08:00"), local("2026-05-19 12:00"), (PeriodService(112, 20),)
    )

    def test_touched_day_is_replaced_whole(self) -> None:
        """Every touched day loses its stored periods (decisions.md "Slots and calendars")."""
        new = WorkPeriod(
            local("2026-05-18 10:00"), local("2026-05-18 11:00"), (PeriodService(112, 15),)
        )

        result = replace_days([self.MONDAY, self.MONDAY_PM, self.TUESDAY], [new], WARSAW)

        assert result == [new, self.TUESDAY]

    def test_untouched_days_are_kept(self) -> None:
        """Days absent from the payload are untouched (decisions.md "Slots and calendars")."""
        new = WorkPeriod(
            local("2026-05-20 10:00"), local("2026-05-20 11:00"), (PeriodService(112, 15),)
        )

        result = replace_days([self.TUESDAY, self.MONDAY], [new], WARSAW)

        assert result == [self.MONDAY, self.TUESDAY, new]

    def test_period_without_services_clears_its_day(self) -> None:
        """Null or empty services store nothing and clear the day (behaviour.md §8.2)."""
        clearing = WorkPeriod(local("2026-05-18 09:00"), local("2026-05-18 09:30"), ())

        result = replace_days([self.MONDAY, self.MONDAY_PM, self.TUESDAY], [clearing], WARSAW)

        assert result == [self.TUESDAY]

    def test_replaces_a_dst_day(self) -> None:
        """Replacement works on the 25-hour day too (decisions.md "Locales")."""
        late = WorkPeriod(
            local("2026-10-25 23:00"), local("2026-10-26 00:00"), (PeriodService(111, 30),)
        )
        early = WorkPeriod(
            local("2026-10-25 00:30"), local("2026-10-25 02:30"), (PeriodService(111, 30),)
        )
        next_day = WorkPeriod(
            local("2026-10-26 00:00"), local("2026-10-26 02:00"), (PeriodService(111, 30),)
        )

        result = replace_days([early, next_day], [late], WARSAW)

        assert result == [late, next_day]


class TestToWorkPeriods:
    def test_defaults_and_clearing(self) -> None:
        """Null insurance fields take their defaults; null services become () (wire.md)."""
        periods = [
            incoming("2026-05-16T10:00+02:00", "2026-05-16T12:00+02:00", (111, 30), (111, 60)),
            incoming("2026-05-17T10:00+02:00", "2026-05-17T12:00+02:00", clearing=True),
        ]

        result = to_work_periods(periods)

        assert result == [
            WorkPeriod(
                at("2026-05-16T10:00+02:00"),
                at("2026-05-16T12:00+02:00"),
                (PeriodService(111, 30),),
                "with-and-without-insurance",
                (),
            ),
            WorkPeriod(at("2026-05-17T10:00+02:00"), at("2026-05-17T12:00+02:00"), ()),
        ]

    def test_keeps_insurance(self) -> None:
        """Insurance settings are stored per period (behaviour.md §8.2)."""
        period = incoming(
            "2026-05-16T10:00+02:00",
            "2026-05-16T12:00+02:00",
            accepted="with-insurance-only",
            providers=(52, 67, 52),
        )

        (result,) = to_work_periods([period])

        assert result.insurance_accepted == "with-insurance-only"
        assert result.insurance_providers == (52, 67)


class TestClearDay:
    def test_removes_only_that_day(self) -> None:
        """deleteSlots removes availability on that date only (behaviour.md §8.3)."""
        monday = WorkPeriod(local("2026-05-18 08:00"), local("2026-05-18 12:00"), ())
        tuesday = WorkPeriod(local("2026-05-19 08:00"), local("2026-05-19 12:00"), ())

        assert clear_day([monday, tuesday], date(2026, 5, 18), WARSAW) == [tuesday]
