"""replaceSlots: validating a payload of work periods and replacing availability day by day.

Rules from spec/behaviour.md §4 (messages) and §8.2, and decisions.md "Slots and calendars".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

from dpi_server.domain import timefmt
from dpi_server.domain.calendar.slots import DEFAULT_INSURANCE_ACCEPTED, PeriodService, WorkPeriod
from dpi_server.domain.errors import (
    AddressServiceDoesNotExist,
    FieldErrors,
    InsuranceProviderDoesNotExist,
    InsuranceProvidersMissing,
    InsuranceProvidersNotSupported,
    SlotExceedsSingleDayBoundary,
)

__all__ = [
    "INSURANCE_ACCEPTED_VALUES",
    "MAX_AHEAD",
    "IncomingPeriod",
    "clear_day",
    "replace_days",
    "to_work_periods",
    "touched_days",
    "validate_replacement",
]

WITH_AND_WITHOUT_INSURANCE = DEFAULT_INSURANCE_ACCEPTED
WITHOUT_INSURANCE_ONLY = "without-insurance-only"
WITH_INSURANCE_ONLY = "with-insurance-only"
INSURANCE_ACCEPTED_VALUES = frozenset(
    {WITH_AND_WITHOUT_INSURANCE, WITHOUT_INSURANCE_ONLY, WITH_INSURANCE_ONLY}
)

MAX_AHEAD = timedelta(weeks=12)
_MIN_LENGTH = timedelta(minutes=1)

# Symfony's wording for its Choice and Positive constraints: the real API is a Symfony
# application (behaviour.md §4), so its field messages take this form.
_INVALID_CHOICE = "The value you selected is not a valid choice."
_NOT_POSITIVE = "This value should be positive."
_MAX_DURATION = 24 * 60
_TOO_LONG = f"This value should be less than or equal to {_MAX_DURATION}."


@dataclass(frozen=True, slots=True)
class IncomingPeriod:
    """One element of a replaceSlots payload, as parsed from the request.

    `index` is the element's position in `slots`, used in field-error keys. `services` None or
    empty means "clear this day" (behaviour.md §8.2); `insurance_accepted` None means the
    default, `with-and-without-insurance`.
    """

    index: int
    start: datetime
    end: datetime
    services: tuple[PeriodService, ...] | None
    insurance_accepted: str | None = None
    insurance_providers: tuple[int, ...] | None = None


class _Span(Protocol):
    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def validate_replacement(
    periods: Sequence[IncomingPeriod],
    *,
    now: datetime,
    zone: tzinfo,
    address_id: int,
    known_address_service_ids: set[int],
    address_insurance_provider_ids: set[int],
) -> None:
    """Raise the first replaceSlots validation error of `periods`, or return (behaviour.md §8.2).

    The order is fixed so clients see stable answers:

    1. Field errors, collected over every period into one `FieldErrors` (400 `Invalid
       arguments` with an `errors` map), in this order per period:
       - `slots[i].minimumDifferenceBetweenDates` when the period is shorter than 1 minute;
       - `slots[i].end` when the end lies after `now + 12 weeks` (the limit is rendered
         `dd.mm.YYYY, HH:MM` in `zone`);
       - `slots[i].insurance_accepted` for a value outside the three documented ones;
       - `slots[i].address_services[k].duration` for a duration below 1 minute, which would
         leave the slot grid undefined;
       - then `slots[j].start` for each period overlapping an earlier-listed one, naming that
         one (decisions.md). Only periods with services take part: a clearing period stores
         nothing, so it cannot collide with anything.
    2. Then, period by period in payload order, the first of:
       - SlotExceedsSingleDayBoundary, when the period runs past the end of its start day in
         `zone` (ending exactly at the next midnight stays within the day; DST days last 23
         or 25 hours);
       - AddressServiceDoesNotExist, for a service id not at this address;
       - InsuranceProvidersMissing (`with-insurance-only` without providers),
         InsuranceProvidersNotSupported (`without-insurance-only` with providers), and
         InsuranceProviderDoesNotExist listing, in payload order, the ids not linked to the
         address.

    Insurance rules apply to clearing periods as well: the payload is validated as sent.
    Periods in the past are accepted (decisions.md).
    """
    field_errors: dict[str, list[str]] = {}
    limit = now + MAX_AHEAD
    for period in periods:
        for key, message in _field_errors(period, limit, zone):
            field_errors.setdefault(key, []).append(message)
    for key, message in _overlap_errors(periods):
        messages = field_errors.setdefault(key, [])
        if message not in messages:
            messages.append(message)
    if field_errors:
        raise FieldErrors(field_errors)

    for period in periods:
        _check_day_boundary(period, zone)
        for svc in period.services or ():
            if svc.address_service_id not in known_address_service_ids:
                raise AddressServiceDoesNotExist
        _check_insurance(period, address_id, address_insurance_provider_ids)


def to_work_periods(periods: Iterable[IncomingPeriod]) -> list[WorkPeriod]:
    """Validated incoming periods as WorkPeriods, clearing ones kept with `services == ()`.

    Clearing periods are kept so `replace_days` still sees the days they clear. A service id
    listed twice in one period keeps its first entry.
    """
    result: list[WorkPeriod] = []
    for period in periods:
        services: dict[int, PeriodService] = {}
        for svc in period.services or ():
            services.setdefault(svc.address_service_id, svc)
        result.append(
            WorkPeriod(
                start=period.start,
                end=period.end,
                services=tuple(services.values()),
                insurance_accepted=period.insurance_accepted or DEFAULT_INSURANCE_ACCEPTED,
                insurance_providers=tuple(dict.fromkeys(period.insurance_providers or ())),
            )
        )
    return result


def touched_days(periods: Iterable[_Span], zone: tzinfo) -> set[date]:
    """The calendar days in `zone` that the periods cover (decisions.md "Slots and calendars").

    A valid period covers only its start day; a period ending exactly at midnight does not
    touch the next day. Longer spans are handled anyway so the function is total.
    """
    days: set[date] = set()
    for period in periods:
        first = period.start.astimezone(zone).date()
        days.add(first)
        if period.end > period.start:
            last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
            day = first + timedelta(days=1)
            while day <= last:
                days.add(day)
                day += timedelta(days=1)
    return days


def replace_days(
    existing: Sequence[WorkPeriod], incoming: Sequence[WorkPeriod], zone: tzinfo
) -> list[WorkPeriod]:
    """The stored periods after a replaceSlots payload (decisions.md "Slots and calendars").

    Every day touched by `incoming` loses all its existing periods and gets the incoming ones
    that carry services; a period without services stores nothing, so it only clears its day.
    Days absent from the payload keep their periods. An existing period belongs to the day it
    starts on. The result is sorted by start.
    """
    days = touched_days(incoming, zone)
    kept = [p for p in existing if p.start.astimezone(zone).date() not in days]
    added = [p for p in incoming if p.services]
    return sorted(kept + added, key=lambda p: (p.start, p.end))


def clear_day(existing: Sequence[WorkPeriod], day: date, zone: tzinfo) -> list[WorkPeriod]:
    """The stored periods after deleteSlots for `day` (behaviour.md §8.3); bookings are kept."""
    return [p for p in existing if p.start.astimezone(zone).date() != day]


def _field_errors(
    period: IncomingPeriod, limit: datetime, zone: tzinfo
) -> Iterable[tuple[str, str]]:
    prefix = f"slots[{period.index}]"
    if period.end - period.start < _MIN_LENGTH:
        yield (
            f"{prefix}.minimumDifferenceBetweenDates",
            "The end date must be at least 1 minute after the start date",
        )
    if period.end > limit:
        stamp = timefmt.format_minutes_stamp(limit, zone)
        yield f"{prefix}.end", f"End date should be less than or equal to {stamp}."
    if (
        period.insurance_accepted is not None
        and period.insurance_accepted not in INSURANCE_ACCEPTED_VALUES
    ):
        yield f"{prefix}.insurance_accepted", _INVALID_CHOICE
    for k, svc in enumerate(period.services or ()):
        if svc.duration < 1:
            yield f"{prefix}.address_services[{k}].duration", _NOT_POSITIVE
        elif svc.duration > _MAX_DURATION:
            # A period lies within one day, so no longer service could ever fit in it.
            yield f"{prefix}.address_services[{k}].duration", _TOO_LONG


def _overlap_errors(periods: Sequence[IncomingPeriod]) -> Iterable[tuple[str, str]]:
    bookable = sorted(
        (p for p in periods if p.services and p.end - p.start >= _MIN_LENGTH),
        key=lambda p: (p.start, p.index),
    )
    # Sweep by start, remembering every period still open; each newcomer that starts before
    # an open one ends collides with it. Periods of one payload are few (a week is ~20), so
    # the open list stays short.
    open_periods: list[IncomingPeriod] = []
    for period in bookable:
        open_periods = [p for p in open_periods if p.end > period.start]
        for other in open_periods:
            first, second = sorted((other, period), key=lambda p: p.index)
            yield (
                f"slots[{second.index}].start",
                f"The slot overlaps slots[{first.index}] of the same request.",
            )
        open_periods.append(period)


def _check_day_boundary(period: IncomingPeriod, zone: tzinfo) -> None:
    day = period.start.astimezone(zone).date()
    _, day_end = timefmt.day_bounds(day, zone)
    if period.end > day_end:
        raise SlotExceedsSingleDayBoundary(
            timefmt.format_datetime(period.start, zone), timefmt.format_datetime(period.end, zone)
        )


def _check_insurance(
    period: IncomingPeriod, address_id: int, address_provider_ids: set[int]
) -> None:
    accepted = period.insurance_accepted or WITH_AND_WITHOUT_INSURANCE
    providers = period.insurance_providers or ()
    if accepted == WITH_INSURANCE_ONLY and not providers:
        raise InsuranceProvidersMissing
    if accepted == WITHOUT_INSURANCE_ONLY and providers:
        raise InsuranceProvidersNotSupported
    unknown = [pid for pid in dict.fromkeys(providers) if pid not in address_provider_ids]
    if unknown:
        raise InsuranceProviderDoesNotExist(unknown, address_id)
