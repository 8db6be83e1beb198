"""The slot grid: work periods cut into bookable start times (spec/behaviour.md §8.2, §8.3, §8.5).

A work period `[start, end)` offers address services, each with a duration in minutes. It is cut
on the greatest common divisor of those durations, starting at the period's start, and a grid
start offers a service when `start + duration` stays inside the period and overlaps no busy
interval (a booking or a break). Everything here works on absolute instants, so a period that
spans a DST change simply has fewer or more grid starts in local terms.

Internally instants become integer microseconds since the epoch: bisecting and stepping over
ints is several times cheaper than over aware datetimes, and getSlots may walk a whole quarter
of 10-minute slots on every call.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from math import gcd
from typing import NamedTuple

__all__ = [
    "BookingCheck",
    "FreeSlot",
    "Interval",
    "PeriodService",
    "WorkPeriod",
    "check_booking",
    "epoch_micros",
    "free_slots",
    "free_starts",
    "grid_step",
    "overlaps",
    "slot_at",
]

DEFAULT_INSURANCE_ACCEPTED = "with-and-without-insurance"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class PeriodService:
    """An address service bookable in a work period, with its duration in whole minutes."""

    address_service_id: int
    duration: int


@dataclass(frozen=True, slots=True)
class WorkPeriod:
    """A stored availability period `[start, end)` (one element of replaceSlots' `slots`)."""

    start: datetime
    end: datetime
    services: tuple[PeriodService, ...]
    insurance_accepted: str = DEFAULT_INSURANCE_ACCEPTED
    insurance_providers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Interval:
    """Busy time `[start, end)`: a booking or a break."""

    start: datetime
    end: datetime


class FreeSlot(NamedTuple):
    """A free start time and the services that fit there (getSlots' `slot.services`).

    A named tuple rather than a frozen dataclass: getSlots builds thousands per call, and a
    frozen dataclass's `__init__` (one `object.__setattr__` per field) cost more than finding
    the slots did.
    """

    start: datetime
    services: tuple[PeriodService, ...]


class BookingCheck(enum.Enum):
    """Outcome of `check_booking`; the caller maps the failures to the bookSlot/move 404s."""

    OK = "ok"
    SLOT_NOT_FOUND = "slot-not-found"
    SERVICE_NOT_SUPPORTED = "service-not-supported"


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether half-open `[a_start, a_end)` and `[b_start, b_end)` share an instant.

    Touching intervals (one ends where the other starts) do not overlap, and an empty interval
    overlaps nothing.
    """
    return a_start < b_end and b_start < a_end and a_start < a_end and b_start < b_end


def grid_step(durations: Iterable[int]) -> int:
    """The grid step in minutes: the GCD of the durations (behaviour.md §8.2, §8.7).

    Raises ValueError for no durations or a duration below one minute; replaceSlots
    validation rejects those before they are stored.
    """
    step = 0
    for duration in durations:
        if duration < 1:
            raise ValueError(f"service duration must be at least 1 minute, got {duration}")
        step = gcd(step, duration)
    if step == 0:
        raise ValueError("a grid needs at least one service duration")
    return step


def free_slots(
    periods: Iterable[WorkPeriod],
    busy: Iterable[Interval],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[FreeSlot]:
    """The free slots whose start lies in `[window_start, window_end)` (decisions.md "Slots").

    A grid start `s` of a period is offered when `s >= now` (past start times never are) and at
    least one of the period's services fits: `s + duration <= period.end` with
    `[s, s + duration)` overlapping no busy interval. Each slot lists exactly the services that
    fit. When several stored periods produce the same start, their service lists are merged,
    keeping the first entry per `address_service_id` in period order. Periods without services
    offer nothing. The result is sorted by start and holds UTC datetimes.
    """
    index = _BusyIndex(busy)
    lower = max(_to_us(window_start), _to_us(now))
    upper = _to_us(window_end)
    offering = [period for period in periods if period.services]
    found: list[tuple[int, datetime, tuple[PeriodService, ...]]] = []
    for period in offering:
        _collect_period(period, index, lower, upper, found)

    if all(a.end <= b.start for a, b in pairwise(offering)):
        # The usual case, periods stored in order without overlaps: each one's starts lie
        # after the previous one's, so `found` is already sorted and has no repeated start.
        return [FreeSlot(moment, services) for _at, moment, services in found]

    # Periods rarely overlap, so `found` is mostly already sorted runs (cheap for Timsort) and
    # equal starts from different periods are adjacent after sorting.
    found.sort(key=_first)
    result: list[FreeSlot] = []
    previous = None
    for at, moment, services in found:
        if at == previous:
            result[-1] = FreeSlot(result[-1].start, _merge(result[-1].services, services))
        else:
            result.append(FreeSlot(moment, services))
            previous = at
    return result


def free_starts(
    periods: Iterable[WorkPeriod],
    busy: Iterable[Interval],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[int]:
    """The starts of `free_slots(...)`, in microseconds since the epoch, without their services.

    getSlots without `slot.services` needs only the starts. A start is listed when the
    period's shortest service fits there, so inside each free gap the starts are one
    arithmetic progression: a `range`, with no per-start object or test at all.
    """
    index = _BusyIndex(busy)
    lower = max(_to_us(window_start), _to_us(now))
    upper = _to_us(window_end)
    starts: list[int] = []
    in_order = True
    latest_end = -_FAR_FUTURE
    # Periods repeat a few service lists: each one's grid step and shortest length once.
    grids: dict[int, tuple[tuple[PeriodService, ...], int, int]] = {}
    for period in periods:
        if not period.services:
            continue
        period_start, period_end = _to_us(period.start), _to_us(period.end)
        if period_start < latest_end:
            in_order = False
        latest_end = max(latest_end, period_end)
        if max(period_start, lower) >= min(period_end, upper):
            continue
        # Keyed by identity: the repository hands out one tuple per distinct list, and
        # hashing a tuple of dataclasses per period cost more than the lookup saved. The
        # entry keeps its tuple alive, so no other tuple can take its id meanwhile.
        grid = grids.get(id(period.services))
        if grid is None:
            grid = grids[id(period.services)] = (period.services, *_grid(period.services))
        _services, step, shortest = grid
        first = _first_grid_point(period_start, step, lower)
        if index.free_between(period_start, period_end):
            # The usual period, one free gap: no walk at all.
            starts.extend(range(first, min(period_end - shortest + 1, upper), step))
            continue
        for gap_start, gap_end in index.gaps(period_start, period_end, upper):
            first = _first_grid_point(period_start, step, max(gap_start, lower))
            starts.extend(range(first, min(gap_end - shortest + 1, upper), step))
    if in_order:
        # Periods stored in order without overlaps: each one's starts follow the last's.
        return starts
    return sorted(set(starts))


def _grid(services: tuple[PeriodService, ...]) -> tuple[int, int]:
    """A period's grid step and its shortest service, in microseconds."""
    step = grid_step(svc.duration for svc in services)
    return step * _MINUTE_US, min(svc.duration for svc in services) * _MINUTE_US


def epoch_micros(value: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (`free_starts`' unit)."""
    return _to_us(value)


def slot_at(
    periods: Iterable[WorkPeriod], busy: Iterable[Interval], start: datetime, now: datetime
) -> FreeSlot | None:
    """The free slot starting exactly at `start`, or None (getAddressServices' `start` filter)."""
    slots = free_slots(periods, busy, start, start + _MICROSECOND, now)
    return slots[0] if slots else None


def check_booking(
    periods: Iterable[WorkPeriod],
    busy: Iterable[Interval],
    start: datetime,
    duration: int,
    address_service_id: int,
    now: datetime,
) -> BookingCheck:
    """Whether a booking of `duration` minutes for a service may start at `start`.

    The rules of behaviour.md §8.5 and decisions.md "Slots and calendars", checked in order:

    1. `start` must be a free slot, exactly as `free_slots` would list it: a grid start of a
       period, not in the past, where at least one of that period's services fits. Otherwise
       SLOT_NOT_FOUND ("Requested target slot (...) not found"), so bookSlot accepts precisely
       the starts that getSlots shows.
    2. One of the periods holding that slot must offer `address_service_id`. Otherwise
       SERVICE_NOT_SUPPORTED.
    3. The booking's own `duration` (any whole minutes >= 1, not necessarily the configured
       one) must fit: `[start, start + duration)` inside that period and overlapping no busy
       interval. Otherwise SERVICE_NOT_SUPPORTED too: the slot exists, but it cannot take
       this service for that long, which is also how getSlots' `slot.services` would show a
       service whose configured duration does not fit.

    A booking never spans two periods, even adjacent ones. For a move the caller removes the
    moved booking's own interval from `busy` first. Raises ValueError when `duration < 1`;
    the request layer rejects that before calling.
    """
    if duration < 1:
        raise ValueError(f"booking duration must be at least 1 minute, got {duration}")
    if start < now:
        return BookingCheck.SLOT_NOT_FOUND

    index = _BusyIndex(busy)
    at = _to_us(start)
    wanted = duration * _MINUTE_US
    slot_found = False
    free_until = index.free_until(at)
    if free_until is None:
        return BookingCheck.SLOT_NOT_FOUND

    for period in periods:
        if not period.services:
            continue
        period_start = _to_us(period.start)
        period_end = _to_us(period.end)
        if not period_start <= at < period_end:
            continue
        offered = _distinct(period.services)
        step = grid_step(svc.duration for svc in offered) * _MINUTE_US
        if (at - period_start) % step:
            continue
        limit = min(period_end, free_until)
        if not any(at + svc.duration * _MINUTE_US <= limit for svc in offered):
            continue
        slot_found = True
        offers = any(svc.address_service_id == address_service_id for svc in offered)
        if offers and at + wanted <= limit:
            return BookingCheck.OK

    return BookingCheck.SERVICE_NOT_SUPPORTED if slot_found else BookingCheck.SLOT_NOT_FOUND


def _collect_period(
    period: WorkPeriod,
    index: _BusyIndex,
    lower: int,
    upper: int,
    found: list[tuple[int, datetime, tuple[PeriodService, ...]]],
) -> None:
    """Append `(start_us, start, services)` for each free grid start of `period` in the window.

    The period is walked gap by gap (the free stretches between busy spans) rather than grid
    start by grid start: inside a gap `[gap_start, gap_end)` every service fits up to
    `gap_end - longest`, so only the few starts near the gap's end need a per-service test.
    getSlots runs this over a whole quarter of 10-minute slots on every call.
    """
    period_start = _to_us(period.start)
    period_end = _to_us(period.end)
    if max(period_start, lower) >= min(period_end, upper):
        return
    offered = _distinct(period.services)
    step_minutes = grid_step(svc.duration for svc in offered)
    step, step_delta = step_minutes * _MINUTE_US, timedelta(minutes=step_minutes)
    lengths = [svc.duration * _MINUTE_US for svc in offered]
    shortest, longest = min(lengths), max(lengths)

    for gap_start, gap_end in index.gaps(period_start, period_end, upper):
        first = _first_grid_point(period_start, step, max(gap_start, lower))
        all_fit_until = min(gap_end - longest + 1, upper)
        any_fit_until = min(gap_end - shortest + 1, upper)
        if first >= any_fit_until:
            continue
        # The datetime walks alongside the int: adding a timedelta is far cheaper than
        # building a datetime from microseconds for every slot.
        moment = _from_us(first)
        at = first
        while at < all_fit_until:
            found.append((at, moment, offered))
            at += step
            moment += step_delta
        while at < any_fit_until:
            limit = gap_end - at
            fitting = tuple(svc for svc, n in zip(offered, lengths, strict=True) if n <= limit)
            found.append((at, moment, fitting))
            at += step
            moment += step_delta


def _distinct(services: tuple[PeriodService, ...]) -> tuple[PeriodService, ...]:
    """The services with one entry per id (the first), as replaceSlots stores them."""
    if len({svc.address_service_id for svc in services}) == len(services):
        return services
    return _merge(services, ())


def _first(item: tuple[int, datetime, tuple[PeriodService, ...]]) -> int:
    return item[0]


def _merge(
    first: tuple[PeriodService, ...], second: tuple[PeriodService, ...]
) -> tuple[PeriodService, ...]:
    """Service lists of two periods at one start, the first entry per service id kept."""
    merged: dict[int, PeriodService] = {}
    for svc in first + second:
        merged.setdefault(svc.address_service_id, svc)
    return tuple(merged.values())


class _BusyIndex:
    """Busy intervals merged into disjoint, sorted spans for O(log n) probes."""

    __slots__ = ("ends", "starts")

    def __init__(self, busy: Iterable[Interval]) -> None:
        spans = sorted(
            (start, end)
            for start, end in ((_to_us(b.start), _to_us(b.end)) for b in busy)
            if start < end
        )
        starts: list[int] = []
        ends: list[int] = []
        for start, end in spans:
            # Touching spans merge too: a probe then lands after the whole busy run at once.
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self.starts = starts
        self.ends = ends

    def gaps(self, period_start: int, period_end: int, upper: int) -> Iterator[tuple[int, int]]:
        """The free stretches `[gap_start, gap_end)` of a period, in order, up to the one
        that reaches `upper`; a stretch may be empty (the period starts busy)."""
        starts, ends = self.starts, self.ends
        cursor = period_start
        i = bisect_right(ends, period_start)
        while cursor < period_end and cursor < upper:
            if i < len(starts) and starts[i] < period_end:
                gap_end, next_cursor = starts[i], ends[i]
                i += 1
            else:
                gap_end = next_cursor = period_end
            yield cursor, gap_end
            cursor = next_cursor

    def free_between(self, start: int, end: int) -> bool:
        """Whether no busy span overlaps `[start, end)`."""
        i = bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end

    def free_until(self, at: int) -> int | None:
        """The first busy instant after `at`, or None when `at` itself is busy."""
        # Spans are disjoint, so their ends are sorted as well: the first span ending after
        # `at` is the only one that can contain it or come next.
        i = bisect_right(self.ends, at)
        if i == len(self.ends):
            return _FAR_FUTURE
        if self.starts[i] <= at:
            return None
        return self.starts[i]


_FAR_FUTURE = 2**62


def _first_grid_point(origin: int, step: int, at_least: int) -> int:
    """The first `origin + k*step` (k >= 0) that is >= `at_least`."""
    if at_least <= origin:
        return origin
    return origin + -(-(at_least - origin) // step) * step


def _to_us(value: datetime) -> int:
    # Subtracting an aware epoch also rejects naive datetimes with a TypeError.
    return (value - _EPOCH) // _MICROSECOND


def _from_us(value: int) -> datetime:
    return _EPOCH + _MICROSECOND * value
