"""Calendars, availability and breaks of an address (behaviour.md §8.1-§8.4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dpi_server.domain import errors, events
from dpi_server.domain.calendar import (
    FreeSlot,
    IncomingPeriod,
    coupled_address_ids,
    free_slots,
    replace_days,
    to_work_periods,
    touched_days,
    validate_move,
    validate_new_break,
    validate_replacement,
)
from dpi_server.domain.calendar.records import DISABLED, ENABLED, Calendar, CalendarBreak
from dpi_server.domain.directory import AddressService
from dpi_server.domain.timefmt import parse_date_or_datetime, parse_datetime
from dpi_server.services.availability import (
    load_availability,
    parse_required_datetime,
    require_commercial,
)
from dpi_server.services.directory import ResolvedPath, parse_id, resolve_path
from dpi_server.services.ports import Clock
from dpi_server.services.principal import Principal
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory

MAX_SLOTS_RANGE = timedelta(days=180)
DUPLICATE_WINDOW = timedelta(minutes=3)
# An in-flight marker older than this belongs to a process that died mid-request.
STALE_IN_FLIGHT = timedelta(minutes=5)

Path = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class SlotView:
    start: datetime
    services: list[tuple[AddressService, int]]


class CalendarService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # --- calendar ---------------------------------------------------------------------------
    async def get(self, principal: Principal, path: Path) -> Calendar:
        async with self._uow() as uow:
            resolved = await resolve_path(uow, principal, *path)
            calendar = await uow.calendar.get(resolved.require_address().id)
        if calendar is None:
            raise errors.CalendarNotFound()
        return calendar

    async def enable(self, principal: Principal, path: Path) -> None:
        """200, or 422 not commercial, 400 disabled address, 409 already enabled (§8.1)."""
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            address = resolved.require_address()
            resolved.require_editable()
            require_commercial(address, resolved.doctor)
            if not address.is_enabled:
                raise errors.AddressDisabled()
            await uow.calendar.lock_address(address.id)
            calendar = await uow.calendar.get(address.id)
            if calendar is None:
                await uow.calendar.create(address.id, ENABLED, self._clock.now())
            elif calendar.enabled:
                raise errors.CalendarAlreadyEnabled()
            else:
                await uow.calendar.set_status(address.id, ENABLED)
            await uow.commit()

    async def disable(self, principal: Principal, path: Path) -> None:
        """200, or 409 when there is nothing enabled to disable."""
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            address = resolved.require_address()
            resolved.require_editable()
            await uow.calendar.lock_address(address.id)
            calendar = await uow.calendar.get(address.id)
            if calendar is None or not calendar.enabled:
                raise errors.CalendarAlreadyDisabled()
            await uow.calendar.set_status(address.id, DISABLED)
            await uow.commit()

    async def _ensure_calendar(self, uow: UnitOfWork, address_id: int) -> Calendar:
        """Slots and breaks create the calendar when the address has none (1.0.13, AE)."""
        calendar = await uow.calendar.get(address_id)
        if calendar is None:
            calendar = await uow.calendar.create(address_id, ENABLED, self._clock.now())
        return calendar

    # --- slots ------------------------------------------------------------------------------
    async def replace_slots(
        self,
        principal: Principal,
        path: Path,
        read_periods: Callable[[], Sequence[IncomingPeriod]],
        raw: bytes,
    ) -> None:
        """replaceSlots (§8.2): validate, then replace every touched day in one transaction.

        An identical payload for the same address answers 429 while the first is in flight
        and is accepted but ignored for 3 minutes after it finished. `read_periods` parses the
        payload's dates; it runs once the path is known to be the client's, so a foreign path
        answers 403 whatever the body holds.
        """
        digest = hashlib.sha256(raw).hexdigest()
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            periods = read_periods()
            address = resolved.require_address()
            resolved.require_editable()
            require_commercial(address, resolved.doctor)
            now = self._clock.now()
            previous = await uow.calendar.replace_request(address.id, digest)
            if previous is not None:
                started, finished = previous
                if finished is None and now - started < STALE_IN_FLIGHT:
                    raise errors.TooManyRequests(retry_after=1)
                if finished is not None and now - finished <= DUPLICATE_WINDOW:
                    return
            await uow.calendar.start_replace_request(address.id, digest, now)
            await uow.commit()
        try:
            await self._apply_replacement(principal, path, periods)
        except BaseException:
            async with self._uow(write=True) as uow:
                await uow.calendar.finish_replace_request(address.id, digest, None)
                await uow.commit()
            raise
        async with self._uow(write=True) as uow:
            await uow.calendar.finish_replace_request(address.id, digest, self._clock.now())
            await uow.calendar.purge_replace_requests(self._clock.now() - timedelta(hours=1))
            await uow.commit()

    async def _apply_replacement(
        self, principal: Principal, path: Path, periods: Sequence[IncomingPeriod]
    ) -> None:
        zone = principal.locale.zone
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            address = resolved.require_address()
            await uow.calendar.lock_address(address.id)
            known = {s.id for s in await uow.address_services.list(address.id)}
            providers = {p.id for p in await uow.insurance.address_providers(address.id)}
            validate_replacement(
                periods,
                now=self._clock.now(),
                zone=zone,
                address_id=address.id,
                known_address_service_ids=known,
                address_insurance_provider_ids=providers,
            )
            incoming = to_work_periods(periods)
            days = sorted(touched_days(incoming, zone))
            existing = await uow.calendar.periods_on_days(address.id, days)
            kept = replace_days(existing, incoming, zone)
            by_day = [(p.start.astimezone(zone).date(), p) for p in kept]
            await uow.calendar.replace_days(address.id, days, by_day)
            await self._ensure_calendar(uow, address.id)
            if by_day:
                await uow.calendar.mark_published(address.id)
            await uow.commit()

    async def get_slots(
        self,
        principal: Principal,
        path: Path,
        start: str | None,
        end: str | None,
        *,
        with_services: bool = False,
    ) -> list[SlotView]:
        """Free slots in [start, end) (§8.3); 404 only if nothing was ever published here.

        Each slot's services are looked up only when asked for (`slot.services`): a 90-day
        answer holds thousands of slots.
        """
        async with self._uow() as uow:
            resolved = await resolve_path(uow, principal, *path)
            window_start = parse_required_datetime("start", start)
            window_end = parse_required_datetime("end", end)
            if window_end <= window_start:
                raise errors.FieldErrors({"end": ["The end date must be after the start date."]})
            if window_end - window_start > MAX_SLOTS_RANGE:
                raise errors.DateRangeExceedsMaximum()
            address = resolved.require_address()
            calendar = await uow.calendar.get(address.id)
            if calendar is None or not calendar.has_published:
                raise errors.NoSlotsOnAddress()
            if not calendar.enabled:
                return []
            availability = await load_availability(uow, address.id, window_start, window_end)
            services = {s.id: s for s in await uow.address_services.list(address.id)}
        slots = free_slots(
            availability.periods, availability.busy, window_start, window_end, self._clock.now()
        )
        if not with_services:
            return [SlotView(slot.start, []) for slot in slots]
        return [_slot_view(slot, services) for slot in slots]

    async def delete_slots(self, principal: Principal, path: Path, day_text: str) -> None:
        """deleteSlots: drop the day's availability; bookings stay (decisions.md)."""
        day = parse_date_or_datetime(day_text, principal.locale.zone)
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            if day is None:
                raise errors.InvalidDate()
            address = resolved.require_address()
            resolved.require_editable()
            await uow.calendar.lock_address(address.id)
            await uow.calendar.replace_days(address.id, [day], [])
            await uow.commit()

    # --- breaks -----------------------------------------------------------------------------
    async def list_breaks(
        self, principal: Principal, path: Path, since: str | None, till: str | None
    ) -> list[CalendarBreak]:
        """Breaks intersecting the window (behaviour.md §8.4)."""
        async with self._uow() as uow:
            resolved = await resolve_path(uow, principal, *path)
            if not since:
                raise errors.ParameterRequired("since")
            if not till:
                raise errors.ParameterRequired("till")
            window_start, window_end = parse_datetime(since), parse_datetime(till)
            if window_start is None or window_end is None:
                raise errors.InvalidDate()
            address = resolved.require_address()
            if await uow.calendar.get(address.id) is None:
                raise errors.CalendarNotFoundForAddress()
            return await uow.calendar.breaks_between(address.id, window_start, window_end)

    async def _load_break(
        self, uow: UnitOfWork, principal: Principal, path: Path, break_id: str
    ) -> tuple[ResolvedPath, CalendarBreak]:
        resolved = await resolve_path(uow, principal, *path)
        key = parse_id(break_id)
        found = await uow.calendar.get_break(key) if key is not None else None
        if found is None or found.address_id != resolved.require_address().id:
            raise errors.BreakNotFoundForGivenAddress()
        return resolved, found

    async def get_break(self, principal: Principal, path: Path, break_id: str) -> CalendarBreak:
        async with self._uow() as uow:
            _, found = await self._load_break(uow, principal, path, break_id)
        return found

    async def add_break(
        self,
        principal: Principal,
        path: Path,
        since: str | None,
        till: str | None,
        description: str | None,
        apply_on_coupled_addresses: bool,
    ) -> CalendarBreak:
        """201 with the break; 409 identical, 422 bad range or not commercial (§8.4)."""
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            resolved = await resolve_path(uow, principal, *path)
            begin, finish = _break_range(since, till)
            address = resolved.require_address()
            resolved.require_editable()
            require_commercial(address, resolved.doctor)
            validate_new_break(begin, finish)
            await uow.calendar.lock_address(address.id)
            if await uow.calendar.find_break(address.id, begin, finish, description):
                raise errors.CalendarBreakAlreadyExists()
            await self._ensure_calendar(uow, address.id)
            created = await uow.calendar.add_break(
                address.id, begin, finish, description, None, now
            )
            targets = [(address.id, created.id)]
            if apply_on_coupled_addresses:
                siblings = await uow.directory.addresses_of(address.facility_id, address.doctor_id)
                coupled = coupled_address_ids(
                    address.is_online_only,
                    [(a.id, a.is_online_only) for a in siblings if a.id != address.id],
                )
                if coupled:
                    await uow.calendar.set_break_group(created.id, created.id)
                    created = CalendarBreak(
                        created.id, address.id, begin, finish, description, created.id
                    )
                for other in coupled:
                    await uow.calendar.lock_address(other)
                    if await uow.calendar.find_break(other, begin, finish, description):
                        continue
                    await self._ensure_calendar(uow, other)
                    twin = await uow.calendar.add_break(
                        other, begin, finish, description, created.id, now
                    )
                    targets.append((other, twin.id))
            for address_id, break_id in targets:
                await self._record(
                    uow,
                    principal,
                    address_id,
                    events.BREAK_CREATED,
                    {"break_id": break_id, "since": begin, "till": finish},
                )
            await uow.commit()
        return created

    async def move_break(
        self, principal: Principal, path: Path, break_id: str, since: str | None, till: str | None
    ) -> None:
        """204; 422 same range or till before since; coupled breaks move too (§8.4)."""
        async with self._uow(write=True) as uow:
            resolved, found = await self._load_break(uow, principal, path, break_id)
            begin, finish = _break_range(since, till)
            resolved.require_editable()
            validate_move(found.since, found.till, begin, finish, principal.locale.zone)
            group = await self._group(uow, found)
            for member in group:
                await uow.calendar.lock_address(member.address_id)
            await uow.calendar.move_breaks([b.id for b in group], begin, finish)
            for member in group:
                await self._record(
                    uow,
                    principal,
                    member.address_id,
                    events.BREAK_MOVED,
                    {"break_id": member.id, "since": begin, "till": finish},
                )
            await uow.commit()

    async def delete_break(self, principal: Principal, path: Path, break_id: str) -> None:
        async with self._uow(write=True) as uow:
            resolved, found = await self._load_break(uow, principal, path, break_id)
            resolved.require_editable()
            group = await self._group(uow, found)
            await uow.calendar.delete_breaks([b.id for b in group])
            for member in group:
                await self._record(
                    uow,
                    principal,
                    member.address_id,
                    events.BREAK_REMOVED,
                    {"break_id": member.id, "since": member.since, "till": member.till},
                )
            await uow.commit()

    @staticmethod
    async def _group(uow: UnitOfWork, found: CalendarBreak) -> list[CalendarBreak]:
        if found.group_id is None:
            return [found]
        return await uow.calendar.breaks_in_group(found.group_id)

    async def _record(
        self,
        uow: UnitOfWork,
        principal: Principal,
        address_id: int,
        name: str,
        payload: dict[str, object],
    ) -> None:
        """A break event on `address_id`, caused by `principal` (domain/events.py)."""
        address = await uow.directory.get_address(address_id)
        assert address is not None
        await uow.events.add(
            events.DomainEvent(
                name=name,
                occurred_at=self._clock.now(),
                facility_id=address.facility_id,
                doctor_id=address.doctor_id,
                address_id=address_id,
                payload=dict(payload),
                origin_client_pk=principal.client_pk,
            )
        )


def _slot_view(slot: FreeSlot, services: dict[int, AddressService]) -> SlotView:
    return SlotView(
        slot.start,
        [
            (services[s.address_service_id], s.duration)
            for s in slot.services
            if s.address_service_id in services
        ],
    )


def _break_range(since: str | None, till: str | None) -> tuple[datetime, datetime]:
    """Both ends are required (`Param "since" is required!`) and must be date-times."""
    if not since:
        raise errors.ParameterRequired("since")
    if not till:
        raise errors.ParameterRequired("till")
    return parse_required_datetime("since", since), parse_required_datetime("till", till)
