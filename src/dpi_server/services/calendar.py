"""Calendars, availability and breaks of an address (behaviour.md §8.1-§8.4).

Commands take a scope checked for the actor (`services/access.py`) and parsed inputs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from dpi_server.domain import errors
from dpi_server.domain.booking_rules import require_commercial
from dpi_server.domain.calendar import (
    FreeSlot,
    IncomingPeriod,
    WorkPeriod,
    coupled_address_ids,
    epoch_micros,
    free_slots,
    free_starts,
    replace_days,
    to_work_periods,
    touched_days,
    validate_move,
    validate_new_break,
    validate_replacement,
)
from dpi_server.domain.calendar.records import DISABLED, ENABLED, Calendar, CalendarBreak
from dpi_server.domain.change_events import break_event
from dpi_server.domain.directory import AddressService
from dpi_server.domain.events import BreakCreated, BreakMoved, BreakRemoved, Event
from dpi_server.services.access import AddressScope, BreakScope
from dpi_server.services.availability import Availability, load_availability
from dpi_server.services.cache import HotPathCache
from dpi_server.services.offload import off_loop
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory
from dpi_server.services.transactions import retrying

MAX_SLOTS_RANGE = timedelta(days=180)
DUPLICATE_WINDOW = timedelta(minutes=3)
# Beyond these sizes the pure calendar work moves off the event loop (services/offload.py).
HEAVY_PAYLOAD = 500
HEAVY_RANGE = timedelta(days=7)
# getSlots' starts (`slot_answer`): finding them costs about a microsecond per period and per
# busy interval, rendering them about a third of one per start. Up to these counts each step
# holds the loop for a few milliseconds at most, less than a thread hop would add to the answer.
HEAVY_AVAILABILITY = 2_000
HEAVY_STARTS = 5_000
T = TypeVar("T")


def _check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise errors.FieldErrors({"end": ["The end date must be after the start date."]})
    if end - start > MAX_SLOTS_RANGE:
        raise errors.DateRangeExceedsMaximum()


@dataclass(frozen=True, slots=True)
class SlotView:
    start: datetime
    services: list[tuple[AddressService, int]]


@dataclass(frozen=True, slots=True)
class NewBreak:
    since: datetime
    till: datetime
    description: str | None = None
    apply_on_coupled_addresses: bool = False


@dataclass(frozen=True, slots=True)
class _SlotAnswer(Generic[T]):
    """A window's free slots as computed at `computed_at`: their starts (epoch microseconds)
    and their rendered forms."""

    computed_at: datetime
    starts: list[int]
    rendered: list[T]


class CalendarService:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, cache: HotPathCache | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        # Free-slot answers (services/cache.py `calendar_memo`).
        self._cache = cache
        # Payloads being applied in this process right now: the replaceSlots 429 (§8.2).
        self._in_flight: set[tuple[int, str]] = set()

    def forget_in_flight(self) -> None:
        """Drop the in-flight markers (a sandbox reset: the calendars they guard are gone)."""
        self._in_flight.clear()

    @property
    def applying(self) -> frozenset[tuple[int, str]]:
        """(address id, payload fingerprint) of the replaceSlots this process is applying."""
        return frozenset(self._in_flight)

    # --- calendar ---------------------------------------------------------------------------
    async def get(self, scope: AddressScope) -> Calendar:
        async with self._uow() as uow:
            calendar = await uow.calendar.get(scope.address.id)
        if calendar is None:
            raise errors.CalendarNotFound()
        return calendar

    async def enable(self, scope: AddressScope) -> None:
        """200, or 422 not commercial, 400 disabled address, 409 already enabled (§8.1)."""
        address = scope.address
        scope.require_editable()
        require_commercial(address, scope.doctor)
        if not address.is_enabled:
            raise errors.AddressDisabled()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                await uow.calendar.lock_address(address.id)
                calendar = await uow.calendar.get(address.id)
                if calendar is None:
                    await uow.calendar.create(address.id, ENABLED, self._clock.now())
                elif calendar.enabled:
                    raise errors.CalendarAlreadyEnabled()
                else:
                    await uow.calendar.set_status(address.id, ENABLED)
                await uow.commit()

        await retrying(attempt)

    async def disable(self, scope: AddressScope) -> None:
        """200, or 409 when there is nothing enabled to disable."""
        scope.require_editable()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                await uow.calendar.lock_address(scope.address.id)
                calendar = await uow.calendar.get(scope.address.id)
                if calendar is None or not calendar.enabled:
                    raise errors.CalendarAlreadyDisabled()
                await uow.calendar.set_status(scope.address.id, DISABLED)
                await uow.commit()

        await retrying(attempt)

    async def _ensure_calendar(self, uow: UnitOfWork, address_id: int) -> Calendar:
        """Slots and breaks create the calendar when the address has none (1.0.13, AE)."""
        calendar = await uow.calendar.get(address_id)
        if calendar is None:
            calendar = await uow.calendar.create(address_id, ENABLED, self._clock.now())
        return calendar

    # --- slots ------------------------------------------------------------------------------
    async def replace_slots(
        self, scope: AddressScope, periods: Sequence[IncomingPeriod], fingerprint: str
    ) -> None:
        """replaceSlots (§8.2): validate, then replace every touched day, in one transaction.

        `fingerprint` identifies the payload. The same payload for the same address answers
        429 while it is being applied (in this process, or in another one on PostgreSQL) and
        is accepted but ignored for 3 minutes after it was applied.
        """
        address = scope.address
        scope.require_editable()
        require_commercial(address, scope.doctor)
        key = (address.id, fingerprint)
        if key in self._in_flight:
            raise errors.TooManyRequests(retry_after=1)
        self._in_flight.add(key)
        try:
            await retrying(lambda: self._replace(scope, periods, fingerprint))
        finally:
            self._in_flight.discard(key)

    async def _replace(
        self, scope: AddressScope, periods: Sequence[IncomingPeriod], fingerprint: str
    ) -> None:
        address, zone = scope.address, scope.zone
        async with self._uow(write=True) as uow:
            if not await uow.calendar.hold_replace_request(address.id, fingerprint):
                raise errors.TooManyRequests(retry_after=1)
            await uow.calendar.lock_address(address.id)
            now = self._clock.now()
            finished = await uow.calendar.replace_request_finished(address.id, fingerprint)
            if finished is not None and now - finished <= DUPLICATE_WINDOW:
                return
            known = {s.id for s in await uow.address_services.list(address.id)}
            providers = {p.id for p in await uow.insurance.address_providers(address.id)}
            heavy = len(periods) > HEAVY_PAYLOAD
            incoming, days = await off_loop(
                heavy, _validated, periods, now, zone, address.id, known, providers
            )
            existing = await uow.calendar.periods_on_days(address.id, days)
            kept = await off_loop(heavy, replace_days, existing, incoming, zone)
            by_day = [(p.start.astimezone(zone).date(), p) for p in kept]
            await uow.calendar.replace_days(address.id, days, by_day)
            await self._ensure_calendar(uow, address.id)
            if by_day:
                await uow.calendar.mark_published(address.id)
            await uow.calendar.record_replace_request(
                address.id, fingerprint, now, purge_before=now - timedelta(hours=1)
            )
            await uow.commit()

    async def get_slots(
        self, scope: AddressScope, start: datetime, end: datetime, *, with_services: bool = False
    ) -> list[SlotView]:
        """Free slots in [start, end) (§8.3); 404 only if nothing was ever published here.

        Each slot's services are looked up only when asked for (`slot.services`): a 90-day
        answer holds thousands of slots.
        """
        _check_window(start, end)
        slots, services = await self._free(scope.address.id, start, end, self._clock.now())
        if not with_services:
            return [SlotView(slot.start, []) for slot in slots]
        return [_slot_view(slot, services) for slot in slots]

    async def slot_answer(
        self,
        scope: AddressScope,
        start: datetime,
        end: datetime,
        render: Callable[[list[int]], list[T]],
    ) -> list[T]:
        """`render(starts)`, one rendered item per free slot of `get_slots(scope, start, end)`,
        from the cache when it holds the window (services/cache.py `calendar_memo`). `render`
        gets the slots' starts in epoch microseconds, in order (domain/calendar `free_starts`).

        Time only ever removes slots from an answer (a start is offered while it is not
        past: domain/calendar/slots.py), so an answer computed at `computed_at` is the
        answer at any later `now` once the starts before `now` are cut off."""
        _check_window(start, end)
        now = self._clock.now()

        async def load() -> _SlotAnswer[T]:
            availability = await self._availability(scope.address.id, start, end)
            if availability is None:
                return _SlotAnswer(now, [], render([]))
            # The starts and their bytes straight away, never a datetime or object per slot.
            periods, busy = availability.periods, availability.busy
            heavy = len(periods) + len(busy) > HEAVY_AVAILABILITY
            starts = await off_loop(heavy, free_starts, periods, busy, start, end, now)
            rendered = await off_loop(len(starts) > HEAVY_STARTS, render, starts)
            return _SlotAnswer(now, starts, rendered)

        if self._cache is None:
            return (await load()).rendered
        answer = await self._cache.calendar_memo(("slots", scope.address.id, start, end), load)
        if now < answer.computed_at:  # the clock went back (sandbox time travel)
            answer = await load()
        return answer.rendered[bisect_left(answer.starts, epoch_micros(now)) :]

    async def _free(
        self, address_id: int, start: datetime, end: datetime, now: datetime
    ) -> tuple[list[FreeSlot], dict[int, AddressService]]:
        """The free slots of `[start, end)` at `now` and the address's live services; 404 only
        if nothing was ever published here. One unit of work, three statements."""
        availability = await self._availability(address_id, start, end)
        if availability is None:
            return [], {}
        slots = await off_loop(
            end - start > HEAVY_RANGE,
            free_slots,
            availability.periods,
            availability.busy,
            start,
            end,
            now,
        )
        return slots, availability.services

    async def _availability(
        self, address_id: int, start: datetime, end: datetime
    ) -> Availability | None:
        """What is free around `[start, end)`, None when the calendar is disabled; 404 only if
        nothing was ever published here. One unit of work, three statements."""
        async with self._uow() as uow:
            calendar, live = await uow.calendar.get_with_services(address_id)
            if calendar is None or not calendar.has_published:
                raise errors.NoSlotsOnAddress()
            if not calendar.enabled:
                return None
            return await load_availability(uow, address_id, start, end, live_services=live)

    async def delete_slots(self, scope: AddressScope, day: date) -> None:
        """deleteSlots: drop the day's availability; bookings stay (decisions.md)."""
        scope.require_editable()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                await uow.calendar.lock_address(scope.address.id)
                await uow.calendar.replace_days(scope.address.id, [day], [])
                await uow.commit()

        await retrying(attempt)

    # --- breaks -----------------------------------------------------------------------------
    async def list_breaks(
        self, scope: AddressScope, since: datetime, till: datetime
    ) -> list[CalendarBreak]:
        """Breaks intersecting the window (behaviour.md §8.4)."""
        async with self._uow() as uow:
            if await uow.calendar.get(scope.address.id) is None:
                raise errors.CalendarNotFoundForAddress()
            return await uow.calendar.breaks_between(scope.address.id, since, till)

    async def add_break(self, scope: AddressScope, new: NewBreak) -> CalendarBreak:
        """201 with the break; 409 identical, 422 bad range or not commercial (§8.4).

        With `apply_on_coupled_addresses` the break is mirrored to the doctor's coupled
        addresses in the facility, and the copies move and go away together."""
        address = scope.address
        scope.require_editable()
        require_commercial(address, scope.doctor)
        validate_new_break(new.since, new.till)

        async def attempt() -> CalendarBreak:
            now = self._clock.now()
            async with self._uow(write=True) as uow:
                await uow.calendar.lock_address(address.id)
                if await uow.calendar.find_break(address.id, new.since, new.till, new.description):
                    raise errors.CalendarBreakAlreadyExists()
                await self._ensure_calendar(uow, address.id)
                created = await uow.calendar.add_break(
                    address.id, new.since, new.till, new.description, None, now
                )
                raised: list[Event] = []
                if new.apply_on_coupled_addresses:
                    siblings = {
                        a.id: a
                        for a in await uow.directory.addresses_of(
                            address.facility_id, address.doctor_id
                        )
                        if a.id != address.id
                    }
                    coupled = coupled_address_ids(
                        address.is_online_only,
                        [(a.id, a.is_online_only) for a in siblings.values()],
                    )
                    if coupled:
                        await uow.calendar.set_break_group(created.id, created.id)
                        created = replace(created, group_id=created.id)
                    for other in coupled:
                        await uow.calendar.lock_address(other)
                        if await uow.calendar.find_break(
                            other, new.since, new.till, new.description
                        ):
                            continue
                        await self._ensure_calendar(uow, other)
                        twin = await uow.calendar.add_break(
                            other, new.since, new.till, new.description, created.id, now
                        )
                        raised.append(
                            break_event(BreakCreated, twin, siblings[other], scope.actor, now)
                        )
                raised.insert(0, break_event(BreakCreated, created, address, scope.actor, now))
                uow.collect(raised)
                await uow.commit()
            return created

        return await retrying(attempt)

    async def move_break(self, found: BreakScope, since: datetime, till: datetime) -> CalendarBreak:
        """204; 422 same range or till before since; coupled breaks move too (§8.4).
        Returns the break as moved."""
        found.at.require_editable()
        current = found.calendar_break
        validate_move(current.since, current.till, since, till, found.at.zone)

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                group = await _group(uow, current)
                for member in group:
                    await uow.calendar.lock_address(member.address_id)
                await uow.calendar.move_breaks([b.id for b in group], since, till)
                moved = [replace(b, since=since, till=till) for b in group]
                uow.collect(await self._events(uow, BreakMoved, moved, found))
                await uow.commit()

        await retrying(attempt)
        return replace(current, since=since, till=till)

    async def delete_break(self, found: BreakScope) -> None:
        found.at.require_editable()

        async def attempt() -> None:
            async with self._uow(write=True) as uow:
                group = await _group(uow, found.calendar_break)
                await uow.calendar.delete_breaks([b.id for b in group])
                uow.collect(await self._events(uow, BreakRemoved, group, found))
                await uow.commit()

        await retrying(attempt)

    async def _events(
        self,
        uow: UnitOfWork,
        kind: type[BreakMoved] | type[BreakRemoved],
        breaks: Sequence[CalendarBreak],
        found: BreakScope,
    ) -> list[Event]:
        """One event per break of the group, each at its own address."""
        now = self._clock.now()
        raised: list[Event] = []
        for member in breaks:
            address = (
                found.at.address
                if member.address_id == found.at.address.id
                else await uow.directory.get_address(member.address_id)
            )
            assert address is not None
            raised.append(break_event(kind, member, address, found.at.actor, now))
        return raised


def _validated(
    periods: Sequence[IncomingPeriod],
    now: datetime,
    zone: ZoneInfo,
    address_id: int,
    known: set[int],
    providers: set[int],
) -> tuple[list[WorkPeriod], list[date]]:
    """replaceSlots' checks, then the periods to store and the days they replace."""
    validate_replacement(
        periods,
        now=now,
        zone=zone,
        address_id=address_id,
        known_address_service_ids=known,
        address_insurance_provider_ids=providers,
    )
    incoming = to_work_periods(periods)
    return incoming, sorted(touched_days(incoming, zone))


async def _group(uow: UnitOfWork, found: CalendarBreak) -> list[CalendarBreak]:
    if found.group_id is None:
        return [found]
    return await uow.calendar.breaks_in_group(found.group_id)


def _slot_view(slot: FreeSlot, services: dict[int, AddressService]) -> SlotView:
    return SlotView(
        slot.start,
        [
            (services[s.address_service_id], s.duration)
            for s in slot.services
            if s.address_service_id in services
        ],
    )
